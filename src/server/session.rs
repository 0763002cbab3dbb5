//! Sessions stored in the database, so that several instances share them.
//!
//! The cookie holds a random 128-bit id; the table holds only its SHA-256, so a copy
//! of the database does not give anyone a valid session.
//!
//! Idle timeout: the cookie lives as long as the browser (no Max-Age, so a shared
//! computer forgets it when closed) and the row expires `idle` after the last request
//! that used it. Every load of a session pushes its expiry back, at most once a minute
//! (a write per active session per minute, not one per request).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait, Set,
};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::entities::{account, session};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    idle: i64,
    /// The sessions this instance pushed back within the last minute, with the expiry it
    /// wrote: the requests of a session that arrive together push it back once, not each
    /// with a write of its own (SQLite runs writes one at a time).
    pushed: Arc<Mutex<HashMap<String, i64>>>,
    /// The accounts read together with their sessions, for the request that loaded them.
    accounts: LoadedAccounts,
}

/// The account of each session loaded, read in the same query as the session and kept
/// until the request that loaded it asks for it (`take`): a signed-in page makes one
/// round trip to the database for both instead of two. What `take` returns is never
/// older than the request's own load of its session (a later load replaces it).
#[derive(Clone, Debug, Default)]
pub struct LoadedAccounts(Arc<Mutex<HashMap<Id, Loaded>>>);

#[derive(Clone, Debug)]
struct Loaded {
    /// The account id the session's row names.
    account_id: i32,
    /// That account if it exists and is active.
    account: Option<account::Model>,
}

/// Accounts kept at most (requests that load a session but never ask for its account,
/// a few per page, leave theirs behind: past this, all are forgotten).
const LOADED_MAX: usize = 10_000;

impl LoadedAccounts {
    fn put(&self, id: Id, loaded: Loaded) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= LOADED_MAX {
            map.clear();
        }
        map.insert(id, loaded);
    }

    /// The account read with session `id` if that session names `account_id`:
    /// `Some(None)` when the account is gone or deactivated, `None` when nothing was
    /// kept for it (read the account instead).
    pub fn take(&self, id: Id, account_id: i32) -> Option<Option<account::Model>> {
        let loaded = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)?;
        (loaded.account_id == account_id).then_some(loaded.account)
    }
}

/// Sessions remembered as pushed back, at most (past this, the older ones are forgotten).
const PUSHED_MAX: usize = 10_000;

/// How stale a session's stored expiry may get before a request pushes it back.
const TOUCH_AFTER_SECONDS: i64 = 60;

impl DbSessionStore {
    /// A store whose sessions expire after 30 idle minutes.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            idle: 30 * 60,
            pushed: Arc::default(),
            accounts: LoadedAccounts::default(),
        }
    }

    /// Keeps the accounts read with the sessions in `accounts` (see [`LoadedAccounts`]).
    pub fn with_accounts(mut self, accounts: LoadedAccounts) -> Self {
        self.accounts = accounts;
        self
    }

    /// Sessions expire after `idle` without a request.
    pub fn with_idle(mut self, idle: std::time::Duration) -> Self {
        self.idle = i64::try_from(idle.as_secs()).unwrap_or(i64::MAX / 2).max(1);
        self
    }

    /// The stored expiry of a record saved now: the record's own (tower-sessions asks for
    /// two weeks with a browser-session cookie), never beyond the idle timeout.
    fn expiry_of(&self, record: &Record, now: i64) -> i64 {
        record.expiry_date.unix_timestamp().min(now + self.idle)
    }
}

