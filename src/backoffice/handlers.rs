//! Plain axum handlers of the back-office and of the messages: the forms that carry
//! files (an action with its decision letter, a message with attachments, « Envoyer
//! un document ») are multipart posts, so that they work without JavaScript; the bulk
//! actions of a queue; the CSV export, streamed; the downloads of documents and of
//! message files. Each handler finds the account of the session and lets the service
//! check what it may touch.
//!
//! A form that fails comes back with its errors and everything typed; the files that
//! were accepted are kept aside in the session and sent with the next try.

use axum::body::Body;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::api::{flash_key, queue_flash_key};
use super::model::{Action, Flash, QueueQuery};
use super::service::{self, NewDocument, NewFile};
use crate::error::{AppError, FieldError};
use crate::server::auth::{session_account, session_instructor};
use crate::server::simple_page;
use crate::server::state::AppState;
use crate::server::uploads::sniff::FileKind;
use crate::server::uploads::{Stored, clean_name, intake};

/// At most this many files with one message.
const MAX_MESSAGE_FILES: usize = 5;

/// A file accepted by an earlier try of a form, kept for the next one.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    key: String,
    name: String,
    kind: String,
    size: u64,
    sha256: String,
}

impl Kept {
    fn of(name: &str, s: &Stored) -> Self {
        Kept {
            key: s.key.clone(),
            name: name.to_owned(),
            kind: s.kind.extension().to_owned(),
            size: s.size,
            sha256: s.sha256.clone(),
        }
    }

    fn stored(&self) -> Option<Stored> {
        Some(Stored {
            key: self.key.clone(),
            kind: FileKind::from_extension(&self.kind)?,
            size: self.size,
            sha256: self.sha256.clone(),
        })
    }
}

fn kept_key(form: &str, dossier_id: i32) -> String {
    format!("kept:{form}:{dossier_id}")
}

async fn take_kept(session: &Session, form: &str, dossier_id: i32) -> Vec<Kept> {
    let key = kept_key(form, dossier_id);
    let kept: Vec<Kept> = session.get(&key).await.ok().flatten().unwrap_or_default();
    if !kept.is_empty() {
        let _ = session.remove::<Vec<Kept>>(&key).await;
    }
    kept
}

/// What a multipart form sent: its text fields and its accepted files.
struct Posted {
    fields: Vec<(String, String)>,
    files: Vec<Kept>,
    /// Files refused, with the French reason.
    refusals: Vec<String>,
}

impl Posted {
    fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Reads a multipart form; files of `file_field` go through the one file intake
/// (at most `max_files`, PDF only when `pdf_only`).
async fn read_form(
    state: &AppState,
    mut multipart: Multipart,
    prefix: &str,
    file_field: &str,
    max_files: usize,
    pdf_only: bool,
) -> Result<Posted, AppError> {
    let mut posted = Posted {
        fields: Vec::new(),
        files: Vec::new(),
        refusals: Vec::new(),
    };
    let mut text_bytes = 0usize;
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                forget(state, &posted.files).await;
                return Err(AppError::Transport(e.to_string()));
            }
        };
        let name = part.name().unwrap_or_default().to_owned();
        if name == file_field {
            let Some(file_name) = part.file_name().filter(|n| !n.is_empty()).map(clean_name) else {
                continue;
            };
            if posted.files.len() >= max_files {
                posted.refusals.push(format!(
                    "Le fichier « {file_name} » n’a pas été ajouté : {max_files} fichier(s) au plus."
                ));
                continue;
            }
            match intake(state, prefix, &file_name, &mut part).await? {
                Ok(stored) if pdf_only && stored.kind != FileKind::Pdf => {
                    state.storage.delete(&stored.key).await?;
                    posted.refusals.push(format!(
                        "Le fichier « {file_name} » n’a pas été ajouté : le document doit être un PDF."
                    ));
                }
                Ok(stored) => posted.files.push(Kept::of(&file_name, &stored)),
                Err(refusal) => posted.refusals.push(refusal),
            }
            continue;
        }
        let value = match part.text().await {
            Ok(v) => v,
            Err(e) => {
                forget(state, &posted.files).await;
                return Err(AppError::Transport(e.to_string()));
            }
        };
        text_bytes += value.len();
        if text_bytes > 200_000 {
            forget(state, &posted.files).await;
            return Err(AppError::field("corps", "Le texte envoyé est trop long."));
        }
        posted.fields.push((name, value));
    }
    Ok(posted)
}

