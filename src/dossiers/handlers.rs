//! Plain axum handlers of dossiers: a form page's post (answers and files in one
//! multipart body, so that attaching works without JavaScript), attachment downloads
//! and the PDF copy. Each handler finds the account of the session and lets the
//! service check that the dossier belongs to one of its profiles.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::Field as Part;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::{ActiveValue::NotSet, EntityTrait, Set};
use serde::Serialize;
use tower_sessions::Session;

use super::model::FileRow;
use super::service;
use crate::error::AppError;
use crate::forms::{self, FieldKind, FormPage};
use crate::server::auth::session_account;
use crate::server::db::now;
use crate::server::entities::{account, dossier_file};
use crate::server::simple_page;
use crate::server::state::AppState;
use crate::server::uploads::{clean_name, intake};

/// At most this much text in one page's post (answers, not files).
const MAX_TEXT_BYTES: usize = 1_000_000;
const MAX_TEXT_FIELDS: usize = 2_000;

/// What the page's script receives instead of a redirect.
#[derive(Serialize)]
pub struct PostOutcome {
    pub redirect: String,
    pub notices: Vec<String>,
    pub files: Vec<FileRow>,
}

/// What a form page's button asks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Next,
    Previous,
    Save,
    Autosave,
    Attach(String),
    RemoveFile(i32),
    AddItem(String),
    RemoveItem(String, usize),
    Review,
}

impl Action {
    fn parse(value: &str) -> Action {
        let value = value.trim();
        if let Some(path) = value.strip_prefix("joindre:") {
            return Action::Attach(path.to_owned());
        }
        if let Some(id) = value.strip_prefix("retirer:") {
            return id.parse().map(Action::RemoveFile).unwrap_or(Action::Save);
        }
        if let Some(group) = value.strip_prefix("ajouter:") {
            return Action::AddItem(group.to_owned());
        }
        if let Some(rest) = value.strip_prefix("retirer-element:") {
            return match rest.rsplit_once(':') {
                Some((group, index)) => index
                    .parse()
                    .map(|i| Action::RemoveItem(group.to_owned(), i))
                    .unwrap_or(Action::Save),
                None => Action::Save,
            };
        }
        match value {
            "precedente" => Action::Previous,
            "enregistrer" => Action::Save,
            "autosave" => Action::Autosave,
            "verification" => Action::Review,
            // « Page suivante », and Enter pressed in a text field.
            _ => Action::Next,
        }
    }
}

