//! The administration: only administrators (with the second factor) reach it, and a
//! refused call changes nothing; a démarche's form is checked before it is published,
//! and each publication freezes a version that the dossiers started on it keep; the
//! append-only audit log records every sensitive action (and exports it as CSV); the
//! portal always keeps an active administrator; customised notification emails; the
//! « Démarches à la Une » banner.
//!
//! Everything goes through the HTTP surface (server functions posted as forms, the
//! journal's CSV); rows are read from the database, emails from the real SMTP server.

use std::time::Duration;

use guichet::account::api::{RequestPasswordReset, ResetPassword};
use guichet::account::model::Role;
use guichet::admin::api::{
    AddField, AddInstructor, AddPage, AdminAudit, AdminDemarche, AdminDemarches, AdminFeatured,
    AdminField, AdminForm, AdminPage, AdminService, AdminServices, AdminUser, AdminUsers,
    AttachService, ChangeRole, CreateDemarche, CreateService, DuplicateDemarche, MoveFeatured,
    MoveField, MovePage, PublishDemarche, RemoveField, RemoveInstructor, RemovePage, RenameService,
    ResendVerificationOf, ResetEmail, ResetSecondFactorOf, SaveEmail, SaveField, SavePage,
    SetAccountActive, SetDemarcheOpen, SetFeatured, UpdateDemarche,
};
use guichet::admin::model::{
    AdminDemarcheRow, AuditPage, DemarcheEditor, DemarcheSettings, EmailKind, FeaturedRow,
    FieldEditor, FieldSettings,
};
use guichet::backoffice::api::InstructionHome;
use guichet::backoffice::model::Action;
use guichet::demarches::api::FeaturedDemarches;
use guichet::demarches::model::{DemarcheCard, DemarcheState};
use guichet::dossiers::api::{DraftPage, ReviewDossier};
use guichet::dossiers::model::{DossierStatus, FillPage, ReviewView};
use guichet::error::AppError;
use guichet::forms::{Condition, FieldKind, FormDefinition};
use guichet::server::entities::{
    account, audit_log, demarche, demarche_email, demarche_service, demarche_version, outbox,
    service, service_member, session,
};
use leptos::server_fn::ServerFn;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::accounts::{Browser, NEW_PASSWORD, error, location, ok, sign_up, token_in};
use crate::backoffice::{
    act, demarche_row, dossier_row, insert_account, json, mail, mails, new_service, parse_csv,
    staff, status_subject,
};
use crate::dossiers::{
    PERMIS, by_id, fill_permis, id_after, open_all_year, post_page, see_other, signed_in, start,
    submit,
};
use crate::helpers::{Spawned, TestApp, eventually, spawn_app};

/// The administrator of these tests (not the demo one).
const CLAIRE: &str = "claire.rousseau@departement.example";
/// The key of the page a new démarche starts with (« Votre demande »).
const FIRST_PAGE: &str = "votre-demande";
/// Where the tests' requests come from, as the audit log records it.
const IP: &str = "127.0.0.1";
const LAST_ADMIN: &str =
    "C’est le dernier compte administrateur actif : nommez d’abord un autre administrateur.";
const CONDITION_LATER: &str = "Cette question ne peut pas servir de condition : elle doit précéder ce champ, hors d’un groupe répétable.";
const PAGE_CONDITION_LATER: &str =
    "Cette question ne peut pas servir de condition : elle doit figurer sur une page précédente.";

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// Claire, administrator, signed in with her password and her second factor.
pub(crate) async fn admin_browser(app: &Spawned) -> Browser<'_> {
    staff(app, CLAIRE, ("Claire", "Rousseau"), Role::Admin, &[]).await
}

/// Posts a server function's form whose values are owned strings.
async fn post<S: ServerFn>(browser: &Browser<'_>, form: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.call::<S>(&pairs).await
}

async fn account_row(app: &TestApp, id: i32) -> account::Model {
    account::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("account {id} exists"))
}

async fn account_id(app: &TestApp, email: &str) -> i32 {
    account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("the account {email}"))
        .id
}

/// A démarche's description, valid.
fn settings(title: &str, slug: &str) -> DemarcheSettings {
    DemarcheSettings {
        title: title.to_owned(),
        slug: slug.to_owned(),
        summary: format!("Résumé de la démarche « {title} »."),
        description: "Une aide du Département.\n\nLa demande se fait en ligne.".to_owned(),
        audience: "particuliers".to_owned(),
        processing_time: "Deux mois".to_owned(),
        documents: "Une pièce d’identité\nUn justificatif de domicile".to_owned(),
        opens_on: String::new(),
        closes_on: String::new(),
    }
}

/// The form of « Créer la démarche » (no id) or of « Enregistrer » (its id).
fn settings_form(id: Option<i32>, s: &DemarcheSettings) -> Vec<(String, String)> {
    let mut form = Vec::new();
    if let Some(id) = id {
        form.push(("id".to_owned(), id.to_string()));
    }
    for (name, value) in [
        ("title", &s.title),
        ("slug", &s.slug),
        ("summary", &s.summary),
        ("description", &s.description),
        ("audience", &s.audience),
        ("processing_time", &s.processing_time),
        ("documents", &s.documents),
        ("opens_on", &s.opens_on),
        ("closes_on", &s.closes_on),
    ] {
        form.push((format!("settings[{name}]"), value.clone()));
    }
    form
}

/// The form of « Enregistrer le champ »: every setting, ticked boxes only when ticked.
fn field_form(id: i32, key: &str, s: &FieldSettings) -> Vec<(String, String)> {
    let mut form = vec![
        ("id".to_owned(), id.to_string()),
        ("key".to_owned(), key.to_owned()),
    ];
    for (name, value) in [
        ("key", &s.key),
        ("label", &s.label),
        ("help", &s.help),
        ("condition_field", &s.condition_field),
        ("condition_equals", &s.condition_equals),
        ("max_length", &s.max_length),
        ("min", &s.min),
        ("max", &s.max),
        ("unit", &s.unit),
        ("options", &s.options),
        ("display", &s.display),
        ("max_files", &s.max_files),
        ("max_size_mb", &s.max_size_mb),
        ("add_label", &s.add_label),
        ("item_label", &s.item_label),
        ("min_items", &s.min_items),
        ("max_items", &s.max_items),
    ] {
        form.push((format!("settings[{name}]"), value.clone()));
    }
    for (name, value) in [
        ("required", &s.required),
        ("integer", &s.integer),
        ("past_only", &s.past_only),
    ] {
        if let Some(value) = value {
            form.push((format!("settings[{name}]"), value.clone()));
        }
    }
    form
}

/// « Créer la démarche »: its id, read from the redirect to its form builder.
async fn create_demarche(admin: &Browser<'_>, title: &str, slug: &str) -> i32 {
    let response =
        ok(post::<CreateDemarche>(admin, &settings_form(None, &settings(title, slug))).await).await;
    let to = location(&response);
    assert!(
        to.starts_with("/admin/demarches/") && to.ends_with("/formulaire"),
        "{to}"
    );
    id_after(&to, "/admin/demarches/")
}

/// « Ajouter une page »: its key, read from the redirect's anchor.
async fn add_page(admin: &Browser<'_>, id: i32, title: &str) -> String {
    let key = id.to_string();
    let response = ok(admin
        .call::<AddPage>(&[("id", key.as_str()), ("title", title)])
        .await)
    .await;
    let to = location(&response);
    to.split_once("#page-")
        .map(|(_, page)| page.to_owned())
        .unwrap_or_else(|| panic!("no page key in {to}"))
}

/// « Ajouter le champ » to a page (or a group of it): its key, read from the redirect
/// to its editor.
async fn add_field(
    admin: &Browser<'_>,
    id: i32,
    page: &str,
    group: Option<&str>,
    kind: &str,
    label: &str,
) -> String {
    let key = id.to_string();
    let mut form = vec![
        ("id", key.as_str()),
        ("page", page),
        ("kind", kind),
        ("label", label),
    ];
    if let Some(group) = group {
        form.push(("groupe", group));
    }
    let response = ok(admin.call::<AddField>(&form).await).await;
    let to = location(&response);
    to.strip_prefix(&format!("/admin/demarches/{id}/champs/"))
        .unwrap_or_else(|| panic!("not a field's editor: {to}"))
        .to_owned()
}

async fn field_editor(admin: &Browser<'_>, id: i32, key: &str) -> FieldEditor {
    let id = id.to_string();
    json(
        admin
            .call::<AdminField>(&[("id", id.as_str()), ("key", key)])
            .await,
    )
    .await
}

async fn save_field(
    admin: &Browser<'_>,
    id: i32,
    key: &str,
    settings: &FieldSettings,
) -> reqwest::Response {
    post::<SaveField>(admin, &field_form(id, key, settings)).await
}

