//! The error of a form posted to a server function, kept in the session rather than in
//! the address.
//!
//! Every form of the portal posts as a browser does (the pages are documents; only their
//! islands run code in the browser), and comes back to its page through a redirect that
//! Leptos writes with the error in the address (`?__path=…&__err=…`, the serialised
//! error with what was typed, an email address). The page renders the error from there.
//! Every failed sign-in would leave the typed email in the browser's history and in any
//! proxy's logs.
//!
//! So the redirect's `__path` and `__err` go into the session (one kept
//! error, for one path) and the browser is sent to the bare address; the next GET of
//! that address takes the error out of the session and hands the page render the
//! address with them, as if they were there. The page is rendered as before, and reading
//! it again (or another tab) shows it without the error. The islands of the page get
//! the error the server rendered, in their props.

use axum::extract::Request;
use axum::http::{Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// The session key of the kept error.
const KEY: &str = "form_error";

/// The error of a form, for the next GET of `path`.
#[derive(Debug, Serialize, Deserialize)]
struct KeptError {
    path: String,
    /// `__path=…&__err=…`, as Leptos wrote them.
    query: String,
}

/// Splits a query into Leptos's error parameters and the others.
fn split_error(query: &str) -> (Vec<&str>, Vec<&str>) {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .partition(|p| p.starts_with("__path=") || p.starts_with("__err="))
}

/// Whether a GET of `path` may be the page a form came back to: not a file of the site
/// (`/pkg/…`, `favicon.svg`, a `.csv` or `.pdf` download). Only those GETs read the
/// session here: the files a page loads would otherwise each read it from the database.
fn may_be_a_page(path: &str) -> bool {
    !path.starts_with("/pkg/") && !path.rsplit('/').next().unwrap_or_default().contains('.')
}

/// The middleware (inside the session layer).
pub async fn keep_in_session(session: Session, mut request: Request, next: Next) -> Response {
    if request.method() == Method::GET && may_be_a_page(request.uri().path()) {
        restore(&session, &mut request).await;
    }
    let mut response = next.run(request).await;
    if response.status().is_redirection()
        && let Some(location) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Uri>().ok())
        && let Some(query) = location.query()
        && query.contains("__err=")
    {
        let (error, others) = split_error(query);
        let kept = KeptError {
            path: location.path().to_owned(),
            query: error.join("&"),
        };
        let bare = if others.is_empty() {
            kept.path.clone()
        } else {
            format!("{}?{}", kept.path, others.join("&"))
        };
        match (
            session.insert(KEY, &kept).await,
            header::HeaderValue::from_str(&bare),
        ) {
            (Ok(()), Ok(value)) => {
                response.headers_mut().insert(header::LOCATION, value);
            }
            // Left as Leptos wrote it: the page still shows the error.
            (Err(e), _) => tracing::warn!(error = %e, "could not keep a form's error"),
            (_, Err(e)) => tracing::warn!(error = %e, "could not rewrite a form's redirect"),
        }
    }
    response
}

/// Gives the request of `path` the error kept for it, once.
async fn restore(session: &Session, request: &mut Request) {
    let kept = match session.get::<KeptError>(KEY).await {
        Ok(Some(kept)) if kept.path == request.uri().path() => kept,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not read a form's kept error");
            return;
        }
    };
    if let Err(e) = session.remove::<KeptError>(KEY).await {
        tracing::warn!(error = %e, "could not forget a form's kept error");
    }
    let uri = request.uri();
    let path_and_query = match uri.query() {
        Some(query) if !query.is_empty() => {
            format!("{}?{query}&{}", uri.path(), kept.query)
        }
        _ => format!("{}?{}", uri.path(), kept.query),
    };
    let mut parts = uri.clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => parts.path_and_query = Some(pq),
        Err(e) => {
            tracing::warn!(error = %e, "a form's kept error is not a query");
            return;
        }
    }
    match Uri::from_parts(parts) {
        Ok(with_error) => *request.uri_mut() = with_error,
        Err(e) => tracing::warn!(error = %e, "a form's kept error is not a query"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_read_the_kept_error() {
        for page in [
            "/",
            "/connexion",
            "/mon-compte/donnees-personnelles",
            "/admin/demarches/3",
        ] {
            assert!(may_be_a_page(page), "{page}");
        }
        for file in [
            "/pkg/guichet.wasm",
            "/pkg/guichet.css",
            "/favicon.svg",
            "/admin/journal.csv",
            "/mon-compte/dossiers/4/copie.pdf",
        ] {
            assert!(!may_be_a_page(file), "{file}");
        }
    }

    #[test]
    fn the_error_parameters_are_told_apart() {
        let (error, others) = split_error("q=velo&__path=%2Fapi%2Fsign_in&__err=abc%3D&page=2");
        assert_eq!(error, ["__path=%2Fapi%2Fsign_in", "__err=abc%3D"]);
        assert_eq!(others, ["q=velo", "page=2"]);
        assert_eq!(split_error(""), (vec![], vec![]));
    }
}
