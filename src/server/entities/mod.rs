//! sea-orm entities (server only).

pub mod account;
pub mod account_token;
pub mod demarche;
pub mod demarche_version;
pub mod dossier;
pub mod dossier_event;
pub mod dossier_file;
pub mod outbox;
pub mod profile;
pub mod profile_event;
pub mod profile_member;
pub mod profile_share;
pub mod rate_limit;
pub mod session;
