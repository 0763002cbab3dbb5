//! The back-office: the second factor of staff accounts; who may see and do what (no
//! leak between services, to citizens or to anonymous callers); the status machine as
//! the instructors drive it, with its emails; optimistic locking; messages and
//! documents; the queue's tabs, filters, search and keyset pages; the CSV export.
//!
//! Staff accounts, services and their links are inserted in the database (the screens
//! that manage them are not part of the back-office), and so are the many dossiers of
//! the queue and export tests; everything else goes through the HTTP surface, and
//! emails are read from the real SMTP server.

use crate::dossiers::{
    FONDS, PAGE_2, PERMIS, by_id, create_commune, fill_fonds, fill_permis, join, open_all_year,
    post_page, see_other, signed_in, start, submit,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use guichet::account::api::{
    ConfirmSecondFactor, EnrolmentView, RecoveryCodesOnce, SecondFactorEnrolment,
    VerifySecondFactor,
};
use guichet::account::model::Role;
use guichet::backoffice::api::{
    AnnotateDossier, CitizenThread, FollowDossier, InstructionDossier, InstructionHome,
    InstructionQueue, ReceivedDocuments,
};
use guichet::backoffice::model::{
    Action, DemarcheCounts, Flash, InstructionView, MessageRow, QueuePage, QueueRow, ReceivedRow,
    TabCounts,
};
use guichet::backoffice::service::queue_columns;
use guichet::dossiers::api::GetDossier;
use guichet::dossiers::model::{DossierStatus, DossierView};
use guichet::error::AppError;
use guichet::forms::{Answers, Value};
use guichet::profiles::service::{ensure_personal_profile, seed_profile};
use guichet::server::db::now;
use guichet::server::entities::{
    account, demarche, demarche_service, document_read, dossier, dossier_annotation, dossier_event,
    dossier_file, dossier_follower, dossier_message, message_file, outbox, received_document,
    recovery_code, service, service_member,
};
use guichet::server::totp::{current_code, new_secret};
use guichet::server::uploads::sniff::sample_pdf;
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use time::OffsetDateTime;

use crate::accounts::{Browser, PASSWORD, error, location, ok, verified_account};
use crate::helpers::smtp::ReceivedMail;
use crate::helpers::{Spawned, TestApp, eventually, spawn_app};

const SPORT: &str = "subvention-associations-sportives";
const TRANSPORT: &str = "transport-scolaire-adapte";

/// Every status of a filed dossier.
const FILED: [DossierStatus; 7] = [
    DossierStatus::Depose,
    DossierStatus::EnInstruction,
    DossierStatus::ComplementsDemandes,
    DossierStatus::ComplementsRecus,
    DossierStatus::Accepte,
    DossierStatus::Refuse,
    DossierStatus::ClasseSansSuite,
];

// ---------------------------------------------------------------------------------
// Helpers: accounts, services, sign-in
// ---------------------------------------------------------------------------------

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// The JSON of a successful answer.
pub(crate) async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    ok(response).await.json().await.expect("json")
}

/// An account written directly in the database, its address confirmed, with the test
/// password and, for staff, a TOTP secret (or none: enrolment at the first sign-in).
pub(crate) async fn insert_account(
    app: &TestApp,
    email: &str,
    (first, last): (&str, &str),
    role: Role,
    secret: Option<&str>,
    commune: Option<&str>,
) -> account::Model {
    let hash = guichet::server::password::hash(PASSWORD.to_owned())
        .await
        .expect("hash the password");
    let now = now();
    let id = account::Entity::insert(account::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set(hash),
        civilite: Set("Mme".to_owned()),
        first_name: Set(first.to_owned()),
        last_name: Set(last.to_owned()),
        role: Set(role.as_str().to_owned()),
        email_verified_at: Set(Some(now)),
        active: Set(true),
        commune: Set(commune.map(str::to_owned)),
        terms_accepted_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        totp_secret: Set(secret.map(str::to_owned)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("insert an account")
    .last_insert_id;
    account::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("the account")
}

/// A citizen written directly in the database, with the personal profile sign-up
/// makes: the account and the profile's id.
pub(crate) async fn citizen_account(
    app: &TestApp,
    email: &str,
    name: (&str, &str),
    commune: Option<&str>,
) -> (account::Model, i32) {
    let account = insert_account(app, email, name, Role::Citizen, None, commune).await;
    let profile = ensure_personal_profile(&app.db, &account)
        .await
        .expect("the personal profile");
    (account, profile)
}

pub(crate) async fn demarche_row(app: &TestApp, slug: &str) -> demarche::Model {
    demarche::Entity::find()
        .filter(demarche::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("the demo démarche {slug}"))
}

/// A service instructeur handling these démarches: its id.
pub(crate) async fn new_service(app: &TestApp, name: &str, demarches: &[i32]) -> i32 {
    let id = service::Entity::insert(service::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("insert a service")
    .last_insert_id;
    for demarche_id in demarches {
        demarche_service::Entity::insert(demarche_service::ActiveModel {
            demarche_id: Set(*demarche_id),
            service_id: Set(id),
        })
        .exec(&app.db)
        .await
        .expect("link the démarche to the service");
    }
    id
}

/// A staff account (a new TOTP secret) in these services, signed in with its password
/// then its current code, in a browser of its own. Each account signs in once: a code
/// is accepted only once.
pub(crate) async fn staff<'a>(
    app: &'a TestApp,
    email: &str,
    name: (&str, &str),
    role: Role,
    services: &[i32],
) -> Browser<'a> {
    let secret = new_secret();
    let account = insert_account(app, email, name, role, Some(secret.as_str()), None).await;
    for service_id in services {
        service_member::Entity::insert(service_member::ActiveModel {
            service_id: Set(*service_id),
            account_id: Set(account.id),
        })
        .exec(&app.db)
        .await
        .expect("add the account to the service");
    }
    let browser = Browser::new(app);
    let response = ok(browser.sign_in(email, PASSWORD).await).await;
    assert_eq!(location(&response), "/connexion/code", "{email}");
    let code = current_code(&secret, unix_now());
    let response = ok(browser
        .call::<VerifySecondFactor>(&[("code", code.as_str())])
        .await)
    .await;
    assert_eq!(location(&response), "/instruction", "{email}");
    browser
}

// ---------------------------------------------------------------------------------
// Helpers: the citizen's side (as in dossiers.rs)
// ---------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------
// Helpers: the back-office
// ---------------------------------------------------------------------------------

/// The back-office page of a dossier; reading it consumes the flash of its forms.
async fn instruction_view(browser: &Browser<'_>, id: i32) -> InstructionView {
    json(by_id::<InstructionDossier>(browser, id).await).await
}

async fn home_of(browser: &Browser<'_>) -> Vec<DemarcheCounts> {
    json(browser.call::<InstructionHome>(&[]).await).await
}

/// The citizen's message thread and the flash of its form.
async fn thread_of(browser: &Browser<'_>, id: i32) -> (Vec<MessageRow>, Flash) {
    json(by_id::<CitizenThread>(browser, id).await).await
}

async fn received(browser: &Browser<'_>) -> Vec<ReceivedRow> {
    json(browser.call::<ReceivedDocuments>(&[]).await).await
}

/// An action of the dossier's page (« Passer en instruction »…) seen at `version`.
pub(crate) async fn act(
    browser: &Browser<'_>,
    id: i32,
    action: Action,
    version: i32,
    message: &str,
) -> reqwest::Response {
    act_with(browser, id, action, version, message, None).await
}

/// The same with a document: (its title, its file name, its bytes).
async fn act_with(
    browser: &Browser<'_>,
    id: i32,
    action: Action,
    version: i32,
    message: &str,
    document: Option<(&str, &str, &[u8])>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("action", action.slug())
        .text("version", version.to_string())
        .text("message", message.to_owned());
    if let Some((title, name, bytes)) = document {
        form = form.text("titre_document", title.to_owned()).part(
            "document",
            Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
    }
    browser
        .post_multipart(&format!("/instruction/dossiers/{id}/action"), form, false)
        .await
}

/// A message of the thread (its text and files), posted to `path` as its form does.
async fn post_message(
    browser: &Browser<'_>,
    path: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    let mut form = Form::new().text("corps", body.to_owned());
    for (name, bytes) in files {
        form = form.part(
            "fichiers",
            Part::bytes(bytes.to_vec()).file_name((*name).to_owned()),
        );
    }
    browser.post_multipart(path, form, false).await
}

/// « Envoyer un document »: a title, a message and the PDF (name, bytes).
async fn send_document(
    browser: &Browser<'_>,
    id: i32,
    title: &str,
    message: &str,
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("titre", title.to_owned())
        .text("message", message.to_owned());
    if let Some((name, bytes)) = file {
        form = form.part(
            "document",
            Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
    }
    browser
        .post_multipart(&format!("/instruction/dossiers/{id}/document"), form, false)
        .await
}

/// A URL-encoded form post (the queue's bulk actions) with the browser's session.
async fn post_form(
    app: &TestApp,
    browser: &Browser<'_>,
    path: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.post(app.url(path)).form(pairs);
    if let Some(cookie) = browser.cookie() {
        request = request.header("Cookie", format!("guichet_session={cookie}"));
    }
    request.send().await.expect("request sent")
}

/// A page of a démarche's queue; `params` are the page's GET fields (`onglet`, `q`…).
async fn queue(browser: &Browser<'_>, demarche_id: i32, params: &[(&str, &str)]) -> QueuePage {
    let id = demarche_id.to_string();
    let keys: Vec<String> = params.iter().map(|(k, _)| format!("query[{k}]")).collect();
    let mut form: Vec<(&str, &str)> = vec![("id", id.as_str())];
    for (key, &(_, value)) in keys.iter().zip(params) {
        form.push((key.as_str(), value));
    }
    if params.is_empty() {
        // The query is a struct argument: send one of its fields at least.
        form.push(("query[tri]", "recents"));
    }
    json(browser.call::<InstructionQueue>(&form).await).await
}

/// Every row of a queue, page after page with the `apres` cursor, and the number of
/// pages read.
async fn walk(
    browser: &Browser<'_>,
    demarche_id: i32,
    params: &[(&str, &str)],
) -> (Vec<QueueRow>, usize) {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = params.to_vec();
        if let Some(cursor) = &after {
            query.push(("apres", cursor.as_str()));
        }
        let page = queue(browser, demarche_id, &query).await;
        pages += 1;
        assert!(page.filter_errors.is_empty(), "{:?}", page.filter_errors);
        assert!(page.rows.len() <= 25, "pages of 25");
        let full = page.rows.len() == 25;
        rows.extend(page.rows);
        match page.next {
            Some(next) => {
                assert!(full, "a cursor after a full page only");
                after = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "the cursor does not move on: {params:?}");
    }
    (rows, pages)
}

fn ids_of(rows: &[QueueRow]) -> Vec<i32> {
    rows.iter().map(|r| r.id).collect()
}

/// The emails received by `to` with this subject.
pub(crate) fn mails(app: &Spawned, to: &str, subject: &str) -> Vec<ReceivedMail> {
    let wanted = format!("<{to}>");
    app.smtp
        .received()
        .into_iter()
        .filter(|m| m.envelope_to.contains(&wanted) && m.subject() == subject)
        .collect()
}

/// Waits for the email to `to` with this subject.
pub(crate) async fn mail(app: &Spawned, to: &str, subject: &str) -> ReceivedMail {
    eventually(
        &format!("« {subject} » to {to}"),
        Duration::from_secs(10),
        || {
            let found = mails(app, to, subject).into_iter().next();
            async move { found }
        },
    )
    .await
}

async fn outbox_count(app: &TestApp) -> u64 {
    outbox::Entity::find().count(&app.db).await.expect("count")
}

/// The emails queued about dossier `number` (status changes, messages, documents),
/// oldest first: (recipient, subject). The outbox is written in the same transaction
/// as the change, so this needs no waiting.
async fn queued_about(app: &TestApp, number: &str) -> Vec<(String, String)> {
    let prefix = format!("Dossier {number} : ");
    outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .expect("query")
        .into_iter()
        .filter(|m| m.subject.starts_with(&prefix))
        .map(|m| (m.recipient, m.subject))
        .collect()
}

/// The subject of the email of a status change.
pub(crate) fn status_subject(number: &str, status: DossierStatus) -> String {
    format!("Dossier {number} : {}", status.label().to_lowercase())
}

pub(crate) async fn dossier_row(app: &TestApp, id: i32) -> dossier::Model {
    dossier::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("dossier {id} exists"))
}

/// The documents sent about a dossier.
async fn documents_of(app: &TestApp, id: i32) -> Vec<received_document::Model> {
    received_document::Entity::find()
        .filter(received_document::Column::DossierId.eq(id))
        .order_by_asc(received_document::Column::Id)
        .all(&app.db)
        .await
        .expect("query")
}

async fn events(app: &TestApp, id: i32) -> Vec<dossier_event::Model> {
    dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(id))
        .order_by_asc(dossier_event::Column::Id)
        .all(&app.db)
        .await
        .expect("query")
}

/// Every file under the app's storage folder, sorted.
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk_dir(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk_dir(&app.state.settings.storage_path, &mut out);
    out.sort();
    out
}

/// What a refused call must not change about a dossier.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    status: String,
    lock_version: i32,
    decided_at: Option<OffsetDateTime>,
    events: u64,
    messages: u64,
    message_files: u64,
    annotations: u64,
    followers: u64,
    documents: u64,
    reads: u64,
    outbox: u64,
    stored: usize,
}

