//! Server functions of the account. Each one first asks `server::auth` who is calling.
//!
//! Forms post to these functions with and without JavaScript. On success a function
//! redirects (a real redirect without JavaScript, a client-side one with it); on
//! failure the form shows the error next to its field.

use leptos::prelude::*;

use super::model::{CurrentUser, PasswordStrength, PersonalData};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::model::safe_return_path;
    pub use super::super::service;
    pub use crate::server::auth;
    pub use crate::server::state::app_state;

    pub fn redirect(path: &str) {
        leptos_axum::redirect(path);
    }

    pub use crate::server::respond;
    pub use crate::server::second_factor;
}
#[cfg(feature = "ssr")]
use ssr::*;

/// The signed-in person, if any.
#[server]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    respond(
        async move {
            Ok(auth::current_account()
                .await?
                .as_ref()
                .map(auth::current_user))
        }
        .await,
    )
}

/// « Connecter »: signs in under a new session id, then goes to `retour` (a page of the
/// portal) or « Mon compte ».
#[server]
pub async fn sign_in(
    email: String,
    password: String,
    retour: Option<String>,
) -> Result<(), AppError> {
    respond(
        async move {
            let state = app_state()?;
            let account = service::sign_in(&state, &email, password).await?;
            let session = auth::session().await?;
            let staff = auth::needs_second_factor(&account);
            let target = retour
                .as_deref()
                .and_then(safe_return_path)
                .unwrap_or_else(|| {
                    if staff {
                        "/instruction".into()
                    } else {
                        "/mon-compte".into()
                    }
                });
            if staff && !second_factor::trusted(&state, account.id).await? {
                // The password is right; the session starts once the code is.
                let next = second_factor::begin(&session, &account, target).await?;
                redirect(next);
                return Ok(());
            }
            auth::start_session(&session, account.id, staff).await?;
            redirect(&target);
            Ok(())
        }
        .await,
    )
}

/// « Se déconnecter »: ends the session on the server.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    respond(
        async move {
            let session = auth::session().await?;
            auth::end_session(&session).await?;
            redirect("/?message=deconnecte");
            Ok(())
        }
        .await,
    )
}

/// « Créer un compte ». The answer is the same whether the address has an account.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn sign_up(
    civilite: Option<String>,
    last_name: String,
    first_name: String,
    email: String,
    password: String,
    password_confirmation: String,
    terms: Option<String>,
) -> Result<(), AppError> {
    respond(
        async move {
            let state = app_state()?;
            service::sign_up(
                &state,
                service::SignUp {
                    civilite: civilite.unwrap_or_default(),
                    last_name,
                    first_name,
                    email,
                    password,
                    password_confirmation,
                    terms: terms.is_some(),
                },
            )
            .await?;
            redirect("/inscription/verifiez-vos-courriels");
            Ok(())
        }
        .await,
    )
}

/// Sends the confirmation link again (signed-in, unconfirmed accounts).
#[server]
pub async fn resend_verification() -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::resend_verification(&app_state()?, &account).await?;
            redirect("/mon-compte?message=courriel-renvoye");
            Ok(())
        }
        .await,
    )
}

/// « Mot de passe oublié ? » → « Soumettre ». Same answer whatever the address.
#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    respond(
        async move {
            service::request_reset(&app_state()?, &email).await?;
            redirect("/mot-de-passe-oublie/envoye");
            Ok(())
        }
        .await,
    )
}

/// Whether a reset link can still be used (the page shows the form or says it expired).
#[server]
pub async fn reset_link_valid(jeton: String) -> Result<bool, AppError> {
    respond(async move { service::reset_token_valid(&app_state()?, &jeton).await }.await)
}

/// Sets the new password of a reset link, ends every other session and signs in.
#[server]
pub async fn reset_password(
    jeton: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let state = app_state()?;
            let account =
                service::reset_password(&state, &jeton, &password, &password_confirmation).await?;
            let session = auth::session().await?;
            if auth::needs_second_factor(&account) {
                // Staff accounts give their code after a reset too.
                let next = second_factor::begin(
                    &session,
                    &account,
                    "/mon-compte?message=mot-de-passe-modifie".into(),
                )
                .await?;
                redirect(next);
                return Ok(());
            }
            auth::start_session(&session, account.id, false).await?;
            redirect("/mon-compte?message=mot-de-passe-modifie");
            Ok(())
        }
        .await,
    )
}

/// Confirms an email address (after sign-up, or the new one of an email change).
#[server]
pub async fn confirm_email(jeton: String) -> Result<(), AppError> {
    respond(
        async move {
            match service::confirm_email(&app_state()?, &jeton).await? {
                service::Confirmed::Verified => redirect("/adresse-confirmee"),
                service::Confirmed::Changed => redirect("/adresse-confirmee?changement=1"),
            }
            Ok(())
        }
        .await,
    )
}

