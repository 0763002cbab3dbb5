//! What the account server functions do (server only): sign-up, sign-in, reset,
//! personal data, email and password changes, export and deletion.
//!
//! Answers never depend on whether an email address has an account: the work that
//! differs (creating an account or not, sending a link or not) is done after the answer,
//! and both paths pay for one Argon2 hash.

use crate::admin::model::AuditAction;
use crate::server::audit::{Actor, Audit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::model::{
    Civilite, PersonalData, check_email, check_name, check_phone, check_postal_code,
};
use crate::error::{AppError, FieldError};
use crate::server::auth;
use crate::server::db::now;
use crate::server::entities::{account, account_token};
use crate::server::limits;
use crate::server::mail::{Action, Template};
use crate::server::session::end_sessions_of;
use crate::server::state::AppState;
use crate::server::tokens::{self, Purpose};
use crate::server::{password, password_policy};

fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Email templates of the account.
fn notice(
    subject: &str,
    heading: &str,
    paragraphs: &[&str],
    action: Option<(&str, String)>,
) -> Template {
    Template::Notification {
        subject: subject.into(),
        heading: heading.into(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        action: action.map(|(label, url)| Action {
            label: label.into(),
            url,
        }),
    }
}

const NOT_YOU: &str =
    "Si vous n’êtes pas à l’origine de cette demande, ignorez ce courriel : rien ne sera modifié.";

pub fn verification_email(state: &AppState, token: &str) -> Template {
    notice(
        "Confirmez votre adresse électronique",
        "Bienvenue sur le portail des démarches en ligne",
        &[
            "Votre compte est créé. Pour pouvoir déposer vos demandes, confirmez votre adresse électronique en suivant le lien ci-dessous, valable 48 heures.",
            NOT_YOU,
        ],
        Some((
            "Confirmer mon adresse",
            format!(
                "{}/confirmer-adresse?jeton={token}",
                state.settings.public_url
            ),
        )),
    )
}

fn already_registered_email(state: &AppState) -> Template {
    notice(
        "Vous avez déjà un compte",
        "Vous avez déjà un compte sur le portail",
        &[
            "Quelqu’un, sans doute vous, a demandé à créer un compte avec cette adresse électronique. Un compte existe déjà pour elle : aucun nouveau compte n’a été créé.",
            "Si vous avez oublié votre mot de passe, vous pouvez en choisir un nouveau depuis la page « Mot de passe oublié ? ».",
            NOT_YOU,
        ],
        Some((
            "Mot de passe oublié ?",
            format!("{}/mot-de-passe-oublie", state.settings.public_url),
        )),
    )
}

fn reset_email(state: &AppState, token: &str) -> Template {
    notice(
        "Réinitialisation de votre mot de passe",
        "Choisissez un nouveau mot de passe",
        &[
            "Vous avez demandé à réinitialiser le mot de passe de votre compte. Suivez le lien ci-dessous pour en choisir un nouveau. Ce lien est valable une heure et ne peut servir qu’une fois.",
            NOT_YOU,
        ],
        Some((
            "Choisir un nouveau mot de passe",
            format!(
                "{}/nouveau-mot-de-passe?jeton={token}",
                state.settings.public_url
            ),
        )),
    )
}

fn password_changed_email(state: &AppState) -> Template {
    notice(
        "Votre mot de passe a été modifié",
        "Votre mot de passe a été modifié",
        &[
            "Le mot de passe de votre compte vient d’être modifié. Vos autres sessions ont été fermées.",
            "Si vous n’êtes pas à l’origine de cette modification, choisissez sans attendre un nouveau mot de passe depuis la page « Mot de passe oublié ? » et contactez le Département.",
        ],
        Some((
            "Mot de passe oublié ?",
            format!("{}/mot-de-passe-oublie", state.settings.public_url),
        )),
    )
}

fn change_email_link(state: &AppState, token: &str) -> Template {
    notice(
        "Confirmez votre nouvelle adresse électronique",
        "Confirmez votre nouvelle adresse électronique",
        &[
            "Vous avez demandé à utiliser cette adresse pour votre compte. Le changement prendra effet quand vous aurez suivi le lien ci-dessous, valable 24 heures.",
            NOT_YOU,
        ],
        Some((
            "Confirmer ma nouvelle adresse",
            format!(
                "{}/confirmer-adresse?jeton={token}",
                state.settings.public_url
            ),
        )),
    )
}

fn change_email_taken(state: &AppState) -> Template {
    notice(
        "Changement d’adresse électronique",
        "Cette adresse est déjà celle d’un compte",
        &[
            "Quelqu’un a demandé à utiliser cette adresse électronique pour un autre compte du portail. Elle est déjà celle de votre compte : rien n’a été modifié.",
            NOT_YOU,
        ],
        Some(("Accéder au portail", state.settings.public_url.clone())),
    )
}

fn change_email_notice(new_email: &str) -> Template {
    let text = format!(
        "Une demande de changement de l’adresse électronique de votre compte vers {} a été faite. L’adresse ne changera que si le lien envoyé à la nouvelle adresse est suivi.",
        mask_email(new_email)
    );
    Template::Notification {
        subject: "Demande de changement de votre adresse électronique".into(),
        heading: "Changement d’adresse électronique demandé".into(),
        paragraphs: vec![
            text,
            "Si vous n’êtes pas à l’origine de cette demande, changez votre mot de passe sans attendre et contactez le Département.".into(),
        ],
        action: None,
    }
}

fn account_deleted_email() -> Template {
    notice(
        "Votre compte a été supprimé",
        "Votre compte a été supprimé",
        &[
            "Comme vous l’avez demandé, votre compte sur le portail des démarches en ligne a été supprimé et vos données personnelles effacées.",
            "Les dossiers que vous aviez déposés restent conservés par le Département le temps que la loi impose, pour leur instruction et leurs archives.",
        ],
        None,
    )
}

/// `camille.martin@exemple.fr` → `c…n@exemple.fr`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let mut chars = local.chars();
            let first = chars.next().unwrap_or('?');
            let last = chars.next_back();
            match last {
                Some(last) => format!("{first}…{last}@{domain}"),
                None => format!("{first}…@{domain}"),
            }
        }
        None => "…".into(),
    }
}

