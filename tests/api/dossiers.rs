//! Dossiers: a draft filled page by page (answers and files in one multipart post),
//! refused files, « Vérifiez vos réponses », « Transmettre » (number, history, receipt
//! email), the PDF copy, and that nobody else reaches a dossier or changes a filed one.
//! Rows are read from the database, files from the storage folder on disk, emails from
//! the real SMTP server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use guichet::dossiers::api::{
    DeleteDraft, DraftPage, DuplicateDossier, GetDossier, MyDossiers, MyDrafts, ReviewDossier,
    StartChoices, StartDossier, SubmitDossier,
};
use guichet::dossiers::model::{
    DossierList, DossierRow, DossierStatus, DossierView, DraftRow, FillPage, ReviewView,
    StartOptions,
};
use guichet::error::AppError;
use guichet::forms::{Answers, ReviewItem, ReviewPage};
use guichet::profiles::api::{
    AddShare, CreateProfile, GetProfile, JoinProfile, MyProfiles, SetReceipts, TakeNewShare,
};
use guichet::profiles::model::{NewShare, ProfileCard, ProfileDetail, ProfileKind};
use guichet::server::entities::{demarche, dossier, dossier_event, dossier_file, outbox};
use guichet::server::uploads::sniff::{sample_pdf, sample_png};
use reqwest::multipart::{Form, Part};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::accounts::{
    Browser, PASSWORD, error, location, mails_to, ok, sign_up, verified_account,
};
use crate::helpers::smtp::ReceivedMail;
use crate::helpers::{Spawned, TestApp, eventually, spawn_app};

pub(crate) const PERMIS: &str = "aide-permis-de-conduire";
pub(crate) const FONDS: &str = "fonds-investissement-communes";

/// Page 1 « Le jeune », valid. « non » to the volunteering structure hides page 4.
pub(crate) const PAGE_1: &[(&str, &str)] = &[
    ("jeune_nom", "Durand"),
    ("jeune_prenom", "Léa"),
    ("date_naissance", "2007-03-14"),
    ("jeune_email", "lea.durand@example.org"),
    ("jeune_telephone", "06 12 34 56 78"),
    ("structure_choisie", "non"),
];

/// Page 2 « L’auto-école », valid.
pub(crate) const PAGE_2: &[(&str, &str)] = &[
    ("auto_ecole_nom", "Auto-école du Centre"),
    ("auto_ecole_adresse.ligne", "3 rue de la Gare"),
    ("auto_ecole_adresse.code_postal", "00100"),
    ("auto_ecole_adresse.commune", "Valbourg"),
    ("devis_montant", "1250"),
    ("deja_inscrit", "non"),
];

/// « Fonds d’aide à l’investissement des communes », pages 1 to 3, valid.
pub(crate) const FONDS_PROJET: &[(&str, &str)] = &[
    ("population", "1850"),
    ("projet_intitule", "Rénovation de l’école"),
    ("categorie", "Bâtiments scolaires et périscolaires"),
    ("projet_description", "Isolation de l’école élémentaire."),
    ("lieu_travaux.ligne", "2 rue de l’École"),
    ("lieu_travaux.code_postal", "00100"),
    ("lieu_travaux.commune", "Saint-Exemple"),
    ("date_deliberation", "2025-06-12"),
    ("travaux_commences", "non"),
    ("date_debut_travaux", "2027-04-01"),
    ("date_fin_travaux", "2027-09-30"),
];
pub(crate) const FONDS_SUIVI: &[(&str, &str)] = &[
    ("maitre_oeuvre", "non"),
    ("contact_nom", "Bruno Petit"),
    ("contact_telephone", "06 12 34 56 78"),
];
pub(crate) const FONDS_BUDGET: &[(&str, &str)] = &[
    ("depenses.0.depense_nature", "Remplacement des menuiseries"),
    ("depenses.0.depense_montant", "80000"),
    ("cout_total_ht", "80000"),
    ("montant_sollicite", "32000"),
    ("autofinancement", "48000"),
];

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// A verified account, signed in in a browser of its own.
pub(crate) async fn signed_in<'a>(app: &'a Spawned, email: &str) -> Browser<'a> {
    verified_account(app, email).await;
    let browser = Browser::new(app);
    ok(browser.sign_in(email, PASSWORD).await).await;
    browser
}

/// The demo démarches carry opening dates: open them all year so that these tests do
/// not depend on the day they run.
pub(crate) async fn open_all_year(app: &Spawned) {
    demarche::Entity::update_many()
        .col_expr(demarche::Column::OpensOn, Expr::value(None::<String>))
        .col_expr(demarche::Column::ClosesOn, Expr::value(None::<String>))
        .exec(&app.db)
        .await
        .expect("open the démarches");
}

/// The number after `prefix` in a path: `/dossiers/12/etape/1` → 12.
pub(crate) fn id_after(path: &str, prefix: &str) -> i32 {
    path.strip_prefix(prefix)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|id| id.parse().ok())
        })
        .unwrap_or_else(|| panic!("no id after {prefix} in {path:?}"))
}

/// « Commencer la démarche »: the new draft's id, read from the redirect to its page 1.
pub(crate) async fn start(browser: &Browser<'_>, slug: &str, profil: Option<i32>) -> i32 {
    let response = start_response(browser, slug, profil).await;
    let path = location(&ok(response).await);
    assert!(path.ends_with("/etape/1"), "{path}");
    id_after(&path, "/dossiers/")
}

async fn start_response(
    browser: &Browser<'_>,
    slug: &str,
    profil: Option<i32>,
) -> reqwest::Response {
    let profil = profil.map(|p| p.to_string());
    let mut form: Vec<(&str, &str)> = vec![("slug", slug)];
    if let Some(p) = &profil {
        form.push(("profil", p.as_str()));
    }
    browser.call::<StartDossier>(&form).await
}

async fn start_options(browser: &Browser<'_>, slug: &str) -> StartOptions {
    ok(browser.call::<StartChoices>(&[("slug", slug)]).await)
        .await
        .json()
        .await
        .expect("json")
}

/// « Commune de Saint-Exemple », a collectivité profile managed by `browser`: its id.
pub(crate) async fn create_commune(browser: &Browser<'_>) -> i32 {
    let response = ok(browser
        .call::<CreateProfile>(&[
            ("kind", "collectivite"),
            ("name", "Commune de Saint-Exemple"),
            ("siret", "213 502 388 00019"),
            ("address_line", "1 place de la Mairie"),
            ("postal_code", "00100"),
            ("commune", "Saint-Exemple"),
            ("function", "Maire"),
        ])
        .await)
    .await;
    id_after(&location(&response), "/mon-compte/profils/")
}

