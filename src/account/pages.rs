//! Pages of the account: « Connexion », « Créer un compte », « Mot de passe oublié ? »,
//! « Mon compte » and its tiles, « Mes données personnelles ».

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};

use super::api::{
    ChangePassword, ConfirmEmail, DeleteAccount, RequestEmailChange, RequestPasswordReset,
    ResendVerification, ResetPassword, SignIn, SignOut, SignUp, UpdateAddress, UpdateBirthDate,
    UpdatePersonalField, get_current_user, get_personal_data, reset_link_valid,
};
use super::model::{Civilite, CurrentUser, PersonalData, PersonalField, format_date_fr};
use crate::error::AppError;
use crate::ui::form::{
    CheckboxField, ErrorSummary, Notice, PasswordField, RadioGroup, SubmitButton, TextField,
    form_error,
};
use crate::ui::{Breadcrumb, ErrorPage, Loading};

/// The address of the current page with its query, to come back to after sign-in.
fn here() -> String {
    let location = use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The page of an error: signed-out visitors go to « Connexion » and come back after.
pub fn error_view(error: AppError) -> AnyView {
    match error {
        AppError::Unauthenticated => {
            let path = format!("/connexion?retour={}", encode(&here()));
            view! { <Redirect path /> }.into_any()
        }
        error => view! { <ErrorPage error /> }.into_any(),
    }
}

/// A short message chosen by the `message` query parameter (never text from the address).
fn flash(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "deconnecte" => ("success", "Vous êtes déconnecté. À bientôt !"),
        "brouillon-enregistre" => (
            "success",
            "Votre brouillon est enregistré. Vous pourrez le reprendre à tout moment depuis « Mes brouillons ».",
        ),
        "fichier-retire" => ("success", "Le fichier a été retiré."),
        "preferences-enregistrees" => ("success", "Votre choix est enregistré."),
        "dossier-transmis" => (
            "success",
            "Votre dossier est transmis. Un accusé de réception vous a été envoyé par courriel.",
        ),
        "brouillon-supprime" => ("success", "Le brouillon et ses fichiers ont été supprimés."),
        "dossier-duplique" => (
            "success",
            "Le dossier a été copié dans un nouveau brouillon : vérifiez chaque page avant de le transmettre.",
        ),
        "courriel-renvoye" => (
            "success",
            "Un nouveau courriel de confirmation vous a été envoyé. Le lien qu’il contient est valable 48 heures.",
        ),
        "mot-de-passe-modifie" => (
            "success",
            "Votre mot de passe a été modifié et vous êtes connecté. Vos autres sessions ont été fermées.",
        ),
        "email-envoye" => (
            "success",
            "Un courriel vous a été envoyé à la nouvelle adresse : suivez son lien pour confirmer le changement. Votre adresse actuelle reste valable d’ici là.",
        ),
        "profil-cree" => (
            "success",
            "Le profil est créé : vous en êtes le gestionnaire.",
        ),
        "profil-rejoint" => (
            "success",
            "Vous avez rejoint le profil : ses gestionnaires en sont informés.",
        ),
        "profil-modifie" => ("success", "Les informations du profil ont été modifiées."),
        "partage-revoque" => (
            "success",
            "Le partage est révoqué : sa clé ne fonctionne plus.",
        ),
        "composition-modifiee" => (
            "success",
            "La composition du profil a été modifiée ; la personne concernée est prévenue par courriel.",
        ),
        "profil-quitte" => ("success", "Vous avez quitté le profil."),
        _ => return None,
    })
}

/// The notice of `?message=…`, if any.
#[component]
pub fn FlashMessage() -> impl IntoView {
    let query = use_query_map();
    move || {
        query.with(|q| q.get("message")).and_then(|key| {
            flash(&key).map(|(kind, text)| {
                view! {
                    <Notice kind>
                        <p>{text}</p>
                    </Notice>
                }
            })
        })
    }
}

// ---------------------------------------------------------------- sign-in

/// The sign-in form: identifiant (email), mot de passe, « Connecter », then the link
/// « Mot de passe oublié ? ».
#[component]
pub fn SignInForm(#[prop(optional, into)] retour: Option<String>) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = form_error(action);
    view! {
        <ActionForm action attr:novalidate=true attr:class="form">
            <ErrorSummary error />
            <input type="hidden" name="retour" value=retour.unwrap_or_default() />
            <TextField
                label="Identifiant (adresse électronique)"
                name="email"
                kind="email"
                autocomplete="username"
                error
            />
            <PasswordField label="Mot de passe" name="password" error advice=true />
            <SubmitButton label="Connecter" />
            <p>
                <a href="/mot-de-passe-oublie">"Mot de passe oublié ?"</a>
            </p>
        </ActionForm>
    }
}

