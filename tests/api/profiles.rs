//! Profiles: creation, share keys (single use, expiring, revocable, hashed), joining,
//! composition changes, and that nobody reaches a profile they are not a member of.

use guichet::error::AppError;
use guichet::profiles::api::{
    AddShare, ChangeMember, CreateProfile, GetProfile, JoinProfile, MyProfiles, ProfileComposition,
    RevokeShare, TakeNewShare, UpdateProfile,
};
use guichet::profiles::model::{
    Composition, MemberRole, NewShare, ProfileCard, ProfileDetail, ProfileKind, ShareState,
};
use guichet::server::entities::{profile_event, profile_share};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::accounts::{Browser, PASSWORD, error, location, mails_to, ok, verified_account};
use crate::helpers::{Spawned, spawn_app};

const SIRET: &str = "21350238800019";

async fn signed_in<'a>(app: &'a Spawned, email: &str) -> Browser<'a> {
    verified_account(app, email).await;
    let browser = Browser::new(app);
    ok(browser.sign_in(email, PASSWORD).await).await;
    browser
}

async fn create_commune(browser: &Browser<'_>) -> i32 {
    let response = ok(browser
        .call::<CreateProfile>(&[
            ("kind", "collectivite"),
            ("name", "Commune de Saint-Exemple"),
            ("siret", "213 502 388 00019"),
            ("address_line", "1 place de la Mairie"),
            ("postal_code", "00100"),
            ("commune", "Saint-Exemple"),
            ("function", "Maire"),
        ])
        .await)
    .await;
    let path = location(&response);
    path.trim_start_matches("/mon-compte/profils/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no profile id in {path}"))
}

