//! Who is calling: the account of the session, checked at the start of every server
//! function (`require_user`, `require_verified`, `require_role`). Route guards in the
//! pages are for the user's convenience only; these checks are the real ones.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tower_sessions::Session;

use super::entities::account;
use super::state::{AppState, app_state};
use crate::account::model::{CurrentUser, Role};
use crate::error::AppError;

/// The session key holding the signed-in account's id.
pub const SESSION_ACCOUNT: &str = "account_id";
/// The session key set once a staff account gave its second factor.
pub const SESSION_SECOND_FACTOR: &str = "second_factor";
/// The session key holding when the person signed in (unix seconds).
const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

/// The session of the current request.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal("session layer missing", &e))
}

/// The signed-in account, if any (inactive or deleted accounts are signed out).
pub async fn current_account() -> Result<Option<account::Model>, AppError> {
    let session = session().await?;
    let id: Option<i32> = session
        .get(SESSION_ACCOUNT)
        .await
        .map_err(|e| AppError::session("session read failed", &e))?;
    let Some(id) = id else {
        return Ok(None);
    };
    // A page asks several times, at the same moment (the header, the page's own data):
    // the first asker reads the account while the others wait for its answer.
    let memo = page_request()
        .then(leptos::prelude::use_context::<AccountMemo>)
        .flatten();
    let mut slot = match &memo {
        Some(memo) => Some(memo.0.lock().await),
        None => None,
    };
    if let Some(Some((memo_id, row))) = slot.as_deref()
        && *memo_id == id
    {
        return Ok(row.clone());
    }
    let state = app_state()?;
    let row = account_of(&state, &session, id).await?;
    if row.is_none() {
        // The account is gone: forget it.
        let _ = session.flush().await;
    }
    if let Some(slot) = slot.as_deref_mut() {
        *slot = Some((id, row.clone()));
    }
    Ok(row)
}

/// The account read by the current page request, kept for the rest of that request.
/// Provided fresh for every request (see `startup::router`); used only for GET requests,
/// which change nothing (a server function that changes the account reads it again).
#[derive(Clone, Default)]
pub struct AccountMemo(Arc<tokio::sync::Mutex<Option<MemoEntry>>>);

/// An account id of a session and what the database said of it.
type MemoEntry = (i32, Option<account::Model>);

/// Whether the current request is a GET (a page being rendered).
fn page_request() -> bool {
    leptos::prelude::use_context::<http::request::Parts>()
        .is_some_and(|p| p.method == http::Method::GET)
}

/// The signed-in account, or `Unauthenticated`.
pub async fn require_user() -> Result<account::Model, AppError> {
    current_account().await?.ok_or(AppError::Unauthenticated)
}

/// A signed-in account whose email address is confirmed (needed to file a dossier).
pub async fn require_verified() -> Result<account::Model, AppError> {
    let account = require_user().await?;
    if account.email_verified_at.is_none() {
        return Err(AppError::EmailNotVerified);
    }
    Ok(account)
}

/// A signed-in account with at least `role` (administrators may do what instructors
/// do), whose session gave the second factor.
pub async fn require_role(role: Role) -> Result<account::Model, AppError> {
    let account = require_user().await?;
    let session = session().await?;
    check_role(&session, account, role).await
}

async fn check_role(
    session: &Session,
    account: account::Model,
    role: Role,
) -> Result<account::Model, AppError> {
    let has = Role::parse(&account.role).unwrap_or(Role::Citizen);
    if !has.includes(role) {
        return Err(AppError::Forbidden);
    }
    let second_factor: Option<bool> = session
        .get(SESSION_SECOND_FACTOR)
        .await
        .map_err(|e| AppError::session("session read failed", &e))?;
    if second_factor == Some(true) {
        Ok(account)
    } else {
        // Signed in before the role was given: sign in again, with the second factor.
        Err(AppError::Unauthenticated)
    }
}

