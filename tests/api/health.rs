use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_when_the_database_is_up() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "ok");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("x-request-id header")
    };
    assert_ne!(id(&first), id(&second));
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Sqlite {
        return; // These are SQLite settings; PostgreSQL has its own equivalents.
    }
    let pragma = |name: &'static str| {
        let db = app.db.clone();
        async move {
            db.query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .expect("pragma")
            .expect("a row")
        }
    };
    let mode: String = pragma("journal_mode")
        .await
        .try_get("", "journal_mode")
        .expect("mode");
    assert_eq!(mode, "wal");
    let keys: i32 = pragma("foreign_keys")
        .await
        .try_get("", "foreign_keys")
        .expect("keys");
    assert_eq!(keys, 1);
    let timeout: i32 = pragma("busy_timeout")
        .await
        .try_get("", "timeout")
        .expect("timeout");
    assert_eq!(timeout, 5000);
}
