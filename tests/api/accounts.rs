//! Accounts: sign-up, sign-in, sessions, limits, reset, personal data, RGPD.
//! Every email is read from the real SMTP server; every link is followed.

use std::time::{Duration, Instant};

use guichet::account::api::{
    ChangePassword, ConfirmEmail, DeleteAccount, GetCurrentUser, GetPersonalData, MeasurePassword,
    RequestEmailChange, RequestPasswordReset, ResendVerification, ResetLinkValid, ResetPassword,
    SignIn, SignOut, SignUp, UpdateAddress, UpdateBirthDate, UpdatePersonalField,
};
use guichet::account::model::{CurrentUser, PasswordStrength, PersonalData};
use guichet::error::AppError;
use guichet::server::entities::{account, account_token, session};
use leptos::server_fn::ServerFn;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::smtp::ReceivedMail;
use crate::helpers::{Spawned, TestApp, spawn_app};

pub const PASSWORD: &str = "cheval agrafe batterie correcte";
pub const NEW_PASSWORD: &str = "Lune-Verte-Sous-La-Pluie-42";

/// A browser of its own: its session cookie, managed by hand so tests can read it.
pub struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: std::sync::Mutex<Option<String>>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // A request that never ends fails the test, naming it, instead of
                // holding the whole run until CI's limit.
                .timeout(crate::helpers::REQUEST_TIMEOUT)
                .build()
                .expect("client"),
            cookie: std::sync::Mutex::new(None),
        }
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().expect("lock").clone()
    }

    pub fn set_cookie(&self, value: Option<String>) {
        *self.cookie.lock().expect("lock") = value;
    }

    fn remember(&self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            if let Some(rest) = text.strip_prefix("guichet_session=") {
                let v = rest.split(';').next().unwrap_or_default().to_string();
                let expired = text.contains("Max-Age=0") || v.is_empty();
                self.set_cookie(if expired { None } else { Some(v) });
            }
        }
    }

    pub async fn call<S: ServerFn>(&self, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.app.url(S::PATH))
            .header("Accept", "application/json")
            .form(form);
        if let Some(c) = self.cookie() {
            request = request.header("Cookie", format!("guichet_session={c}"));
        }
        let response = request.send().await.expect("request sent");
        self.remember(&response);
        response
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self.client.get(self.app.url(path));
        if let Some(c) = self.cookie() {
            request = request.header("Cookie", format!("guichet_session={c}"));
        }
        let response = request.send().await.expect("request sent");
        self.remember(&response);
        response
    }

    /// Posts a multipart form (a dossier page: its answers, files and button) the way
    /// the browser does. With `xhr`, asks for the JSON answer the page's script reads
    /// instead of a redirect.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
        xhr: bool,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.app.url(path)).multipart(form);
        if xhr {
            request = request.header("x-guichet-xhr", "1");
        }
        if let Some(c) = self.cookie() {
            request = request.header("Cookie", format!("guichet_session={c}"));
        }
        let response = request.send().await.expect("request sent");
        self.remember(&response);
        response
    }

    pub async fn who(&self) -> Option<CurrentUser> {
        let response = self.call::<GetCurrentUser>(&[]).await;
        assert!(response.status().is_success());
        response.json().await.expect("json")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.call::<SignIn>(&[("email", email), ("password", password)])
            .await
    }
}

pub async fn ok(response: reqwest::Response) -> reqwest::Response {
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        panic!("expected success, got {status}: {body}");
    }
    response
}