/// Like [`require_role`]`(Role::Instructor)`, for plain axum handlers.
pub async fn session_instructor(
    state: &AppState,
    session: &Session,
) -> Result<account::Model, AppError> {
    let account = session_account(state, session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    check_role(session, account, Role::Instructor).await
}

/// The administrator of a session (with the second factor), for plain axum handlers.
pub async fn session_admin(
    state: &AppState,
    session: &Session,
) -> Result<account::Model, AppError> {
    let account = session_account(state, session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    check_role(session, account, Role::Admin).await
}

/// Whether a role needs the second factor at sign-in (instructors, administrators).
pub fn needs_second_factor(account: &account::Model) -> bool {
    Role::parse(&account.role).is_some_and(|r| r.includes(Role::Instructor))
}

pub async fn require_instructor() -> Result<account::Model, AppError> {
    require_role(Role::Instructor).await
}

pub async fn require_admin() -> Result<account::Model, AppError> {
    require_role(Role::Admin).await
}

/// Starts the signed-in session of `account_id` under a new session id (the id an
/// attacker may have planted before sign-in becomes worthless). `second_factor`: the
/// staff account gave its code (or its device is trusted).
pub async fn start_session(
    session: &Session,
    account_id: i32,
    second_factor: bool,
) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::internal("session id rotation failed", &e))?;
    if second_factor {
        session
            .insert(SESSION_SECOND_FACTOR, true)
            .await
            .map_err(|e| AppError::internal("session write failed", &e))?;
    }
    session
        .insert(SESSION_ACCOUNT, account_id)
        .await
        .map_err(|e| AppError::internal("session write failed", &e))?;
    session
        .insert(
            SESSION_SIGNED_IN_AT,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )
        .await
        .map_err(|e| AppError::internal("session write failed", &e))?;
    Ok(())
}

/// Ends the session of the current request, in the database too.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session
        .flush()
        .await
        .map_err(|e| AppError::internal("session deletion failed", &e))
}

/// What the pages show about the signed-in person.
pub fn current_user(account: &account::Model) -> CurrentUser {
    CurrentUser {
        first_name: account.first_name.clone(),
        last_name: account.last_name.clone(),
        email: account.email.clone(),
        role: Role::parse(&account.role).unwrap_or(Role::Citizen),
        email_verified: account.email_verified_at.is_some(),
    }
}

/// The address of the caller: the peer address, or with `GUICHET_TRUST_PROXY` the last
/// address of `X-Forwarded-For` (the one our own reverse proxy added).
pub async fn client_ip() -> IpAddr {
    if let Some(ip) = super::audit::request_ip() {
        return ip;
    }
    // The request gone (see `app_state`): the peer's address, whatever it is, is unused.
    let trust_proxy = app_state().is_ok_and(|s| s.settings.trust_proxy);
    let headers = leptos::prelude::use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr.ip());
    super::audit::ip_of(trust_proxy, &headers, peer)
}

/// The signed-in account and its membership of `profile_id`: the check every server
/// function about a profile (and later its dossiers, drafts and documents) calls first.
/// A profile the caller is not a member of does not exist for them (404).
pub async fn require_member(
    profile_id: i32,
) -> Result<(account::Model, super::entities::profile_member::Model), AppError> {
    use super::entities::profile_member;
    let account = require_user().await?;
    let member = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(profile_id))
        .filter(profile_member::Column::AccountId.eq(account.id))
        .one(&app_state()?.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((account, member))
}

/// Like [`require_member`], for what only a profile's managers may do (403 otherwise).
pub async fn require_manager(
    profile_id: i32,
) -> Result<(account::Model, super::entities::profile_member::Model), AppError> {
    let (account, member) = require_member(profile_id).await?;
    if member.role == crate::profiles::model::MemberRole::Manager.as_str() {
        Ok((account, member))
    } else {
        Err(AppError::Forbidden)
    }
}

/// The signed-in account of a session, for plain axum handlers (downloads, uploads)
/// that run outside a server function.
pub async fn session_account(
    state: &AppState,
    session: &Session,
) -> Result<Option<account::Model>, AppError> {
    let id: Option<i32> = session
        .get(SESSION_ACCOUNT)
        .await
        .map_err(|e| AppError::session("session read failed", &e))?;
    let Some(id) = id else {
        return Ok(None);
    };
    account_of(state, session, id).await
}

/// The active account `id` of `session`: the one read with the session if the store
/// kept it for this request, else read now.
async fn account_of(
    state: &AppState,
    session: &Session,
    id: i32,
) -> Result<Option<account::Model>, AppError> {
    match session
        .id()
        .and_then(|sid| state.loaded_accounts.take(sid, id))
    {
        Some(row) => Ok(row),
        None => read_account(&state.db, id).await,
    }
}

async fn read_account(
    db: &sea_orm::DatabaseConnection,
    id: i32,
) -> Result<Option<account::Model>, AppError> {
    Ok(account::Entity::find_by_id(id)
        .filter(account::Column::Active.eq(true))
        .one(db)
        .await?)
}
