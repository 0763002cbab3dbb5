//! Server-only plumbing (compiled with the `ssr` feature only).

pub mod auth;
pub mod cli;
pub mod db;
pub mod entities;
pub mod limits;
pub mod mail;
pub mod password;
pub mod password_policy;
pub mod security;
pub mod seed;
pub mod session;
pub mod settings;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tokens;

pub use state::AppState;