/// `manager` makes a share key for `profile` and `member` joins with it.
pub(crate) async fn join(
    manager: &Browser<'_>,
    member: &Browser<'_>,
    profile: i32,
    function: &str,
) {
    let pid = profile.to_string();
    ok(manager
        .call::<AddShare>(&[("profile_id", pid.as_str())])
        .await)
    .await;
    let share: Option<NewShare> = ok(manager
        .call::<TakeNewShare>(&[("profile_id", pid.as_str())])
        .await)
    .await
    .json()
    .await
    .expect("json");
    let key = share.expect("the new key").key;
    ok(member
        .call::<JoinProfile>(&[("key", key.as_str()), ("join_function", function)])
        .await)
    .await;
}

/// « Accusés de réception » ticked (`on`) or not on the profile's page.
async fn set_receipts(browser: &Browser<'_>, profile: i32, on: bool) {
    let pid = profile.to_string();
    let mut form = vec![("profile_id", pid.as_str())];
    if on {
        form.push(("receipts", "on"));
    }
    let response = ok(browser.call::<SetReceipts>(&form).await).await;
    assert_eq!(
        location(&response),
        format!("/mon-compte/profils/{profile}?message=preferences-enregistrees")
    );
}

/// Whether the member receives the receipts of the other members' dossiers.
async fn my_receipts(browser: &Browser<'_>, profile: i32) -> bool {
    let pid = profile.to_string();
    let detail: ProfileDetail = ok(browser
        .call::<GetProfile>(&[("profile_id", pid.as_str())])
        .await)
    .await
    .json()
    .await
    .expect("json");
    detail.my_receipts
}

/// A page's multipart body: answers, files (`fichier:{path}` parts) and the button.
pub(crate) fn page_form(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
    action: &str,
) -> Form {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    for (path, file_name, bytes) in files {
        form = form.part(
            format!("fichier:{path}"),
            Part::bytes(bytes.to_vec()).file_name(file_name.to_string()),
        );
    }
    form.text("action", action.to_owned())
}

/// Posts page `page` of dossier `id` as a browser without JavaScript does.
pub(crate) async fn post_page(
    browser: &Browser<'_>,
    id: i32,
    page: usize,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
    action: &str,
) -> reqwest::Response {
    browser
        .post_multipart(
            &format!("/dossiers/{id}/etape/{page}"),
            page_form(fields, files, action),
            false,
        )
        .await
}

/// The same post as the page's script sends it: a JSON answer instead of a redirect.
async fn post_page_xhr(
    browser: &Browser<'_>,
    id: i32,
    page: usize,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
    action: &str,
) -> reqwest::Response {
    browser
        .post_multipart(
            &format!("/dossiers/{id}/etape/{page}"),
            page_form(fields, files, action),
            true,
        )
        .await
}

/// The redirect of a page post: a 303 and where it goes.
pub(crate) fn see_other(response: &reqwest::Response) -> String {
    assert_eq!(
        response.status(),
        303,
        "a page post answers with a redirect"
    );
    location(response)
}

pub(crate) async fn draft_page(
    browser: &Browser<'_>,
    id: i32,
    page: usize,
    check: bool,
) -> FillPage {
    ok(draft_page_response(browser, id, page, check).await)
        .await
        .json()
        .await
        .expect("json")
}

async fn draft_page_response(
    browser: &Browser<'_>,
    id: i32,
    page: usize,
    check: bool,
) -> reqwest::Response {
    let (id, page) = (id.to_string(), page.to_string());
    browser
        .call::<DraftPage>(&[
            ("id", id.as_str()),
            ("page", page.as_str()),
            ("check", if check { "true" } else { "false" }),
        ])
        .await
}

/// Calls a server function whose only argument is the dossier's `id`.
pub(crate) async fn by_id<S: leptos::server_fn::ServerFn>(
    browser: &Browser<'_>,
    id: i32,
) -> reqwest::Response {
    let id = id.to_string();
    browser.call::<S>(&[("id", id.as_str())]).await
}

async fn my_drafts(browser: &Browser<'_>) -> Vec<DraftRow> {
    ok(browser.call::<MyDrafts>(&[]).await)
        .await
        .json()
        .await
        .expect("json")
}

