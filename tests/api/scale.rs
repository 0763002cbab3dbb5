//! Scale-out and faults.
//!
//! - Two instances of the app on one database (PostgreSQL when
//!   `GUICHET_TEST_POSTGRES_URL` is set, SQLite otherwise) and one SMTP server: a session
//!   opened on one is valid on the other and ends on both; the two mail workers send
//!   each email exactly once; the same draft submitted through both at the same moment
//!   makes one dossier, one history row and one receipt.
//! - The SMTP server down during 500 status changes made by instructors through the
//!   back-office's real form post, then back: every email delivered, none twice.
//! - A rush of simulated citizens against a release server (`scripts/rush.sh`; ignored
//!   in the normal run): latencies per step, and zero errors.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::account::api::{SignIn, SignOut};
use guichet::account::model::Role;
use guichet::backoffice::model::Action;
use guichet::dossiers::api::{StartDossier, SubmitDossier};
use guichet::dossiers::model::DossierStatus;
use guichet::forms::Answers;
use guichet::server::db::now;
use guichet::server::entities::{demarche, dossier, dossier_event, outbox};
use guichet::server::mail::{Action as MailAction, Template};
use guichet::server::uploads::sniff::sample_pdf;
use leptos::server_fn::ServerFn;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};

use crate::accounts::{Browser, PASSWORD, location, ok, verified_account};
use crate::backoffice::{
    Filed, act, citizen_account, demarche_row, insert_dossier, new_service, staff,
};
use crate::dossiers::{
    PAGE_1, PAGE_2, PERMIS, by_id, fill_permis, open_all_year, page_form, see_other, start,
};
use crate::helpers::app::test_settings;
use crate::helpers::smtp::ReceivedMail;
use crate::helpers::{SmtpSink, Spawned, TestApp, TestDatabase, eventually, free_port};

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

fn notice(n: usize) -> Template {
    Template::Notification {
        subject: format!("Message de test n° {n}"),
        heading: "Bonjour".into(),
        paragraphs: vec![format!("Ceci est le message n° {n}.")],
        action: Some(MailAction {
            label: "Mon compte".into(),
            url: "http://127.0.0.1:3000/mon-compte".into(),
        }),
    }
}

/// Queues one email per number through `app`'s mailer, each in its own transaction,
/// and wakes the workers of both instances after each.
async fn queue_through(app: &TestApp, other: &TestApp, to: &str, numbers: Vec<usize>) {
    for n in numbers {
        let txn = app.db.begin().await.expect("begin");
        app.state
            .mailer
            .queue(&txn, to, notice(n))
            .await
            .expect("queued");
        txn.commit().await.expect("commit");
        app.state.mailer.wake();
        other.state.mailer.wake();
    }
}

/// The emails the SMTP server received for `to`.
fn received_by(smtp: &SmtpSink, to: &str) -> Vec<ReceivedMail> {
    let wanted = format!("<{to}>");
    smtp.received()
        .into_iter()
        .filter(|m| m.envelope_to.contains(&wanted))
        .collect()
}

/// The Message-ID header as the outbox stores it, with its angle brackets.
fn message_id(mail: &ReceivedMail) -> String {
    format!("<{}>", mail.message_id())
}

async fn outbox_rows(db: &DatabaseConnection) -> Vec<outbox::Model> {
    outbox::Entity::find().all(db).await.expect("outbox rows")
}

async fn numbered_dossiers(db: &DatabaseConnection) -> u64 {
    dossier::Entity::find()
        .filter(dossier::Column::Number.is_not_null())
        .count(db)
        .await
        .expect("count")
}