pub async fn error(response: reqwest::Response) -> AppError {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert!(
        !status.is_success(),
        "expected an error, got {status}: {body}"
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not an AppError ({e}): {body}"))
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The `jeton` of the first link of an email.
pub fn token_in(mail: &ReceivedMail) -> String {
    let text = mail.text();
    let start = text.find("jeton=").expect("a link with a token") + "jeton=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub async fn mails_to(app: &Spawned, to: &str, count: usize) -> Vec<ReceivedMail> {
    let wanted = format!("<{to}>");
    crate::helpers::eventually(
        &format!("{count} email(s) to {to}"),
        Duration::from_secs(10),
        || {
            let mails: Vec<ReceivedMail> = app
                .smtp
                .received()
                .into_iter()
                .filter(|m| m.envelope_to.contains(&wanted))
                .collect();
            async move { (mails.len() >= count).then_some(mails) }
        },
    )
    .await
}

pub async fn sign_up(browser: &Browser<'_>, email: &str) -> reqwest::Response {
    browser
        .call::<SignUp>(&[
            ("civilite", "Mme"),
            ("last_name", "Martin"),
            ("first_name", "Camille"),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
            ("terms", "on"),
        ])
        .await
}

/// Signs up and confirms the address: a verified account.
pub async fn verified_account(app: &Spawned, email: &str) {
    let browser = Browser::new(app);
    ok(sign_up(&browser, email).await).await;
    let mails = mails_to(app, email, 1).await;
    ok(browser
        .call::<ConfirmEmail>(&[("jeton", &token_in(&mails[0]))])
        .await)
    .await;
}

#[tokio::test]
async fn sign_up_sends_a_link_and_the_account_can_sign_in_before_confirming() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let response = ok(sign_up(&browser, "Camille.Martin@Example.org").await).await;
    assert_eq!(location(&response), "/inscription/verifiez-vos-courriels");
    assert!(browser.who().await.is_none(), "sign-up does not sign in");

    let mails = mails_to(&app, "camille.martin@example.org", 1).await;
    assert_eq!(mails[0].subject(), "Confirmez votre adresse électronique");
    let token = token_in(&mails[0]);
    assert!(token.len() >= 43, "256-bit token, got {token}");
    assert!(
        mails[0]
            .text()
            .contains("http://127.0.0.1:3000/confirmer-adresse?jeton=")
    );
    // Only a hash of the token is stored.
    let rows = account_token::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, token);

    ok(browser
        .sign_in("camille.martin@example.org", PASSWORD)
        .await)
    .await;
    let me = browser.who().await.expect("signed in");
    assert_eq!(me.first_name, "Camille");
    assert!(!me.email_verified);

    // Resend: a new link, the old one stops working.
    ok(browser.call::<ResendVerification>(&[]).await).await;
    let mails = mails_to(&app, "camille.martin@example.org", 2).await;
    let new_token = token_in(&mails[1]);
    assert_ne!(new_token, token);
    assert_eq!(
        error(browser.call::<ConfirmEmail>(&[("jeton", &token)]).await).await,
        AppError::InvalidLink
    );

    let response = ok(browser.call::<ConfirmEmail>(&[("jeton", &new_token)]).await).await;
    assert_eq!(location(&response), "/adresse-confirmee");
    assert!(browser.who().await.expect("signed in").email_verified);
    // Single use.
    assert_eq!(
        error(browser.call::<ConfirmEmail>(&[("jeton", &new_token)]).await).await,
        AppError::InvalidLink
    );
}

#[tokio::test]
async fn sign_up_with_a_known_email_answers_the_same_and_reminds_the_owner() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let first = ok(sign_up(&browser, "camille@example.org").await).await;
    let (first_status, first_location) = (first.status(), location(&first));
    let first_body = first.text().await.expect("body");
    mails_to(&app, "camille@example.org", 1).await;

    let second = ok(sign_up(&browser, "CAMILLE@example.org").await).await;
    assert_eq!(second.status(), first_status);
    assert_eq!(location(&second), first_location);
    assert_eq!(second.text().await.expect("body"), first_body);

    let mails = mails_to(&app, "camille@example.org", 2).await;
    assert_eq!(mails[1].subject(), "Vous avez déjà un compte");
    assert!(mails[1].text().contains("/mot-de-passe-oublie"));
    let accounts = account::Entity::find()
        .filter(account::Column::Email.eq("camille@example.org"))
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(accounts.len(), 1);
}

