//! Typed settings, read once at start: defaults, then the `[guichet]` table of
//! `Leptos.toml`, then environment variables (which win). A bad value stops the start
//! with a message naming the variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name}: {message} (value: {value:?})")]
    Invalid {
        name: &'static str,
        value: String,
        message: String,
    },
    #[error("cannot read the settings file {path}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid TOML")]
    Toml {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

/// How the mail worker paces itself.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// How often the worker looks for due emails when nothing wakes it.
    pub poll_interval: Duration,
    /// First retry delay; each further failure doubles it, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// After this many failed attempts an email is marked failed and logged.
    pub max_attempts: u32,
    /// How long a worker owns an email it is sending before another may take it.
    pub lease: Duration,
}

/// The object storage client's `AWS_*` variables, as (lower-case key, value) pairs.
/// Debug output never shows their values: they hold credentials.
#[derive(Clone, Default)]
pub struct StorageOptions(pub Vec<(String, String)>);

impl std::fmt::Debug for StorageOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(key, _)| key))
            .finish()
    }
}

/// The `AWS_*` variables read for object storage (those of `object_store`'s S3 client).
pub const STORAGE_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// Base of every link written in emails, without a trailing slash.
    pub public_url: String,
    pub data_dir: PathBuf,
    /// Where attachments and documents live; defaults to `<data_dir>/files`.
    pub storage_path: PathBuf,
    /// `s3://bucket/prefix`: attachments and documents on S3-compatible object storage
    /// instead of `storage_path` (needed when several instances serve the portal).
    pub storage_url: Option<String>,
    /// The `AWS_*` variables that configure the object storage client (credentials,
    /// region, endpoint of an S3-compatible server).
    pub storage_options: StorageOptions,
    /// A lettre SMTP URL; when absent, emails are written to `<data_dir>/outbox/*.eml`.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Seed demo démarches and accounts into an empty database.
    pub demo_data: bool,
    pub site_addr: SocketAddr,
    /// Sessions idle for longer than this expire.
    pub session_idle: Duration,
    /// `json` for one JSON object per log line, otherwise human-readable.
    pub log_format: String,
    pub mail: MailSettings,
    /// Whether a reverse proxy of ours sets `X-Forwarded-For` (its last address is then
    /// the client's, for rate limits).
    pub trust_proxy: bool,
    /// The largest attachment accepted, in bytes (`GUICHET_MAX_FILE_MB`, default 20).
    pub max_file_bytes: u64,
    /// A stored file that no row references is removed once it is this old
    /// (`GUICHET_UPLOAD_GRACE_MINUTES`, default 1440: a day). See `uploads::cleaner`.
    pub upload_grace: Duration,
    /// How long a public page, as signed-out visitors see it, is served again before it
    /// is rendered anew (`GUICHET_PAGE_CACHE_MS`, default 1000; 0: never). See
    /// `page_cache`.
    pub page_cache: Duration,
    /// Connections to the database each instance keeps at most
    /// (`GUICHET_DATABASE_MAX_CONNECTIONS`; default 8 on SQLite, 16 on PostgreSQL).
    pub database_max_connections: Option<u32>,
    /// SQLite's page cache, per connection, in MiB (`GUICHET_SQLITE_CACHE_MB`, default 2,
    /// about SQLite's own 2,000 KiB). Not used on PostgreSQL.
    pub sqlite_cache_mb: u64,
    /// How much of the SQLite file is read through memory mapping, in MiB
    /// (`GUICHET_SQLITE_MMAP_MB`, default 0: none, reads go through `pread`). Not used on
    /// PostgreSQL.
    pub sqlite_mmap_mb: u64,
    /// GET requests (pages, downloads) an instance serves at once, the others waiting
    /// their turn (`GUICHET_CONCURRENT_RENDERS`, default 4 per CPU core; 0: no limit).
    /// See `render_queue`.
    pub concurrent_renders: Option<usize>,
    /// How long a GET request that has its turn may take to start its answer before its
    /// render is stopped and the visitor gets the error page
    /// (`GUICHET_PAGE_TIMEOUT_MS`, default 30000; 0: no limit). See `render_queue`.
    pub page_timeout: Option<Duration>,
}

impl Settings {
    /// What the database pool is opened with.
    pub fn pool(&self) -> super::db::PoolSettings {
        super::db::PoolSettings {
            max_connections: self.database_max_connections,
            sqlite_cache_mb: self.sqlite_cache_mb,
            sqlite_mmap_mb: self.sqlite_mmap_mb,
        }
    }
}

