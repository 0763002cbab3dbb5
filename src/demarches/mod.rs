//! Démarches: the catalogue, "Démarches à la Une" and a démarche's page.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
