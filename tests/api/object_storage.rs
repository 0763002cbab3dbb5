//! Attachments on S3-compatible object storage (`GUICHET_STORAGE_URL=s3://bucket/prefix`)
//! behave as on the local disk: uploads stream in parts (a 12 MB scan goes up as a
//! multipart upload of 5 MiB parts), downloads stream back the same bytes to members
//! only, copies and deletions reach the bucket, and nothing is written to the local
//! folder.
//!
//! The server is moto's S3 server (`moto_server`, from PyPI, installed by
//! `scripts/install-tools.sh`), started on a free port by each test: a real HTTP server
//! speaking the S3 API, with signed requests, multipart uploads and copies.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::TryStreamExt;
use guichet::dossiers::api::{DeleteDraft, DuplicateDossier};
use guichet::server::uploads::sniff::sample_pdf;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;

use crate::accounts::{location, ok};
use crate::dossiers::{
    PAGE_1, PAGE_2, PERMIS, by_id, draft_page, file_rows, fill_permis, id_after, open_all_year,
    post_page, see_other, signed_in, start, submit,
};
use crate::helpers::{big_pdf, free_port, spawn_app_with};

const BUCKET: &str = "guichet-test";
const PREFIX: &str = "portail";

/// A moto S3 server on a free port, stopped when dropped.
struct S3Server {
    port: u16,
    child: Child,
}

impl S3Server {
    async fn start() -> Self {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "moto_server (an S3-compatible server) must be installed: \
                 run `bash scripts/install-tools.sh all`",
            );
        let server = Self { port, child };
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        // A bucket of our own, created with an ordinary S3 call.
        loop {
            match client
                .put(format!("{}/{BUCKET}", server.endpoint()))
                .send()
                .await
            {
                Ok(response) if response.status().is_success() => break,
                _ if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                other => panic!("the S3 server did not start: {other:?}"),
            }
        }
        server
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The settings that point Guichet at this server.
    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GUICHET_STORAGE_URL", format!("s3://{BUCKET}/{PREFIX}")),
            ("AWS_ACCESS_KEY_ID", "guichet".into()),
            ("AWS_SECRET_ACCESS_KEY", "guichet-secret".into()),
            ("AWS_DEFAULT_REGION", "eu-west-3".into()),
            ("AWS_ENDPOINT", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// A client of our own to look into the bucket.
    fn client(&self) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_region("eu-west-3")
            .with_access_key_id("guichet")
            .with_secret_access_key("guichet-secret")
            .build()
            .expect("an S3 client")
    }

