use guichet::demarches::api::FeaturedDemarches;
use leptos::server_fn::ServerFn;

use crate::helpers::spawn_app;

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_policy() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("missing header {name}"))
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in script-src")
        .to_owned();
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("referrer-policy"), "same-origin");
    let html = response.text().await.expect("body");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    // Every inline script carries it.
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "script without nonce: {tag}"
        );
    }

    let other = app.get("/").await;
    let other_csp = other
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(!other_csp.contains(&nonce), "a new nonce per response");
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_same_site_posts_pass() {
    let app = spawn_app().await;
    let url = app.url(FeaturedDemarches::PATH);
    let post = |headers: Vec<(&'static str, String)>| {
        let mut request = app.client.post(&url).header("Accept", "application/json");
        for (k, v) in headers {
            request = request.header(k, v);
        }
        request.form(&[("x", "1")]).send()
    };
    let refused = post(vec![("Origin", "https://evil.example".into())])
        .await
        .expect("sent");
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("Requête refusée")
    );

    let refused = post(vec![
        ("Sec-Fetch-Site", "cross-site".into()),
        ("Origin", app.address.clone()),
    ])
    .await
    .expect("sent");
    assert_eq!(refused.status(), 403);

    let accepted = post(vec![
        ("Sec-Fetch-Site", "same-origin".into()),
        ("Origin", app.address.clone()),
    ])
    .await
    .expect("sent");
    assert_eq!(accepted.status(), 200);

    // A plain HTML form posted without JavaScript sends Origin equal to the page's origin.
    let accepted = post(vec![("Origin", app.address.clone())])
        .await
        .expect("sent");
    assert_eq!(accepted.status(), 200);
}

/// A page keeps its own policy while static files are served at the same time.
///
/// Leptos's root owner of a page render stays the thread's current owner after the
/// render's first poll (`Owner::new_root` sets it and nothing unsets it). leptos_axum's
/// static-file handler then made its owner a child of that page's and, through the
/// parent's `ResponseOptions`, moved the page's headers (its CSP, a `Set-Cookie`) onto
/// the file's answer: the page left with the default policy, its hydration scripts
/// blocked. The test's runtime has one thread, so every request shares it.
#[tokio::test]
async fn pages_keep_their_headers_while_static_files_are_served() {
    let app = spawn_app().await;
    for round in 0..20 {
        let page = app.get("/demarches/introuvable");
        let files = futures::future::join_all((0..4).map(|_| app.get("/favicon.svg")));
        let (page, files) = tokio::join!(page, files);
        let csp = page
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(page.status(), 404);
        assert!(
            csp.contains("'nonce-"),
            "round {round}: the page left without its policy: {csp}"
        );
        for file in files {
            let csp = file
                .headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                !csp.contains("'nonce-"),
                "round {round}: a static file took a page's policy: {csp}"
            );
            assert_eq!(file.status(), 200, "round {round}");
        }
    }
}
