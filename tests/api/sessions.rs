use std::collections::HashMap;

use guichet::server::entities::session;
use guichet::server::session::DbSessionStore;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

use crate::accounts::{Browser, PASSWORD, ok, verified_account};
use crate::helpers::spawn_app;

fn record(minutes: i64) -> Record {
    let mut data = HashMap::new();
    data.insert("account_id".to_string(), serde_json::json!(42));
    Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
    }
}

#[tokio::test]
async fn sessions_live_in_the_database_under_a_hash_of_their_id() {
    let app = spawn_app().await;
    let store = DbSessionStore::new(app.db.clone());
    let mut live = record(30);
    store.create(&mut live).await.expect("create");

    let loaded = store.load(&live.id).await.expect("load").expect("found");
    assert_eq!(loaded.data.get("account_id"), Some(&serde_json::json!(42)));

    // Another instance (another store on the same database) sees it.
    let other = DbSessionStore::new(
        guichet::server::db::connect(&app.database.url)
            .await
            .expect("connect"),
    );
    assert!(other.load(&live.id).await.expect("load").is_some());

    let rows = session::Entity::find().all(&app.db).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_ne!(
        rows[0].id_hash,
        live.id.to_string(),
        "the raw id is never stored"
    );
    assert_eq!(rows[0].id_hash.len(), 64);

    // Rotation as at sign-in: the old id stops working, the new one carries the data.
    let old = live.id;
    store.delete(&old).await.expect("delete");
    live.id = Id::default();
    store.save(&live).await.expect("save");
    assert!(store.load(&old).await.expect("load").is_none());
    assert!(store.load(&live.id).await.expect("load").is_some());

    // Expired sessions are not loaded and are cleaned up.
    let mut expired = record(-1);
    store.create(&mut expired).await.expect("create");
    assert!(store.load(&expired.id).await.expect("load").is_none());
    store.delete_expired().await.expect("clean up");
    assert_eq!(
        session::Entity::find()
            .all(&app.db)
            .await
            .expect("rows")
            .len(),
        1
    );
}

/// The stored expiry of the only session of the test's database.
async fn session_expiry(app: &crate::helpers::Spawned) -> i64 {
    let rows = session::Entity::find().all(&app.db).await.expect("rows");
    assert_eq!(rows.len(), 1, "one session");
    rows[0].expires_at
}

async fn set_session_expiry(app: &crate::helpers::Spawned, at: i64) {
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(at))
        .exec(&app.db)
        .await
        .expect("set the expiry");
}