#[tokio::test]
async fn sign_up_checks_every_field_and_the_password_policy() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let e = error(
        browser
            .call::<SignUp>(&[
                ("last_name", ""),
                ("first_name", "Camille"),
                ("email", "pas-une-adresse"),
                ("password", "azertyuiop123"),
                ("password_confirmation", "azertyuiop123"),
            ])
            .await,
    )
    .await;
    assert!(e.field_message("civilite").is_some());
    assert_eq!(
        e.field_message("last_name").as_deref(),
        Some("Saisissez votre nom.")
    );
    assert!(e.field_message("email").is_some());
    assert_eq!(
        e.field_message("password").as_deref(),
        Some("Ce mot de passe fait partie des plus courants : choisissez-en un autre.")
    );
    assert!(e.field_message("terms").is_some());
    // What was typed comes back (not the password).
    assert_eq!(e.kept_value("first_name").as_deref(), Some("Camille"));
    assert_eq!(e.kept_value("email").as_deref(), Some("pas-une-adresse"));
    assert_eq!(e.kept_value("password"), None);

    for (password, confirmation, field) in [
        ("Court-2026!", "Court-2026!", "password"),
        ("camillemartin2", "camillemartin2", "password"),
        (PASSWORD, "autre chose entièrement", "password_confirmation"),
    ] {
        let e = error(
            browser
                .call::<SignUp>(&[
                    ("civilite", "M."),
                    ("last_name", "Martin"),
                    ("first_name", "Camille"),
                    ("email", "camille@example.org"),
                    ("password", password),
                    ("password_confirmation", confirmation),
                    ("terms", "on"),
                ])
                .await,
        )
        .await;
        assert!(e.field_message(field).is_some(), "{password}: {e:?}");
    }
    assert!(app.smtp.received().is_empty());

    let weak: PasswordStrength = ok(browser
        .call::<MeasurePassword>(&[("password", "motdepasse2024")])
        .await)
    .await
    .json()
    .await
    .expect("json");
    assert!(!weak.acceptable);
    let strong: PasswordStrength = ok(browser
        .call::<MeasurePassword>(&[("password", PASSWORD)])
        .await)
    .await
    .json()
    .await
    .expect("json");
    assert!(strong.acceptable && strong.score >= 3);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn sign_in_answers_the_same_for_known_and_unknown_emails() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);

    // Warm up (the first unknown email builds the dummy hash).
    let _ = browser
        .sign_in("warm@example.org", "mauvais mot de passe")
        .await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = browser
            .sign_in("camille@example.org", "mauvais mot de passe")
            .await;
        known.push(t.elapsed());
        bodies.push((r.status(), r.text().await.expect("body")));
        let t = Instant::now();
        let r = browser
            .sign_in("personne@example.org", "mauvais mot de passe")
            .await;
        unknown.push(t.elapsed());
        bodies.push((r.status(), r.text().await.expect("body")));
    }
    // Same status, same message (the typed email aside).
    let normalise = |(s, b): &(reqwest::StatusCode, String)| {
        (
            *s,
            b.replace("camille@example.org", "X")
                .replace("personne@example.org", "X"),
        )
    };
    let first = normalise(&bodies[0]);
    assert!(bodies.iter().all(|b| normalise(b) == first), "{bodies:?}");
    assert_eq!(bodies[0].0, 422, "a refused sign-in is not a server error");
    let e: AppError = serde_json::from_str(&bodies[0].1).expect("AppError");
    assert_eq!(
        e.field_message("email").as_deref(),
        Some("Adresse électronique ou mot de passe incorrect.")
    );
    // Both verify one Argon2 hash: the medians are of the same order. Without the dummy
    // hash an unknown email would answer in a few milliseconds against 30-70 ms for a
    // known one (a ratio above 10); the other tests running on the same two cores make
    // the medians wander, hence the wide band.
    let (k, u) = (median(known), median(unknown));
    let ratio = k.as_secs_f64() / u.as_secs_f64();
    assert!(
        (1.0 / 3.0..3.0).contains(&ratio),
        "known {k:?} vs unknown {u:?}: timing reveals accounts"
    );
}

#[tokio::test]
async fn sign_in_rotates_the_session_id_and_sign_out_ends_it_on_the_server() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    // A session that exists before sign-in (an attacker could have planted its id).
    browser.set_cookie(Some("planted-session-id".into()));
    let response = ok(browser.sign_in("camille@example.org", PASSWORD).await).await;
    assert_eq!(location(&response), "/mon-compte");
    let first = browser.cookie().expect("a session cookie");
    assert_ne!(first, "planted-session-id");
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(browser.who().await.is_some());

    // Signing in again gives another id; the previous one is worthless.
    ok(browser.sign_in("camille@example.org", PASSWORD).await).await;
    let second = browser.cookie().expect("a session cookie");
    assert_ne!(first, second);
    let old = Browser::new(&app);
    old.set_cookie(Some(first));
    assert!(old.who().await.is_none(), "the old session id still works");

    let rows = session::Entity::find().all(&app.db).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].account_id.is_some());

    // « Se déconnecter »: the id is deleted from the database, not only from the browser.
    let stolen = Browser::new(&app);
    stolen.set_cookie(Some(second));
    let response = ok(browser.call::<SignOut>(&[]).await).await;
    assert_eq!(location(&response), "/?message=deconnecte");
    assert!(
        stolen.who().await.is_none(),
        "a copied cookie survives sign-out"
    );
    assert!(
        session::Entity::find()
            .all(&app.db)
            .await
            .expect("rows")
            .is_empty()
    );
}

