//! The benchmark data generator (`guichet generate`, `server::volume`): what it writes
//! is what the portal itself would have written (histories that follow the status
//! machine, answers that pass the checks of submission with their attachments, queue
//! columns, search words, counters), it refuses a database that holds data, and the
//! bench accounts sign in and see their pages the way the benchmark script uses them.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use guichet::account::api::VerifySecondFactor;
use guichet::backoffice::service::search_words;
use guichet::dossiers::api::MyDossiers;
use guichet::dossiers::model::{DossierList, DossierRow, DossierStatus, Transition};
use guichet::forms::{Answers, FileCounts, FormDefinition, validate_all};
use guichet::server::db;
use guichet::server::entities::{
    demarche_version, dossier, dossier_count, dossier_event, dossier_file, dossier_follower,
    dossier_word,
};
use guichet::server::totp::current_code;
use guichet::server::volume::{self, Options, VolumeError};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, Statement};

use crate::accounts::{Browser, location, ok};
use crate::helpers::app::test_settings;
use crate::helpers::{SmtpSink, TestApp, TestDatabase};

const TRANSITIONS: [Transition; 8] = [
    Transition::Transmettre,
    Transition::PasserEnInstruction,
    Transition::DemanderComplements,
    Transition::TransmettreComplements,
    Transition::Accepter,
    Transition::Refuser,
    Transition::ClasserSansSuite,
    Transition::RepasserEnInstruction,
];

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

