//! A short cache of the public pages as a signed-out visitor sees them.
//!
//! The home page, the catalogue, a démarche's page and the help pages are the same for
//! every signed-out visitor, and they are what a rush hits first (a link to a new aid in
//! the local paper). Each is rendered at most once per `GUICHET_PAGE_CACHE_MS` (default
//! one second) and instance; the answers in between are copies, each with a fresh CSP
//! nonce (the only part of the page that differs between two visitors: the nonce of the
//! hydration scripts must not be guessable, so it is never served twice).
//!
//! Never cached: a request that carries the session cookie (its header shows the
//! account), any method but GET, any answer but a 200 HTML page without `Set-Cookie`.
//! A change made by the back-office shows on these pages within the delay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;

use super::security::page_csp;
use super::startup::SESSION_COOKIE;

/// Pages kept at most (the catalogue's searches make new keys): past this, the expired
/// ones go, then the new page is not kept.
const MAX_ENTRIES: usize = 64;
/// A public page is a few tens of kilobytes; a larger answer is not kept.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// The cache shared by the requests of one instance.
#[derive(Clone)]
pub struct PageCache {
    entries: Arc<Mutex<HashMap<String, Arc<Entry>>>>,
    ttl: Duration,
}

/// A rendered page: its headers, and its body cut where the nonce was.
struct Entry {
    at: Instant,
    headers: HeaderMap,
    /// The body between the nonce's occurrences (one more piece than occurrences).
    pieces: Vec<Bytes>,
    len: usize,
}

impl PageCache {
    /// A cache keeping pages for `ttl` (zero: no cache).
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Arc::default(),
            ttl,
        }
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.at.elapsed() < self.ttl)
            .cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.at.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(key, Arc::new(entry));
    }
}

/// The key of a request that may be answered from the cache.
fn cache_key(request: &Request) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let signed_in = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| {
            c.trim_start()
                .strip_prefix(SESSION_COOKIE)
                .is_some_and(|rest| rest.starts_with('='))
        });
    if signed_in {
        return None;
    }
    let uri = request.uri();
    if !is_public_page(uri.path()) {
        return None;
    }
    Some(
        uri.path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| uri.path().to_owned()),
    )
}

/// The pages that are the same for every signed-out visitor.
fn is_public_page(path: &str) -> bool {
    match path {
        "/"
        | "/demarches"
        | "/aide"
        | "/accessibilite"
        | "/mentions-legales"
        | "/conditions-utilisation" => true,
        _ => path
            .strip_prefix("/demarches/")
            .is_some_and(|slug| !slug.is_empty() && !slug.contains('/')),
    }
}

/// The nonce of a page's CSP header (`'nonce-…'`).
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    let nonce = &csp[start..start + len];
    // Long enough not to occur by chance in a page.
    (nonce.len() >= 16).then(|| nonce.to_owned())
}

/// A new nonce: 128 random bits.
fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Cuts `body` where `nonce` occurs.
fn cut(body: &Bytes, nonce: &str) -> Vec<Bytes> {
    let needle = nonce.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + needle.len() <= body.len() {
        if &body[i..i + needle.len()] == needle {
            pieces.push(body.slice(start..i));
            i += needle.len();
            start = i;
        } else {
            i += 1;
        }
    }
    pieces.push(body.slice(start..));
    pieces
}

impl Entry {
    /// The page again, with a fresh nonce in its body and its CSP header.
    fn response(&self) -> Response {
        let nonce = new_nonce();
        let mut body = Vec::with_capacity(self.len + self.pieces.len() * nonce.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = Body::from(body).into_response();
        *response.headers_mut() = self.headers.clone();
        if let Ok(csp) = HeaderValue::from_str(&page_csp(&nonce)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        response
    }
}

/// The middleware: answers from the cache, or renders and keeps the page.
pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    if cache.ttl.is_zero() {
        return next.run(request).await;
    }
    let Some(key) = cache_key(&request) else {
        return next.run(request).await;
    };
    if let Some(entry) = cache.get(&key) {
        return entry.response();
    }
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status() != StatusCode::OK
        || !html
        || response.headers().contains_key(header::SET_COOKIE)
    {
        return response;
    }
    let Some(nonce) = nonce_of(response.headers()) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            // The page could not be read to its end: the visitor gets the error page.
            tracing::error!(
                error.chain = %crate::error::cause_chain(&e),
                page = %key,
                "public page not rendered"
            );
            return crate::server::startup::error_page(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_LENGTH);
    cache.put(
        key,
        Entry {
            at: Instant::now(),
            headers,
            pieces: cut(&bytes, &nonce),
            len: bytes.len(),
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_pages_of_signed_out_visitors_are_kept() {
        let get = |uri: &str, cookie: Option<&str>| {
            let mut b = Request::builder().method("GET").uri(uri);
            if let Some(c) = cookie {
                b = b.header(header::COOKIE, c);
            }
            b.body(Body::empty()).expect("request")
        };
        assert_eq!(cache_key(&get("/", None)).as_deref(), Some("/"));
        assert_eq!(
            cache_key(&get("/demarches?mots=velo", None)).as_deref(),
            Some("/demarches?mots=velo")
        );
        assert!(cache_key(&get("/demarches/aide-permis", None)).is_some());
        assert!(cache_key(&get("/demarches/aide-permis/commencer", None)).is_none());
        assert!(cache_key(&get("/mon-compte", None)).is_none());
        assert!(cache_key(&get("/connexion", None)).is_none());
        assert!(cache_key(&get("/", Some("guichet_session=abc"))).is_none());
        assert!(cache_key(&get("/", Some("theme=dark; guichet_session=abc"))).is_none());
        assert!(cache_key(&get("/", Some("theme=dark"))).is_some());
        let post = Request::builder()
            .method("POST")
            .uri("/")
            .body(Body::empty())
            .expect("request");
        assert!(cache_key(&post).is_none());
    }

    #[test]
    fn the_nonce_is_replaced_everywhere() {
        let nonce = "n7OHrvW1Jqk5AtxhmGtpWA";
        let body = Bytes::from(format!(
            "<script nonce=\"{nonce}\">a</script><p>x</p><script nonce=\"{nonce}\"></script>"
        ));
        let pieces = cut(&body, nonce);
        assert_eq!(pieces.len(), 3);
        assert_eq!(&pieces[0][..], b"<script nonce=\"");
        assert_eq!(&pieces[2][..], b"\"></script>");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&page_csp(nonce)).expect("csp"),
        );
        assert_eq!(nonce_of(&headers).as_deref(), Some(nonce));
        assert_ne!(new_nonce(), new_nonce());
        assert_eq!(new_nonce().len(), 22);
    }
}