async fn snapshot(app: &TestApp, id: i32) -> Snapshot {
    let db = &app.db;
    let row = dossier_row(app, id).await;
    Snapshot {
        status: row.status,
        lock_version: row.lock_version,
        decided_at: row.decided_at,
        events: dossier_event::Entity::find()
            .filter(dossier_event::Column::DossierId.eq(id))
            .count(db)
            .await
            .expect("count"),
        messages: dossier_message::Entity::find()
            .filter(dossier_message::Column::DossierId.eq(id))
            .count(db)
            .await
            .expect("count"),
        message_files: message_file::Entity::find()
            .filter(message_file::Column::DossierId.eq(id))
            .count(db)
            .await
            .expect("count"),
        annotations: dossier_annotation::Entity::find()
            .filter(dossier_annotation::Column::DossierId.eq(id))
            .count(db)
            .await
            .expect("count"),
        followers: dossier_follower::Entity::find()
            .filter(dossier_follower::Column::DossierId.eq(id))
            .count(db)
            .await
            .expect("count"),
        documents: received_document::Entity::find()
            .filter(received_document::Column::DossierId.eq(id))
            .count(db)
            .await
            .expect("count"),
        reads: document_read::Entity::find()
            .count(db)
            .await
            .expect("count"),
        outbox: outbox_count(app).await,
        stored: stored_files(app).len(),
    }
}

/// A dossier row written directly, with the queue columns that the submission sets
/// (`queue_columns`, the function the submission calls).
pub(crate) struct Filed<'a> {
    pub(crate) demarche: &'a demarche::Model,
    pub(crate) profile_id: i32,
    pub(crate) filer: &'a account::Model,
    pub(crate) status: DossierStatus,
    /// Ignored for a draft.
    pub(crate) number: &'a str,
    pub(crate) at: OffsetDateTime,
    pub(crate) answers: &'a Answers,
}

/// Queue filters as (name, value) pairs, and the dossiers they must list.
type FilterCase<'a> = (&'a [(&'a str, &'a str)], Vec<i32>);

pub(crate) async fn insert_dossier(app: &TestApp, f: Filed<'_>) -> i32 {
    let draft = f.status == DossierStatus::Brouillon;
    let (kind, commune, search) = if draft {
        (None, None, None)
    } else {
        let (kind, commune, search) = queue_columns(&app.db, f.profile_id, f.filer, f.number)
            .await
            .expect("the queue columns");
        (Some(kind), commune, Some(search))
    };
    let decided = matches!(
        f.status,
        DossierStatus::Accepte | DossierStatus::Refuse | DossierStatus::ClasseSansSuite
    );
    let search_text = search.clone();
    let id = dossier::Entity::insert(dossier::ActiveModel {
        demarche_id: Set(f.demarche.id),
        version_id: Set(f.demarche.current_version_id.expect("a published version")),
        profile_id: Set(f.profile_id),
        created_by: Set(Some(f.filer.id)),
        status: Set(f.status.as_str().to_owned()),
        number: Set((!draft).then(|| f.number.to_owned())),
        answers: Set(serde_json::to_string(f.answers).expect("answers as JSON")),
        lock_version: Set(1),
        created_at: Set(f.at),
        updated_at: Set(f.at),
        submitted_at: Set((!draft).then_some(f.at)),
        decided_at: Set(decided.then_some(f.at + time::Duration::days(1))),
        stage: Set(f.status.stage()),
        profile_kind: Set(kind),
        commune_key: Set(commune),
        search_text: Set(search.clone()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("insert a dossier")
    .last_insert_id;
    if let Some(text) = &search_text {
        guichet::backoffice::service::index_words(&app.db, f.demarche.id, id, text)
            .await
            .expect("the search words");
        // What the submission keeps too: the counters of the tabs.
        guichet::backoffice::service::count_change(
            &app.db,
            f.demarche.id,
            DossierStatus::Brouillon,
            f.status,
        )
        .await
        .expect("the counters");
    }
    id
}

// ---------------------------------------------------------------------------------
// 1. The second factor
// ---------------------------------------------------------------------------------

/// A code that is not the current one: every digit moved by one.
fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_digit((d + 1) % 10, 10))
                .unwrap_or('0')
        })
        .collect()
}

#[tokio::test]
async fn second_factor_is_required_for_staff() {
    let app = spawn_app().await;

    // An instructor whose authenticator app is set up: the password alone opens nothing.
    let karim = "karim@departement.example";
    let secret = new_secret();
    insert_account(
        &app,
        karim,
        ("Karim", "Benali"),
        Role::Instructor,
        Some(secret.as_str()),
        None,
    )
    .await;
    let first = Browser::new(&app);
    let response = ok(first.sign_in(karim, PASSWORD).await).await;
    assert_eq!(location(&response), "/connexion/code");
    assert!(first.who().await.is_none(), "not signed in before the code");
    let response = first.call::<InstructionHome>(&[]).await;
    assert_eq!(response.status(), 401);
    assert_eq!(error(response).await, AppError::Unauthenticated);

    // A wrong code is refused in French, and still opens nothing.
    let code = current_code(&secret, unix_now());
    let wrong = wrong_code(&code);
    let response = first
        .call::<VerifySecondFactor>(&[("code", wrong.as_str())])
        .await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    let message = e.field_message("code").unwrap_or_default();
    assert!(message.starts_with("Ce code n’est pas valide."), "{e:?}");
    assert_eq!(first.call::<InstructionHome>(&[]).await.status(), 401);

    // The right code: signed in, the back-office answers (no service yet: no démarche).
    let response = ok(first
        .call::<VerifySecondFactor>(&[("code", code.as_str())])
        .await)
    .await;
    assert_eq!(location(&response), "/instruction");
    assert!(home_of(&first).await.is_empty());
    assert_eq!(
        first.who().await.expect("signed in").email,
        "karim@departement.example"
    );

    // The same code in another browser (a replay, a shoulder-surfed code): refused.
    let second = Browser::new(&app);
    let response = ok(second.sign_in(karim, PASSWORD).await).await;
    assert_eq!(location(&response), "/connexion/code");
    let e = error(
        second
            .call::<VerifySecondFactor>(&[("code", code.as_str())])
            .await,
    )
    .await;
    assert!(e.field_message("code").is_some(), "{e:?}");
    assert!(second.who().await.is_none());
    assert_eq!(second.call::<InstructionHome>(&[]).await.status(), 401);

    // An instructor without a secret enrols at the first sign-in.
    let lea = "lea@departement.example";
    insert_account(&app, lea, ("Léa", "Garnier"), Role::Instructor, None, None).await;
    let browser = Browser::new(&app);
    let response = ok(browser.sign_in(lea, PASSWORD).await).await;
    assert_eq!(location(&response), "/connexion/activer-code");
    assert_eq!(browser.call::<InstructionHome>(&[]).await.status(), 401);
    let enrolment: EnrolmentView = json(browser.call::<SecondFactorEnrolment>(&[]).await).await;
    assert_eq!(enrolment.email, lea);
    assert!(enrolment.qr_svg.starts_with("<svg"), "{}", enrolment.qr_svg);
    // The page reloaded shows the same secret, which is not stored until a code proves
    // the app has it.
    let again: EnrolmentView = json(browser.call::<SecondFactorEnrolment>(&[]).await).await;
    assert_eq!(again.secret, enrolment.secret);
    let stored = account::Entity::find()
        .filter(account::Column::Email.eq(lea))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Léa's account");
    assert_eq!(stored.totp_secret, None);

    let code = current_code(&enrolment.secret, unix_now());
    let response = ok(browser
        .call::<ConfirmSecondFactor>(&[("code", code.as_str())])
        .await)
    .await;
    assert_eq!(location(&response), "/connexion/codes-de-secours");
    let stored = account::Entity::find_by_id(stored.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("Léa's account");
    assert_eq!(
        stored.totp_secret.as_deref(),
        Some(enrolment.secret.replace(' ', "").as_str())
    );
    // Ten recovery codes, shown once, stored only as hashes.
    let codes: Vec<String> = json(browser.call::<RecoveryCodesOnce>(&[]).await).await;
    assert_eq!(codes.len(), 10, "{codes:?}");
    let shown_again: Vec<String> = json(browser.call::<RecoveryCodesOnce>(&[]).await).await;
    assert!(shown_again.is_empty(), "shown once");
    let hashes: Vec<String> = recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(stored.id))
        .all(&app.db)
        .await
        .expect("query")
        .into_iter()
        .map(|r| r.code_hash)
        .collect();
    assert_eq!(hashes.len(), 10);
    assert!(hashes.iter().all(|h| !codes.contains(h)), "never in clear");
    ok(browser.call::<InstructionHome>(&[]).await).await;

    // Another browser, the phone forgotten: the password and a recovery code.
    let elsewhere = Browser::new(&app);
    let response = ok(elsewhere.sign_in(lea, PASSWORD).await).await;
    assert_eq!(location(&response), "/connexion/code");
    let response = ok(elsewhere
        .call::<VerifySecondFactor>(&[("code", codes[0].as_str())])
        .await)
    .await;
    assert_eq!(location(&response), "/instruction");
    ok(elsewhere.call::<InstructionHome>(&[]).await).await;
    // A recovery code works once.
    let later = Browser::new(&app);
    ok(later.sign_in(lea, PASSWORD).await).await;
    let e = error(
        later
            .call::<VerifySecondFactor>(&[("code", codes[0].as_str())])
            .await,
    )
    .await;
    assert!(e.field_message("code").is_some(), "{e:?}");
    assert_eq!(later.call::<InstructionHome>(&[]).await.status(), 401);
    let response = ok(later
        .call::<VerifySecondFactor>(&[("code", codes[1].as_str())])
        .await)
    .await;
    assert_eq!(location(&response), "/instruction");
    let used = recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(stored.id))
        .filter(recovery_code::Column::UsedAt.is_not_null())
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(used, 2);

    // A citizen signs in with the password alone, and is no instructor.
    verified_account(&app, "camille@example.org").await;
    let camille = Browser::new(&app);
    let response = ok(camille.sign_in("camille@example.org", PASSWORD).await).await;
    assert_eq!(location(&response), "/mon-compte");
    assert!(camille.who().await.is_some());
    let response = camille.call::<InstructionHome>(&[]).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error(response).await, AppError::Forbidden);
}

