//! The instructors' queue at scale: how long a page of a démarche's queue takes when the
//! database holds 1,000,000 filed dossiers (goal: p95 ≤ 30 ms a page).
//!
//! It builds a database like a département's after two years with the generator of
//! `guichet generate` (`guichet::server::volume`): 20 démarches (démarche 1, the biggest,
//! holds 20 % of the dossiers), one service with one instructor, 50,000 accounts with
//! their personal profiles, 10,000 organisations, 1,000,000 filed dossiers with realistic
//! statuses, kinds of profile, communes and dates, their search words, and 20 % of them
//! followed by the instructor. This bench keeps the shape it always had: no drafts, no
//! answers, histories or attachments (`guichet generate` adds them), kinds of profile
//! drawn whatever the démarche's audience, dossiers up to 1 June 2026. Then, for
//! démarche 1, it times 200 runs of each page (after 20 warm-up runs) through
//! `backoffice::service::queue_rows` and `tab_counts`, and prints p50, p95 and max:
//! the first page of « À traiter », the tab « Traités », a filtered page (commune, kind
//! of profile and six months), a search by number, a search by name, a page 100,000
//! rows deep (keyset cursor), « Suivis par moi » and the tab counts.
//!
//! Run with `cargo bench --features ssr --bench queue` (release build): SQLite, in a
//! temporary folder, with the application's connection settings (WAL). With
//! `GUICHET_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres` it also runs
//! on a new PostgreSQL database, dropped at the end. `GUICHET_BENCH_DOSSIERS=100000`
//! makes a quick run with fewer dossiers, `GUICHET_BENCH_ACCOUNTS` changes the number of
//! accounts (50,000). It prints figures; it asserts nothing.

use std::time::{Duration, Instant};

use guichet::backoffice::model::QueueQuery;
use guichet::backoffice::service::{encode_cursor, queue_rows, tab_counts};
use guichet::profiles::model::ProfileKind;
use guichet::server::db;
use guichet::server::entities::dossier;
use guichet::server::volume::{self, Options, Summary};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

/// Filed dossiers, unless `GUICHET_BENCH_DOSSIERS` says otherwise.
const DEFAULT_DOSSIERS: usize = 1_000_000;
/// Accounts, unless `GUICHET_BENCH_ACCOUNTS` says otherwise.
const DEFAULT_ACCOUNTS: usize = 50_000;
const DEMARCHES: usize = 20;
/// Profiles of organisations (collectivités, associations, entreprises).
const ORGANISATIONS: usize = 10_000;
const COMMUNES: usize = 300;
/// Share of dossiers the instructor follows.
const FOLLOWED: f64 = 0.20;
const WARMUP_RUNS: usize = 20;
const RUNS: usize = 200;
const GOAL_MS: f64 = 30.0;
/// How far down the « Tous » tab the deep page starts.
const DEEP_OFFSET: usize = 100_000;

/// What the timed queries look for, found while generating.
struct Fixture {
    demarche_id: i32,
    instructor: i32,
    /// Dossiers of démarche 1.
    demarche_dossiers: usize,
    /// Dossiers of démarche 1 in stages 1, 2 and 3, and those followed.
    stages: [usize; 4],
    followed: usize,
    number: String,
    name: String,
    /// The commune of the filtered page (the 17th biggest).
    commune: String,
}

impl Fixture {
    fn of(summary: &Summary) -> Self {
        let b = &summary.biggest;
        Fixture {
            demarche_id: b.id,
            instructor: summary.instructor_id,
            demarche_dossiers: b.filed,
            stages: b.stages,
            followed: b.followed,
            number: b.number.clone(),
            name: b.name.clone(),
            commune: summary
                .communes
                .get(16)
                .cloned()
                .unwrap_or_else(|| volume::commune_name(0)),
        }
    }
}

fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The shape this bench always had (see the module's documentation).
fn options(accounts: usize, dossiers: usize) -> Options {
    let mut o = Options::new(accounts, dossiers);
    o.demarches = DEMARCHES;
    o.organisations = ORGANISATIONS;
    o.communes = COMMUNES;
    o.followed = FOLLOWED;
    o.drafts = 0.0;
    o.answers = false;
    o.histories = false;
    o.attachments = false;
    o.follow_audience = false;
    o.until = time::Date::from_calendar_date(2026, time::Month::June, 1)
        .expect("a valid date")
        .midnight()
        .assume_utc();
    o
}

// ------------------------------------------------------------------ timing

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Timing {
    p50: Duration,
    p95: Duration,
    max: Duration,
}

/// `WARMUP_RUNS` untimed runs, then `RUNS` timed ones; the result of the last run.
async fn time_runs<T>(run: impl AsyncFn() -> T) -> (Timing, T) {
    for _ in 0..WARMUP_RUNS {
        std::hint::black_box(run().await);
    }
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = run().await;
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    let timing = Timing {
        p50: percentile(&times, 50.0),
        p95: percentile(&times, 95.0),
        max: times.last().copied().unwrap_or_default(),
    };
    (timing, last.expect("at least one run"))
}

fn line(backend: &str, label: &str, t: &Timing, detail: &str) -> String {
    let over = if ms(t.p95) > GOAL_MS {
        "  OVER THE GOAL"
    } else {
        ""
    };
    format!(
        "{backend:<9}{label:<19}p50 {:>6.1} ms  p95 {:>6.1} ms  max {:>6.1} ms  ({detail}){over}",
        ms(t.p50),
        ms(t.p95),
        ms(t.max),
    )
}

/// Times every page for démarche 1 and returns the table's lines.
async fn measure(backend: &str, conn: &DatabaseConnection, fixture: &Fixture) -> Vec<String> {
    // The row the deep page starts after (untimed).
    let offset = DEEP_OFFSET.min(fixture.demarche_dossiers / 2);
    let deep = dossier::Entity::find()
        .filter(dossier::Column::DemarcheId.eq(fixture.demarche_id))
        .filter(dossier::Column::SubmittedAt.is_not_null())
        .order_by_desc(dossier::Column::SubmittedAt)
        .order_by_desc(dossier::Column::Id)
        .offset(offset as u64)
        .one(conn)
        .await
        .expect("read the deep row")
        .expect("a row at that depth");
    let cursor = encode_cursor(deep.submitted_at.expect("a filed dossier"), deep.id);

    let tab = |slug: &str| QueueQuery {
        onglet: Some(slug.into()),
        ..Default::default()
    };
    let cases: [(String, QueueQuery); 7] = [
        ("queue first page".into(), tab("a-traiter")),
        ("queue tab Traités".into(), tab("traites")),
        (
            "filtered page".into(),
            QueueQuery {
                commune: Some(fixture.commune.clone()),
                type_profil: Some(ProfileKind::Association.as_str().into()),
                du: Some("2025-03-01".into()),
                au: Some("2025-08-31".into()),
                ..tab("tous")
            },
        ),
        // Searches run on « Tous », so that the dossier is found whatever its status.
        (
            "search by number".into(),
            QueueQuery {
                q: Some(fixture.number.clone()),
                ..tab("tous")
            },
        ),
        (
            "search by name".into(),
            QueueQuery {
                q: Some(fixture.name.clone()),
                ..tab("tous")
            },
        ),
        (
            format!("deep page ({offset})"),
            QueueQuery {
                apres: Some(cursor),
                ..tab("tous")
            },
        ),
        ("suivis par moi".into(), tab("suivis")),
    ];

    let mut lines = Vec::new();
    for (label, query) in &cases {
        let (timing, (rows, more)) = time_runs(async || {
            let (rows, next) = queue_rows(conn, fixture.demarche_id, fixture.instructor, query, 25)
                .await
                .expect("queue_rows");
            (rows.len(), next.is_some())
        })
        .await;
        let detail = match (rows, more) {
            (0, _) => "0 rows: EMPTY PAGE".to_string(),
            (n, true) => format!("{n} rows, more after"),
            (n, false) => format!("{n} rows, last page"),
        };
        let l = line(backend, label, &timing, &detail);
        println!("{l}");
        lines.push(l);
    }
    let (timing, counts) = time_runs(async || {
        tab_counts(conn, fixture.demarche_id, fixture.instructor)
            .await
            .expect("tab_counts")
    })
    .await;
    let l = line(backend, "tab counts", &timing, &format!("{counts:?}"));
    println!("{l}");
    lines.push(l);
    lines
}

// ------------------------------------------------------------------ databases

/// `postgres://u:p@h:5432/postgres?x` → `postgres://u:p@h:5432/<name>?x`
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{name}{query}")
}