#[tokio::test]
async fn generated_volumes_are_what_the_portal_writes_and_the_bench_accounts_sign_in() {
    let database = TestDatabase::new().await;
    let conn = db::connect(&database.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrations");
    let mut options = Options::new(40, 400);
    options.demarches = 6;
    options.organisations = 12;
    options.communes = 8;
    let summary = volume::generate(&conn, &options).await.expect("generate");
    assert_eq!(summary.accounts, 40);
    assert_eq!(summary.dossiers, 400);

    // A second run refuses: the database holds data now.
    let again = volume::generate(&conn, &options).await;
    assert!(matches!(again, Err(VolumeError::NotEmpty(_))), "{again:?}");

    let dossiers = dossier::Entity::find()
        .order_by_asc(dossier::Column::Id)
        .all(&conn)
        .await
        .expect("dossiers");
    assert_eq!(dossiers.len(), 400);
    let filed: Vec<&dossier::Model> = dossiers.iter().filter(|d| d.stage > 0).collect();
    assert_eq!(filed.len(), summary.filed);
    let drafts = dossiers.len() - filed.len();
    assert!((4..60).contains(&drafts), "{drafts} drafts");

    // The per-status counters, as `count_change` keeps them.
    let mut expected: BTreeMap<(i32, String), i64> = BTreeMap::new();
    for d in &filed {
        *expected
            .entry((d.demarche_id, d.status.clone()))
            .or_default() += 1;
    }
    let counted: BTreeMap<(i32, String), i64> = dossier_count::Entity::find()
        .all(&conn)
        .await
        .expect("counts")
        .into_iter()
        .filter(|c| c.n > 0)
        .map(|c| ((c.demarche_id, c.status), c.n))
        .collect();
    assert_eq!(counted, expected);

    // Histories: from the draft's creation, every step a transition of the status
    // machine, in time order, ending at the dossier's status.
    let mut histories: HashMap<i32, Vec<dossier_event::Model>> = HashMap::new();
    for e in dossier_event::Entity::find()
        .order_by_asc(dossier_event::Column::Id)
        .all(&conn)
        .await
        .expect("events")
    {
        histories.entry(e.dossier_id).or_default().push(e);
    }
    for d in &dossiers {
        let history = histories.get(&d.id).expect("a history");
        assert_eq!(history[0].from_status, None, "dossier {}", d.id);
        assert_eq!(history[0].to_status, "brouillon");
        for pair in history.windows(2) {
            let from = pair[1].from_status.as_deref().unwrap_or_default();
            assert_eq!(from, pair[0].to_status, "dossier {}", d.id);
            let from = DossierStatus::parse(from).expect("a status");
            let to = DossierStatus::parse(&pair[1].to_status).expect("a status");
            assert!(
                TRANSITIONS.iter().any(|t| from.apply(*t) == Some(to)),
                "dossier {}: {from:?} → {to:?}",
                d.id
            );
            assert!(pair[1].created_at >= pair[0].created_at, "dossier {}", d.id);
        }
        let last = history.last().map(|e| e.to_status.as_str());
        assert_eq!(last, Some(d.status.as_str()), "dossier {}", d.id);
    }

    // Queue columns and search words of filed dossiers; nothing of the kind on drafts.
    let mut words: HashMap<i32, usize> = HashMap::new();
    for w in dossier_word::Entity::find()
        .all(&conn)
        .await
        .expect("words")
    {
        *words.entry(w.dossier_id).or_default() += 1;
    }
    let mut last_numbers: BTreeMap<i32, i32> = BTreeMap::new();
    for d in &dossiers {
        let status = DossierStatus::parse(&d.status).expect("a status");
        assert_eq!(d.stage, status.stage(), "dossier {}", d.id);
        if status == DossierStatus::Brouillon {
            assert!(d.number.is_none() && d.submitted_at.is_none() && d.search_text.is_none());
            assert!(!words.contains_key(&d.id));
            continue;
        }
        let number = d.number.as_deref().expect("a number");
        let (year, n) = number.split_once('-').expect("YYYY-NNNNNN");
        let (year, n): (i32, i32) = (year.parse().expect("year"), n.parse().expect("n"));
        let last = last_numbers.entry(year).or_default();
        *last = (*last).max(n);
        let text = d.search_text.as_deref().expect("a search text");
        assert!(text.starts_with(number), "{text}");
        assert_eq!(words.get(&d.id).copied(), Some(search_words(text).len()));
        assert!(d.profile_kind.is_some() && d.commune_key.is_some());
        assert_eq!(
            d.decided_at.is_some(),
            status.stage() == 3,
            "dossier {}",
            d.id
        );
    }
    // The next number of each year follows the generated ones.
    let backend = conn.get_database_backend();
    let mut counters: BTreeMap<i32, i32> = BTreeMap::new();
    for row in conn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT \"year\" AS y, \"last\" AS l FROM \"dossier_counter\"",
        ))
        .await
        .expect("counters")
    {
        counters.insert(
            row.try_get::<i32>("", "y").expect("year"),
            row.try_get::<i32>("", "l").expect("last"),
        );
    }
    assert_eq!(counters, last_numbers);

    // Answers pass the checks of submission with their attachments (metadata only).
    let forms: HashMap<i32, FormDefinition> = demarche_version::Entity::find()
        .all(&conn)
        .await
        .expect("versions")
        .into_iter()
        .map(|v| (v.id, serde_json::from_str(&v.definition).expect("a form")))
        .collect();
    let mut files: HashMap<i32, FileCounts> = HashMap::new();
    for f in dossier_file::Entity::find()
        .all(&conn)
        .await
        .expect("files")
    {
        assert!(
            f.storage_key.starts_with(volume::STORAGE_PREFIX),
            "{}",
            f.storage_key
        );
        assert_eq!(f.sha256.len(), 64);
        assert!(["pdf", "jpeg", "png", "webp"].contains(&f.kind.as_str()));
        *files
            .entry(f.dossier_id)
            .or_default()
            .entry(f.field_path)
            .or_default() += 1;
    }
    assert!(!files.is_empty());
    let today = db::today();
    for d in &filed {
        let answers: Answers = serde_json::from_str(&d.answers).expect("answers");
        let counts = files.get(&d.id).cloned().unwrap_or_default();
        let problems = validate_all(&forms[&d.version_id], &answers, &counts, &today);
        assert!(problems.is_none(), "dossier {}: {problems:?}", d.id);
    }
    let followed = dossier_follower::Entity::find()
        .count(&conn)
        .await
        .expect("follows");
    assert_eq!(followed as usize, summary.followers);
    assert!(followed > 0);

    // The bench accounts, through the HTTP surface.
    let smtp = SmtpSink::start().await;
    let app = TestApp::start_with(test_settings(&database, &smtp.url(), false)).await;
    for path in [
        "/".to_owned(),
        "/demarches".to_owned(),
        format!("/demarches/{}", summary.biggest.slug),
    ] {
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }

    let citizen = Browser::new(&app);
    let response = ok(citizen
        .sign_in(volume::BENCH_CITIZEN_EMAIL, volume::BENCH_PASSWORD)
        .await)
    .await;
    assert_eq!(location(&response), "/mon-compte");
    // « Mes dossiers », ten per page, newest first: every page read through the server
    // function gives back each of the citizen's filed dossiers once, in order.
    let mut expected: Vec<_> = filed
        .iter()
        .filter(|d| d.created_by == Some(summary.citizen_id))
        .collect();
    expected.sort_by_key(|d| std::cmp::Reverse((d.submitted_at, d.id)));
    // Thirty dossiers, one status after the other: four drafts.
    assert_eq!(expected.len(), 26);
    let mut mine: Vec<DossierRow> = Vec::new();
    for n in 1..=3 {
        let list: DossierList = ok(citizen
            .call::<MyDossiers>(&[("page", &n.to_string())])
            .await)
        .await
        .json()
        .await
        .expect("json");
        assert_eq!((list.page, list.pages, list.total), (n, 3, 26));
        assert_eq!(list.rows.len(), if n < 3 { 10 } else { 6 }, "page {n}");
        mine.extend(list.rows);
    }
    assert_eq!(
        mine.iter().map(|d| d.id).collect::<Vec<_>>(),
        expected.iter().map(|d| d.id).collect::<Vec<_>>()
    );
    // A page past the last shows the last; a page that is not a number, the first.
    for (asked, shown) in [("9", 3), ("0", 1)] {
        let list: DossierList = ok(citizen.call::<MyDossiers>(&[("page", asked)]).await)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(list.page, shown, "page={asked}");
    }
    // The pages themselves, as a browser without JavaScript gets them.
    let page = citizen.get("/mon-compte/dossiers").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(&mine[0].number), "{}", mine[0].number);
    assert!(!html.contains(&mine[10].number), "{}", mine[10].number);
    assert!(html.contains("Dossiers 1 à 10 sur 26"));
    assert!(html.contains(r#"aria-label="Pages de mes dossiers""#));
    assert!(html.contains(r#"<a href="/mon-compte/dossiers?page=2" rel="next">"#));
    assert!(html.contains(r#"<a href="/mon-compte/dossiers" aria-current="page">"#));
    assert!(!html.contains(r#"rel="prev""#));
    for (query, first, last, title) in [
        ("?page=3", 20, 25, "Mes dossiers, page 3 sur 3"),
        ("?page=12", 20, 25, "Mes dossiers, page 3 sur 3"),
        ("?page=deux", 0, 9, "Mes dossiers –"),
    ] {
        let page = citizen.get(&format!("/mon-compte/dossiers{query}")).await;
        assert_eq!(page.status(), 200, "{query}");
        let html = page.text().await.expect("html");
        for (i, d) in mine.iter().enumerate() {
            assert_eq!(
                html.contains(&d.number),
                (first..=last).contains(&i),
                "{query}: dossier {i}"
            );
        }
        assert!(html.contains(&format!("<title>{title}")), "{query}");
    }

    let instructor = Browser::new(&app);
    let response = ok(instructor
        .sign_in(volume::BENCH_INSTRUCTOR_EMAIL, volume::BENCH_PASSWORD)
        .await)
    .await;
    assert_eq!(location(&response), "/connexion/code");
    let code = current_code(volume::BENCH_INSTRUCTOR_TOTP, unix_now());
    let response = ok(instructor
        .call::<VerifySecondFactor>(&[("code", code.as_str())])
        .await)
    .await;
    assert_eq!(location(&response), "/instruction");
    let page = instructor
        .get(&format!("/instruction/demarches/{}", summary.biggest.id))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    // The newest dossier « À traiter » of the biggest démarche heads its queue.
    let newest = filed
        .iter()
        .filter(|d| d.demarche_id == summary.biggest.id && d.stage == 1)
        .max_by_key(|d| (d.submitted_at, d.id))
        .expect("a dossier to handle");
    let number = newest.number.as_deref().unwrap_or_default();
    assert!(html.contains(number), "{number}");
    app.stop().await;
}
