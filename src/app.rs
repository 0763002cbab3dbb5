//! The page shell, the layout and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{Lazy, SsrMode, path};

use crate::account::api::get_current_user;
use crate::account::pages::SignOutButton;
use crate::branding::{DEPARTEMENT, PORTAL};
use crate::demarches::pages::{CataloguePage, DemarchePage, HomePage};
use crate::help::pages::{AccessibilityPage, HelpPage, LegalPage, TermsPage};
use crate::ui::NotFoundPage;

/// Whether the page at `path` is sent with the client (the WASM app that hydrates it).
///
/// The public information pages (home, catalogue, a démarche, the legal pages) are sent
/// as documents: nothing on them needs code in the browser (links, and forms that post
/// or search without JavaScript), so a first visit downloads their HTML and CSS only,
/// not the app's runtime (~290 KB brotli). The app starts with the first page that uses
/// it: sign-in, « Mon compte », a form, the back-office; from there it also shows the
/// public pages itself, without reloading. « Aide » keeps it for « Tout déplier ».
pub fn sends_client(path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    let document = match path.strip_prefix("/demarches/") {
        // A démarche's page, not « /demarches/<slug>/commencer ».
        Some(slug) => !slug.is_empty() && !slug.contains('/'),
        None => matches!(
            path,
            "" | "/demarches" | "/accessibilite" | "/mentions-legales" | "/conditions-utilisation"
        ),
    };
    !document
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::provide_page_csp();
    #[cfg(feature = "ssr")]
    let client =
        use_context::<http::request::Parts>().is_none_or(|parts| sends_client(parts.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let client = true;
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
                {client.then(|| view! { <HydrationScripts options /> })}
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
    let (routing, set_routing) = signal(false);
    // Every page is rendered whole before it is sent: it works without JavaScript and
    // its HTTP status (404, 500) is right.
    view! {
        <Stylesheet id="leptos" href="/pkg/guichet.css" />
        <Router set_is_routing=set_routing>
            <a class="skip-link" href="#contenu">
                "Aller au contenu"
            </a>
            <Header />
            // While a client-side navigation waits (for a lazily loaded group's chunks,
            // on a slow line: seconds), the current page stays on screen: a bar under the
            // header says that something is coming, and the main region is marked busy.
            <div
                class="route-progress"
                class:route-progress-active=move || routing.get()
                aria-hidden="true"
            ></div>
            <main id="contenu" tabindex="-1" aria-busy=move || routing.get().then_some("true")>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/demarches") view=CataloguePage ssr=SsrMode::Async />
                    <Route path=path!("/demarches/:slug") view=DemarchePage ssr=SsrMode::Async />
                    <Route path=path!("/aide") view=HelpPage ssr=SsrMode::Async />
                    <Route path=path!("/accessibilite") view=AccessibilityPage ssr=SsrMode::Async />
                    <Route path=path!("/mentions-legales") view=LegalPage ssr=SsrMode::Async />
                    <Route path=path!("/conditions-utilisation") view=TermsPage ssr=SsrMode::Async />
                    <Route path=path!("/connexion") view={Lazy::<lazy::SignInRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/inscription") view={Lazy::<lazy::SignUpRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/inscription/verifiez-vos-courriels")
                        view={Lazy::<lazy::SignUpSentRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mot-de-passe-oublie") view={Lazy::<lazy::ForgotPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/mot-de-passe-oublie/envoye")
                        view={Lazy::<lazy::ForgotPasswordSentRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/nouveau-mot-de-passe") view={Lazy::<lazy::NewPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/confirmer-adresse") view={Lazy::<lazy::ConfirmEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/adresse-confirmee") view={Lazy::<lazy::EmailConfirmedRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/compte-supprime") view={Lazy::<lazy::AccountDeletedRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte") view={Lazy::<lazy::AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/mon-compte/donnees-personnelles")
                        view={Lazy::<lazy::PersonalDataRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mon-compte/profils") view={Lazy::<lazy::ProfilesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/profils/:id") view={Lazy::<lazy::ProfileInfoRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/mon-compte/profils/:id/composition")
                        view={Lazy::<lazy::CompositionRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mon-compte/brouillons") view={Lazy::<lazy::DraftsRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/mon-compte/brouillons/:id/supprimer")
                        view={Lazy::<lazy::DeleteDraftRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/mon-compte/dossiers") view={Lazy::<lazy::DossiersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/dossiers/:id") view={Lazy::<lazy::DossierRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/demarches/:slug/commencer") view={Lazy::<lazy::StartRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dossiers/:id/etape/:page") view={Lazy::<lazy::FillFormRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dossiers/:id/verification") view={Lazy::<lazy::ReviewFormRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/documents") view={Lazy::<lazy::ReceivedDocumentsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/connexion/code") view={Lazy::<lazy::SecondFactorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/connexion/activer-code") view={Lazy::<lazy::EnrolSecondFactorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/connexion/codes-de-secours") view={Lazy::<lazy::RecoveryCodesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/instruction") view={Lazy::<lazy::InstructionHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/instruction/demarches/:id") view={Lazy::<lazy::QueueRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/instruction/dossiers/:id") view={Lazy::<lazy::InstructionDossierRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mon-compte/supprimer") view={Lazy::<lazy::DeleteAccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin") view={Lazy::<lazy::AdminHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches") view={Lazy::<lazy::AdminDemarchesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/nouvelle") view={Lazy::<lazy::NewDemarcheRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id") view={Lazy::<lazy::AdminDemarcheRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/formulaire") view={Lazy::<lazy::FormBuilderRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/pages/:page") view={Lazy::<lazy::PageEditorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/champs/:key") view={Lazy::<lazy::FieldEditorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/apercu") view={Lazy::<lazy::FormPreviewRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/demarches/:id/courriels") view={Lazy::<lazy::AdminEmailsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/a-la-une") view={Lazy::<lazy::FeaturedRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/services") view={Lazy::<lazy::ServicesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/services/:id") view={Lazy::<lazy::ServiceRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/utilisateurs") view={Lazy::<lazy::UsersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/utilisateurs/:id") view={Lazy::<lazy::UserRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/journal") view={Lazy::<lazy::AuditRoute>::new()} ssr=SsrMode::Async />
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

/// Background work of the client (see [`after_hydration`]).
#[cfg(target_arch = "wasm32")]
type Work = Box<dyn FnOnce()>;

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// Work waiting for the page's hydration (`None` once it is done).
    static AFTER_HYDRATION: std::cell::RefCell<Option<Vec<Work>>> =
        std::cell::RefCell::new(Some(Vec::new()));
}

/// Runs `work` when the browser is idle after the page is hydrated (at once when idle, if
/// it already is): background work must not compete with the page's own chunks.
#[cfg(target_arch = "wasm32")]
pub fn after_hydration(work: impl FnOnce() + 'static) {
    let idle = |work: Work| {
        let work = std::cell::Cell::new(Some(work));
        request_idle_callback(move || {
            if let Some(work) = work.take() {
                work();
            }
        });
    };
    let queued = AFTER_HYDRATION.with_borrow_mut(|queue| match queue {
        Some(queue) => {
            queue.push(Box::new(work));
            None
        }
        None => Some(Box::new(work) as Work),
    });
    if let Some(work) = queued {
        idle(work);
    }
}

/// Called by the client's entry point once the page is hydrated: runs the queued work.
#[cfg(target_arch = "wasm32")]
pub fn hydrated() {
    let queue = AFTER_HYDRATION.with_borrow_mut(|queue| queue.take().unwrap_or_default());
    for work in queue {
        after_hydration(work);
    }
}

/// The pages a first visit does not need, in five groups loaded on demand.
///
/// The public pages (home, catalogue, a démarche, help) are in the main WASM module that
/// every visit downloads. Each group below is one `#[lazy]` function: built with
/// `cargo leptos build --split`, its code (the pages, their components, the client side
/// of their server functions) goes to a WASM chunk of its own, fetched when a page of the
/// group is first shown (hydration waits for it; the server adds a `<link rel="preload">`
/// for the chunk to the page it renders). One split point per group, not per page:
/// a chunk per page made ~900 files (a 38 min release build) and some 60 requests on a
/// first visit, for no gain on what the home page downloads.
mod lazy {
    use leptos::lazy;
    use leptos::prelude::*;
    use leptos_router::LazyRoute;

    use crate::account::pages::{
        AccountDeletedPage, AccountPage, ConfirmEmailPage, DeleteAccountPage, EmailConfirmedPage,
        EnrolSecondFactorPage, ForgotPasswordPage, ForgotPasswordSentPage, NewPasswordPage,
        PersonalDataPage, RecoveryCodesPage, SecondFactorPage, SignInPage, SignUpPage,
        SignUpSentPage,
    };
    use crate::admin::pages::{
        AdminDemarchePage, AdminDemarchesPage, AdminEmailsPage, AdminHomePage, AuditPage,
        FeaturedPage, FieldEditorPage, FormBuilderPage, FormPreviewPage, NewDemarchePage,
        PageEditorPage, ServicePage, ServicesPage, UserPage, UsersPage,
    };
    use crate::backoffice::pages::{
        InstructionDossierPage, InstructionHomePage, QueuePageView, ReceivedDocumentsPage,
    };
    use crate::dossiers::pages::{
        DeleteDraftPage, DossierPage, DossiersPage, DraftsPage, FillFormPage, ReviewFormPage,
        StartPage,
    };
    use crate::profiles::pages::{CompositionPage, ProfileInfoPage, ProfilesPage};

    /// One group: an enum of its pages, the `#[lazy]` function that draws them (the
    /// split point), and per page a route type whose view awaits that function.
    macro_rules! lazy_group {
        (
            $(#[$doc:meta])*
            $group:ident, $preload:ident, $kind:ident $( then $next:ident )? { $( $route:ident => $page:ident ),* $(,)? }
        ) => {
            // A variant per route type, named as the type (all end in `Route`).
            #[allow(clippy::enum_variant_names)]
            #[derive(Clone, Copy, Debug)]
            pub enum $kind {
                $( $route ),*
            }

            impl $kind {
                /// Fetches the group people open next (`then`) in the background, once the
                /// page is hydrated and the browser is idle: « Mon compte » after signing in.
                fn prefetch_next() {
                    $(
                        #[cfg(target_arch = "wasm32")]
                        super::after_hydration(|| leptos::task::spawn_local($next()));
                    )?
                }
            }

            $(#[$doc])*
            #[lazy]
            fn $group(page: $kind) -> AnyView {
                match page {
                    $( $kind::$route => view! { <$page /> }.into_any(), )*
                }
            }

            $(
                #[derive(Debug)]
                pub struct $route;

                impl LazyRoute for $route {
                    fn data() -> Self {
                        $route
                    }

                    async fn view(_this: Self) -> AnyView {
                        let view = $group($kind::$route).await;
                        $kind::prefetch_next();
                        view
                    }

                    async fn preload() {
                        // Only the split WASM client loads chunks; the server (and a
                        // native build of the client) has every page at hand.
                        #[cfg(target_arch = "wasm32")]
                        $preload().await;
                    }
                }
            )*
        };
    }

    lazy_group! {
        /// Signing in and up, passwords, the second factor: before « Mon compte ».
        auth_pages, __preload_auth_pages, AuthPart then __preload_account_pages {
            SignInRoute => SignInPage,
            SignUpRoute => SignUpPage,
            SignUpSentRoute => SignUpSentPage,
            ForgotPasswordRoute => ForgotPasswordPage,
            ForgotPasswordSentRoute => ForgotPasswordSentPage,
            NewPasswordRoute => NewPasswordPage,
            ConfirmEmailRoute => ConfirmEmailPage,
            EmailConfirmedRoute => EmailConfirmedPage,
            AccountDeletedRoute => AccountDeletedPage,
            SecondFactorRoute => SecondFactorPage,
            EnrolSecondFactorRoute => EnrolSecondFactorPage,
            RecoveryCodesRoute => RecoveryCodesPage,
        }
    }

    lazy_group! {
        /// « Mon compte »: personal data, profiles, drafts, dossiers, documents received.
        account_pages, __preload_account_pages, AccountPart {
            AccountRoute => AccountPage,
            PersonalDataRoute => PersonalDataPage,
            ProfilesRoute => ProfilesPage,
            ProfileInfoRoute => ProfileInfoPage,
            CompositionRoute => CompositionPage,
            DraftsRoute => DraftsPage,
            DeleteDraftRoute => DeleteDraftPage,
            DossiersRoute => DossiersPage,
            DossierRoute => DossierPage,
            ReceivedDocumentsRoute => ReceivedDocumentsPage,
            DeleteAccountRoute => DeleteAccountPage,
        }
    }

    lazy_group! {
        /// Filling a démarche's form: start, each step, « Vérifiez vos réponses ».
        form_pages, __preload_form_pages, FormPart {
            StartRoute => StartPage,
            FillFormRoute => FillFormPage,
            ReviewFormRoute => ReviewFormPage,
        }
    }

    lazy_group! {
        /// The back-office of the instructing services.
        instruction_pages, __preload_instruction_pages, InstructionPart {
            InstructionHomeRoute => InstructionHomePage,
            QueueRoute => QueuePageView,
            InstructionDossierRoute => InstructionDossierPage,
        }
    }

    lazy_group! {
        /// The administration: démarches, the form builder, services, users, the log.
        admin_pages, __preload_admin_pages, AdminPart {
            AdminHomeRoute => AdminHomePage,
            AdminDemarchesRoute => AdminDemarchesPage,
            NewDemarcheRoute => NewDemarchePage,
            AdminDemarcheRoute => AdminDemarchePage,
            FormBuilderRoute => FormBuilderPage,
            PageEditorRoute => PageEditorPage,
            FieldEditorRoute => FieldEditorPage,
            FormPreviewRoute => FormPreviewPage,
            AdminEmailsRoute => AdminEmailsPage,
            FeaturedRoute => FeaturedPage,
            ServicesRoute => ServicesPage,
            ServiceRoute => ServicePage,
            UsersRoute => UsersPage,
            UserRoute => UserPage,
            AuditRoute => AuditPage,
        }
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

    #[test]
    fn public_information_pages_are_sent_without_the_client() {
        for path in [
            "/",
            "/demarches",
            "/demarches/",
            "/demarches/aide-permis-de-conduire",
            "/accessibilite",
            "/mentions-legales",
            "/conditions-utilisation",
        ] {
            assert!(!sends_client(path), "{path} is a document");
        }
        for path in [
            "/aide",
            "/connexion",
            "/inscription",
            "/demarches/aide-permis-de-conduire/commencer",
            "/mon-compte",
            "/mon-compte/dossiers",
            "/dossiers/12/etape/1",
            "/instruction",
            "/admin/demarches/3/formulaire",
            "/une-page-inconnue",
        ] {
            assert!(sends_client(path), "{path} runs the app");
        }
    }
}
