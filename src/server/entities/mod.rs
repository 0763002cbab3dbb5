//! sea-orm entities (server only).

pub mod account;
pub mod demarche;
pub mod outbox;
pub mod session;