async fn find_active(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<account::Model>, AppError> {
    Ok(account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .filter(account::Column::Active.eq(true))
        .one(db)
        .await?)
}

/// Runs work after the answer is sent, logging its failure with the cause chain.
fn in_background<F>(what: &'static str, work: F)
where
    F: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, "{what} failed");
        }
    });
}

fn password_errors(
    errors: &mut Vec<FieldError>,
    password: &str,
    confirmation: &str,
    known: &[&str],
) {
    if let Err(message) = password_policy::check(password, known) {
        errors.push(field("password", message));
    } else if password != confirmation {
        errors.push(field(
            "password_confirmation",
            "Les deux mots de passe ne sont pas identiques.",
        ));
    }
}

// ---------------------------------------------------------------- sign-up

pub struct SignUp {
    pub civilite: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
    pub terms: bool,
}

pub async fn sign_up(state: &AppState, form: SignUp) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let civilite = Civilite::parse(&form.civilite);
    if civilite.is_none() {
        errors.push(field("civilite", "Indiquez votre civilité."));
    }
    let last_name = check_name(&form.last_name, "Saisissez votre nom.")
        .map_err(|m| errors.push(field("last_name", m)))
        .ok();
    let first_name = check_name(&form.first_name, "Saisissez votre prénom.")
        .map_err(|m| errors.push(field("first_name", m)))
        .ok();
    let email = check_email(&form.email)
        .map_err(|m| errors.push(field("email", m)))
        .ok();
    password_errors(
        &mut errors,
        &form.password,
        &form.password_confirmation,
        &[&form.email, &form.first_name, &form.last_name],
    );
    if !form.terms {
        errors.push(field(
            "terms",
            "Acceptez les conditions d’utilisation pour créer votre compte.",
        ));
    }
    let (Some(civilite), Some(last_name), Some(first_name), Some(email), true) =
        (civilite, last_name, first_name, email, errors.is_empty())
    else {
        return Err(AppError::invalid(
            errors,
            &[
                ("civilite", &form.civilite),
                ("last_name", &form.last_name),
                ("first_name", &form.first_name),
                ("email", &form.email),
                ("terms", if form.terms { "on" } else { "" }),
            ],
        ));
    };
    limits::hit(
        &state.db,
        limits::SIGNUP_IP,
        &auth::client_ip().await.to_string(),
    )
    .await?;
    limits::hit(&state.db, limits::EMAIL_REQUESTS, &email).await?;

    // Both paths pay for one hash before answering.
    let hash = password::hash(form.password).await?;
    let state = state.clone();
    in_background("sign-up", async move {
        match find_active(&state.db, &email).await? {
            Some(_) => {
                state
                    .mailer
                    .queue(&state.db, &email, already_registered_email(&state))
                    .await?;
            }
            None => {
                let txn = state.db.begin().await?;
                let now = now();
                let inserted = account::Entity::insert(account::ActiveModel {
                    email: Set(email.clone()),
                    password_hash: Set(hash),
                    civilite: Set(civilite.as_str().into()),
                    first_name: Set(first_name),
                    last_name: Set(last_name),
                    role: Set("citizen".into()),
                    email_verified_at: Set(None),
                    active: Set(true),
                    terms_accepted_at: Set(Some(now)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec(&txn)
                .await;
                match inserted {
                    Ok(row) => {
                        // The personal profile comes with the account.
                        if let Some(created) = account::Entity::find_by_id(row.last_insert_id)
                            .one(&txn)
                            .await?
                        {
                            crate::profiles::service::ensure_personal_profile(&txn, &created)
                                .await?;
                        }
                        let token =
                            tokens::issue(&txn, row.last_insert_id, Purpose::VerifyEmail, None)
                                .await?;
                        state
                            .mailer
                            .queue(&txn, &email, verification_email(&state, &token))
                            .await?;
                        txn.commit().await?;
                    }
                    Err(_) => {
                        // The address was taken meanwhile (or belongs to a deleted
                        // account being anonymised): tell its owner.
                        txn.rollback().await?;
                        state
                            .mailer
                            .queue(&state.db, &email, already_registered_email(&state))
                            .await?;
                    }
                }
            }
        }
        state.mailer.wake();
        Ok(())
    });
    Ok(())
}

/// Sends the confirmation link again to a signed-in, unconfirmed account.
pub async fn resend_verification(
    state: &AppState,
    account: &account::Model,
) -> Result<(), AppError> {
    if account.email_verified_at.is_some() {
        return Ok(());
    }
    limits::hit(&state.db, limits::EMAIL_REQUESTS, &account.email).await?;
    let txn = state.db.begin().await?;
    let token = tokens::issue(&txn, account.id, Purpose::VerifyEmail, None).await?;
    state
        .mailer
        .queue(&txn, &account.email, verification_email(state, &token))
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

// ---------------------------------------------------------------- sign-in

const WRONG_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect.";

pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<account::Model, AppError> {
    let typed = email.to_owned();
    let email = match check_email(email) {
        Ok(email) => email,
        Err(m) => {
            return Err(AppError::invalid(
                vec![field("email", m)],
                &[("email", &typed)],
            ));
        }
    };
    if password.is_empty() {
        return Err(AppError::invalid(
            vec![field("password", "Saisissez votre mot de passe.")],
            &[("email", &typed)],
        ));
    }
    let ip = auth::client_ip().await.to_string();
    limits::check(&state.db, limits::SIGNIN_IP, &ip).await?;
    limits::check(&state.db, limits::SIGNIN_ACCOUNT, &email).await?;

    let account = find_active(&state.db, &email).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let known = account.as_ref().map(|a| a.id);
    if password::verify_or_dummy(password, stored).await?
        && let Some(account) = account
    {
        limits::clear(&state.db, limits::SIGNIN_ACCOUNT, &email).await?;
        Audit::new(AuditAction::SignIn)
            .on("compte", account.id, &account.email)
            .detail("Mot de passe vérifié")
            .write_logged(&state.db, &Actor::of(&account).await)
            .await;
        return Ok(account);
    }
    let mut actor = Actor::anonymous(&email).await;
    actor.id = known;
    Audit::new(AuditAction::SignInFailed)
        .detail(if known.is_some() {
            "Mot de passe incorrect"
        } else {
            "Aucun compte actif à cette adresse"
        })
        .write_logged(&state.db, &actor)
        .await;
    // The failure that reaches a limit is told at once that the lock started.
    let by_ip = limits::record(&state.db, limits::SIGNIN_IP, &ip).await?;
    let by_account = limits::record(&state.db, limits::SIGNIN_ACCOUNT, &email).await?;
    if by_account.reached(limits::SIGNIN_ACCOUNT) {
        return Err(by_account.error());
    }
    if by_ip.reached(limits::SIGNIN_IP) {
        return Err(by_ip.error());
    }
    Err(AppError::invalid(
        vec![field("email", WRONG_CREDENTIALS)],
        &[("email", &typed)],
    ))
}

// ---------------------------------------------------------------- reset

pub async fn request_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let typed = email.to_owned();
    let email = check_email(email)
        .map_err(|m| AppError::invalid(vec![field("email", m)], &[("email", &typed)]))?;
    limits::hit(
        &state.db,
        limits::EMAIL_REQUESTS_IP,
        &auth::client_ip().await.to_string(),
    )
    .await?;
    limits::hit(&state.db, limits::EMAIL_REQUESTS, &email).await?;
    let state = state.clone();
    let actor = Actor::anonymous(&email).await;
    in_background("password reset request", async move {
        let found = find_active(&state.db, &email).await?;
        Audit::new(AuditAction::PasswordResetRequested)
            .detail(if found.is_some() {
                "Lien envoyé"
            } else {
                "Aucun compte actif à cette adresse : rien n’est envoyé"
            })
            .write_logged(
                &state.db,
                &Actor {
                    id: found.as_ref().map(|a| a.id),
                    ..actor
                },
            )
            .await;
        if let Some(account) = found {
            let txn = state.db.begin().await?;
            let token = tokens::issue(&txn, account.id, Purpose::ResetPassword, None).await?;
            state
                .mailer
                .queue(&txn, &account.email, reset_email(&state, &token))
                .await?;
            txn.commit().await?;
            state.mailer.wake();
        }
        Ok(())
    });
    Ok(())
}

pub async fn reset_token_valid(state: &AppState, token: &str) -> Result<bool, AppError> {
    Ok(tokens::peek(&state.db, token, Purpose::ResetPassword)
        .await?
        .is_some())
}

/// Sets the new password of a reset link; returns the account to sign in.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
    confirmation: &str,
) -> Result<account::Model, AppError> {
    let Some(row) = tokens::peek(&state.db, token, Purpose::ResetPassword).await? else {
        return Err(AppError::InvalidLink);
    };
    let Some(account) = account::Entity::find_by_id(row.account_id)
        .filter(account::Column::Active.eq(true))
        .one(&state.db)
        .await?
    else {
        return Err(AppError::InvalidLink);
    };
    let mut errors = Vec::new();
    password_errors(
        &mut errors,
        new_password,
        confirmation,
        &[&account.email, &account.first_name, &account.last_name],
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = password::hash(new_password.to_owned()).await?;
    let txn = state.db.begin().await?;
    if tokens::consume(&txn, token, Purpose::ResetPassword)
        .await?
        .is_none()
    {
        return Err(AppError::InvalidLink);
    }
    let email = account.email.clone();
    let mut row = account.into_active_model();
    row.password_hash = Set(hash);
    // Following the link proved the address works.
    if row.email_verified_at.as_ref().is_none() {
        row.email_verified_at = Set(Some(now()));
    }
    row.updated_at = Set(now());
    let account = row.update(&txn).await?;
    end_sessions_of(&txn, account.id).await?;
    tokens::revoke_all(&txn, account.id, Some(Purpose::ResetPassword)).await?;
    Audit::new(AuditAction::PasswordReset)
        .on("compte", account.id, &account.email)
        .write(&txn, &Actor::of(&account).await)
        .await?;
    state
        .mailer
        .queue(&txn, &email, password_changed_email(state))
        .await?;
    txn.commit().await?;
    limits::clear(&state.db, limits::SIGNIN_ACCOUNT, &email).await?;
    state.mailer.wake();
    Ok(account)
}

// ---------------------------------------------------------------- address confirmation

pub enum Confirmed {
    /// The account's address is confirmed.
    Verified,
    /// The account now uses a new address.
    Changed,
}

pub async fn confirm_email(state: &AppState, token: &str) -> Result<Confirmed, AppError> {
    let txn = state.db.begin().await?;
    if let Some(row) = tokens::consume(&txn, token, Purpose::VerifyEmail).await? {
        if let Some(account) = account::Entity::find_by_id(row.account_id)
            .one(&txn)
            .await?
        {
            let mut account = account.into_active_model();
            account.email_verified_at = Set(Some(now()));
            account.updated_at = Set(now());
            account.update(&txn).await?;
        }
        txn.commit().await?;
        return Ok(Confirmed::Verified);
    }
    let Some(row) = tokens::consume(&txn, token, Purpose::ChangeEmail).await? else {
        return Err(AppError::InvalidLink);
    };
    let (Some(new_email), Some(account)) = (
        row.new_email.clone(),
        account::Entity::find_by_id(row.account_id)
            .filter(account::Column::Active.eq(true))
            .one(&txn)
            .await?,
    ) else {
        return Err(AppError::InvalidLink);
    };
    let taken = account::Entity::find()
        .filter(account::Column::Email.eq(&new_email))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        txn.commit().await?;
        return Err(AppError::field(
            "jeton",
            "Cette adresse électronique est déjà celle d’un autre compte : elle ne peut pas être utilisée.",
        ));
    }
    let mut account = account.into_active_model();
    account.email = Set(new_email);
    account.email_verified_at = Set(Some(now()));
    account.updated_at = Set(now());
    account.update(&txn).await?;
    txn.commit().await?;
    Ok(Confirmed::Changed)
}

// ---------------------------------------------------------------- personal data

pub async fn personal_data(
    state: &AppState,
    account: &account::Model,
) -> Result<PersonalData, AppError> {
    let pending = account_token::Entity::find()
        .filter(account_token::Column::AccountId.eq(account.id))
        .filter(account_token::Column::Purpose.eq(Purpose::ChangeEmail.as_str()))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(now().unix_timestamp()))
        .one(&state.db)
        .await?
        .and_then(|t| t.new_email);
    Ok(PersonalData {
        civilite: account.civilite.clone(),
        last_name: account.last_name.clone(),
        first_name: account.first_name.clone(),
        birth_date: account.birth_date.clone().unwrap_or_default(),
        address_line: account.address_line.clone().unwrap_or_default(),
        postal_code: account.postal_code.clone().unwrap_or_default(),
        commune: account.commune.clone().unwrap_or_default(),
        phone: account.phone.clone().unwrap_or_default(),
        email: account.email.clone(),
        email_verified: account.email_verified_at.is_some(),
        pending_email: pending,
    })
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Updates civilité, nom, prénom or téléphone (`field` is the form field's name).
pub async fn update_field(
    state: &AppState,
    account: account::Model,
    name: &str,
    value: &str,
) -> Result<(), AppError> {
    let keep = |m: &str| AppError::invalid(vec![field(name, m)], &[(name, value)]);
    let mut row = account.into_active_model();
    match name {
        "civilite" => {
            let c = Civilite::parse(value).ok_or_else(|| keep("Indiquez votre civilité."))?;
            row.civilite = Set(c.as_str().into());
        }
        "last_name" => {
            row.last_name = Set(check_name(value, "Saisissez votre nom.").map_err(keep)?)
        }
        "first_name" => {
            row.first_name = Set(check_name(value, "Saisissez votre prénom.").map_err(keep)?)
        }
        "phone" => row.phone = Set(non_empty(check_phone(value).map_err(keep)?)),
        _ => return Err(AppError::not_found()),
    }
    row.updated_at = Set(now());
    row.update(&state.db).await?;
    Ok(())
}

pub async fn update_birth_date(
    state: &AppState,
    account: account::Model,
    day: &str,
    month: &str,
    year: &str,
) -> Result<(), AppError> {
    let today = now().date();
    let date = super::model::check_birth_date(
        day,
        month,
        year,
        (
            today.year(),
            u8::from(today.month()) as u32,
            today.day() as u32,
        ),
    )
    .map_err(|m| {
        AppError::invalid(
            vec![field("birth_day", m)],
            &[
                ("birth_day", day),
                ("birth_month", month),
                ("birth_year", year),
            ],
        )
    })?;
    let mut row = account.into_active_model();
    row.birth_date = Set(Some(date));
    row.updated_at = Set(now());
    row.update(&state.db).await?;
    Ok(())
}

pub async fn update_address(
    state: &AppState,
    account: account::Model,
    line: &str,
    postal_code: &str,
    commune: &str,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let line_clean = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if line_clean.is_empty() {
        errors.push(field("address_line", "Saisissez le numéro et la voie."));
    } else if line_clean.chars().count() > 200 {
        errors.push(field(
            "address_line",
            "L’adresse doit contenir au plus 200 caractères.",
        ));
    }
    let postal = check_postal_code(postal_code)
        .map_err(|m| errors.push(field("postal_code", m)))
        .ok();
    let commune_clean = check_name(commune, "Saisissez la commune.")
        .map_err(|m| errors.push(field("commune", m)))
        .ok();
    let (Some(postal), Some(commune_clean), true) = (postal, commune_clean, errors.is_empty())
    else {
        return Err(AppError::invalid(
            errors,
            &[
                ("address_line", line),
                ("postal_code", postal_code),
                ("commune", commune),
            ],
        ));
    };
    let mut row = account.into_active_model();
    row.address_line = Set(Some(line_clean));
    row.postal_code = Set(Some(postal));
    row.commune = Set(Some(commune_clean));
    row.updated_at = Set(now());
    row.update(&state.db).await?;
    Ok(())
}

/// Checks the current password of a signed-in person (with its own limit).
async fn reauthenticate(
    state: &AppState,
    account: &account::Model,
    password: &str,
    kept: &[(&str, &str)],
) -> Result<(), AppError> {
    let subject = account.id.to_string();
    limits::check(&state.db, limits::REAUTH, &subject).await?;
    if password.is_empty() {
        return Err(AppError::invalid(
            vec![field(
                "current_password",
                "Saisissez votre mot de passe actuel.",
            )],
            kept,
        ));
    }
    if password::verify(password.to_owned(), account.password_hash.clone()).await? {
        return Ok(());
    }
    let hit = limits::record(&state.db, limits::REAUTH, &subject).await?;
    if hit.reached(limits::REAUTH) {
        return Err(hit.error());
    }
    Err(AppError::invalid(
        vec![field(
            "current_password",
            "Le mot de passe actuel est incorrect.",
        )],
        kept,
    ))
}

pub async fn request_email_change(
    state: &AppState,
    account: account::Model,
    new_email: &str,
    current_password: &str,
) -> Result<(), AppError> {
    let kept = [("new_email", new_email)];
    let email = check_email(new_email)
        .map_err(|m| AppError::invalid(vec![field("new_email", m)], &kept))?;
    if email == account.email {
        return Err(AppError::invalid(
            vec![field("new_email", "C’est déjà l’adresse de votre compte.")],
            &kept,
        ));
    }
    reauthenticate(state, &account, current_password, &kept).await?;
    limits::hit(&state.db, limits::EMAIL_REQUESTS, &email).await?;
    let taken = account::Entity::find()
        .filter(account::Column::Email.eq(&email))
        .one(&state.db)
        .await?
        .is_some();
    let txn = state.db.begin().await?;
    // A token is made either way, so the page shows the same pending change; for an
    // address already in use it is never sent, and the owner is told instead.
    let token = tokens::issue(&txn, account.id, Purpose::ChangeEmail, Some(email.clone())).await?;
    if taken {
        state
            .mailer
            .queue(&txn, &email, change_email_taken(state))
            .await?;
    } else {
        state
            .mailer
            .queue(&txn, &email, change_email_link(state, &token))
            .await?;
    }
    state
        .mailer
        .queue(&txn, &account.email, change_email_notice(&email))
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

pub async fn change_password(
    state: &AppState,
    account: account::Model,
    current_password: &str,
    new_password: &str,
    confirmation: &str,
) -> Result<(), AppError> {
    reauthenticate(state, &account, current_password, &[]).await?;
    let mut errors = Vec::new();
    password_errors(
        &mut errors,
        new_password,
        confirmation,
        &[&account.email, &account.first_name, &account.last_name],
    );
    if new_password == current_password && errors.is_empty() {
        errors.push(field(
            "password",
            "Le nouveau mot de passe doit être différent de l’actuel.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = password::hash(new_password.to_owned()).await?;
    let txn = state.db.begin().await?;
    let email = account.email.clone();
    let id = account.id;
    let mut row = account.into_active_model();
    row.password_hash = Set(hash);
    row.updated_at = Set(now());
    row.update(&txn).await?;
    end_sessions_of(&txn, id).await?;
    tokens::revoke_all(&txn, id, Some(Purpose::ResetPassword)).await?;
    state
        .mailer
        .queue(&txn, &email, password_changed_email(state))
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

// ---------------------------------------------------------------- RGPD

/// Everything the portal holds about the person, as a JSON document.
pub async fn export(
    state: &AppState,
    account: &account::Model,
) -> Result<serde_json::Value, AppError> {
    let data = personal_data(state, account).await?;
    let role = crate::account::model::Role::parse(&account.role)
        .unwrap_or(crate::account::model::Role::Citizen);
    let fmt = |t: &time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let sessions = crate::server::entities::session::Entity::find()
        .filter(crate::server::entities::session::Column::AccountId.eq(account.id))
        .all(&state.db)
        .await?;
    Ok(json!({
        "portail": format!("{} – {}", crate::branding::PORTAL, crate::branding::DEPARTEMENT),
        "exporte_le": fmt(&now()),
        "compte": {
            "adresse_electronique": data.email,
            "adresse_confirmee_le": account.email_verified_at.as_ref().map(fmt),
            "changement_d_adresse_en_attente": data.pending_email,
            "role": role.label(),
            "cree_le": fmt(&account.created_at),
            "modifie_le": fmt(&account.updated_at),
            "conditions_acceptees_le": account.terms_accepted_at.as_ref().map(fmt),
        },
        "donnees_personnelles": {
            "civilite": Civilite::parse(&data.civilite).map(|c| c.label()),
            "nom": data.last_name,
            "prenom": data.first_name,
            "date_de_naissance": non_empty(data.birth_date),
            "adresse_postale": {
                "ligne": non_empty(data.address_line),
                "code_postal": non_empty(data.postal_code),
                "commune": non_empty(data.commune),
            },
            "telephone": non_empty(data.phone),
        },
        "sessions_ouvertes": sessions.iter().map(|s| json!({
            "expire_le": time::OffsetDateTime::from_unix_timestamp(s.expires_at).ok().map(|t| fmt(&t)),
        })).collect::<Vec<_>>(),
        "profils": [{
            "type": "Particulier",
            "nom": format!("{} {}", account.first_name, account.last_name),
        }],
        "dossiers": [],
        "brouillons": [],
        "documents_recus": [],
        "mot_de_passe": "Le portail ne connaît pas votre mot de passe : il n’en garde qu’une empreinte irréversible, qui n’est pas exportée.",
    }))
}

/// Deletes the account: its personal data is erased, the row is kept anonymised (the
/// dossiers it filed refer to it and the Département must keep them).
pub async fn delete_account(
    state: &AppState,
    account: account::Model,
    current_password: &str,
) -> Result<(), AppError> {
    reauthenticate(state, &account, current_password, &[]).await?;
    let txn = state.db.begin().await?;
    let email = account.email.clone();
    let id = account.id;
    let mut row = account.into_active_model();
    row.email = Set(format!("compte-supprime-{id}@invalid"));
    row.password_hash = Set("!".into());
    row.civilite = Set(String::new());
    row.first_name = Set(String::new());
    row.last_name = Set("Compte supprimé".into());
    row.birth_date = Set(None);
    row.address_line = Set(None);
    row.postal_code = Set(None);
    row.commune = Set(None);
    row.phone = Set(None);
    row.email_verified_at = Set(None);
    row.active = Set(false);
    row.deleted_at = Set(Some(now()));
    row.updated_at = Set(now());
    row.update(&txn).await?;
    end_sessions_of(&txn, id).await?;
    tokens::revoke_all(&txn, id, None).await?;
    // The person leaves the profiles they shared; their personal profile stays, with the
    // dossiers filed under it.
    {
        use crate::server::entities::{profile, profile_member};
        let personal: Vec<i32> = profile::Entity::find()
            .filter(profile::Column::PersonalAccountId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        profile_member::Entity::delete_many()
            .filter(profile_member::Column::AccountId.eq(id))
            .filter(profile_member::Column::ProfileId.is_not_in(personal))
            .exec(&txn)
            .await?;
    }
    state
        .mailer
        .queue(&txn, &email, account_deleted_email())
        .await?;
    txn.commit().await?;
    limits::clear(&state.db, limits::SIGNIN_ACCOUNT, &email).await?;
    state.mailer.wake();
    Ok(())
}

/// `GET /mon-compte/mes-donnees.json`: « Télécharger mes données ».
pub async fn export_handler(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: tower_sessions::Session,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::{IntoResponse, Redirect};
    let id: Option<i32> = session.get(auth::SESSION_ACCOUNT).await.ok().flatten();
    let account = match id {
        Some(id) => account::Entity::find_by_id(id)
            .filter(account::Column::Active.eq(true))
            .one(&state.db)
            .await
            .map_err(AppError::from),
        None => Ok(None),
    };
    let account = match account {
        Ok(Some(account)) => account,
        Ok(None) => {
            return Redirect::to("/connexion?retour=/mon-compte/donnees-personnelles")
                .into_response();
        }
        Err(_) => return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    match export(&state, &account).await {
        Ok(value) => (
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"mes-donnees-guichet.json\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            serde_json::to_string_pretty(&value).unwrap_or_default(),
        )
            .into_response(),
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails_are_masked() {
        assert_eq!(
            super::mask_email("camille.martin@exemple.fr"),
            "c…n@exemple.fr"
        );
        assert_eq!(super::mask_email("a@b.fr"), "a…@b.fr");
    }
}
