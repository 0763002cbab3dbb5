//! The page shell, the layout and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::branding::{DEPARTEMENT, PORTAL};
use crate::demarches::pages::{CataloguePage, DemarchePage, HomePage};
use crate::help::pages::{AccessibilityPage, HelpPage, LegalPage};
use crate::ui::NotFoundPage;

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::provide_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="fr">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta
                    name="description"
                    content="Le portail des démarches en ligne du Département de la Vallée-Verte : déposez et suivez vos demandes."
                />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page once the WASM client runs (end-to-end tests wait for it).
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    // Every page is rendered whole before it is sent: it works without JavaScript and
    // its HTTP status (404, 500) is right.
    view! {
        <Stylesheet id="leptos" href="/pkg/guichet.css" />
        <Title formatter=|title: String| format!("{title} – {PORTAL}, {DEPARTEMENT}") />
        <Router>
            <a class="skip-link" href="#contenu">
                "Aller au contenu"
            </a>
            <Header />
            <main id="contenu" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/demarches") view=CataloguePage ssr=SsrMode::Async />
                    <Route path=path!("/demarches/:slug") view=DemarchePage ssr=SsrMode::Async />
                    <Route path=path!("/aide") view=HelpPage ssr=SsrMode::Async />
                    <Route path=path!("/accessibilite") view=AccessibilityPage ssr=SsrMode::Async />
                    <Route path=path!("/mentions-legales") view=LegalPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="container header-bar">
                <a href="/" class="brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span class="brand-text">
                        <span class="brand-departement">{DEPARTEMENT}</span>
                        <span class="brand-portal">{PORTAL}</span>
                        <span class="brand-tagline">"Portail des démarches en ligne"</span>
                    </span>
                </a>
                <div class="header-tools">
                    <a href="/connexion" class="header-login">
                        <span class="icon-user" aria-hidden="true"></span>
                        "Connexion"
                    </a>
                </div>
            </div>
            <nav class="main-nav" aria-label="Menu principal">
                <div class="container">
                    <ul>
                        <li>
                            <A href="/" exact=true>
                                "Accueil"
                            </A>
                        </li>
                        <li>
                            <A href="/demarches">"Toutes les démarches"</A>
                        </li>
                        <li>
                            <A href="/aide">"Aide"</A>
                        </li>
                    </ul>
                </div>
            </nav>
        </header>
    }
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-grid">
                <div>
                    <p class="footer-title">{DEPARTEMENT}</p>
                    <p>"Hôtel du Département" <br /> "1 place de la République" <br /> "00000 Vallée-Verte"</p>
                </div>
                <nav aria-label="Pied de page">
                    <ul class="footer-links">
                        <li>
                            <a href="/aide">"Aide"</a>
                        </li>
                        <li>
                            <a href="/accessibilite">"Accessibilité : non conforme"</a>
                        </li>
                        <li>
                            <a href="/mentions-legales">"Mentions légales"</a>
                        </li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}