// ---------------------------------------------------------------------------------
// 2. Who may see and do what
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// A verified citizen with no link to the dossier.
    Citizen,
    /// A member of the dossier's profile (here the person who filed it).
    Member,
    /// An instructor of a service that handles another démarche.
    OtherService,
}

/// Every entry point of the back-office (and of the messages and documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Home,
    Queue,
    Dossier,
    Follow,
    Annotate,
    Thread,
    ActionPost,
    InstructorMessage,
    DocumentPost,
    CitizenMessage,
    Lot,
    Export,
    DocumentGet,
    MessageFileGet,
    PieceGet,
}

impl Entry {
    const ALL: [Entry; 15] = [
        Entry::Home,
        Entry::Queue,
        Entry::Dossier,
        Entry::Follow,
        Entry::Annotate,
        Entry::Thread,
        Entry::ActionPost,
        Entry::InstructorMessage,
        Entry::DocumentPost,
        Entry::CitizenMessage,
        Entry::Lot,
        Entry::Export,
        Entry::DocumentGet,
        Entry::MessageFileGet,
        Entry::PieceGet,
    ];
}

/// What a refused caller gets back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A redirect to « Connexion ».
    SignIn,
    Status(u16),
}

/// The answer each caller must get; `None`: the caller may use it (checked apart).
fn refusal(caller: Caller, entry: Entry) -> Option<Expect> {
    let server_fn = matches!(
        entry,
        Entry::Home
            | Entry::Queue
            | Entry::Dossier
            | Entry::Follow
            | Entry::Annotate
            | Entry::Thread
    );
    let citizen_side = matches!(
        entry,
        Entry::Thread
            | Entry::CitizenMessage
            | Entry::DocumentGet
            | Entry::MessageFileGet
            | Entry::PieceGet
    );
    match caller {
        Caller::Anonymous if server_fn => Some(Expect::Status(401)),
        Caller::Anonymous => Some(Expect::SignIn),
        // Citizens are no instructors (403); what is not theirs does not exist (404).
        Caller::Citizen if citizen_side => Some(Expect::Status(404)),
        Caller::Citizen => Some(Expect::Status(403)),
        Caller::Member if citizen_side => None,
        Caller::Member => Some(Expect::Status(403)),
        // Its home answers, without the démarche (checked below).
        Caller::OtherService if entry == Entry::Home => Some(Expect::Status(200)),
        Caller::OtherService => Some(Expect::Status(404)),
    }
}

/// The ids the entry points are called with.
struct Targets {
    dossier: i32,
    demarche: i32,
    version: i32,
    document: i32,
    message_file: i32,
    piece: i32,
}

/// Calls one entry point with valid arguments: allowed, it would read or change D.
async fn call_entry(
    app: &TestApp,
    browser: &Browser<'_>,
    entry: Entry,
    t: &Targets,
) -> reqwest::Response {
    let d = t.dossier.to_string();
    let a = t.demarche.to_string();
    let pdf = sample_pdf();
    match entry {
        Entry::Home => browser.call::<InstructionHome>(&[]).await,
        Entry::Queue => {
            browser
                .call::<InstructionQueue>(&[("id", a.as_str()), ("query[onglet]", "tous")])
                .await
        }
        Entry::Dossier => by_id::<InstructionDossier>(browser, t.dossier).await,
        Entry::Follow => {
            browser
                .call::<FollowDossier>(&[("id", d.as_str()), ("suivre", "true")])
                .await
        }
        Entry::Annotate => {
            browser
                .call::<AnnotateDossier>(&[("id", d.as_str()), ("annotation", "Dossier relu.")])
                .await
        }
        Entry::Thread => by_id::<CitizenThread>(browser, t.dossier).await,
        Entry::ActionPost => {
            act(
                browser,
                t.dossier,
                Action::PasserEnInstruction,
                t.version,
                "",
            )
            .await
        }
        Entry::InstructorMessage => {
            post_message(
                browser,
                &format!("/instruction/dossiers/{d}/message"),
                "Merci de rappeler le service.",
                &[("courrier.pdf", &pdf[..])],
            )
            .await
        }
        Entry::DocumentPost => {
            send_document(
                browser,
                t.dossier,
                "Courrier",
                "",
                Some(("courrier.pdf", &pdf[..])),
            )
            .await
        }
        Entry::CitizenMessage => {
            post_message(
                browser,
                &format!("/mon-compte/dossiers/{d}/message"),
                "Où en est mon dossier ?",
                &[("complement.pdf", &pdf[..])],
            )
            .await
        }
        Entry::Lot => {
            let retour = format!("/instruction/demarches/{a}?onglet=tous");
            post_form(
                app,
                browser,
                &format!("/instruction/demarches/{a}/lot"),
                &[
                    ("operation", "instruire"),
                    ("dossier", d.as_str()),
                    ("retour", retour.as_str()),
                ],
            )
            .await
        }
        Entry::Export => {
            browser
                .get(&format!("/instruction/demarches/{a}/export.csv"))
                .await
        }
        Entry::DocumentGet => browser.get(&format!("/documents/{}", t.document)).await,
        Entry::MessageFileGet => {
            browser
                .get(&format!("/messages/pieces/{}", t.message_file))
                .await
        }
        Entry::PieceGet => browser.get(&format!("/pieces/{}", t.piece)).await,
    }
}

/// Checks a refused answer: the expected status, and nothing of the dossier in it.
async fn check_refused(what: &str, response: reqwest::Response, expect: Expect, number: &str) {
    let status = response.status().as_u16();
    let to = location(&response);
    let body = response.text().await.expect("body");
    match expect {
        Expect::SignIn => {
            assert_eq!(status, 303, "{what}: {body}");
            assert!(to.starts_with("/connexion"), "{what}: redirected to {to:?}");
        }
        Expect::Status(code) => assert_eq!(status, code, "{what}: {body}"),
    }
    assert!(
        !body.contains(number),
        "{what}: the answer shows the dossier's number"
    );
    assert!(!body.starts_with("%PDF"), "{what}: a file was sent");
}