// ---------------------------------------------------------------------------------
// 1. Two instances on one database
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn two_instances_share_sessions_mail_and_submissions() {
    let database = TestDatabase::new().await;
    let smtp = SmtpSink::start().await;
    let first = TestApp::start_with(test_settings(&database, &smtp.url(), true)).await;
    let demarches = demarche::Entity::find()
        .count(&first.db)
        .await
        .expect("count");
    assert!(demarches > 0, "the first instance seeds the demo démarches");
    // The second starts on a database already migrated and seeded: the migrations
    // find nothing to do and the demo data goes only into an empty database.
    let second = TestApp::start_with(test_settings(&database, &smtp.url(), true)).await;
    assert_ne!(first.address, second.address);
    assert_eq!(
        demarche::Entity::find()
            .count(&second.db)
            .await
            .expect("count"),
        demarches,
        "nothing seeded twice"
    );
    let a = Spawned {
        app: first,
        smtp,
        database,
    };
    let b = &second;

    // a) A session opened on the first instance is valid on the second, and signing
    //    out on the second ends it on the first.
    let email = "camille@example.org";
    verified_account(&a, email).await;
    let on_a = Browser::new(&a);
    let response = ok(on_a.sign_in(email, PASSWORD).await).await;
    assert_eq!(location(&response), "/mon-compte");
    let cookie = on_a.cookie().expect("a session cookie");
    let on_b = Browser::new(b);
    on_b.set_cookie(Some(cookie));
    let me = on_b
        .who()
        .await
        .expect("the first instance's session is valid on the second");
    assert_eq!(me.email, email);
    let page = on_b.get("/mon-compte").await;
    assert_eq!(page.status(), 200, "« Mon compte » rendered by the second");
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(b.url("/mon-compte"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("page");
    assert!(anonymous.status().is_redirection());
    assert!(
        location(&anonymous).starts_with("/connexion"),
        "{}",
        location(&anonymous)
    );
    let response = ok(on_b.call::<SignOut>(&[]).await).await;
    assert_eq!(location(&response), "/?message=deconnecte");
    assert!(
        on_a.who().await.is_none(),
        "signed out on the second instance, still signed in on the first"
    );
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(a.url("/mon-compte"))
        .header("Accept", "text/html")
        .header(
            "Cookie",
            format!("guichet_session={}", on_a.cookie().unwrap_or_default()),
        )
        .send()
        .await
        .expect("page");
    assert!(page.status().is_redirection(), "{}", page.status());
    assert!(location(&page).starts_with("/connexion"));

    // b) Both mail workers run on one outbox: 200 emails queued through both
    //    instances, each delivered exactly once.
    const EMAILS: usize = 200;
    let to = "file-commune@example.org";
    tokio::join!(
        queue_through(&a, b, to, (0..EMAILS).step_by(2).collect()),
        queue_through(b, &a, to, (1..EMAILS).step_by(2).collect()),
    );
    eventually(
        &format!("{EMAILS} emails received"),
        Duration::from_secs(60),
        || {
            let count = received_by(&a.smtp, to).len();
            async move { (count >= EMAILS).then_some(()) }
        },
    )
    .await;
    // Time for a wrong second sending to show.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mails = received_by(&a.smtp, to);
    assert_eq!(mails.len(), EMAILS, "each email exactly once");
    let ids: HashSet<String> = mails.iter().map(message_id).collect();
    assert_eq!(ids.len(), EMAILS, "distinct Message-IDs");
    let subjects: HashSet<String> = mails.iter().map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), EMAILS, "every email, none missing");
    let rows: Vec<outbox::Model> = outbox_rows(&a.db)
        .await
        .into_iter()
        .filter(|r| r.recipient == to)
        .collect();
    assert_eq!(rows.len(), EMAILS);
    for row in &rows {
        assert_eq!(row.status, "sent", "outbox row {}", row.id);
        assert_eq!(row.attempts, 1, "outbox row {} claimed once", row.id);
        assert!(row.sent_at.is_some());
    }
    let row_ids: HashSet<String> = rows.iter().map(|r| r.message_id.clone()).collect();
    assert_eq!(row_ids, ids, "what was received is what was queued");

    // c) The same draft submitted through both instances at the same moment: one
    //    number, one « Déposé » history row, one receipt. Ten times.
    open_all_year(&a).await;
    let email = "dominique@example.org";
    verified_account(&a, email).await;
    let on_a = Browser::new(&a);
    ok(on_a.sign_in(email, PASSWORD).await).await;
    let on_b = Browser::new(b);
    on_b.set_cookie(on_a.cookie());
    let mut numbers = Vec::new();
    for round in 0..10_u64 {
        // Drafts started and filled on one instance or the other: the files land in
        // the storage both share.
        let filler = if round.is_multiple_of(2) {
            &on_a
        } else {
            &on_b
        };
        let id = start(filler, PERMIS, None).await;
        fill_permis(filler, id).await;
        let (one, two) = tokio::join!(
            by_id::<SubmitDossier>(&on_a, id),
            by_id::<SubmitDossier>(&on_b, id),
        );
        let expected = format!("/mon-compte/dossiers/{id}?message=dossier-transmis");
        for response in [one, two] {
            assert_eq!(location(&ok(response).await), expected, "round {round}");
        }
        let row = dossier::Entity::find_by_id(id)
            .one(&a.db)
            .await
            .expect("query")
            .expect("the dossier");
        assert_eq!(row.status, "depose", "round {round}");
        let number = row.number.expect("a number");
        let events = dossier_event::Entity::find()
            .filter(dossier_event::Column::DossierId.eq(id))
            .all(&a.db)
            .await
            .expect("events");
        let deposits = events
            .iter()
            .filter(|e| e.from_status.as_deref() == Some("brouillon") && e.to_status == "depose")
            .count();
        assert_eq!(deposits, 1, "one Brouillon → Déposé event, round {round}");
        assert_eq!(events.len(), 2, "round {round}: {events:?}");
        assert_eq!(
            numbered_dossiers(&a.db).await,
            round + 1,
            "one numbered dossier per draft"
        );
        let receipts = outbox_rows(&a.db)
            .await
            .into_iter()
            .filter(|r| r.subject.starts_with("Accusé de réception") && r.subject.contains(&number))
            .count();
        assert_eq!(receipts, 1, "one receipt queued for {number}");
        numbers.push(number);
    }
    let distinct: HashSet<&String> = numbers.iter().collect();
    assert_eq!(distinct.len(), numbers.len(), "{numbers:?}");
    let is_receipt = |m: &ReceivedMail| m.subject().starts_with("Accusé de réception");
    let wanted = numbers.len();
    eventually("ten receipts received", Duration::from_secs(30), || {
        let count = received_by(&a.smtp, email)
            .iter()
            .filter(|m| is_receipt(m))
            .count();
        async move { (count >= wanted).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let receipts: Vec<ReceivedMail> = received_by(&a.smtp, email)
        .into_iter()
        .filter(|m| is_receipt(m))
        .collect();
    assert_eq!(receipts.len(), numbers.len(), "one receipt per dossier");
    for number in &numbers {
        let about = receipts
            .iter()
            .filter(|m| m.subject().contains(number.as_str()))
            .count();
        assert_eq!(about, 1, "receipts of {number}");
    }
}

// ---------------------------------------------------------------------------------
// 2. The SMTP server down during 500 status changes
// ---------------------------------------------------------------------------------

/// Ten instructor actions in a row, each allowed from the status the previous one
/// leads to and each emailed to the citizen.
const CYCLE: [Action; 10] = [
    Action::PasserEnInstruction,
    Action::DemanderComplements,
    Action::ClasserSansSuite,
    Action::RepasserEnInstruction,
    Action::Accepter,
    Action::RepasserEnInstruction,
    Action::Refuser,
    Action::RepasserEnInstruction,
    Action::DemanderComplements,
    Action::ClasserSansSuite,
];

#[tokio::test]
async fn smtp_down_during_500_status_changes_then_back_every_email_once() {
    const DOSSIERS: usize = 50;
    const INSTRUCTORS: usize = 5;
    const CITIZENS: usize = 5;
    const CHANGES: usize = DOSSIERS * CYCLE.len();
    let mut end = DossierStatus::Depose;
    for action in CYCLE {
        end = end
            .apply(action.transition())
            .unwrap_or_else(|| panic!("« {} » from « {} »", action.label(), end.label()));
    }

    // Nothing listens on the SMTP port. Retries come quickly, and the worker never
    // gives up on an email during the test.
    let database = TestDatabase::new().await;
    let port = free_port();
    let mut settings = test_settings(&database, &format!("smtp://127.0.0.1:{port}"), true);
    settings.mail.retry_base = Duration::from_millis(200);
    settings.mail.retry_max = Duration::from_secs(1);
    settings.mail.max_attempts = 1_000_000;
    let app = TestApp::start_with(settings).await;

    // Filed dossiers written directly (the back-office tests' helper, with the queue
    // columns the submission sets), and instructors signed in with their second factor.
    let permis = demarche_row(&app, PERMIS).await;
    let service_id = new_service(&app, "Service des aides (panne SMTP)", &[permis.id]).await;
    let mut instructors = Vec::new();
    for i in 0..INSTRUCTORS {
        instructors.push(
            staff(
                &app,
                &format!("instructeur{i}@departement.example"),
                ("Karim", "Benali"),
                Role::Instructor,
                &[service_id],
            )
            .await,
        );
    }
    let mut citizens = Vec::new();
    for i in 0..CITIZENS {
        citizens.push(
            citizen_account(
                &app,
                &format!("usager{i}@example.org"),
                ("Camille", "Martin"),
                None,
            )
            .await,
        );
    }
    let empty = Answers::new();
    let mut ids = Vec::new();
    for i in 0..DOSSIERS {
        let (filer, profile_id) = &citizens[i % CITIZENS];
        let number = format!("2026-{:06}", i + 1);
        ids.push(
            insert_dossier(
                &app,
                Filed {
                    demarche: &permis,
                    profile_id: *profile_id,
                    filer,
                    status: DossierStatus::Depose,
                    number: &number,
                    at: now(),
                    answers: &empty,
                },
            )
            .await,
        );
    }
    let before = outbox_rows(&app.db).await.len();

    // 500 status changes, each the form post of the dossier's page: five instructors
    // at once, each working through its dossiers one action after the other.
    let began = Instant::now();
    let work = instructors.iter().enumerate().map(|(k, instructor)| {
        let mine: Vec<i32> = ids.iter().copied().skip(k).step_by(INSTRUCTORS).collect();
        async move {
            for id in mine {
                for (step, action) in CYCLE.into_iter().enumerate() {
                    let version = 1 + step as i32;
                    let message = format!("Message {step} au sujet du dossier {id}.");
                    let response = act(instructor, id, action, version, &message).await;
                    assert_eq!(
                        see_other(&response),
                        format!("/instruction/dossiers/{id}#statut"),
                        "« {} » on dossier {id}",
                        action.label()
                    );
                }
            }
        }
    });
    futures::future::join_all(work).await;
    let changing = began.elapsed();
    for id in &ids {
        let row = dossier::Entity::find_by_id(*id)
            .one(&app.db)
            .await
            .expect("query")
            .expect("the dossier");
        assert_eq!(row.status, end.as_str(), "dossier {id}");
        assert_eq!(row.lock_version, 1 + CYCLE.len() as i32, "dossier {id}");
    }

    // Every change queued its email; none could leave.
    let rows = outbox_rows(&app.db).await;
    let status_emails = rows
        .iter()
        .filter(|r| r.subject.starts_with("Dossier "))
        .count();
    assert_eq!(status_emails, CHANGES, "one email per change");
    let expected = rows.len();
    assert_eq!(expected, before + CHANGES);
    assert!(
        rows.iter().all(|r| r.status == "pending"),
        "nothing sent or given up while SMTP is down"
    );
    // The worker keeps trying: each email has failed at least once.
    eventually(
        "every email tried while SMTP is down",
        Duration::from_secs(60),
        || {
            let db = app.db.clone();
            async move {
                let rows = outbox_rows(&db).await;
                rows.iter()
                    .all(|r| r.status == "pending" && r.attempts >= 1 && r.last_error.is_some())
                    .then_some(())
            }
        },
    )
    .await;
    let rows = outbox_rows(&app.db).await;
    let error = rows[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("SMTP"), "the cause is recorded: {error}");
    let most_attempts = rows.iter().map(|r| r.attempts).max().unwrap_or_default();

    // SMTP is back.
    let smtp = SmtpSink::start_on(port).await;
    let back = Instant::now();
    smtp.wait_for(expected, Duration::from_secs(180)).await;
    let drained = back.elapsed();
    // Time for a wrong second sending to show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), expected, "every email exactly once");
    let received: HashSet<String> = mails.iter().map(message_id).collect();
    assert_eq!(received.len(), expected, "distinct Message-IDs");
    let rows = outbox_rows(&app.db).await;
    assert!(
        rows.iter()
            .all(|r| r.status == "sent" && r.sent_at.is_some()),
        "no outbox row left pending or failed"
    );
    let queued: HashSet<String> = rows.iter().map(|r| r.message_id.clone()).collect();
    assert_eq!(queued, received, "what was received is what was queued");
    println!(
        "SMTP down: {CHANGES} status changes by {INSTRUCTORS} instructors in {:.1} s queued \
         {expected} emails (up to {most_attempts} failed attempts each); SMTP back: all \
         {expected} delivered in {:.1} s, each exactly once",
        changing.as_secs_f64(),
        drained.as_secs_f64(),
    );
    drop(instructors);
    app.stop().await;
}

// ---------------------------------------------------------------------------------
// 3. A rush of citizens (scripts/rush.sh)
// ---------------------------------------------------------------------------------

/// The password `scripts/rush.sh` gives the citizens it creates (unless
/// `GUICHET_RUSH_PASSWORD` says otherwise).
const RUSH_PASSWORD: &str = "Foule-Des-Usagers-2026";

/// The address of simulated citizen `i`, as `scripts/rush.sh` creates it.
fn rush_email(i: usize) -> String {
    format!("usager-{i}@foule.example")
}

/// The steps of a citizen's visit, in the order they are printed.
const STEPS: [&str; 13] = [
    "sign-in page",
    "sign in (form post)",
    "Mon compte",
    "catalogue",
    "start page",
    "start a draft",
    "form page",
    "save a page",
    "attach the PDFs",
    "review",
    "submit",
    "dossier page",
    "Mes dossiers",
];

struct Sample {
    step: &'static str,
    took: Duration,
    ok: bool,
}

struct Answer {
    status: reqwest::StatusCode,
    location: String,
    body: String,
}

/// 200 with `marker` in the page (when there is one).
fn page(answer: &Answer, marker: Option<&str>) -> Result<(), String> {
    if answer.status != reqwest::StatusCode::OK {
        let start: String = answer.body.chars().take(200).collect();
        return Err(format!("{} instead of 200: {start}", answer.status));
    }
    match marker {
        Some(m) if !answer.body.contains(m) => Err(format!("the page lacks {m:?}")),
        _ => Ok(()),
    }
}

/// A redirect to exactly `to`.
fn redirect(answer: &Answer, to: &str) -> Result<(), String> {
    if answer.status.is_redirection() && answer.location == to {
        Ok(())
    } else {
        Err(format!(
            "{} to {:?} instead of a redirect to {to:?}",
            answer.status, answer.location
        ))
    }
}

/// One simulated citizen: a browser of its own (connections, session cookie) behind
/// its own address (`X-Forwarded-For`, trusted by the server of the rush).
struct Citizen {
    client: reqwest::Client,
    base: String,
    email: String,
    password: String,
    ip: String,
    cookie: Option<String>,
    pdf: Arc<Vec<u8>>,
    samples: Vec<Sample>,
    errors: Vec<String>,
    loops: usize,
    submitted: usize,
}

impl Citizen {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("X-Forwarded-For", self.ip.as_str());
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", format!("guichet_session={cookie}"));
        }
        request
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }

    /// A form posted without JavaScript from `page`.
    fn form(&self, path: &str, page: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
            .header("Accept", "text/html")
            .header("Referer", format!("{}{page}", self.base))
            .form(fields)
    }

    fn remember(&mut self, headers: &reqwest::header::HeaderMap) {
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            if let Some(rest) = text.strip_prefix("guichet_session=") {
                let v = rest.split(';').next().unwrap_or_default().to_string();
                let expired = text.contains("Max-Age=0") || v.is_empty();
                self.cookie = if expired { None } else { Some(v) };
            }
        }
    }

    /// Sends a request, reads the whole answer, checks it and records how long it took
    /// and whether it was right.
    async fn send(
        &mut self,
        step: &'static str,
        request: reqwest::RequestBuilder,
        check: impl FnOnce(&Answer) -> Result<(), String>,
    ) -> Option<Answer> {
        let began = Instant::now();
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status();
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                self.remember(response.headers());
                match response.text().await {
                    Ok(body) => Ok(Answer {
                        status,
                        location,
                        body,
                    }),
                    Err(e) => Err(format!("reading the answer: {e}")),
                }
            }
            Err(e) => Err(format!("sending: {e}")),
        };
        let took = began.elapsed();
        let checked = answer.and_then(|a| check(&a).map(|()| a));
        self.samples.push(Sample {
            step,
            took,
            ok: checked.is_ok(),
        });
        match checked {
            Ok(answer) => Some(answer),
            Err(e) => {
                if self.errors.len() < 5 {
                    self.errors.push(format!("{} — {step}: {e}", self.email));
                }
                None
            }
        }
    }

    /// One visit: sign in, catalogue, a draft filled page by page with its PDFs,
    /// submitted, then « Mes dossiers ». Stops at the first wrong answer.
    async fn visit(&mut self) -> Option<()> {
        // A new visit, signed out.
        self.cookie = None;
        self.send("sign-in page", self.get("/connexion"), |a| page(a, None))
            .await?;
        let (email, password) = (self.email.clone(), self.password.clone());
        let sign_in = self.form(
            SignIn::PATH,
            "/connexion",
            &[
                ("email", email.as_str()),
                ("password", password.as_str()),
                ("retour", ""),
            ],
        );
        self.send("sign in (form post)", sign_in, |a| {
            redirect(a, "/mon-compte")
        })
        .await?;
        self.send("Mon compte", self.get("/mon-compte"), |a| page(a, None))
            .await?;
        let tile = format!("/demarches/{PERMIS}\"");
        self.send("catalogue", self.get("/demarches"), |a| {
            page(a, Some(tile.as_str()))
        })
        .await?;
        let start_page = format!("/demarches/{PERMIS}/commencer");
        self.send("start page", self.get(&start_page), |a| page(a, None))
            .await?;
        let start = self.form(StartDossier::PATH, &start_page, &[("slug", PERMIS)]);
        let started = self
            .send("start a draft", start, |a| {
                if a.status.is_redirection()
                    && a.location.starts_with("/dossiers/")
                    && a.location.ends_with("/etape/1")
                {
                    Ok(())
                } else {
                    Err(format!(
                        "{} to {:?} instead of a draft's first page",
                        a.status, a.location
                    ))
                }
            })
            .await?;
        let id: i32 = started
            .location
            .trim_start_matches("/dossiers/")
            .trim_end_matches("/etape/1")
            .parse()
            .ok()?;
        let pdf = self.pdf.clone();
        let files: [(&str, &str, &[u8]); 3] = [
            ("piece_identite", "identite.pdf", &pdf[..]),
            ("justificatif_domicile", "domicile.pdf", &pdf[..]),
            ("devis_auto_ecole", "devis.pdf", &pdf[..]),
        ];
        type Page<'a> = (
            &'static str,
            &'a [(&'a str, &'a str)],
            &'a [(&'a str, &'a str, &'a [u8])],
        );
        let pages: [Page; 3] = [
            ("save a page", PAGE_1, &[]),
            ("save a page", PAGE_2, &[]),
            ("attach the PDFs", &[], &files),
        ];
        for (n, (step, fields, files)) in (1..).zip(pages) {
            let path = format!("/dossiers/{id}/etape/{n}");
            self.send("form page", self.get(&path), |a| page(a, None))
                .await?;
            let next = if n < 3 {
                format!("/dossiers/{id}/etape/{}", n + 1)
            } else {
                format!("/dossiers/{id}/verification")
            };
            let post = self
                .request(reqwest::Method::POST, &path)
                .multipart(page_form(fields, files, "suivante"));
            self.send(step, post, |a| redirect(a, &next)).await?;
        }
        let review = format!("/dossiers/{id}/verification");
        self.send("review", self.get(&review), |a| page(a, None))
            .await?;
        let key = id.to_string();
        let submit = self.form(SubmitDossier::PATH, &review, &[("id", key.as_str())]);
        let filed = format!("/mon-compte/dossiers/{id}?message=dossier-transmis");
        self.send("submit", submit, |a| redirect(a, &filed)).await?;
        self.submitted += 1;
        self.send("dossier page", self.get(&filed), |a| page(a, None))
            .await?;
        let link = format!("/mon-compte/dossiers/{id}\"");
        self.send("Mes dossiers", self.get("/mon-compte/dossiers"), |a| {
            page(a, Some(link.as_str()))
        })
        .await?;
        self.loops += 1;
        Some(())
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        _ => default,
    }
}

