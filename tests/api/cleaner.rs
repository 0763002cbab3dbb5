//! The abandoned-upload cleaner (`server::uploads::cleaner`): against the app's real
//! database and storage folder, only old files that no row and no live session
//! records are removed; files recorded by rows, young files, files kept by a live
//! session for a form's next try and files the portal did not write stay. Ages are
//! set on the files themselves (their modification time), so nothing waits.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use guichet::dossiers::api::DuplicateDossier;
use guichet::server::entities::session;
use guichet::server::uploads::cleaner::{SweepReport, sweep, sweep_staging};
use guichet::server::uploads::sniff::sample_pdf;
use sea_orm::{EntityTrait, Set};

use crate::accounts::{location, ok};
use crate::dossiers::{
    PERMIS, by_id, file_rows, fill_permis, id_after, open_all_year, signed_in, start, submit,
};
use crate::helpers::spawn_app_with;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Dates the file back by `by` (its modification time, which the storage lists).
fn age(path: &Path, by: Duration) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_modified(SystemTime::now() - by)
        .unwrap_or_else(|e| panic!("date {}: {e}", path.display()));
}

fn new_key(prefix: &str, dossier: i32) -> String {
    format!("{prefix}/{dossier}/{}", uuid::Uuid::new_v4())
}

/// A session row as the session store writes it, keeping `key` for a form's next try.
fn session_keeping(
    id_hash: &str,
    form_key: &str,
    key: &str,
    expires_at: i64,
) -> session::ActiveModel {
    let data = serde_json::json!({
        "account_id": 1,
        form_key: [{
            "key": key,
            "name": "lettre.pdf",
            "kind": "pdf",
            "size": 1234,
            "sha256": "00",
        }],
    });
    session::ActiveModel {
        id_hash: Set(id_hash.to_owned()),
        data: Set(data.to_string()),
        expires_at: Set(expires_at),
        account_id: Set(None),
    }
}

#[tokio::test]
async fn the_cleaner_removes_only_old_files_that_nothing_records() {
    // The app's own hourly sweep must not run first: its grace is ten years here.
    let app = spawn_app_with(&[("GUICHET_UPLOAD_GRACE_MINUTES", "5256000".to_owned())]).await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let recorded = file_rows(&app, id).await;
    assert_eq!(recorded.len(), 3);
    let storage = &app.state.storage;
    let root: PathBuf = app.state.settings.storage_path.clone();
    let on_disk = |key: &str| root.join(key);
    let put = move |key: String| async move {
        storage
            .put(&key, Bytes::from(sample_pdf()))
            .await
            .expect("store a file");
        key
    };

    // Uploads whose row was never written (a crash between the two), a day old and
    // more, in each folder the portal writes to.
    let orphans = [
        put(new_key("dossiers", id)).await,
        put(new_key("messages", id)).await,
        put(new_key("documents", id)).await,
    ];
    // Written a moment ago: its row may be on its way.
    let fresh = put(new_key("dossiers", id)).await;
    // Kept by a live session for a back-office form's next try, and by an expired one.
    let kept_live = put(new_key("messages", id)).await;
    let kept_expired = put(new_key("documents", id)).await;
    // Not a key the portal writes: never touched, however old.
    let foreign = put(format!("dossiers/{id}/lisez-moi.txt")).await;
    // The staging files of two uploads cut short: one old, one still being written.
    let staging_old = on_disk(&format!("{}#1", new_key("dossiers", id)));
    let staging_fresh = on_disk(&format!("{}#1", new_key("dossiers", id)));
    for path in [&staging_old, &staging_fresh] {
        std::fs::write(path, b"%PDF-1.7 half").expect("write a staging file");
    }

    let old: Vec<&str> = orphans
        .iter()
        .map(String::as_str)
        .chain([kept_live.as_str(), kept_expired.as_str(), foreign.as_str()])
        .chain(recorded.iter().map(|f| f.storage_key.as_str()))
        .collect();
    for key in &old {
        age(&on_disk(key), 2 * DAY);
    }
    age(&staging_old, 2 * DAY);

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for row in [
        session_keeping(
            "cleaner-test-live",
            &format!("kept:message:{id}"),
            &kept_live,
            now + 3600,
        ),
        session_keeping(
            "cleaner-test-expired",
            &format!("kept:document:{id}"),
            &kept_expired,
            now - 60,
        ),
    ] {
        session::Entity::insert(row)
            .exec(&app.db)
            .await
            .expect("insert a session");
    }

    let report = sweep(&app.db, storage, DAY).await.expect("sweep");
    assert_eq!(
        report,
        SweepReport {
            listed: 10,
            foreign: 1,
            young: 1,
            kept: 1,
            referenced: 3,
            deleted: 4,
            failed: 0,
        }
    );
    for key in orphans.iter().chain([&kept_expired]) {
        assert!(!on_disk(key).exists(), "{key} was not removed");
    }
    for key in [&fresh, &kept_live, &foreign] {
        assert!(on_disk(key).exists(), "{key} was removed");
    }
    for f in &recorded {
        assert!(
            on_disk(&f.storage_key).exists(),
            "recorded {} removed",
            f.storage_key
        );
        let download = camille.get(&format!("/pieces/{}", f.id)).await;
        assert_eq!(download.status(), 200, "{}", f.storage_key);
    }

    assert_eq!(sweep_staging(&root, DAY).await.expect("staging sweep"), 1);
    assert!(!staging_old.exists(), "the old staging file stays");
    assert!(staging_fresh.exists(), "an upload in progress was removed");

    // With no grace at all the young file goes too; what is recorded or kept stays.
    let report = sweep(&app.db, storage, Duration::ZERO)
        .await
        .expect("sweep");
    assert_eq!((report.deleted, report.referenced, report.kept), (1, 3, 1));
    assert!(!on_disk(&fresh).exists());
    assert!(on_disk(&kept_live).exists());

    // A duplicate's copies are new files: their age starts at the copy, not at the
    // original upload two days ago, so the grace period protects them until their
    // rows commit.
    submit(&app, &camille, id).await;
    let response = ok(by_id::<DuplicateDossier>(&camille, id).await).await;
    let copy_id = id_after(&location(&response), "/dossiers/");
    let copies = file_rows(&app, copy_id).await;
    assert_eq!(copies.len(), 3);
    for f in &copies {
        let modified = std::fs::metadata(on_disk(&f.storage_key))
            .and_then(|m| m.modified())
            .expect("the copy is on disk");
        let age = SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default();
        assert!(
            age < Duration::from_secs(3600),
            "{} is dated {age:?} ago",
            f.storage_key
        );
    }
    let report = sweep(&app.db, storage, DAY).await.expect("sweep");
    assert_eq!(report.deleted, 0, "{report:?}");
    assert_eq!(report.referenced, 3, "the originals: {report:?}");
    assert_eq!(report.young, 3, "the copies: {report:?}");
    for f in recorded.iter().chain(&copies) {
        assert!(on_disk(&f.storage_key).exists(), "{}", f.storage_key);
    }
}
