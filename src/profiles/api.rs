//! Server functions of profiles. Each one first checks who is calling and what they may
//! touch: `require_user` for one's own list, `require_member` / `require_manager` for a
//! profile. A profile the caller is not a member of answers 404.

use leptos::prelude::*;

use super::model::{Composition, NewShare, ProfileCard, ProfileDetail};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::service::{self, Change, ProfileForm};
    pub use crate::server::auth;
    pub use crate::server::respond;
    pub use crate::server::state::app_state;

    pub fn flash_key(profile_id: i32) -> String {
        format!("new_share:{profile_id}")
    }

    pub fn composition_path(profile_id: i32) -> String {
        format!("/mon-compte/profils/{profile_id}/composition")
    }
}
#[cfg(feature = "ssr")]
use ssr::*;

/// « Mes profils ».
#[server]
pub async fn my_profiles() -> Result<Vec<ProfileCard>, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::list(&app_state()?, &account).await
        }
        .await,
    )
}

/// « Ajouter un profil »: the creator becomes its first manager.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn create_profile(
    kind: Option<String>,
    name: String,
    siret: String,
    address_line: String,
    postal_code: String,
    commune: String,
    function: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            let form = ProfileForm {
                kind: kind.unwrap_or_default(),
                name,
                siret,
                address_line,
                postal_code,
                commune,
            };
            let id = service::create(&app_state()?, &account, form, &function).await?;
            leptos_axum::redirect(&format!("/mon-compte/profils/{id}?message=profil-cree"));
            Ok(())
        }
        .await,
    )
}

/// « Rejoindre un profil existant » → « Envoyer ».
#[server]
pub async fn join_profile(key: String, join_function: String) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            let id = service::join(&app_state()?, &account, &key, &join_function).await?;
            leptos_axum::redirect(&format!("{}?message=profil-rejoint", composition_path(id)));
            Ok(())
        }
        .await,
    )
}

/// « Informations » of a profile (members only).
#[server]
pub async fn get_profile(profile_id: i32) -> Result<ProfileDetail, AppError> {
    respond(
        async move {
            let (account, me) = auth::require_member(profile_id).await?;
            service::detail(&app_state()?, &account, &me).await
        }
        .await,
    )
}

/// Changes « Informations » (managers only).
#[server]
pub async fn update_profile(
    profile_id: i32,
    name: String,
    siret: String,
    address_line: String,
    postal_code: String,
    commune: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (account, _) = auth::require_manager(profile_id).await?;
            let form = ProfileForm {
                kind: String::new(),
                name,
                siret,
                address_line,
                postal_code,
                commune,
            };
            service::update(&app_state()?, &account, profile_id, form).await?;
            leptos_axum::redirect(&format!(
                "/mon-compte/profils/{profile_id}?message=profil-modifie"
            ));
            Ok(())
        }
        .await,
    )
}

/// « Composition »: members, and the shares for managers.
#[server]
pub async fn profile_composition(profile_id: i32) -> Result<Composition, AppError> {
    respond(
        async move {
            let (account, me) = auth::require_member(profile_id).await?;
            service::composition(&app_state()?, &account, &me).await
        }
        .await,
    )
}

/// « Ajouter un partage » (managers only). The key is kept in the session until the
/// page shows it, once: it never appears in an address or in the database.
#[server]
pub async fn add_share(profile_id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (account, _) = auth::require_manager(profile_id).await?;
            let share = service::add_share(&app_state()?, &account, profile_id).await?;
            let session = auth::session().await?;
            session
                .insert(&flash_key(profile_id), &share)
                .await
                .map_err(|e| AppError::internal("session write failed", &e))?;
            leptos_axum::redirect(&format!(
                "{}?partage=nouveau#nouvelle-cle",
                composition_path(profile_id)
            ));
            Ok(())
        }
        .await,
    )
}

/// The key just generated, taken out of the session: a second call returns nothing.
#[server]
pub async fn take_new_share(profile_id: i32) -> Result<Option<NewShare>, AppError> {
    respond(
        async move {
            auth::require_manager(profile_id).await?;
            let session = auth::session().await?;
            session
                .remove::<NewShare>(&flash_key(profile_id))
                .await
                .map_err(|e| AppError::internal("session read failed", &e))
        }
        .await,
    )
}

/// Revokes an active share (managers only).
#[server]
pub async fn revoke_share(profile_id: i32, share_id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (account, _) = auth::require_manager(profile_id).await?;
            service::revoke_share(&app_state()?, &account, profile_id, share_id).await?;
            leptos_axum::redirect(&format!(
                "{}?message=partage-revoque",
                composition_path(profile_id)
            ));
            Ok(())
        }
        .await,
    )
}

/// Removes a member, makes a member manager, steps down or leaves: `action` is
/// `retirer`, `nommer`, `se-retirer` or `quitter`.
#[server]
pub async fn change_member(
    profile_id: i32,
    member_id: i32,
    action: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (account, me) = auth::require_member(profile_id).await?;
            let change = match action.as_str() {
                "retirer" => Change::Remove,
                "nommer" => Change::Promote,
                "se-retirer" => Change::StepDown,
                "quitter" => Change::Leave,
                _ => return Err(AppError::not_found()),
            };
            service::change(&app_state()?, &account, &me, member_id, change).await?;
            if change == Change::Leave {
                leptos_axum::redirect("/mon-compte/profils?message=profil-quitte");
            } else {
                leptos_axum::redirect(&format!(
                    "{}?message=composition-modifiee",
                    composition_path(profile_id)
                ));
            }
            Ok(())
        }
        .await,
    )
}

/// A member's choice: receive the receipts of dossiers filed by the other members.
#[server]
pub async fn set_receipts(profile_id: i32, receipts: Option<String>) -> Result<(), AppError> {
    respond(
        async move {
            let (_, me) = auth::require_member(profile_id).await?;
            service::set_receipts(&app_state()?, &me, receipts.is_some()).await?;
            leptos_axum::redirect(&format!(
                "/mon-compte/profils/{profile_id}?message=preferences-enregistrees"
            ));
            Ok(())
        }
        .await,
    )
}
