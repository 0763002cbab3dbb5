pub mod app;
pub mod smtp;

pub use app::Spawned;

pub use app::{TestApp, TestDatabase, spawn_app, spawn_app_with};
pub use smtp::SmtpSink;

use std::time::Duration;

/// The longest a test's HTTP request may take: past it the request fails, and so the
/// test, with the request's address (a hang would otherwise hold CI until its limit).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A port nothing listens on (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A valid PDF of `size` bytes: one page and a binary stream of pseudo-random bytes, like
/// a scanned image (for uploads larger than one storage part).
pub fn big_pdf(size: usize) -> Vec<u8> {
    let head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n";
    let tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n";
    let body = size - head.len() - tail.len() - 64;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head);
    out.extend_from_slice(
        format!("4 0 obj\n<< /Length {body} /Filter /DCTDecode >>\nstream\n").as_bytes(),
    );
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..body {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Bytes 0x80..=0xFF only: no text tag or archive signature can appear.
        out.push(0x80 | (state as u8));
    }
    out.extend_from_slice(tail);
    out
}

/// A page's HTML without Leptos's hydration markers (`<!>`, written between a text and
/// what follows it), so that a test can look for `<h1>Aide</h1>` whatever the renderer
/// (the type-erased views of `.cargo/config.toml` write more of them).
pub fn html_of(page: &str) -> String {
    page.replace("<!>", "")
}
