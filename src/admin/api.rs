//! Server functions of the administration. Each one first asks `server::auth` for an
//! administrator (with the second factor); every write is recorded in the audit log by
//! the service. Forms post here without JavaScript too: a success redirects to the
//! page to show next (with a notice kept in the session), an error goes back to the
//! form with the typed values.

use leptos::prelude::*;

use super::model::{
    AdminDemarcheRow, AuditPage, AuditQuery, DemarcheEditor, DemarcheSettings, FeaturedRow,
    FieldEditor, FieldSettings, PageEditor, ServiceDetail, ServiceRow, UserDetail, UserPage,
    UserQuery,
};
use crate::error::AppError;
use crate::forms::FormDefinition;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::{builder, service};
    pub use crate::server::audit::Actor;
    pub use crate::server::auth;
    pub use crate::server::respond;
    pub use crate::server::state::app_state;

    use crate::error::AppError;

    const NOTICE: &str = "flash:admin";

    /// Keeps a notice for the next page shown.
    pub async fn notice(text: impl Into<String>) {
        if let Ok(session) = auth::session().await {
            let _ = session.insert(NOTICE, text.into()).await;
        }
    }

    /// Reads and forgets the notice.
    pub async fn take_notice() -> Option<String> {
        let session = auth::session().await.ok()?;
        let notice: Option<String> = session.get(NOTICE).await.ok().flatten();
        if notice.is_some() {
            let _ = session.remove::<String>(NOTICE).await;
        }
        notice
    }

    /// The administrator and their audit identity.
    pub async fn admin() -> Result<(crate::server::entities::account::Model, Actor), AppError> {
        let account = auth::require_admin().await?;
        let actor = Actor::of(&account).await;
        Ok((account, actor))
    }

    /// Names the field errors as the inputs of a struct argument (`settings[title]`).
    pub fn prefixed(error: AppError) -> AppError {
        match error {
            AppError::Invalid { errors, kept } => AppError::Invalid {
                errors: errors
                    .into_iter()
                    .map(|e| crate::error::FieldError {
                        field: format!("settings[{}]", e.field),
                        message: e.message,
                    })
                    .collect(),
                kept,
            },
            e => e,
        }
    }

    /// A builder's error as field errors of the form that sent it.
    pub fn invalid(errors: Vec<crate::error::FieldError>, kept: Vec<(String, String)>) -> AppError {
        AppError::Invalid { errors, kept }
    }
}
#[cfg(feature = "ssr")]
use ssr::*;

// ---------------------------------------------------------------- démarches

#[server]
pub async fn admin_demarches() -> Result<Vec<AdminDemarcheRow>, AppError> {
    respond(
        async move {
            admin().await?;
            service::list(&app_state()?.db).await
        }
        .await,
    )
}

#[server]
pub async fn admin_demarche(id: i32) -> Result<DemarcheEditor, AppError> {
    respond(
        async move {
            admin().await?;
            let notice = take_notice().await;
            service::editor(&app_state()?, id, notice).await
        }
        .await,
    )
}

/// « Créer la démarche ».
#[server]
pub async fn create_demarche(settings: DemarcheSettings) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let id = service::create(&app_state()?, &actor, &settings)
                .await
                .map_err(prefixed)?;
            notice("La démarche est créée, en brouillon : construisez son formulaire, puis publiez-la.").await;
            leptos_axum::redirect(&format!("/admin/demarches/{id}/formulaire"));
            Ok(())
        }
        .await,
    )
}

/// « Enregistrer » the description.
#[server]
pub async fn update_demarche(id: i32, settings: DemarcheSettings) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            service::update(&app_state()?, &actor, id, &settings)
                .await
                .map_err(prefixed)?;
            notice("La description est enregistrée.").await;
            leptos_axum::redirect(&format!("/admin/demarches/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn duplicate_demarche(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let new_id = service::duplicate(&app_state()?, &actor, id).await?;
            notice("La copie est créée, en brouillon : modifiez son titre et son adresse.").await;
            leptos_axum::redirect(&format!("/admin/demarches/{new_id}"));
            Ok(())
        }
        .await,
    )
}

/// « Publier »: checks the form and freezes it as a new version.
#[server]
pub async fn publish_demarche(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::publish(&app_state()?, &actor, id).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/demarches/{id}"));
            Ok(())
        }
        .await,
    )
}

/// « Clore » (`ouvrir` false) or « Rouvrir » (`ouvrir` true).
#[server]
pub async fn set_demarche_open(id: i32, ouvrir: bool) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::set_open(&app_state()?, &actor, id, ouvrir).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/demarches/{id}"));
            Ok(())
        }
        .await,
    )
}

