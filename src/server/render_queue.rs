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

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

/// The paths of the site's static files (`/pkg/…` and the files of `public/`).
const STATIC: &[&str] = &["/pkg/", "/favicon.svg"];

/// The turns of one instance; `None`: no queue.
#[derive(Clone, Debug)]
pub struct RenderQueue(Option<Arc<Semaphore>>);

impl RenderQueue {
    /// A queue letting `turns` requests through at once (`None`: no queue).
    pub fn new(turns: Option<usize>) -> Self {
        Self(turns.map(|n| Arc::new(Semaphore::new(n.max(1)))))
    }
}

/// The middleware: waits for a turn, then serves the request.
pub async fn wait_turn(State(queue): State<RenderQueue>, request: Request, next: Next) -> Response {
    let Some(turns) = queue.0.as_ref() else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || STATIC.iter().any(|p| path.starts_with(p))
    {
        return next.run(request).await;
    }
    // The semaphore is never closed; were it, the request would go through unqueued.
    let _turn = turns.acquire().await.ok();
    next.run(request).await
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
        let router = app(RenderQueue::new(Some(3)), now.clone(), most.clone());
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
            app(RenderQueue::new(None), now, most.clone()),
            Method::GET,
            "/",
            12,
        )
        .await;
        assert!(most.load(Ordering::SeqCst) > 3);
    }
}