/// The attachment field a file input posts to, with its limits (files, megabytes per
/// file): `key` or `group.index.key` (for a group on this page).
fn attachment_limit(page: &FormPage, path: &str) -> Option<(u8, Option<u32>)> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let field = page.fields.iter().find(|f| f.key == first)?;
    match (&field.kind, parts.next(), parts.next(), parts.next()) {
        (
            FieldKind::Attachment {
                max_files,
                max_size_mb,
            },
            None,
            None,
            None,
        ) => Some((*max_files, *max_size_mb)),
        (FieldKind::Group { fields, .. }, Some(index), Some(key), None) => {
            index.parse::<usize>().ok()?;
            match fields.iter().find(|f| f.key == key)?.kind {
                FieldKind::Attachment {
                    max_files,
                    max_size_mb,
                } => Some((max_files, max_size_mb)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Streams one file part into the storage (checked by the scanner), then records it.
/// Returns the new row's id, or the French reason it was refused (nothing of it is kept).
async fn store_file(
    state: &AppState,
    dossier_id: i32,
    account: &account::Model,
    path: &str,
    name: &str,
    max_bytes: Option<u64>,
    part: &mut Part<'_>,
) -> Result<Result<i32, String>, AppError> {
    let stored = match intake(state, &format!("dossiers/{dossier_id}"), name, part).await? {
        Ok(stored) => stored,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // The démarche may accept smaller files than the portal does for this question.
    if let Some(max) = max_bytes
        && stored.size > max
    {
        state.storage.delete(&stored.key).await?;
        return Ok(Err(format!(
            "Le fichier « {name} » n’a pas été ajouté : il dépasse {} Mo, la taille maximale pour cette question.",
            max / 1_000_000
        )));
    }
    let row = dossier_file::ActiveModel {
        id: NotSet,
        dossier_id: Set(dossier_id),
        field_path: Set(path.to_owned()),
        storage_key: Set(stored.key.clone()),
        original_name: Set(name.to_owned()),
        kind: Set(stored.kind.extension().to_owned()),
        size_bytes: Set(stored.size as i64),
        sha256: Set(stored.sha256),
        uploaded_by: Set(Some(account.id)),
        created_at: Set(now()),
    };
    // On an error the row may still have been written (a connection lost after the
    // commit): the file stays, and the upload cleaner removes it later if no row
    // records it. Deleting it here could leave a row without its file.
    let inserted = dossier_file::Entity::insert(row).exec(&state.db).await?;
    Ok(Ok(inserted.last_insert_id))
}

/// `POST /dossiers/{id}/etape/{page}`: saves the page's answers, stores the files
/// attached, then does what the button asks (next page, previous page, save, attach,
/// remove a file, add or remove an item of a repeated group).
pub async fn page_post(
    State(state): State<AppState>,
    session: Session,
    Path((id, number)): Path<(i32, usize)>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let xhr = headers.contains_key("x-guichet-xhr");
    let here = format!("/dossiers/{id}/etape/{number}");
    match handle_page_post(&state, &session, id, number, multipart).await {
        Ok(outcome) => {
            // Kept for the page shown next (after the redirect, or the script's reload).
            if !outcome.notices.is_empty()
                && let Err(e) = session
                    .insert(&super::api::notices_key(id), &outcome.notices)
                    .await
            {
                tracing::warn!(error = %e, "could not keep the upload notices");
            }
            if xhr {
                Json(outcome).into_response()
            } else {
                Redirect::to(&outcome.redirect).into_response()
            }
        }
        Err(AppError::Unauthenticated) => {
            if xhr {
                StatusCode::UNAUTHORIZED.into_response()
            } else {
                Redirect::to(&format!("/connexion?retour={here}")).into_response()
            }
        }
        Err(e) => {
            if xhr {
                (
                    StatusCode::from_u16(e.status_code())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    Json(e),
                )
                    .into_response()
            } else {
                // The page itself says what is wrong (transmitted, gone, unreachable…).
                Redirect::to(&here).into_response()
            }
        }
    }
}

async fn handle_page_post(
    state: &AppState,
    session: &Session,
    id: i32,
    number: usize,
    mut multipart: Multipart,
) -> Result<PostOutcome, AppError> {
    let account = session_account(state, session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if account.email_verified_at.is_none() {
        return Err(AppError::EmailNotVerified);
    }
    let row = service::load_editable(&state.db, &account, id).await?;
    let (_, def) = service::form_of(&state.db, &row).await?;
    let index = number.checked_sub(1).ok_or_else(AppError::not_found)?;
    let page = def
        .pages
        .get(index)
        .ok_or_else(AppError::not_found)?
        .clone();

    let mut existing = service::counts(&service::files_of(&state.db, id).await?);
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut text_bytes = 0usize;
    let mut action = Action::Next;
    let mut notices = Vec::new();
    let mut stored: Vec<i32> = Vec::new();
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                // A cut connection: saving half a page would erase answers that did not
                // arrive. Nothing is saved; the files that did arrive are removed.
                tracing::info!(error = %e, "unreadable form post");
                remove_stored(state, &stored).await;
                return Err(AppError::Transport(e.to_string()));
            }
        };
        let name = part.name().unwrap_or_default().to_owned();
        if let Some(path) = name.strip_prefix("fichier:") {
            let file_name = part.file_name().map(clean_name);
            let Some(file_name) = file_name.filter(|_| {
                // A file input left empty sends a part without a name.
                part.file_name().is_some_and(|n| !n.is_empty())
            }) else {
                continue;
            };
            let Some((limit, max_mb)) = attachment_limit(&page, path) else {
                continue;
            };
            let count = existing.get(path).copied().unwrap_or(0);
            if count >= usize::from(limit) {
                notices.push(format!(
                    "Le fichier « {file_name} » n’a pas été ajouté : vous avez déjà joint {limit} fichier(s), le maximum pour cette question. Retirez-en un pour le remplacer."
                ));
                continue;
            }
            let max_bytes = max_mb.map(|mb| u64::from(mb) * 1_000_000);
            match store_file(state, id, &account, path, &file_name, max_bytes, &mut part).await {
                Ok(Ok(file_id)) => {
                    stored.push(file_id);
                    *existing.entry(path.to_owned()).or_default() += 1;
                }
                Ok(Err(notice)) => notices.push(notice),
                // The storage is out of reach: the page's answers are still saved, and
                // the person is told to send this file again in a moment.
                Err(AppError::Unavailable) => notices.push(format!(
                    "Le fichier « {file_name} » n’a pas pu être enregistré : le service est momentanément indisponible. Vos réponses sont enregistrées ; joignez ce fichier de nouveau dans quelques instants."
                )),
                Err(e) => return Err(e),
            }
            continue;
        }
        let value = match part.text().await {
            Ok(value) => value,
            Err(e) => {
                tracing::info!(error = %e, "unreadable form field");
                continue;
            }
        };
        text_bytes += value.len() + name.len();
        if text_bytes > MAX_TEXT_BYTES || pairs.len() >= MAX_TEXT_FIELDS {
            return Err(AppError::field(
                "formulaire",
                "Ce formulaire est trop long pour être enregistré.",
            ));
        }
        if name == "action" {
            action = Action::parse(&value);
        } else {
            pairs.push((name, value));
        }
    }

    let group_edit = action.clone();
    let edited_page = page.clone();
    let saved = service::save_page(
        state,
        &account,
        id,
        index,
        &pairs,
        move |a| match group_edit {
            Action::AddItem(group) => {
                if let Some(field) = edited_page.fields.iter().find(|f| f.key == group) {
                    forms::add_group_item(field, a);
                }
            }
            Action::RemoveItem(group, i) => {
                forms::remove_group_item(a, &group, i);
            }
            _ => {}
        },
    )
    .await;
    let (def, answers) = match saved {
        Ok((_, def, answers)) => (def, answers),
        Err(e) => {
            // Submitted meanwhile: the files of this post do not join it.
            remove_stored(state, &stored).await;
            return Err(e);
        }
    };
    let here = service::page_path(id, index);
    let redirect = match &action {
        Action::Next => {
            let files = service::counts(&service::files_of(&state.db, id).await?);
            let errors =
                forms::validate_page_at(&def, index, &answers, &files, &crate::server::db::today());
            if errors.is_empty() {
                match service::next_page(&def, &answers, index) {
                    Some(next) => service::page_path(id, next),
                    None => service::review_path(id),
                }
            } else {
                format!("{here}?erreurs=1")
            }
        }
        Action::Previous => match service::previous_page(&def, &answers, index) {
            Some(previous) => service::page_path(id, previous),
            None => here,
        },
        Action::Save => format!("{here}?message=brouillon-enregistre"),
        Action::Autosave => here,
        Action::Review => service::review_path(id),
        Action::Attach(path) => format!("{here}#{}", anchor(path)),
        Action::RemoveFile(file_id) => {
            service::remove_file(state, &account, id, *file_id).await?;
            format!("{here}?message=fichier-retire")
        }
        Action::AddItem(group) => {
            let count = match answers.0.get(group) {
                Some(forms::Value::Group(items)) => items.len(),
                _ => 1,
            };
            format!(
                "{here}#{}",
                anchor(&format!("{group}.{}", count.saturating_sub(1)))
            )
        }
        Action::RemoveItem(group, removed) => {
            service::shift_group_files(state, id, group, *removed).await?;
            format!("{here}#{}", anchor(group))
        }
    };
    let files = service::files_of(&state.db, id).await?;
    Ok(PostOutcome {
        redirect,
        notices,
        files: files.iter().map(service::file_row).collect(),
    })
}

/// Removes the files stored by a post that did not go through: each row first, then
/// its file, only once the row is surely gone (otherwise the file stays, and the
/// upload cleaner removes it later if no row records it).
async fn remove_stored(state: &AppState, ids: &[i32]) {
    for id in ids {
        let Ok(Some(file)) = dossier_file::Entity::find_by_id(*id).one(&state.db).await else {
            continue;
        };
        if dossier_file::Entity::delete_by_id(file.id)
            .exec(&state.db)
            .await
            .is_err()
        {
            continue;
        }
        if let Err(e) = state.storage.delete(&file.storage_key).await {
            tracing::warn!(key = %file.storage_key, error = %e, "file not removed");
        }
    }
}

/// An address anchor made only of safe characters (it goes into a `Location` header).
fn anchor(name: &str) -> String {
    forms::input_id(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

/// `filename*` of RFC 6266: the UTF-8 name, percent-encoded.
fn encode_rfc5987(name: &str) -> String {
    let mut out = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn sign_in_first(path: &str) -> Response {
    Redirect::to(&format!("/connexion?retour={path}")).into_response()
}

fn error_response(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::NOT_FOUND);
    let title = match error {
        AppError::NotFound(_) => "Fichier introuvable",
        AppError::Internal => "Erreur technique",
        AppError::Unavailable => "Service momentanément indisponible",
        _ => "Accès refusé",
    };
    simple_page(status, title, &error.to_string())
}

/// `GET /pieces/{id}`: an attachment, to the members of the dossier's profile only,
/// always as a download (never shown inline by the browser).
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path(file_id): Path<i32>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    // « Ouvrir »: shown by the browser (its PDF viewer, or the image) instead of saved.
    // Only the four kinds the scanner accepted reach here, served with their own type
    // and `nosniff`; a PDF with JavaScript or embedded files was refused at upload.
    let inline = query.contains_key("apercu");
    let account = match session_account(&state, &session).await {
        Ok(Some(account)) => account,
        Ok(None) => return sign_in_first(&format!("/pieces/{file_id}")),
        Err(e) => return error_response(e),
    };
    let result = async {
        let file = dossier_file::Entity::find_by_id(file_id)
            .one(&state.db)
            .await?
            .ok_or_else(AppError::not_found)?;
        // Members of the profile; and the instructors of a filed dossier (checked with
        // the second factor of their session).
        if service::load_for_member(&state.db, &account, file.dossier_id)
            .await
            .is_err()
        {
            let instructor = crate::server::auth::session_instructor(&state, &session).await;
            match instructor {
                Ok(a) => {
                    crate::backoffice::service::require_dossier(&state.db, &a, file.dossier_id)
                        .await?;
                }
                Err(_) => return Err(AppError::not_found()),
            }
        }
        let stream = state.storage.stream(&file.storage_key).await?;
        Ok::<_, AppError>((file, stream))
    }
    .await;
    let (file, stream) = match result {
        Ok(found) => found,
        Err(e) => return error_response(e),
    };
    let mime = match file.kind.as_str() {
        "pdf" => "application/pdf",
        "jpeg" | "jpg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };
    let disposition = format!(
        "{}; filename=\"piece-{}.{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        file.id,
        file.kind,
        encode_rfc5987(&file.original_name)
    );
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&file.size_bytes.to_string()) {
        headers.insert(header::CONTENT_LENGTH, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        // The browser's PDF viewer does not run in a sandboxed document.
        HeaderValue::from_static(if inline && file.kind == "pdf" {
            "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'"
        } else {
            "default-src 'none'; sandbox"
        }),
    );
    response
}

/// `GET /mon-compte/dossiers/{id}/copie.pdf`: « Télécharger » the PDF copy.
pub async fn pdf_copy(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i32>,
) -> Response {
    let account = match session_account(&state, &session).await {
        Ok(Some(account)) => account,
        Ok(None) => return sign_in_first(&format!("/mon-compte/dossiers/{id}")),
        Err(e) => return error_response(e),
    };
    match service::pdf_copy(&state, &account, id).await {
        Ok((number, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"dossier-{number}.pdf\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_response(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_parsed() {
        assert_eq!(Action::parse("suivante"), Action::Next);
        assert_eq!(Action::parse("precedente"), Action::Previous);
        assert_eq!(
            Action::parse("joindre:devis"),
            Action::Attach("devis".into())
        );
        assert_eq!(Action::parse("retirer:12"), Action::RemoveFile(12));
        assert_eq!(
            Action::parse("retirer-element:enfants:1"),
            Action::RemoveItem("enfants".into(), 1)
        );
        assert_eq!(Action::parse("n’importe quoi"), Action::Next);
    }

    #[test]
    fn names_are_cleaned_and_encoded() {
        assert_eq!(clean_name("C:\\Users\\moi\\devis.pdf"), "devis.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("\u{7}"), "fichier");
        assert_eq!(encode_rfc5987("é t.pdf"), "%C3%A9%20t.pdf");
    }
}