async fn new_key(browser: &Browser<'_>, profile: i32) -> String {
    let id = profile.to_string();
    let response = ok(browser.call::<AddShare>(&[("profile_id", &id)]).await).await;
    assert!(location(&response).contains("partage=nouveau"));
    let share: Option<NewShare> = ok(browser.call::<TakeNewShare>(&[("profile_id", &id)]).await)
        .await
        .json()
        .await
        .expect("json");
    let share = share.expect("the key, once");
    let again: Option<NewShare> = ok(browser.call::<TakeNewShare>(&[("profile_id", &id)]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again, None, "the key is shown only once");
    share.key
}

async fn composition(browser: &Browser<'_>, profile: i32) -> Composition {
    ok(browser
        .call::<ProfileComposition>(&[("profile_id", &profile.to_string())])
        .await)
    .await
    .json()
    .await
    .expect("json")
}

#[tokio::test]
async fn a_profile_is_created_with_its_creator_as_manager() {
    let app = spawn_app().await;
    let anne = signed_in(&app, "anne@example.org").await;

    let e = error(
        anne.call::<CreateProfile>(&[
            ("name", ""),
            ("siret", "21350238800015"),
            ("address_line", "1 place de la Mairie"),
            ("postal_code", "001"),
            ("commune", "Saint-Exemple"),
            ("function", ""),
        ])
        .await,
    )
    .await;
    for field in ["kind", "name", "siret", "postal_code", "function"] {
        assert!(e.field_message(field).is_some(), "{field}: {e:?}");
    }
    assert_eq!(
        e.field_message("siret").as_deref(),
        Some("Ce numéro SIRET n’existe pas : vérifiez les 14 chiffres.")
    );
    assert_eq!(
        e.kept_value("address_line").as_deref(),
        Some("1 place de la Mairie")
    );

    let id = create_commune(&anne).await;
    let cards: Vec<ProfileCard> = ok(anne.call::<MyProfiles>(&[]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cards.len(), 2, "the personal profile and the commune");
    assert_eq!(cards[0].kind, ProfileKind::Particulier);
    assert_eq!(cards[0].name, "Camille Martin");
    assert_eq!(cards[1].name, "Commune de Saint-Exemple");
    assert_eq!(cards[1].function, "Maire");
    assert_eq!(cards[1].role, MemberRole::Manager);

    let detail: ProfileDetail = ok(anne
        .call::<GetProfile>(&[("profile_id", &id.to_string())])
        .await)
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(detail.siret, SIRET);

    // A manager edits « Informations »; a bad SIRET keeps what was typed.
    let pid = id.to_string();
    let e = error(
        anne.call::<UpdateProfile>(&[
            ("profile_id", &pid),
            ("name", "Commune de Saint-Exemple-sur-Mer"),
            ("siret", "123"),
            ("address_line", "2 place de la Mairie"),
            ("postal_code", "00100"),
            ("commune", "Saint-Exemple"),
        ])
        .await,
    )
    .await;
    assert!(e.field_message("siret").is_some());
    assert_eq!(
        e.kept_value("name").as_deref(),
        Some("Commune de Saint-Exemple-sur-Mer")
    );
    ok(anne
        .call::<UpdateProfile>(&[
            ("profile_id", &pid),
            ("name", "Commune de Saint-Exemple-sur-Mer"),
            ("siret", SIRET),
            ("address_line", "2 place de la Mairie"),
            ("postal_code", "00100"),
            ("commune", "Saint-Exemple"),
        ])
        .await)
    .await;
    let detail: ProfileDetail = ok(anne.call::<GetProfile>(&[("profile_id", &pid)]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail.name, "Commune de Saint-Exemple-sur-Mer");
    assert_eq!(detail.address_line, "2 place de la Mairie");

    // A personal profile cannot be shared.
    let personal = cards[0].id.to_string();
    let e = error(anne.call::<AddShare>(&[("profile_id", &personal)]).await).await;
    assert!(e.field_message("share").is_some(), "{e:?}");
}

#[tokio::test]
async fn a_key_lets_one_person_join_once_and_the_managers_are_told() {
    let app = spawn_app().await;
    let anne = signed_in(&app, "anne@example.org").await;
    let bruno = signed_in(&app, "bruno@example.org").await;
    let chloe = signed_in(&app, "chloe@example.org").await;
    let id = create_commune(&anne).await;
    let key = new_key(&anne, id).await;
    assert_eq!(key.len(), 34, "28 characters in 7 groups: {key}");

    // Never stored in clear.
    let rows = profile_share::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    let canonical = key.replace('-', "");
    assert_ne!(rows[0].key_hash, canonical);
    assert_eq!(rows[0].key_hash.len(), 64);
    assert!(!format!("{rows:?}").contains(&canonical));
    assert_eq!(
        rows[0].expires_at - rows[0].created_at,
        7 * 24 * 3600,
        "valid 7 days"
    );

    let e = error(
        bruno
            .call::<JoinProfile>(&[("key", &key), ("join_function", "")])
            .await,
    )
    .await;
    assert!(e.field_message("join_function").is_some());
    // Typed in lower case with spaces: still the key.
    let typed = key.to_lowercase().replace('-', " ");
    let response = ok(bruno
        .call::<JoinProfile>(&[("key", &typed), ("join_function", "Secrétaire de mairie")])
        .await)
    .await;
    assert_eq!(
        location(&response),
        format!("/mon-compte/profils/{id}/composition?message=profil-rejoint")
    );

    // Both see each other.
    for browser in [&anne, &bruno] {
        let c = composition(browser, id).await;
        let names: Vec<(&str, &str, MemberRole)> = c
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.function.as_str(), m.role))
            .collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&("Camille Martin", "Maire", MemberRole::Manager)));
        assert!(names.contains(&("Camille Martin", "Secrétaire de mairie", MemberRole::Member)));
    }
    let anne_view = composition(&anne, id).await;
    let shares = anne_view.shares.expect("managers see the shares");
    assert_eq!(shares[0].state, ShareState::Used);
    assert!(
        composition(&bruno, id).await.shares.is_none(),
        "members do not"
    );

    // The manager is told who joined and as what.
    let mails = mails_to(&app, "anne@example.org", 2).await;
    let joined = &mails[1];
    assert!(
        joined
            .subject()
            .contains("a rejoint le profil « Commune de Saint-Exemple »")
    );
    assert!(joined.text().contains("« Secrétaire de mairie »"));
    assert!(
        joined
            .text()
            .contains(&format!("/mon-compte/profils/{id}/composition"))
    );

    // Single use.
    let e = error(
        chloe
            .call::<JoinProfile>(&[("key", &key), ("join_function", "Adjointe")])
            .await,
    )
    .await;
    assert!(
        e.field_message("key")
            .unwrap_or_default()
            .contains("déjà servi"),
        "{e:?}"
    );
    let events = profile_event::Entity::find()
        .filter(profile_event::Column::ProfileId.eq(id))
        .all(&app.db)
        .await
        .expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "share_added", "joined"]);
}

