//! A queue in front of the pages an instance renders: at most so many at once, the
//! others wait their turn, first come first served.
//!
//! Without it, every request that arrives starts at once: under a rush (64 connections
//! on 2 cores in the benchmark) some 60 renders share the two cores and the database
//! threads, each one slowed by all the others, and which one finishes first is left to
//! the scheduler, so a few requests wait much longer than the rest. With a queue, the
//! few pages being rendered get the machine and the others wait in arrival order
//! (tokio's semaphore is fair); the memory held by renders under way is bounded too.
//!
//! Only GET and HEAD requests take a turn: pages, and downloads, whose handlers return
//! once the response has started (the file then streams without a turn). Form posts,
//! server functions and uploads do not: an upload or a sign-in (Argon2id) holding a
//! turn for long would keep pages waiting. Neither do the site's static files (the
//! stylesheet, scripts and WASM of `/pkg/`, the files of `public/`), which a browser
//! fetches right after a page. Public pages served from the page cache (`page_cache`,
//! the layer in front of this one) never wait here.
//!
//! A request that got its turn has a deadline (`GUICHET_PAGE_TIMEOUT_MS`, 30 s by
//! default) to start its answer. A render that has not started it by then is stopped:
//! the visitor gets the « Erreur technique » page (503, to be tried again) and the log
//! says which page. Without it a render that never ends (a database that no longer
//! answers, a fault in the framework: its issue #4851 reports pages of a loaded server
//! that never finish) would keep its visitor waiting and hold its turn for good, and a
//! few of them would leave no turn for anyone. Every page is rendered whole before its
//! first byte is sent (`SsrMode::Async`), and a download's or an export's handler
//! returns once its file starts to stream, so the deadline bounds the work, not the
//! transfer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

/// The paths of the site's static files (`/pkg/…` and the files of `public/`).
const STATIC: &[&str] = &["/pkg/", "/favicon.svg"];

/// How long a visitor given the « Erreur technique » page for a render stopped at its
/// deadline is asked to wait before trying again (`Retry-After`, seconds).
const RETRY_AFTER_SECONDS: &str = "5";

/// The turns of one instance, and the deadline of a request that has its turn.
#[derive(Clone, Debug)]
pub struct RenderQueue {
    /// `None`: no queue.
    turns: Option<Arc<Semaphore>>,
    /// `None`: no deadline.
    deadline: Option<Duration>,
}

impl RenderQueue {
    /// A queue letting `turns` requests through at once (`None`: no queue), each given
    /// `deadline` to start its answer (`None`: no deadline).
    pub fn new(turns: Option<usize>, deadline: Option<Duration>) -> Self {
        Self {
            turns: turns.map(|n| Arc::new(Semaphore::new(n.max(1)))),
            deadline,
        }
    }
}

/// The middleware: waits for a turn, then serves the request within its deadline.
pub async fn wait_turn(State(queue): State<RenderQueue>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || STATIC.iter().any(|p| path.starts_with(p))
    {
        return next.run(request).await;
    }
    // The semaphore is never closed; were it, the request would go through unqueued.
    let _turn = match queue.turns.as_ref() {
        Some(turns) => turns.acquire().await.ok(),
        None => None,
    };
    let Some(deadline) = queue.deadline else {
        return next.run(request).await;
    };
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            // Dropping the render's future stops it, and frees its turn. The page is
            // named by the request's span (`startup::router`'s trace layer).
            tracing::error!(
                deadline_ms = deadline.as_millis() as u64,
                "page not rendered by its deadline: render stopped"
            );
            let mut response = crate::server::startup::error_page(StatusCode::SERVICE_UNAVAILABLE);
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tower::ServiceExt;

    /// A handler that records how many requests it serves at once.
    fn app(queue: RenderQueue, now: Arc<AtomicUsize>, most: Arc<AtomicUsize>) -> Router {
        let handler = move || {
            let (now, most) = (now.clone(), most.clone());
            async move {
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                "ok"
            }
        };
        Router::new()
            .route("/", get(handler.clone()).post(handler.clone()))
            .route("/pkg/guichet.js", get(handler))
            .layer(axum::middleware::from_fn_with_state(queue, wait_turn))
    }

    async fn run_together(router: Router, method: Method, uri: &'static str, n: usize) {
        let requests = (0..n).map(|_| {
            let router = router.clone();
            let method = method.clone();
            tokio::spawn(async move {
                let request = Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(Body::empty())
                    .expect("request");
                let response = router.oneshot(request).await.expect("response");
                assert!(response.status().is_success());
            })
        });
        for r in futures::future::join_all(requests).await {
            r.expect("task");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn pages_wait_their_turn_and_posts_do_not() {
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let router = app(RenderQueue::new(Some(3), None), now.clone(), most.clone());
        run_together(router.clone(), Method::GET, "/", 12).await;
        assert_eq!(
            most.load(Ordering::SeqCst),
            3,
            "GET requests beyond 3 waited"
        );

        most.store(0, Ordering::SeqCst);
        run_together(router.clone(), Method::POST, "/", 12).await;
        assert!(
            most.load(Ordering::SeqCst) > 3,
            "POST requests are not queued"
        );

        most.store(0, Ordering::SeqCst);
        run_together(router, Method::GET, "/pkg/guichet.js", 12).await;
        assert!(
            most.load(Ordering::SeqCst) > 3,
            "static files are not queued"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn without_a_queue_every_request_runs_at_once() {
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        run_together(
            app(RenderQueue::new(None, None), now, most.clone()),
            Method::GET,
            "/",
            12,
        )
        .await;
        assert!(most.load(Ordering::SeqCst) > 3);
    }

    /// A render that does not start its answer by the deadline is stopped: the visitor
    /// gets the error page to try again, and its turn goes to the next request.
    #[tokio::test]
    async fn a_render_past_its_deadline_is_stopped_and_frees_its_turn() {
        let router = Router::new()
            .route("/", get(std::future::pending::<&'static str>))
            .route("/vite", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                RenderQueue::new(Some(1), Some(Duration::from_millis(50))),
                wait_turn,
            ));
        let get_page = |uri: &'static str| {
            let router = router.clone();
            async move {
                let request = Request::builder()
                    .uri(uri)
                    .body(Body::empty())
                    .expect("request");
                // Were the turn kept by the stopped render, the next request would
                // wait for it for good: this bound turns that into a failure.
                tokio::time::timeout(Duration::from_secs(10), router.oneshot(request))
                    .await
                    .expect("answered")
                    .expect("response")
            }
        };
        for _ in 0..3 {
            let response = get_page("/").await;
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response.headers().get(header::RETRY_AFTER),
                Some(&HeaderValue::from_static(RETRY_AFTER_SECONDS))
            );
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .expect("body");
            let body = String::from_utf8_lossy(&body);
            assert!(body.contains("Erreur technique"), "{body}");
            assert!(body.contains("lang=\"fr\""));
        }
        assert_eq!(get_page("/vite").await.status(), StatusCode::OK);
    }
}
