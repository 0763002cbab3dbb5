//! Server-only plumbing (compiled with the `ssr` feature only).

pub mod audit;
pub mod auth;
pub mod cli;
pub mod db;
pub mod entities;
pub mod form_errors;
pub mod limits;
pub mod mail;
pub mod page_cache;
pub mod password;
pub mod password_policy;
pub mod render_queue;
pub mod second_factor;
pub mod security;
pub mod seed;
pub mod session;
pub mod settings;
pub mod site_files;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tokens;
pub mod totp;
pub mod uploads;
pub mod volume;

pub use state::AppState;

/// Gives a failed call the HTTP status of its error (422, 401, 429…) instead of 500,
/// so that logs and monitoring count only real server errors.
pub fn respond<T>(result: Result<T, crate::error::AppError>) -> Result<T, crate::error::AppError> {
    // A form sent without JavaScript is redirected back to its page: keep that 302.
    let from_form = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if let Err(e) = &result
        && !from_form
    {
        crate::ui::set_status(e.status_code());
    }
    result
}

/// A small complete HTML page in the portal's style, for answers of plain axum
/// handlers (downloads) that are not Leptos pages.
pub fn simple_page(
    status: http::StatusCode,
    title: &str,
    message: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – Guichet</title><link rel=\"stylesheet\" href=\"/pkg/guichet.css\"></head>\
         <body><main id=\"contenu\" class=\"container page\"><h1>{title}</h1>\
         <p class=\"lead\">{message}</p><p><a class=\"button\" href=\"/mon-compte\">Mon compte</a></p>\
         </main></body></html>",
        title = escape(title),
        message = escape(message),
    );
    (status, axum::response::Html(body)).into_response()
}