/// The invitation to create an account, beside the sign-in form.
#[component]
pub fn SignUpInvitation() -> impl IntoView {
    view! {
        <h2 id="titre-creer-compte">"Je n’ai pas de compte"</h2>
        <p>
            "Créez votre compte en quelques minutes pour déposer vos demandes, en votre nom ou pour une collectivité, une association ou une entreprise, et suivre leur avancement."
        </p>
        <p>
            <a class="button button-secondary" href="/inscription">
                "Créer un compte"
            </a>
        </p>
    }
}

/// « Connexion ».
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let retour = query.with_untracked(|q| q.get("retour"));
    view! {
        <Title text="Connexion" />
        <div class="container page">
            <h1>"Connexion"</h1>
            <div class="columns">
                <section class="card" aria-labelledby="titre-deja-compte">
                    <h2 id="titre-deja-compte">"J’ai déjà un compte"</h2>
                    <SignInForm retour=retour.unwrap_or_default() />
                </section>
                <section class="card" aria-labelledby="titre-creer-compte">
                    <SignUpInvitation />
                </section>
            </div>
        </div>
    }
}

/// « Se déconnecter », a form so that it works without JavaScript.
#[component]
pub fn SignOutButton() -> impl IntoView {
    let action = ServerAction::<SignOut>::new();
    view! {
        <ActionForm action attr:class="inline-form">
            <button type="submit" class="button-link header-signout">
                "Se déconnecter"
            </button>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- sign-up

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = form_error(action);
    view! {
        <Title text="Créer un compte" />
        <div class="container page narrow">
            <h1>"Créer un compte"</h1>
            <p class="lead">
                "Tous les champs sont obligatoires. Vous avez déjà un compte ? "
                <a href="/connexion">"Connexion"</a>
            </p>
            <ActionForm action attr:novalidate=true attr:class="form">
                <ErrorSummary error />
                <RadioGroup
                    legend="Civilité"
                    name="civilite"
                    options=Civilite::ALL.iter().map(|c| (c.as_str(), c.label())).collect()
                    error
                />
                <TextField label="Nom" name="last_name" autocomplete="family-name" error />
                <TextField label="Prénom" name="first_name" autocomplete="given-name" error />
                <TextField
                    label="Adresse électronique"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    hint="Elle sera votre identifiant. Nous y enverrons un lien pour la confirmer, puis les nouvelles de vos demandes."
                    error
                />
                <PasswordField
                    label="Mot de passe"
                    name="password"
                    autocomplete="new-password"
                    hint="Au moins 12 caractères. Une phrase de plusieurs mots sans lien entre eux est facile à retenir et difficile à deviner."
                    advice=true
                    meter=true
                    error
                />
                <PasswordField
                    label="Confirmation du mot de passe"
                    name="password_confirmation"
                    autocomplete="new-password"
                    error
                />
                <CheckboxField name="terms" error>
                    "J’accepte les conditions d’utilisation du portail"
                </CheckboxField>
                <p class="hint">
                    <a href="/conditions-utilisation">"Lire les conditions d’utilisation"</a>
                </p>
                <SubmitButton label="Créer mon compte" />
            </ActionForm>
        </div>
    }
}

#[component]
pub fn SignUpSentPage() -> impl IntoView {
    view! {
        <Title text="Vérifiez votre boîte de réception" />
        <div class="container page narrow">
            <h1>"Vérifiez votre boîte de réception"</h1>
            <Notice kind="success">
                <p>
                    "Votre demande est enregistrée. Nous venons d’envoyer un courriel à l’adresse indiquée."
                </p>
            </Notice>
            <p>
                "Si c’est une nouvelle adresse, ce courriel contient un lien pour la confirmer, valable 48 heures. Si un compte existe déjà pour cette adresse, le courriel vous le rappelle."
            </p>
            <p>
                "Vous pouvez vous connecter dès maintenant ; vous pourrez déposer une demande une fois votre adresse confirmée."
            </p>
            <p>
                "Rien reçu après quelques minutes ? Regardez dans vos courriers indésirables. Une fois connecté, « Mon compte » vous permet de recevoir le lien à nouveau."
            </p>
            <p>
                <a class="button" href="/connexion">
                    "Connexion"
                </a>
            </p>
        </div>
    }
}

// ---------------------------------------------------------------- password reset

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = form_error(action);
    view! {
        <Title text="Mot de passe oublié" />
        <div class="container page narrow">
            <h1>"Mot de passe oublié ?"</h1>
            <p class="lead">
                "Renseignez l’adresse électronique utilisée pour créer votre compte : vous allez recevoir un courriel avec un lien vers le portail. En cliquant sur ce lien, vous pourrez choisir un nouveau mot de passe."
            </p>
            <ActionForm action attr:novalidate=true attr:class="form">
                <ErrorSummary error />
                <TextField
                    label="Adresse électronique"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    error
                />
                <SubmitButton label="Soumettre" />
            </ActionForm>
        </div>
    }
}