/// Attaches a service to a démarche, or detaches it. `retour` is the page to show next
/// (`demarche` or `service`).
#[server]
pub async fn attach_service(
    service_id: i32,
    demarche_id: i32,
    rattacher: bool,
    retour: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            service::attach_service(&app_state()?, &actor, service_id, demarche_id, rattacher)
                .await?;
            let (page, anchor) = if retour == "service" {
                (format!("/admin/services/{service_id}"), "demarches")
            } else {
                (format!("/admin/demarches/{demarche_id}"), "services")
            };
            notice(if rattacher {
                "Le service instruit maintenant cette démarche."
            } else {
                "Le service n’instruit plus cette démarche."
            })
            .await;
            leptos_axum::redirect(&format!("{page}#{anchor}"));
            Ok(())
        }
        .await,
    )
}

// ---------------------------------------------------------------- the form builder

/// The form being edited (builder and preview).
#[server]
pub async fn admin_form(id: i32) -> Result<(DemarcheEditor, FormDefinition), AppError> {
    respond(
        async move {
            admin().await?;
            let notice = take_notice().await;
            let editor = service::editor(&app_state()?, id, notice).await?;
            let def = editor.definition.clone();
            Ok((editor, def))
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn builder_url(id: i32, anchor: &str) -> String {
    format!("/admin/demarches/{id}/formulaire#{anchor}")
}

/// « Ajouter une page ».
#[server]
pub async fn add_page(id: i32, title: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let what = format!("Page ajoutée : « {} »", title.trim());
            let key = service::edit_form(&app_state()?, &actor, id, &what, |def| {
                Ok(builder::add_page(def, &title))
            })
            .await?;
            notice("La page est ajoutée : ajoutez-lui des champs.").await;
            leptos_axum::redirect(&builder_url(id, &format!("page-{key}")));
            Ok(())
        }
        .await,
    )
}

/// The editor of a page (title, introduction, condition).
#[server]
pub async fn admin_page(id: i32, page: String) -> Result<PageEditor, AppError> {
    respond(
        async move {
            admin().await?;
            service::page_editor(&app_state()?, id, &page).await
        }
        .await,
    )
}

/// « Enregistrer la page ».
#[server]
pub async fn save_page(
    id: i32,
    page: String,
    title: String,
    intro: String,
    condition_field: String,
    condition_equals: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let editor = PageEditor {
                demarche_id: id,
                demarche_title: String::new(),
                key: page.clone(),
                title: title.clone(),
                intro: intro.clone(),
                condition_field: condition_field.clone(),
                condition_equals: condition_equals.clone(),
                condition_choices: Vec::new(),
            };
            let what = format!("Page modifiée : « {} »", title.trim());
            service::edit_form(&app_state()?, &actor, id, &what, |def| {
                builder::update_page(def, &page, &editor).map_err(|errors| {
                    invalid(
                        errors,
                        vec![
                            ("title".into(), title.clone()),
                            ("intro".into(), intro.clone()),
                            ("condition_field".into(), condition_field.clone()),
                            ("condition_equals".into(), condition_equals.clone()),
                        ],
                    )
                })
            })
            .await?;
            notice("La page est enregistrée.").await;
            leptos_axum::redirect(&builder_url(id, &format!("page-{page}")));
            Ok(())
        }
        .await,
    )
}

/// « Monter » / « Descendre » a page (`sens`: `haut` or `bas`), or with drag and drop
/// to the place `vers` (from 0).
#[server]
pub async fn move_page(
    id: i32,
    page: String,
    sens: String,
    vers: Option<usize>,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let what = format!("Page déplacée : {page}");
            service::edit_form(&app_state()?, &actor, id, &what, |def| {
                Ok(match vers {
                    Some(to) => builder::move_page(def, &page, to),
                    None => builder::move_page_by(def, &page, if sens == "haut" { -1 } else { 1 }),
                })
            })
            .await?;
            leptos_axum::redirect(&builder_url(id, &format!("page-{page}")));
            Ok(())
        }
        .await,
    )
}

/// « Supprimer la page ».
#[server]
pub async fn remove_page(id: i32, page: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let what = format!("Page supprimée : {page}");
            service::edit_form(&app_state()?, &actor, id, &what, |def| {
                Ok(builder::remove_page(def, &page))
            })
            .await?;
            notice("La page est supprimée.").await;
            leptos_axum::redirect(&builder_url(id, "pages"));
            Ok(())
        }
        .await,
    )
}

