use guichet::demarches::api::FeaturedDemarches;
use guichet::demarches::model::DemarcheCard;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{spawn_app, spawn_app_with};

fn banner(html: &str) -> &str {
    let start = html.find("Démarches à la Une").expect("the banner heading");
    &html[start..]
}

#[tokio::test]
async fn home_page_shows_the_featured_demarches_from_the_database() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = crate::helpers::html_of(&response.text().await.expect("body"));
    assert!(html.contains("<html lang=\"fr\""), "lang=fr");
    assert!(html.contains("Aller au contenu"));
    assert!(html.contains(">Connexion<") || html.contains("Connexion</a>"));
    let banner = banner(&html);
    let permis = banner
        .find("Aide au permis de conduire pour les jeunes")
        .expect("first featured démarche");
    let transport = banner
        .find("Transport scolaire adapté")
        .expect("second featured démarche");
    let fonds = banner
        .find("Fonds d’aide à l’investissement des communes")
        .expect("third featured démarche");
    assert!(
        permis < transport && transport < fonds,
        "featured order is kept"
    );
    assert!(banner.contains("href=\"/demarches/aide-permis-de-conduire\""));
    assert!(!banner.contains("Subvention aux associations sportives"));
}

#[tokio::test]
async fn the_banner_follows_the_database_state_and_period() {
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    // Unfeature one, feature a closed one and one whose period is over, feature a new one.
    for sql in [
        "UPDATE demarche SET featured = false WHERE slug = 'transport-scolaire-adapte'",
        "UPDATE demarche SET featured = true, featured_order = 0, state = 'close' WHERE slug = 'fonds-investissement-communes'",
        "UPDATE demarche SET featured = true, featured_order = 3 WHERE slug = 'subvention-associations-sportives'",
    ] {
        app.db
            .execute_raw(Statement::from_string(backend, sql))
            .await
            .expect("update");
    }
    let response = app.call::<FeaturedDemarches>(&[]).await;
    assert_eq!(response.status(), 200);
    let cards: Vec<DemarcheCard> = response.json().await.expect("json");
    let slugs: Vec<_> = cards.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "aide-permis-de-conduire",
            "subvention-associations-sportives"
        ]
    );

    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            if backend == sea_orm::DbBackend::Postgres {
                "UPDATE demarche SET featured_until = $1 WHERE slug = 'subvention-associations-sportives'"
            } else {
                "UPDATE demarche SET featured_until = ? WHERE slug = 'subvention-associations-sportives'"
            },
            [(time::OffsetDateTime::now_utc() - time::Duration::hours(1)).into()],
        ))
        .await
        .expect("update");
    let html = crate::helpers::html_of(&app.get("/").await.text().await.expect("body"));
    let banner = banner(&html);
    assert!(banner.contains("Aide au permis de conduire pour les jeunes"));
    assert!(!banner.contains("Subvention aux associations sportives"));
}

#[tokio::test]
async fn a_demarche_page_and_the_catalogue() {
    let app = spawn_app().await;
    let response = app.get("/demarches/transport-scolaire-adapte").await;
    assert_eq!(response.status(), 200);
    let html = crate::helpers::html_of(&response.text().await.expect("body"));
    assert!(
        html.contains("<h1>Transport scolaire adapté</h1>"),
        "{html}"
    );
    assert!(html.contains("Maison départementale des personnes handicapées"));
    assert!(html.contains("<title>Transport scolaire adapté – Guichet"));

    let catalogue =
        crate::helpers::html_of(&app.get("/demarches").await.text().await.expect("body"));
    for title in [
        "Aide au permis de conduire pour les jeunes",
        "Transport scolaire adapté",
        "Subvention aux associations sportives",
        "Fonds d’aide à l’investissement des communes",
    ] {
        assert!(catalogue.contains(title), "catalogue lists {title}");
    }
}

