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