#[tokio::test]
async fn keys_expire_can_be_revoked_and_cannot_be_guessed() {
    let app = spawn_app().await;
    let anne = signed_in(&app, "anne@example.org").await;
    let bruno = signed_in(&app, "bruno@example.org").await;
    let id = create_commune(&anne).await;
    let pid = id.to_string();

    let expired = new_key(&anne, id).await;
    profile_share::Entity::update_many()
        .col_expr(
            profile_share::Column::ExpiresAt,
            Expr::value(time::OffsetDateTime::now_utc().unix_timestamp() - 1),
        )
        .exec(&app.db)
        .await
        .expect("age the key");
    let e = error(
        bruno
            .call::<JoinProfile>(&[("key", &expired), ("join_function", "Adjoint")])
            .await,
    )
    .await;
    assert!(
        e.field_message("key")
            .unwrap_or_default()
            .contains("expiré"),
        "{e:?}"
    );

    let revoked = new_key(&anne, id).await;
    let share_id = profile_share::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|s| s.id)
        .max()
        .expect("a share");
    ok(anne
        .call::<RevokeShare>(&[("profile_id", &pid), ("share_id", &share_id.to_string())])
        .await)
    .await;
    let e = error(
        bruno
            .call::<JoinProfile>(&[("key", &revoked), ("join_function", "Adjoint")])
            .await,
    )
    .await;
    assert!(
        e.field_message("key")
            .unwrap_or_default()
            .contains("révoquée"),
        "{e:?}"
    );
    let states: Vec<ShareState> = composition(&anne, id)
        .await
        .shares
        .expect("shares")
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(states, [ShareState::Revoked, ShareState::Expired]);

    // Guessing: unknown keys are counted; the 10th locks the account for an hour.
    for n in 0..10 {
        let e = error(
            bruno
                .call::<JoinProfile>(&[
                    ("key", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG"),
                    ("join_function", "Adjoint"),
                ])
                .await,
        )
        .await;
        if n < 9 {
            assert!(
                e.field_message("key")
                    .unwrap_or_default()
                    .contains("pas reconnue"),
                "{n}: {e:?}"
            );
        } else {
            assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");
        }
    }
    // Even a good key waits.
    let good = new_key(&anne, id).await;
    let e = error(
        bruno
            .call::<JoinProfile>(&[("key", &good), ("join_function", "Adjoint")])
            .await,
    )
    .await;
    assert!(matches!(e, AppError::RateLimited { .. }), "{e:?}");
}

#[tokio::test]
async fn nobody_reaches_a_profile_they_are_not_a_member_of() {
    let app = spawn_app().await;
    let anne = signed_in(&app, "anne@example.org").await;
    let bruno = signed_in(&app, "bruno@example.org").await;
    let outsider = signed_in(&app, "zoe@example.org").await;
    let id = create_commune(&anne).await;
    let pid = id.to_string();
    let key = new_key(&anne, id).await;
    ok(bruno
        .call::<JoinProfile>(&[("key", &key), ("join_function", "Secrétaire")])
        .await)
    .await;
    let c = composition(&anne, id).await;
    let anne_member = c
        .members
        .iter()
        .find(|m| m.is_me)
        .expect("anne")
        .id
        .to_string();
    let bruno_member = c
        .members
        .iter()
        .find(|m| !m.is_me)
        .expect("bruno")
        .id
        .to_string();
    let _pending = new_key(&anne, id).await;
    let share = profile_share::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|s| s.id)
        .max()
        .expect("share")
        .to_string();

    let update: Vec<(&str, &str)> = vec![
        ("profile_id", &pid),
        ("name", "Commune piratée"),
        ("siret", SIRET),
        ("address_line", "1 rue"),
        ("postal_code", "00100"),
        ("commune", "Ailleurs"),
    ];
    // A non-member: every function answers 404, as if the profile did not exist.
    let calls = vec![
        (
            "detail",
            outsider.call::<GetProfile>(&[("profile_id", &pid)]).await,
        ),
        (
            "composition",
            outsider
                .call::<ProfileComposition>(&[("profile_id", &pid)])
                .await,
        ),
        ("update", outsider.call::<UpdateProfile>(&update).await),
        (
            "add share",
            outsider.call::<AddShare>(&[("profile_id", &pid)]).await,
        ),
        (
            "take share",
            outsider.call::<TakeNewShare>(&[("profile_id", &pid)]).await,
        ),
        (
            "revoke",
            outsider
                .call::<RevokeShare>(&[("profile_id", &pid), ("share_id", &share)])
                .await,
        ),
        (
            "remove",
            outsider
                .call::<ChangeMember>(&[
                    ("profile_id", &pid),
                    ("member_id", &bruno_member),
                    ("action", "retirer"),
                ])
                .await,
        ),
    ];
    for (name, response) in calls {
        assert_eq!(response.status(), 404, "{name}");
        assert!(
            matches!(error(response).await, AppError::NotFound(_)),
            "{name}"
        );
    }
    // Without a session: 401.
    let anonymous = Browser::new(&app);
    for response in [
        anonymous.call::<MyProfiles>(&[]).await,
        anonymous.call::<GetProfile>(&[("profile_id", &pid)]).await,
        anonymous
            .call::<JoinProfile>(&[("key", &key), ("join_function", "x")])
            .await,
    ] {
        assert_eq!(error(response).await, AppError::Unauthenticated);
    }
    // A member: reads, but no manager action (403).
    ok(bruno.call::<GetProfile>(&[("profile_id", &pid)]).await).await;
    let calls = vec![
        ("update", bruno.call::<UpdateProfile>(&update).await),
        (
            "add share",
            bruno.call::<AddShare>(&[("profile_id", &pid)]).await,
        ),
        (
            "take share",
            bruno.call::<TakeNewShare>(&[("profile_id", &pid)]).await,
        ),
        (
            "revoke",
            bruno
                .call::<RevokeShare>(&[("profile_id", &pid), ("share_id", &share)])
                .await,
        ),
        (
            "remove",
            bruno
                .call::<ChangeMember>(&[
                    ("profile_id", &pid),
                    ("member_id", &anne_member),
                    ("action", "retirer"),
                ])
                .await,
        ),
        (
            "promote",
            bruno
                .call::<ChangeMember>(&[
                    ("profile_id", &pid),
                    ("member_id", &bruno_member),
                    ("action", "nommer"),
                ])
                .await,
        ),
    ];
    for (name, response) in calls {
        assert_eq!(response.status(), 403, "{name}");
        assert_eq!(error(response).await, AppError::Forbidden, "{name}");
    }
    // A share or member of another profile cannot be reached through one's own profile.
    let bruno_own = create_commune(&bruno).await.to_string();
    let e = error(
        bruno
            .call::<RevokeShare>(&[("profile_id", &bruno_own), ("share_id", &share)])
            .await,
    )
    .await;
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    let e = error(
        bruno
            .call::<ChangeMember>(&[
                ("profile_id", &bruno_own),
                ("member_id", &anne_member),
                ("action", "retirer"),
            ])
            .await,
    )
    .await;
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    let detail: ProfileDetail = ok(anne.call::<GetProfile>(&[("profile_id", &pid)]).await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail.name, "Commune de Saint-Exemple", "nothing changed");
}

