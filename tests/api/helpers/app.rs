//! `spawn_app()`: the real application on port 0, with a fresh database and a real
//! SMTP server.

use std::collections::HashMap;
use std::time::Duration;

use guichet::server::AppState;
use guichet::server::settings::Settings;
use guichet::server::startup::{Application, leptos_options};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::smtp::SmtpSink;

/// A database of its own for one test: a SQLite file in a temporary folder, or a new
/// PostgreSQL database when `GUICHET_TEST_POSTGRES_URL` is set.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match std::env::var("GUICHET_TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("guichet_test_{}", uuid_like());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to GUICHET_TEST_POSTGRES_URL");
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE \"{name}\""),
                    ))
                    .await
                    .expect("create the test database");
                with_database(&admin_url, &name)
            }
            _ => format!("sqlite://{}/guichet.db?mode=rwc", dir.path().display()),
        };
        Self { url, dir }
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}{:x}", std::process::id())
}

/// `postgres://u:p@h:5432/postgres?x` → `postgres://u:p@h:5432/<name>?x`
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{name}{query}")
}

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// The settings of a test app: fast mail retries, files in the test's folder.
pub fn test_settings(db: &TestDatabase, smtp_url: &str, demo: bool) -> Settings {
    test_settings_with(db, smtp_url, demo, &[])
}

/// [`test_settings`] with more variables (or other values) on top.
pub fn test_settings_with(
    db: &TestDatabase,
    smtp_url: &str,
    demo: bool,
    extra: &[(&'static str, String)],
) -> Settings {
    let mut env = HashMap::new();
    env.insert("DATABASE_URL", db.url.clone());
    env.insert("GUICHET_DATA_DIR", db.dir.path().display().to_string());
    env.insert("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_string());
    env.insert("GUICHET_PUBLIC_URL", "http://127.0.0.1:3000".to_string());
    env.insert("GUICHET_SMTP_URL", smtp_url.to_string());
    env.insert("GUICHET_DEMO_DATA", demo.to_string());
    env.insert("GUICHET_MAIL_POLL_MS", "100".to_string());
    env.insert("GUICHET_MAIL_RETRY_BASE_MS", "150".to_string());
    env.insert("GUICHET_MAIL_RETRY_MAX_MS", "600".to_string());
    // Tests change the database between two requests of a page: every request renders
    // (the cache of public pages has its own test, `pages::public_pages_…`).
    env.insert("GUICHET_PAGE_CACHE_MS", "0".to_string());
    for (name, value) in extra {
        env.insert(*name, value.clone());
    }
    Settings::from_sources(&HashMap::new(), |name| env.get(name).cloned())
        .expect("valid test settings")
}

impl TestApp {
    /// Starts an app on `db`, sending mail to `smtp_url`.
    pub async fn start(db: &TestDatabase, smtp_url: &str) -> Self {
        Self::start_with(test_settings(db, smtp_url, true)).await
    }

    pub async fn start_with(settings: Settings) -> Self {
        // Logs only when asked (TEST_LOG=1), so that test output stays readable.
        if std::env::var_os("TEST_LOG").is_some() {
            guichet::server::telemetry::init("pretty");
        }
        // The site root holds what the build copies from public/: the favicon is enough
        // to test static files without running cargo-leptos first.
        let site_root = settings.data_dir.join("site");
        std::fs::create_dir_all(&site_root).expect("site root");
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/public/favicon.svg"),
            site_root.join("favicon.svg"),
        )
        .expect("copy the favicon");
        let mut options = leptos_options(&settings);
        options.site_root = site_root.display().to_string().into();
        let app = Application::build(settings, options)
            .await
            .expect("the application starts");
        let port = app.port();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("the application runs");
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(super::REQUEST_TIMEOUT)
            .build()
            .expect("http client");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            db: state.db.clone(),
            state,
            client,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// Stops the app gracefully and waits until its mail worker has stopped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(20), handle)
                .await
                .expect("the app stops within 20 s")
                .expect("the app task ends cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Calls a server function the way the browser's client does (URL-encoded POST).
    pub async fn call<S: leptos::server_fn::ServerFn>(
        &self,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(S::PATH))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent")
    }
}

/// A test app with its own database and SMTP server.
pub struct Spawned {
    pub app: TestApp,
    pub smtp: SmtpSink,
    pub database: TestDatabase,
}

impl std::ops::Deref for Spawned {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

pub async fn spawn_app() -> Spawned {
    spawn_app_with(&[]).await
}

/// [`spawn_app`] with more settings (e.g. object storage).
pub async fn spawn_app_with(extra: &[(&'static str, String)]) -> Spawned {
    let database = TestDatabase::new().await;
    let smtp = SmtpSink::start().await;
    let app = TestApp::start_with(test_settings_with(&database, &smtp.url(), true, extra)).await;
    Spawned {
        app,
        smtp,
        database,
    }
}
