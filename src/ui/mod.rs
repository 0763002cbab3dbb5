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

/// The pages a [`Pagination`] links to, in order: `None` stands for the pages left out
/// between two links (shown « … »). The first, the last, and the pages next to the
/// current one are always there; a gap of one page shows that page instead.
pub fn page_items(page: u32, pages: u32) -> Vec<Option<u32>> {
    let pages = pages.max(1);
    let page = page.clamp(1, pages);
    let mut shown: Vec<u32> = [1, page.saturating_sub(1), page, page + 1, pages]
        .into_iter()
        .filter(|n| (1..=pages).contains(n))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let mut items = Vec::with_capacity(shown.len() + 2);
    let mut previous = None;
    for n in shown {
        match previous {
            Some(p) if n == p + 2 => items.push(Some(p + 1)),
            Some(p) if n > p + 2 => items.push(None),
            _ => {}
        }
        items.push(Some(n));
        previous = Some(n);
    }
    items
}

/// The links between the pages of a long list (`?page=N`): « Page précédente », the
/// pages around this one with the first and the last, « Page suivante ». Plain links,
/// so it works without JavaScript; nothing is shown for a list of one page.
#[component]
pub fn Pagination(
    page: u32,
    pages: u32,
    /// The list's address, without a query.
    base: &'static str,
    /// What the list is, for the navigation's name (« Pages de mes dossiers »).
    label: &'static str,
) -> impl IntoView {
    let href = move |n: u32| {
        if n <= 1 {
            base.to_owned()
        } else {
            format!("{base}?page={n}")
        }
    };
    (pages > 1).then(|| {
        view! {
            <nav class="pagination" aria-label=label>
                <ul role="list">
                    {(page > 1).then(|| view! {
                        <li class="pagination-prev"><a href=href(page - 1) rel="prev">"Page précédente"</a></li>
                    })}
                    {page_items(page, pages)
                        .into_iter()
                        .map(|item| match item {
                            Some(n) => view! {
                                <li>
                                    <a href=href(n) aria-current=(n == page).then_some("page")>
                                        <span class="visually-hidden">"Page "</span>{n}
                                    </a>
                                </li>
                            }
                            .into_any(),
                            None => view! { <li class="pagination-gap" aria-hidden="true">"…"</li> }.into_any(),
                        })
                        .collect_view()}
                    {(page < pages).then(|| view! {
                        <li class="pagination-next"><a href=href(page + 1) rel="next">"Page suivante"</a></li>
                    })}
                </ul>
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::page_items;

    fn shown(page: u32, pages: u32) -> String {
        page_items(page, pages)
            .into_iter()
            .map(|i| i.map_or("…".to_owned(), |n| n.to_string()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_few_pages_are_all_shown() {
        assert_eq!(shown(1, 1), "1");
        assert_eq!(shown(1, 3), "1 2 3");
        assert_eq!(shown(2, 3), "1 2 3");
        assert_eq!(shown(3, 4), "1 2 3 4");
    }

    #[test]
    fn far_pages_are_left_out_with_an_ellipsis() {
        assert_eq!(shown(1, 10), "1 2 … 10");
        assert_eq!(shown(5, 10), "1 … 4 5 6 … 10");
        assert_eq!(shown(10, 10), "1 … 9 10");
    }

    #[test]
    fn a_gap_of_one_page_shows_the_page() {
        // « 1 … 3 » would hide a single page behind an ellipsis: show « 2 ».
        assert_eq!(shown(4, 10), "1 2 3 4 5 … 10");
        assert_eq!(shown(7, 10), "1 … 6 7 8 9 10");
    }

    #[test]
    fn a_page_out_of_range_is_read_as_the_nearest() {
        assert_eq!(shown(0, 3), "1 2 3");
        assert_eq!(shown(9, 3), "1 2 3");
    }
}