async fn admin_execute(admin_url: &str, sql: &str) {
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to GUICHET_TEST_POSTGRES_URL");
    admin
        .execute_raw(Statement::from_string(admin.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    admin.close().await.expect("close the admin connection");
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// A database built, re-opened (fresh connections read the new statistics) and timed.
async fn run(backend: &str, url: &str, options: &Options) -> (Vec<String>, u64) {
    println!(
        "\n{backend}: building {} filed dossiers, {} accounts",
        options.dossiers, options.accounts
    );
    let conn = db::connect(url).await.expect("connect");
    db::migrate(&conn).await.expect("migrations");
    let summary = volume::generate(&conn, options)
        .await
        .expect("generate the data");
    let fixture = Fixture::of(&summary);
    let size = volume::database_size(&conn).await.expect("database size");
    conn.close().await.expect("close");
    let conn = db::connect(url).await.expect("reconnect");
    println!(
        "{backend}: démarche 1 holds {} dossiers ({} à traiter, {} en cours, {} traités, {} followed); search targets « {} » and « {} »",
        fixture.demarche_dossiers,
        fixture.stages[1],
        fixture.stages[2],
        fixture.stages[3],
        fixture.followed,
        fixture.number,
        fixture.name
    );
    println!(
        "{backend}: {RUNS} runs after {WARMUP_RUNS} warm-up runs, pages of 25; goal p95 ≤ {GOAL_MS:.0} ms"
    );
    let lines = measure(backend, &conn, &fixture).await;
    conn.close().await.expect("close");
    (lines, size)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let count = count_from_env("GUICHET_BENCH_DOSSIERS", DEFAULT_DOSSIERS);
    let accounts = count_from_env("GUICHET_BENCH_ACCOUNTS", DEFAULT_ACCOUNTS).max(2);
    let options = options(accounts, count);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("Guichet queue benchmark: {count} filed dossiers, {accounts} accounts, {cores} cores");
    let mut summary = Vec::new();

    // ---------------------------------------------------------------- SQLite
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("queue.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let (lines, size) = run("sqlite", &url, &options).await;
    summary.extend(lines);
    summary.push(format!("sqlite   database on disk: {}", megabytes(size)));

    // ---------------------------------------------------------------- PostgreSQL
    match std::env::var("GUICHET_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("guichet_bench_queue_{}", std::process::id());
            admin_execute(&admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\"")).await;
            admin_execute(&admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
            let (lines, size) = run("postgres", &with_database(&admin_url, &name), &options).await;
            summary.extend(lines);
            summary.push(format!("postgres database size: {}", megabytes(size)));
            admin_execute(
                &admin_url,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            )
            .await;
        }
        _ => summary.push("postgres skipped (set GUICHET_TEST_POSTGRES_URL to run it)".to_string()),
    }

    println!("\nSummary ({count} filed dossiers, démarche 1, goal p95 ≤ {GOAL_MS:.0} ms)");
    for l in summary {
        println!("{l}");
    }
}
