//! Faults survived, for real:
//!
//! - the server binary killed with SIGKILL while 100 citizens attach a file and submit
//!   at once, then restarted on the same data: every dossier is either fully submitted
//!   or still a complete draft, no row points to a missing file, and once the upload
//!   cleaner has run no file is left without its row;
//! - the database unreachable for a while (PostgreSQL behind a TCP proxy that the test
//!   cuts): pages answer a French 503 page quickly, a submission fails without writing
//!   anything, and the app recovers by itself once the database is back;
//! - a page that cannot be rendered in time (every database connection held elsewhere):
//!   its render is stopped at the deadline, the visitor gets the French error page, and
//!   the render's turn goes to the next request.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use guichet::account::api::SignIn;
use guichet::account::model::Role;
use guichet::dossiers::api::{ReviewDossier, StartDossier, SubmitDossier};
use guichet::dossiers::model::ReviewView;
use guichet::error::AppError;
use guichet::forms::Answers;
use guichet::profiles::service::ensure_personal_profile;
use guichet::server::entities::{
    account, demarche, dossier, dossier_event, dossier_file, message_file, outbox,
    received_document,
};
use guichet::server::storage::Storage;
use guichet::server::uploads::cleaner;
use guichet::server::uploads::sniff::{sample_pdf, sample_png};
use leptos::server_fn::ServerFn;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::accounts::{PASSWORD, error, location, mails_to};
use crate::dossiers::{
    PAGE_1, PAGE_2, PERMIS, by_id, fill_permis, id_after, open_all_year, page_form, post_page,
    see_other, signed_in, start, submit,
};
use crate::helpers::app::test_settings;
use crate::helpers::{SmtpSink, Spawned, TestApp, TestDatabase, big_pdf, eventually, free_port};

// ---------------------------------------------------------------------------------
// SIGKILL during 100 submissions
// ---------------------------------------------------------------------------------

const CITIZENS: usize = 100;
/// Submissions acknowledged before the server is killed (or 20 s, whichever first).
const KILL_AFTER: usize = 30;

/// What the real server binary runs on: the database, its data folder (files under
/// `files/`), the SMTP server it sends to.
struct Run {
    database_url: String,
    data_dir: PathBuf,
    smtp_url: String,
}

impl Run {
    fn storage_root(&self) -> PathBuf {
        self.data_dir.join("files")
    }
}

