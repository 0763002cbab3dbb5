//! Server functions of dossiers. Each one first asks who is calling
//! (`require_user`, or `require_verified` to file); the service then checks that the
//! dossier belongs to one of the caller's profiles (404 otherwise).

use leptos::prelude::*;

use super::model::{DossierList, DossierView, DraftRow, FillPage, ReviewView, StartOptions};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::service;
    pub use crate::server::auth;
    pub use crate::server::respond;
    pub use crate::server::state::app_state;

    /// The session key of the notices of the last upload of a dossier (refused files).
    pub fn notices_key(dossier_id: i32) -> String {
        format!("dossier_notices:{dossier_id}")
    }
}
#[cfg(feature = "ssr")]
pub use ssr::notices_key;
#[cfg(feature = "ssr")]
use ssr::*;

/// « Commencer la démarche »: the profiles the person may file for.
#[server]
pub async fn start_choices(slug: String) -> Result<StartOptions, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::start_options(&app_state()?, &account, &slug).await
        }
        .await,
    )
}

/// Starts a draft and opens its first page.
#[server]
pub async fn start_dossier(slug: String, profil: Option<i32>) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_verified().await?;
            let id = service::start(&app_state()?, &account, &slug, profil).await?;
            leptos_axum::redirect(&format!("/dossiers/{id}/etape/1"));
            Ok(())
        }
        .await,
    )
}

/// A page of a draft. `check` shows the page's errors (after « Page suivante » with
/// missing answers).
#[server]
pub async fn draft_page(id: i32, page: usize, check: bool) -> Result<FillPage, AppError> {
    respond(
        async move {
            let account = auth::require_verified().await?;
            let session = auth::session().await?;
            let notices: Vec<String> = session
                .get(&notices_key(id))
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let fill =
                service::fill_page(&app_state()?, &account, id, page, check, notices).await?;
            // Shown once.
            let _ = session.remove::<Vec<String>>(&notices_key(id)).await;
            Ok(fill)
        }
        .await,
    )
}

/// « Vérifiez vos réponses ».
#[server]
pub async fn review_dossier(id: i32) -> Result<ReviewView, AppError> {
    respond(
        async move {
            let account = auth::require_verified().await?;
            service::review(&app_state()?, &account, id).await
        }
        .await,
    )
}

/// « Transmettre ».
#[server]
pub async fn submit_dossier(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_verified().await?;
            service::submit(&app_state()?, &account, id).await?;
            leptos_axum::redirect(&format!(
                "/mon-compte/dossiers/{id}?message=dossier-transmis"
            ));
            Ok(())
        }
        .await,
    )
}

/// « Mes brouillons ».
#[server]
pub async fn my_drafts() -> Result<Vec<DraftRow>, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::drafts(&app_state()?, &account).await
        }
        .await,
    )
}

/// « Mes dossiers »: page `page` (from 1; past the last, the last).
#[server]
pub async fn my_dossiers(page: u32) -> Result<DossierList, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::dossiers(&app_state()?, &account, page).await
        }
        .await,
    )
}

/// A filed dossier.
#[server]
pub async fn get_dossier(id: i32) -> Result<DossierView, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            let mut view = service::detail(&app_state()?, &account, id).await?;
            // The last message form's result, once (read after the membership check).
            let session = auth::session().await?;
            view.flash = crate::backoffice::api::take_flash(
                &session,
                &crate::backoffice::api::flash_key(id),
            )
            .await;
            Ok(view)
        }
        .await,
    )
}

/// « Supprimer » a draft (after the confirmation page).
#[server]
pub async fn delete_draft(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::delete_draft(&app_state()?, &account, id).await?;
            leptos_axum::redirect("/mon-compte/brouillons?message=brouillon-supprime");
            Ok(())
        }
        .await,
    )
}

/// « Dupliquer » a dossier into a new draft.
#[server]
pub async fn duplicate_dossier(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_verified().await?;
            let new_id = service::duplicate(&app_state()?, &account, id).await?;
            leptos_axum::redirect(&format!(
                "/dossiers/{new_id}/etape/1?message=dossier-duplique"
            ));
            Ok(())
        }
        .await,
    )
}
