//! Builds the application (database, mail, storage, router) and runs it until stopped.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::mail::{Mailer, spawn_worker};
use super::security::{AllowedOrigin, DEFAULT_CSP, reject_cross_site};
use super::session::DbSessionStore;
use super::settings::Settings;
use super::state::AppState;
use super::storage::Storage;
use super::{db, seed};
use crate::app::{App, shell};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "guichet_session";

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    port: u16,
}

/// Leptos's own options, from the variables cargo-leptos sets (defaults otherwise).
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "guichet"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(settings.site_addr)
        .build()
}

impl Application {
    /// Connects to the database, applies migrations, seeds demo data when asked, and
    /// binds the listener (port 0 picks a free port).
    pub async fn build(
        settings: Settings,
        leptos_options: LeptosOptions,
    ) -> Result<Self, BoxError> {
        let db = db::connect_with(&settings.database_url, settings.pool()).await?;
        db::migrate(&db).await?;
        if settings.demo_data {
            seed::seed_demo(&db).await?;
        }
        let storage = Storage::from_settings(&settings)?;
        let mailer = Mailer::new(&settings)?;
        let listener = TcpListener::bind(settings.site_addr).await?;
        let port = listener.local_addr()?.port();
        let state = AppState {
            db,
            settings: Arc::new(settings),
            mailer,
            storage,
            leptos_options,
            loaded_accounts: Default::default(),
        };
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops the mail worker and waits for it.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), BoxError> {
        let token = CancellationToken::new();
        let worker = spawn_worker(
            self.state.db.clone(),
            self.state.mailer.clone(),
            self.state.settings.mail.clone(),
            token.clone(),
        );
        let cleanup = {
            let store = DbSessionStore::new(self.state.db.clone());
            let db = self.state.db.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let mut hourly = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    tokio::select! {
                        _ = token.cancelled() => break,
                        _ = hourly.tick() => {
                            if let Err(e) = store.delete_expired().await {
                                tracing::error!(error = %e, "expired session clean-up failed");
                            }
                            if let Err(e) = super::limits::delete_expired(&db).await {
                                tracing::error!(error.chain = %crate::error::cause_chain(&e), "rate limit clean-up failed");
                            }
                        }
                    }
                }
            })
        };
        // Files stored but never recorded (a crash between the upload and its row, a
        // form abandoned): removed once older than the grace period, a minute after
        // start, then every hour. Stopping interrupts a sweep safely.
        let uploads = {
            let state = self.state.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let mut hourly = tokio::time::interval_at(
                    tokio::time::Instant::now() + Duration::from_secs(60),
                    Duration::from_secs(3600),
                );
                hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = token.cancelled() => break,
                        _ = hourly.tick() => {
                            tokio::select! {
                                _ = token.cancelled() => break,
                                _ = super::uploads::cleaner::run(&state) => {}
                            }
                        }
                    }
                }
            })
        };
        tracing::info!(
            "Guichet listens on http://{} (public URL {})",
            self.listener.local_addr()?,
            self.state.settings.public_url
        );
        // TCP_NODELAY: a response written in several parts (headers, then a file's
        // bytes) must not wait for the client's delayed ACK (40 ms on Linux).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY could not be set");
            }
        });
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        token.cancel();
        let _ = worker.await;
        let _ = cleanup.await;
        let _ = uploads.await;
        tracing::info!("Guichet stopped");
        served.map_err(Into::into)
    }
}

/// What every page render is given: the state, and a memo of the signed-in account.
pub(super) fn page_context(state: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(state.clone());
        provide_context(super::auth::AccountMemo::default());
    }
}

