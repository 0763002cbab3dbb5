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

/// The browser entry point, called by Leptos' loader before it hydrates the page's
/// islands (`#[island]`: the only parts of a page that run code in the browser; the rest
/// is the document the server sent). Each island says when it is hydrated
/// ([`island_hydrated`]); on a page without any, the mark is set at once.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    if islands_on_page() == 0 {
        mark_hydrated();
    }
}

/// Called at the top of every island: once this island is hydrated (its first effect
/// runs then) and every island of the page too, `<body data-hydrated="true">`, which
/// end-to-end tests wait for before they click. Islands loaded lazily (`#[island(lazy)]`,
/// their code in a WASM chunk of its own) count when their chunk has arrived. Nothing
/// on the server.
pub fn island_hydrated() {
    #[cfg(feature = "hydrate")]
    leptos::prelude::Effect::new(|_| {
        let done = HYDRATED.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        if done >= islands_on_page() {
            mark_hydrated();
        }
    });
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The islands of the page hydrated so far.
    static HYDRATED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

#[cfg(feature = "hydrate")]
fn islands_on_page() -> u32 {
    leptos::prelude::document()
        .query_selector_all("leptos-island")
        .map(|l| l.length())
        .unwrap_or(0)
}

#[cfg(feature = "hydrate")]
fn mark_hydrated() {
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
