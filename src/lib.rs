//! Guichet: the online procedures portal of a French département.
//!
//! One crate for the server (`ssr`) and the browser client (`hydrate`). Domain folders
//! hold the shared types (`model`), the server functions (`api`) and the views
//! (`pages`); server-only code sits behind `#[cfg(feature = "ssr")]`.
#![recursion_limit = "256"]

pub mod account;
pub mod admin;
pub mod app;
pub mod backoffice;
pub mod branding;
pub mod demarches;
pub mod dossiers;
pub mod error;
pub mod forms;
pub mod help;
pub mod profiles;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: hydrates the page the server sent.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