/// The form being edited (the builder's view).
async fn working_form(admin: &Browser<'_>, id: i32) -> (DemarcheEditor, FormDefinition) {
    json(by_id::<AdminForm>(admin, id).await).await
}

async fn editor_of(admin: &Browser<'_>, id: i32) -> DemarcheEditor {
    json(by_id::<AdminDemarche>(admin, id).await).await
}

async fn publish(admin: &Browser<'_>, id: i32) -> reqwest::Response {
    by_id::<PublishDemarche>(admin, id).await
}

/// The démarche's line in the administrators' list.
async fn list_row(admin: &Browser<'_>, id: i32) -> AdminDemarcheRow {
    let rows: Vec<AdminDemarcheRow> = json(admin.call::<AdminDemarches>(&[]).await).await;
    rows.into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("démarche {id} in the list"))
}

async fn demarche_model(app: &TestApp, id: i32) -> demarche::Model {
    demarche::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("démarche {id} exists"))
}

async fn versions_of(app: &TestApp, id: i32) -> Vec<demarche_version::Model> {
    demarche_version::Entity::find()
        .filter(demarche_version::Column::DemarcheId.eq(id))
        .order_by_asc(demarche_version::Column::Number)
        .all(&app.db)
        .await
        .expect("query")
}

/// Every line of the audit log, oldest first.
async fn audit_lines(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .expect("query")
}

/// The last line of `action` written by `actor`.
fn line<'a>(lines: &'a [audit_log::Model], action: &str, actor: &str) -> &'a audit_log::Model {
    lines
        .iter()
        .rev()
        .find(|l| l.action == action && l.actor_email.as_deref() == Some(actor))
        .unwrap_or_else(|| {
            let seen: Vec<(&str, Option<&str>)> = lines
                .iter()
                .map(|l| (l.action.as_str(), l.actor_email.as_deref()))
                .collect();
            panic!("no « {action} » line by {actor} in {seen:?}")
        })
}

/// The object a line names: (kind, id).
fn object(line: &audit_log::Model) -> (Option<&str>, Option<&str>) {
    (line.object_kind.as_deref(), line.object_id.as_deref())
}

fn count_of(lines: &[audit_log::Model], action: &str) -> usize {
    lines.iter().filter(|l| l.action == action).count()
}

/// The journal's page for these filters (`action`, `qui`, `objet`, `id`…).
async fn audit_page(admin: &Browser<'_>, filters: &[(&str, &str)]) -> AuditPage {
    let keys: Vec<String> = filters.iter().map(|(k, _)| format!("query[{k}]")).collect();
    let form: Vec<(&str, &str)> = keys
        .iter()
        .zip(filters)
        .map(|(k, (_, v))| (k.as_str(), *v))
        .collect();
    json(admin.call::<AdminAudit>(&form).await).await
}

/// Downloads the journal: status and headers checked, its cells after the BOM.
async fn journal_csv(admin: &Browser<'_>, query: &str) -> Vec<Vec<String>> {
    let response = admin.get(&format!("/admin/journal.csv{query}")).await;
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
        disposition.starts_with("attachment; filename=\"journal-"),
        "{disposition}"
    );
    let bytes = response.bytes().await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 BOM first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8").to_owned();
    assert!(
        text.starts_with(
            "Date et heure (Paris);Auteur;Action;Code de l’action;Objet;Détail;Adresse IP"
        ),
        "{text}"
    );
    parse_csv(&text)
}

async fn change_role(admin: &Browser<'_>, id: i32, role: &str) -> reqwest::Response {
    let id = id.to_string();
    admin
        .call::<ChangeRole>(&[("id", id.as_str()), ("role", role)])
        .await
}

async fn set_active(admin: &Browser<'_>, id: i32, active: bool) -> reqwest::Response {
    let id = id.to_string();
    admin
        .call::<SetAccountActive>(&[
            ("id", id.as_str()),
            ("actif", if active { "true" } else { "false" }),
        ])
        .await
}

async fn save_email(
    admin: &Browser<'_>,
    id: i32,
    kind: &str,
    subject: &str,
    body: &str,
) -> reqwest::Response {
    let id = id.to_string();
    admin
        .call::<SaveEmail>(&[
            ("id", id.as_str()),
            ("kind", kind),
            ("subject", subject),
            ("body", body),
        ])
        .await
}

async fn reset_email(admin: &Browser<'_>, id: i32, kind: &str) -> reqwest::Response {
    let id = id.to_string();
    admin
        .call::<ResetEmail>(&[("id", id.as_str()), ("kind", kind)])
        .await
}

/// « À la Une » ticked (`on`) or not, with its period.
async fn set_featured(
    admin: &Browser<'_>,
    id: i32,
    on: bool,
    from: &str,
    until: &str,
) -> reqwest::Response {
    let id = id.to_string();
    let mut form = vec![("id", id.as_str()), ("du", from), ("au", until)];
    if on {
        form.push(("une", "on"));
    }
    admin.call::<SetFeatured>(&form).await
}

async fn move_featured(admin: &Browser<'_>, id: i32, sens: &str) -> reqwest::Response {
    let id = id.to_string();
    admin
        .call::<MoveFeatured>(&[("id", id.as_str()), ("sens", sens)])
        .await
}

/// The slugs of the home page's banner, in order (the server function the page calls).
async fn featured_slugs(app: &TestApp) -> Vec<String> {
    let cards: Vec<DemarcheCard> = json(app.call::<FeaturedDemarches>(&[]).await).await;
    cards.into_iter().map(|c| c.slug).collect()
}

/// The home page from its « Démarches à la Une » heading on.
async fn home_banner(app: &TestApp) -> String {
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    let start = html.find("Démarches à la Une").expect("the banner heading");
    html[start..].to_owned()
}

async fn featured_rows(admin: &Browser<'_>) -> Vec<FeaturedRow> {
    let (rows, _notice): (Vec<FeaturedRow>, Option<String>) =
        json(admin.call::<AdminFeatured>(&[]).await).await;
    rows
}

/// A date `offset` days from today, `YYYY-MM-DD`.
fn day(offset: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A page of a draft, as the citizen's page shows it.
async fn fill_page(browser: &Browser<'_>, id: i32, page: usize, check: bool) -> FillPage {
    let (id, page) = (id.to_string(), page.to_string());
    json(
        browser
            .call::<DraftPage>(&[
                ("id", id.as_str()),
                ("page", page.as_str()),
                ("check", if check { "true" } else { "false" }),
            ])
            .await,
    )
    .await
}

fn keys_of(page: &FillPage) -> Vec<String> {
    page.page.fields.iter().map(|f| f.key.clone()).collect()
}

fn page_keys(def: &FormDefinition, page: usize) -> Vec<String> {
    def.pages[page]
        .fields
        .iter()
        .map(|f| f.key.clone())
        .collect()
}

// ---------------------------------------------------------------------------------
// 1. Only administrators
// ---------------------------------------------------------------------------------

/// Every entry point of the administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Demarches,
    Demarche,
    CreateDemarche,
    UpdateDemarche,
    DuplicateDemarche,
    AttachService,
    Form,
    AddPage,
    Page,
    SavePage,
    MovePage,
    RemovePage,
    AddField,
    Field,
    SaveField,
    MoveField,
    RemoveField,
    SaveEmail,
    ResetEmail,
    Publish,
    SetOpen,
    Featured,
    SetFeatured,
    MoveFeatured,
    Services,
    Service,
    CreateService,
    RenameService,
    AddInstructor,
    RemoveInstructor,
    Users,
    User,
    ResendVerification,
    ChangeRole,
    ResetSecondFactor,
    SetActive,
    Audit,
    JournalCsv,
}

impl Entry {
    /// In an order in which the administrator's calls all succeed.
    const ALL: [Entry; 38] = [
        Entry::Demarches,
        Entry::Demarche,
        Entry::CreateDemarche,
        Entry::UpdateDemarche,
        Entry::DuplicateDemarche,
        Entry::AttachService,
        Entry::Form,
        Entry::AddPage,
        Entry::Page,
        Entry::SavePage,
        Entry::MovePage,
        Entry::RemovePage,
        Entry::AddField,
        Entry::Field,
        Entry::SaveField,
        Entry::MoveField,
        Entry::RemoveField,
        Entry::SaveEmail,
        Entry::ResetEmail,
        Entry::Publish,
        Entry::SetOpen,
        Entry::Featured,
        Entry::SetFeatured,
        Entry::MoveFeatured,
        Entry::Services,
        Entry::Service,
        Entry::CreateService,
        Entry::RenameService,
        Entry::AddInstructor,
        Entry::RemoveInstructor,
        Entry::Users,
        Entry::User,
        Entry::ResendVerification,
        Entry::ChangeRole,
        Entry::ResetSecondFactor,
        Entry::SetActive,
        Entry::Audit,
        Entry::JournalCsv,
    ];
}

