use std::collections::HashMap;

use guichet::server::entities::session;
use guichet::server::session::DbSessionStore;
use sea_orm::EntityTrait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

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