/// The variables Guichet reads, in the order the README lists them.
pub const VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "GUICHET_PUBLIC_URL",
    "GUICHET_DATA_DIR",
    "GUICHET_STORAGE_PATH",
    "GUICHET_STORAGE_URL",
    "GUICHET_SMTP_URL",
    "GUICHET_MAIL_FROM",
    "GUICHET_DEMO_DATA",
    "LEPTOS_SITE_ADDR",
    "GUICHET_SESSION_IDLE_MINUTES",
    "GUICHET_LOG_FORMAT",
    "GUICHET_TRUST_PROXY",
    "GUICHET_MAX_FILE_MB",
    "GUICHET_UPLOAD_GRACE_MINUTES",
    "GUICHET_PAGE_CACHE_MS",
    "GUICHET_DATABASE_MAX_CONNECTIONS",
    "GUICHET_SQLITE_CACHE_MB",
    "GUICHET_SQLITE_MMAP_MB",
    "GUICHET_CONCURRENT_RENDERS",
    "GUICHET_MAIL_POLL_MS",
    "GUICHET_MAIL_RETRY_BASE_MS",
    "GUICHET_MAIL_RETRY_MAX_MS",
    "GUICHET_MAIL_MAX_ATTEMPTS",
];

/// The file key of a variable: `GUICHET_PUBLIC_URL` → `public_url`.
fn file_key(name: &str) -> String {
    name.trim_start_matches("GUICHET_")
        .trim_start_matches("LEPTOS_")
        .to_ascii_lowercase()
}

