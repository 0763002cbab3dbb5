//! Server functions of the back-office. Each one first asks `server::auth` for an
//! instructor (with the second factor), then the service checks that the démarche or
//! the dossier belongs to one of the instructor's services (404 otherwise).

use leptos::prelude::*;

use super::model::{
    DemarcheCounts, Flash, InstructionView, MessageRow, QueuePage, QueueQuery, ReceivedRow,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::service;
    pub use crate::server::auth;
    pub use crate::server::respond;
    pub use crate::server::state::app_state;
    use tower_sessions::Session;

    use super::Flash;

    /// The session key of the flash of a dossier's forms (sent without JavaScript).
    pub fn flash_key(dossier_id: i32) -> String {
        format!("flash:dossier:{dossier_id}")
    }

    /// The session key of the notice of a queue's bulk action.
    pub fn queue_flash_key(demarche_id: i32) -> String {
        format!("flash:queue:{demarche_id}")
    }

    /// Reads and forgets a flash.
    pub async fn take_flash(session: &Session, key: &str) -> Flash {
        let flash: Option<Flash> = session.get(key).await.ok().flatten();
        if flash.is_some() {
            let _ = session.remove::<Flash>(key).await;
        }
        flash.unwrap_or_default()
    }
}
#[cfg(feature = "ssr")]
use ssr::*;
#[cfg(feature = "ssr")]
pub use ssr::{flash_key, queue_flash_key, take_flash};

/// « Instruction »: the démarches the instructor handles, with their counts.
#[server]
pub async fn instruction_home() -> Result<Vec<DemarcheCounts>, AppError> {
    respond(
        async move {
            let account = auth::require_instructor().await?;
            service::home(&app_state()?, &account).await
        }
        .await,
    )
}

/// A démarche's queue with the page's filters.
#[server]
pub async fn instruction_queue(
    id: i32,
    #[server(default)] query: QueueQuery,
) -> Result<QueuePage, AppError> {
    respond(
        async move {
            let account = auth::require_instructor().await?;
            let session = auth::session().await?;
            let notice = take_flash(&session, &queue_flash_key(id)).await.notice;
            service::queue(&app_state()?, &account, id, query, notice).await
        }
        .await,
    )
}

/// A dossier in the back-office.
#[server]
pub async fn instruction_dossier(id: i32) -> Result<InstructionView, AppError> {
    respond(
        async move {
            let account = auth::require_instructor().await?;
            let state = app_state()?;
            // Checked before the flash is consumed.
            service::require_dossier(&state.db, &account, id).await?;
            let session = auth::session().await?;
            let flash = take_flash(&session, &flash_key(id)).await;
            service::detail(&state, &account, id, flash).await
        }
        .await,
    )
}

/// « Suivre » / « Ne plus suivre » a dossier.
#[server]
pub async fn follow_dossier(id: i32, suivre: bool) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_instructor().await?;
            let state = app_state()?;
            let row = service::require_dossier(&state.db, &account, id).await?;
            service::follow(&state, &account, row.demarche_id, &[id], suivre).await?;
            leptos_axum::redirect(&format!("/instruction/dossiers/{id}#suivi"));
            Ok(())
        }
        .await,
    )
}

/// A private annotation on a dossier (instructors only).
#[server]
pub async fn annotate_dossier(id: i32, annotation: String) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_instructor().await?;
            service::annotate(&app_state()?, &account, id, &annotation)
                .await
                .map_err(|e| match e {
                    AppError::Validation(errors) => AppError::Invalid {
                        errors,
                        kept: vec![("annotation".into(), annotation.clone())],
                    },
                    e => e,
                })?;
            leptos_axum::redirect(&format!("/instruction/dossiers/{id}#annotations"));
            Ok(())
        }
        .await,
    )
}

/// The message thread of one of the person's dossiers, with the last form's flash.
#[server]
pub async fn citizen_thread(id: i32) -> Result<(Vec<MessageRow>, Flash), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            let state = app_state()?;
            let row = crate::dossiers::service::load_for_member(&state.db, &account, id).await?;
            let session = auth::session().await?;
            let flash = take_flash(&session, &flash_key(row.id)).await;
            Ok((service::thread(&state.db, id).await?, flash))
        }
        .await,
    )
}

/// « Mes documents reçus ».
#[server]
pub async fn received_documents() -> Result<Vec<ReceivedRow>, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::received(&app_state()?, &account).await
        }
        .await,
    )
}