/// The strength of a password, for the meter under password fields (the same check the
/// server enforces). The password is not stored or logged.
#[server]
pub async fn measure_password(password: String) -> Result<PasswordStrength, AppError> {
    respond(
        async move {
            let known: Vec<String> = match auth::current_account().await? {
                Some(a) => vec![a.email, a.first_name, a.last_name],
                None => Vec::new(),
            };
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            Ok(crate::server::password_policy::strength(&password, &known))
        }
        .await,
    )
}

/// « Mes données personnelles ».
#[server]
pub async fn get_personal_data() -> Result<PersonalData, AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::personal_data(&app_state()?, &account).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn saved(slug: &str) -> String {
    format!("/mon-compte/donnees-personnelles?modifie={slug}")
}

/// Changes civilité, nom, prénom or téléphone: `field` is `civilite`, `last_name`,
/// `first_name` or `phone`.
#[server]
pub async fn update_personal_field(field: String, value: Option<String>) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::update_field(
                &app_state()?,
                account,
                &field,
                value.as_deref().unwrap_or(""),
            )
            .await?;
            let slug = match field.as_str() {
                "civilite" => "civilite",
                "last_name" => "nom",
                "first_name" => "prenom",
                _ => "telephone",
            };
            redirect(&saved(slug));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn update_birth_date(
    birth_day: String,
    birth_month: String,
    birth_year: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::update_birth_date(
                &app_state()?,
                account,
                &birth_day,
                &birth_month,
                &birth_year,
            )
            .await?;
            redirect(&saved("date-de-naissance"));
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn update_address(
    address_line: String,
    postal_code: String,
    commune: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::update_address(
                &app_state()?,
                account,
                &address_line,
                &postal_code,
                &commune,
            )
            .await?;
            redirect(&saved("adresse"));
            Ok(())
        }
        .await,
    )
}

/// Sends a confirmation link to the new address and a notice to the current one.
#[server]
pub async fn request_email_change(
    new_email: String,
    current_password: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::request_email_change(&app_state()?, account, &new_email, &current_password)
                .await?;
            redirect("/mon-compte/donnees-personnelles?message=email-envoye");
            Ok(())
        }
        .await,
    )
}

/// Changes the password (the current one is asked) and ends the other sessions.
#[server]
pub async fn change_password(
    current_password: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            let id = account.id;
            service::change_password(
                &app_state()?,
                account,
                &current_password,
                &password,
                &password_confirmation,
            )
            .await?;
            // This session goes on, under a new id.
            let session = auth::session().await?;
            // (A staff session keeps its second factor: the session's data stays.)
            auth::start_session(&session, id, false).await?;
            redirect(&saved("mot-de-passe"));
            Ok(())
        }
        .await,
    )
}

/// « Supprimer mon compte » (the password is asked).
#[server]
pub async fn delete_account(current_password: String) -> Result<(), AppError> {
    respond(
        async move {
            let account = auth::require_user().await?;
            service::delete_account(&app_state()?, account, &current_password).await?;
            let session = auth::session().await?;
            auth::end_session(&session).await?;
            redirect("/compte-supprime");
            Ok(())
        }
        .await,
    )
}

/// What the enrolment page shows: the QR code and the secret to type by hand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnrolmentView {
    pub email: String,
    pub secret: String,
    pub qr_svg: String,
}

/// The enrolment of a staff account's second factor (first sign-in).
#[server]
pub async fn second_factor_enrolment() -> Result<EnrolmentView, AppError> {
    respond(
        async move {
            let session = auth::session().await?;
            let e = second_factor::enrolment(&app_state()?, &session).await?;
            Ok(EnrolmentView {
                email: e.email,
                secret: e.secret,
                qr_svg: e.qr_svg,
            })
        }
        .await,
    )
}

/// « Activer » the second factor with a first code.
#[server]
pub async fn confirm_second_factor(
    code: String,
    confiance: Option<String>,
) -> Result<(), AppError> {
    respond(
        async move {
            let session = auth::session().await?;
            let next = second_factor::confirm_enrolment(
                &app_state()?,
                &session,
                &code,
                confiance.is_some(),
            )
            .await?;
            redirect(&next);
            Ok(())
        }
        .await,
    )
}

/// « Valider » the code of a staff sign-in.
#[server]
pub async fn verify_second_factor(code: String, confiance: Option<String>) -> Result<(), AppError> {
    respond(
        async move {
            let session = auth::session().await?;
            let next =
                second_factor::verify(&app_state()?, &session, &code, confiance.is_some()).await?;
            redirect(&next);
            Ok(())
        }
        .await,
    )
}

/// The recovery codes made at enrolment, shown once.
#[server]
pub async fn recovery_codes_once() -> Result<Vec<String>, AppError> {
    respond(
        async move {
            auth::require_user().await?;
            let session = auth::session().await?;
            second_factor::take_recovery_codes(&session).await
        }
        .await,
    )
}