/// The nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// One line of the latency table.
fn print_row(cells: &[String; 7]) {
    println!(
        "{:<22} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}",
        cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load run against a release server: scripts/rush.sh"]
async fn a_rush_of_citizens() {
    let base = std::env::var("GUICHET_RUSH_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| {
            panic!(
                "GUICHET_RUSH_URL is not set: this test runs against a release server \
                 with its citizens created; run scripts/rush.sh"
            )
        })
        .trim_end_matches('/')
        .to_owned();
    let citizens = env_number("GUICHET_RUSH_CITIZENS", 200) as usize;
    let seconds = env_number("GUICHET_RUSH_SECONDS", 60);
    let password = std::env::var("GUICHET_RUSH_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| RUSH_PASSWORD.to_owned());
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap_or_else(|e| panic!("no server at GUICHET_RUSH_URL={base}: {e}"));
    assert!(
        health.status().is_success(),
        "{base}/healthz answers {}",
        health.status()
    );
    // With the server's database: the démarche open whatever the date, and the
    // dossiers counted before and after.
    let db = match std::env::var("GUICHET_RUSH_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(
            guichet::server::db::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("GUICHET_RUSH_DATABASE_URL={url}: {e}")),
        ),
        _ => None,
    };
    let filed_before = match &db {
        Some(db) => {
            demarche::Entity::update_many()
                .col_expr(demarche::Column::OpensOn, Expr::value(None::<String>))
                .col_expr(demarche::Column::ClosesOn, Expr::value(None::<String>))
                .filter(demarche::Column::Slug.eq(PERMIS))
                .exec(db)
                .await
                .expect("open the démarche");
            Some(numbered_dossiers(db).await)
        }
        None => None,
    };

    println!("a rush of {citizens} citizens for {seconds} s against {base}");
    let pdf = Arc::new(sample_pdf());
    let began = Instant::now();
    let deadline = began + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..citizens {
        let mut citizen = Citizen {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(120))
                .build()
                .expect("http client"),
            base: base.clone(),
            email: rush_email(i),
            password: password.clone(),
            ip: format!(
                "10.{}.{}.{}",
                ((i + 1) >> 16) & 255,
                ((i + 1) >> 8) & 255,
                (i + 1) & 255
            ),
            cookie: None,
            pdf: pdf.clone(),
            samples: Vec::new(),
            errors: Vec::new(),
            loops: 0,
            submitted: 0,
        };
        tasks.spawn(async move {
            while Instant::now() < deadline {
                citizen.visit().await;
            }
            citizen
        });
    }
    let mut by_step: HashMap<&'static str, (Vec<Duration>, usize)> = HashMap::new();
    let mut messages = Vec::new();
    let (mut loops, mut submitted, mut requests, mut failed) = (0, 0, 0, 0);
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let citizen = done.expect("a citizen's task ends without panicking");
        loops += citizen.loops;
        submitted += citizen.submitted;
        messages.extend(citizen.errors);
        for sample in citizen.samples {
            requests += 1;
            let entry = by_step.entry(sample.step).or_default();
            entry.0.push(sample.took);
            all.push(sample.took);
            if !sample.ok {
                failed += 1;
                entry.1 += 1;
            }
        }
    }
    let elapsed = began.elapsed();

    let header = [
        "step", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms",
    ];
    print_row(&header.map(String::from));
    let mut rows: BTreeMap<usize, (&str, Vec<Duration>, usize)> = BTreeMap::new();
    for (step, (durations, failures)) in by_step {
        let order = STEPS.iter().position(|s| *s == step).unwrap_or(STEPS.len());
        rows.insert(order, (step, durations, failures));
    }
    rows.insert(usize::MAX, ("all requests", all, failed));
    for (_, (step, mut durations, failures)) in rows {
        durations.sort();
        print_row(&[
            step.to_owned(),
            durations.len().to_string(),
            failures.to_string(),
            ms(percentile(&durations, 50.0)),
            ms(percentile(&durations, 95.0)),
            ms(percentile(&durations, 99.0)),
            ms(durations.last().copied().unwrap_or_default()),
        ]);
    }
    println!(
        "total: {requests} requests in {:.1} s ({:.0} requests/s), {failed} errors; \
         {loops} visits completed, {submitted} dossiers submitted by {citizens} citizens",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64().max(0.001),
    );
    for error in messages.iter().take(20) {
        println!("error: {error}");
    }
    assert_eq!(failed, 0, "every request of the rush answered as expected");
    assert!(loops > 0, "at least one visit completed");
    if let (Some(db), Some(before)) = (&db, filed_before) {
        let after = numbered_dossiers(db).await;
        assert_eq!(
            after - before,
            submitted as u64,
            "every submission made one numbered dossier, no more"
        );
    }
}
