//! Shared presentational components.

use leptos::prelude::*;
use leptos::text_prop::TextProp;

use crate::branding::{DEPARTEMENT, PORTAL};
use crate::error::AppError;

/// The document's `<title>`: the page's own title, then the portal and the département
/// (« Connexion – Guichet, Département de la Vallée-Verte »).
///
/// Each page writes the whole title itself rather than the app setting a formatter
/// once: a formatter without a text (the app's shell hydrates before a lazily loaded
/// page does) makes leptos_meta blank `document.title` until the page's chunk arrives,
/// and a screen reader or a test reading the title in between finds none.
#[component]
pub fn Title(#[prop(into)] text: TextProp) -> impl IntoView {
    view! { <leptos_meta::Title text=move || format!("{} – {PORTAL}, {DEPARTEMENT}", text.get()) /> }
}

pub mod form;

/// A number that goes up each time the address's query gets a new outcome of a form:
/// one of `keys` set (« ?modifie=adresse » after a change), or set to another value.
/// A page reads its data again when this changes, and not when the outcome leaves the
/// address (a « Modifier » link opening a form): reading it then would redraw the form
/// the person has started to fill in when the answer arrives, losing what they typed.
pub fn form_outcomes(keys: &'static [&'static str]) -> Memo<u32> {
    let query = leptos_router::hooks::use_query_map();
    let state = Memo::new(move |before: Option<&(u32, Vec<Option<String>>)>| {
        let now: Vec<Option<String>> = query.with(|q| keys.iter().map(|k| q.get(k)).collect());
        let n = match before {
            None => 0,
            Some((n, seen)) if now.iter().any(Option::is_some) && now != *seen => n + 1,
            Some((n, _)) => *n,
        };
        (n, now)
    });
    Memo::new(move |_| state.with(|(n, _)| *n))
}

/// Shown while a page's data loads (only seen during client-side navigation: the
/// server sends complete pages).
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" role="status">
            "Chargement…"
        </p>
    }
}

/// Sets the HTTP status of the page being rendered on the server.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// A whole-page error in the page shell, with the HTTP status that goes with it.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    set_status(error.status_code());
    let (title, action): (&str, Option<(&str, &str)>) = match &error {
        AppError::NotFound(_) => ("Page introuvable", Some(("/", "Retour à l’accueil"))),
        AppError::Unauthenticated => ("Connexion requise", Some(("/connexion", "Connexion"))),
        AppError::Forbidden => ("Accès refusé", Some(("/", "Retour à l’accueil"))),
        AppError::EmailNotVerified => (
            "Adresse électronique à confirmer",
            Some(("/mon-compte", "Mon compte")),
        ),
        AppError::InvalidLink => ("Lien expiré", Some(("/", "Retour à l’accueil"))),
        AppError::NotEditable => (
            "Dossier transmis",
            Some(("/mon-compte/dossiers", "Voir mes dossiers")),
        ),
        AppError::Stale => ("Dossier modifié entre-temps", None),
        AppError::Transport(_) => ("Portail injoignable", None),
        AppError::Unavailable => ("Service momentanément indisponible", None),
        AppError::RateLimited { .. } => ("Trop de tentatives", None),
        AppError::Validation(_) | AppError::Invalid { .. } | AppError::Internal => {
            ("Erreur technique", Some(("/", "Retour à l’accueil")))
        }
    };
    view! {
        <Title text=title />
        <div class="error-page">
            <h1>{title}</h1>
            <p class="lead">{error.to_string()}</p>
            {action
                .map(|(href, label)| {
                    view! {
                        <p>
                            <a href=href class="button">
                                {label}
                            </a>
                        </p>
                    }
                })}
        </div>
    }
}

/// The page of any address that matches no route.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <div class="container page">
            <ErrorPage error=AppError::not_found() />
        </div>
    }
}

/// « Fil d’Ariane »: `trail` is the (address, label) of each page above this one,
/// from the home page down; `current` is this page.
#[component]
pub fn Breadcrumb(
    trail: Vec<(&'static str, &'static str)>,
    #[prop(into)] current: String,
    /// Links whose address or label is computed (a démarche's queue…), after `trail`.
    #[prop(optional)]
    more: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <nav aria-label="Fil d’Ariane" class="breadcrumb">
            <ol>
                <li>
                    <a href="/">"Accueil"</a>
                </li>
                {trail
                    .into_iter()
                    .map(|(href, label)| {
                        view! {
                            <li>
                                <a href=href>{label}</a>
                            </li>
                        }
                    })
                    .collect_view()}
                {more
                    .into_iter()
                    .map(|(href, label)| {
                        view! {
                            <li>
                                <a href=href>{label}</a>
                            </li>
                        }
                    })
                    .collect_view()}
                <li>
                    <span aria-current="page">{current}</span>
                </li>
            </ol>
        </nav>
    }
}