#[tokio::test]
async fn role_matrix_has_no_leaks() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let permis = demarche_row(&app, PERMIS).await;
    let sport = demarche_row(&app, SPORT).await;
    let s1 = new_service(&app, "Service des aides (matrice)", &[permis.id]).await;
    let s2 = new_service(&app, "Service des sports (matrice)", &[sport.id]).await;
    let karim = staff(
        &app,
        "karim@departement.example",
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let sophie = staff(
        &app,
        "sophie@departement.example",
        ("Sophie", "Lambert"),
        Role::Instructor,
        &[s2],
    )
    .await;
    let claire = staff(
        &app,
        "claire@departement.example",
        ("Claire", "Rousseau"),
        Role::Admin,
        &[],
    )
    .await;
    let camille = signed_in(&app, "camille@example.org").await;
    let zoe = signed_in(&app, "zoe@example.org").await;
    let anonymous = Browser::new(&app);

    // D, filed by Camille for « Aide au permis de conduire » (S1's), and a draft of hers.
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let number = submit(&app, &camille, id).await;
    let draft = start(&camille, PERMIS, None).await;

    // Karim (S1) writes with a file, sends a document and annotates: every kind of row
    // and file the entry points serve exists.
    let pdf = sample_pdf();
    let to = see_other(
        &post_message(
            &karim,
            &format!("/instruction/dossiers/{id}/message"),
            "Votre dossier est bien reçu.",
            &[("accuse.pdf", &pdf[..])],
        )
        .await,
    );
    assert_eq!(to, format!("/instruction/dossiers/{id}#messages"));
    let to = see_other(
        &send_document(
            &karim,
            id,
            "Accusé de réception",
            "",
            Some(("accuse.pdf", &pdf[..])),
        )
        .await,
    );
    assert_eq!(to, format!("/instruction/dossiers/{id}#envoyer-document"));
    let key = id.to_string();
    ok(karim
        .call::<AnnotateDossier>(&[("id", key.as_str()), ("annotation", "Pièces vérifiées.")])
        .await)
    .await;
    let targets = Targets {
        dossier: id,
        demarche: permis.id,
        version: dossier_row(&app, id).await.lock_version,
        document: received_document::Entity::find()
            .filter(received_document::Column::DossierId.eq(id))
            .one(&app.db)
            .await
            .expect("query")
            .expect("the document")
            .id,
        message_file: message_file::Entity::find()
            .filter(message_file::Column::DossierId.eq(id))
            .one(&app.db)
            .await
            .expect("query")
            .expect("the message's file")
            .id,
        piece: dossier_file::Entity::find()
            .filter(dossier_file::Column::DossierId.eq(id))
            .order_by_asc(dossier_file::Column::Id)
            .one(&app.db)
            .await
            .expect("query")
            .expect("the dossier's file (cni.pdf)")
            .id,
    };
    let before = snapshot(&app, id).await;
    assert_eq!(
        (before.messages, before.documents, before.annotations),
        (1, 1, 1)
    );

    // Every entry point, for every caller who may not use it.
    let callers = [
        (Caller::Anonymous, &anonymous),
        (Caller::Citizen, &zoe),
        (Caller::Member, &camille),
        (Caller::OtherService, &sophie),
    ];
    for (caller, browser) in callers {
        for entry in Entry::ALL {
            let Some(expect) = refusal(caller, entry) else {
                continue;
            };
            let response = call_entry(&app, browser, entry, &targets).await;
            check_refused(
                &format!("{caller:?} → {entry:?}"),
                response,
                expect,
                &number,
            )
            .await;
        }
    }
    // The refusals in words.
    let response = by_id::<InstructionDossier>(&camille, id).await;
    assert_eq!(error(response).await, AppError::Forbidden);
    let response = by_id::<InstructionDossier>(&sophie, id).await;
    assert!(matches!(error(response).await, AppError::NotFound(_)));
    let response = by_id::<InstructionDossier>(&anonymous, id).await;
    assert_eq!(error(response).await, AppError::Unauthenticated);
    // The other service's home lists its démarche only.
    let home = home_of(&sophie).await;
    assert_eq!(home.iter().map(|d| d.id).collect::<Vec<_>>(), [sport.id]);
    // « Mes documents reçus » is the person's own: nothing of the profile's for others.
    assert_eq!(anonymous.call::<ReceivedDocuments>(&[]).await.status(), 401);
    assert!(received(&zoe).await.is_empty());
    assert!(received(&sophie).await.is_empty());

    // A draft does not exist in the back-office, even for its démarche's instructors.
    let draft_version = dossier_row(&app, draft).await.lock_version;
    for (who, browser) in [("Karim", &karim), ("Claire", &claire)] {
        let response = by_id::<InstructionDossier>(browser, draft).await;
        assert_eq!(response.status(), 404, "{who}");
        let response = act(
            browser,
            draft,
            Action::PasserEnInstruction,
            draft_version,
            "",
        )
        .await;
        assert_eq!(response.status(), 404, "{who}");
    }
    assert_eq!(dossier_row(&app, draft).await.status, "brouillon");

    // Nothing was changed by any of it: status, history, messages, annotations, files,
    // emails.
    assert_eq!(snapshot(&app, id).await, before);

    // The S1 instructor and the administrator see everything, and may download every
    // file; the citizen's side is not theirs (404).
    for (who, browser) in [("Karim", &karim), ("Claire", &claire)] {
        let home = home_of(browser).await;
        let line = home
            .iter()
            .find(|d| d.id == permis.id)
            .unwrap_or_else(|| panic!("{who}: {home:?}"));
        assert_eq!(line.counts.a_traiter, 1, "{who}");
        let page = queue(browser, permis.id, &[("onglet", "tous")]).await;
        let numbers: Vec<&str> = page.rows.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(numbers, [number.as_str()], "{who}");
        let view = instruction_view(browser, id).await;
        assert_eq!(view.number, number, "{who}");
        assert_eq!(
            (
                view.messages.len(),
                view.documents.len(),
                view.annotations.len()
            ),
            (1, 1, 1),
            "{who}"
        );
        let export = browser
            .get(&format!("/instruction/demarches/{}/export.csv", permis.id))
            .await;
        assert_eq!(export.status(), 200, "{who}");
        let csv = export.bytes().await.expect("body");
        assert!(String::from_utf8_lossy(&csv).contains(&number), "{who}");
        for path in [
            format!("/documents/{}", targets.document),
            format!("/messages/pieces/{}", targets.message_file),
            format!("/pieces/{}", targets.piece),
        ] {
            let response = browser.get(&path).await;
            assert_eq!(response.status(), 200, "{who}: {path}");
            let bytes = response.bytes().await.expect("body");
            assert!(bytes.starts_with(b"%PDF"), "{who}: {path}");
        }
        for entry in [Entry::Thread, Entry::CitizenMessage] {
            let response = call_entry(&app, browser, entry, &targets).await;
            check_refused(
                &format!("{who} → {entry:?}"),
                response,
                Expect::Status(404),
                &number,
            )
            .await;
        }
    }
    let every: HashSet<i32> = home_of(&claire).await.iter().map(|d| d.id).collect();
    assert!(
        every.contains(&permis.id) && every.contains(&sport.id),
        "the administrator sees every démarche"
    );

    // The member reads the thread and the documents, downloads the files and writes.
    let (thread, _) = thread_of(&camille, id).await;
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].files.len(), 1);
    let documents = received(&camille).await;
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].id, targets.document);
    for path in [
        format!("/documents/{}", targets.document),
        format!("/messages/pieces/{}", targets.message_file),
        format!("/pieces/{}", targets.piece),
    ] {
        let response = camille.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    let response = call_entry(&app, &camille, Entry::CitizenMessage, &targets).await;
    assert_eq!(
        see_other(&response),
        format!("/mon-compte/dossiers/{id}#messages")
    );

    // Karim takes the dossier up; Claire (administrator) asks for compléments, follows
    // it, annotates it, and tries the bulk « Passer en instruction » (not allowed from
    // « Compléments demandés »: left as it is).
    let response = call_entry(&app, &karim, Entry::ActionPost, &targets).await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#statut")
    );
    let version = dossier_row(&app, id).await.lock_version;
    let response = act(
        &claire,
        id,
        Action::DemanderComplements,
        version,
        "Merci de joindre le devis signé.",
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#statut")
    );
    ok(call_entry(&app, &claire, Entry::Follow, &targets).await).await;
    ok(call_entry(&app, &claire, Entry::Annotate, &targets).await).await;
    let response = call_entry(&app, &claire, Entry::Lot, &targets).await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/demarches/{}?onglet=tous", permis.id)
    );

    let after = snapshot(&app, id).await;
    assert_eq!(after.status, "complements_demandes");
    assert_eq!(after.events, before.events + 2);
    assert_eq!(after.messages, before.messages + 1);
    assert_eq!(after.annotations, before.annotations + 1);
    assert_eq!(after.followers, before.followers + 1);
    assert_eq!(after.documents, before.documents);
    // « Ouvrir »: the same file shown by the browser, for the same people only.
    let open = format!("/pieces/{}?apercu=1", targets.piece);
    for (who, browser) in [("instructor", &karim), ("member", &camille)] {
        let response = browser.get(&open).await;
        assert_eq!(response.status(), 200, "{who}");
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(disposition.starts_with("inline;"), "{who}: {disposition}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    for (who, browser) in [("other service", &sophie), ("stranger", &zoe)] {
        let response = browser.get(&open).await;
        assert_eq!(response.status(), 404, "{who}");
    }
}

// ---------------------------------------------------------------------------------
// 3. The status machine
// ---------------------------------------------------------------------------------

/// How the test moves the dossier on.
#[derive(Debug, Clone, Copy)]
enum Move {
    Instructor(Action),
    /// The citizen sends the compléments (« Transmettre les compléments »).
    CitizenSends,
}

/// Posts every action the status does not allow: each comes back with a French
/// error in the page's flash, and changes nothing (status, version, history, email).
async fn refuse_every_illegal_action(
    app: &TestApp,
    instructor: &Browser<'_>,
    id: i32,
    status: DossierStatus,
) {
    let allowed = Action::allowed_from(status);
    let view = instruction_view(instructor, id).await;
    assert_eq!(view.status, status);
    assert_eq!(view.actions, allowed, "the page offers the allowed actions");
    let reason = "Motif saisi par l’instructeur.";
    for action in Action::ALL.into_iter().filter(|a| !allowed.contains(a)) {
        let what = format!("{action:?} from {status:?}");
        let before = dossier_row(app, id).await;
        let history = events(app, id).await.len();
        let queued = outbox_count(app).await;
        let response = act(instructor, id, action, before.lock_version, reason).await;
        assert_eq!(
            see_other(&response),
            format!("/instruction/dossiers/{id}#action-{}", action.slug()),
            "{what}"
        );
        let after = dossier_row(app, id).await;
        assert_eq!(after.status, before.status, "{what}");
        assert_eq!(after.lock_version, before.lock_version, "{what}");
        assert_eq!(after.decided_at, before.decided_at, "{what}");
        assert_eq!(
            events(app, id).await.len(),
            history,
            "{what}: no history row"
        );
        assert_eq!(outbox_count(app).await, queued, "{what}: no email");
        let flash = instruction_view(instructor, id).await.flash;
        assert_eq!(flash.form, action.slug(), "{what}");
        assert_eq!(flash.notice, None, "{what}");
        assert_eq!(
            flash.error(action.slug(), "action"),
            Some(format!(
                "« {} » n’est pas possible pour un dossier au statut « {} ».",
                action.label(),
                status.label()
            )),
            "{what}: {flash:?}"
        );
        assert_eq!(flash.kept(action.slug(), "message"), reason, "{what}");
    }
}

#[tokio::test]
async fn every_illegal_transition_is_refused() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let permis = demarche_row(&app, PERMIS).await;
    let s1 = new_service(&app, "Service des aides (statuts)", &[permis.id]).await;
    let karim = staff(
        &app,
        "karim@departement.example",
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let number = submit(&app, &camille, id).await;

    // Through every filed status: Déposé, En cours d’instruction, Compléments demandés,
    // Compléments reçus, Accepté, then reopened to Refusé and to Classé sans suite.
    let moves = [
        Move::Instructor(Action::PasserEnInstruction),
        Move::Instructor(Action::DemanderComplements),
        Move::CitizenSends,
        Move::Instructor(Action::Accepter),
        Move::Instructor(Action::RepasserEnInstruction),
        Move::Instructor(Action::Refuser),
        Move::Instructor(Action::RepasserEnInstruction),
        Move::Instructor(Action::ClasserSansSuite),
    ];
    let mut seen = vec![DossierStatus::Depose];
    refuse_every_illegal_action(&app, &karim, id, DossierStatus::Depose).await;
    for step in moves {
        let from = *seen.last().expect("a status");
        let to = match step {
            Move::Instructor(action) => {
                let version = dossier_row(&app, id).await.lock_version;
                let response = act(
                    &karim,
                    id,
                    action,
                    version,
                    "Motif : suite de l’instruction.",
                )
                .await;
                assert_eq!(
                    see_other(&response),
                    format!("/instruction/dossiers/{id}#statut"),
                    "{action:?} from {from:?}"
                );
                from.apply(action.transition()).expect("an allowed action")
            }
            Move::CitizenSends => {
                submit(&app, &camille, id).await;
                DossierStatus::ComplementsRecus
            }
        };
        assert_eq!(dossier_row(&app, id).await.status, to.as_str());
        seen.push(to);
        refuse_every_illegal_action(&app, &karim, id, to).await;
    }
    for status in FILED {
        assert!(seen.contains(&status), "{status:?} was not reached");
    }

    // Only the real changes were emailed, in order.
    let mut expected: Vec<(String, String)> = Vec::new();
    for status in &seen[1..] {
        let subject = if *status == DossierStatus::ComplementsRecus {
            format!("Dossier {number} : vos compléments sont transmis")
        } else {
            status_subject(&number, *status)
        };
        expected.push((email.to_owned(), subject));
    }
    assert_eq!(queued_about(&app, &number).await, expected);
    mail(
        &app,
        email,
        &status_subject(&number, DossierStatus::ClasseSansSuite),
    )
    .await;
}