    /// Every object key in the bucket, sorted.
    async fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .client()
            .list(None)
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .expect("list the bucket");
        keys.sort();
        keys
    }

    async fn bytes(&self, key: &str) -> Vec<u8> {
        self.client()
            .get(&ObjectPath::from(format!("{PREFIX}/{key}")))
            .await
            .expect("the object exists")
            .bytes()
            .await
            .expect("its bytes")
            .to_vec()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn attachments_live_in_object_storage_with_the_same_behaviour_as_the_disk() {
    let s3 = S3Server::start().await;
    let app = spawn_app_with(&s3.settings()).await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;

    // A 12 MB scan and a small PDF, uploaded with page 3 of a draft.
    let id = start(&camille, PERMIS, None).await;
    see_other(&post_page(&camille, id, 1, PAGE_1, &[], "suivante").await);
    see_other(&post_page(&camille, id, 2, PAGE_2, &[], "suivante").await);
    let scan = big_pdf(12 * 1024 * 1024);
    let small = sample_pdf();
    let to = see_other(
        &post_page(
            &camille,
            id,
            3,
            &[],
            &[
                ("piece_identite", "cni-scan.pdf", &scan[..]),
                ("justificatif_domicile", "facture.pdf", &small[..]),
            ],
            "enregistrer",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{id}/etape/3?message=brouillon-enregistre")
    );
    let files = file_rows(&app, id).await;
    assert_eq!(files.len(), 2, "{files:?}");
    let mut expected: Vec<String> = files
        .iter()
        .map(|f| format!("{PREFIX}/{}", f.storage_key))
        .collect();
    expected.sort();
    assert_eq!(s3.keys().await, expected, "both files are in the bucket");
    let scan_row = files
        .iter()
        .find(|f| f.original_name == "cni-scan.pdf")
        .expect("the scan's row");
    assert_eq!(scan_row.size_bytes, scan.len() as i64);
    assert!(s3.bytes(&scan_row.storage_key).await == scan, "same bytes");
    // Nothing went to the local folder.
    let local = &app.state.settings.storage_path;
    assert!(
        !local.exists() || std::fs::read_dir(local).map(|d| d.count()).unwrap_or(0) == 0,
        "the local storage folder stays empty"
    );

    // Downloads stream the object back to the draft's owner, and to nobody else.
    let response = camille.get(&format!("/pieces/{}", scan_row.id)).await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.expect("the download");
    assert!(
        body.len() == scan.len() && body[..] == scan[..],
        "the same file"
    );
    let dominique = signed_in(&app, "dominique@example.org").await;
    let response = dominique.get(&format!("/pieces/{}", scan_row.id)).await;
    assert_eq!(response.status(), 404, "another citizen gets nothing");
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = anonymous
        .get(app.url(&format!("/pieces/{}", scan_row.id)))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 303, "sign in first");

    // Deleting the draft deletes its objects.
    let response = ok(by_id::<DeleteDraft>(&camille, id).await).await;
    assert_eq!(
        location(&response),
        "/mon-compte/brouillons?message=brouillon-supprime"
    );
    assert!(s3.keys().await.is_empty(), "{:?}", s3.keys().await);

    // A filed dossier duplicated: its files are copied inside the bucket, and removing a
    // copy leaves the original.
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    submit(&app, &camille, id).await;
    let originals = file_rows(&app, id).await;
    assert!(!originals.is_empty());
    let response = ok(by_id::<DuplicateDossier>(&camille, id).await).await;
    let copy_id = id_after(&location(&response), "/dossiers/");
    let copies = file_rows(&app, copy_id).await;
    assert_eq!(copies.len(), originals.len());
    assert_eq!(s3.keys().await.len(), 2 * originals.len());
    for (from, to) in originals.iter().zip(&copies) {
        assert_ne!(from.storage_key, to.storage_key);
        assert_eq!(
            s3.bytes(&from.storage_key).await,
            s3.bytes(&to.storage_key).await
        );
    }
    let response = ok(by_id::<DeleteDraft>(&camille, copy_id).await).await;
    assert_eq!(
        location(&response),
        "/mon-compte/brouillons?message=brouillon-supprime"
    );
    let mut left: Vec<String> = originals
        .iter()
        .map(|f| format!("{PREFIX}/{}", f.storage_key))
        .collect();
    left.sort();
    assert_eq!(s3.keys().await, left, "the original's files stay");
    let response = camille.get(&format!("/pieces/{}", originals[0].id)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unreachable_object_storage_gives_a_french_notice_and_keeps_the_answers() {
    // Object storage configured, but nothing answers at its address: the page is saved
    // without the file, a French notice says to send it again, and no row points to a
    // file that does not exist.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let settings: Vec<(&'static str, String)> = vec![
        ("GUICHET_STORAGE_URL", format!("s3://{BUCKET}/{PREFIX}")),
        ("AWS_ACCESS_KEY_ID", "guichet".into()),
        ("AWS_SECRET_ACCESS_KEY", "guichet-secret".into()),
        ("AWS_DEFAULT_REGION", "eu-west-3".into()),
        ("AWS_ENDPOINT", nowhere),
        ("AWS_ALLOW_HTTP", "true".into()),
    ];
    let app = spawn_app_with(&settings).await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let id = start(&camille, PERMIS, None).await;
    see_other(&post_page(&camille, id, 1, PAGE_1, &[], "suivante").await);
    let small = sample_pdf();
    let to = see_other(&post_page(&camille, id, 2, PAGE_2, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/3"));
    let to = see_other(
        &post_page(
            &camille,
            id,
            3,
            &[],
            &[("piece_identite", "cni.pdf", &small[..])],
            "enregistrer",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{id}/etape/3?message=brouillon-enregistre")
    );
    let page = draft_page(&camille, id, 3, false).await;
    assert_eq!(page.notices.len(), 1, "{:?}", page.notices);
    assert!(
        page.notices[0].contains("« cni.pdf » n’a pas pu être enregistré")
            && page.notices[0].contains("momentanément indisponible"),
        "{:?}",
        page.notices
    );
    assert!(
        file_rows(&app, id).await.is_empty(),
        "no row without its file"
    );
    // The answers of the earlier pages are all there.
    let page = draft_page(&camille, id, 2, false).await;
    assert_eq!(
        page.answers.text("auto_ecole_nom"),
        Some("Auto-école du Centre")
    );
}