impl Settings {
    /// Reads `Leptos.toml` (or the file named by `GUICHET_CONFIG`) and the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        let path = std::env::var("GUICHET_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let file = read_file_table(Path::new(&path))?;
        Self::from_sources(&file, |name| std::env::var(name).ok())
    }

    /// Builds the settings from a file table and an environment look-up (testable).
    pub fn from_sources(
        file: &HashMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let get = |name: &'static str| -> Option<String> {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| file.get(&file_key(name)).cloned())
        };
        let text = |name: &'static str, default: &str| get(name).unwrap_or_else(|| default.into());

        let data_dir = PathBuf::from(text("GUICHET_DATA_DIR", "data"));
        let default_db = format!("sqlite://{}/guichet.db?mode=rwc", data_dir.display());
        let database_url = text("DATABASE_URL", &default_db);
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(invalid(
                "DATABASE_URL",
                &database_url,
                "expected a sqlite:// or postgres:// URL",
            ));
        }

        let site_addr_text = text("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        let site_addr: SocketAddr = site_addr_text.parse().map_err(|_| {
            invalid(
                "LEPTOS_SITE_ADDR",
                &site_addr_text,
                "expected an address such as 127.0.0.1:3000",
            )
        })?;

        let public_url = text("GUICHET_PUBLIC_URL", &format!("http://{site_addr}"))
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(invalid(
                "GUICHET_PUBLIC_URL",
                &public_url,
                "expected an http:// or https:// URL",
            ));
        }

        let smtp_url = get("GUICHET_SMTP_URL");
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(invalid(
                "GUICHET_SMTP_URL",
                url,
                "expected smtp://host:port or smtps://user:password@host",
            ));
        }

        let mail_from = text(
            "GUICHET_MAIL_FROM",
            "Guichet – Département de la Vallée-Verte <ne-pas-repondre@vallee-verte.example>",
        );
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "GUICHET_MAIL_FROM",
                &mail_from,
                "expected an address such as Name <address@example.org>",
            ));
        }

        let storage_path = get("GUICHET_STORAGE_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("files"));

        let storage_url = get("GUICHET_STORAGE_URL");
        if let Some(url) = &storage_url {
            let bucket = url
                .strip_prefix("s3://")
                .map(|rest| rest.split('/').next().unwrap_or_default());
            if bucket.is_none_or(str::is_empty) {
                return Err(invalid(
                    "GUICHET_STORAGE_URL",
                    url,
                    "expected s3://bucket or s3://bucket/prefix",
                ));
            }
        }
        let storage_options = StorageOptions(
            STORAGE_VARIABLES
                .iter()
                .filter_map(|name| {
                    env(name)
                        .filter(|v| !v.trim().is_empty())
                        .map(|v| (name.to_ascii_lowercase(), v))
                })
                .collect(),
        );

        let log_format = text("GUICHET_LOG_FORMAT", "pretty");
        if log_format != "pretty" && log_format != "json" {
            return Err(invalid(
                "GUICHET_LOG_FORMAT",
                &log_format,
                "expected pretty or json",
            ));
        }

        Ok(Settings {
            database_url,
            public_url,
            storage_path,
            storage_url,
            storage_options,
            data_dir,
            smtp_url,
            mail_from,
            demo_data: boolean(get("GUICHET_DEMO_DATA"), "GUICHET_DEMO_DATA", false)?,
            site_addr,
            session_idle: Duration::from_secs(
                60 * number(
                    get("GUICHET_SESSION_IDLE_MINUTES"),
                    "GUICHET_SESSION_IDLE_MINUTES",
                    30,
                )?,
            ),
            log_format,
            trust_proxy: boolean(get("GUICHET_TRUST_PROXY"), "GUICHET_TRUST_PROXY", false)?,
            max_file_bytes: 1_000_000
                * number(get("GUICHET_MAX_FILE_MB"), "GUICHET_MAX_FILE_MB", 20)?.max(1),
            upload_grace: Duration::from_secs(
                number(
                    get("GUICHET_UPLOAD_GRACE_MINUTES"),
                    "GUICHET_UPLOAD_GRACE_MINUTES",
                    1440,
                )?
                .saturating_mul(60),
            ),
            page_cache: match get("GUICHET_PAGE_CACHE_MS") {
                // 0 is a valid choice here: no cache.
                Some(v) if v.trim() == "0" => Duration::ZERO,
                v => millis(v, "GUICHET_PAGE_CACHE_MS", 1_000)?,
            },
            database_max_connections: match get("GUICHET_DATABASE_MAX_CONNECTIONS") {
                None => None,
                v => Some(
                    u32::try_from(number(v, "GUICHET_DATABASE_MAX_CONNECTIONS", 1)?)
                        .unwrap_or(u32::MAX),
                ),
            },
            sqlite_cache_mb: number(get("GUICHET_SQLITE_CACHE_MB"), "GUICHET_SQLITE_CACHE_MB", 2)?,
            sqlite_mmap_mb: match get("GUICHET_SQLITE_MMAP_MB") {
                // 0 is a valid choice here: no mapping.
                Some(v) if v.trim() == "0" => 0,
                v => number(v, "GUICHET_SQLITE_MMAP_MB", 0)?,
            },
            concurrent_renders: match get("GUICHET_CONCURRENT_RENDERS") {
                Some(v) if v.trim() == "0" => None,
                v => Some(
                    usize::try_from(number(
                        v,
                        "GUICHET_CONCURRENT_RENDERS",
                        4 * std::thread::available_parallelism().map_or(2, |n| n.get()) as u64,
                    )?)
                    .unwrap_or(usize::MAX),
                ),
            },
            page_timeout: match get("GUICHET_PAGE_TIMEOUT_MS") {
                // 0 is a valid choice here: no limit.
                Some(v) if v.trim() == "0" => None,
                v => Some(millis(v, "GUICHET_PAGE_TIMEOUT_MS", 30_000)?),
            },
            mail: MailSettings {
                poll_interval: millis(get("GUICHET_MAIL_POLL_MS"), "GUICHET_MAIL_POLL_MS", 2_000)?,
                retry_base: millis(
                    get("GUICHET_MAIL_RETRY_BASE_MS"),
                    "GUICHET_MAIL_RETRY_BASE_MS",
                    10_000,
                )?,
                retry_max: millis(
                    get("GUICHET_MAIL_RETRY_MAX_MS"),
                    "GUICHET_MAIL_RETRY_MAX_MS",
                    3_600_000,
                )?,
                max_attempts: number(
                    get("GUICHET_MAIL_MAX_ATTEMPTS"),
                    "GUICHET_MAIL_MAX_ATTEMPTS",
                    20,
                )? as u32,
                lease: Duration::from_secs(120),
            },
        })
    }

    /// Whether cookies must carry the `Secure` flag.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

fn invalid(name: &'static str, value: &str, message: &str) -> SettingsError {
    SettingsError::Invalid {
        name,
        value: value.into(),
        message: message.into(),
    }
}

fn number(value: Option<String>, name: &'static str, default: u64) -> Result<u64, SettingsError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| invalid(name, &v, "expected a positive whole number")),
    }
}