// ---------------------------------------------------------------------------------
// 4. A whole instruction
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn full_instruction_cycle_with_emails() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let permis = demarche_row(&app, PERMIS).await;
    let s1 = new_service(&app, "Service des aides (instruction)", &[permis.id]).await;
    let karim_email = "karim@departement.example";
    let karim = staff(
        &app,
        karim_email,
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let number = submit(&app, &camille, id).await;

    // Karim follows the dossier (he will hear of the compléments), then takes it up.
    let key = id.to_string();
    ok(karim
        .call::<FollowDossier>(&[("id", key.as_str()), ("suivre", "true")])
        .await)
    .await;
    let view = instruction_view(&karim, id).await;
    assert_eq!(view.number, number);
    assert_eq!(view.status, DossierStatus::Depose);
    assert!(view.followed_by_me);
    assert_eq!(view.followers, ["Karim Benali"]);
    assert_eq!(view.filer_email, email);
    assert_eq!(view.files.len(), 3);
    let response = act(
        &karim,
        id,
        Action::PasserEnInstruction,
        view.lock_version,
        "",
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#statut")
    );
    let view = instruction_view(&karim, id).await;
    assert_eq!(view.status, DossierStatus::EnInstruction);
    let notice = view.flash.notice.as_deref().unwrap_or_default();
    assert!(notice.contains("« En cours d’instruction »"), "{notice}");
    let taken = mail(
        &app,
        email,
        &status_subject(&number, DossierStatus::EnInstruction),
    )
    .await;
    let text = taken.text();
    assert!(
        text.contains(&format!("Le statut de votre dossier n° {number}")),
        "{text}"
    );
    assert!(
        text.contains("Il est maintenant : en cours d’instruction."),
        "{text}"
    );
    assert!(
        text.contains(DossierStatus::EnInstruction.next_step()),
        "{text}"
    );

    // « Demander des compléments » needs the message the person will read; a message too
    // long is refused too, and comes back whole.
    let slug = Action::DemanderComplements.slug();
    let before = dossier_row(&app, id).await;
    let queued = outbox_count(&app).await;
    let response = act(
        &karim,
        id,
        Action::DemanderComplements,
        before.lock_version,
        "  ",
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#action-{slug}")
    );
    let flash = instruction_view(&karim, id).await.flash;
    assert_eq!(flash.form, slug);
    assert_eq!(
        flash.error(slug, "message").as_deref(),
        Some(
            "Écrivez le message que la personne lira : il est obligatoire pour « Demander des compléments »."
        )
    );
    let long = "Merci de joindre le devis signé. ".repeat(160);
    let response = act(
        &karim,
        id,
        Action::DemanderComplements,
        before.lock_version,
        &long,
    )
    .await;
    see_other(&response);
    let flash = instruction_view(&karim, id).await.flash;
    let message = flash.error(slug, "message").unwrap_or_default();
    assert!(message.contains("5 000 caractères"), "{flash:?}");
    assert_eq!(flash.kept(slug, "message"), long, "what was typed is kept");
    let after = dossier_row(&app, id).await;
    assert_eq!(after.status, before.status);
    assert_eq!(after.lock_version, before.lock_version);
    assert_eq!(outbox_count(&app).await, queued, "nothing sent");

    // With the message: « Compléments demandés », and an email that says what to do.
    let request = "Merci de joindre le devis signé par l’auto-école.";
    let response = act(
        &karim,
        id,
        Action::DemanderComplements,
        before.lock_version,
        request,
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#statut")
    );
    assert_eq!(dossier_row(&app, id).await.status, "complements_demandes");
    let asked = mail(
        &app,
        email,
        &status_subject(&number, DossierStatus::ComplementsDemandes),
    )
    .await;
    let text = asked.text();
    assert!(
        text.contains(&format!(
            "Message des services instructeurs : « {request} »"
        )),
        "{text}"
    );
    assert!(text.contains("« Transmettre les compléments »"), "{text}");
    assert!(
        text.contains(&format!("/mon-compte/dossiers/{id}")),
        "{text}"
    );

    // Camille changes a page, then sends the compléments.
    let amended: Vec<(&str, &str)> = PAGE_2
        .iter()
        .map(|&(k, v)| {
            if k == "devis_montant" {
                (k, "1300")
            } else {
                (k, v)
            }
        })
        .collect();
    let to = see_other(&post_page(&camille, id, 2, &amended, &[], "enregistrer").await);
    assert_eq!(
        to,
        format!("/dossiers/{id}/etape/2?message=brouillon-enregistre")
    );
    assert_eq!(submit(&app, &camille, id).await, number, "the same number");
    let row = dossier_row(&app, id).await;
    assert_eq!(row.status, "complements_recus");
    let answers: Answers = serde_json::from_str(&row.answers).expect("answers");
    assert_eq!(answers.text("devis_montant"), Some("1300"));
    // Karim, who follows it, is told; Camille gets a receipt.
    let told = mail(
        &app,
        karim_email,
        &format!("Dossier {number} : compléments reçus"),
    )
    .await;
    assert!(
        told.text().contains(&format!("/instruction/dossiers/{id}")),
        "{}",
        told.text()
    );
    mail(
        &app,
        email,
        &format!("Dossier {number} : vos compléments sont transmis"),
    )
    .await;

    // « Accepter » with a message and the decision letter.
    let view = instruction_view(&karim, id).await;
    assert_eq!(view.status, DossierStatus::ComplementsRecus);
    let decision = "Votre aide de 500 € est accordée.";
    let pdf = sample_pdf();
    let response = act_with(
        &karim,
        id,
        Action::Accepter,
        view.lock_version,
        decision,
        Some(("Lettre de notification", "notification.pdf", &pdf[..])),
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#statut")
    );
    let view = instruction_view(&karim, id).await;
    assert_eq!(view.status, DossierStatus::Accepte);
    assert_eq!(view.documents.len(), 1);
    let letter = view.documents[0].clone();
    assert_eq!(letter.title, "Lettre de notification");
    let last = view.history.last().expect("a history");
    assert_eq!(last.status, DossierStatus::Accepte);
    assert_eq!(last.message.as_deref(), Some(decision));
    assert_eq!(last.document.as_ref(), Some(&letter));
    assert_eq!(last.author, "Karim Benali (Département)");
    assert!(dossier_row(&app, id).await.decided_at.is_some());
    let accepted = mail(
        &app,
        email,
        &status_subject(&number, DossierStatus::Accepte),
    )
    .await;
    let text = accepted.text();
    assert!(text.contains(decision), "{text}");
    assert!(
        text.contains("Un document vous est adressé : « Lettre de notification »"),
        "{text}"
    );
    assert!(text.contains(DossierStatus::Accepte.next_step()), "{text}");

    // « Mes documents reçus »: the letter, unread until opened.
    let documents = received(&camille).await;
    assert_eq!(documents.len(), 1, "{documents:?}");
    assert_eq!(documents[0].id, letter.id);
    assert_eq!(documents[0].title, "Lettre de notification");
    assert_eq!(documents[0].message.as_deref(), Some(decision));
    assert_eq!(documents[0].dossier, Some((id, number.clone())));
    assert!(documents[0].unread);
    let response = camille.get(&letter.href()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .starts_with("attachment")
    );
    assert_eq!(&response.bytes().await.expect("bytes")[..], &pdf[..]);
    assert!(!received(&camille).await[0].unread, "read once opened");

    // The citizen's history shows every status, with the messages.
    let view: DossierView = json(by_id::<GetDossier>(&camille, id).await).await;
    assert_eq!(view.status, DossierStatus::Accepte);
    let statuses: Vec<DossierStatus> = view.events.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            DossierStatus::Depose,
            DossierStatus::EnInstruction,
            DossierStatus::ComplementsDemandes,
            DossierStatus::ComplementsRecus,
            DossierStatus::Accepte,
        ]
    );
    assert_eq!(view.events[2].message.as_deref(), Some(request));
    assert_eq!(view.events[4].message.as_deref(), Some(decision));

    // Every email of the dossier, by recipient.
    let queued = queued_about(&app, &number).await;
    let sent_to = |who: &str| -> Vec<String> {
        queued
            .iter()
            .filter(|(r, _)| r == who)
            .map(|(_, s)| s.clone())
            .collect()
    };
    assert_eq!(
        sent_to(email),
        [
            status_subject(&number, DossierStatus::EnInstruction),
            status_subject(&number, DossierStatus::ComplementsDemandes),
            format!("Dossier {number} : vos compléments sont transmis"),
            status_subject(&number, DossierStatus::Accepte),
        ]
    );
    assert_eq!(
        sent_to(karim_email),
        [format!("Dossier {number} : compléments reçus")]
    );

    // The counters of the tabs followed every change: the dossier is counted once, as
    // « Accepté » (« Traités »), and nowhere else.
    let counts = guichet::backoffice::service::tab_counts(&app.db, permis.id, 0)
        .await
        .expect("counters");
    assert_eq!(
        (counts.a_traiter, counts.en_cours, counts.traites),
        (0, 0, 1)
    );
}