/// The idle timeout counts from the last request, not from the sign-in: a citizen who
/// spends 40 minutes on a long form, page after page, stays signed in; one who leaves
/// the browser for 30 minutes is signed out. The cookie itself ends with the browser.
#[tokio::test]
async fn a_session_in_use_stays_open_and_an_idle_one_ends() {
    const EMAIL: &str = "camille@example.org";
    let app = spawn_app().await;
    verified_account(&app, EMAIL).await;
    let browser = Browser::new(&app);
    let response = ok(browser.sign_in(EMAIL, PASSWORD).await).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("guichet_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "a browser-session cookie: {cookie}"
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let idle = 30 * 60;
    let stored = session_expiry(&app).await;
    assert!(
        (now + idle - 5..=now + idle + 5).contains(&stored),
        "30 idle minutes from the sign-in: {stored} vs {now}"
    );

    // 28 minutes later, still on the same form: the next page keeps the session open.
    set_session_expiry(&app, now + 120).await;
    let page = browser.get("/mon-compte").await;
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("Mes données personnelles")
    );
    let pushed = session_expiry(&app).await;
    assert!(
        pushed >= now + idle - 5,
        "pushed back to 30 minutes: {pushed}"
    );

    // Requests within the same minute do not write the session again.
    let recent = now + idle - 30;
    set_session_expiry(&app, recent).await;
    assert!(browser.who().await.is_some());
    assert_eq!(
        session_expiry(&app).await,
        recent,
        "no write within the minute"
    );

    // Idle past the timeout: signed out, and the page asks to sign in again.
    set_session_expiry(&app, now - 1).await;
    assert!(browser.who().await.is_none(), "an idle session has ended");
    let page = app
        .client
        .get(app.url("/mon-compte"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 302, "sent to « Connexion »");
    assert_eq!(
        page.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/connexion?retour=/mon-compte")
    );
}

#[tokio::test]
async fn the_requests_of_a_session_arriving_together_push_it_back_once() {
    const EMAIL: &str = "rafale@example.org";
    let app = spawn_app().await;
    verified_account(&app, EMAIL).await;
    let browser = Browser::new(&app);
    ok(browser.sign_in(EMAIL, PASSWORD).await).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let idle = 30 * 60;

    // A page's requests after 28 idle minutes, all at once: each finds the session open.
    set_session_expiry(&app, now + 120).await;
    let answers = futures::future::join_all((0..12).map(|_| browser.who())).await;
    assert!(answers.iter().all(Option::is_some), "{answers:?}");
    let pushed = session_expiry(&app).await;
    assert!(pushed >= now + idle - 5, "pushed back: {pushed}");

    // This instance pushed it back within the minute: a later request writes nothing
    // (the row set back here stays as it is), one write per session and minute.
    set_session_expiry(&app, now + 120).await;
    assert!(browser.who().await.is_some());
    assert_eq!(session_expiry(&app).await, now + 120);
}

#[tokio::test]
async fn the_account_read_with_its_session_is_the_one_in_the_database_now() {
    use guichet::server::entities::account;
    use sea_orm::{ColumnTrait, QueryFilter};
    const EMAIL: &str = "lecture@example.org";
    let app = spawn_app().await;
    verified_account(&app, EMAIL).await;
    let browser = Browser::new(&app);
    ok(browser.sign_in(EMAIL, PASSWORD).await).await;
    let set = |column: account::Column, value: sea_orm::Value| {
        let db = app.db.clone();
        async move {
            account::Entity::update_many()
                .col_expr(column, Expr::value(value))
                .filter(account::Column::Email.eq(EMAIL))
                .exec(&db)
                .await
                .expect("update");
        }
    };

    // A change made elsewhere (another instance, the administration) shows on the next
    // request: what is read with the session is never a copy from an earlier one.
    set(account::Column::FirstName, "Renommée".into()).await;
    let who = browser.who().await.expect("signed in");
    assert_eq!(who.first_name, "Renommée");
    set(account::Column::FirstName, "Camille".into()).await;
    assert_eq!(
        browser.who().await.expect("signed in").first_name,
        "Camille"
    );

    // An account deactivated behind the session's back signs it out, for server
    // functions and pages alike.
    set(account::Column::Active, false.into()).await;
    assert!(browser.who().await.is_none(), "signed out");
    set(account::Column::Active, true.into()).await;
    assert!(
        browser.who().await.is_none(),
        "the session was ended, not only refused"
    );
}

/// Panics whose message says a request's context was missing (counted by a hook that
/// then runs the usual one).
static CONTEXT_PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn count_context_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let usual = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if message.contains("expected context") {
                CONTEXT_PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            usual(info);
        }));
    });
}

#[tokio::test]
async fn a_visitor_who_leaves_while_a_page_renders_stops_its_reads_without_a_panic() {
    const EMAIL: &str = "pressee@example.org";
    count_context_panics();
    let app = spawn_app().await;
    verified_account(&app, EMAIL).await;
    let browser = Browser::new(&app);
    ok(browser.sign_in(EMAIL, PASSWORD).await).await;
    let cookie = format!("guichet_session={}", browser.cookie().expect("a session"));
    let before = CONTEXT_PANICS.load(std::sync::atomic::Ordering::SeqCst);

    // « Mes dossiers » asked for, then abandoned after 1 to 30 ms: some requests are cut
    // before their page starts, some while its data is being read, some after.
    let client = reqwest::Client::new();
    let mut abandoned = 0;
    for round in 0..3 {
        for ms in 1..=30u64 {
            let sent = client
                .get(app.url("/mon-compte/dossiers"))
                .header("Cookie", &cookie)
                .timeout(std::time::Duration::from_millis(ms + round))
                .send()
                .await;
            if sent.is_err() {
                abandoned += 1;
            }
        }
    }
    assert!(abandoned > 0, "no request was abandoned");
    // The reads left running finish (or stop) on their own.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        CONTEXT_PANICS.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "a read of an abandoned page panicked ({abandoned} abandoned)"
    );
    // The session and the page still work.
    let page = browser.get("/mon-compte/dossiers").await;
    assert_eq!(page.status(), reqwest::StatusCode::OK);
}