/// The first page of « Mes dossiers » (these tests file fewer than a page).
async fn my_dossiers(browser: &Browser<'_>) -> Vec<DossierRow> {
    let list: DossierList = ok(browser.call::<MyDossiers>(&[("page", "1")]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list.pages, 1);
    list.rows
}

/// Fills the three shown pages of « Aide au permis de conduire » with valid answers and
/// one file per attachment field (a PDF, a PNG, a PDF), checking each redirect.
pub(crate) async fn fill_permis(browser: &Browser<'_>, id: i32) {
    let (pdf, png) = (sample_pdf(), sample_png());
    let to = see_other(&post_page(browser, id, 1, PAGE_1, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/2"));
    let to = see_other(&post_page(browser, id, 2, PAGE_2, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/3"));
    let to = see_other(
        &post_page(
            browser,
            id,
            3,
            &[],
            &[
                ("piece_identite", "cni.pdf", &pdf[..]),
                ("justificatif_domicile", "facture.png", &png[..]),
                ("devis_auto_ecole", "devis.pdf", &pdf[..]),
            ],
            "suivante",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{id}/verification"),
        "page 4 is hidden"
    );
}

/// Fills the four pages of « Fonds d’aide à l’investissement des communes » with valid
/// answers and a PDF per required attachment, checking each redirect.
pub(crate) async fn fill_fonds(browser: &Browser<'_>, id: i32) {
    let pdf = sample_pdf();
    let files: &[(&str, &str, &[u8])] = &[
        ("deliberation", "deliberation.pdf", &pdf[..]),
        ("devis", "devis.pdf", &pdf[..]),
        ("calendrier", "calendrier.pdf", &pdf[..]),
    ];
    type Page<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str, &'a [u8])]);
    let pages: [Page; 4] = [
        (FONDS_PROJET, &[]),
        (FONDS_SUIVI, &[]),
        (FONDS_BUDGET, &[]),
        (&[], files),
    ];
    for (page, (fields, files)) in (1..).zip(pages) {
        let to = see_other(&post_page(browser, id, page, fields, files, "suivante").await);
        let next = if page < 4 {
            format!("/dossiers/{id}/etape/{}", page + 1)
        } else {
            format!("/dossiers/{id}/verification")
        };
        if to != next {
            let errors = draft_page(browser, id, page, true).await.errors;
            panic!("page {page} led to {to}, not {next}: {errors:?}");
        }
    }
}

/// Saves page 3 with a PDF and a PNG (« Enregistrer »).
async fn attach_two(browser: &Browser<'_>, id: i32) {
    let (pdf, png) = (sample_pdf(), sample_png());
    let to = see_other(
        &post_page(
            browser,
            id,
            3,
            &[],
            &[
                ("piece_identite", "cni.pdf", &pdf[..]),
                ("justificatif_domicile", "facture.png", &png[..]),
            ],
            "enregistrer",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{id}/etape/3?message=brouillon-enregistre")
    );
}

/// « Transmettre », checked: the dossier's number.
pub(crate) async fn submit(app: &Spawned, browser: &Browser<'_>, id: i32) -> String {
    let response = ok(by_id::<SubmitDossier>(browser, id).await).await;
    assert_eq!(
        location(&response),
        format!("/mon-compte/dossiers/{id}?message=dossier-transmis")
    );
    row(app, id)
        .await
        .number
        .expect("a submitted dossier has a number")
}

async fn find_row(app: &TestApp, id: i32) -> Option<dossier::Model> {
    dossier::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
}

pub(crate) async fn row(app: &TestApp, id: i32) -> dossier::Model {
    find_row(app, id)
        .await
        .unwrap_or_else(|| panic!("dossier {id} exists"))
}

pub(crate) async fn file_rows(app: &TestApp, id: i32) -> Vec<dossier_file::Model> {
    dossier_file::Entity::find()
        .filter(dossier_file::Column::DossierId.eq(id))
        .order_by_asc(dossier_file::Column::Id)
        .all(&app.db)
        .await
        .expect("query")
}

async fn events(app: &TestApp, id: i32) -> Vec<(Option<String>, String)> {
    dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(id))
        .order_by_asc(dossier_event::Column::Id)
        .all(&app.db)
        .await
        .expect("query")
        .into_iter()
        .map(|e| (e.from_status, e.to_status))
        .collect()
}

fn answers(row: &dossier::Model) -> Answers {
    serde_json::from_str(&row.answers).expect("answers are JSON")
}

/// Every file under the app's storage folder (folders left aside), sorted.
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.settings.storage_path, &mut out);
    out.sort();
    out
}

/// Where a stored file lives on disk.
fn on_disk(app: &TestApp, storage_key: &str) -> PathBuf {
    app.state.settings.storage_path.join(storage_key)
}

/// The lines shown for the answer at `path` on reviewed pages.
fn answer_lines(pages: &[ReviewPage], path: &str) -> Option<Vec<String>> {
    pages
        .iter()
        .flat_map(|p| p.items.iter())
        .find_map(|item| match item {
            ReviewItem::Answer { path: p, lines, .. } if p == path => Some(lines.clone()),
            _ => None,
        })
}

fn is_dossier_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 11
        && bytes[4] == b'-'
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[5..].iter().all(u8::is_ascii_digit)
}

/// The receipts (« Accusé de réception ») received by `to` so far.
fn received_receipts(app: &Spawned, to: &str) -> Vec<ReceivedMail> {
    let wanted = format!("<{to}>");
    app.smtp
        .received()
        .into_iter()
        .filter(|m| m.envelope_to.contains(&wanted))
        .filter(|m| m.subject().starts_with("Accusé de réception"))
        .collect()
}

/// The receipts received by `to`, once `count` arrived.
async fn receipts(app: &Spawned, to: &str, count: usize) -> Vec<ReceivedMail> {
    eventually(
        &format!("{count} receipt(s) to {to}"),
        Duration::from_secs(10),
        || {
            let found = received_receipts(app, to);
            async move { (found.len() >= count).then_some(found) }
        },
    )
    .await
}

/// Checks for half a second that each address has received exactly its count of
/// receipts: nothing more arrives.
async fn receipts_stay(app: &Spawned, counts: &[(&str, usize)]) {
    for _ in 0..10 {
        for &(to, count) in counts {
            assert_eq!(received_receipts(app, to).len(), count, "receipts to {to}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The receipts queued in the outbox, sent or not.
async fn queued_receipts(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("query")
        .into_iter()
        .filter(|m| m.subject.starts_with("Accusé de réception"))
        .collect()
}

/// Who the receipts of dossier `number` were queued for, sorted.
async fn receipt_recipients(app: &TestApp, number: &str) -> Vec<String> {
    let mut to: Vec<String> = queued_receipts(app)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(number))
        .map(|m| m.recipient)
        .collect();
    to.sort();
    to
}

/// A one-page PDF (like `sample_pdf`) whose catalog runs JavaScript when opened.
fn pdf_with_javascript() -> Vec<u8> {
    let objects: [&[u8]; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>",
    ];
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (number, body) in (1..).zip(objects) {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The text of a PDF by `pdftotext`, when the tool is installed.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("copie.pdf");
    std::fs::write(&path, bytes).expect("write the copy");
    let output = match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("pdftotext could not run: {e}"),
    };
    assert!(
        output.status.success(),
        "pdftotext cannot read the copy: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

// ---------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_citizen_fills_and_submits_a_dossier_and_gets_a_receipt_and_a_pdf_copy() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;

    // « Commencer la démarche »: the personal profile is the only one that fits.
    let options = start_options(&camille, PERMIS).await;
    assert!(options.open);
    assert_eq!(options.profiles.len(), 1, "{options:?}");
    assert_eq!(options.profiles[0].kind_label, "Particulier");
    let id = start(&camille, PERMIS, Some(options.profiles[0].id)).await;
    let draft = row(&app, id).await;
    assert_eq!(draft.status, "brouillon");
    assert_eq!(draft.number, None);
    assert_eq!(draft.profile_id, options.profiles[0].id);
    assert_eq!(
        events(&app, id).await,
        [(None::<String>, "brouillon".to_owned())]
    );

    // Page 1, then page 2 saved by the page's script (autosave), then « Page suivante ».
    let to = see_other(&post_page(&camille, id, 1, PAGE_1, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/2"));
    let saved = answers(&row(&app, id).await);
    assert_eq!(saved.text("jeune_nom"), Some("Durand"));
    assert_eq!(saved.text("jeune_prenom"), Some("Léa"));
    let outcome: serde_json::Value =
        ok(post_page_xhr(&camille, id, 2, PAGE_2, &[], "autosave").await)
            .await
            .json()
            .await
            .expect("json");
    assert_eq!(outcome["redirect"], format!("/dossiers/{id}/etape/2"));
    assert_eq!(outcome["notices"], serde_json::json!([]));
    assert_eq!(
        answers(&row(&app, id).await).text("auto_ecole_nom"),
        Some("Auto-école du Centre"),
        "autosave keeps the answers"
    );
    let to = see_other(&post_page(&camille, id, 2, PAGE_2, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/3"));

    // Page 3: a PDF, a PNG, a PDF; a second devis is one too many (at most 1).
    let (pdf, png) = (sample_pdf(), sample_png());
    let to = see_other(
        &post_page(
            &camille,
            id,
            3,
            &[],
            &[
                ("piece_identite", "cni.pdf", &pdf[..]),
                ("justificatif_domicile", "facture.png", &png[..]),
                ("devis_auto_ecole", "devis.pdf", &pdf[..]),
                ("devis_auto_ecole", "devis-2.pdf", &pdf[..]),
            ],
            "suivante",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{id}/verification"),
        "page 4 is hidden"
    );
    let files = file_rows(&app, id).await;
    let stored: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|f| {
            (
                f.field_path.as_str(),
                f.original_name.as_str(),
                f.kind.as_str(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        [
            ("piece_identite", "cni.pdf", "pdf"),
            ("justificatif_domicile", "facture.png", "png"),
            ("devis_auto_ecole", "devis.pdf", "pdf"),
        ]
    );
    for f in &files {
        let bytes = std::fs::read(on_disk(&app, &f.storage_key)).expect("the file is on disk");
        assert_eq!(bytes.len() as i64, f.size_bytes);
        assert!(f.uploaded_by.is_some());
    }
    assert_eq!(stored_files(&app).len(), 3, "{:?}", stored_files(&app));
    let page = draft_page(&camille, id, 3, false).await;
    assert_eq!(page.files.len(), 3);
    assert_eq!(page.notices.len(), 1, "{:?}", page.notices);
    assert!(
        page.notices[0].contains("« devis-2.pdf » n’a pas été ajouté"),
        "{:?}",
        page.notices
    );
    assert!(
        draft_page(&camille, id, 3, false).await.notices.is_empty(),
        "a notice is shown once"
    );

    // « Mes brouillons »: complete.
    let drafts = my_drafts(&camille).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, id);
    assert_eq!(drafts[0].first_problem, None);
    assert_eq!(drafts[0].answered, drafts[0].required);

    // « Vérifiez vos réponses »: nothing missing, three pages shown.
    let review: ReviewView = ok(by_id::<ReviewDossier>(&camille, id).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(review.problem, None);
    assert_eq!(review.pages.len(), 3);
    assert_eq!(review.last_page, 3);
    assert_eq!(review.files.len(), 3);
    assert_eq!(
        answer_lines(&review.pages, "jeune_nom"),
        Some(vec!["Durand".to_owned()])
    );

    // « Transmettre ».
    let number = submit(&app, &camille, id).await;
    assert!(is_dossier_number(&number), "{number}");
    let filed = row(&app, id).await;
    assert_eq!(filed.status, "depose");
    assert!(filed.submitted_at.is_some());
    assert_eq!(
        events(&app, id).await,
        [
            (None::<String>, "brouillon".to_owned()),
            (Some("brouillon".to_owned()), "depose".to_owned()),
        ]
    );
    assert_eq!(
        file_rows(&app, id).await.len(),
        3,
        "every shown file is kept"
    );

    // The receipt: its number and the link to follow the dossier.
    let mails = receipts(&app, email, 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].subject(),
        format!("Accusé de réception : dossier {number}")
    );
    let text = mails[0].text();
    assert!(
        text.contains(&format!("Numéro de dossier : {number}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("http://127.0.0.1:3000/mon-compte/dossiers/{id}")),
        "{text}"
    );
    assert!(mails[0].html().contains(&number));

    // « Mes dossiers » and the dossier's page.
    assert!(my_drafts(&camille).await.is_empty());
    let listed = my_dossiers(&camille).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].number, number);
    assert_eq!(listed[0].status, DossierStatus::Depose);
    let view: DossierView = ok(by_id::<GetDossier>(&camille, id).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view.number, number);
    assert_eq!(view.status, DossierStatus::Depose);
    assert_eq!(view.demarche_slug, PERMIS);
    assert_eq!(
        answer_lines(&view.pages, "jeune_nom"),
        Some(vec!["Durand".to_owned()])
    );
    assert_eq!(
        answer_lines(&view.pages, "auto_ecole_nom"),
        Some(vec!["Auto-école du Centre".to_owned()])
    );
    assert_eq!(view.files.len(), 3);
    assert_eq!(view.events.len(), 1, "the history starts at « Déposé »");
    assert_eq!(view.events[0].status, DossierStatus::Depose);

    // An attachment comes back as sent, as a download.
    let piece = camille.get(&view.files[0].href()).await;
    assert_eq!(piece.status(), 200);
    assert_eq!(piece.headers()["content-type"], "application/pdf");
    assert!(
        piece.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .starts_with("attachment")
    );
    assert_eq!(&piece.bytes().await.expect("bytes")[..], &pdf[..]);

    // The PDF copy.
    let copy = camille
        .get(&format!("/mon-compte/dossiers/{id}/copie.pdf"))
        .await;
    assert_eq!(copy.status(), 200);
    assert_eq!(copy.headers()["content-type"], "application/pdf");
    let copy = copy.bytes().await.expect("bytes");
    assert!(copy.starts_with(b"%PDF"), "not a PDF");
    if let Some(text) = pdf_text(&copy) {
        assert!(text.contains("Durand"), "{text}");
        assert!(text.contains(&number), "{text}");
    }
}

#[tokio::test]
async fn a_page_with_missing_or_wrong_answers_comes_back_with_its_errors_and_keeps_them() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let id = start(&camille, PERMIS, None).await;

    let typed: &[(&str, &str)] = &[
        ("jeune_nom", ""),
        ("jeune_prenom", "Léa"),
        ("date_naissance", "2007-03-14"),
        ("jeune_email", "pas-une-adresse"),
        ("structure_choisie", "non"),
    ];
    let to = see_other(&post_page(&camille, id, 1, typed, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/1?erreurs=1"));
    // The page's script gets the same answer as JSON.
    let outcome: serde_json::Value =
        ok(post_page_xhr(&camille, id, 1, typed, &[], "suivante").await)
            .await
            .json()
            .await
            .expect("json");
    assert_eq!(
        outcome["redirect"],
        format!("/dossiers/{id}/etape/1?erreurs=1")
    );

    let page = draft_page(&camille, id, 1, true).await;
    let mut fields: Vec<&str> = page.errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["jeune_email", "jeune_nom"], "{:?}", page.errors);
    let message = |field: &str| {
        page.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
            .unwrap_or_default()
    };
    assert_eq!(message("jeune_nom"), "Renseignez « Nom ».");
    assert!(
        message("jeune_email").contains("adresse électronique valide"),
        "{}",
        message("jeune_email")
    );
    // Nothing typed is lost, the wrong address included.
    assert_eq!(page.answers.text("jeune_email"), Some("pas-une-adresse"));
    assert_eq!(page.answers.text("jeune_prenom"), Some("Léa"));
    assert_eq!(page.answers.text("date_naissance"), Some("2007-03-14"));
    assert_eq!(page.answers.text("jeune_nom"), None);
    let stored = answers(&row(&app, id).await);
    assert_eq!(stored.text("jeune_email"), Some("pas-une-adresse"));
    assert_eq!(stored.text("jeune_prenom"), Some("Léa"));
    // Without `check`, the page shows no error.
    assert!(draft_page(&camille, id, 1, false).await.errors.is_empty());

    // Corrected, the page leads on.
    let to = see_other(&post_page(&camille, id, 1, PAGE_1, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/2"));
    assert!(draft_page(&camille, id, 1, true).await.errors.is_empty());
}

#[tokio::test]
async fn refused_files_leave_nothing_behind_and_are_named_in_a_french_notice() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let id = start(&camille, PERMIS, None).await;

    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(256, 0);
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
    exe.resize(256, 0);
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec();
    zip.resize(64, 0);
    zip.extend_from_slice(b"PK\x05\x06");
    zip.resize(86, 0);
    let mut png_zip = sample_png();
    png_zip.extend_from_slice(&zip);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "page.html",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
            "une page HTML",
        ),
        (
            "dessin.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "une image SVG",
        ),
        ("programme.pdf", elf, "un programme exécutable"),
        ("setup.pdf", exe, "un programme exécutable"),
        ("archive.pdf", zip, "une archive ZIP"),
        ("vide.pdf", Vec::new(), "il est vide"),
        ("script.pdf", pdf_with_javascript(), "du JavaScript"),
        ("photo.png", png_zip, "il cache des données d’un autre type"),
    ];
    for (name, bytes, reason) in &cases {
        let (name, reason) = (*name, *reason);
        let to = see_other(
            &post_page(
                &camille,
                id,
                3,
                &[],
                &[("piece_identite", name, bytes.as_slice())],
                "joindre:piece_identite",
            )
            .await,
        );
        assert_eq!(to, format!("/dossiers/{id}/etape/3#champ-piece_identite"));
        assert!(file_rows(&app, id).await.is_empty(), "{name} was stored");
        assert!(
            stored_files(&app).is_empty(),
            "{name} left {:?}",
            stored_files(&app)
        );
        let page = draft_page(&camille, id, 3, false).await;
        assert!(page.files.is_empty(), "{name}");
        assert_eq!(page.notices.len(), 1, "{name}: {:?}", page.notices);
        let notice = &page.notices[0];
        assert!(
            notice.starts_with(&format!("Le fichier « {name} » n’a pas été ajouté")),
            "{notice}"
        );
        assert!(notice.contains(reason), "{name}: {notice}");
        assert!(
            draft_page(&camille, id, 3, false).await.notices.is_empty(),
            "{name}: the notice is shown once"
        );
    }

    // The page's script reads the notice in the JSON answer (nothing kept for later).
    let html = &cases[0].1;
    let outcome: serde_json::Value = ok(post_page_xhr(
        &camille,
        id,
        3,
        &[],
        &[("piece_identite", "page.html", &html[..])],
        "joindre:piece_identite",
    )
    .await)
    .await
    .json()
    .await
    .expect("json");
    let notices = outcome["notices"].as_array().expect("notices");
    assert_eq!(notices.len(), 1, "{outcome}");
    assert!(
        notices[0]
            .as_str()
            .unwrap_or_default()
            .contains("« page.html »")
    );
    assert_eq!(outcome["files"], serde_json::json!([]));
    // The script reloads the page, which shows the notice once.
    let shown = draft_page(&camille, id, 3, false).await.notices;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains("« page.html »"));
    assert!(draft_page(&camille, id, 3, false).await.notices.is_empty());
    assert!(stored_files(&app).is_empty());

    // The same post with a real PDF is accepted: the refusals above were the files'.
    let pdf = sample_pdf();
    see_other(
        &post_page(
            &camille,
            id,
            3,
            &[],
            &[("piece_identite", "cni.pdf", &pdf[..])],
            "joindre:piece_identite",
        )
        .await,
    );
    let files = file_rows(&app, id).await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].field_path, "piece_identite");
    assert_eq!(stored_files(&app), [on_disk(&app, &files[0].storage_key)]);
    let page = draft_page(&camille, id, 3, false).await;
    assert!(page.notices.is_empty(), "{:?}", page.notices);
    assert_eq!(page.files.len(), 1);
}

#[tokio::test]
async fn nobody_else_reaches_a_dossier() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let zoe = signed_in(&app, "zoe@example.org").await;
    let anonymous = Browser::new(&app);
    let pdf = sample_pdf();

    // Camille's draft (page 1 answered, one file) and her filed dossier.
    let draft = start(&camille, PERMIS, None).await;
    see_other(&post_page(&camille, draft, 1, PAGE_1, &[], "suivante").await);
    see_other(
        &post_page(
            &camille,
            draft,
            3,
            &[],
            &[("piece_identite", "cni.pdf", &pdf[..])],
            "joindre:piece_identite",
        )
        .await,
    );
    let draft_file = file_rows(&app, draft).await[0].id;
    let filed = start(&camille, PERMIS, None).await;
    fill_permis(&camille, filed).await;
    submit(&app, &camille, filed).await;
    let filed_file = file_rows(&app, filed).await[0].id;

    // The owner reaches all of it (the same calls as below can succeed).
    ok(draft_page_response(&camille, draft, 1, false).await).await;
    ok(by_id::<ReviewDossier>(&camille, draft).await).await;
    ok(by_id::<GetDossier>(&camille, filed).await).await;
    assert_eq!(
        camille.get(&format!("/pieces/{draft_file}")).await.status(),
        200
    );
    assert_eq!(
        camille.get(&format!("/pieces/{filed_file}")).await.status(),
        200
    );
    assert_eq!(
        camille
            .get(&format!("/mon-compte/dossiers/{filed}/copie.pdf"))
            .await
            .status(),
        200
    );

    let answers_before = row(&app, draft).await.answers;
    let files_before = stored_files(&app);
    let dossiers_before = dossier::Entity::find().count(&app.db).await.expect("count");

    // Another verified account: as if the dossiers did not exist.
    let calls = vec![
        (
            "draft page",
            draft_page_response(&zoe, draft, 1, false).await,
        ),
        ("review", by_id::<ReviewDossier>(&zoe, draft).await),
        ("detail", by_id::<GetDossier>(&zoe, filed).await),
        ("delete", by_id::<DeleteDraft>(&zoe, draft).await),
        ("duplicate", by_id::<DuplicateDossier>(&zoe, filed).await),
        ("submit", by_id::<SubmitDossier>(&zoe, draft).await),
    ];
    for (name, response) in calls {
        assert_eq!(response.status(), 404, "{name}");
        let e = error(response).await;
        assert!(matches!(e, AppError::NotFound(_)), "{name}: {e:?}");
    }
    let changed: &[(&str, &str)] = &[("jeune_nom", "Pirate"), ("jeune_prenom", "Zoé")];
    let to = see_other(&post_page(&zoe, draft, 1, changed, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{draft}/etape/1"), "back to the page");
    let to = see_other(
        &post_page(
            &zoe,
            draft,
            3,
            &[],
            &[("piece_identite", "intrus.pdf", &pdf[..])],
            "joindre:piece_identite",
        )
        .await,
    );
    assert_eq!(to, format!("/dossiers/{draft}/etape/3"));
    let to =
        see_other(&post_page(&zoe, draft, 3, &[], &[], &format!("retirer:{draft_file}")).await);
    assert_eq!(to, format!("/dossiers/{draft}/etape/3"));
    let response = post_page_xhr(&zoe, draft, 1, changed, &[], "autosave").await;
    assert_eq!(response.status(), 404);
    assert!(matches!(error(response).await, AppError::NotFound(_)));
    for path in [
        format!("/pieces/{draft_file}"),
        format!("/pieces/{filed_file}"),
        format!("/mon-compte/dossiers/{filed}/copie.pdf"),
    ] {
        let response = zoe.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.expect("body");
        assert!(!body.starts_with("%PDF"), "{path}");
        assert!(body.contains("<h1>"), "{path}: a page says why");
    }
    assert!(my_drafts(&zoe).await.is_empty());
    assert!(my_dossiers(&zoe).await.is_empty());

    // Without a session: 401 from the functions, « Connexion » for the rest.
    let calls = vec![
        (
            "draft page",
            draft_page_response(&anonymous, draft, 1, false).await,
        ),
        ("review", by_id::<ReviewDossier>(&anonymous, draft).await),
        ("detail", by_id::<GetDossier>(&anonymous, filed).await),
        ("delete", by_id::<DeleteDraft>(&anonymous, draft).await),
        (
            "duplicate",
            by_id::<DuplicateDossier>(&anonymous, filed).await,
        ),
        ("submit", by_id::<SubmitDossier>(&anonymous, draft).await),
        ("drafts", anonymous.call::<MyDrafts>(&[]).await),
        (
            "dossiers",
            anonymous.call::<MyDossiers>(&[("page", "1")]).await,
        ),
        (
            "choices",
            anonymous.call::<StartChoices>(&[("slug", PERMIS)]).await,
        ),
        ("start", start_response(&anonymous, PERMIS, None).await),
    ];
    for (name, response) in calls {
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(error(response).await, AppError::Unauthenticated, "{name}");
    }
    let to = see_other(&post_page(&anonymous, draft, 1, changed, &[], "suivante").await);
    assert_eq!(to, format!("/connexion?retour=/dossiers/{draft}/etape/1"));
    let to = see_other(
        &post_page(
            &anonymous,
            draft,
            3,
            &[],
            &[("piece_identite", "intrus.pdf", &pdf[..])],
            "joindre:piece_identite",
        )
        .await,
    );
    assert!(to.starts_with("/connexion"), "{to}");
    for path in [
        format!("/pieces/{draft_file}"),
        format!("/mon-compte/dossiers/{filed}/copie.pdf"),
    ] {
        let response = anonymous.get(&path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert!(
            location(&response).starts_with("/connexion?retour="),
            "{path}"
        );
    }

    // Nothing changed.
    let kept = row(&app, draft).await;
    assert_eq!(kept.answers, answers_before);
    assert_eq!(kept.status, "brouillon");
    assert_eq!(file_rows(&app, draft).await.len(), 1);
    assert_eq!(file_rows(&app, draft).await[0].id, draft_file);
    assert_eq!(stored_files(&app), files_before);
    assert_eq!(
        dossier::Entity::find().count(&app.db).await.expect("count"),
        dossiers_before,
        "no dossier was created or deleted"
    );
    assert_eq!(row(&app, filed).await.status, "depose");
}

#[tokio::test]
async fn a_submitted_dossier_can_no_longer_be_changed_or_deleted() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    submit(&app, &camille, id).await;

    let before = row(&app, id).await;
    let files_before = file_rows(&app, id).await;
    let stored_before = stored_files(&app);
    let pdf = sample_pdf();

    // Posting a page: back to it, nothing saved, no file stored or removed.
    let changed: &[(&str, &str)] = &[
        ("jeune_nom", "Autre"),
        ("jeune_prenom", "Nom"),
        ("date_naissance", "2006-01-01"),
        ("jeune_email", "autre@example.org"),
        ("structure_choisie", "oui"),
    ];
    let to = see_other(&post_page(&camille, id, 1, changed, &[], "suivante").await);
    assert_eq!(to, format!("/dossiers/{id}/etape/1"));
    see_other(&post_page(&camille, id, 1, changed, &[], "enregistrer").await);
    see_other(
        &post_page(
            &camille,
            id,
            3,
            &[],
            &[("piece_identite", "nouvelle.pdf", &pdf[..])],
            "joindre:piece_identite",
        )
        .await,
    );
    see_other(
        &post_page(
            &camille,
            id,
            3,
            &[],
            &[],
            &format!("retirer:{}", files_before[0].id),
        )
        .await,
    );
    let response = post_page_xhr(&camille, id, 1, changed, &[], "autosave").await;
    assert_eq!(response.status(), 409);
    assert_eq!(error(response).await, AppError::NotEditable);

    let after = row(&app, id).await;
    assert_eq!(after.answers, before.answers, "the answers did not change");
    assert_eq!(after.lock_version, before.lock_version);
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(after.status, "depose");
    assert_eq!(file_rows(&app, id).await, files_before);
    assert_eq!(stored_files(&app), stored_before);

    // « Supprimer » and the draft's pages answer 409.
    let response = by_id::<DeleteDraft>(&camille, id).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error(response).await, AppError::NotEditable);
    assert_eq!(row(&app, id).await.status, "depose", "the row remains");
    assert_eq!(stored_files(&app), stored_before);
    for page in [1, 3] {
        let response = draft_page_response(&camille, id, page, false).await;
        assert_eq!(response.status(), 409, "page {page}");
        assert_eq!(error(response).await, AppError::NotEditable);
    }
    let response = by_id::<ReviewDossier>(&camille, id).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error(response).await, AppError::NotEditable);
}

#[tokio::test]
async fn submitting_twice_at_once_files_one_dossier_with_one_receipt() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let email = "camille@example.org";
    let camille = signed_in(&app, email).await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;

    let form_id = id.to_string();
    let form: &[(&str, &str)] = &[("id", form_id.as_str())];
    let (first, second) = tokio::join!(
        camille.call::<SubmitDossier>(form),
        camille.call::<SubmitDossier>(form),
    );
    let expected = format!("/mon-compte/dossiers/{id}?message=dossier-transmis");
    for response in [first, second] {
        let response = ok(response).await;
        assert_eq!(location(&response), expected);
    }
    let number = row(&app, id).await.number.expect("a number");
    assert!(is_dossier_number(&number), "{number}");
    // Once more, later (a retried request): the same answer, nothing new.
    let response = ok(camille.call::<SubmitDossier>(form).await).await;
    assert_eq!(location(&response), expected);

    let filed = row(&app, id).await;
    assert_eq!(filed.status, "depose");
    assert_eq!(filed.number.as_deref(), Some(number.as_str()));
    let deposits = events(&app, id)
        .await
        .into_iter()
        .filter(|(from, to)| from.as_deref() == Some("brouillon") && to == "depose")
        .count();
    assert_eq!(deposits, 1, "one Brouillon → Déposé event");
    assert_eq!(events(&app, id).await.len(), 2);
    let numbered = dossier::Entity::find()
        .filter(dossier::Column::Number.is_not_null())
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(numbered, 1);

    // One receipt queued, and once it is sent, one received.
    let queued = queued_receipts(&app).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].recipient, email);
    let shared: &Spawned = &app;
    eventually(
        "the receipt is sent",
        Duration::from_secs(10),
        move || async move {
            let rows = queued_receipts(shared).await;
            rows.iter().all(|m| m.status == "sent").then_some(())
        },
    )
    .await;
    let received = receipts(&app, email, 1).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].subject().contains(&number));
    assert_eq!(queued_receipts(&app).await.len(), 1);
}

#[tokio::test]
async fn deleting_a_draft_removes_its_row_and_its_files() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let doomed = start(&camille, PERMIS, None).await;
    see_other(&post_page(&camille, doomed, 1, PAGE_1, &[], "enregistrer").await);
    attach_two(&camille, doomed).await;
    let other = start(&camille, PERMIS, None).await;
    attach_two(&camille, other).await;

    let doomed_files: Vec<PathBuf> = file_rows(&app, doomed)
        .await
        .iter()
        .map(|f| on_disk(&app, &f.storage_key))
        .collect();
    let other_files: Vec<PathBuf> = file_rows(&app, other)
        .await
        .iter()
        .map(|f| on_disk(&app, &f.storage_key))
        .collect();
    assert_eq!(doomed_files.len(), 2);
    assert_eq!(other_files.len(), 2);
    assert_eq!(stored_files(&app).len(), 4);
    assert!(doomed_files.iter().all(|p| p.is_file()));

    let response = ok(by_id::<DeleteDraft>(&camille, doomed).await).await;
    assert_eq!(
        location(&response),
        "/mon-compte/brouillons?message=brouillon-supprime"
    );
    assert!(find_row(&app, doomed).await.is_none(), "the row is gone");
    assert!(
        file_rows(&app, doomed).await.is_empty(),
        "its files' rows too"
    );
    assert!(events(&app, doomed).await.is_empty(), "and its history");
    assert!(
        doomed_files.iter().all(|p| !p.exists()),
        "its files are deleted from the storage"
    );
    // The other draft keeps everything.
    let mut left = other_files.clone();
    left.sort();
    assert_eq!(stored_files(&app), left);
    assert_eq!(file_rows(&app, other).await.len(), 2);
    let drafts = my_drafts(&camille).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, other);

    // Gone for good.
    let response = by_id::<DeleteDraft>(&camille, doomed).await;
    assert_eq!(response.status(), 404);
    let response = draft_page_response(&camille, doomed, 1, false).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn duplicating_a_submitted_dossier_makes_a_draft_with_copies_of_its_files() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let camille = signed_in(&app, "camille@example.org").await;
    let id = start(&camille, PERMIS, None).await;
    fill_permis(&camille, id).await;
    let number = submit(&app, &camille, id).await;
    let original = row(&app, id).await;
    let original_files = file_rows(&app, id).await;

    let response = ok(by_id::<DuplicateDossier>(&camille, id).await).await;
    let path = location(&response);
    assert!(
        path.ends_with("/etape/1?message=dossier-duplique"),
        "{path}"
    );
    let copy_id = id_after(&path, "/dossiers/");
    assert_ne!(copy_id, id);

    let copy = row(&app, copy_id).await;
    assert_eq!(copy.status, "brouillon");
    assert_eq!(copy.number, None);
    assert_eq!(copy.submitted_at, None);
    assert_eq!(copy.profile_id, original.profile_id);
    assert_eq!(answers(&copy), answers(&original), "the same answers");
    assert_eq!(
        events(&app, copy_id).await,
        [(None::<String>, "brouillon".to_owned())]
    );

    let copied = file_rows(&app, copy_id).await;
    assert_eq!(copied.len(), original_files.len());
    for (from, to) in original_files.iter().zip(&copied) {
        assert_eq!(to.field_path, from.field_path);
        assert_eq!(to.original_name, from.original_name);
        assert_eq!(to.kind, from.kind);
        assert_eq!(to.sha256, from.sha256);
        assert_ne!(to.storage_key, from.storage_key, "a copy of its own");
        let a = std::fs::read(on_disk(&app, &from.storage_key)).expect("the original is kept");
        let b = std::fs::read(on_disk(&app, &to.storage_key)).expect("the copy is stored");
        assert_eq!(a, b);
    }
    assert_eq!(stored_files(&app).len(), 2 * original_files.len());

    // The original is untouched; the copy is a draft to fill and send.
    let after = row(&app, id).await;
    assert_eq!(after.status, "depose");
    assert_eq!(after.number.as_deref(), Some(number.as_str()));
    assert_eq!(file_rows(&app, id).await, original_files);
    let drafts = my_drafts(&camille).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, copy_id);
    assert_eq!(drafts[0].first_problem, None, "complete, files included");
    let page = draft_page(&camille, copy_id, 1, true).await;
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    assert_eq!(page.answers.text("jeune_nom"), Some("Durand"));
    assert_eq!(page.files.len(), copied.len());
    // Removing a copied file leaves the original's file alone.
    see_other(
        &post_page(
            &camille,
            copy_id,
            3,
            &[],
            &[],
            &format!("retirer:{}", copied[0].id),
        )
        .await,
    );
    assert!(!on_disk(&app, &copied[0].storage_key).exists());
    assert!(on_disk(&app, &original_files[0].storage_key).is_file());
    assert_eq!(file_rows(&app, id).await, original_files);
    // Once a new file replaces it, the copy is sent under a number of its own.
    let png = sample_png();
    see_other(
        &post_page(
            &camille,
            copy_id,
            3,
            &[],
            &[(copied[0].field_path.as_str(), "cni-recto.png", &png[..])],
            "enregistrer",
        )
        .await,
    );
    let second = submit(&app, &camille, copy_id).await;
    assert!(is_dossier_number(&second), "{second}");
    assert_ne!(second, number);
}

