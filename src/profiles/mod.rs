//! Profiles: the person themself, or a collectivité, an association, an entreprise they
//! represent; members, roles and share keys (« Composition », « Partage(s) du profil »).

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