/// After a service call that failed: its files go, unless the failure may have come
/// after their rows were written (a database or server error, such as a connection
/// lost during the commit). Those stay; the upload cleaner removes them later if no
/// row records them, so a row never loses its file.
async fn forget_unless_unsure(state: &AppState, files: &[Kept], error: &AppError) {
    if !matches!(error, AppError::Internal | AppError::Unavailable) {
        forget(state, files).await;
    }
}

async fn forget(state: &AppState, files: &[Kept]) {
    for f in files {
        if let Err(e) = state.storage.delete(&f.key).await {
            tracing::warn!(error = ?e, key = %f.key, "could not delete a refused upload");
        }
    }
}

pub fn error_response(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::NOT_FOUND);
    let title = match error {
        AppError::NotFound(_) => "Page introuvable",
        AppError::Internal => "Erreur technique",
        AppError::Unavailable => "Service momentanément indisponible",
        AppError::Transport(_) => "Envoi interrompu",
        _ => "Accès refusé",
    };
    simple_page(status, title, &error.to_string())
}

pub fn sign_in_first(path: &str) -> Response {
    Redirect::to(&format!("/connexion?retour={path}")).into_response()
}

/// Sends the person back to the form with its errors, values and kept files.
async fn back_with(
    session: &Session,
    dossier_id: i32,
    mut flash: Flash,
    kept_form: &str,
    kept: Vec<Kept>,
    to: &str,
) -> Response {
    flash.files = kept.iter().map(|k| k.name.clone()).collect();
    let _ = session.insert(&flash_key(dossier_id), &flash).await;
    if !kept.is_empty() {
        let _ = session
            .insert(&kept_key(kept_form, dossier_id), &kept)
            .await;
    }
    Redirect::to(to).into_response()
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// The instructor of the session and a filed dossier of one of their démarches,
/// checked before anything of a post is read or stored; otherwise the answer to send
/// (« Connexion », 403 or 404).
async fn instructed_dossier(
    state: &AppState,
    session: &Session,
    id: i32,
) -> Result<
    (
        crate::server::entities::account::Model,
        crate::server::entities::dossier::Model,
    ),
    Response,
> {
    let account = match session_instructor(state, session).await {
        Ok(a) => a,
        Err(AppError::Unauthenticated) => {
            return Err(sign_in_first(&format!("/instruction/dossiers/{id}")));
        }
        Err(e) => return Err(error_response(e)),
    };
    match service::require_dossier(&state.db, &account, id).await {
        Ok(row) => Ok((account, row)),
        Err(e) => Err(error_response(e)),
    }
}

/// A form whose one file is a PDF sent to the profile (a decision letter, a document).
async fn read_pdf_form(
    state: &AppState,
    multipart: Multipart,
    dossier_id: i32,
) -> Result<Posted, AppError> {
    read_form(
        state,
        multipart,
        &format!("documents/{dossier_id}"),
        "document",
        1,
        true,
    )
    .await
}

// ---------------------------------------------------------------- an action

/// `POST /instruction/dossiers/{id}/action`: « Passer en instruction », « Demander des
/// compléments », « Accepter »… with the message the citizen will read and, for a
/// decision, an optional document (the notification letter).
pub async fn action_post(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Response {
    let page = format!("/instruction/dossiers/{id}");
    let (account, _) = match instructed_dossier(&state, &session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let posted = match read_pdf_form(&state, multipart, id).await {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let Some(action) = Action::parse(&posted.get("action")) else {
        forget(&state, &posted.files).await;
        return error_response(AppError::not_found());
    };
    let form = action.slug();
    let anchor = format!("{page}#action-{form}");
    let version: i32 = posted.get("version").parse().unwrap_or(-1);
    let typed_message = posted.get("message");
    let title = posted.get("titre_document").trim().to_owned();
    let mut files = posted.files.clone();
    if files.is_empty() && action.is_decision() {
        files = take_kept(&session, form, id).await;
    }
    let mut errors = Vec::new();
    let message = match service::check_message(action, &typed_message) {
        Ok(m) => m,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    for refusal in &posted.refusals {
        errors.push(field_error("document", refusal.clone()));
    }
    if !files.is_empty() && !action.is_decision() {
        errors.push(field_error(
            "document",
            "Un document ne peut accompagner qu’une décision.",
        ));
    }
    if !files.is_empty() && title.is_empty() {
        errors.push(field_error(
            "titre_document",
            "Donnez un titre au document, par exemple « Lettre de notification ».",
        ));
    }
    let kept_fields = vec![
        ("message".to_owned(), typed_message.clone()),
        ("titre_document".to_owned(), title.clone()),
    ];
    if !errors.is_empty() {
        let flash = Flash {
            form: form.into(),
            errors,
            kept: kept_fields,
            notice: None,
            files: Vec::new(),
        };
        return back_with(&session, id, flash, form, files, &anchor).await;
    }
    let document = files.first().and_then(|k| {
        Some(NewDocument {
            title: title.clone(),
            original_name: k.name.clone(),
            stored: k.stored()?,
        })
    });
    match service::act(&state, &account, id, action, version, message, document).await {
        Ok(to) => {
            let flash = Flash {
                form: form.into(),
                notice: Some(format!(
                    "C’est fait : le dossier est maintenant « {} ». Un courriel explicatif part vers la personne qui l’a déposé et les membres de son profil.",
                    to.label()
                )),
                ..Default::default()
            };
            let _ = session.insert(&flash_key(id), &flash).await;
            Redirect::to(&format!("{page}#statut")).into_response()
        }
        Err(e @ (AppError::Stale | AppError::Validation(_))) => {
            // Nothing changed: the typed message and the document are kept.
            let errors = match e {
                AppError::Validation(errors) => errors,
                e => vec![field_error("message", e.to_string())],
            };
            let flash = Flash {
                form: form.into(),
                errors,
                kept: kept_fields,
                notice: None,
                files: Vec::new(),
            };
            back_with(&session, id, flash, form, files, &anchor).await
        }
        Err(e) => {
            forget_unless_unsure(&state, &files, &e).await;
            error_response(e)
        }
    }
}

// ---------------------------------------------------------------- messages

/// `POST /instruction/dossiers/{id}/message`: an instructor writes to the profile.
pub async fn instructor_message_post(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Response {
    let page = format!("/instruction/dossiers/{id}");
    let (account, row) = match instructed_dossier(&state, &session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    message_post(&state, &session, &account, row, true, multipart, &page).await
}

/// `POST /mon-compte/dossiers/{id}/message`: a member of the profile writes to the
/// instructors.
pub async fn citizen_message_post(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Response {
    let page = format!("/mon-compte/dossiers/{id}");
    let account = match session_account(&state, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return sign_in_first(&page),
        Err(e) => return error_response(e),
    };
    if account.email_verified_at.is_none() {
        return error_response(AppError::EmailNotVerified);
    }
    let row = match crate::dossiers::service::load_for_member(&state.db, &account, id).await {
        Ok(row) if row.number.is_some() => row,
        Ok(_) => return error_response(AppError::not_found()),
        Err(e) => return error_response(e),
    };
    message_post(&state, &session, &account, row, false, multipart, &page).await
}

async fn message_post(
    state: &AppState,
    session: &Session,
    account: &crate::server::entities::account::Model,
    row: crate::server::entities::dossier::Model,
    from_instructor: bool,
    multipart: Multipart,
    page: &str,
) -> Response {
    let id = row.id;
    let anchor = format!("{page}#messages");
    let posted = match read_form(
        state,
        multipart,
        &format!("messages/{id}"),
        "fichiers",
        MAX_MESSAGE_FILES,
        false,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let mut files = take_kept(session, "message", id).await;
    files.extend(posted.files.iter().cloned());
    let typed = posted.get("corps");
    let mut errors: Vec<FieldError> = posted
        .refusals
        .iter()
        .map(|r| field_error("fichiers", r.clone()))
        .collect();
    if files.len() > MAX_MESSAGE_FILES {
        errors.push(field_error(
            "fichiers",
            format!("{MAX_MESSAGE_FILES} fichiers au plus par message."),
        ));
    }
    let body = match service::check_body(&typed) {
        Ok(b) => Some(b),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (Some(body), true) = (body, errors.is_empty()) else {
        let flash = Flash {
            form: "message".into(),
            errors,
            kept: vec![("corps".into(), typed)],
            notice: None,
            files: Vec::new(),
        };
        return back_with(session, id, flash, "message", files, &anchor).await;
    };
    let new_files: Vec<NewFile> = files
        .iter()
        .filter_map(|k| {
            Some(NewFile {
                original_name: k.name.clone(),
                stored: k.stored()?,
            })
        })
        .collect();
    match service::post_message(state, account, &row, from_instructor, body, new_files).await {
        Ok(()) => {
            let flash = Flash {
                form: "message".into(),
                notice: Some("Votre message est envoyé.".into()),
                ..Default::default()
            };
            let _ = session.insert(&flash_key(id), &flash).await;
            Redirect::to(&anchor).into_response()
        }
        Err(e) => {
            forget_unless_unsure(state, &files, &e).await;
            error_response(e)
        }
    }
}

// ---------------------------------------------------------------- documents

/// `POST /instruction/dossiers/{id}/document`: « Envoyer un document » (a PDF with a
/// title and an optional message) to the dossier's profile.
pub async fn document_post(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Response {
    let page = format!("/instruction/dossiers/{id}");
    let anchor = format!("{page}#envoyer-document");
    let (account, _) = match instructed_dossier(&state, &session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let posted = match read_pdf_form(&state, multipart, id).await {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let mut files = posted.files.clone();
    if files.is_empty() {
        files = take_kept(&session, "document", id).await;
    }
    let title = posted.get("titre").trim().to_owned();
    let typed_message = posted.get("message");
    let mut errors: Vec<FieldError> = posted
        .refusals
        .iter()
        .map(|r| field_error("document", r.clone()))
        .collect();
    if title.is_empty() {
        errors.push(field_error("titre", "Donnez un titre au document."));
    } else if title.chars().count() > 200 {
        errors.push(field_error("titre", "Le titre dépasse 200 caractères."));
    }
    if files.is_empty() && errors.iter().all(|e| e.field != "document") {
        errors.push(field_error(
            "document",
            "Choisissez le document PDF à envoyer.",
        ));
    }
    let message = match service::check_message(Action::Accepter, &typed_message) {
        Ok(m) => m,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if !errors.is_empty() {
        let flash = Flash {
            form: "document".into(),
            errors,
            kept: vec![("titre".into(), title), ("message".into(), typed_message)],
            notice: None,
            files: Vec::new(),
        };
        return back_with(&session, id, flash, "document", files, &anchor).await;
    }
    let Some(doc) = files.first().and_then(|k| {
        Some(NewDocument {
            title: title.clone(),
            original_name: k.name.clone(),
            stored: k.stored()?,
        })
    }) else {
        return error_response(AppError::internal_msg("kept document unreadable"));
    };
    match service::send_document(&state, &account, id, doc, message).await {
        Ok(()) => {
            let flash = Flash {
                form: "document".into(),
                notice: Some(format!(
                    "Le document « {title} » est envoyé : il apparaît dans « Mes documents reçus » des membres du profil, qui sont prévenus par courriel."
                )),
                ..Default::default()
            };
            let _ = session.insert(&flash_key(id), &flash).await;
            Redirect::to(&anchor).into_response()
        }
        Err(e) => {
            forget_unless_unsure(&state, &files, &e).await;
            error_response(e)
        }
    }
}

// ---------------------------------------------------------------- bulk actions

/// `POST /instruction/demarches/{id}/lot`: the bulk actions of a queue.
pub async fn bulk_post(
    State(state): State<AppState>,
    session: Session,
    Path(demarche_id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let page = format!("/instruction/demarches/{demarche_id}");
    let account = match session_instructor(&state, &session).await {
        Ok(a) => a,
        Err(AppError::Unauthenticated) => return sign_in_first(&page),
        Err(e) => return error_response(e),
    };
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ids: Vec<i32> = pairs
        .iter()
        .filter(|(k, _)| k == "dossier")
        .filter_map(|(_, v)| v.parse().ok())
        .take(500)
        .collect();
    // Back to the same tab and filters (only a path of this queue).
    let back = Some(value("retour"))
        .filter(|r| r.starts_with(&format!("{page}?")) || *r == page)
        .unwrap_or_else(|| page.clone());
    let notice = if ids.is_empty() {
        Ok("Aucun dossier sélectionné : cochez les dossiers concernés.".to_owned())
    } else {
        match value("operation").as_str() {
            "instruire" => service::bulk_instruct(&state, &account, demarche_id, &ids)
                .await
                .map(|o| {
                    let mut text = format!("{} dossier(s) passé(s) en instruction.", o.done);
                    if o.skipped > 0 {
                        text.push_str(&format!(
                            " {} dossier(s) laissé(s) tel(s) quel(s) : leur statut ne le permet pas.",
                            o.skipped
                        ));
                    }
                    text
                }),
            "suivre" => service::follow(&state, &account, demarche_id, &ids, true)
                .await
                .map(|n| format!("Vous suivez {n} dossier(s) de plus.")),
            "ne-plus-suivre" => service::follow(&state, &account, demarche_id, &ids, false)
                .await
                .map(|n| format!("Vous ne suivez plus {n} dossier(s).")),
            _ => Ok("Choisissez une action.".to_owned()),
        }
    };
    match notice {
        Ok(notice) => {
            let flash = Flash {
                notice: Some(notice),
                ..Default::default()
            };
            let _ = session.insert(&queue_flash_key(demarche_id), &flash).await;
            Redirect::to(&back).into_response()
        }
        Err(e) => error_response(e),
    }
}

// ---------------------------------------------------------------- export

/// The filters of an export, in words, for the audit log.
fn query_summary(query: &QueueQuery) -> String {
    let parts: Vec<String> = [
        ("onglet", &query.onglet),
        ("statut", &query.statut),
        ("du", &query.du),
        ("au", &query.au),
        ("type", &query.type_profil),
        ("commune", &query.commune),
        ("recherche", &query.q),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} = {v}")))
    .collect();
    if parts.is_empty() {
        "tous les dossiers".into()
    } else {
        parts.join(", ")
    }
}

/// `GET /instruction/demarches/{id}/export.csv`: the dossiers of the queue's filters,
/// every tab included unless one is chosen, as CSV streamed batch by batch.
pub async fn export_csv(
    State(state): State<AppState>,
    session: Session,
    Path(demarche_id): Path<i32>,
    Query(query): Query<QueueQuery>,
) -> Response {
    let page = format!("/instruction/demarches/{demarche_id}");
    let account = match session_instructor(&state, &session).await {
        Ok(a) => a,
        Err(AppError::Unauthenticated) => return sign_in_first(&page),
        Err(e) => return error_response(e),
    };
    let demarche = match service::require_demarche(&state.db, &account, demarche_id).await {
        Ok(d) => d,
        Err(e) => return error_response(e),
    };
    let versions = match super::export::versions(&state.db, demarche_id).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    crate::server::audit::Audit::new(crate::admin::model::AuditAction::DossiersExported)
        .on("demarche", demarche_id, &demarche.title)
        .detail(format!("Export CSV : {}", query_summary(&query)))
        .write_logged(&state.db, &crate::server::audit::Actor::of(&account).await)
        .await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let db = state.db.clone();
    let account_id = account.id;
    tokio::spawn(async move {
        if let Err(e) =
            super::export::write(&db, demarche_id, account_id, &query, &versions, &tx).await
        {
            tracing::error!(error = ?e, "CSV export failed");
            let _ = tx
                .send(Err(std::io::Error::other("export interrompu")))
                .await;
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let slug = demarche.slug.clone();
    let today = crate::server::db::today();
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"dossiers-{slug}-{today}.csv\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

// ---------------------------------------------------------------- downloads

fn download(name: &str, kind: &str, size: i64, body: Body) -> Response {
    let mime = FileKind::from_extension(kind)
        .map(FileKind::mime)
        .unwrap_or("application/octet-stream");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"document.{kind}\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&size.to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

/// `GET /documents/{id}`: a received document (members of its profile, marked read;
/// the instructors of its dossier).
pub async fn document_download(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
) -> Response {
    let account = match session_account(&state, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return sign_in_first("/mon-compte/documents"),
        Err(e) => return error_response(e),
    };
    let result = async {
        let doc = service::document_for_download(&state, &account, id).await?;
        let stream = state.storage.stream(&doc.storage_key).await?;
        Ok::<_, AppError>((doc, stream))
    }
    .await;
    match result {
        Ok((doc, stream)) => download(
            &doc.original_name,
            "pdf",
            doc.size_bytes,
            Body::from_stream(stream),
        ),
        Err(e) => error_response(e),
    }
}

/// `GET /messages/pieces/{id}`: a file of a message.
pub async fn message_file_download(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
) -> Response {
    let account = match session_account(&state, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return sign_in_first("/mon-compte/dossiers"),
        Err(e) => return error_response(e),
    };
    let result = async {
        let file = service::message_file_for_download(&state, &account, id).await?;
        let stream = state.storage.stream(&file.storage_key).await?;
        Ok::<_, AppError>((file, stream))
    }
    .await;
    match result {
        Ok((f, stream)) => download(
            &f.original_name,
            &f.kind,
            f.size_bytes,
            Body::from_stream(stream),
        ),
        Err(e) => error_response(e),
    }
}