/// The key of the yes/no question and of the second page of the matrix's démarche.
const QUESTION: &str = "question";
const SECOND_PAGE: &str = "deuxieme-page";
/// The field and the page the administrator adds (then removes) in the matrix.
const ADDED_FIELD: &str = "commentaire";
const ADDED_PAGE: &str = "page-ajoutee";

/// The ids the entry points are called with.
struct Targets {
    /// A brouillon démarche with a question on each of its two pages.
    demarche: i32,
    /// A published démarche (« Aide au permis de conduire »).
    published: i32,
    service: i32,
    instructor: i32,
    instructor_email: String,
    citizen: i32,
    /// An account whose address is not confirmed yet.
    newcomer: i32,
}

/// Calls one entry point with plausible arguments.
async fn call_entry(browser: &Browser<'_>, entry: Entry, t: &Targets) -> reqwest::Response {
    let d = t.demarche.to_string();
    let p = t.published.to_string();
    let s = t.service.to_string();
    let instructor = t.instructor.to_string();
    let newcomer = t.newcomer.to_string();
    let (d, p, s) = (d.as_str(), p.as_str(), s.as_str());
    match entry {
        Entry::Demarches => browser.call::<AdminDemarches>(&[]).await,
        Entry::Demarche => by_id::<AdminDemarche>(browser, t.demarche).await,
        Entry::CreateDemarche => {
            let s = settings("Nouvelle démarche de la matrice", "matrice-nouvelle");
            post::<CreateDemarche>(browser, &settings_form(None, &s)).await
        }
        Entry::UpdateDemarche => {
            let s = settings("Démarche de la matrice, relue", "matrice-demarche");
            post::<UpdateDemarche>(browser, &settings_form(Some(t.demarche), &s)).await
        }
        Entry::DuplicateDemarche => by_id::<DuplicateDemarche>(browser, t.demarche).await,
        Entry::AttachService => {
            browser
                .call::<AttachService>(&[
                    ("service_id", s),
                    ("demarche_id", d),
                    ("rattacher", "true"),
                    ("retour", "demarche"),
                ])
                .await
        }
        Entry::Form => by_id::<AdminForm>(browser, t.demarche).await,
        Entry::AddPage => {
            browser
                .call::<AddPage>(&[("id", d), ("title", "Page ajoutée")])
                .await
        }
        Entry::Page => {
            browser
                .call::<AdminPage>(&[("id", d), ("page", SECOND_PAGE)])
                .await
        }
        Entry::SavePage => {
            browser
                .call::<SavePage>(&[
                    ("id", d),
                    ("page", SECOND_PAGE),
                    ("title", "Deuxième page, relue"),
                    ("intro", "Quelques précisions sur votre demande."),
                    ("condition_field", QUESTION),
                    ("condition_equals", "oui"),
                ])
                .await
        }
        Entry::MovePage => {
            browser
                .call::<MovePage>(&[("id", d), ("page", ADDED_PAGE), ("sens", "haut")])
                .await
        }
        Entry::RemovePage => {
            browser
                .call::<RemovePage>(&[("id", d), ("page", ADDED_PAGE)])
                .await
        }
        Entry::AddField => {
            browser
                .call::<AddField>(&[
                    ("id", d),
                    ("page", FIRST_PAGE),
                    ("kind", "short_text"),
                    ("label", "Commentaire"),
                ])
                .await
        }
        Entry::Field => {
            browser
                .call::<AdminField>(&[("id", d), ("key", ADDED_FIELD)])
                .await
        }
        Entry::SaveField => {
            let settings = FieldSettings {
                key: ADDED_FIELD.to_owned(),
                label: "Votre commentaire".to_owned(),
                required: Some("on".to_owned()),
                ..FieldSettings::default()
            };
            save_field(browser, t.demarche, ADDED_FIELD, &settings).await
        }
        Entry::MoveField => {
            browser
                .call::<MoveField>(&[("id", d), ("key", ADDED_FIELD), ("sens", "haut")])
                .await
        }
        Entry::RemoveField => {
            browser
                .call::<RemoveField>(&[("id", d), ("key", ADDED_FIELD)])
                .await
        }
        Entry::SaveEmail => {
            save_email(
                browser,
                t.demarche,
                "accepte",
                "Dossier {numero} accepté",
                "Bonjour,\n\nSuivez votre dossier : {lien}",
            )
            .await
        }
        Entry::ResetEmail => reset_email(browser, t.demarche, "accepte").await,
        Entry::Publish => publish(browser, t.demarche).await,
        Entry::SetOpen => {
            browser
                .call::<SetDemarcheOpen>(&[("id", d), ("ouvrir", "false")])
                .await
        }
        Entry::Featured => browser.call::<AdminFeatured>(&[]).await,
        Entry::SetFeatured => {
            browser
                .call::<SetFeatured>(&[("id", p), ("une", "on"), ("du", ""), ("au", "")])
                .await
        }
        Entry::MoveFeatured => {
            browser
                .call::<MoveFeatured>(&[("id", p), ("sens", "bas")])
                .await
        }
        Entry::Services => browser.call::<AdminServices>(&[]).await,
        Entry::Service => by_id::<AdminService>(browser, t.service).await,
        Entry::CreateService => {
            browser
                .call::<CreateService>(&[("name", "Service créé par la matrice")])
                .await
        }
        Entry::RenameService => {
            browser
                .call::<RenameService>(&[("id", s), ("name", "Service de la matrice, renommé")])
                .await
        }
        Entry::AddInstructor => {
            browser
                .call::<AddInstructor>(&[("id", s), ("email", t.instructor_email.as_str())])
                .await
        }
        Entry::RemoveInstructor => {
            browser
                .call::<RemoveInstructor>(&[("id", s), ("account", instructor.as_str())])
                .await
        }
        Entry::Users => browser.call::<AdminUsers>(&[("query[q]", "camille")]).await,
        Entry::User => by_id::<AdminUser>(browser, t.citizen).await,
        Entry::ResendVerification => by_id::<ResendVerificationOf>(browser, t.newcomer).await,
        Entry::ChangeRole => {
            browser
                .call::<ChangeRole>(&[("id", newcomer.as_str()), ("role", "instructor")])
                .await
        }
        Entry::ResetSecondFactor => by_id::<ResetSecondFactorOf>(browser, t.instructor).await,
        Entry::SetActive => {
            browser
                .call::<SetAccountActive>(&[("id", newcomer.as_str()), ("actif", "false")])
                .await
        }
        Entry::Audit => {
            browser
                .call::<AdminAudit>(&[("query[action]", "demarche_creee")])
                .await
        }
        Entry::JournalCsv => browser.get("/admin/journal.csv").await,
    }
}

/// What the administration's calls may change.
#[derive(Debug, PartialEq, Eq)]
struct World {
    demarches: Vec<demarche::Model>,
    versions: Vec<demarche_version::Model>,
    emails: Vec<demarche_email::Model>,
    links: Vec<demarche_service::Model>,
    services: Vec<service::Model>,
    members: Vec<service_member::Model>,
    /// id, role, active, TOTP secret, address confirmed.
    accounts: Vec<(i32, String, bool, Option<String>, bool)>,
    audit: Vec<audit_log::Model>,
    outbox: u64,
}

async fn world(app: &TestApp) -> World {
    let db = &app.db;
    World {
        demarches: demarche::Entity::find()
            .order_by_asc(demarche::Column::Id)
            .all(db)
            .await
            .expect("query"),
        versions: demarche_version::Entity::find()
            .order_by_asc(demarche_version::Column::Id)
            .all(db)
            .await
            .expect("query"),
        emails: demarche_email::Entity::find()
            .order_by_asc(demarche_email::Column::DemarcheId)
            .order_by_asc(demarche_email::Column::Kind)
            .all(db)
            .await
            .expect("query"),
        links: demarche_service::Entity::find()
            .order_by_asc(demarche_service::Column::DemarcheId)
            .order_by_asc(demarche_service::Column::ServiceId)
            .all(db)
            .await
            .expect("query"),
        services: service::Entity::find()
            .order_by_asc(service::Column::Id)
            .all(db)
            .await
            .expect("query"),
        members: service_member::Entity::find()
            .order_by_asc(service_member::Column::ServiceId)
            .order_by_asc(service_member::Column::AccountId)
            .all(db)
            .await
            .expect("query"),
        accounts: account::Entity::find()
            .order_by_asc(account::Column::Id)
            .all(db)
            .await
            .expect("query")
            .into_iter()
            .map(|a| {
                (
                    a.id,
                    a.role,
                    a.active,
                    a.totp_secret,
                    a.email_verified_at.is_some(),
                )
            })
            .collect(),
        audit: audit_lines(app).await,
        outbox: outbox::Entity::find().count(db).await.expect("count"),
    }
}

