//! Database connection and migrations.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};

/// The key of the PostgreSQL advisory lock that instances starting together take in
/// turn while they apply migrations.
const MIGRATION_LOCK: i64 = 0x0067_7569_6368_6574; // "guichet"

/// What a pool is opened with (see [`connect_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections kept at most (default: 8 on SQLite, whose connections each run on a
    /// thread of their own, 16 on PostgreSQL).
    pub max_connections: Option<u32>,
    /// SQLite's page cache per connection, in MiB.
    pub sqlite_cache_mb: u64,
    /// SQLite's memory-mapped reads, in MiB of the file (0: none).
    pub sqlite_mmap_mb: u64,
}

impl Default for PoolSettings {
    /// SQLite's defaults, near enough: a 2 MiB cache per connection (SQLite's own is
    /// 2,000 KiB), no memory mapping.
    fn default() -> Self {
        Self {
            max_connections: None,
            sqlite_cache_mb: 2,
            sqlite_mmap_mb: 0,
        }
    }
}

/// Connects to SQLite or PostgreSQL with the default pool (see [`connect_with`]).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, PoolSettings::default()).await
}

/// Connects to SQLite or PostgreSQL. SQLite runs in WAL mode with a busy timeout,
/// foreign keys on, and the page cache and memory mapping of `pool`; the parent folder
/// of its file is created if needed.
pub async fn connect_with(url: &str, pool: PoolSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        if let Some(parent) = sqlite_file(url).and_then(|f| f.parent().map(|p| p.to_path_buf()))
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&parent).map_err(|e| {
                DbErr::Custom(format!(
                    "cannot create the folder {}: {e}",
                    parent.display()
                ))
            })?;
        }
        // Check the URL now so that a bad one is reported clearly.
        SqliteConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("invalid DATABASE_URL: {e}")))?;
        // A negative cache size is in KiB.
        let cache_kib = pool.sqlite_cache_mb.saturating_mul(1024);
        let mmap_bytes = pool.sqlite_mmap_mb.saturating_mul(1024 * 1024);
        options
            .max_connections(pool.max_connections.unwrap_or(8))
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .pragma("cache_size", format!("-{cache_kib}"))
                    .pragma("mmap_size", mmap_bytes.to_string())
            });
    } else {
        // When the database cannot be reached, a request waits at most this long for
        // a connection, then answers 503 (« momentanément indisponible ») instead of
        // hanging; the pool reconnects by itself once the database is back.
        options
            .max_connections(pool.max_connections.unwrap_or(16))
            .acquire_timeout(Duration::from_secs(3));
    }
    Database::connect(options).await
}

/// Applies pending migrations. On PostgreSQL several instances may start at once: each
/// takes a transaction-scoped advisory lock first and applies the migrations inside that
/// transaction, so the second one finds them applied instead of failing on a table
/// that already exists.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    } else {
        Migrator::up(db, None).await
    }
}

/// The file path of a `sqlite://path?query` URL (none for in-memory databases).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.into())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_is_found_in_urls() {
        assert_eq!(
            sqlite_file("sqlite://data/guichet.db?mode=rwc"),
            Some("data/guichet.db".into())
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite:///tmp/a.db"), Some("/tmp/a.db".into()));
    }

    async fn pragma(db: &DatabaseConnection, name: &str) -> i64 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .expect("pragma")
            .expect("a row");
        row.try_get_by_index(0).expect("a number")
    }

    #[tokio::test]
    async fn sqlite_connections_get_the_page_cache_and_mapping_asked_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let db = connect(&url).await.expect("connect");
        assert_eq!(pragma(&db, "cache_size").await, -2048, "2 MiB by default");
        assert_eq!(pragma(&db, "mmap_size").await, 0, "no mapping by default");
        db.close().await.expect("close");

        let pool = PoolSettings {
            max_connections: Some(2),
            sqlite_cache_mb: 16,
            sqlite_mmap_mb: 64,
        };
        let db = connect_with(&url, pool).await.expect("connect");
        assert_eq!(pragma(&db, "cache_size").await, -16 * 1024);
        assert_eq!(pragma(&db, "mmap_size").await, 64 * 1024 * 1024);
    }
}

/// French local time (Europe/Paris): UTC+1, and UTC+2 from the last Sunday of March
/// 01:00 UTC to the last Sunday of October 01:00 UTC (the EU rule).
pub fn paris(at: time::OffsetDateTime) -> time::OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    let year = at.year();
    let last_sunday = |month: time::Month| {
        let mut day = time::Date::from_calendar_date(year, month, 31).unwrap_or(time::Date::MIN);
        while day.weekday() != time::Weekday::Sunday {
            day = day.previous_day().unwrap_or(time::Date::MIN);
        }
        day.with_hms(1, 0, 0)
            .unwrap_or(time::PrimitiveDateTime::MIN)
            .assume_utc()
    };
    let summer = at >= last_sunday(time::Month::March) && at < last_sunday(time::Month::October);
    let hours = if summer { 2 } else { 1 };
    at.to_offset(time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC))
}

/// Today in France, `YYYY-MM-DD`.
pub fn today() -> String {
    let d = paris(now()).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// « 30 novembre 2026 ».
pub fn format_date(at: time::OffsetDateTime) -> String {
    let d = paris(at).date();
    crate::account::model::format_date_fr(&format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// « 30 novembre 2026 à 14 h 05 ».
pub fn format_datetime(at: time::OffsetDateTime) -> String {
    let local = paris(at);
    format!(
        "{} à {} h {:02}",
        format_date(at),
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod time_tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn paris_time_follows_summer_time() {
        assert_eq!(
            format_datetime(datetime!(2026-11-30 13:05 UTC)),
            "30 novembre 2026 à 14 h 05"
        );
        assert_eq!(
            format_datetime(datetime!(2026-07-14 22:30 UTC)),
            "15 juillet 2026 à 0 h 30"
        );
        // 2026-03-29 is the last Sunday of March.
        assert_eq!(
            paris(datetime!(2026-03-29 00:59 UTC))
                .offset()
                .whole_hours(),
            1
        );
        assert_eq!(
            paris(datetime!(2026-03-29 01:00 UTC))
                .offset()
                .whole_hours(),
            2
        );
    }
}
