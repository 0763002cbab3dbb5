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
///
/// What `leptos::mount::hydrate_lazy` does (a page of a lazy group, `app::lazy`, waits for
/// its WASM chunk before it hydrates), plus one mark once the whole page is hydrated:
/// `<body data-hydrated="true">`, which end-to-end tests wait for before they click. An
/// effect in the app's shell would set it before the lazy page's own handlers exist.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // An error only says the executor was already set up.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let owner = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App).await;
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        app::hydrated();
        owner.forget();
    });
}
