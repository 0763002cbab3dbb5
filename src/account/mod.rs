//! Accounts: sign-up, sign-in, « Mot de passe oublié ? », « Mon compte » and
//! « Mes données personnelles », RGPD export and deletion, roles.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