#[tokio::test]
async fn six_failures_lock_an_address_for_an_hour_known_or_not() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    for email in ["camille@example.org", "personne@example.org"] {
        for attempt in 1..=6 {
            let e = error(browser.sign_in(email, "mauvais mot de passe").await).await;
            if attempt < 6 {
                assert!(matches!(e, AppError::Invalid { .. }), "{attempt}: {e:?}");
            } else {
                assert!(
                    matches!(e, AppError::RateLimited { retry_after_secs } if retry_after_secs > 3500),
                    "{e:?}"
                );
                assert_eq!(
                    e.to_string(),
                    "Trop de tentatives. Réessayez dans 60 minute(s)."
                );
            }
        }
    }
    // Even the right password waits for the end of the lock.
    let e = error(browser.sign_in("camille@example.org", PASSWORD).await).await;
    assert!(matches!(e, AppError::RateLimited { .. }));
    assert!(browser.who().await.is_none());
    // Another address from the same IP is not locked (the IP limit is higher).
    verified_account(&app, "dominique@example.org").await;
    ok(browser.sign_in("dominique@example.org", PASSWORD).await).await;
}

#[tokio::test]
async fn failures_from_one_ip_address_are_limited_too() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let mut limited = None;
    for n in 0..31 {
        let e = error(
            browser
                .sign_in(&format!("personne{n}@example.org"), "mauvais mot de passe")
                .await,
        )
        .await;
        if matches!(e, AppError::RateLimited { .. }) {
            limited = Some(n + 1);
            break;
        }
    }
    assert_eq!(limited, Some(30), "the 30th failure from one IP locks it");
}

#[tokio::test]
async fn forgotten_password_answers_the_same_and_the_link_works_once() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let other_device = Browser::new(&app);
    ok(other_device.sign_in("camille@example.org", PASSWORD).await).await;

    let browser = Browser::new(&app);
    let known = ok(browser
        .call::<RequestPasswordReset>(&[("email", "camille@example.org")])
        .await)
    .await;
    let unknown = ok(browser
        .call::<RequestPasswordReset>(&[("email", "personne@example.org")])
        .await)
    .await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(location(&known), "/mot-de-passe-oublie/envoye");
    assert_eq!(location(&unknown), "/mot-de-passe-oublie/envoye");
    assert_eq!(
        known.text().await.expect("body"),
        unknown.text().await.expect("body")
    );

    let mails = mails_to(&app, "camille@example.org", 2).await;
    let reset = &mails[1];
    assert_eq!(reset.subject(), "Réinitialisation de votre mot de passe");
    assert!(reset.text().contains("valable une heure"));
    let token = token_in(reset);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !app.smtp.received().iter().any(|m| m
            .envelope_to
            .contains(&"<personne@example.org>".to_string())),
        "nothing is sent to an unknown address"
    );

    let valid: bool = ok(browser.call::<ResetLinkValid>(&[("jeton", &token)]).await)
        .await
        .json()
        .await
        .expect("json");
    assert!(valid);
    // The policy applies; a refused password does not use the link.
    let e = error(
        browser
            .call::<ResetPassword>(&[
                ("jeton", &token),
                ("password", "motdepasse123"),
                ("password_confirmation", "motdepasse123"),
            ])
            .await,
    )
    .await;
    assert!(e.field_message("password").is_some());

    let response = ok(browser
        .call::<ResetPassword>(&[
            ("jeton", &token),
            ("password", NEW_PASSWORD),
            ("password_confirmation", NEW_PASSWORD),
        ])
        .await)
    .await;
    assert_eq!(
        location(&response),
        "/mon-compte?message=mot-de-passe-modifie"
    );
    assert!(browser.who().await.is_some(), "the reset signs in");
    assert!(other_device.who().await.is_none(), "other sessions end");

    let mails = mails_to(&app, "camille@example.org", 3).await;
    assert_eq!(mails[2].subject(), "Votre mot de passe a été modifié");

    // Single use.
    let e = error(
        browser
            .call::<ResetPassword>(&[
                ("jeton", &token),
                ("password", "Encore-Un-Autre-Mot-De-Passe"),
                ("password_confirmation", "Encore-Un-Autre-Mot-De-Passe"),
            ])
            .await,
    )
    .await;
    assert_eq!(e, AppError::InvalidLink);
    let fresh = Browser::new(&app);
    assert!(
        error(fresh.sign_in("camille@example.org", PASSWORD).await)
            .await
            .field_message("email")
            .is_some()
    );
    ok(fresh.sign_in("camille@example.org", NEW_PASSWORD).await).await;
}