// ---------------------------------------------------------------------------------
// 5. Optimistic locking
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn concurrent_actions_are_resolved_by_optimistic_locking() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let permis = demarche_row(&app, PERMIS).await;
    let s1 = new_service(&app, "Service des aides (verrou)", &[permis.id]).await;
    let karim = staff(
        &app,
        "karim@departement.example",
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let lea = staff(
        &app,
        "lea@departement.example",
        ("Léa", "Garnier"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let number = submit(&app, &camille, id).await;

    // Both open the dossier: the same version.
    let version = instruction_view(&karim, id).await.lock_version;
    assert_eq!(instruction_view(&lea, id).await.lock_version, version);
    let history = events(&app, id).await.len();
    let reason = "Demande déposée deux fois par erreur.";

    // Both act at once.
    let (karim_response, lea_response) = tokio::join!(
        act(&karim, id, Action::PasserEnInstruction, version, ""),
        act(&lea, id, Action::ClasserSansSuite, version, reason),
    );
    let karim_to = see_other(&karim_response);
    let lea_to = see_other(&lea_response);
    let karim_flash = instruction_view(&karim, id).await.flash;
    let lea_flash = instruction_view(&lea, id).await.flash;
    let karim_won = karim_flash.notice.is_some();
    assert_ne!(
        karim_won,
        lea_flash.notice.is_some(),
        "exactly one wins: {karim_flash:?} {lea_flash:?}"
    );
    let (won, lost, lost_flash, won_to, lost_to, loser) = if karim_won {
        (
            Action::PasserEnInstruction,
            Action::ClasserSansSuite,
            &lea_flash,
            &karim_to,
            &lea_to,
            &lea,
        )
    } else {
        (
            Action::ClasserSansSuite,
            Action::PasserEnInstruction,
            &karim_flash,
            &lea_to,
            &karim_to,
            &karim,
        )
    };
    let page = format!("/instruction/dossiers/{id}");
    assert_eq!(*won_to, format!("{page}#statut"));
    assert_eq!(*lost_to, format!("{page}#action-{}", lost.slug()));
    // The loser reads why, in French, and keeps what was typed.
    let stale = AppError::Stale.to_string();
    assert!(stale.starts_with("Ce dossier vient d’être modifié par une autre personne"));
    assert_eq!(lost_flash.form, lost.slug());
    assert!(
        lost_flash.errors.iter().any(|e| e.message == stale),
        "{lost_flash:?}"
    );
    if lost == Action::ClasserSansSuite {
        assert_eq!(lost_flash.kept(lost.slug(), "message"), reason);
    }

    // The winner's change only: one history row, one version, one email.
    let target = DossierStatus::Depose
        .apply(won.transition())
        .expect("allowed from Déposé");
    let row = dossier_row(&app, id).await;
    assert_eq!(row.status, target.as_str());
    assert_eq!(row.lock_version, version + 1);
    assert_eq!(events(&app, id).await.len(), history + 1);
    let subject = status_subject(&number, target);
    assert_eq!(
        queued_about(&app, &number).await,
        [(email.to_owned(), subject.clone())]
    );
    mail(&app, email, &subject).await;

    // Sent again from the page loaded before (a double click): still refused.
    let response = act(loser, id, lost, version, reason).await;
    assert_eq!(
        see_other(&response),
        format!("{page}#action-{}", lost.slug())
    );
    let view = instruction_view(loser, id).await;
    assert!(
        view.flash.errors.iter().any(|e| e.message == stale),
        "{:?}",
        view.flash
    );
    assert_eq!(view.status, target);
    assert_eq!(view.lock_version, version + 1);
    assert_eq!(events(&app, id).await.len(), history + 1);
    assert_eq!(queued_about(&app, &number).await.len(), 1);
}

// ---------------------------------------------------------------------------------
// 6. Messages and documents
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn messages_and_documents() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let fonds = demarche_row(&app, FONDS).await;
    let sport = demarche_row(&app, SPORT).await;
    let s1 = new_service(&app, "Service de l’aménagement (messages)", &[fonds.id]).await;
    let s2 = new_service(&app, "Service des sports (messages)", &[sport.id]).await;
    let karim_email = "karim@departement.example";
    let karim = staff(
        &app,
        karim_email,
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let sophie = staff(
        &app,
        "sophie@departement.example",
        ("Sophie", "Lambert"),
        Role::Instructor,
        &[s2],
    )
    .await;
    let (a, b) = ("anne@example.org", "bruno@example.org");
    let anne = signed_in(&app, a).await;
    let bruno = signed_in(&app, b).await;
    let zoe = signed_in(&app, "zoe@example.org").await;
    let anonymous = Browser::new(&app);

    // Anne files for her commune; Bruno joined the commune's profile with a share key.
    let commune = create_commune(&anne).await;
    join(&anne, &bruno, commune, "Secrétaire de mairie").await;
    let id = start(&anne, FONDS, Some(commune)).await;
    fill_fonds(&anne, id).await;
    let number = submit(&app, &anne, id).await;
    // Karim follows it: the citizens' messages reach him.
    let key = id.to_string();
    ok(karim
        .call::<FollowDossier>(&[("id", key.as_str()), ("suivre", "true")])
        .await)
    .await;

    // Karim writes, with a PDF: every member of the profile is told by email.
    let pdf = sample_pdf();
    let question = "Pouvez-vous préciser le calendrier des travaux ?";
    let response = post_message(
        &karim,
        &format!("/instruction/dossiers/{id}/message"),
        question,
        &[("convocation.pdf", &pdf[..])],
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{id}#messages")
    );
    assert_eq!(
        instruction_view(&karim, id).await.flash.notice.as_deref(),
        Some("Votre message est envoyé.")
    );
    let subject = format!("Dossier {number} : nouveau message du Département");
    for to in [a, b] {
        let text = mail(&app, to, &subject).await.text();
        assert!(text.contains(question), "{to}: {text}");
        assert!(text.contains("(1 pièce(s) jointe(s))"), "{to}: {text}");
        assert!(
            text.contains(&format!("/mon-compte/dossiers/{id}")),
            "{to}: {text}"
        );
    }

    // Both members read it in the thread, with its file.
    let (thread, _) = thread_of(&bruno, id).await;
    assert_eq!(thread.len(), 1, "{thread:?}");
    assert!(thread[0].from_instructor);
    assert_eq!(thread[0].body, question);
    assert_eq!(thread[0].author, "Karim Benali (Département)");
    assert_eq!(thread[0].files.len(), 1);
    assert_eq!(thread[0].files[0].name, "convocation.pdf");
    assert_eq!(thread_of(&anne, id).await.0, thread);
    let file = format!("/messages/pieces/{}", thread[0].files[0].id);
    for (who, browser) in [("Anne", &anne), ("Bruno", &bruno), ("Karim", &karim)] {
        let response = browser.get(&file).await;
        assert_eq!(response.status(), 200, "{who}");
        assert_eq!(
            response.headers()["content-type"],
            "application/pdf",
            "{who}"
        );
        assert_eq!(
            &response.bytes().await.expect("bytes")[..],
            &pdf[..],
            "{who}"
        );
    }
    for (who, browser) in [("Zoé", &zoe), ("Sophie", &sophie)] {
        check_refused(
            &format!("{who} → {file}"),
            browser.get(&file).await,
            Expect::Status(404),
            &number,
        )
        .await;
    }
    check_refused(
        "anonymous → the message's file",
        anonymous.get(&file).await,
        Expect::SignIn,
        &number,
    )
    .await;

    // Anne replies with an HTML page named .pdf: refused, nothing sent, her text kept.
    let page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
    let reply = "Voici le calendrier prévisionnel des travaux.";
    let queued = outbox_count(&app).await;
    let files_before = stored_files(&app);
    let response = post_message(
        &anne,
        &format!("/mon-compte/dossiers/{id}/message"),
        reply,
        &[("calendrier.pdf", &page[..])],
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/mon-compte/dossiers/{id}#messages")
    );
    let (thread, flash) = thread_of(&anne, id).await;
    assert_eq!(thread.len(), 1, "nothing sent");
    assert_eq!(flash.form, "message");
    let refusal = flash.error("message", "fichiers").unwrap_or_default();
    assert!(refusal.contains("« calendrier.pdf »"), "{flash:?}");
    assert_eq!(flash.kept("message", "corps"), reply);
    assert_eq!(outbox_count(&app).await, queued, "no email");
    assert_eq!(
        stored_files(&app),
        files_before,
        "the refused file is not kept"
    );

    // With the real PDF: sent, and Karim (who follows the dossier) is told.
    let response = post_message(
        &anne,
        &format!("/mon-compte/dossiers/{id}/message"),
        reply,
        &[("calendrier.pdf", &pdf[..])],
    )
    .await;
    assert_eq!(
        see_other(&response),
        format!("/mon-compte/dossiers/{id}#messages")
    );
    let (thread, flash) = thread_of(&anne, id).await;
    assert_eq!(flash.notice.as_deref(), Some("Votre message est envoyé."));
    assert_eq!(thread.len(), 2);
    assert!(!thread[1].from_instructor);
    assert_eq!(thread[1].body, reply);
    assert_eq!(thread[1].files.len(), 1);
    let told = mail(
        &app,
        karim_email,
        &format!("Dossier {number} : nouveau message de l’usager"),
    )
    .await;
    assert!(told.text().contains(reply), "{}", told.text());
    assert_eq!(instruction_view(&karim, id).await.messages, thread);

    // « Envoyer un document » without a title: refused, the PDF kept for the next try.
    let letter = "Veuillez trouver l’arrêté attributif de la subvention.";
    let anchor = format!("/instruction/dossiers/{id}#envoyer-document");
    let response = send_document(&karim, id, "", letter, Some(("arrete.pdf", &pdf[..]))).await;
    assert_eq!(see_other(&response), anchor);
    let flash = instruction_view(&karim, id).await.flash;
    assert_eq!(
        flash.error("document", "titre").as_deref(),
        Some("Donnez un titre au document.")
    );
    assert_eq!(flash.kept("document", "message"), letter);
    assert_eq!(flash.files, ["arrete.pdf"]);
    assert!(documents_of(&app, id).await.is_empty());
    // The title given (no file chosen again): the kept PDF goes.
    let response = send_document(&karim, id, "Arrêté attributif", letter, None).await;
    assert_eq!(see_other(&response), anchor);
    let flash = instruction_view(&karim, id).await.flash;
    let notice = flash.notice.as_deref().unwrap_or_default();
    assert!(notice.contains("« Arrêté attributif »"), "{flash:?}");
    let documents = documents_of(&app, id).await;
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].title, "Arrêté attributif");
    assert_eq!(documents[0].original_name, "arrete.pdf");
    assert_eq!(documents[0].profile_id, commune);
    let document = format!("/documents/{}", documents[0].id);

    // Every member finds it in « Mes documents reçus » and gets an email.
    let subject = format!("Dossier {number} : un document vous est adressé");
    for (to, browser) in [(a, &anne), (b, &bruno)] {
        let text = mail(&app, to, &subject).await.text();
        assert!(text.contains("« Arrêté attributif »"), "{to}: {text}");
        let list = received(browser).await;
        assert_eq!(list.len(), 1, "{to}: {list:?}");
        assert_eq!(list[0].title, "Arrêté attributif");
        assert_eq!(list[0].message.as_deref(), Some(letter));
        assert_eq!(list[0].dossier, Some((id, number.clone())));
        assert!(list[0].unread, "{to}");
    }
    // Bruno opens it: read for him, still unread for Anne.
    let response = bruno.get(&document).await;
    assert_eq!(response.status(), 200);
    assert_eq!(&response.bytes().await.expect("bytes")[..], &pdf[..]);
    assert!(!received(&bruno).await[0].unread);
    assert!(received(&anne).await[0].unread);
    // The dossier's instructor may open it; nobody else.
    assert_eq!(karim.get(&document).await.status(), 200);
    for (who, browser) in [("Zoé", &zoe), ("Sophie", &sophie)] {
        check_refused(
            &format!("{who} → {document}"),
            browser.get(&document).await,
            Expect::Status(404),
            &number,
        )
        .await;
    }
    check_refused(
        "anonymous → the document",
        anonymous.get(&document).await,
        Expect::SignIn,
        &number,
    )
    .await;
    assert!(received(&zoe).await.is_empty());
}

// ---------------------------------------------------------------------------------
// 7. The queue
// ---------------------------------------------------------------------------------

/// A dossier written for the queue test.
struct Seeded {
    id: i32,
    number: String,
    status: DossierStatus,
    at: OffsetDateTime,
    /// 0 Élodie, 1 Bruno, 2 Chloé (personal profiles), 3 the commune (Bruno files).
    filer: usize,
}

/// The ids of the seeded dossiers that `keep` accepts, newest first (ties: highest id
/// first), the queue's default order.
fn newest_first(seeded: &[Seeded], keep: impl Fn(&Seeded) -> bool) -> Vec<i32> {
    let mut kept: Vec<&Seeded> = seeded.iter().filter(|s| keep(s)).collect();
    kept.sort_by_key(|s| std::cmp::Reverse((s.at, s.id)));
    kept.into_iter().map(|s| s.id).collect()
}