/// The server binary (`guichet`), as deployed: its own process, settings from the
/// environment only, logs in `{data_dir}/{name}.log` (or the test's output with
/// `TEST_LOG=1`).
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(run: &Run, name: &str) -> Self {
        let port = free_port();
        let site_root = run.data_dir.join("site");
        std::fs::create_dir_all(&site_root).expect("site root");
        let log = run.data_dir.join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
        command
            .env_clear()
            .env("DATABASE_URL", &run.database_url)
            .env("GUICHET_DATA_DIR", &run.data_dir)
            .env("GUICHET_STORAGE_PATH", run.storage_root())
            .env("GUICHET_CONFIG", "/nonexistent/Leptos.toml")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            // No built site is needed to serve pages and server functions.
            .env("LEPTOS_SITE_ROOT", &site_root)
            .env("GUICHET_PUBLIC_URL", "http://127.0.0.1:3000")
            .env("GUICHET_SMTP_URL", &run.smtp_url)
            .env("GUICHET_DEMO_DATA", "true")
            // Each citizen sends its own X-Forwarded-For, as behind a reverse proxy.
            .env("GUICHET_TRUST_PROXY", "true")
            .env("GUICHET_MAIL_POLL_MS", "200")
            .env("RUST_LOG", "warn,guichet=info")
            .stdin(Stdio::null());
        if std::env::var_os("TEST_LOG").is_some() {
            command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        } else {
            let file = std::fs::File::create(&log).expect("server log file");
            let again = file.try_clone().expect("server log file");
            command.stdout(Stdio::from(file)).stderr(Stdio::from(again));
        }
        let child = command.spawn().expect("run the guichet binary");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/healthz` answers (migrations and demo data done).
    async fn ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server stopped ({status}):\n{}", self.logs());
            }
            if let Ok(response) = client.get(format!("{}/healthz", self.base)).send().await
                && response.status() == 200
            {
                return;
            }
            if Instant::now() > deadline {
                panic!("the server did not start within 120 s:\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, requests cut wherever they are.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One citizen of the run: their session, their address, their draft.
#[derive(Clone, Debug)]
struct Citizen {
    email: String,
    ip: String,
    cookie: String,
    dossier: i32,
}

/// What a citizen's « attach then submit » became.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// « Transmettre » answered: the dossier is filed.
    Submitted,
    /// The server died before the file's answer.
    CutWhileAttaching,
    /// The file was attached; the server died before the submission's answer.
    CutWhileSubmitting,
    /// The server answered something else (a bug, not the kill).
    Unexpected(String),
}

/// A request from `ip`, in the session `cookie` if any.
fn identified(
    request: reqwest::RequestBuilder,
    ip: &str,
    cookie: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = request.header("X-Forwarded-For", ip);
    match cookie {
        Some(c) => request.header("Cookie", format!("guichet_session={c}")),
        None => request,
    }
}

/// Calls a server function as the browser's client does.
async fn call<S: ServerFn>(
    client: &reqwest::Client,
    base: &str,
    ip: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    identified(
        client
            .post(format!("{base}{}", S::PATH))
            .header("Accept", "application/json")
            .form(form),
        ip,
        cookie,
    )
    .send()
    .await
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|value| {
            let value = value.to_str().ok()?.strip_prefix("guichet_session=")?;
            let value = value.split(';').next()?;
            (!value.is_empty()).then(|| value.to_owned())
        })
}

/// `n` verified citizens written in the database (one password hash for all), each
/// with the personal profile sign-up makes: their addresses.
async fn insert_citizens(db: &DatabaseConnection, n: usize) -> Vec<String> {
    let hash = guichet::server::password::hash(PASSWORD.to_owned())
        .await
        .expect("hash the password");
    let now = guichet::server::db::now();
    let mut emails = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("citoyen{i:03}@example.org");
        let id = account::Entity::insert(account::ActiveModel {
            email: Set(email.clone()),
            password_hash: Set(hash.clone()),
            civilite: Set("Mme".to_owned()),
            first_name: Set(format!("Camille{i:03}")),
            last_name: Set("Essai".to_owned()),
            role: Set(Role::Citizen.as_str().to_owned()),
            email_verified_at: Set(Some(now)),
            active: Set(true),
            terms_accepted_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await
        .expect("insert a citizen")
        .last_insert_id;
        let account = account::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the citizen");
        ensure_personal_profile(db, &account)
            .await
            .expect("the personal profile");
        emails.push(email);
    }
    emails
}

/// Signs in over HTTP, starts « Aide au permis de conduire » and fills its three shown
/// pages with valid answers and one file per attachment field: a complete draft.
async fn prepare(client: &reqwest::Client, base: &str, email: String, ip: String) -> Citizen {
    let response = call::<SignIn>(
        client,
        base,
        &ip,
        None,
        &[("email", email.as_str()), ("password", PASSWORD)],
    )
    .await
    .expect("sign in");
    assert!(
        response.status().is_success(),
        "sign-in of {email}: {}",
        response.status()
    );
    let cookie = session_cookie(&response).unwrap_or_else(|| panic!("no session for {email}"));
    let response = call::<StartDossier>(client, base, &ip, Some(&cookie), &[("slug", PERMIS)])
        .await
        .expect("start a draft");
    assert!(
        response.status().is_success(),
        "start for {email}: {}",
        response.status()
    );
    let dossier = id_after(&location(&response), "/dossiers/");
    let (pdf, png) = (sample_pdf(), sample_png());
    let files: &[(&str, &str, &[u8])] = &[
        ("piece_identite", "cni.pdf", &pdf[..]),
        ("justificatif_domicile", "facture.png", &png[..]),
        ("devis_auto_ecole", "devis.pdf", &pdf[..]),
    ];
    type Page<'a> = (
        &'a [(&'a str, &'a str)],
        &'a [(&'a str, &'a str, &'a [u8])],
        String,
    );
    let pages: [Page; 3] = [
        (PAGE_1, &[], format!("/dossiers/{dossier}/etape/2")),
        (PAGE_2, &[], format!("/dossiers/{dossier}/etape/3")),
        (&[], files, format!("/dossiers/{dossier}/verification")),
    ];
    for (page, (fields, files, next)) in (1..).zip(pages) {
        let response = identified(
            client.post(format!("{base}/dossiers/{dossier}/etape/{page}")),
            &ip,
            Some(&cookie),
        )
        .multipart(page_form(fields, files, "suivante"))
        .send()
        .await
        .expect("post a page");
        assert_eq!(see_other(&response), next, "{email}, page {page}");
    }
    Citizen {
        email,
        ip,
        cookie,
        dossier,
    }
}

/// « Joindre un fichier » (the verso of the identity card, ~200 KB) then « Transmettre ».
async fn attach_and_submit(
    client: reqwest::Client,
    base: String,
    citizen: Citizen,
    pdf: Arc<Vec<u8>>,
    acknowledged: Arc<AtomicUsize>,
) -> Outcome {
    let id = citizen.dossier;
    let form = page_form(
        &[],
        &[("piece_identite", "cni-verso.pdf", &pdf[..])],
        "joindre:piece_identite",
    );
    let attached = identified(
        client.post(format!("{base}/dossiers/{id}/etape/3")),
        &citizen.ip,
        Some(&citizen.cookie),
    )
    .multipart(form)
    .send()
    .await;
    match attached {
        Err(_) => return Outcome::CutWhileAttaching,
        Ok(response) => {
            let to = location(&response);
            if response.status() != 303
                || to != format!("/dossiers/{id}/etape/3#champ-piece_identite")
            {
                return Outcome::Unexpected(format!("attach: {} → {to}", response.status()));
            }
        }
    }
    let id_text = id.to_string();
    let submitted = call::<SubmitDossier>(
        &client,
        &base,
        &citizen.ip,
        Some(&citizen.cookie),
        &[("id", id_text.as_str())],
    )
    .await;
    match submitted {
        Err(_) => Outcome::CutWhileSubmitting,
        Ok(response)
            if response.status().is_success()
                && location(&response).ends_with("?message=dossier-transmis") =>
        {
            acknowledged.fetch_add(1, Ordering::SeqCst);
            Outcome::Submitted
        }
        Ok(response) => Outcome::Unexpected(format!("submit: {}", response.status())),
    }
}

/// `2026-000123`
fn is_dossier_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 11
        && bytes[4] == b'-'
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[5..].iter().all(u8::is_ascii_digit)
}

/// Every file under `root`, as storage keys (`dossiers/12/…`), staging files included.
fn files_on_disk(root: &Path) -> HashSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut HashSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                let key: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(key.join("/"));
            }
        }
    }
    let mut out = HashSet::new();
    walk(root, root, &mut out);
    out
}

/// The storage keys every row records.
async fn recorded_keys(db: &DatabaseConnection) -> HashSet<String> {
    let mut keys: HashSet<String> = dossier_file::Entity::find()
        .all(db)
        .await
        .expect("query")
        .into_iter()
        .map(|f| f.storage_key)
        .collect();
    keys.extend(
        message_file::Entity::find()
            .all(db)
            .await
            .expect("query")
            .into_iter()
            .map(|f| f.storage_key),
    );
    keys.extend(
        received_document::Entity::find()
            .all(db)
            .await
            .expect("query")
            .into_iter()
            .map(|d| d.storage_key),
    );
    keys
}

/// The (from, to) statuses of a dossier's history, oldest first.
async fn history(db: &DatabaseConnection, id: i32) -> Vec<(Option<String>, String)> {
    dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(id))
        .order_by_asc(dossier_event::Column::Id)
        .all(db)
        .await
        .expect("query")
        .into_iter()
        .map(|e| (e.from_status, e.to_status))
        .collect()
}

/// How many receipts were queued for each dossier number.
async fn receipts_by_number(db: &DatabaseConnection) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for mail in outbox::Entity::find().all(db).await.expect("query") {
        if let Some(number) = mail.subject.strip_prefix("Accusé de réception : dossier ") {
            *counts.entry(number.to_owned()).or_default() += 1;
        }
    }
    counts
}

fn filed() -> (Option<String>, String) {
    (Some("brouillon".to_owned()), "depose".to_owned())
}

fn started() -> (Option<String>, String) {
    (None, "brouillon".to_owned())
}

/// The dossier is filed whole: number, date, answers, one « Déposé » event, one
/// receipt queued.
fn check_filed(
    row: &dossier::Model,
    events: &[(Option<String>, String)],
    receipts: &HashMap<String, usize>,
) {
    let id = row.id;
    let number = row
        .number
        .clone()
        .unwrap_or_else(|| panic!("filed dossier {id} without a number"));
    assert!(is_dossier_number(&number), "{id}: {number}");
    assert!(row.submitted_at.is_some(), "{id}: no submission date");
    assert_eq!(events, [started(), filed()], "dossier {id}");
    let answers: Answers = serde_json::from_str(&row.answers).expect("answers are JSON");
    assert_eq!(answers.text("jeune_nom"), Some("Durand"), "dossier {id}");
    assert_eq!(
        answers.text("auto_ecole_nom"),
        Some("Auto-école du Centre"),
        "dossier {id}"
    );
    assert_eq!(receipts.get(&number), Some(&1), "receipts of {number}");
}

#[tokio::test]
async fn sigkill_during_100_submissions_leaves_no_half_state() {
    let database = TestDatabase::new().await;
    let smtp = SmtpSink::start().await;
    let run = Run {
        database_url: database.url.clone(),
        data_dir: database.dir.path().to_path_buf(),
        smtp_url: smtp.url(),
    };
    let root = run.storage_root();
    let mut server = Server::start(&run, "server-1");
    server.ready().await;
    let db = guichet::server::db::connect(&run.database_url)
        .await
        .expect("connect to the server's database");
    demarche::Entity::update_many()
        .col_expr(demarche::Column::OpensOn, Expr::value(None::<String>))
        .col_expr(demarche::Column::ClosesOn, Expr::value(None::<String>))
        .exec(&db)
        .await
        .expect("open the démarches all year");

    // 100 citizens, each with a complete draft (sign-in, start, three pages, 3 files).
    let emails = insert_citizens(&db, CITIZENS).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let citizens: Vec<Citizen> = futures::stream::iter(emails.into_iter().enumerate())
        .map(|(i, email)| {
            let ip = format!("10.8.{}.{}", i / 200, i % 200 + 1);
            prepare(&client, &server.base, email, ip)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(citizens.len(), CITIZENS);
    let drafts_before = recorded_keys(&db).await.len();
    assert_eq!(drafts_before, 3 * CITIZENS, "three files per draft");

    // All at once: attach ~200 KB, then « Transmettre »; SIGKILL in the middle.
    let pdf = Arc::new(big_pdf(200_000));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let flows: Vec<_> = citizens
        .iter()
        .cloned()
        .map(|citizen| {
            tokio::spawn(attach_and_submit(
                client.clone(),
                server.base.clone(),
                citizen,
                pdf.clone(),
                acknowledged.clone(),
            ))
        })
        .collect();
    let started_at = Instant::now();
    while acknowledged.load(Ordering::SeqCst) < KILL_AFTER
        && started_at.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    let killed_at = acknowledged.load(Ordering::SeqCst);
    let killed_after = started_at.elapsed();
    let mut outcomes = HashMap::new();
    for (citizen, flow) in citizens.iter().zip(flows) {
        let outcome = flow.await.expect("the flow task ends");
        if let Outcome::Unexpected(what) = &outcome {
            panic!(
                "{}: before the kill the server answered {what}",
                citizen.email
            );
        }
        outcomes.insert(citizen.dossier, outcome);
    }
    let count = |o: &Outcome| outcomes.values().filter(|x| *x == o).count();
    println!(
        "SIGKILL after {killed_after:?}: {} submissions acknowledged, {} cut while submitting, {} cut while attaching",
        count(&Outcome::Submitted),
        count(&Outcome::CutWhileSubmitting),
        count(&Outcome::CutWhileAttaching),
    );
    assert!(killed_at >= 1, "nothing was submitted before the kill");

    // Restart on the same data.
    let mut server = Server::start(&run, "server-2");
    server.ready().await;

    // Each dossier is filed whole or still a draft, untouched by the half-done request.
    let receipts = receipts_by_number(&db).await;
    let mut filed_before = Vec::new();
    let mut drafts = Vec::new();
    for citizen in &citizens {
        let id = citizen.dossier;
        let row = dossier::Entity::find_by_id(id)
            .one(&db)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("dossier {id} is gone"));
        let events = history(&db, id).await;
        match row.status.as_str() {
            "depose" => {
                check_filed(&row, &events, &receipts);
                filed_before.push(id);
            }
            "brouillon" => {
                assert_ne!(
                    outcomes[&id],
                    Outcome::Submitted,
                    "dossier {id}: acknowledged, yet still a draft"
                );
                assert_eq!(row.number, None, "draft {id} has a number");
                assert_eq!(row.submitted_at, None, "draft {id}");
                assert_eq!(events, [started()], "draft {id}");
                let answers: Answers =
                    serde_json::from_str(&row.answers).expect("answers are JSON");
                assert_eq!(answers.text("jeune_nom"), Some("Durand"), "draft {id}");
                assert_eq!(
                    answers.text("auto_ecole_nom"),
                    Some("Auto-école du Centre"),
                    "draft {id}"
                );
                drafts.push(citizen.clone());
            }
            other => panic!("dossier {id} is « {other} »"),
        }
    }
    // No receipt for anything but the filed dossiers.
    assert_eq!(
        receipts.values().sum::<usize>(),
        filed_before.len(),
        "{receipts:?}"
    );

    // No row without its file; the cleaner removes exactly the files without a row.
    let recorded = recorded_keys(&db).await;
    let on_disk = files_on_disk(&root);
    let missing: Vec<&String> = recorded.difference(&on_disk).collect();
    assert!(missing.is_empty(), "rows without their file: {missing:?}");
    let staging_before = on_disk.iter().filter(|k| k.contains('#')).count();
    let orphans_before = on_disk
        .iter()
        .filter(|k| !k.contains('#') && !recorded.contains(*k))
        .count();
    let storage = Storage::local(&root).expect("the storage folder");
    let report = cleaner::sweep(&db, &storage, Duration::ZERO)
        .await
        .expect("sweep");
    let staging_removed = cleaner::sweep_staging(&root, Duration::ZERO)
        .await
        .expect("staging sweep");
    assert_eq!(report.deleted as usize, orphans_before, "{report:?}");
    assert_eq!(staging_removed as usize, staging_before);
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(
        files_on_disk(&root),
        recorded_keys(&db).await,
        "files and rows differ after the clean-up"
    );
    println!(
        "after restart: {} filed, {} complete drafts; the cleaner removed {} uploads without a row and {} unfinished ones",
        filed_before.len(),
        drafts.len(),
        report.deleted,
        staging_removed
    );

    // The restarted server serves « Mes dossiers » and takes the remaining drafts.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    for citizen in &citizens {
        let page = identified(
            client.get(format!("{}/mon-compte/dossiers", server.base)),
            &citizen.ip,
            Some(&citizen.cookie),
        )
        .send()
        .await
        .expect("« Mes dossiers »");
        assert_eq!(page.status(), 200, "{}", citizen.email);
        let html = page.text().await.expect("page");
        if let Some(number) = dossier::Entity::find_by_id(citizen.dossier)
            .one(&db)
            .await
            .expect("query")
            .and_then(|d| d.number)
        {
            assert!(
                html.contains(&number),
                "{}: {number} not listed",
                citizen.email
            );
        }
    }
    for citizen in &drafts {
        let id = citizen.dossier.to_string();
        let review: ReviewView = call::<ReviewDossier>(
            &client,
            &server.base,
            &citizen.ip,
            Some(&citizen.cookie),
            &[("id", id.as_str())],
        )
        .await
        .expect("review")
        .json()
        .await
        .expect("json");
        assert_eq!(review.problem, None, "draft {id} is not complete");
        let response = call::<SubmitDossier>(
            &client,
            &server.base,
            &citizen.ip,
            Some(&citizen.cookie),
            &[("id", id.as_str())],
        )
        .await
        .expect("submit");
        assert!(
            response.status().is_success(),
            "draft {id}: {}",
            response.status()
        );
    }
    let receipts = receipts_by_number(&db).await;
    let mut numbers = HashSet::new();
    for citizen in &citizens {
        let row = dossier::Entity::find_by_id(citizen.dossier)
            .one(&db)
            .await
            .expect("query")
            .expect("the dossier");
        assert_eq!(row.status, "depose", "dossier {}", row.id);
        check_filed(&row, &history(&db, row.id).await, &receipts);
        numbers.insert(row.number.clone().unwrap_or_default());
    }
    assert_eq!(numbers.len(), CITIZENS, "every number is used once");
    drop(server);
}

// ---------------------------------------------------------------------------------
// The database briefly unavailable
// ---------------------------------------------------------------------------------

/// A TCP proxy between the app and PostgreSQL. `cut` closes every connection through
/// it and stops listening (new connections are refused, as when the database is
/// down); `restore` listens again on the same port. While cut, the port stays bound
/// (a socket that does not listen): the port-0 servers of the tests running alongside
/// could otherwise be given it, and the app would reach one of them, not a refusal.
struct Proxy {
    port: u16,
    open: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = listen(0).expect("the proxy listens");
        let port = listener.local_addr().expect("the proxy's address").port();
        let (open, receiver) = watch::channel(true);
        let task = tokio::spawn(serve(listener, port, upstream, receiver));
        Self { port, open, task }
    }

    fn cut(&self) {
        self.open.send_replace(false);
    }

    fn restore(&self) {
        self.open.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A socket bound to `port` (0: any free port) on loopback, not yet listening.
fn bound(port: u16) -> std::io::Result<tokio::net::TcpSocket> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    Ok(socket)
}

fn listen(port: u16) -> std::io::Result<TcpListener> {
    bound(port)?.listen(1024)
}

async fn serve(first: TcpListener, port: u16, upstream: String, mut open: watch::Receiver<bool>) {
    let mut listener = Some(first);
    loop {
        match listener.take() {
            Some(accepting) => loop {
                tokio::select! {
                    accepted = accepting.accept() => {
                        if let Ok((client, _)) = accepted {
                            tokio::spawn(pipe(client, upstream.clone(), open.clone()));
                        }
                    }
                    changed = open.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if !*open.borrow_and_update() {
                            // `accepting` is dropped: connecting is refused.
                            break;
                        }
                    }
                }
            },
            None => {
                // The port stays taken while nothing listens on it.
                let reserved = bound(port).expect("the proxy keeps its port");
                loop {
                    if open.changed().await.is_err() {
                        return;
                    }
                    if *open.borrow_and_update() {
                        break;
                    }
                }
                listener = Some(reserved.listen(1024).expect("the proxy listens again"));
            }
        }
    }
}

/// Carries one connection until either side closes it or the line is cut.
async fn pipe(mut client: TcpStream, upstream: String, mut open: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(upstream.as_str()).await else {
        return;
    };
    let cut = async {
        loop {
            if !*open.borrow_and_update() {
                return;
            }
            if open.changed().await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut => {}
    }
}

/// Where `host:port` sits in a `postgres://user:password@host:port/db?…` URL.
fn authority(url: &str) -> std::ops::Range<usize> {
    let start = url.find("://").map(|i| i + 3).expect("a database URL");
    let end = url[start..]
        .find(['/', '?'])
        .map(|i| start + i)
        .unwrap_or(url.len());
    let host = url[start..end]
        .rfind('@')
        .map(|i| start + i + 1)
        .unwrap_or(start);
    host..end
}

#[tokio::test]
async fn database_briefly_unavailable_gives_a_french_page_and_recovers() {
    let postgres = std::env::var("GUICHET_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty());
    if postgres.is_none() {
        println!(
            "skipped: the database outage is simulated on PostgreSQL (set GUICHET_TEST_POSTGRES_URL); \
             a SQLite file has no connection to lose"
        );
        return;
    }
    let database = TestDatabase::new().await;
    let range = authority(&database.url);
    let host_port = &database.url[range.clone()];
    let upstream = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let proxy = Proxy::start(upstream).await;
    let smtp = SmtpSink::start().await;
    let mut settings = test_settings(&database, &smtp.url(), true);
    settings.database_url = format!(
        "{}127.0.0.1:{}{}",
        &database.url[..range.start],
        proxy.port,
        &database.url[range.end..]
    );
    let app = Spawned {
        app: TestApp::start_with(settings).await,
        smtp,
        database,
    };
    // The test's own look at the database, around the proxy.
    let direct = guichet::server::db::connect(&app.database.url)
        .await
        .expect("connect to PostgreSQL");

    open_all_year(&app).await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let files_before = files_on_disk(&app.state.settings.storage_path);
    assert_eq!(files_before.len(), 3);

    proxy.cut();

    // Pages that need the database: a French 503 page, quickly.
    let asked = Instant::now();
    let page = camille.get("/mon-compte/dossiers").await;
    let waited = asked.elapsed();
    assert_eq!(page.status(), 503);
    let html = page.text().await.expect("page");
    assert!(html.contains("<html lang=\"fr\""), "{html}");
    assert!(
        html.contains(
            "Le service est momentanément indisponible. Réessayez dans quelques instants."
        ),
        "{html}"
    );
    assert!(
        waited < Duration::from_secs(20),
        "« Mes dossiers » took {waited:?} to fail"
    );
    // The test app's own client (no session yet, the same request timeout).
    let client = &app.app.client;
    let catalogue = client
        .get(app.url("/demarches"))
        .send()
        .await
        .expect("the catalogue answers");
    assert_eq!(catalogue.status(), 503);
    assert!(
        catalogue
            .text()
            .await
            .expect("page")
            .contains("Le service est momentanément indisponible.")
    );

    // A file attached and a submission: refused, nothing written.
    let pdf = sample_pdf();
    let response = post_page(
        &camille,
        id,
        3,
        &[],
        &[("piece_identite", "cni-verso.pdf", &pdf[..])],
        "joindre:piece_identite",
    )
    .await;
    assert_eq!(response.status(), 303, "back to the page, which says why");
    let asked = Instant::now();
    let response = by_id::<SubmitDossier>(&camille, id).await;
    let submit_waited = asked.elapsed();
    assert_eq!(response.status(), 503);
    assert_eq!(error(response).await, AppError::Unavailable);
    println!(
        "database cut: « Mes dossiers » failed in {waited:?}, « Transmettre » in {submit_waited:?}"
    );
    let row = dossier::Entity::find_by_id(id)
        .one(&direct)
        .await
        .expect("query")
        .expect("the draft");
    assert_eq!(row.status, "brouillon");
    assert_eq!(row.number, None);
    assert_eq!(history(&direct, id).await, [started()]);
    assert!(receipts_by_number(&direct).await.is_empty());
    assert_eq!(
        dossier_file::Entity::find()
            .filter(dossier_file::Column::DossierId.eq(id))
            .count(&direct)
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        files_on_disk(&app.state.settings.storage_path),
        files_before
    );

    // Back: the app recovers by itself, and the same submission goes through.
    proxy.restore();
    let restored = Instant::now();
    eventually(
        "the catalogue answers again",
        Duration::from_secs(15),
        || {
            let request = client.get(app.url("/demarches")).send();
            async move {
                let response = request.await.ok()?;
                (response.status() == 200).then_some(())
            }
        },
    )
    .await;
    println!(
        "database back: the portal answered again after {:?}",
        restored.elapsed()
    );
    let number = submit(&app, &camille, id).await;
    assert_eq!(history(&direct, id).await, [started(), filed()]);
    assert_eq!(receipts_by_number(&direct).await.get(&number), Some(&1));
    let mails = mails_to(&app, email, 2).await;
    assert!(
        mails.iter().any(|m| m.subject().contains(&number)),
        "the receipt is delivered"
    );
    let page = camille.get("/mon-compte/dossiers").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("page").contains(&number));
}

/// A render stuck past its deadline is stopped. Here the app has one database
/// connection, one render turn and a deadline of one second, and the test holds the
/// connection in a transaction: the home page (« Démarches à la Une » is read from the
/// database) cannot be rendered. Each visitor gets the « Erreur technique » page with a
/// 503 and `Retry-After` (the page of a pool that gives up waiting has no
/// `Retry-After`, and comes after 3 or 10 s), the second one too (the first render gave
/// its only turn back), and once the connection is free again the page is served.
#[tokio::test]
async fn a_page_stuck_past_its_deadline_gets_the_error_page_and_frees_its_turn() {
    use sea_orm::TransactionTrait;
    let app = crate::helpers::spawn_app_with(&[
        ("GUICHET_DATABASE_MAX_CONNECTIONS", "1".to_owned()),
        ("GUICHET_CONCURRENT_RENDERS", "1".to_owned()),
        ("GUICHET_PAGE_TIMEOUT_MS", "1000".to_owned()),
    ])
    .await;
    let held = app.state.db.begin().await.expect("the only connection");
    for visitor in ["first", "second"] {
        let response = app.get("/").await;
        assert_eq!(response.status(), 503, "{visitor} visitor");
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("5"),
            "{visitor} visitor"
        );
        let html = response.text().await.expect("body");
        assert!(
            html.contains("Erreur technique"),
            "{visitor} visitor: {html}"
        );
    }
    held.rollback().await.expect("rollback");
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(html.contains("Démarches à la Une"));
}