#[tokio::test]
async fn reset_links_expire_and_forged_ones_fail() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    ok(browser
        .call::<RequestPasswordReset>(&[("email", "camille@example.org")])
        .await)
    .await;
    let mails = mails_to(&app, "camille@example.org", 2).await;
    let token = token_in(&mails[1]);
    let row = account_token::Entity::find()
        .filter(account_token::Column::Purpose.eq("reset_password"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("a reset token");
    let lifetime = row.expires_at - row.created_at;
    assert_eq!(lifetime, 3600, "valid one hour");

    // One hour later…
    account_token::Entity::update_many()
        .col_expr(
            account_token::Column::ExpiresAt,
            Expr::value(time::OffsetDateTime::now_utc().unix_timestamp() - 1),
        )
        .exec(&app.db)
        .await
        .expect("age the token");
    for t in [
        token.as_str(),
        "forged-token-0123456789abcdefghijklmnopqrstu",
        "",
    ] {
        let valid: bool = ok(browser.call::<ResetLinkValid>(&[("jeton", t)]).await)
            .await
            .json()
            .await
            .expect("json");
        assert!(!valid, "{t}");
        let e = error(
            browser
                .call::<ResetPassword>(&[
                    ("jeton", t),
                    ("password", NEW_PASSWORD),
                    ("password_confirmation", NEW_PASSWORD),
                ])
                .await,
        )
        .await;
        assert_eq!(e, AppError::InvalidLink);
    }
    // The page says so (410) and offers a new link.
    let page = app
        .get(&format!("/nouveau-mot-de-passe?jeton={token}"))
        .await;
    assert_eq!(page.status(), 410);
    let html = page.text().await.expect("html");
    assert!(html.contains("Ce lien n’est plus valide"));
    assert!(html.contains("Demander un nouveau lien"));
}

#[tokio::test]
async fn email_requests_are_rate_limited() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    for n in 1..=5 {
        ok(browser
            .call::<RequestPasswordReset>(&[("email", "personne@example.org")])
            .await)
        .await;
        let _ = n;
    }
    let e = error(
        browser
            .call::<RequestPasswordReset>(&[("email", "personne@example.org")])
            .await,
    )
    .await;
    assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");

    for n in 0..10 {
        ok(sign_up(&browser, &format!("nouveau{n}@example.org")).await).await;
    }
    let e = error(sign_up(&browser, "encore@example.org").await).await;
    assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");
}

