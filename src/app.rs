//! The page shell, the layout and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{SsrMode, path};

use crate::account::api::get_current_user;
use crate::account::pages::{
    AccountDeletedPage, AccountPage, ConfirmEmailPage, DeleteAccountPage, EmailConfirmedPage,
    EnrolSecondFactorPage, ForgotPasswordPage, ForgotPasswordSentPage, NewPasswordPage,
    PersonalDataPage, RecoveryCodesPage, SecondFactorPage, SignInPage, SignOutButton, SignUpPage,
    SignUpSentPage,
};
use crate::admin::pages::{
    AdminDemarchePage, AdminDemarchesPage, AdminEmailsPage, AdminHomePage, AuditPage, FeaturedPage,
    FieldEditorPage, FormBuilderPage, FormPreviewPage, NewDemarchePage, PageEditorPage,
    ServicePage, ServicesPage, UserPage, UsersPage,
};
use crate::backoffice::pages::{
    InstructionDossierPage, InstructionHomePage, QueuePageView, ReceivedDocumentsPage,
};

use crate::branding::{DEPARTEMENT, PORTAL};
use crate::demarches::pages::{CataloguePage, DemarchePage, HomePage};
use crate::dossiers::pages::{
    DeleteDraftPage, DossierPage, DossiersPage, DraftsPage, FillFormPage, ReviewFormPage, StartPage,
};
use crate::help::pages::{AccessibilityPage, HelpPage, LegalPage, TermsPage};
use crate::profiles::pages::{CompositionPage, ProfileInfoPage, ProfilesPage};
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
                    <Route path=path!("/conditions-utilisation") view=TermsPage ssr=SsrMode::Async />
                    <Route path=path!("/connexion") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/inscription") view=SignUpPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/inscription/verifiez-vos-courriels")
                        view=SignUpSentPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mot-de-passe-oublie") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/mot-de-passe-oublie/envoye")
                        view=ForgotPasswordSentPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/nouveau-mot-de-passe") view=NewPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/confirmer-adresse") view=ConfirmEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/adresse-confirmee") view=EmailConfirmedPage ssr=SsrMode::Async />
                    <Route path=path!("/compte-supprime") view=AccountDeletedPage ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte") view=AccountPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/mon-compte/donnees-personnelles")
                        view=PersonalDataPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mon-compte/profils") view=ProfilesPage ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/profils/:id") view=ProfileInfoPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/mon-compte/profils/:id/composition")
                        view=CompositionPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mon-compte/brouillons") view=DraftsPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/mon-compte/brouillons/:id/supprimer")
                        view=DeleteDraftPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mon-compte/dossiers") view=DossiersPage ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/dossiers/:id") view=DossierPage ssr=SsrMode::Async />
                    <Route path=path!("/demarches/:slug/commencer") view=StartPage ssr=SsrMode::Async />
                    <Route path=path!("/dossiers/:id/etape/:page") view=FillFormPage ssr=SsrMode::Async />
                    <Route path=path!("/dossiers/:id/verification") view=ReviewFormPage ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/documents") view=ReceivedDocumentsPage ssr=SsrMode::Async />
                    <Route path=path!("/connexion/code") view=SecondFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/connexion/activer-code") view=EnrolSecondFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/connexion/codes-de-secours") view=RecoveryCodesPage ssr=SsrMode::Async />
                    <Route path=path!("/instruction") view=InstructionHomePage ssr=SsrMode::Async />
                    <Route path=path!("/instruction/demarches/:id") view=QueuePageView ssr=SsrMode::Async />
                    <Route path=path!("/instruction/dossiers/:id") view=InstructionDossierPage ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/supprimer") view=DeleteAccountPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHomePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches") view=AdminDemarchesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/nouvelle") view=NewDemarchePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id") view=AdminDemarchePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/formulaire") view=FormBuilderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/pages/:page") view=PageEditorPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/champs/:key") view=FieldEditorPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/apercu") view=FormPreviewPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/courriels") view=AdminEmailsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/a-la-une") view=FeaturedPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/services") view=ServicesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/services/:id") view=ServicePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/utilisateurs") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/utilisateurs/:id") view=UserPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/journal") view=AuditPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    // Read again at each navigation: signing in or out changes it.
    let location = use_location();
    // The query too: it changes after the person edits their name (`?modifie=prenom`).
    let user = Resource::new(
        move || (location.pathname.get(), location.search.get()),
        |_| get_current_user(),
    );
    let signed_in = move || user.get().and_then(|r| r.ok()).flatten();
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
                    <Transition>
                        {move || match signed_in() {
                            Some(user) => {
                                view! {
                                    <span class="header-user">
                                        <span class="icon-user" aria-hidden="true"></span>
                                        <span class="visually-hidden">"Connecté : "</span>
                                        {user.display_name()}
                                    </span>
                                    <SignOutButton />
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <a href="/connexion" class="header-login">
                                        <span class="icon-user" aria-hidden="true"></span>
                                        "Connexion"
                                    </a>
                                }
                                    .into_any()
                            }
                        }}
                    </Transition>
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
                        <Transition>
                            {move || {
                                signed_in()
                                    .map(|user| {
                                        let staff = user.role.includes(crate::account::model::Role::Instructor);
                                        let admin = user.role.includes(crate::account::model::Role::Admin);
                                        view! {
                                            <li>
                                                <A href="/mon-compte">"Mon compte"</A>
                                            </li>
                                            {staff.then(|| view! {
                                                <li>
                                                    <A href="/instruction">"Instruction"</A>
                                                </li>
                                            })}
                                            {admin.then(|| view! {
                                                <li>
                                                    <A href="/admin">"Administration"</A>
                                                </li>
                                            })}
                                        }
                                    })
                            }}
                        </Transition>
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
