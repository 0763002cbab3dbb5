//! The second factor of staff accounts (instructors, administrators): a TOTP code from
//! an authenticator app, or a single-use recovery code; « trust this device for 30
//! days » with a random token in a cookie (only its hash in the database).
//!
//! Between the password and the code, the session holds a *pending* sign-in (account,
//! deadline, where to go next) under a fresh session id; the signed-in session starts
//! only once the code is right.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::entities::{account, recovery_code, trusted_device};
use super::session::hex_sha256;
use super::state::AppState;
use super::{auth, limits, totp};
use crate::error::AppError;

const PENDING: &str = "second_factor_pending";
const RECOVERY_ONCE: &str = "recovery_codes_once";
/// The cookie of a trusted device.
pub const DEVICE_COOKIE: &str = "guichet_appareil";
const TRUST: Duration = Duration::from_secs(30 * 24 * 3600);
/// Minutes between the password and the code.
const PENDING_LIFETIME: i64 = 10 * 60;

/// Wrong codes for one account: 5 in 15 minutes lock it for 15 minutes.
pub const CODE_ACCOUNT: limits::Limit = limits::Limit {
    name: "second-factor",
    max: 5,
    window: Duration::from_secs(900),
    lock: Duration::from_secs(900),
};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    account_id: i32,
    until: i64,
    retour: String,
    /// The secret being enrolled (not stored on the account until confirmed).
    secret: Option<String>,
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    AppError::internal("session access failed", &e)
}

/// After the password: remembers the pending sign-in under a new session id and says
/// where to go (the code, or the enrolment for a first sign-in).
pub async fn begin(
    session: &Session,
    account: &account::Model,
    retour: String,
) -> Result<&'static str, AppError> {
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(
            PENDING,
            Pending {
                account_id: account.id,
                until: unix_now() + PENDING_LIFETIME,
                retour,
                secret: None,
            },
        )
        .await
        .map_err(session_err)?;
    Ok(if account.totp_secret.is_some() {
        "/connexion/code"
    } else {
        "/connexion/activer-code"
    })
}

async fn pending(
    state: &AppState,
    session: &Session,
) -> Result<(Pending, account::Model), AppError> {
    let pending: Pending = session
        .get(PENDING)
        .await
        .map_err(session_err)?
        .filter(|p: &Pending| p.until > unix_now())
        .ok_or(AppError::Unauthenticated)?;
    let account = account::Entity::find_by_id(pending.account_id)
        .filter(account::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((pending, account))
}

/// What the enrolment page shows.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub email: String,
    pub secret: String,
    pub qr_svg: String,
}

/// The enrolment of a first sign-in: a new secret, kept in the session until a code
/// proves that the app has it.
pub async fn enrolment(state: &AppState, session: &Session) -> Result<Enrolment, AppError> {
    let (mut p, account) = pending(state, session).await?;
    if account.totp_secret.is_some() {
        // Already enrolled: a second enrolment needs the current code first.
        return Err(AppError::Forbidden);
    }
    let secret = match &p.secret {
        Some(s) => s.clone(),
        None => {
            let s = totp::new_secret();
            p.secret = Some(s.clone());
            session.insert(PENDING, &p).await.map_err(session_err)?;
            s
        }
    };
    Ok(Enrolment {
        qr_svg: totp::qr_svg(&totp::otpauth_uri(&secret, &account.email)),
        secret: totp::format_secret(&secret),
        email: account.email,
    })
}

fn wrong_code() -> AppError {
    AppError::field(
        "code",
        "Ce code n’est pas valide. Saisissez le code à 6 chiffres affiché en ce moment par votre application (il change toutes les 30 secondes), ou un code de secours.",
    )
}

async fn count_failure(state: &AppState, account_id: i32) -> Result<AppError, AppError> {
    let email = crate::server::entities::account::Entity::find_by_id(account_id)
        .one(&state.db)
        .await?
        .map(|a| a.email)
        .unwrap_or_default();
    let mut actor = crate::server::audit::Actor::anonymous(&email).await;
    actor.id = Some(account_id);
    crate::server::audit::Audit::new(crate::admin::model::AuditAction::SecondFactorFailed)
        .on("compte", account_id, &email)
        .write_logged(&state.db, &actor)
        .await;
    let hit = limits::record(&state.db, CODE_ACCOUNT, &account_id.to_string()).await?;
    Ok(if hit.reached(CODE_ACCOUNT) {
        hit.error()
    } else {
        wrong_code()
    })
}