#[tokio::test]
async fn an_unverified_account_cannot_start_a_dossier() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let browser = Browser::new(&app);
    ok(sign_up(&browser, "camille@example.org").await).await;
    mails_to(&app, "camille@example.org", 1).await;
    ok(browser.sign_in("camille@example.org", PASSWORD).await).await;
    assert!(!browser.who().await.expect("signed in").email_verified);

    let response = start_response(&browser, PERMIS, None).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error(response).await, AppError::EmailNotVerified);
    assert_eq!(
        dossier::Entity::find().count(&app.db).await.expect("count"),
        0
    );
}

#[tokio::test]
async fn an_organisation_demarche_is_filed_for_a_collectivite_and_shared_with_its_members() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let anne = signed_in(&app, "anne@example.org").await;
    let bruno = signed_in(&app, "bruno@example.org").await;

    // Only a personal profile: nothing to choose, and a clear refusal.
    let options = start_options(&anne, FONDS).await;
    assert!(options.profiles.is_empty(), "{options:?}");
    assert!(!options.audience.is_empty());
    let e = error(start_response(&anne, FONDS, None).await).await;
    let message = e.field_message("profil").unwrap_or_default();
    assert!(message.contains("Aucun de vos profils"), "{e:?}");
    let cards: Vec<ProfileCard> = ok(anne.call::<MyProfiles>(&[]).await)
        .await
        .json()
        .await
        .expect("json");
    let personal = cards
        .iter()
        .find(|c| c.kind == ProfileKind::Particulier)
        .expect("the personal profile")
        .id;
    let e = error(start_response(&anne, FONDS, Some(personal)).await).await;
    assert!(e.field_message("profil").is_some(), "{e:?}");
    assert_eq!(
        dossier::Entity::find().count(&app.db).await.expect("count"),
        0
    );

    // A collectivité profile fits.
    let commune = create_commune(&anne).await;
    let options = start_options(&anne, FONDS).await;
    assert_eq!(options.profiles.len(), 1, "{options:?}");
    assert_eq!(options.profiles[0].id, commune);
    assert_eq!(options.profiles[0].kind_label, "Collectivité");
    assert!(
        options.profiles[0]
            .name
            .contains("Commune de Saint-Exemple")
    );
    // Still not for the personal profile, nor for a profile one is not a member of.
    let e = error(start_response(&anne, FONDS, Some(personal)).await).await;
    assert!(e.field_message("profil").is_some(), "{e:?}");
    let e = error(start_response(&bruno, FONDS, Some(commune)).await).await;
    assert!(e.field_message("profil").is_some(), "{e:?}");
    assert_eq!(
        dossier::Entity::find().count(&app.db).await.expect("count"),
        0
    );

    let id = start(&anne, FONDS, Some(commune)).await;
    let draft = row(&app, id).await;
    assert_eq!(draft.profile_id, commune);
    assert_eq!(draft.status, "brouillon");
    // Not Bruno's, yet.
    assert!(my_drafts(&bruno).await.is_empty());
    assert_eq!(
        draft_page_response(&bruno, id, 1, false).await.status(),
        404
    );

    // Bruno joins the profile with a share key: he sees the draft and may fill it.
    join(&anne, &bruno, commune, "Secrétaire de mairie").await;
    let drafts = my_drafts(&bruno).await;
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!(drafts[0].id, id);
    assert!(drafts[0].profile_name.contains("Commune de Saint-Exemple"));
    let page = draft_page(&bruno, id, 1, false).await;
    assert_eq!(page.dossier_id, id);
    let to = see_other(
        &post_page(
            &bruno,
            id,
            1,
            &[("projet_intitule", "Rénovation de l’école")],
            &[],
            "enregistrer",
        )
        .await,
    );
    assert_eq!(
        to,
        format!("/dossiers/{id}/etape/1?message=brouillon-enregistre")
    );
    assert_eq!(
        answers(&row(&app, id).await).text("projet_intitule"),
        Some("Rénovation de l’école")
    );
    let bruno_options = start_options(&bruno, FONDS).await;
    assert!(bruno_options.profiles.iter().any(|p| p.id == commune));
}

