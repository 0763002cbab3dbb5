//! Dossiers: the server's memory while a 20 MB PDF is uploaded (streamed to storage:
//! the goal is less than 10 MB of growth), and the time to render the PDF copy of a
//! dossier with 50 answers. Run with `cargo bench --features ssr --bench dossiers`
//! (release build). It prints figures; it asserts nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use guichet::dossiers::pdf::{PdfAttachment, PdfCopy, PdfItem, PdfSection, render};
use guichet::server::entities::dossier;
use guichet::server::settings::Settings;
use guichet::server::startup::{Application, leptos_options};
use leptos::server_fn::ServerFn;
use sea_orm::{EntityTrait, QueryOrder};

const UPLOAD_BYTES: usize = 20 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const PDF_RUNS: usize = 30;

/// Resident memory of this process (server and client share it; the client streams its
/// body, so what grows is the server's buffering).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A valid PDF of about `size` bytes: one page, and a large binary stream of
/// pseudo-random bytes (like a scanned image), generated chunk by chunk.
fn big_pdf_chunks(size: usize) -> Vec<bytes::Bytes> {
    let head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n".to_vec();
    let tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n".to_vec();
    let body = size - head.len() - tail.len() - 64;
    let mut chunks = vec![bytes::Bytes::from(head)];
    chunks.push(bytes::Bytes::from(format!(
        "4 0 obj\n<< /Length {body} /Filter /DCTDecode >>\nstream\n"
    )));
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut left = body;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut chunk = Vec::with_capacity(n);
        while chunk.len() < n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Bytes 0x80..=0xFF only: no text tag or archive signature can appear.
            chunk.push(0x80 | (state as u8));
        }
        left -= n;
        chunks.push(bytes::Bytes::from(chunk));
    }
    chunks.push(bytes::Bytes::from(tail));
    chunks
}

fn copy_with_answers(n: usize) -> PdfCopy {
    let long = "Le projet consiste à accompagner les jeunes du territoire vers l’autonomie, avec l’appui des associations locales. ".repeat(20);
    let items = (0..n)
        .map(|i| PdfItem::Answer {
            label: format!("Question {} – précisez votre situation", i + 1),
            lines: if i % 10 == 0 {
                vec![long.clone()]
            } else {
                vec![format!("Réponse numéro {} : Élève, cœur, 1 250 €", i + 1)]
            },
        })
        .collect::<Vec<_>>();
    PdfCopy {
        organisation: "Département de la Vallée-Verte".into(),
        title: "Aide au permis de conduire pour les jeunes".into(),
        number: Some("2026-000123".into()),
        status: "Déposé".into(),
        profile: "Camille Martin (particulier)".into(),
        filer: "Camille Martin".into(),
        dates: vec![("Déposé le".into(), "30 novembre 2026 à 14 h 05".into())],
        sections: items
            .chunks(10)
            .enumerate()
            .map(|(i, chunk)| PdfSection {
                title: format!("Page {}", i + 1),
                items: chunk.to_vec(),
            })
            .collect(),
        attachments: vec![PdfAttachment {
            field: "Pièce d’identité".into(),
            name: "carte-identite.pdf".into(),
            size: "1,2 Mo".into(),
        }],
        generated_at: "30 novembre 2026 à 14 h 07".into(),
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // ---------------------------------------------------------------- PDF copy
    let copy = copy_with_answers(50);
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..PDF_RUNS {
        let start = Instant::now();
        let bytes = render(&copy).expect("render");
        times.push(start.elapsed());
        size = bytes.len();
    }
    times.sort();
    println!(
        "PDF copy, 50 answers: median {:.1} ms, max {:.1} ms over {PDF_RUNS} renders ({} KB)",
        times[PDF_RUNS / 2].as_secs_f64() * 1000.0,
        times[PDF_RUNS - 1].as_secs_f64() * 1000.0,
        size / 1000
    );

    // ---------------------------------------------------------------- upload
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = HashMap::new();
    env.insert(
        "DATABASE_URL",
        format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
    );
    env.insert("GUICHET_DATA_DIR", dir.path().display().to_string());
    env.insert("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_string());
    env.insert("GUICHET_DEMO_DATA", "true".to_string());
    env.insert("GUICHET_MAX_FILE_MB", "25".to_string());
    let settings =
        Settings::from_sources(&HashMap::new(), |n| env.get(n).cloned()).expect("settings");
    let options = leptos_options(&settings);
    let app = Application::build(settings, options).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    tokio::spawn(async move {
        let _ = app.run_until_stopped(std::future::pending()).await;
    });

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let signed = client
        .post(format!("{base}{}", guichet::account::api::SignIn::PATH))
        .header("Accept", "application/json")
        .form(&[
            ("email", "usager@vallee-verte.example"),
            ("password", "Usager-Demo-2026"),
            ("retour", ""),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(signed.status().is_success(), "sign-in: {}", signed.status());
    let started = client
        .post(format!(
            "{base}{}",
            guichet::dossiers::api::StartDossier::PATH
        ))
        .header("Accept", "application/json")
        .form(&[("slug", "aide-permis-de-conduire")])
        .send()
        .await
        .expect("start");
    assert!(started.status().is_success(), "start: {}", started.status());
    let id = dossier::Entity::find()
        .order_by_desc(dossier::Column::Id)
        .one(&db)
        .await
        .expect("query")
        .expect("a draft")
        .id;

    let upload = |chunks: Vec<bytes::Bytes>, name: &'static str| {
        let client = client.clone();
        let url = format!("{base}/dossiers/{id}/etape/3");
        async move {
            let length: usize = chunks.iter().map(|c| c.len()).sum();
            let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
            let part = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::wrap_stream(stream),
                length as u64,
            )
            .file_name(name)
            .mime_str("application/pdf")
            .expect("mime");
            let form = reqwest::multipart::Form::new()
                .text("action", "joindre:piece_identite")
                .part("fichier:piece_identite", part);
            let response = client
                .post(url)
                .header("x-guichet-xhr", "1")
                .multipart(form)
                .send()
                .await
                .expect("upload");
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            (status, body)
        }
    };

    // Warm-up: the first request builds pools and caches.
    let (status, _) = upload(big_pdf_chunks(512 * 1024), "echauffement.pdf").await;
    assert!(status.is_success(), "warm-up upload: {status}");

    let chunks = big_pdf_chunks(UPLOAD_BYTES);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline = rss_kib();
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let peak = peak.clone();
        let done = done.clone();
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let start = Instant::now();
    let (status, body) = upload(chunks, "scan-20-Mo.pdf").await;
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let accepted = status.is_success() && !body.contains("n’a pas été ajouté");
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "Upload of a {} MB PDF: {} in {:.2} s ({:.0} MB/s); memory {:.1} MB before, peak {:.1} MB, growth {:.1} MB (goal < 10 MB)",
        UPLOAD_BYTES / (1024 * 1024),
        if accepted { "accepted" } else { "REFUSED" },
        elapsed.as_secs_f64(),
        UPLOAD_BYTES as f64 / 1e6 / elapsed.as_secs_f64(),
        baseline as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak.saturating_sub(baseline)) as f64 / 1024.0,
    );
    // The 20 MB of the test body are held by the client side of this process; they are
    // allocated before the baseline, so they do not count as growth.
}
