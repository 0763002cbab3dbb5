//! The page shell, the layout and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
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

/// Whether the page at `path` (with its `query`) is sent with the client: the WASM module that hydrates
/// the page's islands (`#[island]`), the only parts of a page that run code in the
/// browser.
///
/// Every page is rendered on the server and works as a document (links, and forms that
/// post without JavaScript). The client is sent only with the pages that have islands,
/// which add to them what needs code in the browser: « Afficher » and the strength meter
/// of password fields, « Tout déplier » in « Aide », « Copier la clé », the checks,
/// live conditions, saving and upload progress of a form's pages, and the form
/// builder's drag and drop and live previews. A test checks, over pages of every kind,
/// that a page has an island if and only if it brings the client
/// (`pages::islands_are_sent_with_the_client`). The address cannot tell everything: a
/// page editor with no question to name, a new-password link that has expired, or a
/// new key's page read again bring the client without an island to run.
pub fn sends_client(path: &str, query: Option<&str>) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    // Whether the query has `name` with one of `values` (any value if empty).
    let has = |name: &str, values: &[&str]| {
        query.is_some_and(|q| {
            q.split('&').any(|pair| match pair.split_once('=') {
                Some((n, v)) => n == name && (values.is_empty() || values.contains(&v)),
                None => false,
            })
        })
    };
    matches!(
        segments.as_slice(),
        ["connexion"]
            | ["inscription"]
            | ["nouveau-mot-de-passe"]
            | ["aide"]
            | ["mon-compte", "supprimer"]
            | ["dossiers", _, "etape", _]
            | ["admin", "demarches", _, "formulaire"]
            | ["admin", "demarches", _, "pages", _]
            | ["admin", "demarches", _, "champs", _]
            | ["admin", "demarches", _, "apercu"]
    ) || match segments.as_slice() {
        // « Mes données personnelles » asks for the password to change it or the address.
        ["mon-compte", "donnees-personnelles"] => has("modifier", &["email", "mot-de-passe"]),
        // « Composition » shows a new share key (with « Copier la clé ») once, after
        // « Ajouter un partage ».
        ["mon-compte", "profils", _, "composition"] => has("partage", &[]),
        _ => false,
    }
}

/// Whether the page being rendered is sent with the client (always true in the browser).
pub fn page_runs_client() -> bool {
    #[cfg(feature = "ssr")]
    return use_context::<http::request::Parts>()
        .is_none_or(|parts| sends_client(parts.uri.path(), parts.uri.query()));
    #[cfg(not(feature = "ssr"))]
    true
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::provide_page_csp();
    let client = page_runs_client();
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
                {client.then(|| view! { <HydrationScripts options islands=true /> })}
                <MetaTags />
            </head>
            // `data-static`: a page sent without the client (end-to-end tests then do not
            // wait for `data-hydrated`).
            <body data-static=(!client).then_some("true")>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every page is rendered whole on the server and sent as a document: it works
    // without JavaScript and its HTTP status (404, 500) is right. Only the parts that
    // need code in the browser (`#[island]`) are hydrated.
    view! {
        <Stylesheet id="leptos" href="/pkg/guichet.css" />
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

/// Whether `path` is in the section of the menu link `href`: the path itself, or below
/// it (« Mon compte » for `/mon-compte/dossiers`); with `exact`, the path only.
pub fn in_section(path: &str, href: &str, exact: bool) -> bool {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    match path.strip_prefix(href) {
        Some(rest) => rest.is_empty() || (!exact && (rest.starts_with('/') || href == "/")),
        None => false,
    }
}

/// A link of the main menu, with `aria-current="page"` on the current section. A plain
/// `<a>` (the router handles its clicks as it does any link's): leptos_router's `<A>`
/// made memos and owners for each link, 4.5 % of a back-office page's server time.
#[component]
fn NavLink(href: &'static str, #[prop(optional)] exact: bool, children: Children) -> impl IntoView {
    let pathname = use_location().pathname;
    let current = move || pathname.with(|path| in_section(path, href, exact).then_some("page"));
    view! {
        <a href=href aria-current=current>
            {children()}
        </a>
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
                            <NavLink href="/" exact=true>
                                "Accueil"
                            </NavLink>
                        </li>
                        <li>
                            <NavLink href="/demarches">"Toutes les démarches"</NavLink>
                        </li>
                        <li>
                            <NavLink href="/aide">"Aide"</NavLink>
                        </li>
                        <Transition>
                            {move || {
                                signed_in()
                                    .map(|user| {
                                        let staff = user.role.includes(crate::account::model::Role::Instructor);
                                        let admin = user.role.includes(crate::account::model::Role::Admin);
                                        view! {
                                            <li>
                                                <NavLink href="/mon-compte">"Mon compte"</NavLink>
                                            </li>
                                            {staff.then(|| view! {
                                                <li>
                                                    <NavLink href="/instruction">"Instruction"</NavLink>
                                                </li>
                                            })}
                                            {admin.then(|| view! {
                                                <li>
                                                    <NavLink href="/admin">"Administration"</NavLink>
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

#[cfg(test)]
mod tests {
    use super::{in_section, sends_client};

    #[test]
    fn a_menu_link_is_current_in_its_section() {
        assert!(in_section("/mon-compte", "/mon-compte", false));
        assert!(in_section("/mon-compte/dossiers", "/mon-compte", false));
        assert!(in_section("/mon-compte/", "/mon-compte", false));
        assert!(!in_section("/mon-comptes", "/mon-compte", false));
        assert!(!in_section("/aide", "/mon-compte", false));
        assert!(in_section("/", "/", true));
        assert!(!in_section("/aide", "/", true));
        assert!(!in_section("/demarches/x", "/demarches", true));
    }

    /// `path?query` as `sends_client` takes it.
    fn split(address: &str) -> (&str, Option<&str>) {
        match address.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (address, None),
        }
    }

    #[test]
    fn only_pages_with_islands_are_sent_with_the_client() {
        for path in [
            "/",
            "/demarches",
            "/demarches/",
            "/demarches/aide-permis-de-conduire",
            "/demarches/aide-permis-de-conduire/commencer",
            "/accessibilite",
            "/mentions-legales",
            "/conditions-utilisation",
            "/mon-compte",
            "/mon-compte/dossiers",
            "/mon-compte/profils/3",
            "/mon-compte/donnees-personnelles",
            "/mon-compte/donnees-personnelles?modifier=nom",
            "/mon-compte/profils/3/composition",
            "/mon-compte/profils/3/composition?message=partage-revoque",
            "/instruction",
            "/instruction/dossiers/12",
            "/admin/demarches/3",
            "/une-page-inconnue",
        ] {
            let (path, query) = split(path);
            assert!(!sends_client(path, query), "{path} is a document");
        }
        for path in [
            "/aide",
            "/connexion",
            "/inscription",
            "/nouveau-mot-de-passe",
            "/mon-compte/donnees-personnelles?modifier=mot-de-passe",
            "/mon-compte/donnees-personnelles?modifie=nom&modifier=email",
            "/mon-compte/profils/3/composition?partage=nouveau",
            "/dossiers/12/etape/1",
            "/dossiers/12/etape/1/",
            "/admin/demarches/3/formulaire",
            "/admin/demarches/3/champs/nom",
            "/admin/demarches/3/apercu",
        ] {
            let (path, query) = split(path);
            assert!(sends_client(path, query), "{path} has islands");
        }
    }
}
