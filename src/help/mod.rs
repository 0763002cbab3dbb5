//! Editorial pages: "Aide" (the portal's FAQ), accessibility statement, legal notice.
//! Their text lives in `src/content/*.md`.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