#[tokio::test]
async fn queue_tabs_filters_search_and_keyset_pages() {
    let app = spawn_app().await;
    let permis = demarche_row(&app, PERMIS).await;
    let sport = demarche_row(&app, SPORT).await;
    let s1 = new_service(&app, "Service des aides (file)", &[permis.id]).await;
    let karim = staff(
        &app,
        "karim@departement.example",
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;

    // Élodie (Saint-Éloi), Bruno (Valbourg) for himself and for his commune, Chloé (no
    // address): 60 dossiers written directly, two per submission time and in an order
    // unlike their ids, so that the cursor must break ties on the id.
    let (elodie, elodie_profile) = citizen_account(
        &app,
        "elodie@example.org",
        ("Élodie", "Durand"),
        Some("Saint-Éloi"),
    )
    .await;
    let (bruno, bruno_profile) = citizen_account(
        &app,
        "bruno@example.org",
        ("Bruno", "Petit"),
        Some("Valbourg"),
    )
    .await;
    let (chloe, chloe_profile) =
        citizen_account(&app, "chloe@example.org", ("Chloé", "Moreau"), None).await;
    let commune = seed_profile(
        &app.db,
        &bruno,
        "Commune de Saint-Exemple",
        "21350238800019",
        ("1 place de la Mairie", "00100", "Saint-Exemple"),
        "Maire",
    )
    .await
    .expect("the commune's profile");
    let filers = [
        (&elodie, elodie_profile),
        (&bruno, bruno_profile),
        (&chloe, chloe_profile),
        (&bruno, commune),
    ];
    // 2026-03-02 06:00 UTC, then every 6 hours (before summer time: Paris is UTC+1).
    let base = OffsetDateTime::from_unix_timestamp(1_772_431_200).expect("a date");
    let empty = Answers::new();
    let mut seeded = Vec::new();
    for i in 0..60_usize {
        let who = i % 4;
        let (filer, profile_id) = filers[who];
        let status = FILED[i % FILED.len()];
        let slot = (i * 37) % 30;
        let at = base + time::Duration::hours(6 * slot as i64);
        let number = format!("2026-{:06}", i + 1);
        let id = insert_dossier(
            &app,
            Filed {
                demarche: &permis,
                profile_id,
                filer,
                status,
                number: &number,
                at,
                answers: &empty,
            },
        )
        .await;
        seeded.push(Seeded {
            id,
            number,
            status,
            at,
            filer: who,
        });
    }
    // Never listed: a draft of the démarche, dossiers of another démarche.
    let draft = insert_dossier(
        &app,
        Filed {
            demarche: &permis,
            profile_id: elodie_profile,
            filer: &elodie,
            status: DossierStatus::Brouillon,
            number: "",
            at: base,
            answers: &empty,
        },
    )
    .await;
    let mut elsewhere = Vec::new();
    for (n, status) in [
        (901, DossierStatus::Depose),
        (902, DossierStatus::EnInstruction),
    ] {
        let number = format!("2026-{n:06}");
        let id = insert_dossier(
            &app,
            Filed {
                demarche: &sport,
                profile_id: elodie_profile,
                filer: &elodie,
                status,
                number: &number,
                at: base,
                answers: &empty,
            },
        )
        .await;
        elsewhere.push(id);
    }

    // The tabs' counts, on the queue and on the home.
    let in_stage = |stage: i16| seeded.iter().filter(|s| s.status.stage() == stage).count() as u64;
    let counts = TabCounts {
        a_traiter: in_stage(1),
        en_cours: in_stage(2),
        traites: in_stage(3),
        suivis: 0,
    };
    let first = queue(&karim, permis.id, &[]).await;
    assert_eq!(first.counts, counts);
    // « À traiter » by default (18 dossiers: one page).
    assert_eq!(first.rows.len() as u64, counts.a_traiter);
    assert!(
        first.rows.iter().all(|r| r.status.stage() == 1),
        "{:?}",
        first.rows
    );
    assert_eq!(first.next, None);
    let home = home_of(&karim).await;
    assert_eq!(home.len(), 1, "{home:?}");
    assert_eq!(home[0].id, permis.id);
    assert_eq!(home[0].counts, counts);
    for (status, n) in &home[0].by_status {
        let expected = seeded.iter().filter(|s| s.status == *status).count() as u64;
        assert_eq!(*n, expected, "{status:?}");
    }

    // « À traiter »: Déposé and Compléments reçus only; the other tabs likewise.
    let (rows, _) = walk(&karim, permis.id, &[("onglet", "a-traiter")]).await;
    assert!(
        rows.iter().all(|r| matches!(
            r.status,
            DossierStatus::Depose | DossierStatus::ComplementsRecus
        )),
        "{rows:?}"
    );
    assert_eq!(
        ids_of(&rows),
        newest_first(&seeded, |s| s.status.stage() == 1)
    );
    for (tab, stage) in [("en-cours", 2), ("traites", 3)] {
        let (rows, _) = walk(&karim, permis.id, &[("onglet", tab)]).await;
        assert_eq!(
            ids_of(&rows),
            newest_first(&seeded, |s| s.status.stage() == stage),
            "{tab}"
        );
    }

    // « Tous », pages of 25: every dossier once, newest first, then oldest first.
    let everything = newest_first(&seeded, |_| true);
    let (rows, pages) = walk(&karim, permis.id, &[("onglet", "tous")]).await;
    assert_eq!(pages, 3);
    assert_eq!(ids_of(&rows), everything);
    assert!(!ids_of(&rows).contains(&draft));
    assert!(elsewhere.iter().all(|id| !ids_of(&rows).contains(id)));
    let (rows, pages) = walk(&karim, permis.id, &[("onglet", "tous"), ("tri", "anciens")]).await;
    assert_eq!(pages, 3);
    let mut oldest = everything.clone();
    oldest.reverse();
    assert_eq!(ids_of(&rows), oldest);

    // Search: a number typed short, a name (any case, no accents), a SIRET with spaces.
    let found = queue(&karim, permis.id, &[("onglet", "tous"), ("q", "2026-7")]).await;
    assert_eq!(found.rows.len(), 1, "{:?}", found.rows);
    assert_eq!(found.rows[0].number, "2026-000007");
    assert_eq!(found.rows[0].id, seeded[6].id);
    assert_eq!(seeded[6].number, "2026-000007");
    for (q, filer) in [
        ("élodie DURAND", 0),
        ("petit", 1),
        ("Chloe", 2),
        ("213 502 388 00019", 3),
    ] {
        let (rows, _) = walk(&karim, permis.id, &[("onglet", "tous"), ("q", q)]).await;
        let expected = newest_first(&seeded, |s| match filer {
            // Bruno's name is in the commune's dossiers too: he filed them.
            1 => s.filer == 1 || s.filer == 3,
            f => s.filer == f,
        });
        assert_eq!(ids_of(&rows), expected, "{q}");
    }
    let nobody = queue(&karim, permis.id, &[("onglet", "tous"), ("q", "Dupont")]).await;
    assert!(nobody.rows.is_empty());
    assert_eq!(nobody.next, None);

    // Filters: commune, profile type, status, submission dates (Paris days).
    let cases: [FilterCase<'_>; 4] = [
        (
            &[("onglet", "tous"), ("commune", "valbourg")],
            newest_first(&seeded, |s| s.filer == 1),
        ),
        (
            &[("onglet", "tous"), ("commune", "Saint-Éloi")],
            newest_first(&seeded, |s| s.filer == 0),
        ),
        (
            &[("onglet", "tous"), ("type_profil", "collectivite")],
            newest_first(&seeded, |s| s.filer == 3),
        ),
        (
            &[
                ("onglet", "tous"),
                ("statut", "depose"),
                ("commune", "Saint-Éloi"),
            ],
            newest_first(&seeded, |s| {
                s.filer == 0 && s.status == DossierStatus::Depose
            }),
        ),
    ];
    for (params, expected) in cases {
        let (rows, _) = walk(&karim, permis.id, params).await;
        assert_eq!(ids_of(&rows), expected, "{params:?}");
    }
    let march =
        |day: u8| time::Date::from_calendar_date(2026, time::Month::March, day).expect("a date");
    let (rows, _) = walk(
        &karim,
        permis.id,
        &[
            ("onglet", "tous"),
            ("du", "2026-03-03"),
            ("au", "2026-03-04"),
        ],
    )
    .await;
    let expected = newest_first(&seeded, |s| {
        (march(3)..=march(4)).contains(&(s.at + time::Duration::hours(1)).date())
    });
    assert_eq!(expected.len(), 16);
    assert_eq!(ids_of(&rows), expected);

    // Dates that cannot be read are said next to their field; the queue still answers.
    let page = queue(
        &karim,
        permis.id,
        &[("onglet", "tous"), ("du", "2026-02-30"), ("au", "demain")],
    )
    .await;
    let fields: Vec<&str> = page
        .filter_errors
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(fields, ["du", "au"], "{:?}", page.filter_errors);
    assert!(
        page.filter_errors
            .iter()
            .all(|e| e.message.starts_with("Saisissez une date valide"))
    );
    assert_eq!(page.rows.len(), 25);
    let page = queue(
        &karim,
        permis.id,
        &[
            ("onglet", "tous"),
            ("du", "2026-03-05"),
            ("au", "2026-03-04"),
        ],
    )
    .await;
    assert_eq!(page.filter_errors.len(), 1, "{:?}", page.filter_errors);
    assert_eq!(page.filter_errors[0].field, "au");
    assert_eq!(
        page.filter_errors[0].message,
        "La date de fin doit être après la date de début."
    );

    // Bulk « Passer en instruction »: a Déposé and a Compléments reçus move on; the one
    // already in instruction and another démarche's dossier are left as they are.
    let pick = |status: DossierStatus| {
        seeded
            .iter()
            .find(|s| s.status == status)
            .expect("a seeded dossier")
            .id
    };
    let depose = pick(DossierStatus::Depose);
    let recus = pick(DossierStatus::ComplementsRecus);
    let busy = pick(DossierStatus::EnInstruction);
    let other = elsewhere[0];
    let (d, r, x, o) = (
        depose.to_string(),
        recus.to_string(),
        busy.to_string(),
        other.to_string(),
    );
    let lot = format!("/instruction/demarches/{}/lot", permis.id);
    let retour = format!("/instruction/demarches/{}?onglet=tous", permis.id);
    let busy_before = dossier_row(&app, busy).await;
    let response = post_form(
        &app,
        &karim,
        &lot,
        &[
            ("operation", "instruire"),
            ("dossier", d.as_str()),
            ("dossier", r.as_str()),
            ("dossier", x.as_str()),
            ("dossier", o.as_str()),
            ("retour", retour.as_str()),
        ],
    )
    .await;
    assert_eq!(see_other(&response), retour);
    let page = queue(&karim, permis.id, &[("onglet", "tous")]).await;
    let notice = page.notice.unwrap_or_default();
    assert!(
        notice.starts_with("2 dossier(s) passé(s) en instruction."),
        "{notice}"
    );
    assert!(
        notice.contains("2 dossier(s) laissé(s) tel(s) quel(s)"),
        "{notice}"
    );
    for moved in [depose, recus] {
        let row = dossier_row(&app, moved).await;
        assert_eq!(row.status, "en_instruction");
        assert_eq!(row.stage, DossierStatus::EnInstruction.stage());
        assert_eq!(events(&app, moved).await.len(), 1, "one history row");
    }
    let busy_after = dossier_row(&app, busy).await;
    assert_eq!(busy_after.status, busy_before.status);
    assert_eq!(busy_after.lock_version, busy_before.lock_version);
    assert!(events(&app, busy).await.is_empty());
    assert_eq!(dossier_row(&app, other).await.status, "depose");
    assert_eq!(
        page.counts,
        TabCounts {
            a_traiter: counts.a_traiter - 2,
            en_cours: counts.en_cours + 2,
            traites: counts.traites,
            suivis: 0,
        }
    );

    // « Suivre », then the « Suivis par moi » tab; another démarche's dossier is ignored.
    let response = post_form(
        &app,
        &karim,
        &lot,
        &[
            ("operation", "suivre"),
            ("dossier", d.as_str()),
            ("dossier", x.as_str()),
            ("dossier", o.as_str()),
            ("retour", retour.as_str()),
        ],
    )
    .await;
    assert_eq!(see_other(&response), retour);
    let page = queue(&karim, permis.id, &[("onglet", "suivis")]).await;
    assert_eq!(
        page.notice.as_deref(),
        Some("Vous suivez 2 dossier(s) de plus.")
    );
    assert_eq!(page.counts.suivis, 2);
    let followed: HashSet<i32> = page.rows.iter().map(|r| r.id).collect();
    assert_eq!(followed, HashSet::from([depose, busy]));
    assert!(page.rows.iter().all(|r| r.followed));
    let tous = queue(&karim, permis.id, &[("onglet", "tous")]).await;
    for row in &tous.rows {
        assert_eq!(row.followed, followed.contains(&row.id), "{row:?}");
    }
    let response = post_form(
        &app,
        &karim,
        &lot,
        &[
            ("operation", "ne-plus-suivre"),
            ("dossier", d.as_str()),
            ("retour", retour.as_str()),
        ],
    )
    .await;
    assert_eq!(see_other(&response), retour);
    let page = queue(&karim, permis.id, &[("onglet", "suivis")]).await;
    assert_eq!(
        page.notice.as_deref(),
        Some("Vous ne suivez plus 1 dossier(s).")
    );
    assert_eq!(ids_of(&page.rows), [busy]);
    assert_eq!(page.counts.suivis, 1);

    // The tab counters, kept by each status change and each follow, agree with a
    // count of the rows.
    let karim_id = account::Entity::find()
        .filter(account::Column::Email.eq("karim@departement.example"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Karim's account")
        .id;
    let kept = guichet::backoffice::service::tab_counts(&app.db, permis.id, karim_id)
        .await
        .expect("counters");
    guichet::backoffice::service::recount(&app.db)
        .await
        .expect("recount");
    let counted = guichet::backoffice::service::tab_counts(&app.db, permis.id, karim_id)
        .await
        .expect("counters");
    assert_eq!(kept, counted);
    assert!(kept.en_cours > 0 && kept.a_traiter > 0, "{kept:?}");
    assert_eq!(kept.suivis, 1);
}

// ---------------------------------------------------------------------------------
// 8. The CSV export
// ---------------------------------------------------------------------------------

/// « Transport scolaire adapté » answers with these children (nom, prénom) and this
/// « Informations utiles au transporteur ».
fn transport_answers(children: &[(&str, &str)], information: &str) -> Answers {
    let text = |value: &str| Value::Text(value.to_owned());
    let address = |line: &str| Value::Address {
        line: line.to_owned(),
        postal_code: "00100".to_owned(),
        commune: "Saint-Éloi".to_owned(),
    };
    let items: Vec<Answers> = children
        .iter()
        .map(|&(nom, prenom)| {
            let mut item = Answers::new();
            item.set("enfant_nom", text(nom));
            item.set("enfant_prenom", text(prenom));
            item.set("enfant_date_naissance", text("2014-03-23"));
            item.set("niveau_scolaire", text("Collège"));
            item.set("etablissement_nom", text("Collège Jean-Moulin"));
            item.set("etablissement_adresse", address("1 avenue du Collège"));
            item.set("regime", text("Externe"));
            item.set("distance_domicile", text("12"));
            item.set("fauteuil_roulant", text("non"));
            item.set("fin_notification_mdph", text("2028-08-31"));
            item
        })
        .collect();
    let mut answers = Answers::new();
    answers.set("lien_eleve", text("Parent"));
    answers.set("telephone", text("06 12 34 56 78"));
    answers.set("adresse_domicile", address("12 rue des Écoles"));
    answers.set("residence_alternee", text("non"));
    answers.set("enfants", Value::Group(items));
    answers.set("annee_scolaire", text("2026-2027"));
    answers.set(
        "mode_transport",
        text("Transport organisé par le Département"),
    );
    answers.set(
        "trajets",
        Value::Many(vec![
            "Aller le matin".to_owned(),
            "Retour le soir".to_owned(),
        ]),
    );
    answers.set("date_debut", text("2026-09-01"));
    answers.set("informations_utiles", text(information));
    answers
}

/// The cells of a `;`-separated file (RFC 4180 quoting, CRLF line ends).
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ';' => row.push(std::mem::take(&mut cell)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                _ => cell.push(c),
            }
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// Downloads an export: its status and headers checked, its text after the BOM.
async fn export(browser: &Browser<'_>, demarche_id: i32, query: &str) -> String {
    let response = browser
        .get(&format!(
            "/instruction/demarches/{demarche_id}/export.csv{query}"
        ))
        .await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"dossiers-transport-scolaire-adapte-"),
        "{disposition}"
    );
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed, not buffered"
    );
    let bytes = response.bytes().await.expect("body");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte order mark first, for Excel"
    );
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8").to_owned();
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    text
}

