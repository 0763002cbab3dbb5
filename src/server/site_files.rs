//! The site's static files, the « Page introuvable » page, and a guard that keeps one
//! request's reactive owner away from the others.
//!
//! Why not leptos_axum's `file_and_error_handler`: Leptos keeps a *current owner* per
//! thread, and `Owner::new_root` (each page render starts with one) sets it without
//! restoring it, so after a render's first poll the thread still points at that page's
//! root while the page is being rendered. The handler of `file_and_error_handler` makes
//! an owner with `Owner::new()`, a child of whatever is current, then applies the
//! `ResponseOptions` it finds through that owner to the file's answer: another
//! request's page, on the same thread. The file then left with the page's headers (its
//! CSP, a `Set-Cookie`), taken from it, and the page with the default policy, so the
//! browser blocked its hydration scripts. A page of one account could hand its cookie
//! to another visitor's download. Here the files are served by tower-http's `ServeDir`
//! with no owner at all, and Leptos only renders the page of an unknown address.
//!
//! Server functions have the same `Owner::new()`: [`detach_owner`] clears the thread's
//! current owner around every poll of a request, so nothing a request's handler creates
//! is attached to another request's page (and cleaned up, or read, with it).

use std::convert::Infallible;
use std::future::Future;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::Owner;
use tower::Service;
use tower_http::services::ServeDir;

use super::state::AppState;
use crate::app::shell;

/// The files of the site root (`/pkg/…` built by cargo-leptos, the files of `public/`),
/// compressed copies first when the browser accepts them; any other address is
/// answered by [`not_found`].
pub fn service(
    state: &AppState,
) -> ServeDir<
    impl Service<
        Request<Body>,
        Response = Response,
        Error = Infallible,
        Future = impl Future<Output = Result<Response, Infallible>> + Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static,
> {
    ServeDir::new(&*state.leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        // A folder (`/pkg`) is not a page: « Page introuvable ».
        .append_index_html_on_directories(false)
        // A form posted to an unknown address gets the same page, not a bare 405.
        .call_fallback_on_method_not_allowed(true)
        .fallback(Handler::with_state(not_found, state.clone()))
}

/// « Page introuvable »: the app rendered for an address it has no route for (its
/// fallback route says so), answered with 404.
async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        super::startup::page_context(state),
        move || shell(options.clone()),
    );
    let mut response = render(request).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response
}

/// Makes the thread's current reactive owner `None`.
fn clear_current_owner() {
    if let Some(owner) = Owner::current() {
        owner.unset();
    }
}

/// The middleware: polls the request's handler with no reactive owner current on the
/// thread, before and after each poll (see the module's documentation).
pub async fn detach_owner(request: Request, next: Next) -> Response {
    let mut handler = std::pin::pin!(next.run(request));
    std::future::poll_fn(|cx| {
        clear_current_owner();
        let polled = handler.as_mut().poll(cx);
        clear_current_owner();
        polled
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    /// Answers whether the handler found an owner current on its thread.
    async fn owner_seen(router: Router) -> String {
        let request = Request::builder()
            .uri("/")
            .body(Body::empty())
            .expect("request");
        let response = router.oneshot(request).await.expect("response");
        let body = axum::body::to_bytes(response.into_body(), 64)
            .await
            .expect("body");
        String::from_utf8_lossy(&body).into_owned()
    }

    #[tokio::test]
    async fn a_request_does_not_see_the_owner_another_left_on_the_thread() {
        let handler = || async {
            if Owner::current().is_some() {
                "owner"
            } else {
                "none"
            }
        };
        // What a page render's first poll leaves behind (`Owner::new_root` sets it).
        let left = Owner::new();
        left.set();
        let bare = Router::new().route("/", get(handler));
        assert_eq!(owner_seen(bare.clone()).await, "owner", "the leak is real");
        let guarded = bare.layer(axum::middleware::from_fn(detach_owner));
        assert_eq!(owner_seen(guarded).await, "none");
    }
}
