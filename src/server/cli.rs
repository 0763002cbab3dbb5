//! Commands of the server binary besides serving:
//! `guichet user create --email … --role admin`, password read from standard input;
//! `guichet generate --accounts … --dossiers …`, benchmark volumes (see `server::volume`).

use std::io::BufRead;

use clap::{Parser, Subcommand};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::db::{self, now};
use super::entities::account;
use super::password;
use super::settings::Settings;
use super::volume;
use crate::account::model::{PASSWORD_MIN_CHARS, Role, normalize_email};

#[derive(Parser, Debug)]
#[command(
    name = "guichet",
    about = "Guichet, the online procedures portal",
    version
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill an empty database (DATABASE_URL) with benchmark volumes: accounts sharing
    /// one password, profiles, démarches, dossiers with their histories, attachments
    /// metadata (no file is written) and search words. Refuses a database that holds data.
    Generate {
        /// Accounts in all (the bench instructor and citizen included).
        #[arg(long, default_value_t = 200_000)]
        accounts: usize,
        /// Dossiers in all (about 5 % are drafts).
        #[arg(long, default_value_t = 1_000_000)]
        dossiers: usize,
        /// Démarches: the demo ones, repeated with a number.
        #[arg(long, default_value_t = 20)]
        demarches: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account, or change the role (and password) of an existing one.
    /// The password is read from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        /// citizen, instructor or admin
        #[arg(long, default_value = "citizen")]
        role: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot read the password from standard input")]
    Stdin(#[from] std::io::Error),
    #[error("password hashing failed")]
    Hash,
    #[error(transparent)]
    Volume(#[from] volume::VolumeError),
}

/// What `user create` did.
#[derive(Debug, PartialEq, Eq)]
pub enum UserOutcome {
    Created,
    Updated,
}

pub async fn user_create(
    settings: &Settings,
    email: &str,
    role: &str,
    first_name: &str,
    last_name: &str,
    mut stdin: impl BufRead,
) -> Result<UserOutcome, CliError> {
    let email = normalize_email(email);
    if email.parse::<lettre::Address>().is_err() {
        return Err(CliError::Usage(format!("invalid email address: {email:?}")));
    }
    let role = Role::parse(role).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown role {role:?}: citizen, instructor or admin"
        ))
    })?;
    let mut line = String::new();
    stdin.read_line(&mut line)?;
    let pass = line.trim_end_matches(['\n', '\r']).to_string();
    if pass.chars().count() < PASSWORD_MIN_CHARS {
        return Err(CliError::Usage(format!(
            "the password (first line of standard input) must have at least {PASSWORD_MIN_CHARS} characters"
        )));
    }
    let hash = password::hash(pass).await.map_err(|_| CliError::Hash)?;

    let db = db::connect_with(&settings.database_url, settings.pool()).await?;
    db::migrate(&db).await?;
    let now = now();
    let existing = account::Entity::find()
        .filter(account::Column::Email.eq(&email))
        .one(&db)
        .await?;
    match existing {
        Some(row) => {
            let mut row: account::ActiveModel = row.into();
            row.role = Set(role.as_str().into());
            row.password_hash = Set(hash);
            row.active = Set(true);
            row.updated_at = Set(now);
            row.update(&db).await?;
            Ok(UserOutcome::Updated)
        }
        None => {
            account::Entity::insert(account::ActiveModel {
                id: NotSet,
                email: Set(email),
                password_hash: Set(hash),
                civilite: Set(String::new()),
                first_name: Set(first_name.trim().into()),
                last_name: Set(last_name.trim().into()),
                role: Set(role.as_str().into()),
                // Created by an operator who vouches for the address.
                email_verified_at: Set(Some(now)),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&db)
            .await?;
            Ok(UserOutcome::Created)
        }
    }
}

/// `guichet generate`: migrates the database, fills it with benchmark volumes, then
/// prints the rows of each table, the database's size, and what the benchmark script
/// reads (`NAME=value` lines: the biggest démarche, the bench accounts).
pub async fn generate(
    settings: &Settings,
    accounts: usize,
    dossiers: usize,
    demarches: usize,
) -> Result<(), CliError> {
    if accounts < 2 {
        return Err(CliError::Usage(
            "--accounts: at least 2 (the bench instructor and citizen)".into(),
        ));
    }
    if demarches == 0 {
        return Err(CliError::Usage("--demarches: at least 1".into()));
    }
    let db = db::connect_with(&settings.database_url, settings.pool()).await?;
    db::migrate(&db).await?;
    volume::ensure_empty(&db).await?;
    let mut options = volume::Options::new(accounts, dossiers);
    options.demarches = demarches;
    let summary = volume::generate(&db, &options).await?;

    println!("Rows per table:");
    for (table, rows) in volume::table_counts(&db).await? {
        println!("  {table:<20} {rows:>12}");
    }
    let size = volume::database_size(&db).await?;
    println!("Database size: {:.0} MB", size as f64 / 1e6);
    println!(
        "Biggest démarche: {} filed dossiers ({} à traiter, {} en cours, {} traités)",
        summary.biggest.filed,
        summary.biggest.stages[1],
        summary.biggest.stages[2],
        summary.biggest.stages[3]
    );
    println!(
        "Attachments are metadata only: storage keys under `{}`, no file written.",
        volume::STORAGE_PREFIX
    );
    println!("For scripts:");
    println!("GUICHET_BENCH_DEMARCHE_ID={}", summary.biggest.id);
    println!("GUICHET_BENCH_DEMARCHE_SLUG={}", summary.biggest.slug);
    println!(
        "GUICHET_BENCH_CITIZEN_EMAIL={}",
        volume::BENCH_CITIZEN_EMAIL
    );
    println!(
        "GUICHET_BENCH_INSTRUCTOR_EMAIL={}",
        volume::BENCH_INSTRUCTOR_EMAIL
    );
    println!("GUICHET_BENCH_PASSWORD={}", volume::BENCH_PASSWORD);
    println!(
        "GUICHET_BENCH_TOTP_SECRET={}",
        volume::BENCH_INSTRUCTOR_TOTP
    );
    db.close().await?;
    Ok(())
}