#[tokio::test]
async fn a_member_who_asks_for_receipts_gets_those_of_the_other_members() {
    let app = spawn_app().await;
    open_all_year(&app).await;
    let (a, b, c) = ("anne@example.org", "bruno@example.org", "chloe@example.org");
    let anne = signed_in(&app, a).await;
    let bruno = signed_in(&app, b).await;
    let chloe = signed_in(&app, c).await;
    let commune = create_commune(&anne).await;
    join(&anne, &bruno, commune, "Secrétaire de mairie").await;
    join(&anne, &chloe, commune, "Adjointe aux travaux").await;

    // Nobody receives the others' receipts until asking; Bruno asks, Chloé does not.
    for member in [&anne, &bruno, &chloe] {
        assert!(!my_receipts(member, commune).await);
    }
    set_receipts(&bruno, commune, true).await;
    assert!(my_receipts(&bruno, commune).await);
    assert!(!my_receipts(&chloe, commune).await, "Bruno’s choice only");
    assert!(!my_receipts(&anne, commune).await);

    // Anne files for the commune: one receipt to her, one to Bruno, none to Chloé.
    let first = start(&anne, FONDS, Some(commune)).await;
    fill_fonds(&anne, first).await;
    let number = submit(&app, &anne, first).await;
    assert_eq!(receipt_recipients(&app, &number).await, [a, b]);
    for to in [a, b] {
        let mails = receipts(&app, to, 1).await;
        assert_eq!(mails.len(), 1, "{to}");
        assert!(mails[0].subject().contains(&number), "{to}");
    }
    receipts_stay(&app, &[(a, 1), (b, 1), (c, 0)]).await;

    // Bruno changes his mind: Anne's next dossier reaches her alone.
    set_receipts(&bruno, commune, false).await;
    assert!(!my_receipts(&bruno, commune).await);
    let second = start(&anne, FONDS, Some(commune)).await;
    fill_fonds(&anne, second).await;
    let other = submit(&app, &anne, second).await;
    assert_ne!(other, number);
    assert_eq!(receipt_recipients(&app, &other).await, [a]);
    let mails = receipts(&app, a, 2).await;
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().any(|m| m.subject().contains(&other)));
    receipts_stay(&app, &[(a, 2), (b, 1), (c, 0)]).await;
}
