use crate::ui::Title;
use leptos::prelude::*;

use super::api::get_content_page;
use super::model::{ContentDoc, ContentPage};
use crate::ui::{ErrorPage, Loading};

/// "Aide": each question is a disclosure; once the client runs, one button opens or
/// closes them all.
#[component]
pub fn HelpPage() -> impl IntoView {
    let doc = Resource::new(|| (), |_| get_content_page(ContentPage::Aide));
    view! {
        <Title text="Aide" />
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match doc.await {
                        Ok(doc) => {
                            view! {
                                <h1>{doc.title.clone()}</h1>
                                <div class="prose" inner_html=doc.intro_html.clone()></div>
                                <ExpandAll />
                                {doc
                                    .sections
                                    .into_iter()
                                    .map(|section| {
                                        view! {
                                            <section class="faq-section" aria-labelledby=section.id.clone()>
                                                <h2 id=section.id.clone()>{section.title}</h2>
                                                <div class="prose" inner_html=section.body_html></div>
                                                {section
                                                    .items
                                                    .into_iter()
                                                    .map(|item| {
                                                        view! {
                                                            <details class="faq-item" id=item.id>
                                                                <summary>{item.title}</summary>
                                                                <div class="prose" inner_html=item.body_html></div>
                                                            </details>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </section>
                                        }
                                    })
                                    .collect_view()}
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// « Tout déplier » / « Tout replier », an island: opens or closes every question of
/// the page. False on the server and until hydration: the button exists only where it
/// works.
#[island]
fn ExpandAll() -> impl IntoView {
    crate::island_hydrated();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let all_open = RwSignal::new(false);
    let toggle = move |_| {
        let open = !all_open.get_untracked();
        all_open.set(open);
        #[cfg(feature = "hydrate")]
        if let Ok(items) = document().query_selector_all("details.faq-item") {
            use wasm_bindgen::JsCast;
            for i in 0..items.length() {
                if let Some(item) = items
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = if open {
                        item.set_attribute("open", "")
                    } else {
                        item.remove_attribute("open")
                    };
                }
            }
        }
    };
    view! {
        <Show when=move || hydrated.get()>
            <p>
                <button
                    type="button"
                    class="button button-secondary"
                    aria-expanded=move || all_open.get().to_string()
                    on:click=toggle
                >
                    {move || if all_open.get() { "Tout replier" } else { "Tout déplier" }}
                </button>
            </p>
        </Show>
    }
}

/// A plain editorial page: sections with `h2`, items with `h3`.
fn plain_page(doc: ContentDoc) -> impl IntoView {
    view! {
        <h1>{doc.title}</h1>
        <div class="prose" inner_html=doc.intro_html></div>
        {doc
            .sections
            .into_iter()
            .map(|section| {
                view! {
                    <section aria-labelledby=section.id.clone()>
                        <h2 id=section.id.clone()>{section.title}</h2>
                        <div class="prose" inner_html=section.body_html></div>
                        {section
                            .items
                            .into_iter()
                            .map(|item| {
                                view! {
                                    <h3 id=item.id>{item.title}</h3>
                                    <div class="prose" inner_html=item.body_html></div>
                                }
                            })
                            .collect_view()}
                    </section>
                }
            })
            .collect_view()}
    }
}

#[component]
fn EditorialPage(page: ContentPage, title: &'static str) -> impl IntoView {
    let doc = Resource::new(|| (), move |_| get_content_page(page));
    view! {
        <Title text=title />
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match doc.await {
                        Ok(doc) => plain_page(doc).into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn AccessibilityPage() -> impl IntoView {
    view! { <EditorialPage page=ContentPage::Accessibilite title="Accessibilité" /> }
}

#[component]
pub fn LegalPage() -> impl IntoView {
    view! { <EditorialPage page=ContentPage::MentionsLegales title="Mentions légales" /> }
}

#[component]
pub fn TermsPage() -> impl IntoView {
    view! {
        <EditorialPage page=ContentPage::ConditionsUtilisation title="Conditions d’utilisation" />
    }
}