#[tokio::test]
async fn only_administrators_reach_the_administration() {
    let app = spawn_app().await;
    let claire = admin_browser(&app).await;
    let karim_email = "karim@departement.example";
    let karim = staff(
        &app,
        karim_email,
        ("Karim", "Benali"),
        Role::Instructor,
        &[],
    )
    .await;
    let camille = signed_in(&app, "camille@example.org").await;
    let anonymous = Browser::new(&app);
    ok(sign_up(&Browser::new(&app), "nouveau@example.org").await).await;

    // A brouillon with a question on each of its two pages, a service without
    // démarche nor member.
    let d = create_demarche(&claire, "Démarche de la matrice", "matrice-demarche").await;
    let question = add_field(&claire, d, FIRST_PAGE, None, "yes_no", "Question").await;
    assert_eq!(question, QUESTION);
    let second = add_page(&claire, d, "Deuxième page").await;
    assert_eq!(second, SECOND_PAGE);
    add_field(&claire, d, SECOND_PAGE, None, "short_text", "Détail").await;
    let targets = Targets {
        demarche: d,
        published: demarche_row(&app, PERMIS).await.id,
        service: new_service(&app, "Service de la matrice", &[]).await,
        instructor: account_id(&app, karim_email).await,
        instructor_email: karim_email.to_owned(),
        citizen: account_id(&app, "camille@example.org").await,
        newcomer: account_id(&app, "nouveau@example.org").await,
    };
    let before = world(&app).await;

    // Anonymous callers must sign in (401, or the sign-in page for the CSV); citizens
    // and instructors are refused (403).
    for (who, browser) in [
        ("anonymous", &anonymous),
        ("citizen", &camille),
        ("instructor", &karim),
    ] {
        for entry in Entry::ALL {
            let what = format!("{who} → {entry:?}");
            let response = call_entry(browser, entry, &targets).await;
            let status = response.status().as_u16();
            match (who, entry) {
                ("anonymous", Entry::JournalCsv) => {
                    assert_eq!(status, 303, "{what}");
                    let to = location(&response);
                    assert!(to.starts_with("/connexion"), "{what}: {to}");
                }
                (_, Entry::JournalCsv) => assert_eq!(status, 403, "{what}"),
                ("anonymous", _) => {
                    assert_eq!(status, 401, "{what}");
                    assert_eq!(error(response).await, AppError::Unauthenticated, "{what}");
                }
                _ => {
                    assert_eq!(status, 403, "{what}");
                    assert_eq!(error(response).await, AppError::Forbidden, "{what}");
                }
            }
        }
    }
    // Nothing changed: démarches, versions, emails, services and their members, roles,
    // accounts, the audit log, the outbox. The refused callers are still signed in.
    assert_eq!(world(&app).await, before);
    assert!(camille.who().await.is_some());
    assert!(karim.who().await.is_some());

    // The administrator may call every one of them.
    for entry in Entry::ALL {
        let response = call_entry(&claire, entry, &targets).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{entry:?}: {status} {body}");
        if entry == Entry::JournalCsv {
            assert_eq!(content_type, "text/csv; charset=utf-8");
        }
    }
    let after = world(&app).await;
    assert_eq!(
        after.demarches.len(),
        before.demarches.len() + 2,
        "created, duplicated"
    );
    assert_eq!(after.services.len(), before.services.len() + 1);
    let row = demarche_model(&app, d).await;
    assert_eq!(row.title, "Démarche de la matrice, relue");
    assert_eq!(row.state, "close");
    assert_eq!(versions_of(&app, d).await.len(), 1);
    assert!(
        after
            .links
            .iter()
            .any(|l| l.demarche_id == d && l.service_id == targets.service)
    );
    let renamed = after
        .services
        .iter()
        .find(|s| s.id == targets.service)
        .expect("the service");
    assert_eq!(renamed.name, "Service de la matrice, renommé");
    assert!(
        !after
            .members
            .iter()
            .any(|m| m.service_id == targets.service)
    );
    let newcomer = account_row(&app, targets.newcomer).await;
    assert_eq!(newcomer.role, "instructor");
    assert!(!newcomer.active);
    assert_eq!(
        account_row(&app, targets.instructor).await.totp_secret,
        None
    );
    assert!(after.audit.len() > before.audit.len());
    assert!(
        after.audit[before.audit.len()..]
            .iter()
            .all(|l| l.actor_email.as_deref() == Some(CLAIRE)),
        "every new line is the administrator's"
    );
    assert!(
        after.outbox > before.outbox,
        "the confirmation link was sent again"
    );
}

// ---------------------------------------------------------------------------------
// 2. The form is checked before it is published
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn definitions_are_validated_before_publishing() {
    let app = spawn_app().await;
    let claire = admin_browser(&app).await;
    let id = create_demarche(&claire, "Aide à l’achat d’un vélo", "aide-achat-velo").await;

    // A new démarche: a brouillon whose first page asks nothing yet.
    let (editor, def) = working_form(&claire, id).await;
    assert_eq!(editor.state, DemarcheState::Brouillon);
    assert_eq!(editor.version, None);
    assert_eq!(def.pages.len(), 1);
    assert_eq!(def.pages[0].key, FIRST_PAGE);
    assert!(def.pages[0].fields.is_empty());
    let empty_page = "La page « Votre demande » ne pose aucune question.";
    assert!(
        editor.problems.iter().any(|p| p == empty_page),
        "{:?}",
        editor.problems
    );
    assert_eq!(
        editor.notice.as_deref(),
        Some("La démarche est créée, en brouillon : construisez son formulaire, puis publiez-la.")
    );

    // « Publier » is refused, with the page named.
    let response = publish(&claire, id).await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    assert!(
        e.field_errors()
            .iter()
            .any(|f| f.field == "publication" && f.message == empty_page),
        "{e:?}"
    );
    let row = demarche_model(&app, id).await;
    assert_eq!(row.state, "brouillon");
    assert_eq!(row.current_version_id, None);
    assert!(versions_of(&app, id).await.is_empty());
    assert_eq!(count_of(&audit_lines(&app).await, "demarche_publiee"), 0);

    // A yes/no question, and a question shown when it is answered « oui ».
    let has_bike = add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "yes_no",
        "Avez-vous déjà un vélo ?",
    )
    .await;
    let brand = add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "short_text",
        "Marque de votre vélo",
    )
    .await;
    let editor = field_editor(&claire, id, &brand).await;
    assert!(
        editor.condition_choices.iter().any(|c| c.key == has_bike),
        "{:?}",
        editor.condition_choices
    );
    let mut conditional = editor.settings.clone();
    conditional.condition_field = has_bike.clone();
    conditional.condition_equals = "oui".to_owned();
    let response = ok(save_field(&claire, id, &brand, &conditional).await).await;
    assert_eq!(
        location(&response),
        format!("/admin/demarches/{id}/formulaire#champ-{brand}")
    );
    let condition = Some(Condition {
        field: has_bike.clone(),
        equals: "oui".to_owned(),
    });
    assert_eq!(
        field_editor(&claire, id, &brand).await.field.condition,
        condition
    );

    // A repeatable group (it starts with a question) and a second question inside it.
    let group = add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "group",
        "Vélos de la famille",
    )
    .await;
    let colour = add_field(
        &claire,
        id,
        FIRST_PAGE,
        Some(&group),
        "short_text",
        "Couleur",
    )
    .await;
    let group_editor = field_editor(&claire, id, &group).await;
    let FieldKind::Group { fields, .. } = &group_editor.field.kind else {
        panic!("a group: {:?}", group_editor.field.kind);
    };
    let inner: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(inner.len(), 2, "{inner:?}");
    assert_eq!(inner[1], colour);
    let first_child = inner[0].to_owned();
    assert_eq!(
        field_editor(&claire, id, &colour).await.group.as_deref(),
        Some(group.as_str())
    );

    // An attachment, and a second page with its own question.
    let invoice = add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "attachment",
        "Facture d’achat",
    )
    .await;
    let attachment = field_editor(&claire, id, &invoice).await;
    assert!(matches!(
        attachment.field.kind,
        FieldKind::Attachment { .. }
    ));
    let situation = add_page(&claire, id, "Votre situation").await;
    let student = add_field(
        &claire,
        id,
        &situation,
        None,
        "yes_no",
        "Êtes-vous étudiant ?",
    )
    .await;

    // A condition naming a question of a later page: refused, next to its input.
    let mut later = conditional.clone();
    later.condition_field = student.clone();
    let response = save_field(&claire, id, &brand, &later).await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    assert_eq!(
        e.field_message("settings[condition_field]").as_deref(),
        Some(CONDITION_LATER),
        "{e:?}"
    );
    assert_eq!(
        field_editor(&claire, id, &brand).await.field.condition,
        condition
    );
    // The same for the first page's condition.
    let key = id.to_string();
    let response = claire
        .call::<SavePage>(&[
            ("id", key.as_str()),
            ("page", FIRST_PAGE),
            ("title", "Votre demande"),
            ("intro", ""),
            ("condition_field", student.as_str()),
            ("condition_equals", "oui"),
        ])
        .await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    assert_eq!(
        e.field_message("condition_field").as_deref(),
        Some(PAGE_CONDITION_LATER),
        "{e:?}"
    );

    // A key already used (by a question, or by a question inside the group): refused.
    for taken in [has_bike.as_str(), first_child.as_str()] {
        let mut renamed = conditional.clone();
        renamed.key = taken.to_owned();
        let response = save_field(&claire, id, &brand, &renamed).await;
        assert_eq!(response.status(), 422, "{taken}");
        let e = error(response).await;
        assert_eq!(
            e.field_message("settings[key]"),
            Some(format!("Un autre champ a déjà la clé « {taken} ».")),
            "{e:?}"
        );
        assert_eq!(
            e.kept_value("settings[key]").as_deref(),
            Some(taken),
            "the typed key is kept"
        );
    }
    // Nothing of the refused changes was written.
    let (editor, def) = working_form(&claire, id).await;
    assert_eq!(
        page_keys(&def, 0),
        [
            has_bike.clone(),
            brand.clone(),
            group.clone(),
            invoice.clone()
        ]
    );
    assert_eq!(page_keys(&def, 1), std::slice::from_ref(&student));
    assert_eq!(def.pages[0].condition, None);
    assert!(editor.problems.is_empty(), "{:?}", editor.problems);
    let lines = audit_lines(&app).await;
    let edits = lines
        .iter()
        .filter(|l| l.action == "formulaire_modifie" && l.object_id == Some(id.to_string()))
        .count();
    assert_eq!(
        edits, 8,
        "one line per change made, none for the refused ones"
    );

    // Now « Publier » works: version 1, published.
    let response = ok(publish(&claire, id).await).await;
    assert_eq!(location(&response), format!("/admin/demarches/{id}"));
    let editor = editor_of(&claire, id).await;
    assert_eq!(
        editor.notice.as_deref(),
        Some("La démarche est publiée (version 1 du formulaire).")
    );
    assert_eq!(editor.state, DemarcheState::Publiee);
    assert_eq!(editor.version, Some(1));
    assert!(!editor.unpublished_changes);
    let row = demarche_model(&app, id).await;
    assert_eq!(row.state, "publiee");
    assert_eq!(row.draft_definition, None);
    let versions = versions_of(&app, id).await;
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].number, 1);
    assert_eq!(row.current_version_id, Some(versions[0].id));
    let frozen: FormDefinition =
        serde_json::from_str(&versions[0].definition).expect("a stored definition");
    assert_eq!(frozen, def);
    let listed = list_row(&claire, id).await;
    assert_eq!(listed.state, DemarcheState::Publiee);
    assert_eq!(listed.version, Some(1));
    let lines = audit_lines(&app).await;
    let published = line(&lines, "demarche_publiee", CLAIRE);
    assert_eq!(
        object(published),
        (Some("demarche"), Some(id.to_string().as_str()))
    );
    assert_eq!(published.detail.as_deref(), Some("Version 1 du formulaire"));
    assert_eq!(published.ip.as_deref(), Some(IP));
    assert_eq!(count_of(&lines, "demarche_publiee"), 1);
}