fn id_hash(id: &Id) -> String {
    hex_sha256(id.to_string().as_bytes())
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a store error starts when the database cannot be reached (see
/// `AppError::session`, which answers 503 for it).
pub const UNREACHABLE: &str = "database unreachable: ";

fn backend(e: sea_orm::DbErr) -> session_store::Error {
    if crate::error::is_unreachable(&e) {
        session_store::Error::Backend(format!("{UNREACHABLE}{e}"))
    } else {
        session_store::Error::Backend(e.to_string())
    }
}

impl DbSessionStore {
    /// The row of a session record.
    fn row(&self, record: &Record) -> session_store::Result<session::ActiveModel> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let account_id = record
            .data
            .get(crate::server::auth::SESSION_ACCOUNT)
            .and_then(|v| v.as_i64())
            .and_then(|v| i32::try_from(v).ok());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(session::ActiveModel {
            id_hash: Set(id_hash(&record.id)),
            data: Set(data),
            expires_at: Set(self.expiry_of(record, now)),
            account_id: Set(account_id),
        })
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// A new session: its id is drawn again in the (128-bit, so theoretical) case that
    /// another session has it, instead of overwriting that session.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let inserted = session::Entity::insert(self.row(record)?)
                .on_conflict(
                    OnConflict::column(session::Column::IdHash)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted > 0 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = self.row(record)?;
        session::Entity::insert(row)
            .on_conflict(
                OnConflict::column(session::Column::IdHash)
                    .update_columns([
                        session::Column::Data,
                        session::Column::ExpiresAt,
                        session::Column::AccountId,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let Some((row, account)) = session::Entity::find_by_id(id_hash(session_id))
            .filter(session::Column::ExpiresAt.gt(now))
            .select_also(account::Entity)
            .join(JoinType::LeftJoin, session::Relation::Account.def())
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        if let Some(account_id) = row.account_id {
            self.accounts.put(
                *session_id,
                Loaded {
                    account_id,
                    account: account.filter(|a| a.active),
                },
            );
        }
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        // The session is in use: push its expiry back (at most once a minute, and once
        // for the requests of a session that arrive together).
        let mut expires_at = row.expires_at;
        let stale = now + self.idle - TOUCH_AFTER_SECONDS;
        if expires_at < stale {
            let claimed = {
                let mut pushed = self.pushed.lock().unwrap_or_else(|e| e.into_inner());
                match pushed.get(&row.id_hash) {
                    Some(&at) if at >= stale => {
                        expires_at = at;
                        false
                    }
                    _ => {
                        if pushed.len() >= PUSHED_MAX {
                            pushed.retain(|_, at| *at >= stale);
                        }
                        pushed.insert(row.id_hash.clone(), now + self.idle);
                        true
                    }
                }
            };
            if claimed {
                expires_at = now + self.idle;
                let pushed_back = session::Entity::update_many()
                    .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
                    .filter(session::Column::IdHash.eq(row.id_hash.clone()))
                    .filter(session::Column::ExpiresAt.lt(expires_at))
                    .exec(&self.db)
                    .await;
                if let Err(e) = pushed_back {
                    // Not pushed back: the next request tries again.
                    self.pushed
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&row.id_hash);
                    return Err(backend(e));
                }
            }
        }
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(id_hash(session_id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of an account (all devices). The session of the current request,
/// if it is saved again afterwards (a new id after `cycle_id`), survives.
pub async fn end_sessions_of<C: sea_orm::ConnectionTrait>(
    conn: &C,
    account_id: i32,
) -> Result<u64, sea_orm::DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn an_account(id: i32) -> account::Model {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        account::Model {
            id,
            email: format!("a{id}@example.org"),
            password_hash: String::new(),
            civilite: String::new(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            role: "citizen".into(),
            email_verified_at: None,
            active: true,
            birth_date: None,
            address_line: None,
            postal_code: None,
            commune: None,
            phone: None,
            terms_accepted_at: None,
            deleted_at: None,
            created_at: at,
            updated_at: at,
            totp_secret: None,
            totp_last_step: None,
        }
    }

    #[test]
    fn an_account_read_with_its_session_is_given_once_and_only_for_that_account() {
        let accounts = LoadedAccounts::default();
        let (a, b) = (Id::default(), Id::default());
        accounts.put(
            a,
            Loaded {
                account_id: 7,
                account: Some(an_account(7)),
            },
        );
        accounts.put(
            b,
            Loaded {
                account_id: 8,
                account: None,
            },
        );
        // The session now names another account (signed in again): read it instead.
        assert_eq!(accounts.take(a, 9), None);
        // Taken once: a second ask reads the database.
        accounts.put(
            a,
            Loaded {
                account_id: 7,
                account: Some(an_account(7)),
            },
        );
        assert_eq!(accounts.take(a, 7).map(|a| a.map(|a| a.id)), Some(Some(7)));
        assert_eq!(accounts.take(a, 7), None);
        // Gone or deactivated: known, and said.
        assert_eq!(accounts.take(b, 8), Some(None));
    }

    #[test]
    fn the_accounts_kept_are_bounded() {
        let accounts = LoadedAccounts::default();
        for _ in 0..LOADED_MAX + 5 {
            accounts.put(
                Id::default(),
                Loaded {
                    account_id: 1,
                    account: None,
                },
            );
        }
        let kept = accounts.0.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(kept <= LOADED_MAX, "{kept}");
    }
}
