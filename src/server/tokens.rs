//! One-time tokens sent by email (address confirmation, password reset, email change):
//! 256 random bits in the link, only their SHA-256 in the database, an expiry, and a
//! single use enforced by one conditional update.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::account_token;
use super::session::hex_sha256;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }

    /// How long a link stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::from_secs(48 * 3600),
            Purpose::ResetPassword => Duration::from_secs(3600),
            Purpose::ChangeEmail => Duration::from_secs(24 * 3600),
        }
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Creates a token for `account_id` and returns it (to put in a link). Earlier unused
/// tokens of the same purpose stop working: only the latest email counts.
pub async fn issue<C: ConnectionTrait>(
    conn: &C,
    account_id: i32,
    purpose: Purpose,
    new_email: Option<String>,
) -> Result<String, AppError> {
    account_token::Entity::delete_many()
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .exec(conn)
        .await?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = now();
    account_token::Entity::insert(account_token::ActiveModel {
        account_id: Set(account_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(hex_sha256(token.as_bytes())),
        new_email: Set(new_email),
        expires_at: Set(now + purpose.lifetime().as_secs() as i64),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(token)
}

/// The unused, unexpired token row of a link, without using it.
pub async fn peek<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
) -> Result<Option<account_token::Model>, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    Ok(account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(hex_sha256(token.as_bytes())))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(now()))
        .one(conn)
        .await?)
}

/// Uses a token: returns its row if it was valid, and marks it used so that it never
/// works again (two concurrent uses: only one wins the update).
pub async fn consume<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
) -> Result<Option<account_token::Model>, AppError> {
    let Some(row) = peek(conn, token, purpose).await? else {
        return Ok(None);
    };
    let updated = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now()))
        .filter(account_token::Column::Id.eq(row.id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((updated.rows_affected == 1).then_some(row))
}

/// Forgets every token of an account (after a password change or deletion).
pub async fn revoke_all<C: ConnectionTrait>(
    conn: &C,
    account_id: i32,
    purpose: Option<Purpose>,
) -> Result<(), AppError> {
    let mut query = account_token::Entity::delete_many()
        .filter(account_token::Column::AccountId.eq(account_id));
    if let Some(purpose) = purpose {
        query = query.filter(account_token::Column::Purpose.eq(purpose.as_str()));
    }
    query.exec(conn).await?;
    Ok(())
}