/// Confirms the enrolment with a first code: stores the secret, makes the recovery
/// codes (shown once, on the next page), and starts the signed-in session.
pub async fn confirm_enrolment(
    state: &AppState,
    session: &Session,
    code: &str,
    trust: bool,
) -> Result<String, AppError> {
    let (p, account) = pending(state, session).await?;
    let secret = p.secret.clone().ok_or(AppError::Unauthenticated)?;
    limits::check(&state.db, CODE_ACCOUNT, &account.id.to_string()).await?;
    let Some(step) = totp::verify(&secret, code, unix_now().max(0) as u64, None) else {
        return Err(count_failure(state, account.id).await?);
    };
    let codes = totp::new_recovery_codes();
    let txn = state.db.begin().await?;
    let updated = account::Entity::update_many()
        .col_expr(account::Column::TotpSecret, Expr::value(Some(secret)))
        .col_expr(account::Column::TotpLastStep, Expr::value(Some(step)))
        .filter(account::Column::Id.eq(account.id))
        .filter(account::Column::TotpSecret.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Err(AppError::Forbidden);
    }
    replace_recovery_codes(&txn, account.id, &codes).await?;
    txn.commit().await?;
    limits::clear(&state.db, CODE_ACCOUNT, &account.id.to_string()).await?;
    finish(state, session, &account, trust).await?;
    session
        .insert(RECOVERY_ONCE, codes)
        .await
        .map_err(session_err)?;
    Ok("/connexion/codes-de-secours".to_owned())
}

async fn replace_recovery_codes<C: sea_orm::ConnectionTrait>(
    conn: &C,
    account_id: i32,
    codes: &[String],
) -> Result<(), AppError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    recovery_code::Entity::insert_many(codes.iter().map(|c| recovery_code::ActiveModel {
        id: NotSet,
        account_id: Set(account_id),
        code_hash: Set(totp::recovery_hash(c)),
        used_at: Set(None),
    }))
    .exec(conn)
    .await?;
    Ok(())
}

/// The recovery codes just made, once (the page that shows them reads them).
pub async fn take_recovery_codes(session: &Session) -> Result<Vec<String>, AppError> {
    let codes: Option<Vec<String>> = session.get(RECOVERY_ONCE).await.map_err(session_err)?;
    if codes.is_some() {
        session
            .remove::<Vec<String>>(RECOVERY_ONCE)
            .await
            .map_err(session_err)?;
    }
    Ok(codes.unwrap_or_default())
}

/// Checks the code of a sign-in (TOTP, or a recovery code) and starts the session.
/// Returns where to go.
pub async fn verify(
    state: &AppState,
    session: &Session,
    code: &str,
    trust: bool,
) -> Result<String, AppError> {
    let (p, account) = pending(state, session).await?;
    let secret = account
        .totp_secret
        .clone()
        .ok_or(AppError::Unauthenticated)?;
    let subject = account.id.to_string();
    limits::check(&state.db, CODE_ACCOUNT, &subject).await?;
    let ok = match totp::verify(
        &secret,
        code,
        unix_now().max(0) as u64,
        account.totp_last_step,
    ) {
        // One conditional update: two requests with the same code cannot both pass.
        Some(step) => {
            account::Entity::update_many()
                .col_expr(account::Column::TotpLastStep, Expr::value(Some(step)))
                .filter(account::Column::Id.eq(account.id))
                .filter(
                    Condition::any()
                        .add(account::Column::TotpLastStep.is_null())
                        .add(account::Column::TotpLastStep.lt(step)),
                )
                .exec(&state.db)
                .await?
                .rows_affected
                == 1
        }
        None => use_recovery_code(state, account.id, code).await?,
    };
    if !ok {
        return Err(count_failure(state, account.id).await?);
    }
    limits::clear(&state.db, CODE_ACCOUNT, &subject).await?;
    finish(state, session, &account, trust).await?;
    Ok(p.retour)
}

async fn use_recovery_code(
    state: &AppState,
    account_id: i32,
    code: &str,
) -> Result<bool, AppError> {
    let hash = totp::recovery_hash(code);
    let used = recovery_code::Entity::update_many()
        .col_expr(
            recovery_code::Column::UsedAt,
            Expr::value(Some(super::db::now())),
        )
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(used.rows_affected == 1)
}

async fn finish(
    state: &AppState,
    session: &Session,
    account: &account::Model,
    trust: bool,
) -> Result<(), AppError> {
    session
        .remove::<Pending>(PENDING)
        .await
        .map_err(session_err)?;
    auth::start_session(session, account.id, true).await?;
    if trust {
        trust_device(state, account.id).await?;
    }
    Ok(())
}

/// Sets the cookie of a trusted device for 30 days.
async fn trust_device(state: &AppState, account_id: i32) -> Result<(), AppError> {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    trusted_device::Entity::insert(trusted_device::ActiveModel {
        token_hash: Set(hex_sha256(token.as_bytes())),
        account_id: Set(account_id),
        expires_at: Set(unix_now() + TRUST.as_secs() as i64),
    })
    .exec(&state.db)
    .await?;
    let secure = if state.settings.is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{DEVICE_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        TRUST.as_secs()
    );
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = http::HeaderValue::from_str(&cookie)
    {
        response.append_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// Whether the request comes from a device the account trusted in the last 30 days.
pub async fn trusted(state: &AppState, account_id: i32) -> Result<bool, AppError> {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return Ok(false);
    };
    let token = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == DEVICE_COOKIE)
        .map(|(_, value)| value.to_owned());
    let Some(token) = token else {
        return Ok(false);
    };
    Ok(
        trusted_device::Entity::find_by_id(hex_sha256(token.as_bytes()))
            .filter(trusted_device::Column::AccountId.eq(account_id))
            .filter(trusted_device::Column::ExpiresAt.gt(unix_now()))
            .one(&state.db)
            .await?
            .is_some(),
    )
}
