//! Pages: home, catalogue, a démarche.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{demarche_by_slug, featured_demarches, published_demarches};
use super::model::DemarcheCard;
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
    let list = Resource::new(|| (), |_| published_demarches());
    view! {
        <Title text="Toutes les démarches" />
        <div class="container page">
            <h1>"Toutes les démarches"</h1>
            <DemarcheList demarches=list empty="Aucune démarche n’est ouverte en ce moment." />
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
                        view! {
                            <Title text=d.title.clone() />
                            <div class="container page">
                                <Breadcrumb
                                    trail=vec![("/demarches", "Toutes les démarches")]
                                    current=d.title.clone()
                                />
                                <h1>{d.title}</h1>
                                <p class="lead">{d.summary}</p>
                                <p>
                                    <span class="badge">{d.audience.label()}</span>
                                </p>
                                <div class="prose">
                                    {d
                                        .description
                                        .into_iter()
                                        .map(|p| view! { <p>{p}</p> })
                                        .collect_view()}
                                </div>
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
