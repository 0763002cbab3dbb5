use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::mail::Mailer;
use super::settings::Settings;
use super::storage::Storage;

/// Everything a request handler or server function needs, given to Leptos routes
/// and read with `expect_context::<AppState>()`.
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
pub fn app_state() -> AppState {
    leptos::prelude::expect_context::<AppState>()
}