#[tokio::test]
async fn managers_change_the_composition_and_each_change_is_emailed() {
    let app = spawn_app().await;
    let anne = signed_in(&app, "anne@example.org").await;
    let bruno = signed_in(&app, "bruno@example.org").await;
    let id = create_commune(&anne).await;
    let pid = id.to_string();
    let key = new_key(&anne, id).await;
    ok(bruno
        .call::<JoinProfile>(&[("key", &key), ("join_function", "Secrétaire")])
        .await)
    .await;
    let c = composition(&anne, id).await;
    let anne_member = c
        .members
        .iter()
        .find(|m| m.is_me)
        .expect("anne")
        .id
        .to_string();
    let bruno_member = c
        .members
        .iter()
        .find(|m| !m.is_me)
        .expect("bruno")
        .id
        .to_string();

    // The last manager can neither step down nor leave.
    for action in ["se-retirer", "quitter"] {
        let e = error(
            anne.call::<ChangeMember>(&[
                ("profile_id", &pid),
                ("member_id", &anne_member),
                ("action", action),
            ])
            .await,
        )
        .await;
        assert!(e.field_message("member").is_some(), "{action}: {e:?}");
    }
    ok(anne
        .call::<ChangeMember>(&[
            ("profile_id", &pid),
            ("member_id", &bruno_member),
            ("action", "nommer"),
        ])
        .await)
    .await;
    let mails = mails_to(&app, "bruno@example.org", 2).await;
    assert!(
        mails[1]
            .subject()
            .starts_with("Vous êtes gestionnaire du profil")
    );
    assert_eq!(composition(&bruno, id).await.manager_count, 2);

    // Now Anne may step down; Bruno, manager, removes her.
    ok(anne
        .call::<ChangeMember>(&[
            ("profile_id", &pid),
            ("member_id", &anne_member),
            ("action", "se-retirer"),
        ])
        .await)
    .await;
    ok(bruno
        .call::<ChangeMember>(&[
            ("profile_id", &pid),
            ("member_id", &anne_member),
            ("action", "retirer"),
        ])
        .await)
    .await;
    let mails = mails_to(&app, "anne@example.org", 4).await;
    let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Vous n’êtes plus gestionnaire")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Vous ne faites plus partie")),
        "{subjects:?}"
    );
    let e = error(anne.call::<GetProfile>(&[("profile_id", &pid)]).await).await;
    assert!(matches!(e, AppError::NotFound(_)), "Anne no longer sees it");
    let kinds: Vec<String> = profile_event::Entity::find()
        .filter(profile_event::Column::ProfileId.eq(id))
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "share_added",
            "joined",
            "promoted",
            "stepped_down",
            "removed"
        ]
    );
}