#[tokio::test]
async fn unknown_addresses_get_a_french_404_in_the_shell() {
    let app = spawn_app().await;
    for path in ["/page-qui-n-existe-pas", "/demarches/demarche-inconnue"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = crate::helpers::html_of(&response.text().await.expect("body"));
        assert!(html.contains("<h1>Page introuvable</h1>"), "{path}: {html}");
        assert!(html.contains("Retour à l’accueil"));
        assert!(html.contains("Aller au contenu"), "same shell");
    }
}

#[tokio::test]
async fn a_broken_database_gives_a_french_500_page_in_the_shell() {
    let app = spawn_app().await;
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            // Renamed rather than dropped: other tables refer to it.
            "ALTER TABLE demarche RENAME TO demarche_disparue",
        ))
        .await
        .expect("rename table");
    let response = app.get("/").await;
    assert_eq!(response.status(), 500);
    let html = crate::helpers::html_of(&response.text().await.expect("body"));
    assert!(html.contains("<h1>Erreur technique</h1>"), "{html}");
    assert!(html.contains("Une erreur inattendue s’est produite"));
    assert!(
        !html.contains("no such table") && !html.contains("does not exist"),
        "no internals leak"
    );
    assert!(html.contains("Aller au contenu"), "same shell");
}

#[tokio::test]
async fn help_page_serves_the_faq() {
    let app = spawn_app().await;
    let response = app.get("/aide").await;
    assert_eq!(response.status(), 200);
    let html = crate::helpers::html_of(&response.text().await.expect("body"));
    assert!(html.contains("<h1>Aide</h1>"));
    assert!(html.contains(">Le compte</h2>"));
    assert!(html.contains(">Les démarches</h2>"));
    assert!(html.contains("<details"));
    for label in [
        "Mot de passe oublié ?",
        "J’ai déjà un compte",
        "Connecter",
        "Soumettre",
        "Mes données personnelles",
        "Partage(s) du profil",
        "Ajouter ou rejoindre un profil",
        "Joindre un fichier",
        "Mes documents reçus",
    ] {
        assert!(html.contains(label), "the help page mentions {label}");
    }
    for path in ["/accessibilite", "/mentions-legales"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn static_files_are_served_and_missing_ones_are_404() {
    let app = spawn_app().await;
    let response = app.get("/favicon.svg").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert!(response.text().await.expect("body").contains("<svg"));

    let response = app.get("/pkg/does-not-exist.js").await;
    assert_eq!(response.status(), 404);
}

/// The nonce of a page's `Content-Security-Policy` header.
fn csp_nonce(response: &reqwest::Response) -> String {
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a CSP header");
    let start = csp.find("'nonce-").expect("a nonce in the CSP") + "'nonce-".len();
    let len = csp[start..].find('\'').expect("end of the nonce");
    csp[start..start + len].to_owned()
}

#[tokio::test]
async fn public_pages_are_served_again_with_a_fresh_nonce_then_rendered_anew() {
    let app = spawn_app_with(&[("GUICHET_PAGE_CACHE_MS", "800".to_string())]).await;
    let backend = app.db.get_database_backend();
    let first = app.get("/").await;
    assert_eq!(first.status(), 200);
    let first_nonce = csp_nonce(&first);
    let first_html = first.text().await.expect("body");
    assert!(first_html.contains(&format!("nonce=\"{first_nonce}\"")));
    assert!(first_html.contains("Aide au permis de conduire pour les jeunes"));
    assert!(
        first_html.contains("class=\"header-login\""),
        "« Connexion »"
    );

    // The back-office renames a featured démarche.
    app.db
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE demarche SET title = 'Aide au permis B pour les jeunes' \
             WHERE slug = 'aide-permis-de-conduire'",
        ))
        .await
        .expect("update");

    // Within the delay, signed-out visitors get the same page, with a nonce of their own
    // in its scripts and its CSP header, and never the first visitor's.
    let second = app.get("/").await;
    assert_eq!(second.status(), 200);
    assert!(
        second
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let second_nonce = csp_nonce(&second);
    assert_ne!(second_nonce, first_nonce);
    let second_html = second.text().await.expect("body");
    assert!(!second_html.contains(&first_nonce));
    assert!(second_html.contains(&format!("nonce=\"{second_nonce}\"")));
    assert_eq!(second_html.replace(&second_nonce, &first_nonce), first_html);

    // A signed-in visitor's page is rendered for them: the new title at once.
    let browser = crate::dossiers::signed_in(&app, "cache.visiteuse@example.org").await;
    let mine = browser.get("/").await.text().await.expect("body");
    assert!(mine.contains("Aide au permis B pour les jeunes"));
    assert!(mine.contains("Connecté : "), "the header shows the account");
    assert!(!mine.contains("class=\"header-login\""));

    // Once the delay is over, the page is rendered anew.
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    let third = app.get("/").await.text().await.expect("body");
    assert!(third.contains("Aide au permis B pour les jeunes"));
    assert!(!third.contains("Aide au permis de conduire pour les jeunes"));
}

/// The public information pages are documents: no client script or WASM is sent with
/// them, and nothing on them needs one (links, and forms that work without JavaScript).
/// The pages with islands bring it.
#[tokio::test]
async fn public_pages_are_sent_without_the_client_and_app_pages_with_it() {
    let app = spawn_app().await;
    let loads_client = |html: &str| html.contains("/pkg/guichet.js") || html.contains(".wasm");
    for path in [
        "/",
        "/demarches",
        "/demarches/aide-permis-de-conduire",
        "/accessibilite",
        "/mentions-legales",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("body");
        assert!(!loads_client(&html), "{path} carries no client script");
        assert!(
            html.contains("<body data-static=\"true\""),
            "{path} is marked static"
        );
        // Its forms still work: the home page's sign-in posts to the server.
        if path == "/" {
            assert!(
                html.contains("method=\"post\""),
                "the home page's sign-in form posts"
            );
        }
    }
    for path in ["/connexion", "/aide", "/inscription"] {
        let response = app.get(path).await;
        let html = response.text().await.expect("body");
        assert!(loads_client(&html), "{path} loads the client");
        assert!(!html.contains("data-static"), "{path} is not marked static");
    }
}

/// A page is sent with the client if and only if it has an island (`app::sends_client`
/// lists them by address): an island on a page sent without it would never run, and a
/// page without one would download the client for nothing. Pages of every kind, signed
/// out and in, citizen (account, profile, a form's page) and administrator (the builder,
/// a field's editor, the preview).
#[tokio::test]
async fn islands_are_sent_with_the_client() {
    let app = spawn_app().await;
    let check = |path: String, html: String| {
        let island = html.contains("<leptos-island");
        let client = html.contains("/pkg/guichet.js");
        assert_eq!(island, client, "{path}: island {island}, client {client}");
        island
    };
    let mut with_islands = Vec::new();
    for path in [
        "/",
        "/demarches",
        "/demarches/aide-permis-de-conduire",
        "/aide",
        "/connexion",
        "/inscription",
        "/mot-de-passe-oublie",
        "/accessibilite",
        "/une-page-inconnue",
    ] {
        let html = app.get(path).await.text().await.expect("body");
        if check(path.to_owned(), html) {
            with_islands.push(path.to_owned());
        }
    }
    crate::dossiers::open_all_year(&app).await;
    let citizen = crate::dossiers::signed_in(&app, "ines@example.org").await;
    let draft = crate::dossiers::start(&citizen, "aide-permis-de-conduire", None).await;
    let commune = crate::dossiers::create_commune(&citizen).await;
    let step = format!("/dossiers/{draft}/etape/1");
    let review = format!("/dossiers/{draft}/verification");
    let composition = format!("/mon-compte/profils/{commune}/composition");
    for path in [
        step.as_str(),
        review.as_str(),
        composition.as_str(),
        "/mon-compte",
        "/mon-compte/donnees-personnelles",
        "/mon-compte/donnees-personnelles?modifier=telephone",
        "/mon-compte/donnees-personnelles?modifier=mot-de-passe",
        "/mon-compte/dossiers",
        "/mon-compte/brouillons",
        "/mon-compte/profils",
        "/mon-compte/supprimer",
    ] {
        let html = citizen.get(path).await.text().await.expect("body");
        if check(path.to_owned(), html) {
            with_islands.push(path.to_owned());
        }
    }
    let admin = crate::admin::admin_browser(&app).await;
    let field = format!(
        "/admin/demarches/1/champs/{}",
        first_field_key(&admin).await
    );
    for path in [
        "/admin",
        "/admin/demarches",
        "/admin/demarches/1",
        "/admin/demarches/1/formulaire",
        "/admin/demarches/1/apercu",
        field.as_str(),
        "/admin/journal",
    ] {
        let response = admin.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("body");
        if check(path.to_owned(), html) {
            with_islands.push(path.to_owned());
        }
    }
    assert_eq!(
        with_islands,
        [
            "/aide".to_owned(),
            "/connexion".to_owned(),
            "/inscription".to_owned(),
            step,
            "/mon-compte/donnees-personnelles?modifier=mot-de-passe".to_owned(),
            "/mon-compte/supprimer".to_owned(),
            "/admin/demarches/1/formulaire".to_owned(),
            "/admin/demarches/1/apercu".to_owned(),
            field,
        ],
        "the pages with islands"
    );
}

/// The key of the first field of démarche 1's form, as its builder reads it.
async fn first_field_key(admin: &crate::accounts::Browser<'_>) -> String {
    let response = admin
        .call::<guichet::admin::api::AdminForm>(&[("id", "1")])
        .await;
    let (_, definition): (
        guichet::admin::model::DemarcheEditor,
        guichet::forms::FormDefinition,
    ) = response.json().await.expect("the form");
    definition.pages[0].fields[0].key.clone()
}

/// The main menu marks the section of the page (`aria-current="page"`), from the
/// server's HTML: « Accueil » on the home page only, « Mon compte » on its sub-pages.
#[tokio::test]
async fn the_main_menu_marks_the_current_section() {
    let app = spawn_app().await;
    let menu = |html: &str| -> Vec<String> {
        let nav = html
            .split("aria-label=\"Menu principal\"")
            .nth(1)
            .and_then(|rest| rest.split("</nav>").next())
            .expect("the main menu")
            .to_owned();
        nav.split("<a ")
            .skip(1)
            .filter(|a| {
                a.split('>')
                    .next()
                    .unwrap_or_default()
                    .contains("aria-current=\"page\"")
            })
            .map(|a| a.split('"').nth(1).unwrap_or_default().to_owned())
            .collect()
    };
    let page = |path: &'static str| {
        let app = &app;
        async move { app.get(path).await.text().await.expect("html") }
    };
    assert_eq!(menu(&page("/").await), ["/"]);
    assert_eq!(menu(&page("/aide").await), ["/aide"]);
    assert_eq!(menu(&page("/demarches").await), ["/demarches"]);
    let browser = crate::dossiers::signed_in(&app, "camille@example.org").await;
    let html = browser
        .get("/mon-compte/dossiers")
        .await
        .text()
        .await
        .expect("html");
    assert_eq!(menu(&html), ["/mon-compte"]);
}

/// A page's data loads while another app of the same process builds its routes.
/// Leptos sets a process-wide flag while it walks an app to list its routes, and a
/// resource first polled while that flag is up never loads (leptos issue #4773): the
/// page then never answers. The portal lists its routes once per process, so building
/// the router again (tests start many apps in one process) must not raise the flag.
#[tokio::test]
async fn pages_load_while_another_router_is_built() {
    let app = spawn_app().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let builder = {
        let (stop, state) = (stop.clone(), app.state.clone());
        let runtime = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            let _runtime = runtime.enter();
            let mut built = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                drop(guichet::server::startup::router(state.clone()));
                built += 1;
            }
            built
        })
    };
    for round in 0..20 {
        for path in ["/accessibilite", "/demarches", "/mentions-legales"] {
            let answer = tokio::time::timeout(std::time::Duration::from_secs(10), app.get(path))
                .await
                .unwrap_or_else(|_| panic!("{path} (round {round}) answered within 10 s"));
            assert_eq!(answer.status(), 200, "{path}");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let built = builder.join().expect("the router builder");
    assert!(built > 0, "routers were built meanwhile");
}
