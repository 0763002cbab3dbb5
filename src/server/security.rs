//! Cross-site request forgery protection and security headers.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The origins a state-changing request may come from.
#[derive(Clone, Debug)]
pub struct AllowedOrigin {
    /// `scheme://host[:port]` of `GUICHET_PUBLIC_URL`.
    pub public_origin: String,
}

impl AllowedOrigin {
    pub fn from_public_url(public_url: &str) -> Self {
        // `https://host:port/path` → `https://host:port`
        let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
        let host = rest.split('/').next().unwrap_or_default();
        Self {
            public_origin: format!("{scheme}://{host}"),
        }
    }
}

/// Refuses state-changing requests that a browser says come from another site.
///
/// Browsers send `Sec-Fetch-Site` (and `Origin`) with every POST, including plain HTML
/// forms submitted without JavaScript; a request from another site is refused. Requests
/// without either header do not come from a browser page and carry no ambient cookie risk.
pub async fn reject_cross_site(
    State(allowed): State<AllowedOrigin>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !same_site(&allowed, &request) {
        tracing::warn!(
            method = %request.method(),
            uri = %request.uri(),
            origin = ?request.headers().get(header::ORIGIN),
            "cross-site request refused"
        );
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Requête refusée : elle ne provient pas du portail. Revenez sur le portail et réessayez.",
        )
            .into_response();
    }
    next.run(request).await
}

fn same_site(allowed: &AllowedOrigin, request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => {
            origin == allowed.public_origin
                || headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|host| {
                        origin == format!("http://{host}") || origin == format!("https://{host}")
                    })
        }
    }
}

/// The policy of pages that carry no script of ours (files, server function answers).
pub const DEFAULT_CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The policy of HTML pages: only our scripts and the inline hydration script that
/// carries this response's nonce may run.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Inside a page render: makes a nonce for the hydration scripts and sets the page's CSP.
pub fn provide_page_csp() {
    use leptos::prelude::use_context;
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = HeaderValue::from_str(&page_csp(&nonce))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method("POST").uri("/api/x");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn origin_is_checked() {
        let allowed = AllowedOrigin::from_public_url("https://demarches.example/portail");
        assert_eq!(allowed.public_origin, "https://demarches.example");
        assert!(same_site(
            &allowed,
            &post(&[("origin", "https://demarches.example")])
        ));
        assert!(!same_site(
            &allowed,
            &post(&[("origin", "https://evil.example")])
        ));
        assert!(!same_site(&allowed, &post(&[("origin", "null")])));
        assert!(same_site(
            &allowed,
            &post(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ])
        ));
        assert!(same_site(&allowed, &post(&[])));
    }

    #[test]
    fn fetch_metadata_wins() {
        let allowed = AllowedOrigin::from_public_url("http://127.0.0.1:3000");
        assert!(same_site(
            &allowed,
            &post(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(!same_site(
            &allowed,
            &post(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://127.0.0.1:3000")
            ])
        ));
        assert!(!same_site(
            &allowed,
            &post(&[("sec-fetch-site", "same-site")])
        ));
    }
}