// ---------------------------------------------------------------------------------
// 3. Published versions are frozen
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn published_versions_are_frozen() {
    let app = spawn_app().await;
    let claire = admin_browser(&app).await;
    let slug = "reparation-velos";
    let id = create_demarche(&claire, "Aide à la réparation des vélos", slug).await;
    let owns = add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "yes_no",
        "Possédez-vous un vélo ?",
    )
    .await;
    ok(publish(&claire, id).await).await;
    let versions = versions_of(&app, id).await;
    assert_eq!(versions.len(), 1);
    let v1 = versions[0].clone();
    assert_eq!(
        demarche_model(&app, id).await.current_version_id,
        Some(v1.id)
    );

    // Camille starts a draft: version 1.
    let camille = signed_in(&app, "camille@example.org").await;
    let first = start(&camille, slug, None).await;
    assert_eq!(dossier_row(&app, first).await.version_id, v1.id);
    let to = see_other(
        &post_page(
            &camille,
            first,
            1,
            &[(owns.as_str(), "oui")],
            &[],
            "enregistrer",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{first}/etape/1?message=brouillon-enregistre")
    );

    // The administrator adds a required question: only the form being edited changes.
    let frame = add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "short_text",
        "Numéro gravé sur le cadre",
    )
    .await;
    let row = demarche_model(&app, id).await;
    assert_eq!(row.current_version_id, Some(v1.id));
    assert!(row.draft_definition.is_some());
    let listed = list_row(&claire, id).await;
    assert_eq!(listed.version, Some(1));
    assert!(listed.unpublished_changes);
    // A draft started meanwhile still gets version 1.
    let between = start(&camille, slug, None).await;
    assert_eq!(dossier_row(&app, between).await.version_id, v1.id);

    // Published again: version 2, version 1 kept byte for byte.
    let response = ok(publish(&claire, id).await).await;
    assert_eq!(location(&response), format!("/admin/demarches/{id}"));
    let versions = versions_of(&app, id).await;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0], v1, "version 1 is frozen");
    let v2 = versions[1].clone();
    assert_eq!(v2.number, 2);
    assert_ne!(v2.id, v1.id);
    let row = demarche_model(&app, id).await;
    assert_eq!(row.current_version_id, Some(v2.id));
    assert_eq!(row.draft_definition, None);
    let def1: FormDefinition = serde_json::from_str(&v1.definition).expect("version 1");
    let def2: FormDefinition = serde_json::from_str(&v2.definition).expect("version 2");
    assert_eq!(page_keys(&def1, 0), std::slice::from_ref(&owns));
    assert_eq!(page_keys(&def2, 0), [owns.clone(), frame.clone()]);
    let editor = editor_of(&claire, id).await;
    let notice = editor.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with("La version 2 du formulaire est publiée"),
        "{notice}"
    );
    assert_eq!(editor.version, Some(2));
    assert_eq!(
        editor.older_version_dossiers, 2,
        "the two drafts of version 1"
    );

    // The drafts started before keep version 1: its page, its checks.
    for draft in [first, between] {
        assert_eq!(dossier_row(&app, draft).await.version_id, v1.id);
        let page = fill_page(&camille, draft, 1, false).await;
        assert_eq!(keys_of(&page), std::slice::from_ref(&owns), "draft {draft}");
    }
    assert_eq!(
        fill_page(&camille, first, 1, false)
            .await
            .answers
            .text(&owns),
        Some("oui")
    );
    let to = see_other(
        &post_page(
            &camille,
            first,
            1,
            &[(owns.as_str(), "oui")],
            &[],
            "suivante",
        )
        .await,
    );
    assert_eq!(to, format!("/dossiers/{first}/verification"));
    let review: ReviewView = json(by_id::<ReviewDossier>(&camille, first).await).await;
    assert!(
        review.problem.is_none(),
        "complete for version 1: {:?}",
        review.problem
    );

    // A new draft uses version 2, and its new question is asked.
    let third = start(&camille, slug, None).await;
    assert_eq!(dossier_row(&app, third).await.version_id, v2.id);
    let page = fill_page(&camille, third, 1, false).await;
    assert_eq!(keys_of(&page), [owns.clone(), frame.clone()]);
    let to = see_other(
        &post_page(
            &camille,
            third,
            1,
            &[(owns.as_str(), "oui")],
            &[],
            "suivante",
        )
        .await,
    );
    assert_eq!(to, format!("/dossiers/{third}/etape/1?erreurs=1"));
    let page = fill_page(&camille, third, 1, true).await;
    assert!(
        page.errors.iter().any(|e| e.field == frame),
        "{:?}",
        page.errors
    );
    assert_eq!(
        dossier_row(&app, first).await.version_id,
        v1.id,
        "still version 1"
    );

    // Published again without a change: no new version.
    let response = ok(publish(&claire, id).await).await;
    assert_eq!(location(&response), format!("/admin/demarches/{id}"));
    let versions = versions_of(&app, id).await;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0], v1);
    assert_eq!(versions[1], v2);
    let row = demarche_model(&app, id).await;
    assert_eq!(row.current_version_id, Some(v2.id));
    assert_eq!(row.state, "publiee");
    assert_eq!(
        editor_of(&claire, id).await.notice.as_deref(),
        Some("La démarche est publiée (version 2 du formulaire).")
    );
    let fourth = start(&camille, slug, None).await;
    assert_eq!(dossier_row(&app, fourth).await.version_id, v2.id);
}

