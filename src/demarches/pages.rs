//! Pages: home, catalogue, a démarche.

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{demarche_by_slug, featured_demarches, search_demarches};
use super::model::{CatalogueQuery, DemarcheCard};
use crate::account::api::get_current_user;
use crate::account::pages::{FlashMessage, SignInForm, SignUpInvitation};
use crate::error::AppError;
use crate::ui::{Breadcrumb, ErrorPage, Loading};

/// A démarche as a tile: its title is the link.
#[component]
fn DemarcheTile(demarche: DemarcheCard) -> impl IntoView {
    let href = demarche.href();
    view! {
        <li class="tile">
            <h3 class="tile-title">
                <a href=href class="tile-link">{demarche.title}</a>
            </h3>
            <p class="tile-summary">{demarche.summary}</p>
            <p class="tile-meta">
                <span class="badge">{demarche.audience.label()}</span>
            </p>
        </li>
    }
}

/// A list of démarches as tiles, once loaded; `empty` is said when there is none.
#[component]
fn DemarcheList(
    demarches: Resource<Result<Vec<DemarcheCard>, AppError>>,
    empty: &'static str,
) -> impl IntoView {
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match demarches.await {
                    Ok(list) if list.is_empty() => view! { <p>{empty}</p> }.into_any(),
                    Ok(list) => {
                        view! {
                            <ul class="tile-grid" role="list">
                                {list
                                    .into_iter()
                                    .map(|d| view! { <DemarcheTile demarche=d /> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The zone « J’ai déjà un compte » beside the invitation to create one, for visitors
/// who are not signed in.
#[component]
fn HomeSignIn() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(None) => {
                        Some(
                            view! {
                                <section class="container section" aria-label="Connexion au portail">
                                    <div class="columns">
                                        <div class="card" role="region" aria-labelledby="titre-deja-compte">
                                            <h2 id="titre-deja-compte">"J’ai déjà un compte"</h2>
                                            <SignInForm />
                                        </div>
                                        <div class="card" role="region" aria-labelledby="titre-creer-compte">
                                            <SignUpInvitation />
                                        </div>
                                    </div>
                                </section>
                            },
                        )
                    }
                    _ => None,
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let featured = Resource::new(|| (), |_| featured_demarches());
    view! {
        <Title text="Accueil" />
        <div class="container flash-zone">
            <FlashMessage />
        </div>
        <section class="hero" aria-labelledby="titre-accueil">
            <div class="container">
                <h1 id="titre-accueil">"Vos démarches en ligne avec le Département"</h1>
                <p class="lead">
                    "Particuliers, associations, collectivités : déposez vos demandes d’aide, de subvention ou de service, et suivez-les jusqu’à la décision."
                </p>
                <p>
                    <a class="button" href="/demarches">"Toutes les démarches"</a>
                </p>
            </div>
        </section>
        <HomeSignIn />
        <section class="container section" aria-labelledby="titre-une">
            <h2 id="titre-une">"Démarches à la Une"</h2>
            <DemarcheList
                demarches=featured
                empty="Aucune démarche n’est à la Une en ce moment."
            />
        </section>
    }
}

#[component]
pub fn CataloguePage() -> impl IntoView {
    let query = use_query_map();
    let search = move || {
        let q = query.read();
        CatalogueQuery {
            q: q.get("q").unwrap_or_default(),
            public: q.get("public").unwrap_or_default(),
        }
    };
    let list = Resource::new(search, search_demarches);
    let current = search();
    let audience_options = [
        ("", "Tous les publics"),
        ("particuliers", "Particuliers"),
        (
            "organisations",
            "Collectivités, associations et entreprises",
        ),
    ];
    view! {
        <Title text="Toutes les démarches" />
        <div class="container page">
            <h1>"Toutes les démarches"</h1>
            <form method="get" action="/demarches" class="search-form" role="search">
                <div class="field">
                    <label for="champ-q">"Rechercher une démarche"</label>
                    <p class="hint" id="champ-q-aide">"Par exemple : permis, transport, subvention"</p>
                    <input id="champ-q" name="q" type="search" value=current.q.clone() aria-describedby="champ-q-aide" />
                </div>
                <div class="field">
                    <label for="champ-public">"Public"</label>
                    <select id="champ-public" name="public">
                        {audience_options
                            .into_iter()
                            .map(|(value, label)| {
                                let selected = current.public == value;
                                view! { <option value=value selected=selected>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="button-group">
                    <button type="submit" class="button">"Rechercher"</button>
                </div>
            </form>
            <div aria-live="polite">
                <DemarcheList demarches=list empty="Aucune démarche ne correspond à votre recherche." />
            </div>
        </div>
    }
}

#[component]
pub fn DemarchePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let demarche = Resource::new(slug, demarche_by_slug);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match demarche.await {
                    Ok(d) => {
                        let start = format!("/demarches/{}/commencer", d.slug);
                        view! {
                            <Title text=d.title.clone() />
                            <div class="container page">
                                <Breadcrumb
                                    trail=vec![("/demarches", "Toutes les démarches")]
                                    current=d.title.clone()
                                />
                                <h1>{d.title}</h1>
                                <p class="lead">{d.summary}</p>
                                <div class="columns demarche-layout">
                                    <div class="prose" inner_html=d.description_html></div>
                                    <aside class="card demarche-facts" aria-labelledby="titre-en-bref">
                                        <h2 id="titre-en-bref">"En bref"</h2>
                                        <dl class="meta-list">
                                            <div>
                                                <dt>"Qui peut faire la demande"</dt>
                                                <dd>{d.audience.label()}</dd>
                                            </div>
                                            {d.period.map(|p| view! { <div><dt>"Période de dépôt"</dt><dd>{p}</dd></div> })}
                                            {d.processing_time.map(|t| view! { <div><dt>"Délai indicatif de traitement"</dt><dd>{t}</dd></div> })}
                                        </dl>
                                        {if d.open {
                                            view! {
                                                <p>
                                                    <a class="button" href=start>"Commencer la démarche"</a>
                                                </p>
                                            }
                                                .into_any()
                                        } else {
                                            view! {
                                                <p class="notice notice-warning">
                                                    {d.closed_reason.unwrap_or_else(|| "Cette démarche n’accepte pas de demande en ce moment.".into())}
                                                </p>
                                            }
                                                .into_any()
                                        }}
                                    </aside>
                                </div>
                                {(!d.documents.is_empty())
                                    .then(|| {
                                        view! {
                                            <section aria-labelledby="titre-documents">
                                                <h2 id="titre-documents">"Documents à préparer"</h2>
                                                <p>"Vous les joindrez au formulaire au format PDF ou image (JPEG, PNG, WebP) : pensez à les numériser avant de commencer."</p>
                                                <ul>
                                                    {d.documents.into_iter().map(|doc| view! { <li>{doc}</li> }).collect_view()}
                                                </ul>
                                            </section>
                                        }
                                    })}
                            </div>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