#[component]
pub fn ForgotPasswordSentPage() -> impl IntoView {
    view! {
        <Title text="Consultez vos courriels" />
        <div class="container page narrow">
            <h1>"Consultez vos courriels"</h1>
            <Notice kind="success">
                <p>
                    "Si un compte existe pour cette adresse, un courriel contenant un lien pour choisir un nouveau mot de passe vient de lui être envoyé."
                </p>
            </Notice>
            <p>"Ce lien est valable une heure et ne peut servir qu’une fois."</p>
            <p>
                "Rien reçu après quelques minutes ? Regardez dans vos courriers indésirables, vérifiez l’adresse, puis "
                <a href="/mot-de-passe-oublie">"faites une nouvelle demande"</a>
                "."
            </p>
        </div>
    }
}

#[component]
fn InvalidLink(#[prop(optional)] reset: bool) -> impl IntoView {
    set_status_gone();
    view! {
        <h1>"Ce lien n’est plus valide"</h1>
        <p class="lead">
            {if reset {
                "Il a expiré (il est valable une heure) ou il a déjà servi. Demandez un nouveau lien : il vous sera envoyé par courriel."
            } else {
                "Il a expiré ou il a déjà servi. Connectez-vous : « Mon compte » vous permet de recevoir un nouveau lien."
            }}
        </p>
        <p>
            {if reset {
                view! {
                    <a class="button" href="/mot-de-passe-oublie">
                        "Demander un nouveau lien"
                    </a>
                }
                    .into_any()
            } else {
                view! {
                    <a class="button" href="/mon-compte">
                        "Mon compte"
                    </a>
                }
                    .into_any()
            }}
        </p>
    }
}

fn set_status_gone() {
    crate::ui::set_status(410);
}

fn token_of_query() -> String {
    use_query_map().with_untracked(|q| q.get("jeton").unwrap_or_default())
}