/// « Ajouter le champ » to a page (or inside a repeatable group of it).
#[server]
pub async fn add_field(
    id: i32,
    page: String,
    groupe: Option<String>,
    kind: String,
    label: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let group = groupe.filter(|g| !g.is_empty());
            let what = format!("Champ ajouté : « {} »", label.trim());
            let key = service::edit_form(&app_state()?, &actor, id, &what, |def| {
                builder::add_field(def, &page, group.as_deref(), &kind, &label).map_err(|e| {
                    invalid(
                        vec![e],
                        vec![
                            ("kind".into(), kind.clone()),
                            ("label".into(), label.clone()),
                            // Which « Ajouter un champ » form was sent.
                            ("page".into(), page.clone()),
                            ("groupe".into(), group.clone().unwrap_or_default()),
                        ],
                    )
                })
            })
            .await?;
            notice("Le champ est ajouté : réglez-le ci-dessous.").await;
            leptos_axum::redirect(&format!("/admin/demarches/{id}/champs/{key}"));
            Ok(())
        }
        .await,
    )
}

/// The editor of a field.
#[server]
pub async fn admin_field(id: i32, key: String) -> Result<FieldEditor, AppError> {
    respond(
        async move {
            admin().await?;
            let notice = take_notice().await;
            service::field_editor(&app_state()?, id, &key, notice).await
        }
        .await,
    )
}

/// « Enregistrer le champ ».
#[server]
pub async fn save_field(id: i32, key: String, settings: FieldSettings) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let state = app_state()?;
            let max_mb = state.settings.max_file_bytes / 1_000_000;
            let what = format!("Champ modifié : « {} » ({key})", settings.label.trim());
            let new_key = service::edit_form(&state, &actor, id, &what, |def| {
                builder::apply_settings(def, &key, &settings, max_mb)
                    .map_err(|errors| invalid(errors, kept_field(&settings)))
            })
            .await
            .map_err(prefixed)?;
            notice("Le champ est enregistré.").await;
            leptos_axum::redirect(&builder_url(id, &format!("champ-{new_key}")));
            Ok(())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn kept_field(s: &FieldSettings) -> Vec<(String, String)> {
    let on = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        ("key", s.key.clone()),
        ("label", s.label.clone()),
        ("help", s.help.clone()),
        ("required", on(&s.required)),
        ("condition_field", s.condition_field.clone()),
        ("condition_equals", s.condition_equals.clone()),
        ("max_length", s.max_length.clone()),
        ("min", s.min.clone()),
        ("max", s.max.clone()),
        ("integer", on(&s.integer)),
        ("unit", s.unit.clone()),
        ("past_only", on(&s.past_only)),
        ("options", s.options.clone()),
        ("display", s.display.clone()),
        ("max_files", s.max_files.clone()),
        ("max_size_mb", s.max_size_mb.clone()),
        ("add_label", s.add_label.clone()),
        ("item_label", s.item_label.clone()),
        ("min_items", s.min_items.clone()),
        ("max_items", s.max_items.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("settings[{k}]"), v))
    .collect()
}

/// « Monter » / « Descendre » a field in its page or group, or drag and drop to `vers`.
#[server]
pub async fn move_field(
    id: i32,
    key: String,
    sens: String,
    vers: Option<usize>,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let what = format!("Champ déplacé : {key}");
            service::edit_form(&app_state()?, &actor, id, &what, |def| {
                Ok(match vers {
                    Some(to) => builder::move_field(def, &key, to),
                    None => builder::move_field_by(def, &key, if sens == "haut" { -1 } else { 1 }),
                })
            })
            .await?;
            leptos_axum::redirect(&builder_url(id, &format!("champ-{key}")));
            Ok(())
        }
        .await,
    )
}

/// « Supprimer le champ ».
#[server]
pub async fn remove_field(id: i32, key: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let what = format!("Champ supprimé : {key}");
            service::edit_form(&app_state()?, &actor, id, &what, |def| {
                Ok(builder::remove_field(def, &key))
            })
            .await?;
            notice("Le champ est supprimé.").await;
            leptos_axum::redirect(&builder_url(id, "pages"));
            Ok(())
        }
        .await,
    )
}

// ---------------------------------------------------------------- emails

/// « Enregistrer ce courriel »: `kind` is `EmailKind::as_str`.
#[server]
pub async fn save_email(
    id: i32,
    kind: String,
    subject: String,
    body: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let kind = super::model::EmailKind::parse(&kind).ok_or_else(AppError::not_found)?;
            service::save_email(&app_state()?, &actor, id, kind, &subject, &body).await?;
            notice(format!(
                "« {} » : le texte personnalisé est enregistré.",
                kind.label()
            ))
            .await;
            leptos_axum::redirect(&format!(
                "/admin/demarches/{id}/courriels#courriel-{}",
                kind.as_str()
            ));
            Ok(())
        }
        .await,
    )
}

