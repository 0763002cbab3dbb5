//! Rate limits and temporary locks, counted in the database so that every instance of
//! the portal sees the same counters.
//!
//! A limit counts events under a key over a window. Once `max` events are counted, the
//! key is locked for `lock` from that moment (until then, or until the window ends,
//! further events are refused). Keys hash their personal part (an email address), so the
//! table holds no personal data.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};

use super::entities::rate_limit;
use super::session::hex_sha256;
use crate::error::AppError;

/// How many events a key may count over a window, and how long it stays locked after.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// A short name, the prefix of the key.
    pub name: &'static str,
    pub max: i32,
    pub window: Duration,
    pub lock: Duration,
}

/// Failed sign-ins for one email address: 6 in an hour lock it for an hour, as
/// démarches-simplifiées does. Unknown addresses are counted the same way.
pub const SIGNIN_ACCOUNT: Limit = Limit {
    name: "signin-account",
    max: 6,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

/// Failed sign-ins from one IP address (a whole office may share one): 30 in 15 minutes.
pub const SIGNIN_IP: Limit = Limit {
    name: "signin-ip",
    max: 30,
    window: Duration::from_secs(900),
    lock: Duration::from_secs(900),
};

/// Accounts created from one IP address.
pub const SIGNUP_IP: Limit = Limit {
    name: "signup-ip",
    max: 10,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

/// Emails sent to one address on request (reset link, verification link again, sign-up
/// of a known address): 5 an hour, so the portal cannot be used to flood a mailbox.
pub const EMAIL_REQUESTS: Limit = Limit {
    name: "email-requests",
    max: 5,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

/// Reset and resend requests from one IP address.
pub const EMAIL_REQUESTS_IP: Limit = Limit {
    name: "email-requests-ip",
    max: 30,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

/// Wrong current passwords given by a signed-in person (password or email change,
/// account deletion).
pub const REAUTH: Limit = Limit {
    name: "reauth",
    max: 6,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

/// Wrong share keys typed by one account: 10 an hour.
pub const JOIN_ACCOUNT: Limit = Limit {
    name: "join-account",
    max: 10,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

/// Wrong share keys typed from one IP address: 30 an hour.
pub const JOIN_IP: Limit = Limit {
    name: "join-ip",
    max: 30,
    window: Duration::from_secs(3600),
    lock: Duration::from_secs(3600),
};

impl Limit {
    /// The key of this limit for a subject (an email, an IP address, an account id).
    pub fn key(&self, subject: &str) -> String {
        format!("{}:{}", self.name, hex_sha256(subject.as_bytes()))
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn refused(until: i64) -> AppError {
    AppError::RateLimited {
        retry_after_secs: (until - now()).max(1) as u64,
    }
}

/// Refuses if the key is locked, without counting.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    limit: Limit,
    subject: &str,
) -> Result<(), AppError> {
    let row = rate_limit::Entity::find_by_id(limit.key(subject))
        .one(conn)
        .await?;
    match row {
        Some(row) if row.count >= limit.max && row.window_ends_at > now() => {
            Err(refused(row.window_ends_at))
        }
        _ => Ok(()),
    }
}

/// The counter of a key after an event.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub count: i32,
    /// Unix seconds: the end of the window, or of the lock once `count` reached the max.
    pub until: i64,
}

impl Hit {
    /// Whether this event reached the limit (the key is now locked).
    pub fn reached(&self, limit: Limit) -> bool {
        self.count >= limit.max
    }

    pub fn error(&self) -> AppError {
        refused(self.until)
    }
}

/// Counts one event; the `max`-th is still allowed. Refuses events beyond it until the
/// lock ends.
pub async fn hit<C: ConnectionTrait>(
    conn: &C,
    limit: Limit,
    subject: &str,
) -> Result<(), AppError> {
    let hit = record(conn, limit, subject).await?;
    if hit.count > limit.max {
        Err(hit.error())
    } else {
        Ok(())
    }
}

/// Counts one event and returns the counter.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    limit: Limit,
    subject: &str,
) -> Result<Hit, AppError> {
    let now = now();
    let window_end = now + limit.window.as_secs() as i64;
    let lock_end = now + limit.lock.as_secs() as i64;
    // One atomic statement: a new window when the previous one is over, otherwise one
    // more; reaching the maximum starts the lock. SQLite ≥ 3.35 and PostgreSQL agree.
    let sql = "INSERT INTO rate_limit (key, count, window_ends_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN rate_limit.window_ends_at <= $3 THEN 1 ELSE rate_limit.count + 1 END, \
           window_ends_at = CASE \
             WHEN rate_limit.window_ends_at <= $3 THEN $2 \
             WHEN rate_limit.count + 1 = $4 THEN $5 \
             ELSE rate_limit.window_ends_at END \
         RETURNING count, window_ends_at";
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                limit.key(subject).into(),
                window_end.into(),
                now.into(),
                limit.max.into(),
                lock_end.into(),
            ],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    Ok(Hit {
        count: row.try_get("", "count")?,
        until: row.try_get("", "window_ends_at")?,
    })
}

/// Forgets the events of a key (a successful sign-in clears the failures of its account).
pub async fn clear<C: ConnectionTrait>(
    conn: &C,
    limit: Limit,
    subject: &str,
) -> Result<(), AppError> {
    rate_limit::Entity::delete_by_id(limit.key(subject))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes the counters whose window is over (run with the hourly clean-up).
pub async fn delete_expired<C: ConnectionTrait>(conn: &C) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(rate_limit::Entity::delete_many()
        .filter(rate_limit::Column::WindowEndsAt.lte(now()))
        .exec(conn)
        .await?
        .rows_affected)
}
