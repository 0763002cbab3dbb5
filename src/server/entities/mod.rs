//! sea-orm entities (server only).

pub mod account;
pub mod account_token;
pub mod demarche;
pub mod outbox;
pub mod rate_limit;
pub mod session;