/// « Revenir au texte par défaut ».
#[server]
pub async fn reset_email(id: i32, kind: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let kind = super::model::EmailKind::parse(&kind).ok_or_else(AppError::not_found)?;
            service::reset_email(&app_state()?, &actor, id, kind).await?;
            notice(format!(
                "« {} » : le texte par défaut du portail est rétabli.",
                kind.label()
            ))
            .await;
            leptos_axum::redirect(&format!(
                "/admin/demarches/{id}/courriels#courriel-{}",
                kind.as_str()
            ));
            Ok(())
        }
        .await,
    )
}

// ---------------------------------------------------------------- à la Une

#[server]
pub async fn admin_featured() -> Result<(Vec<FeaturedRow>, Option<String>), AppError> {
    respond(
        async move {
            admin().await?;
            let notice = take_notice().await;
            Ok((service::featured_rows(&app_state()?.db).await?, notice))
        }
        .await,
    )
}

/// A démarche in or out of the banner, with its period (`YYYY-MM-DD` or `JJ/MM/AAAA`).
#[server]
pub async fn set_featured(
    id: i32,
    une: Option<String>,
    du: String,
    au: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let on = une.as_deref() == Some("on");
            let text = service::set_featured(&app_state()?, &actor, id, on, &du, &au).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/a-la-une#une-{id}"));
            Ok(())
        }
        .await,
    )
}

/// « Monter » / « Descendre » in the banner.
#[server]
pub async fn move_featured(id: i32, sens: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            service::move_featured(
                &app_state()?,
                &actor,
                id,
                if sens == "haut" { -1 } else { 1 },
            )
            .await?;
            leptos_axum::redirect(&format!("/admin/a-la-une#une-{id}"));
            Ok(())
        }
        .await,
    )
}

// ---------------------------------------------------------------- services

#[server]
pub async fn admin_services() -> Result<Vec<ServiceRow>, AppError> {
    respond(
        async move {
            admin().await?;
            service::services(&app_state()?.db).await
        }
        .await,
    )
}

#[server]
pub async fn admin_service(id: i32) -> Result<ServiceDetail, AppError> {
    respond(
        async move {
            admin().await?;
            let notice = take_notice().await;
            service::service_detail(&app_state()?.db, id, notice).await
        }
        .await,
    )
}

#[server]
pub async fn create_service(name: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let id = service::create_service(&app_state()?, &actor, &name).await?;
            notice("Le service est créé : ajoutez-lui des instructeurs et des démarches.").await;
            leptos_axum::redirect(&format!("/admin/services/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn rename_service(id: i32, name: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            service::rename_service(&app_state()?, &actor, id, &name).await?;
            notice("Le service est renommé.").await;
            leptos_axum::redirect(&format!("/admin/services/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn add_instructor(id: i32, email: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::add_member(&app_state()?, &actor, id, &email).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/services/{id}#instructeurs"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn remove_instructor(id: i32, account: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::remove_member(&app_state()?, &actor, id, account).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/services/{id}#instructeurs"));
            Ok(())
        }
        .await,
    )
}

// ---------------------------------------------------------------- users

#[server]
pub async fn admin_users(#[server(default)] query: UserQuery) -> Result<UserPage, AppError> {
    respond(
        async move {
            admin().await?;
            service::users(&app_state()?.db, query).await
        }
        .await,
    )
}

#[server]
pub async fn admin_user(id: i32) -> Result<UserDetail, AppError> {
    respond(
        async move {
            let (account, _) = admin().await?;
            let notice = take_notice().await;
            service::user_detail(&app_state()?.db, &account, id, notice).await
        }
        .await,
    )
}

/// `role`: `citizen`, `instructor` or `admin`.
#[server]
pub async fn change_role(id: i32, role: String) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::change_role(&app_state()?, &actor, id, &role).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/utilisateurs/{id}"));
            Ok(())
        }
        .await,
    )
}

/// « Désactiver le compte » (`actif` false) / « Réactiver le compte ».
#[server]
pub async fn set_account_active(id: i32, actif: bool) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::set_active(&app_state()?, &actor, id, actif).await?;
            if !text.is_empty() {
                notice(text).await;
            }
            leptos_axum::redirect(&format!("/admin/utilisateurs/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn resend_verification_of(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::resend_verification(&app_state()?, &actor, id).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/utilisateurs/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn reset_second_factor_of(id: i32) -> Result<(), AppError> {
    respond(
        async move {
            let (_, actor) = admin().await?;
            let text = service::reset_second_factor(&app_state()?, &actor, id).await?;
            notice(text).await;
            leptos_axum::redirect(&format!("/admin/utilisateurs/{id}"));
            Ok(())
        }
        .await,
    )
}

// ---------------------------------------------------------------- audit log

#[server]
pub async fn admin_audit(#[server(default)] query: AuditQuery) -> Result<AuditPage, AppError> {
    respond(
        async move {
            admin().await?;
            service::audit_page(&app_state()?.db, query).await
        }
        .await,
    )
}
