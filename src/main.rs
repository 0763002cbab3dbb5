//! The Guichet server: reads its settings, applies migrations, serves until stopped.

use clap::Parser;
use guichet::server::cli::{Cli, Command, UserCommand, UserOutcome, generate, user_create};
use guichet::server::settings::Settings;
use guichet::server::startup::{Application, BoxError, leptos_options};
use guichet::server::telemetry;

/// The server's allocator: glibc's malloc took about a quarter of the CPU time of the
/// home page under load (`perf`, release build, 64 connections: `_int_malloc`,
/// `_int_free`, `malloc_consolidate`); with mimalloc the pages serve 1.5 to 1.8 times
/// as many requests per second (README, Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Threads of tokio's blocking pool (file system calls of static files and uploads,
/// Argon2id). Tokio's default, 512, let 64 connections on static files start some 50
/// threads, each with its stack and allocator heap: 16 are plenty on a small server and
/// keep its memory flat.
const BLOCKING_THREADS: usize = 16;

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    telemetry::init(&settings.log_format);
    if let Some(Command::User(UserCommand::Create {
        email,
        role,
        first_name,
        last_name,
    })) = cli.command
    {
        let stdin = std::io::stdin().lock();
        match user_create(&settings, &email, &role, &first_name, &last_name, stdin).await {
            Ok(UserOutcome::Created) => println!("account {email} created with the role {role}"),
            Ok(UserOutcome::Updated) => {
                println!("account {email} now has the role {role} and the new password")
            }
            Err(e) => {
                eprintln!("guichet: {}", guichet::error::cause_chain(&e));
                std::process::exit(2);
            }
        }
        return Ok(());
    }
    if let Some(Command::Generate {
        accounts,
        dossiers,
        demarches,
    }) = cli.command
    {
        if let Err(e) = generate(&settings, accounts, dossiers, demarches).await {
            eprintln!("guichet: {}", guichet::error::cause_chain(&e));
            std::process::exit(2);
        }
        return Ok(());
    }
    let options = leptos_options(&settings);
    let app = Application::build(settings, options)
        .await
        .inspect_err(|e| {
            tracing::error!(error.chain = %guichet::error::cause_chain(e.as_ref()), "Guichet could not start");
        })?;
    app.run_until_stopped(shutdown_signal()).await
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing requests");
}