/// The app's routes, listed once per process.
///
/// Leptos lists them by rendering the whole app once, and while it does, a process-wide
/// flag keeps every resource from loading: a page's resource first polled meanwhile, in
/// any render of the process, waits forever and its page never answers (leptos issue
/// #4773). Listing them once, before any router serves, keeps the flag down while pages
/// render, even where one process builds several routers (the tests start many apps).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP surface: health check, Leptos pages and server functions, static files.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let routes = route_list();
    let settings = state.settings.clone();

    // A browser-session cookie; the idle timeout is kept by the store (see its docs):
    // with `Expiry::OnInactivity` the cookie and the row would only be renewed when the
    // session's data changes, signing out a citizen who is busy but changes nothing.
    let sessions = SessionManagerLayer::new(
        DbSessionStore::new(state.db.clone())
            .with_idle(settings.session_idle)
            .with_accounts(state.loaded_accounts.clone()),
    )
    .with_name(SESSION_COOKIE)
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(settings.is_https())
    .with_path("/")
    .with_expiry(Expiry::OnSessionEnd);

    let request_id = HeaderName::from_static("x-request-id");
    let context_state = state.clone();
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ))
        .into_inner();
    // Several files of the maximum size, and the text.
    let upload_limit = (settings.max_file_bytes as usize).saturating_mul(6) + 1_000_000;
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/mon-compte/mes-donnees.json",
            get(crate::account::service::export_handler),
        )
        .route(
            "/dossiers/{id}/etape/{page}",
            axum::routing::post(crate::dossiers::handlers::page_post).layer(
                axum::extract::DefaultBodyLimit::max(
                    // Several files of the maximum size, and the answers.
                    (settings.max_file_bytes as usize).saturating_mul(10) + 2_000_000,
                ),
            ),
        )
        .route("/pieces/{id}", get(crate::dossiers::handlers::download))
        .route(
            "/instruction/dossiers/{id}/action",
            axum::routing::post(crate::backoffice::handlers::action_post)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/instruction/dossiers/{id}/message",
            axum::routing::post(crate::backoffice::handlers::instructor_message_post)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/instruction/dossiers/{id}/document",
            axum::routing::post(crate::backoffice::handlers::document_post)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/mon-compte/dossiers/{id}/message",
            axum::routing::post(crate::backoffice::handlers::citizen_message_post)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/instruction/demarches/{id}/lot",
            axum::routing::post(crate::backoffice::handlers::bulk_post),
        )
        .route(
            "/instruction/demarches/{id}/export.csv",
            get(crate::backoffice::handlers::export_csv),
        )
        .route(
            "/admin/journal.csv",
            get(crate::admin::handlers::export_csv),
        )
        .route(
            "/documents/{id}",
            get(crate::backoffice::handlers::document_download),
        )
        .route(
            "/messages/pieces/{id}",
            get(crate::backoffice::handlers::message_file_download),
        )
        .route(
            "/mon-compte/dossiers/{id}/copie.pdf",
            get(crate::dossiers::handlers::pdf_copy),
        )
        .leptos_routes_with_context(&state, routes, page_context(context_state), move || {
            shell(leptos_options.clone())
        })
        // Not leptos_axum's `file_and_error_handler`: see `site_files`.
        .fallback_service(super::site_files::service(&state))
        .layer(axum::middleware::from_fn(super::site_files::detach_owner))
        .layer(axum::middleware::from_fn(
            super::form_errors::keep_in_session,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            super::render_queue::RenderQueue::new(
                settings.concurrent_renders,
                settings.page_timeout,
            ),
            super::render_queue::wait_turn,
        ))
        .layer(axum::middleware::from_fn_with_state(
            super::page_cache::PageCache::new(settings.page_cache),
            super::page_cache::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            AllowedOrigin::from_public_url(&settings.public_url),
            reject_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings.trust_proxy,
            crate::server::audit::remember_ip,
        ))
        .with_state(state);

    let app = if settings.is_https() {
        app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        app
    };
    app.layer(headers).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        uri = %request.uri().path(),
                        request_id = %id,
                    )
                }),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(CatchPanicLayer::custom(panic_page)),
    )
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error.chain = %crate::error::cause_chain(&e), "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// The answer to a request whose handler panicked: a plain page in French, same styles.
fn panic_page(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked");
    error_page(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The page of an unexpected error (its cause is logged by the caller).
pub fn error_page(status: StatusCode) -> axum::response::Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Erreur technique – Guichet</title><link rel=\"stylesheet\" href=\"/pkg/guichet.css\"></head>\
         <body><main id=\"contenu\" class=\"container page\"><h1>Erreur technique</h1>\
         <p>Une erreur inattendue s’est produite de notre côté. Vos données déjà enregistrées ne sont pas perdues.</p>\
         <p>Réessayez dans quelques instants. Si le problème persiste, contactez le {}.</p>\
         <p><a href=\"/\">Retour à l’accueil</a></p></main></body></html>",
        crate::branding::DEPARTEMENT
    );
    (status, Html(body)).into_response()
}