// ---------------------------------------------------------------------------------
// 4. The audit log
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_audit_log_records_each_action() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let permis = demarche_row(&app, PERMIS).await;
    let claire = admin_browser(&app).await;
    let claire_id = account_id(&app, CLAIRE).await;

    // Sign-ins: a wrong password, then the right one.
    let camille_email = "camille@example.org";
    let camille = signed_in(&app, camille_email).await;
    let camille_id = account_id(&app, camille_email).await;
    let stranger = Browser::new(&app);
    let response = stranger
        .sign_in(camille_email, "pas le bon mot de passe")
        .await;
    assert_eq!(response.status(), 422);

    // An instructor takes a dossier up and exports the démarche's dossiers.
    let aides = new_service(&app, "Service des aides (journal)", &[permis.id]).await;
    let karim_email = "karim@departement.example";
    let karim = staff(
        &app,
        karim_email,
        ("Karim", "Benali"),
        Role::Instructor,
        &[aides],
    )
    .await;
    let karim_id = account_id(&app, karim_email).await;
    let dossier = start(&camille, PERMIS, None).await;
    fill_permis(&camille, dossier).await;
    submit(&app, &camille, dossier).await;
    let version = dossier_row(&app, dossier).await.lock_version;
    let response = act(&karim, dossier, Action::PasserEnInstruction, version, "").await;
    assert_eq!(
        see_other(&response),
        format!("/instruction/dossiers/{dossier}#statut")
    );
    let export = karim
        .get(&format!("/instruction/demarches/{}/export.csv", permis.id))
        .await;
    assert_eq!(export.status(), 200);
    export.bytes().await.expect("the export");

    // A forgotten password: the request, then the new password through the link.
    let reset_browser = Browser::new(&app);
    ok(reset_browser
        .call::<RequestPasswordReset>(&[("email", camille_email)])
        .await)
    .await;
    let reset_mail = mail(
        &app,
        camille_email,
        "Réinitialisation de votre mot de passe",
    )
    .await;
    let token = token_in(&reset_mail);
    ok(reset_browser
        .call::<ResetPassword>(&[
            ("jeton", token.as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirmation", NEW_PASSWORD),
        ])
        .await)
    .await;
    assert!(reset_browser.who().await.is_some());

    // The administrator: a service, renamed, with an instructor added then removed.
    let response = ok(claire
        .call::<CreateService>(&[("name", "Service des mobilités")])
        .await)
    .await;
    let service_id = id_after(&location(&response), "/admin/services/");
    let sid = service_id.to_string();
    ok(claire
        .call::<RenameService>(&[
            ("id", sid.as_str()),
            ("name", "Service des mobilités douces"),
        ])
        .await)
    .await;
    let response = ok(claire
        .call::<AddInstructor>(&[("id", sid.as_str()), ("email", karim_email)])
        .await)
    .await;
    assert_eq!(
        location(&response),
        format!("/admin/services/{service_id}#instructeurs")
    );
    let kid = karim_id.to_string();
    ok(claire
        .call::<RemoveInstructor>(&[("id", sid.as_str()), ("account", kid.as_str())])
        .await)
    .await;

    // A citizen made instructor: her sessions end (a new role asks for a new sign-in).
    let zoe_email = "zoe@example.org";
    let zoe = signed_in(&app, zoe_email).await;
    let zoe_id = account_id(&app, zoe_email).await;
    assert!(zoe.who().await.is_some());
    ok(change_role(&claire, zoe_id, "instructor").await).await;
    assert!(zoe.who().await.is_none(), "signed out by the new role");
    assert_eq!(account_row(&app, zoe_id).await.role, "instructor");

    // The instructor deactivated: his browser is signed out at once.
    ok(karim.call::<InstructionHome>(&[]).await).await;
    let response = ok(set_active(&claire, karim_id, false).await).await;
    assert_eq!(
        location(&response),
        format!("/admin/utilisateurs/{karim_id}")
    );
    assert_eq!(karim.call::<InstructionHome>(&[]).await.status(), 401);
    let sessions = session::Entity::find()
        .filter(session::Column::AccountId.eq(karim_id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(sessions, 0, "no session of his is left");
    assert!(!account_row(&app, karim_id).await.active);
    // …and his second factor forgotten.
    ok(by_id::<ResetSecondFactorOf>(&claire, karim_id).await).await;
    assert_eq!(account_row(&app, karim_id).await.totp_secret, None);

    // « Aide au permis de conduire » à la Une, without a period.
    ok(set_featured(&claire, permis.id, true, "", "").await).await;

    // The reset request's line is written apart from the request.
    eventually(
        "the line of the password reset request",
        Duration::from_secs(10),
        || {
            let db = app.db.clone();
            async move {
                audit_log::Entity::find()
                    .filter(audit_log::Column::Action.eq("reinitialisation_demandee"))
                    .one(&db)
                    .await
                    .expect("query")
            }
        },
    )
    .await;

    // Every action has its line: who, what, on which object, from where.
    let lines = audit_lines(&app).await;
    let (camille_key, karim_key, zoe_key, claire_key) = (
        camille_id.to_string(),
        karim_id.to_string(),
        zoe_id.to_string(),
        claire_id.to_string(),
    );
    let failed = line(&lines, "connexion_echouee", camille_email);
    assert_eq!(failed.actor_id, Some(camille_id));
    assert_eq!(failed.detail.as_deref(), Some("Mot de passe incorrect"));
    for (email, key) in [
        (camille_email, &camille_key),
        (karim_email, &karim_key),
        (CLAIRE, &claire_key),
    ] {
        let signed = line(&lines, "connexion", email);
        assert_eq!(
            object(signed),
            (Some("compte"), Some(key.as_str())),
            "{email}"
        );
    }
    let requested = line(&lines, "reinitialisation_demandee", camille_email);
    assert_eq!(requested.actor_id, Some(camille_id));
    let reset = line(&lines, "mot_de_passe_reinitialise", camille_email);
    assert_eq!(object(reset), (Some("compte"), Some(camille_key.as_str())));
    let moved = line(&lines, "dossier_statut", karim_email);
    assert_eq!(
        object(moved),
        (Some("dossier"), Some(dossier.to_string().as_str()))
    );
    let exported = line(&lines, "dossiers_exportes", karim_email);
    assert_eq!(
        object(exported),
        (Some("demarche"), Some(permis.id.to_string().as_str()))
    );
    for action in [
        "service_cree",
        "service_renomme",
        "instructeur_ajoute",
        "instructeur_retire",
    ] {
        let l = line(&lines, action, CLAIRE);
        assert_eq!(object(l), (Some("service"), Some(sid.as_str())), "{action}");
        assert_eq!(l.actor_id, Some(claire_id), "{action}");
    }
    assert_eq!(
        line(&lines, "service_renomme", CLAIRE).detail.as_deref(),
        Some("Ancien nom : Service des mobilités")
    );
    for action in ["instructeur_ajoute", "instructeur_retire"] {
        let detail = line(&lines, action, CLAIRE)
            .detail
            .clone()
            .unwrap_or_default();
        assert!(detail.contains(karim_email), "{action}: {detail}");
    }
    let role = line(&lines, "role_modifie", CLAIRE);
    assert_eq!(object(role), (Some("compte"), Some(zoe_key.as_str())));
    assert_eq!(role.detail.as_deref(), Some("Usager → Instructeur"));
    let deactivated = line(&lines, "compte_desactive", CLAIRE);
    assert_eq!(
        object(deactivated),
        (Some("compte"), Some(karim_key.as_str()))
    );
    let detail = deactivated.detail.clone().unwrap_or_default();
    assert!(
        detail.ends_with("session(s) fermée(s)") && !detail.starts_with("0 "),
        "{detail}"
    );
    let second_factor = line(&lines, "second_facteur_reinitialise", CLAIRE);
    assert_eq!(
        object(second_factor),
        (Some("compte"), Some(karim_key.as_str()))
    );
    let featured = line(&lines, "a_la_une", CLAIRE);
    assert_eq!(
        object(featured),
        (Some("demarche"), Some(permis.id.to_string().as_str()))
    );
    assert_eq!(
        featured.detail.as_deref(),
        Some("À la Une, sans limite de durée")
    );
    assert!(
        lines.iter().all(|l| l.ip.as_deref() == Some(IP)),
        "every line has the caller's address: {:?}",
        lines.iter().map(|l| (&l.action, &l.ip)).collect::<Vec<_>>()
    );

    // The journal's filters.
    let page = audit_page(&claire, &[("action", "service_cree")]).await;
    assert_eq!(page.rows.len(), 1, "{:?}", page.rows);
    assert_eq!(page.rows[0].action, "service_cree");
    assert_eq!(page.rows[0].actor, CLAIRE);
    assert_eq!(page.rows[0].ip, IP);
    assert!(
        page.rows[0]
            .object
            .starts_with(&format!("Service n° {service_id} : ")),
        "{}",
        page.rows[0].object
    );
    let page = audit_page(&claire, &[("qui", "karim@")]).await;
    assert!(
        page.rows.iter().all(|r| r.actor == karim_email),
        "{:?}",
        page.rows
    );
    let actions: Vec<&str> = page.rows.iter().map(|r| r.action.as_str()).collect();
    for action in ["connexion", "dossier_statut", "dossiers_exportes"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // Newest first.
    assert!(page.rows.windows(2).all(|w| w[0].id > w[1].id));
    let page = audit_page(&claire, &[("action", "connexion"), ("qui", "camille")]).await;
    assert!(!page.rows.is_empty());
    assert!(
        page.rows
            .iter()
            .all(|r| r.action == "connexion" && r.actor == camille_email),
        "{:?}",
        page.rows
    );
    let page = audit_page(&claire, &[("objet", "compte"), ("id", karim_key.as_str())]).await;
    let actions: Vec<&str> = page.rows.iter().map(|r| r.action.as_str()).collect();
    for action in [
        "connexion",
        "compte_desactive",
        "second_facteur_reinitialise",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(
        page.rows
            .iter()
            .all(|r| r.object.starts_with(&format!("Compte n° {karim_id}"))),
        "{:?}",
        page.rows
    );

    // The CSV export: every line (its own included), then the filtered lines only.
    let table = journal_csv(&claire, "").await;
    let lines = audit_lines(&app).await;
    assert_eq!(
        table.len(),
        lines.len() + 1,
        "the header and one row per line"
    );
    assert!(table.iter().all(|row| row.len() == 7), "{table:?}");
    let created = table
        .iter()
        .find(|row| row[3] == "service_cree")
        .expect("the service's creation");
    assert_eq!(created[1], CLAIRE);
    assert_eq!(created[2], "Service créé");
    assert!(
        created[4].starts_with(&format!("Service n° {service_id} : ")),
        "{created:?}"
    );
    assert_eq!(created[6], IP);
    assert!(
        table
            .iter()
            .any(|row| row[3] == "dossier_statut" && row[1] == karim_email)
    );
    assert!(
        table
            .iter()
            .any(|row| row[3] == "journal_exporte" && row[1] == CLAIRE)
    );
    let table = journal_csv(&claire, "?action=service_cree").await;
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!(table[1][3], "service_cree");
    let lines = audit_lines(&app).await;
    let exported = line(&lines, "journal_exporte", CLAIRE);
    assert_eq!(
        exported.detail.as_deref(),
        Some("Filtres : action=service_cree")
    );

    // Append-only: the database refuses to change or delete a line.
    let before = audit_lines(&app).await;
    assert!(
        app.db
            .execute_unprepared("UPDATE audit_log SET action = 'x'")
            .await
            .is_err(),
        "an update is refused"
    );
    assert!(
        app.db
            .execute_unprepared("DELETE FROM audit_log")
            .await
            .is_err(),
        "a delete is refused"
    );
    assert_eq!(audit_lines(&app).await, before);
}

// ---------------------------------------------------------------------------------
// 5. The last administrator
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_last_administrator_cannot_be_removed() {
    let app = spawn_app().await;
    let claire = admin_browser(&app).await;
    let claire_id = account_id(&app, CLAIRE).await;

    // The demo administrator steps down: Claire is the only administrator left.
    let demo = account_id(&app, "admin@vallee-verte.example").await;
    let response = ok(change_role(&claire, demo, "citizen").await).await;
    assert_eq!(location(&response), format!("/admin/utilisateurs/{demo}"));
    let admins = account::Entity::find()
        .filter(account::Column::Role.eq("admin"))
        .all(&app.db)
        .await
        .expect("query");
    assert_eq!(admins.iter().map(|a| a.id).collect::<Vec<_>>(), [claire_id]);

    // She may neither step down nor deactivate her account.
    for role in ["citizen", "instructor"] {
        let response = change_role(&claire, claire_id, role).await;
        assert_eq!(response.status(), 422, "{role}");
        let e = error(response).await;
        assert_eq!(
            e.field_message("role").as_deref(),
            Some(LAST_ADMIN),
            "{role}"
        );
    }
    let response = set_active(&claire, claire_id, false).await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    assert_eq!(
        e.field_message("actif").as_deref(),
        Some("Vous ne pouvez pas désactiver votre propre compte.")
    );
    let row = account_row(&app, claire_id).await;
    assert_eq!(row.role, "admin");
    assert!(row.active);
    ok(claire.call::<AdminDemarches>(&[]).await).await;

    // An inactive administrator does not count.
    let former = insert_account(
        &app,
        "ancien.admin@departement.example",
        ("Paul", "Durand"),
        Role::Admin,
        None,
        None,
    )
    .await;
    ok(set_active(&claire, former.id, false).await).await;
    assert!(!account_row(&app, former.id).await.active);
    let response = change_role(&claire, claire_id, "citizen").await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        error(response).await.field_message("role").as_deref(),
        Some(LAST_ADMIN)
    );

    // With a second active administrator, Claire may step down: her other sessions end,
    // the one she acts from goes on with her new role (no longer an administrator).
    let marc_email = "marc.lefebvre@departement.example";
    let marc = staff(&app, marc_email, ("Marc", "Lefebvre"), Role::Admin, &[]).await;
    let marc_id = account_id(&app, marc_email).await;
    ok(change_role(&claire, claire_id, "instructor").await).await;
    assert_eq!(account_row(&app, claire_id).await.role, "instructor");
    assert_eq!(claire.call::<AdminDemarches>(&[]).await.status(), 403);

    // Marc is now the last one: the same refusals for him.
    let response = change_role(&marc, marc_id, "citizen").await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        error(response).await.field_message("role").as_deref(),
        Some(LAST_ADMIN)
    );
    let response = set_active(&marc, marc_id, false).await;
    assert_eq!(response.status(), 422);
    let row = account_row(&app, marc_id).await;
    assert_eq!(row.role, "admin");
    assert!(row.active);
    ok(marc.call::<AdminDemarches>(&[]).await).await;

    // Only the changes made are in the log: the demo administrator's and Claire's roles.
    let lines = audit_lines(&app).await;
    let roles: Vec<Option<&str>> = lines
        .iter()
        .filter(|l| l.action == "role_modifie")
        .map(|l| l.object_id.as_deref())
        .collect();
    let (demo_key, claire_key) = (demo.to_string(), claire_id.to_string());
    assert_eq!(roles, [Some(demo_key.as_str()), Some(claire_key.as_str())]);
    assert_eq!(
        count_of(&lines, "compte_desactive"),
        1,
        "the former administrator only"
    );
}

// ---------------------------------------------------------------------------------
// 6. Customised emails
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn custom_emails_are_sent_with_their_variables() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let permis = demarche_row(&app, PERMIS).await;
    let aides = new_service(&app, "Service des aides (courriels)", &[permis.id]).await;
    let claire = admin_browser(&app).await;
    let karim = staff(
        &app,
        "karim@departement.example",
        ("Karim", "Benali"),
        Role::Instructor,
        &[aides],
    )
    .await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;

    let subject = "Votre dossier {numero} est accepté";
    let body = "Bonjour,\n\nVotre demande « {demarche} » est acceptée.\n\nLe mot du service : {message}\n\nSuivez votre dossier ici : {lien}";

    // An unknown variable is refused, next to the text.
    let response = save_email(
        &claire,
        permis.id,
        "accepte",
        subject,
        "Bonjour {nom},\n\n{lien}",
    )
    .await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    let message = e.field_message("body").unwrap_or_default();
    assert!(message.starts_with("Variable inconnue : {nom}."), "{e:?}");
    assert_eq!(e.field_message("subject"), None);
    let stored = demarche_email::Entity::find()
        .filter(demarche_email::Column::DemarcheId.eq(permis.id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(stored, 0);

    // Saved, and previewed with sample values.
    let response = ok(save_email(&claire, permis.id, "accepte", subject, body).await).await;
    assert_eq!(
        location(&response),
        format!("/admin/demarches/{}/courriels#courriel-accepte", permis.id)
    );
    let editor = editor_of(&claire, permis.id).await;
    let accepted = editor
        .emails
        .iter()
        .find(|e| e.kind == EmailKind::Accepte)
        .expect("the email « accepté »");
    assert!(accepted.customised);
    assert_eq!(accepted.subject, subject);
    assert_eq!(
        accepted.preview_subject,
        "Votre dossier 2026-000123 est accepté"
    );

    // Camille files; Karim takes the dossier up, then accepts it with a message.
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let number = submit(&app, &camille, id).await;
    let decision = "Votre aide de 500 € est accordée.";
    for (action, message) in [
        (Action::PasserEnInstruction, ""),
        (Action::Accepter, decision),
    ] {
        let version = dossier_row(&app, id).await.lock_version;
        let response = act(&karim, id, action, version, message).await;
        assert_eq!(
            see_other(&response),
            format!("/instruction/dossiers/{id}#statut"),
            "{action:?}"
        );
    }
    assert_eq!(dossier_row(&app, id).await.status, "accepte");
    let sent = mail(&app, email, &format!("Votre dossier {number} est accepté")).await;
    let text = sent.text();
    assert!(
        text.contains(&format!("Votre demande « {} » est acceptée.", permis.title)),
        "{text}"
    );
    assert!(
        text.contains(&format!("Le mot du service : {decision}")),
        "{text}"
    );
    assert!(text.contains("Suivez votre dossier ici : "), "{text}");
    assert!(
        text.contains(&format!("/mon-compte/dossiers/{id}")),
        "{text}"
    );
    for variable in ["{numero}", "{demarche}", "{lien}", "{message}"] {
        assert!(!text.contains(variable), "{variable} is filled: {text}");
    }
    assert!(
        mails(
            &app,
            email,
            &status_subject(&number, DossierStatus::Accepte)
        )
        .is_empty(),
        "not the default email"
    );
    // The other emails keep the portal's text.
    mail(
        &app,
        email,
        &status_subject(&number, DossierStatus::EnInstruction),
    )
    .await;

    // « Revenir au texte par défaut »: the portal's subject again.
    let response = ok(reset_email(&claire, permis.id, "accepte").await).await;
    assert_eq!(
        location(&response),
        format!("/admin/demarches/{}/courriels#courriel-accepte", permis.id)
    );
    let editor = editor_of(&claire, permis.id).await;
    let accepted = editor
        .emails
        .iter()
        .find(|e| e.kind == EmailKind::Accepte)
        .expect("the email « accepté »");
    assert!(!accepted.customised);
    assert_eq!(accepted.subject, "Dossier {numero} : accepté");
    let stored = demarche_email::Entity::find()
        .filter(demarche_email::Column::DemarcheId.eq(permis.id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(stored, 0);

    // The next accepted dossier gets the default email.
    let second = start(&camille, PERMIS, None).await;
    fill_permis(&camille, second).await;
    let second_number = submit(&app, &camille, second).await;
    for (action, message) in [
        (Action::PasserEnInstruction, ""),
        (Action::Accepter, decision),
    ] {
        let version = dossier_row(&app, second).await.lock_version;
        let response = act(&karim, second, action, version, message).await;
        assert_eq!(
            see_other(&response),
            format!("/instruction/dossiers/{second}#statut"),
            "{action:?}"
        );
    }
    let sent = mail(
        &app,
        email,
        &status_subject(&second_number, DossierStatus::Accepte),
    )
    .await;
    assert!(sent.text().contains(decision), "{}", sent.text());
    assert!(
        mails(
            &app,
            email,
            &format!("Votre dossier {second_number} est accepté")
        )
        .is_empty()
    );

    // Two lines in the log (saved, reset); none for the refused text.
    let lines = audit_lines(&app).await;
    let details: Vec<&str> = lines
        .iter()
        .filter(|l| l.action == "courriel_personnalise")
        .map(|l| l.detail.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(
        details,
        [
            "Décision : accepté : texte personnalisé",
            "Décision : accepté : texte par défaut rétabli"
        ]
    );
}

// ---------------------------------------------------------------------------------
// 7. « Démarches à la Une »
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn featured_demarches_follow_the_settings() {
    let app = spawn_app().await;
    let claire = admin_browser(&app).await;
    let title = "Aide aux jardins partagés";
    let slug = "jardins-partages";
    let id = create_demarche(&claire, title, slug).await;
    add_field(
        &claire,
        id,
        FIRST_PAGE,
        None,
        "yes_no",
        "Avez-vous une parcelle ?",
    )
    .await;
    ok(publish(&claire, id).await).await;
    let draft = create_demarche(&claire, "Brouillon pour la Une", "brouillon-une").await;
    let href = format!("href=\"/demarches/{slug}\"");

    // Not in the banner yet.
    let initial = featured_slugs(&app).await;
    assert!(!initial.contains(&slug.to_owned()), "{initial:?}");
    assert!(!initial.is_empty(), "the demo démarches are featured");

    // A brouillon cannot be featured.
    let response = set_featured(&claire, draft, true, "", "").await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        error(response).await.field_message("une").as_deref(),
        Some("Seule une démarche publiée peut être à la Une.")
    );
    assert!(!demarche_model(&app, draft).await.featured);
    assert!(featured_rows(&claire).await.iter().all(|r| r.id != draft));

    // Featured without a period: last of the banner, on the home page at once.
    let response = ok(set_featured(&claire, id, true, "", "").await).await;
    assert_eq!(location(&response), format!("/admin/a-la-une#une-{id}"));
    let mut expected = initial.clone();
    expected.push(slug.to_owned());
    assert_eq!(featured_slugs(&app).await, expected);
    let banner = home_banner(&app).await;
    assert!(banner.contains(title), "the home page's banner shows it");
    assert!(banner.contains(&href));
    let rows = featured_rows(&claire).await;
    let row = rows.iter().find(|r| r.id == id).expect("its row");
    assert!(row.featured && row.shown_now);
    assert_eq!(
        row.order,
        Some(i32::try_from(expected.len()).expect("a few"))
    );
    assert_eq!((row.from.as_str(), row.until.as_str()), ("", ""));

    // « Monter »: one place up.
    ok(move_featured(&claire, id, "haut").await).await;
    let n = expected.len();
    expected.swap(n - 1, n - 2);
    assert_eq!(featured_slugs(&app).await, expected);
    let order: Vec<i32> = featured_rows(&claire)
        .await
        .into_iter()
        .filter(|r| r.featured)
        .map(|r| r.id)
        .collect();
    assert_eq!(order[n - 2], id, "{order:?}");
    // « Descendre » then « Monter » again: back to the same place.
    ok(move_featured(&claire, id, "bas").await).await;
    ok(move_featured(&claire, id, "haut").await).await;
    assert_eq!(featured_slugs(&app).await, expected);

    // A period that starts later: not shown until then, its place kept.
    let (from, until) = (day(10), day(20));
    ok(set_featured(&claire, id, true, &from, &until).await).await;
    let slugs = featured_slugs(&app).await;
    assert!(!slugs.contains(&slug.to_owned()), "{slugs:?}");
    let banner = home_banner(&app).await;
    assert!(!banner.contains(title));
    assert!(!banner.contains(&href));
    let rows = featured_rows(&claire).await;
    let row = rows.iter().find(|r| r.id == id).expect("its row");
    assert!(row.featured);
    assert!(!row.shown_now);
    assert_eq!(
        (row.from.as_str(), row.until.as_str()),
        (from.as_str(), until.as_str())
    );

    // A period around today: shown again, in its place.
    ok(set_featured(&claire, id, true, &day(-2), &day(2)).await).await;
    assert_eq!(featured_slugs(&app).await, expected);
    assert!(home_banner(&app).await.contains(title));

    // A period that ends before it starts: refused, nothing changed.
    let response = set_featured(&claire, id, true, &day(5), &day(1)).await;
    assert_eq!(response.status(), 422);
    let e = error(response).await;
    assert_eq!(
        e.field_message(&format!("au_{id}")).as_deref(),
        Some("La fin de la période doit suivre son début.")
    );
    assert_eq!(featured_slugs(&app).await, expected);

    // Out of the banner.
    ok(set_featured(&claire, id, false, "", "").await).await;
    assert_eq!(featured_slugs(&app).await, initial);
    assert!(!home_banner(&app).await.contains(title));
    let row = demarche_model(&app, id).await;
    assert!(!row.featured);
    assert_eq!(row.featured_order, None);
    // Not featured: it cannot be moved.
    let response = move_featured(&claire, id, "haut").await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        error(response).await.field_message("une").as_deref(),
        Some("Cette démarche n’est pas à la Une.")
    );

    let lines = audit_lines(&app).await;
    assert!(
        lines
            .iter()
            .filter(|l| l.action == "a_la_une")
            .all(|l| l.object_id == Some(id.to_string())),
        "only the démarche moved in the banner"
    );
}
