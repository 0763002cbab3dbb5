//! The mail worker: takes due emails from the outbox, sends them, records the outcome.
//!
//! Several instances may run it against one PostgreSQL database: an email is claimed
//! (`FOR UPDATE SKIP LOCKED`, then a lease) by one worker at a time.

use std::time::Duration;

use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, Statement,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Mailer, SendError};
use crate::error::cause_chain;
use crate::server::db::now_ms;
use crate::server::entities::outbox;
use crate::server::settings::MailSettings;

/// How many emails one claim takes.
const BATCH: i64 = 10;

/// Starts the worker; it stops when `shutdown` is cancelled, after the email it is sending.
pub fn spawn_worker(
    db: DatabaseConnection,
    mailer: Mailer,
    settings: MailSettings,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let owner = uuid::Uuid::new_v4().to_string();
        tracing::info!(worker = %owner, "mail worker started");
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            match run_once(&db, &mailer, &settings, &owner, &shutdown).await {
                // A full batch: there may be more waiting.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error.chain = %cause_chain(&e), "mail worker: database error")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = mailer.inner.wake.notified() => {}
                _ = tokio::time::sleep(settings.poll_interval) => {}
            }
        }
        tracing::info!(worker = %owner, "mail worker stopped");
    })
}

/// Claims due emails and tries each once. Returns how many were claimed.
pub async fn run_once(
    db: &DatabaseConnection,
    mailer: &Mailer,
    settings: &MailSettings,
    owner: &str,
    shutdown: &CancellationToken,
) -> Result<usize, DbErr> {
    let batch = claim(db, owner, settings.lease).await?;
    let count = batch.len();
    for row in batch {
        if shutdown.is_cancelled() {
            // Leave it: the lease expires and a worker takes it again.
            release(db, &row, owner).await?;
            continue;
        }
        match mailer.deliver(&row).await {
            Ok(()) => {
                mark_sent(db, &row, owner).await?;
                tracing::info!(outbox.id = row.id, template = %row.template, "email sent");
            }
            Err(error) => record_failure(db, &row, owner, settings, &error).await?,
        }
    }
    Ok(count)
}

async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    lease: Duration,
) -> Result<Vec<outbox::Model>, DbErr> {
    let now = now_ms();
    let backend = db.get_database_backend();
    let skip_locked = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE outbox SET locked_until = $1, lock_owner = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
         AND (locked_until IS NULL OR locked_until <= $3) ORDER BY id LIMIT $4 {skip_locked}) \
         RETURNING *"
    );
    let sql = if backend == DbBackend::Sqlite {
        sql.replace('$', "?")
    } else {
        sql
    };
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            (now + lease.as_millis() as i64).into(),
            owner.into(),
            now.into(),
            BATCH.into(),
        ],
    );
    let rows = db.query_all_raw(statement).await?;
    let mut claimed = rows
        .iter()
        .map(|row| outbox::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// An update of one claimed row that also gives the claim up; it only applies while
/// this worker still owns the row.
fn unlock(row: &outbox::Model, owner: &str) -> sea_orm::UpdateMany<outbox::Entity> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            outbox::Column::LockOwner,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::LockOwner.eq(owner))
}

async fn mark_sent(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    owner: &str,
) -> Result<(), DbErr> {
    unlock(row, owner)
        .col_expr(outbox::Column::Status, Expr::value("sent"))
        .col_expr(outbox::Column::SentAt, Expr::value(now_ms()))
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .exec(db)
        .await?;
    Ok(())
}

async fn release(db: &impl ConnectionTrait, row: &outbox::Model, owner: &str) -> Result<(), DbErr> {
    unlock(row, owner)
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).sub(1),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The delay before attempt `attempts + 1`: doubling from `base`, capped at `max`,
/// with ±10 % jitter so that instances do not retry in step.
pub fn backoff(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let delay = base.saturating_mul(2u32.saturating_pow(exponent)).min(max);
    let jitter = rand::thread_rng().gen_range(0.9..=1.1);
    delay.mul_f64(jitter)
}

async fn record_failure(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    owner: &str,
    settings: &MailSettings,
    error: &SendError,
) -> Result<(), DbErr> {
    let chain = cause_chain(error);
    let give_up = error.is_permanent() || row.attempts as u32 >= settings.max_attempts;
    let delay = backoff(row.attempts, settings.retry_base, settings.retry_max);
    let status = if give_up { "failed" } else { "pending" };
    if give_up {
        tracing::error!(outbox.id = row.id, attempts = row.attempts, error.chain = %chain, "email failed for good");
    } else {
        tracing::warn!(
            outbox.id = row.id,
            attempts = row.attempts,
            retry_in_ms = delay.as_millis() as u64,
            error.chain = %chain,
            "email not sent, will retry"
        );
    }
    unlock(row, owner)
        .col_expr(outbox::Column::Status, Expr::value(status))
        .col_expr(outbox::Column::LastError, Expr::value(chain))
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(now_ms() + delay.as_millis() as i64),
        )
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(3600);
        let first = backoff(1, base, max);
        assert!(first >= Duration::from_secs(9) && first <= Duration::from_secs(11));
        let third = backoff(3, base, max);
        assert!(third >= Duration::from_secs(36) && third <= Duration::from_secs(44));
        let late = backoff(30, base, max);
        assert!(late <= Duration::from_secs(3960) && late >= Duration::from_secs(3240));
    }
}
