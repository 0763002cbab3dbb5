//! Database migrations of Guichet. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261130_000001_create_demarche;
mod m20261130_000002_create_account;
mod m20261130_000003_create_session;
mod m20261130_000004_create_outbox;
mod m20261130_000005_account_security;
mod m20261130_000006_profiles;
mod m20261130_000007_dossiers;
mod m20261130_000008_instruction;
mod m20261130_000009_dossier_words;
mod m20261130_000010_admin;
mod m20261201_000011_follow_count;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_demarche::Migration),
            Box::new(m20261130_000002_create_account::Migration),
            Box::new(m20261130_000003_create_session::Migration),
            Box::new(m20261130_000004_create_outbox::Migration),
            Box::new(m20261130_000005_account_security::Migration),
            Box::new(m20261130_000006_profiles::Migration),
            Box::new(m20261130_000007_dossiers::Migration),
            Box::new(m20261130_000008_instruction::Migration),
            Box::new(m20261130_000009_dossier_words::Migration),
            Box::new(m20261130_000010_admin::Migration),
            Box::new(m20261201_000011_follow_count::Migration),
        ]
    }
}
