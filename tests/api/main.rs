//! The integration tests: each starts the real app on port 0 with a fresh database
//! (SQLite, or PostgreSQL when GUICHET_TEST_POSTGRES_URL is set) and a real SMTP server.

mod helpers;

mod accounts;
mod admin;
mod backoffice;
mod cleaner;
mod cli;
mod dossiers;
mod faults;
mod health;
mod mail_queue;
mod object_storage;
mod pages;
mod profiles;
mod scale;
mod security;
mod sessions;
mod volume;