#[tokio::test]
async fn csv_export_streams_with_bom() {
    let app = spawn_app().await;
    let transport = demarche_row(&app, TRANSPORT).await;
    let permis = demarche_row(&app, PERMIS).await;
    let s1 = new_service(
        &app,
        "Service des aides (export)",
        &[transport.id, permis.id],
    )
    .await;
    let karim = staff(
        &app,
        "karim@departement.example",
        ("Karim", "Benali"),
        Role::Instructor,
        &[s1],
    )
    .await;
    let (elodie, elodie_profile) = citizen_account(
        &app,
        "elodie@example.org",
        ("Élodie", "Durand"),
        Some("Saint-Éloi"),
    )
    .await;
    let (chloe, chloe_profile) =
        citizen_account(&app, "chloe@example.org", ("Chloé", "Moreau"), None).await;
    let at = OffsetDateTime::from_unix_timestamp(1_772_431_200).expect("a date");

    // Two children for Élodie, and an answer that a spreadsheet would run as a formula.
    let formula = "=HYPERLINK(\"http://exemple.invalid\";\"Cliquez ici\")";
    let two_children = transport_answers(&[("Durand", "Léa"), ("Durand", "Noé")], formula);
    let one_child = transport_answers(
        &[("Moreau", "Zoé")],
        "Prévenir la vie scolaire à l’arrivée.",
    );
    let (first, second) = ("2026-000101", "2026-000102");
    insert_dossier(
        &app,
        Filed {
            demarche: &transport,
            profile_id: elodie_profile,
            filer: &elodie,
            status: DossierStatus::Depose,
            number: first,
            at,
            answers: &two_children,
        },
    )
    .await;
    insert_dossier(
        &app,
        Filed {
            demarche: &transport,
            profile_id: chloe_profile,
            filer: &chloe,
            status: DossierStatus::EnInstruction,
            number: second,
            at: at + time::Duration::hours(1),
            answers: &one_child,
        },
    )
    .await;
    // Not exported: a draft of the démarche, a dossier of another démarche.
    insert_dossier(
        &app,
        Filed {
            demarche: &transport,
            profile_id: elodie_profile,
            filer: &elodie,
            status: DossierStatus::Brouillon,
            number: "",
            at,
            answers: &two_children,
        },
    )
    .await;
    insert_dossier(
        &app,
        Filed {
            demarche: &permis,
            profile_id: elodie_profile,
            filer: &elodie,
            status: DossierStatus::Depose,
            number: "2026-000103",
            at,
            answers: &Answers::new(),
        },
    )
    .await;

    let text = export(&karim, transport.id, "").await;
    assert!(
        text.starts_with(
            "Numéro;Statut;Déposé le;Dernière modification;Décidé le;Profil;Type de profil;Commune;SIRET;Déposé par;Courriel du déposant;"
        ),
        "{text}"
    );
    let table = parse_csv(&text);
    assert_eq!(
        table.len(),
        3,
        "the header and one line per dossier: {table:?}"
    );
    let header = &table[0];
    assert!(
        table.iter().all(|line| line.len() == header.len()),
        "as many cells on every line"
    );
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column « {name} » in {header:?}"))
    };
    let line = |number: &str| {
        table
            .iter()
            .find(|l| l[0] == number)
            .unwrap_or_else(|| panic!("no line for {number}"))
    };
    // The repeated group, flattened: one column per question per child, up to 6.
    let child = |n: usize, question: &str| format!("Élèves concernés – Enfant {n} – {question}");
    for n in 1..=6 {
        column(&child(n, "Prénom"));
    }
    assert!(!header.contains(&child(7, "Prénom")));

    let elodie_line = line(first);
    let cell = |name: &str| elodie_line[column(name)].as_str();
    assert_eq!(cell("Statut"), "Déposé");
    assert_eq!(cell("Profil"), "Élodie Durand");
    assert_eq!(cell("Type de profil"), "Particulier");
    assert_eq!(cell("Commune"), "Saint-Éloi");
    assert_eq!(cell("SIRET"), "");
    assert_eq!(cell("Déposé par"), "Élodie Durand");
    assert_eq!(cell("Courriel du déposant"), "elodie@example.org");
    assert_eq!(cell(&child(1, "Prénom")), "Léa");
    assert_eq!(cell(&child(2, "Prénom")), "Noé");
    assert_eq!(cell(&child(3, "Prénom")), "");
    assert_eq!(
        cell(&child(
            1,
            "Distance entre le domicile et l’établissement (km)"
        )),
        "12"
    );
    assert_eq!(cell("Trajets à prévoir"), "Aller le matin ; Retour le soir");
    assert_eq!(cell("Date souhaitée de début du transport"), "01/09/2026");
    assert!(cell("Adresse du domicile").contains("12 rue des Écoles"));
    // The formula is neutralised: shown as text.
    assert_eq!(
        cell("Informations utiles au transporteur"),
        format!("'{formula}")
    );

    let chloe_line = line(second);
    let cell = |name: &str| chloe_line[column(name)].as_str();
    assert_eq!(cell("Statut"), "En cours d’instruction");
    assert_eq!(cell("Profil"), "Chloé Moreau");
    assert_eq!(cell("Commune"), "");
    assert_eq!(cell(&child(1, "Prénom")), "Zoé");
    assert_eq!(cell(&child(2, "Prénom")), "");
    assert_eq!(
        cell("Informations utiles au transporteur"),
        "Prévenir la vie scolaire à l’arrivée."
    );

    // The queue's filters apply: one status, or a search.
    let table = parse_csv(&export(&karim, transport.id, "?statut=depose").await);
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!(table[1][0], first);
    let table = parse_csv(&export(&karim, transport.id, "?q=Moreau").await);
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!(table[1][0], second);
}