#[tokio::test]
async fn personal_data_is_shown_and_edited_field_by_field() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    ok(browser.sign_in("camille@example.org", PASSWORD).await).await;

    let response = ok(browser
        .call::<UpdatePersonalField>(&[("field", "phone"), ("value", "+33 6 12 34 56 78")])
        .await)
    .await;
    assert_eq!(
        location(&response),
        "/mon-compte/donnees-personnelles?modifie=telephone"
    );
    let e = error(
        browser
            .call::<UpdatePersonalField>(&[("field", "phone"), ("value", "12 34")])
            .await,
    )
    .await;
    assert!(e.field_message("phone").is_some());
    assert_eq!(e.kept_value("phone").as_deref(), Some("12 34"));
    ok(browser
        .call::<UpdatePersonalField>(&[("field", "first_name"), ("value", "Camille-Anne")])
        .await)
    .await;
    ok(browser
        .call::<UpdatePersonalField>(&[("field", "civilite"), ("value", "M.")])
        .await)
    .await;
    let e = error(
        browser
            .call::<UpdateBirthDate>(&[
                ("birth_day", "31"),
                ("birth_month", "2"),
                ("birth_year", "1985"),
            ])
            .await,
    )
    .await;
    assert_eq!(e.kept_value("birth_day").as_deref(), Some("31"));
    ok(browser
        .call::<UpdateBirthDate>(&[
            ("birth_day", "27"),
            ("birth_month", "3"),
            ("birth_year", "1985"),
        ])
        .await)
    .await;
    let e = error(
        browser
            .call::<UpdateAddress>(&[
                ("address_line", "12 rue des Tilleuls"),
                ("postal_code", "123"),
                ("commune", "Valbourg"),
            ])
            .await,
    )
    .await;
    assert!(e.field_message("postal_code").is_some());
    assert_eq!(
        e.kept_value("address_line").as_deref(),
        Some("12 rue des Tilleuls")
    );
    ok(browser
        .call::<UpdateAddress>(&[
            ("address_line", "12 rue des Tilleuls"),
            ("postal_code", "00100"),
            ("commune", "Valbourg"),
        ])
        .await)
    .await;

    let data: PersonalData = ok(browser.call::<GetPersonalData>(&[]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(data.phone, "06 12 34 56 78");
    assert_eq!(data.first_name, "Camille-Anne");
    assert_eq!(data.civilite, "M.");
    assert_eq!(data.birth_date, "1985-03-27");
    assert_eq!(
        (
            data.address_line.as_str(),
            data.postal_code.as_str(),
            data.commune.as_str()
        ),
        ("12 rue des Tilleuls", "00100", "Valbourg")
    );

    // The page shows them, with a pencil per field named for screen readers.
    let html = browser
        .get("/mon-compte/donnees-personnelles")
        .await
        .text()
        .await
        .expect("html");
    let html = crate::helpers::html_of(&html);
    assert!(html.contains("06 12 34 56 78"));
    assert!(html.contains("27 mars 1985"));
    assert!(html.contains(r#"<span class="visually-hidden"> votre téléphone</span>"#));
    // Edit mode without JavaScript: the same page with ?modifier=.
    let html = browser
        .get("/mon-compte/donnees-personnelles?modifier=telephone")
        .await
        .text()
        .await
        .expect("html");
    let html = crate::helpers::html_of(&html);
    assert!(html.contains("Modifier votre téléphone"));
    assert!(html.contains(r#"value="06 12 34 56 78""#));

    let json = browser.get("/mon-compte/mes-donnees.json").await;
    assert_eq!(json.status(), 200);
    assert!(
        json.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .starts_with("attachment")
    );
    let export: serde_json::Value = json.json().await.expect("json");
    assert_eq!(
        export["donnees_personnelles"]["telephone"],
        "06 12 34 56 78"
    );
    assert_eq!(
        export["compte"]["adresse_electronique"],
        "camille@example.org"
    );
    assert!(!export.to_string().contains("argon2"), "no password hash");
}

#[tokio::test]
async fn email_change_takes_effect_when_the_new_address_confirms() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    ok(browser.sign_in("camille@example.org", PASSWORD).await).await;

    let e = error(
        browser
            .call::<RequestEmailChange>(&[
                ("new_email", "camille@nouveau.example"),
                ("current_password", "faux"),
            ])
            .await,
    )
    .await;
    assert!(e.field_message("current_password").is_some());
    assert_eq!(
        e.kept_value("new_email").as_deref(),
        Some("camille@nouveau.example")
    );

    ok(browser
        .call::<RequestEmailChange>(&[
            ("new_email", "camille@nouveau.example"),
            ("current_password", PASSWORD),
        ])
        .await)
    .await;
    let to_new = mails_to(&app, "camille@nouveau.example", 1).await;
    let to_old = mails_to(&app, "camille@example.org", 2).await;
    assert_eq!(
        to_old[1].subject(),
        "Demande de changement de votre adresse électronique"
    );
    assert!(to_old[1].text().contains("c…e@nouveau.example"));
    let data: PersonalData = ok(browser.call::<GetPersonalData>(&[]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(data.email, "camille@example.org", "not before confirmation");
    assert_eq!(
        data.pending_email.as_deref(),
        Some("camille@nouveau.example")
    );

    let response = ok(browser
        .call::<ConfirmEmail>(&[("jeton", &token_in(&to_new[0]))])
        .await)
    .await;
    assert_eq!(location(&response), "/adresse-confirmee?changement=1");
    let fresh = Browser::new(&app);
    ok(fresh.sign_in("camille@nouveau.example", PASSWORD).await).await;
    assert!(
        error(
            Browser::new(&app)
                .sign_in("camille@example.org", PASSWORD)
                .await
        )
        .await
        .field_message("email")
        .is_some()
    );
}

#[tokio::test]
async fn changing_the_password_asks_for_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    let other = Browser::new(&app);
    ok(browser.sign_in("camille@example.org", PASSWORD).await).await;
    ok(other.sign_in("camille@example.org", PASSWORD).await).await;

    let e = error(
        browser
            .call::<ChangePassword>(&[
                ("current_password", "faux"),
                ("password", NEW_PASSWORD),
                ("password_confirmation", NEW_PASSWORD),
            ])
            .await,
    )
    .await;
    assert_eq!(
        e.field_message("current_password").as_deref(),
        Some("Le mot de passe actuel est incorrect.")
    );
    let before = browser.cookie();
    ok(browser
        .call::<ChangePassword>(&[
            ("current_password", PASSWORD),
            ("password", NEW_PASSWORD),
            ("password_confirmation", NEW_PASSWORD),
        ])
        .await)
    .await;
    assert_ne!(browser.cookie(), before, "the session id changes");
    assert!(browser.who().await.is_some(), "this session goes on");
    assert!(other.who().await.is_none(), "the other session ended");
    let mails = mails_to(&app, "camille@example.org", 2).await;
    assert_eq!(mails[1].subject(), "Votre mot de passe a été modifié");
}

#[tokio::test]
async fn deleting_the_account_erases_personal_data() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let browser = Browser::new(&app);
    ok(browser.sign_in("camille@example.org", PASSWORD).await).await;
    ok(browser
        .call::<UpdatePersonalField>(&[("field", "phone"), ("value", "0612345678")])
        .await)
    .await;

    let e = error(
        browser
            .call::<DeleteAccount>(&[("current_password", "faux")])
            .await,
    )
    .await;
    assert!(e.field_message("current_password").is_some());
    let response = ok(browser
        .call::<DeleteAccount>(&[("current_password", PASSWORD)])
        .await)
    .await;
    assert_eq!(location(&response), "/compte-supprime");
    assert!(browser.who().await.is_none());

    let row = account::Entity::find()
        .filter(account::Column::DeletedAt.is_not_null())
        .one(&app.db)
        .await
        .expect("query")
        .expect("the row is kept for the dossiers");
    assert!(!row.active);
    assert!(row.deleted_at.is_some());
    assert_ne!(row.email, "camille@example.org");
    assert_eq!(row.first_name, "");
    assert_eq!(row.phone, None);
    assert!(!row.password_hash.starts_with("$argon2"));

    let mails = mails_to(&app, "camille@example.org", 2).await;
    assert_eq!(mails[1].subject(), "Votre compte a été supprimé");
    let e = error(
        Browser::new(&app)
            .sign_in("camille@example.org", PASSWORD)
            .await,
    )
    .await;
    assert!(e.field_message("email").is_some());
    // The address is free again.
    ok(sign_up(&Browser::new(&app), "camille@example.org").await).await;
    let mails = mails_to(&app, "camille@example.org", 3).await;
    assert_eq!(mails[2].subject(), "Confirmez votre adresse électronique");
}

#[tokio::test]
async fn every_account_function_refuses_a_caller_without_a_session() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let calls: Vec<(&str, reqwest::Response)> = vec![
        ("resend", browser.call::<ResendVerification>(&[]).await),
        ("data", browser.call::<GetPersonalData>(&[]).await),
        (
            "field",
            browser
                .call::<UpdatePersonalField>(&[("field", "phone"), ("value", "0612345678")])
                .await,
        ),
        (
            "birth",
            browser
                .call::<UpdateBirthDate>(&[
                    ("birth_day", "1"),
                    ("birth_month", "1"),
                    ("birth_year", "1980"),
                ])
                .await,
        ),
        (
            "address",
            browser
                .call::<UpdateAddress>(&[
                    ("address_line", "1 rue"),
                    ("postal_code", "00100"),
                    ("commune", "Valbourg"),
                ])
                .await,
        ),
        (
            "email",
            browser
                .call::<RequestEmailChange>(&[
                    ("new_email", "x@example.org"),
                    ("current_password", PASSWORD),
                ])
                .await,
        ),
        (
            "password",
            browser
                .call::<ChangePassword>(&[
                    ("current_password", PASSWORD),
                    ("password", NEW_PASSWORD),
                    ("password_confirmation", NEW_PASSWORD),
                ])
                .await,
        ),
        (
            "delete",
            browser
                .call::<DeleteAccount>(&[("current_password", PASSWORD)])
                .await,
        ),
    ];
    for (name, response) in calls {
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(error(response).await, AppError::Unauthenticated, "{name}");
    }
    // A forged or expired cookie is no better.
    browser.set_cookie(Some("0123456789abcdef0123456789abcdef".into()));
    assert_eq!(
        error(browser.call::<GetPersonalData>(&[]).await).await,
        AppError::Unauthenticated
    );
    // Pages and the export send signed-out visitors to « Connexion », and back after.
    let page = app
        .client
        .get(app.url("/mon-compte/donnees-personnelles"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 302);
    assert_eq!(
        location(&page),
        "/connexion?retour=/mon-compte/donnees-personnelles"
    );
    let export = app.get("/mon-compte/mes-donnees.json").await;
    assert_eq!(export.status(), 303);
    assert!(location(&export).starts_with("/connexion"));
}

#[tokio::test]
async fn forms_work_without_javascript() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let post = |form: Vec<(&'static str, &'static str)>| {
        client
            .post(app.url(SignIn::PATH))
            .header("Accept", "text/html")
            .header("Referer", app.url("/connexion"))
            .form(&form)
            .send()
    };
    // A wrong password: back to the form, with the error (and the typed email), kept
    // for the next reading of the page.
    let response = post_sign_in_form(&client, &app, "/connexion", "faux").await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/connexion");
    let html = client
        .get(app.url("/connexion"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Adresse électronique ou mot de passe incorrect."));
    assert!(html.contains(r#"value="camille@example.org""#));
    assert!(html.contains(r#"aria-invalid="true""#));

    // The right one: straight to « Mon compte », signed in.
    let response = post(vec![
        ("email", "camille@example.org"),
        ("password", PASSWORD),
        ("retour", "/mon-compte/dossiers"),
    ])
    .await
    .expect("sent");
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/mon-compte/dossiers");
    // Never to another site.
    let response = post(vec![
        ("email", "camille@example.org"),
        ("password", PASSWORD),
        ("retour", "//evil.example/"),
    ])
    .await
    .expect("sent");
    assert_eq!(location(&response), "/mon-compte");
}

/// « Connecter » posted as a plain form (no JavaScript) from the page `from`, with
/// `password` and an empty `retour`.
async fn post_sign_in_form(
    client: &reqwest::Client,
    app: &TestApp,
    from: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url(SignIn::PATH))
        .header("Accept", "text/html")
        .header("Referer", app.url(from))
        .form(&[
            ("email", "camille@example.org"),
            ("password", password),
            ("retour", ""),
        ])
        .send()
        .await
        .expect("sent")
}

/// Forms are posted as a browser posts them: the error comes back through the session,
/// never in the address (the home page's sign-in zone and « Connexion »).
#[tokio::test]
async fn a_failed_sign_in_keeps_the_email_out_of_the_address() {
    let app = spawn_app().await;
    verified_account(&app, "camille@example.org").await;
    for from in ["/", "/connexion"] {
        failed_sign_in_comes_back_through_the_session(&app, from).await;
    }
}

async fn failed_sign_in_comes_back_through_the_session(app: &TestApp, from: &str) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let response = post_sign_in_form(&client, app, from, "faux").await;
    assert_eq!(response.status(), 302);
    let back = location(&response);
    assert_eq!(back, from, "no error, no email in the address");
    let home = |client: reqwest::Client| {
        let url = app.url(from);
        async move {
            let page = client.get(url).send().await.expect("page");
            assert_eq!(page.status(), 200);
            page.text().await.expect("html")
        }
    };
    let html = home(client.clone()).await;
    assert!(html.contains("Adresse électronique ou mot de passe incorrect."));
    assert!(html.contains(r#"value="camille@example.org""#));
    assert!(html.contains(r#"aria-invalid="true""#));
    assert!(
        !html.contains("__err"),
        "the page does not repeat the address it was given"
    );
    // Shown once: reading the page again shows the empty form.
    let again = home(client.clone()).await;
    assert!(!again.contains("Adresse électronique ou mot de passe incorrect."));
    assert!(!again.contains(r#"value="camille@example.org""#));

    // Right after a failure, the right password still signs in.
    let response = post_sign_in_form(&client, app, from, PASSWORD).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/mon-compte");
}

/// Server functions' addresses depend on the code only, not on the folder it was built
/// in (`SERVER_FN_OVERRIDE_KEY` in `.cargo/config.toml`): two builds of the same code
/// made in different folders serve, and post to, the same addresses.
#[test]
fn server_function_addresses_do_not_depend_on_the_build_folder() {
    let hash =
        leptos::server_fn::xxhash_rust::const_xxh64::xxh64(b"guichet:guichet::account::api", 0);
    assert_eq!(
        guichet::account::api::SignIn::PATH,
        format!("/api/sign_in{hash}")
    );
}
