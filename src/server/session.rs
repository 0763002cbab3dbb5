//! Sessions stored in the database, so that several instances share them.
//!
//! The cookie holds a random 128-bit id; the table holds only its SHA-256, so a copy
//! of the database does not give anyone a valid session.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::entities::session;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
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

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let account_id = record
            .data
            .get(crate::server::auth::SESSION_ACCOUNT)
            .and_then(|v| v.as_i64())
            .and_then(|v| i32::try_from(v).ok());
        let row = session::ActiveModel {
            id_hash: Set(id_hash(&record.id)),
            data: Set(data),
            expires_at: Set(record.expiry_date.unix_timestamp()),
            account_id: Set(account_id),
        };
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
        let Some(row) = session::Entity::find_by_id(id_hash(session_id))
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at)
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