#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let jeton = token_of_query();
    let valid = Resource::new(
        {
            let jeton = jeton.clone();
            move || jeton.clone()
        },
        reset_link_valid,
    );
    let action = ServerAction::<ResetPassword>::new();
    let error = form_error(action);
    view! {
        <Title text="Nouveau mot de passe" />
        <div class="container page narrow">
            <Suspense fallback=Loading>
                {move || {
                    let jeton = StoredValue::new(jeton.clone());
                    Suspend::new(async move {
                        match valid.await {
                            Ok(true) => {
                                view! {
                                    <Show
                                        when=move || !matches!(error.get(), Some(AppError::InvalidLink))
                                        fallback=|| view! { <InvalidLink reset=true /> }
                                    >
                                        <h1>"Choisissez un nouveau mot de passe"</h1>
                                        <ActionForm action attr:novalidate=true attr:class="form">
                                            <ErrorSummary error />
                                            <input type="hidden" name="jeton" value=jeton.get_value() />
                                            <PasswordField
                                                label="Nouveau mot de passe"
                                                name="password"
                                                autocomplete="new-password"
                                                hint="Au moins 12 caractères. Une phrase de plusieurs mots sans lien entre eux est facile à retenir et difficile à deviner."
                                                advice=true
                                                meter=true
                                                error
                                            />
                                            <PasswordField
                                                label="Confirmation du nouveau mot de passe"
                                                name="password_confirmation"
                                                autocomplete="new-password"
                                                error
                                            />
                                            <SubmitButton label="Enregistrer le mot de passe" />
                                        </ActionForm>
                                    </Show>
                                }
                                    .into_any()
                            }
                            Ok(false) => view! { <InvalidLink reset=true /> }.into_any(),
                            Err(error) => view! { <ErrorPage error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

// ---------------------------------------------------------------- address confirmation

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let jeton = StoredValue::new(token_of_query());
    let action = ServerAction::<ConfirmEmail>::new();
    let error = form_error(action);
    view! {
        <Title text="Confirmer votre adresse électronique" />
        <div class="container page narrow">
            <Show
                when=move || !matches!(error.get(), Some(AppError::InvalidLink))
                fallback=|| view! { <InvalidLink /> }
            >
                <h1>"Confirmer votre adresse électronique"</h1>
                <p class="lead">
                    "Confirmez que cette adresse est bien la vôtre : le portail l’utilisera pour vous écrire."
                </p>
                <ActionForm action attr:class="form">
                    <ErrorSummary error />
                    <input type="hidden" name="jeton" value=jeton.get_value() />
                    <SubmitButton label="Confirmer mon adresse" />
                </ActionForm>
            </Show>
        </div>
    }
}

#[component]
pub fn EmailConfirmedPage() -> impl IntoView {
    let changed = use_query_map().with_untracked(|q| q.get("changement").is_some());
    view! {
        <Title text="Adresse électronique confirmée" />
        <div class="container page narrow">
            <h1>"Adresse électronique confirmée"</h1>
            <Notice kind="success">
                <p>
                    {if changed {
                        "Votre compte utilise désormais votre nouvelle adresse électronique : c’est votre nouvel identifiant."
                    } else {
                        "Merci : votre adresse électronique est confirmée. Vous pouvez déposer vos demandes."
                    }}
                </p>
            </Notice>
            <p>
                <a class="button" href="/mon-compte">
                    "Mon compte"
                </a>
            </p>
        </div>
    }
}

// ---------------------------------------------------------------- Mon compte

struct Tile {
    href: &'static str,
    title: &'static str,
    summary: &'static str,
}

const TILES: [Tile; 5] = [
    Tile {
        href: "/mon-compte/donnees-personnelles",
        title: "Mes données personnelles",
        summary: "Civilité, nom, adresse, téléphone, adresse électronique et mot de passe.",
    },
    Tile {
        href: "/mon-compte/profils",
        title: "Mes profils",
        summary: "Vous-même, et les collectivités, associations ou entreprises que vous représentez.",
    },
    Tile {
        href: "/mon-compte/brouillons",
        title: "Mes brouillons",
        summary: "Les demandes commencées : modifiez-les, complétez-les et transmettez-les.",
    },
    Tile {
        href: "/mon-compte/dossiers",
        title: "Mes dossiers",
        summary: "Les demandes déposées : leur statut, leur avancement, une copie à télécharger.",
    },
    Tile {
        href: "/mon-compte/documents",
        title: "Mes documents reçus",
        summary: "Les documents que le Département vous adresse.",
    },
];

#[component]
fn UnverifiedNotice(email: String) -> impl IntoView {
    let action = ServerAction::<ResendVerification>::new();
    let error = form_error(action);
    view! {
        <Notice kind="warning" title="Adresse électronique à confirmer">
            <p>
                "Tant que votre adresse n’est pas confirmée, vous ne pouvez pas déposer de demande. Suivez le lien du courriel envoyé à "
                <strong>{email}</strong>
                "."
            </p>
            <ActionForm action attr:class="form">
                <ErrorSummary error />
                <button type="submit" class="button button-secondary">
                    "Renvoyer le courriel de confirmation"
                </button>
            </ActionForm>
        </Notice>
    }
}

#[component]
fn AccountHub(user: CurrentUser) -> impl IntoView {
    view! {
        <h1>"Mon compte"</h1>
        <p class="lead">{format!("Bonjour {} !", user.display_name())}</p>
        <FlashMessage />
        {(!user.email_verified).then(|| view! { <UnverifiedNotice email=user.email.clone() /> })}
        <ul class="tile-grid" role="list">
            {TILES
                .iter()
                .map(|t| {
                    view! {
                        <li class="tile">
                            <h2 class="tile-title">
                                <a href=t.href class="tile-link">
                                    {t.title}
                                </a>
                            </h2>
                            <p class="tile-summary">{t.summary}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Title text="Mon compte" />
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! { <AccountHub user /> }.into_any(),
                        Ok(None) => error_view(AppError::Unauthenticated),
                        Err(error) => error_view(error),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// A tile page of « Mon compte » whose content needs only the signed-in person.
#[component]
pub fn AccountSubPage<F, V>(title: &'static str, content: F) -> impl IntoView
where
    F: Fn(CurrentUser) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Title text=title />
        <div class="container page">
            <Breadcrumb trail=vec![("/mon-compte", "Mon compte")] current=title />
            <Suspense fallback=Loading>
                {move || {
                    let content = content.clone();
                    Suspend::new(async move {
                        match user.await {
                            Ok(Some(user)) => {
                                view! {
                                    <h1>{title}</h1>
                                    {content(user)}
                                }
                                    .into_any()
                            }
                            Ok(None) => error_view(AppError::Unauthenticated),
                            Err(error) => error_view(error),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

// ---------------------------------------------------------------- personal data

/// One row of « Mes données personnelles »: its value, and a pencil link to edit it.
#[component]
fn DataRow(field: PersonalField, value: String) -> impl IntoView {
    let href = format!(
        "/mon-compte/donnees-personnelles?modifier={}#modifier",
        field.slug()
    );
    let empty = value.is_empty();
    view! {
        <div>
            <dt>{field.label()}</dt>
            <dd class:muted=empty>{if empty { "Non renseigné".to_owned() } else { value }}</dd>
            <dd class="summary-list-actions">
                <a href=href class="pencil-link">
                    <svg class="icon-pencil" aria-hidden="true" viewBox="0 0 24 24" focusable="false">
                        <path d="M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zm17.71-10.21a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z" />
                    </svg>
                    "Modifier"
                    <span class="visually-hidden">{format!(" {}", field.possessive())}</span>
                </a>
            </dd>
        </div>
    }
}

fn address_text(d: &PersonalData) -> String {
    if d.address_line.is_empty() {
        String::new()
    } else {
        format!("{}, {} {}", d.address_line, d.postal_code, d.commune)
    }
}

/// The edit form of one field (the page in edit mode).
#[component]
fn EditForm(field: PersonalField, data: PersonalData) -> impl IntoView {
    let cancel = "/mon-compte/donnees-personnelles";
    let title = format!("Modifier {}", field.possessive());
    let buttons = move || {
        view! {
            <div class="button-group">
                <button type="submit" class="button">
                    "Enregistrer"
                </button>
                <a class="button button-secondary" href=cancel>
                    "Annuler"
                </a>
            </div>
        }
    };
    let form = match field {
        PersonalField::Civilite
        | PersonalField::LastName
        | PersonalField::FirstName
        | PersonalField::Phone => {
            let action = ServerAction::<UpdatePersonalField>::new();
            let error = form_error(action);
            let (name, input) = match field {
                PersonalField::Civilite => (
                    "civilite",
                    view! {
                        <RadioGroup
                            legend="Civilité"
                            name="value"
                            options=Civilite::ALL.iter().map(|c| (c.as_str(), c.label())).collect()
                            selected=data.civilite.clone()
                            error=Signal::derive(move || error.get().map(rename_field("civilite")))
                        />
                    }
                        .into_any(),
                ),
                PersonalField::LastName => (
                    "last_name",
                    view! {
                        <TextField
                            label="Nom"
                            name="value"
                            autocomplete="family-name"
                            value=data.last_name.clone()
                            autofocus=true
                            error=Signal::derive(move || error.get().map(rename_field("last_name")))
                        />
                    }
                        .into_any(),
                ),
                PersonalField::FirstName => (
                    "first_name",
                    view! {
                        <TextField
                            label="Prénom"
                            name="value"
                            autocomplete="given-name"
                            value=data.first_name.clone()
                            autofocus=true
                            error=Signal::derive(move || error.get().map(rename_field("first_name")))
                        />
                    }
                        .into_any(),
                ),
                _ => (
                    "phone",
                    view! {
                        <TextField
                            label="Téléphone"
                            name="value"
                            kind="tel"
                            autocomplete="tel"
                            hint="Par exemple 06 12 34 56 78. Laissez vide pour l’effacer."
                            value=data.phone.clone()
                            autofocus=true
                            width="input-medium"
                            error=Signal::derive(move || error.get().map(rename_field("phone")))
                        />
                    }
                        .into_any(),
                ),
            };
            let summary_error = Signal::derive(move || error.get().map(rename_field(name)));
            view! {
                <ActionForm action attr:novalidate=true attr:class="form">
                    <ErrorSummary error=summary_error />
                    <input type="hidden" name="field" value=name />
                    {input}
                    {buttons()}
                </ActionForm>
            }
            .into_any()
        }
        PersonalField::BirthDate => {
            let action = ServerAction::<UpdateBirthDate>::new();
            let error = form_error(action);
            let mut parts = data.birth_date.split('-').map(str::to_owned);
            let (y, m, d) = (
                parts.next().unwrap_or_default(),
                parts
                    .next()
                    .map(|m| m.trim_start_matches('0').to_owned())
                    .unwrap_or_default(),
                parts
                    .next()
                    .map(|d| d.trim_start_matches('0').to_owned())
                    .unwrap_or_default(),
            );
            let message =
                Signal::derive(move || error.get().and_then(|e| e.field_message("birth_day")));
            view! {
                <ActionForm action attr:novalidate=true attr:class="form">
                    <ErrorSummary error />
                    <div class="field" class:field-error=move || message.get().is_some()>
                        <fieldset
                            role="group"
                            aria-describedby=move || {
                                if message.get().is_some() {
                                    "date-aide champ-birth-day-erreur"
                                } else {
                                    "date-aide"
                                }
                            }
                        >
                            <legend>"Date de naissance"</legend>
                            <p class="hint" id="date-aide">
                                "Par exemple 27 3 1985"
                            </p>
                            {move || {
                                message
                                    .get()
                                    .map(|m| {
                                        view! {
                                            <p class="error-message" id="champ-birth-day-erreur">
                                                <span class="visually-hidden">"Erreur : "</span>
                                                {m}
                                            </p>
                                        }
                                    })
                            }}
                            <div class="date-input">
                                <DatePart label="Jour" name="birth_day" value=d autocomplete="bday-day" error autofocus=true />
                                <DatePart label="Mois" name="birth_month" value=m autocomplete="bday-month" error />
                                <DatePart label="Année" name="birth_year" value=y autocomplete="bday-year" error wide=true />
                            </div>
                        </fieldset>
                    </div>
                    {buttons()}
                </ActionForm>
            }
                .into_any()
        }
        PersonalField::Address => {
            let action = ServerAction::<UpdateAddress>::new();
            let error = form_error(action);
            view! {
                <ActionForm action attr:novalidate=true attr:class="form">
                    <ErrorSummary error />
                    <TextField
                        label="Numéro et voie"
                        name="address_line"
                        autocomplete="street-address"
                        hint="Par exemple 12 rue des Tilleuls, appartement 3"
                        value=data.address_line.clone()
                        autofocus=true
                        error
                    />
                    <TextField
                        label="Code postal"
                        name="postal_code"
                        autocomplete="postal-code"
                        inputmode="numeric"
                        width="input-short"
                        value=data.postal_code.clone()
                        error
                    />
                    <TextField
                        label="Commune"
                        name="commune"
                        autocomplete="address-level2"
                        value=data.commune.clone()
                        error
                    />
                    {buttons()}
                </ActionForm>
            }
            .into_any()
        }
        PersonalField::Email => {
            let action = ServerAction::<RequestEmailChange>::new();
            let error = form_error(action);
            view! {
                <p>
                    "Nous enverrons un lien à la nouvelle adresse : le changement prendra effet quand vous l’aurez suivi. Votre adresse actuelle sera prévenue."
                </p>
                <ActionForm action attr:novalidate=true attr:class="form">
                    <ErrorSummary error />
                    <TextField
                        label="Nouvelle adresse électronique"
                        name="new_email"
                        kind="email"
                        autocomplete="email"
                        autofocus=true
                        error
                    />
                    <PasswordField
                        label="Mot de passe actuel"
                        name="current_password"
                        hint="Pour vérifier que c’est bien vous."
                        error
                    />
                    {buttons()}
                </ActionForm>
            }
                .into_any()
        }
        PersonalField::Password => {
            let action = ServerAction::<ChangePassword>::new();
            let error = form_error(action);
            view! {
                <p>"Vos autres sessions ouvertes (autres appareils) seront fermées."</p>
                <ActionForm action attr:novalidate=true attr:class="form">
                    <ErrorSummary error />
                    <PasswordField label="Mot de passe actuel" name="current_password" error />
                    <PasswordField
                        label="Nouveau mot de passe"
                        name="password"
                        autocomplete="new-password"
                        hint="Au moins 12 caractères. Une phrase de plusieurs mots sans lien entre eux est facile à retenir et difficile à deviner."
                        advice=true
                        meter=true
                        error
                    />
                    <PasswordField
                        label="Confirmation du nouveau mot de passe"
                        name="password_confirmation"
                        autocomplete="new-password"
                        error
                    />
                    {buttons()}
                </ActionForm>
            }
                .into_any()
        }
    };
    view! {
        <section class="card edit-card" id="modifier" aria-labelledby="titre-modifier">
            <h2 id="titre-modifier">{title}</h2>
            {form}
        </section>
    }
}

/// The server names the field of a one-field form by what it edits (`phone`); the
/// input is named `value`. Errors are renamed so that they show next to the input.
fn rename_field(from: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| match e {
        AppError::Invalid { errors, kept } => AppError::Invalid {
            errors: errors
                .into_iter()
                .map(|mut f| {
                    if f.field == from {
                        f.field = "value".into();
                    }
                    f
                })
                .collect(),
            kept: kept
                .into_iter()
                .map(|(k, v)| (if k == from { "value".to_owned() } else { k }, v))
                .collect(),
        },
        other => other,
    }
}

#[component]
fn DatePart(
    label: &'static str,
    name: &'static str,
    value: String,
    autocomplete: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional)] wide: bool,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("champ-{}", name.replace('_', "-"));
    let value = move || {
        error
            .get()
            .and_then(|e| e.kept_value(name))
            .unwrap_or_else(|| value.clone())
    };
    let invalid = move || {
        error
            .get()
            .is_some_and(|e| e.field_message("birth_day").is_some())
    };
    view! {
        <div class="date-input-item">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                inputmode="numeric"
                autocomplete=autocomplete
                autofocus=autofocus
                class=if wide { "input-year" } else { "input-day" }
                value=value
                aria-invalid=move || invalid().then_some("true")
            />
        </div>
    }
}

#[component]
fn PersonalDataView(data: PersonalData) -> impl IntoView {
    let query = use_query_map();
    let editing = Signal::derive(move || {
        query.with(|q| q.get("modifier").and_then(|s| PersonalField::from_slug(&s)))
    });
    let saved = Signal::derive(move || {
        query.with(|q| q.get("modifie").and_then(|s| PersonalField::from_slug(&s)))
    });
    let civilite = Civilite::parse(&data.civilite)
        .map(|c| c.label().to_owned())
        .unwrap_or_default();
    let birth = if data.birth_date.is_empty() {
        String::new()
    } else {
        format_date_fr(&data.birth_date)
    };
    let email_value = if data.email_verified {
        data.email.clone()
    } else {
        format!("{} (non confirmée)", data.email)
    };
    let rows = vec![
        (PersonalField::Civilite, civilite),
        (PersonalField::LastName, data.last_name.clone()),
        (PersonalField::FirstName, data.first_name.clone()),
        (PersonalField::BirthDate, birth),
        (PersonalField::Address, address_text(&data)),
        (PersonalField::Phone, data.phone.clone()),
        (PersonalField::Email, email_value),
        (PersonalField::Password, "••••••••••••".to_owned()),
    ];
    let pending = data.pending_email.clone();
    let edit_data = data.clone();
    view! {
        <FlashMessage />
        {move || {
            saved
                .get()
                .map(|f| {
                    view! {
                        <Notice kind="success">
                            <p>{f.saved_message()}</p>
                        </Notice>
                    }
                })
        }}
        {pending
            .map(|p| {
                view! {
                    <Notice kind="info" title="Changement d’adresse en attente">
                        <p>
                            {format!(
                                "Un lien de confirmation a été envoyé à {p}. Votre adresse changera quand vous l’aurez suivi.",
                            )}
                        </p>
                    </Notice>
                }
            })}
        <p>
            "Choisissez « Modifier » sur la ligne de l’information à changer. Ces données servent à pré-remplir vos demandes."
        </p>
        {move || editing.get().map(|field| view! { <EditForm field data=edit_data.clone() /> })}
        <dl class="summary-list">
            {rows
                .into_iter()
                .map(|(field, value)| view! { <DataRow field value /> })
                .collect_view()}
        </dl>
        <section aria-labelledby="titre-rgpd" class="section">
            <h2 id="titre-rgpd">"Vos données et vos droits"</h2>
            <p>
                "Vous pouvez télécharger toutes les données que le portail détient sur vous, dans un fichier au format JSON."
            </p>
            <p>
                <a class="button button-secondary" href="/mon-compte/mes-donnees.json" download="mes-donnees-guichet.json">
                    "Télécharger mes données"
                </a>
            </p>
            <p>
                "Vous pouvez aussi supprimer votre compte. Les dossiers déjà déposés resteront conservés par le Département le temps que la loi impose."
            </p>
            <p>
                <a class="button button-danger" href="/mon-compte/supprimer">
                    "Supprimer mon compte"
                </a>
            </p>
        </section>
    }
}

#[component]
pub fn PersonalDataPage() -> impl IntoView {
    // Read again after each change (the address then says what changed), not when an
    // edit form opens.
    let outcomes = crate::ui::form_outcomes(&["modifie", "message"]);
    let data = Resource::new(move || outcomes.get(), |_| get_personal_data());
    let title = "Mes données personnelles";
    view! {
        <Title text=title />
        <div class="container page">
            <Breadcrumb trail=vec![("/mon-compte", "Mon compte")] current=title />
            <h1>{title}</h1>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <PersonalDataView data /> }.into_any(),
                        Err(error) => error_view(error),
                    }
                })}
            </Transition>
        </div>
    }
}

// ---------------------------------------------------------------- deletion

#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    let error = form_error(action);
    view! {
        <AccountSubPage
            title="Supprimer mon compte"
            content=move |_| {
                view! {
                    <p>"La suppression de votre compte est définitive :"</p>
                    <ul>
                        <li>
                            "vos données personnelles (nom, adresse, téléphone, adresse électronique) sont effacées et vous ne pourrez plus vous connecter ;"
                        </li>
                        <li>
                            "vos brouillons sont supprimés ;"
                        </li>
                        <li>
                            "les dossiers que vous avez déjà déposés restent conservés par le Département, sans lien avec un compte, le temps que la loi impose pour leur instruction et leurs archives ;"
                        </li>
                        <li>"un courriel vous confirmera la suppression."</li>
                    </ul>
                    <p>
                        "Avant de supprimer votre compte, vous pouvez "
                        <a href="/mon-compte/mes-donnees.json" download="mes-donnees-guichet.json">
                            "télécharger vos données"
                        </a>
                        "."
                    </p>
                    <ActionForm action attr:novalidate=true attr:class="form narrow">
                        <ErrorSummary error />
                        <PasswordField
                            label="Mot de passe"
                            name="current_password"
                            hint="Pour confirmer que c’est bien vous."
                            error
                        />
                        <div class="button-group">
                            <button type="submit" class="button button-danger">
                                "Supprimer définitivement mon compte"
                            </button>
                            <a class="button button-secondary" href="/mon-compte/donnees-personnelles">
                                "Annuler"
                            </a>
                        </div>
                    </ActionForm>
                }
            }
        />
    }
}

#[component]
pub fn AccountDeletedPage() -> impl IntoView {
    view! {
        <Title text="Compte supprimé" />
        <div class="container page narrow">
            <h1>"Votre compte a été supprimé"</h1>
            <Notice kind="success">
                <p>"Vos données personnelles ont été effacées. Un courriel vous le confirme."</p>
            </Notice>
            <p>
                "Les dossiers que vous aviez déposés restent conservés par le Département le temps que la loi impose."
            </p>
            <p>
                <a href="/">"Retour à l’accueil"</a>
            </p>
        </div>
    }
}

// ---------------------------------------------------------------- second factor

/// The pending sign-in expired or never started: back to « Connexion ».
fn sign_in_again() -> AnyView {
    view! {
        <h1>"Connexion"</h1>
        <p class="lead">"Votre connexion a expiré : saisissez de nouveau votre adresse électronique et votre mot de passe."</p>
        <p><a class="button" href="/connexion">"Connexion"</a></p>
    }
    .into_any()
}

/// « Faire confiance à cet appareil pendant 30 jours ».
#[component]
fn TrustDevice() -> impl IntoView {
    view! {
        <div class="field">
            <div class="choice">
                <input type="checkbox" id="champ-confiance" name="confiance" value="on" aria-describedby="champ-confiance-aide" />
                <label for="champ-confiance">"Faire confiance à cet appareil pendant 30 jours"</label>
            </div>
            <p class="hint" id="champ-confiance-aide">"Seulement sur un ordinateur de travail que vous êtes seul à utiliser : le code ne sera plus demandé sur ce navigateur."</p>
        </div>
    }
}

/// The code of a staff sign-in (instructors, administrators).
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<super::api::VerifySecondFactor>::new();
    let error = form_error(action);
    view! {
        <Title text="Vérification en deux étapes" />
        <div class="container page narrow">
            <h1>"Vérification en deux étapes"</h1>
            <p class="lead">"Votre compte donne accès aux dossiers des usagers : saisissez le code affiché par votre application d’authentification."</p>
            <ActionForm action attr:novalidate=true attr:class="form">
                <ErrorSummary error />
                <TextField
                    label="Code de vérification"
                    name="code"
                    autocomplete="one-time-code"
                    hint="6 chiffres, qui changent toutes les 30 secondes. Sans votre téléphone, saisissez un de vos codes de secours (par exemple ABCD-EFGH-JKMN)."
                    width="input-medium"
                    autofocus=true
                    error
                />
                <TrustDevice />
                <SubmitButton label="Valider" />
            </ActionForm>
            <p>"Plus de téléphone ni de codes de secours ? Demandez à un administrateur du portail de réinitialiser votre double authentification."</p>
        </div>
    }
}

/// The enrolment of the second factor at a staff account's first sign-in.
#[component]
pub fn EnrolSecondFactorPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::api::second_factor_enrolment());
    let action = ServerAction::<super::api::ConfirmSecondFactor>::new();
    let error = form_error(action);
    view! {
        <Title text="Activer la vérification en deux étapes" />
        <div class="container page narrow">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(AppError::Unauthenticated) => sign_in_again(),
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(e) => view! {
                            <h1>"Activer la vérification en deux étapes"</h1>
                            <p class="lead">"Votre compte donne accès aux dossiers des usagers : à chaque connexion, un code à usage unique vous sera demandé en plus de votre mot de passe."</p>
                            <ol class="steps-list">
                                <li>
                                    <h2>"Installez une application d’authentification"</h2>
                                    <p>"Sur votre téléphone : par exemple FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator."</p>
                                </li>
                                <li>
                                    <h2>"Ajoutez votre compte dans l’application"</h2>
                                    <p>"Scannez ce QR code avec l’application :"</p>
                                    <div class="qr-code" inner_html=e.qr_svg></div>
                                    <p>"Ou saisissez cette clé dans l’application (compte « "{e.email.clone()}" », type « basé sur le temps ») :"</p>
                                    <p><code class="secret-key" id="cle-secrete">{e.secret.clone()}</code></p>
                                </li>
                                <li>
                                    <h2>"Saisissez le code affiché"</h2>
                                    <ActionForm action attr:novalidate=true attr:class="form">
                                        <ErrorSummary error />
                                        <TextField
                                            label="Code de vérification"
                                            name="code"
                                            autocomplete="one-time-code"
                                            inputmode="numeric"
                                            hint="Les 6 chiffres affichés par l’application."
                                            width="input-medium"
                                            error
                                        />
                                        <TrustDevice />
                                        <SubmitButton label="Activer" />
                                    </ActionForm>
                                </li>
                            </ol>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The recovery codes, shown once after the enrolment.
#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::api::recovery_codes_once());
    view! {
        <Title text="Vos codes de secours" />
        <div class="container page narrow">
            <h1>"Vos codes de secours"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(codes) if codes.is_empty() => view! {
                            <p class="lead">"Vos codes de secours ont déjà été affichés : pour des raisons de sécurité, ils ne le sont qu’une fois."</p>
                            <p><a class="button" href="/instruction">"Continuer"</a></p>
                        }.into_any(),
                        Ok(codes) => view! {
                            <Notice kind="success" title="La vérification en deux étapes est activée.">
                                <p>"Notez ces codes maintenant : ils ne seront plus affichés."</p>
                            </Notice>
                            <p>"Sans votre téléphone, chacun de ces codes remplace une fois le code de l’application. Gardez-les en lieu sûr, hors de votre ordinateur de travail (imprimés, ou dans un gestionnaire de mots de passe)."</p>
                            <ul class="recovery-codes" role="list" aria-label="Codes de secours">
                                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                            </ul>
                            <p><a class="button" href="/instruction">"Continuer"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