fn millis(
    value: Option<String>,
    name: &'static str,
    default: u64,
) -> Result<Duration, SettingsError> {
    number(value, name, default).map(Duration::from_millis)
}

fn boolean(
    value: Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, SettingsError> {
    match value.as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(name, other, "expected true or false")),
    }
}

/// Reads the `[guichet]` table of a TOML file into strings; a missing file is an empty table.
fn read_file_table(path: &Path) -> Result<HashMap<String, String>, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(source) => {
            return Err(SettingsError::File {
                path: path.into(),
                source,
            });
        }
    };
    let value: toml::Table = text.parse().map_err(|source| SettingsError::Toml {
        path: path.into(),
        source,
    })?;
    let mut table = HashMap::new();
    if let Some(toml::Value::Table(section)) = value.get("guichet") {
        for (key, value) in section {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            table.insert(key.clone(), text);
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_give_an_embedded_setup() {
        let s = Settings::from_sources(&HashMap::new(), env_of(&[])).expect("defaults are valid");
        assert_eq!(s.database_url, "sqlite://data/guichet.db?mode=rwc");
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert_eq!(s.storage_path, PathBuf::from("data/files"));
        assert!(s.smtp_url.is_none());
        assert!(!s.demo_data);
        assert!(!s.is_https());
        assert_eq!(s.upload_grace, Duration::from_secs(24 * 3600));
        assert_eq!(s.page_cache, Duration::from_secs(1));
        assert_eq!(s.database_max_connections, None);
        assert_eq!((s.sqlite_cache_mb, s.sqlite_mmap_mb), (2, 0));
    }

    #[test]
    fn sqlite_memory_settings_are_whole_mebibytes() {
        let sqlite = |v: &[(&'static str, &'static str)]| {
            Settings::from_sources(&HashMap::new(), env_of(v))
                .map(|s| (s.sqlite_cache_mb, s.sqlite_mmap_mb))
        };
        assert_eq!(
            sqlite(&[
                ("GUICHET_SQLITE_CACHE_MB", "16"),
                ("GUICHET_SQLITE_MMAP_MB", "256")
            ])
            .expect("valid"),
            (16, 256)
        );
        assert_eq!(
            sqlite(&[("GUICHET_SQLITE_MMAP_MB", "0")]).expect("valid"),
            (2, 0)
        );
        assert!(sqlite(&[("GUICHET_SQLITE_CACHE_MB", "0")]).is_err());
        assert!(sqlite(&[("GUICHET_SQLITE_MMAP_MB", "-1")]).is_err());
        assert!(sqlite(&[("GUICHET_SQLITE_CACHE_MB", "beaucoup")]).is_err());
    }

    #[test]
    fn the_database_pool_size_is_a_positive_number() {
        let size = |v: &str| {
            Settings::from_sources(
                &HashMap::new(),
                env_of(&[("GUICHET_DATABASE_MAX_CONNECTIONS", v)]),
            )
            .map(|s| s.database_max_connections)
        };
        assert_eq!(size("4").expect("valid"), Some(4));
        assert!(size("0").is_err());
        assert!(size("quatre").is_err());
    }

    #[test]
    fn the_render_queue_has_a_default_and_can_be_turned_off() {
        let turns = |v: &[(&'static str, &'static str)]| {
            Settings::from_sources(&HashMap::new(), env_of(v))
                .expect("valid")
                .concurrent_renders
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(turns(&[]), Some(4 * cores));
        assert_eq!(turns(&[("GUICHET_CONCURRENT_RENDERS", "6")]), Some(6));
        assert_eq!(turns(&[("GUICHET_CONCURRENT_RENDERS", "0")]), None);
        assert!(
            Settings::from_sources(
                &HashMap::new(),
                env_of(&[("GUICHET_CONCURRENT_RENDERS", "beaucoup")])
            )
            .is_err()
        );
    }

    #[test]
    fn pages_have_a_deadline_unless_turned_off() {
        let timeout = |vars: &[(&str, &str)]| {
            Settings::from_sources(&HashMap::new(), env_of(vars)).map(|s| s.page_timeout)
        };
        assert_eq!(timeout(&[]).ok(), Some(Some(Duration::from_secs(30))));
        assert_eq!(
            timeout(&[("GUICHET_PAGE_TIMEOUT_MS", "1500")]).ok(),
            Some(Some(Duration::from_millis(1500)))
        );
        assert_eq!(
            timeout(&[("GUICHET_PAGE_TIMEOUT_MS", "0")]).ok(),
            Some(None)
        );
        assert!(timeout(&[("GUICHET_PAGE_TIMEOUT_MS", "bientôt")]).is_err());
    }

    #[test]
    fn the_page_cache_can_be_turned_off() {
        let s = Settings::from_sources(&HashMap::new(), env_of(&[("GUICHET_PAGE_CACHE_MS", "0")]))
            .expect("valid");
        assert_eq!(s.page_cache, Duration::ZERO);
        let s =
            Settings::from_sources(&HashMap::new(), env_of(&[("GUICHET_PAGE_CACHE_MS", "250")]))
                .expect("valid");
        assert_eq!(s.page_cache, Duration::from_millis(250));
        assert!(
            Settings::from_sources(&HashMap::new(), env_of(&[("GUICHET_PAGE_CACHE_MS", "-1")]))
                .is_err()
        );
    }

    #[test]
    fn environment_wins_over_file() {
        let mut file = HashMap::new();
        file.insert("public_url".to_string(), "https://file.example".to_string());
        file.insert("demo_data".to_string(), "true".to_string());
        let s = Settings::from_sources(
            &file,
            env_of(&[("GUICHET_PUBLIC_URL", "https://demarches.example/")]),
        )
        .expect("valid");
        assert_eq!(s.public_url, "https://demarches.example");
        assert!(s.demo_data);
        assert!(s.is_https());

        let mut file = HashMap::new();
        file.insert("upload_grace_minutes".to_string(), "90".to_string());
        let s = Settings::from_sources(&file, env_of(&[])).expect("valid");
        assert_eq!(s.upload_grace, Duration::from_secs(90 * 60));
        let s = Settings::from_sources(&file, env_of(&[("GUICHET_UPLOAD_GRACE_MINUTES", "30")]))
            .expect("valid");
        assert_eq!(s.upload_grace, Duration::from_secs(30 * 60));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let err =
            Settings::from_sources(&HashMap::new(), env_of(&[("LEPTOS_SITE_ADDR", "nowhere")]))
                .expect_err("invalid address");
        assert!(err.to_string().starts_with("LEPTOS_SITE_ADDR:"), "{err}");
        let err =
            Settings::from_sources(&HashMap::new(), env_of(&[("GUICHET_MAIL_POLL_MS", "-3")]))
                .expect_err("invalid number");
        assert!(
            err.to_string().starts_with("GUICHET_MAIL_POLL_MS:"),
            "{err}"
        );
        let err = Settings::from_sources(
            &HashMap::new(),
            env_of(&[("GUICHET_SMTP_URL", "mail.example")]),
        )
        .expect_err("invalid smtp url");
        assert!(err.to_string().starts_with("GUICHET_SMTP_URL:"), "{err}");
        for bad in ["0", "-5", "un jour"] {
            let err = Settings::from_sources(
                &HashMap::new(),
                env_of(&[("GUICHET_UPLOAD_GRACE_MINUTES", bad)]),
            )
            .expect_err("invalid grace");
            assert!(
                err.to_string().starts_with("GUICHET_UPLOAD_GRACE_MINUTES:"),
                "{err}"
            );
        }
    }

    #[test]
    fn object_storage_takes_an_s3_url_and_keeps_credentials_out_of_debug_output() {
        let s = Settings::from_sources(
            &HashMap::new(),
            env_of(&[
                ("GUICHET_STORAGE_URL", "s3://guichet-pieces/production"),
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "tres-secret"),
                ("AWS_ENDPOINT", "http://127.0.0.1:9000"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            s.storage_url.as_deref(),
            Some("s3://guichet-pieces/production")
        );
        assert_eq!(s.storage_options.0.len(), 3);
        assert!(
            s.storage_options
                .0
                .contains(&("aws_secret_access_key".into(), "tres-secret".into()))
        );
        let shown = format!("{s:?}");
        assert!(!shown.contains("tres-secret"), "{shown}");
        assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
        for bad in ["s3://", "/var/lib/guichet", "gs://bucket"] {
            let err =
                Settings::from_sources(&HashMap::new(), env_of(&[("GUICHET_STORAGE_URL", bad)]))
                    .expect_err("invalid storage url");
            assert!(err.to_string().starts_with("GUICHET_STORAGE_URL:"), "{err}");
        }
    }
}
