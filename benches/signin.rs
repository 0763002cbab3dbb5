//! Sign-in under load: how many sign-ins a second the portal completes while 50 run at
//! once, and how long the home page takes meanwhile (p50, p99) compared with the home
//! page alone. Run with `cargo bench --features ssr --bench signin` (release build).
//! It prints figures; it asserts nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use guichet::server::entities::account;
use guichet::server::settings::Settings;
use guichet::server::startup::{Application, leptos_options};
use sea_orm::{EntityTrait, Set};

const CONCURRENT_SIGNINS: usize = 50;
const LOAD_SECONDS: u64 = 15;
const HOME_SAMPLES_ALONE: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn home(client: &reqwest::Client, base: &str) -> Duration {
    let start = Instant::now();
    let response = client.get(format!("{base}/")).send().await.expect("home");
    assert!(response.status().is_success());
    let _ = response.bytes().await.expect("body");
    start.elapsed()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = HashMap::new();
    env.insert(
        "DATABASE_URL",
        format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
    );
    env.insert("GUICHET_DATA_DIR", dir.path().display().to_string());
    env.insert("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_string());
    env.insert("GUICHET_DEMO_DATA", "true".to_string());
    let settings =
        Settings::from_sources(&HashMap::new(), |n| env.get(n).cloned()).expect("settings");
    let options = leptos_options(&settings);
    let app = Application::build(settings, options).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    tokio::spawn(async move {
        let _ = app.run_until_stopped(std::future::pending()).await;
    });

    // The accounts: one hash, reused (hashing is what sign-in measures, not set-up).
    let password = "cheval agrafe batterie correcte";
    let hash = guichet::server::password::hash(password.into())
        .await
        .expect("hash");
    let now = time::OffsetDateTime::now_utc();
    for n in 0..CONCURRENT_SIGNINS {
        account::Entity::insert(account::ActiveModel {
            email: Set(format!("bench{n}@exemple.fr")),
            password_hash: Set(hash.clone()),
            civilite: Set("Mme".into()),
            first_name: Set("Camille".into()),
            last_name: Set(format!("Banc{n}")),
            role: Set("citizen".into()),
            email_verified_at: Set(Some(now)),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&db)
        .await
        .expect("account");
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    for _ in 0..20 {
        home(&client, &base).await; // warm-up
    }
    let mut alone = Vec::with_capacity(HOME_SAMPLES_ALONE);
    for _ in 0..HOME_SAMPLES_ALONE {
        alone.push(home(&client, &base).await);
    }
    alone.sort();

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let path = <guichet::account::api::SignIn as leptos::server_fn::ServerFn>::PATH;
    let mut workers = Vec::new();
    for n in 0..CONCURRENT_SIGNINS {
        let (stop, done, failed, base) = (stop.clone(), done.clone(), failed.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            // One browser per person: its own cookie jar.
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let email = format!("bench{n}@exemple.fr");
            while !stop.load(Ordering::Relaxed) {
                let response = client
                    .post(format!("{base}{path}"))
                    .header("Accept", "application/json")
                    .form(&[("email", email.as_str()), ("password", password)])
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => done.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let done_at_start = done.load(Ordering::Relaxed);
    let mut loaded = Vec::new();
    while started.elapsed() < Duration::from_secs(LOAD_SECONDS) {
        loaded.push(home(&client, &base).await);
    }
    let elapsed = started.elapsed();
    let signins = done.load(Ordering::Relaxed) - done_at_start;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    loaded.sort();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("Guichet sign-in benchmark ({cores} cores, SQLite, Argon2id m=19 MiB t=2 p=1)");
    println!(
        "home page alone          : {} requests, p50 {}, p99 {}",
        alone.len(),
        ms(percentile(&alone, 50.0)),
        ms(percentile(&alone, 99.0))
    );
    println!(
        "sign-in throughput       : {:.1} sign-ins/s with {CONCURRENT_SIGNINS} at once ({signins} in {:.1} s, {} failed)",
        signins as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        failed.load(Ordering::Relaxed)
    );
    println!(
        "home page during sign-ins: {} requests, p50 {}, p99 {}",
        loaded.len(),
        ms(percentile(&loaded, 50.0)),
        ms(percentile(&loaded, 99.0))
    );
}
