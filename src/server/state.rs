use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::mail::Mailer;
use super::settings::Settings;
use super::storage::Storage;

/// Everything a request handler or server function needs, given to Leptos routes
/// and read with `app_state()`.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub mailer: Mailer,
    pub storage: Storage,
    pub leptos_options: LeptosOptions,
    /// Accounts read along with their sessions (see `session::LoadedAccounts`).
    pub loaded_accounts: super::session::LoadedAccounts,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state of the request being served, inside a server function or a page render.
///
/// `Err` once the request is gone: a visitor who leaves (or a client that hangs up)
/// while a page is being rendered disposes of the page's context, but a data read
/// started for it may still be running on its own task; it stops at its next
/// `app_state()` instead of panicking (and logging a backtrace) there.
pub fn app_state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::debug!("the request is gone (its context was disposed): its read stops");
        crate::error::AppError::Unavailable
    })
}
