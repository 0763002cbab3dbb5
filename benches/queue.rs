//! The instructors' queue at scale: how long a page of a démarche's queue takes when the
//! database holds 1,000,000 filed dossiers (goal: p95 ≤ 30 ms a page).
//!
//! It builds a database like a département's after two years: 20 démarches (démarche 1,
//! the biggest, holds 20 % of the dossiers), one service with one instructor, 50,000
//! accounts, 60,000 profiles, 1,000,000 filed dossiers with realistic statuses, kinds of
//! profile, communes and dates, and 20 % of them followed by the instructor. Then, for
//! démarche 1, it times 200 runs of each page (after 20 warm-up runs) through
//! `backoffice::service::queue_rows` and `tab_counts`, and prints p50, p95 and max:
//! the first page of « À traiter », the tab « Traités », a filtered page (commune, kind
//! of profile and six months), a search by number, a search by name, a page 100,000
//! rows deep (keyset cursor), « Suivis par moi » and the tab counts.
//!
//! Run with `cargo bench --features ssr --bench queue` (release build): SQLite, in a
//! temporary folder, with the application's connection settings (WAL). With
//! `GUICHET_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres` it also runs
//! on a new PostgreSQL database, dropped at the end. `GUICHET_BENCH_DOSSIERS=100000`
//! makes a quick run with fewer dossiers. It prints figures; it asserts nothing.

use std::time::{Duration, Instant};

use guichet::account::model::Role;
use guichet::backoffice::model::QueueQuery;
use guichet::backoffice::service::{
    encode_cursor, queue_rows, search_key, search_words, tab_counts,
};
use guichet::dossiers::model::DossierStatus;
use guichet::profiles::model::{MemberRole, ProfileKind};
use guichet::server::db;
use guichet::server::entities::{
    account, demarche_service, demarche_version, dossier, dossier_follower, dossier_word, profile,
    profile_member, service, service_member,
};
use guichet::server::seed::{DEMO_DEMARCHES, insert_demarche, parse_demarche};
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use time::OffsetDateTime;

/// Filed dossiers, unless `GUICHET_BENCH_DOSSIERS` says otherwise.
const DEFAULT_DOSSIERS: usize = 1_000_000;
const DEMARCHES: usize = 20;
/// Citizens: each has an account and a personal profile.
const CITIZENS: usize = 50_000;
/// Profiles of organisations (collectivités, associations, entreprises).
const ORGANISATIONS: usize = 10_000;
const COMMUNES: usize = 300;
/// Rows per INSERT. A dossier has 17 columns: 17,000 values stay under SQLite's limit of
/// 32,766 variables (and PostgreSQL's 65,535).
const BATCH: usize = 1_000;
/// Rows per transaction.
const TXN_ROWS: usize = 50_000;
/// The instructor's account id (ids are given explicitly, see `fix_sequences`).
const INSTRUCTOR_ID: i32 = 1;
/// Share of dossiers the instructor follows.
const FOLLOWED: f64 = 0.20;
const WARMUP_RUNS: usize = 20;
const RUNS: usize = 200;
const GOAL_MS: f64 = 30.0;
/// How far down the « Tous » tab the deep page starts.
const DEEP_OFFSET: usize = 100_000;

/// Statuses of filed dossiers and their share in percent.
const STATUSES: [(DossierStatus, f64); 7] = [
    (DossierStatus::Depose, 10.0),
    (DossierStatus::ComplementsRecus, 2.0),
    (DossierStatus::EnInstruction, 15.0),
    (DossierStatus::ComplementsDemandes, 3.0),
    (DossierStatus::Accepte, 50.0),
    (DossierStatus::Refuse, 15.0),
    (DossierStatus::ClasseSansSuite, 5.0),
];

/// Kinds of the profiles dossiers are filed under, and their share in percent.
const KINDS: [(ProfileKind, f64); 4] = [
    (ProfileKind::Particulier, 80.0),
    (ProfileKind::Association, 10.0),
    (ProfileKind::Entreprise, 7.0),
    (ProfileKind::Collectivite, 3.0),
];

/// The first 30 are women's names (civilité « Mme »).
#[rustfmt::skip]
const FIRST_NAMES: [&str; 60] = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Zoé", "Hélène",
    "Élodie", "Anaïs", "Céline", "Sophie", "Nathalie", "Isabelle", "Valérie", "Sandrine",
    "Aurélie", "Julie", "Marie", "Claire", "Agathe", "Margaux", "Noémie", "Maëlle", "Lucie",
    "Océane", "Pauline", "Sarah", "Lucas", "Hugo", "Louis", "Gabriel", "Jules", "Arthur",
    "Raphaël", "Théo", "Nathan", "Mathis", "Thomas", "Nicolas", "Julien", "Sébastien",
    "Jérôme", "Stéphane", "Frédéric", "Loïc", "Benoît", "François", "Karim", "Mehdi", "Yanis",
    "Bruno", "Pascal", "Olivier", "Éric", "Rémi", "Gaël", "Anthony",
];

#[rustfmt::skip]
const LAST_NAMES: [&str; 100] = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
];

const ASSOCIATIONS: [&str; 12] = [
    "Association sportive",
    "Club de football",
    "Tennis club",
    "Amicale des pêcheurs",
    "Comité des fêtes",
    "Foyer rural",
    "Association des parents d’élèves",
    "Harmonie municipale",
    "Club des aînés",
    "Judo club",
    "Association culturelle",
    "Les Amis du patrimoine",
];

const COMPANY_FORMS: [&str; 4] = ["SARL", "SAS", "EURL", "SASU"];
const TRADES: [&str; 8] = [
    "Bâtiment",
    "Transports",
    "Paysages",
    "Menuiserie",
    "Conseil",
    "Boulangerie",
    "Plomberie",
    "Électricité",
];

// ------------------------------------------------------------------ random numbers

/// SplitMix64: deterministic, so every run builds the same database.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// In `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index drawn with the weights whose running sums are `cumulative`.
    fn pick(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let x = self.unit() * total;
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len().saturating_sub(1))
    }
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .into_iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

// ------------------------------------------------------------------ the data set

struct ProfileInfo {
    kind: ProfileKind,
    name: String,
    siret: Option<String>,
    /// Index in `World::communes`.
    commune: usize,
    /// The account that files its dossiers.
    member: i32,
}

/// What the timed queries look for, found while generating.
struct Fixture {
    demarche_id: i32,
    /// Dossiers of démarche 1.
    demarche_dossiers: usize,
    /// Dossiers of démarche 1 in stages 1, 2 and 3, and those followed.
    stages: [usize; 4],
    followed: usize,
    number: String,
    name: String,
}

fn dossier_count() -> usize {
    std::env::var("GUICHET_BENCH_DOSSIERS")
        .ok()
        .and_then(|v| v.replace('_', "").trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_DOSSIERS)
}

fn at(year: i32, month: time::Month, day: u8) -> OffsetDateTime {
    time::Date::from_calendar_date(year, month, day)
        .expect("a valid date")
        .midnight()
        .assume_utc()
}

fn secs(s: usize) -> time::Duration {
    time::Duration::seconds(s as i64)
}

const DAY: usize = 86_400;

/// Inserts `rows` in multi-row INSERTs of `BATCH` rows.
async fn insert_batches<A, C>(conn: &C, rows: Vec<A>)
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
        if chunk.is_empty() {
            break;
        }
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(conn)
            .await
            .expect("insert a batch");
    }
}

fn rate(rows: usize, elapsed: Duration) -> String {
    format!(
        "{rows} rows in {:.1} s ({:.0} rows/s)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64().max(1e-9)
    )
}

/// Fills a migrated, empty database. Ids are explicit, so that profiles and dossiers
/// can point at each other without reading anything back.
async fn generate(conn: &DatabaseConnection, count: usize) -> Fixture {
    let started = Instant::now();
    let mut rng = Rng(0x5EED_2026);
    // Two years of dossiers: 1 June 2024 to 1 June 2026 (UTC).
    let start = at(2024, time::Month::June, 1);
    let span = 730 * DAY;

    // ------------------------------------------------------------ démarches, service
    let step = Instant::now();
    let mut demarches: Vec<(i32, i32)> = Vec::with_capacity(DEMARCHES);
    for k in 0..DEMARCHES {
        let (_, source) = DEMO_DEMARCHES[k % DEMO_DEMARCHES.len()];
        let mut file = parse_demarche(source).expect("a demo démarche");
        file.slug = format!("{}-{}", file.slug, k + 1);
        file.title = format!("{} ({})", file.title, k + 1);
        file.featured_order = None;
        let id = insert_demarche(conn, &file)
            .await
            .expect("insert a démarche");
        let version = demarche_version::Entity::find()
            .filter(demarche_version::Column::DemarcheId.eq(id))
            .one(conn)
            .await
            .expect("read the version")
            .expect("the démarche's first version")
            .id;
        demarches.push((id, version));
    }
    let service_id = service::Entity::insert(service::ActiveModel {
        id: NotSet,
        name: Set("Service des aides aux familles et aux territoires".into()),
        created_at: Set(start),
    })
    .exec(conn)
    .await
    .expect("insert the service")
    .last_insert_id;

    // ------------------------------------------------------------ communes, accounts
    let communes: Vec<String> = (1..=COMMUNES).map(|n| format!("Commune {n}")).collect();
    let commune_keys: Vec<String> = communes.iter().map(|c| search_key(c.as_str())).collect();
    // Big towns first: « Commune 1 » has the most people.
    let commune_weights = cumulative((0..COMMUNES).map(|i| 1.0 / ((i + 1) as f64).powf(0.8)));

    // `names[id]`: the full name of account `id` (index 0 unused); same for communes.
    let mut names: Vec<String> = Vec::with_capacity(CITIZENS + 2);
    names.push(String::new());
    let mut account_communes: Vec<usize> = Vec::with_capacity(CITIZENS + 2);
    account_communes.push(0);
    let mut accounts = Vec::with_capacity(CITIZENS + 1);
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJr$bm90LWEtcmVhbC1oYXNoLWF0LWFsbA";
    for id in 1..=(CITIZENS + 1) {
        let instructor = id as i32 == INSTRUCTOR_ID;
        let (first_index, last, commune) = if instructor {
            (5, "Garnier", 0)
        } else {
            (
                rng.below(FIRST_NAMES.len()),
                LAST_NAMES[rng.below(LAST_NAMES.len())],
                rng.pick(&commune_weights),
            )
        };
        let first = FIRST_NAMES[first_index];
        names.push(format!("{first} {last}"));
        account_communes.push(commune);
        let created = start - secs(rng.below(365 * DAY));
        accounts.push(account::ActiveModel {
            id: Set(id as i32),
            email: Set(if instructor {
                "instructrice@banc.example".into()
            } else {
                format!("usager{id}@banc.example")
            }),
            password_hash: Set(hash.into()),
            civilite: Set(if first_index < 30 { "Mme" } else { "M." }.into()),
            first_name: Set(first.into()),
            last_name: Set(last.into()),
            role: Set(if instructor {
                Role::Instructor
            } else {
                Role::Citizen
            }
            .as_str()
            .into()),
            email_verified_at: Set(Some(created)),
            active: Set(true),
            commune: Set(Some(communes[commune].clone())),
            terms_accepted_at: Set(Some(created)),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        });
    }
    let account_rows = accounts.len();
    let txn = conn.begin().await.expect("begin");
    insert_batches(&txn, accounts).await;
    service_member::Entity::insert(service_member::ActiveModel {
        service_id: Set(service_id),
        account_id: Set(INSTRUCTOR_ID),
    })
    .exec_without_returning(&txn)
    .await
    .expect("insert the service member");
    insert_batches(
        &txn,
        demarches
            .iter()
            .map(|(demarche_id, _)| demarche_service::ActiveModel {
                demarche_id: Set(*demarche_id),
                service_id: Set(service_id),
            })
            .collect(),
    )
    .await;
    txn.commit().await.expect("commit");
    println!(
        "  démarches, service, accounts : {}",
        rate(account_rows + 3 * DEMARCHES + 2, step.elapsed())
    );

    // ------------------------------------------------------------ profiles
    let step = Instant::now();
    // `profiles[id - 1]`: personal profiles 1..=CITIZENS (account id = profile id + 1),
    // then the organisations'.
    let mut profiles: Vec<ProfileInfo> = Vec::with_capacity(CITIZENS + ORGANISATIONS);
    for k in 0..CITIZENS {
        let account_id = k + 2;
        profiles.push(ProfileInfo {
            kind: ProfileKind::Particulier,
            name: names[account_id].clone(),
            siret: None,
            commune: account_communes[account_id],
            member: account_id as i32,
        });
    }
    for j in 0..ORGANISATIONS {
        let member = (2 + rng.below(CITIZENS)) as i32;
        let info = if let Some(town) = communes.get(j) {
            // One town hall per commune.
            ProfileInfo {
                kind: ProfileKind::Collectivite,
                name: format!("Mairie de {town}"),
                siret: Some(format!("{:014}", 21_260_000_000_000u64 + j as u64 * 7)),
                commune: j,
                member,
            }
        } else if j < COMMUNES + ORGANISATIONS * 54 / 100 {
            let commune = rng.pick(&commune_weights);
            ProfileInfo {
                kind: ProfileKind::Association,
                name: format!(
                    "{} de {}",
                    ASSOCIATIONS[rng.below(ASSOCIATIONS.len())],
                    communes[commune]
                ),
                siret: Some(format!("{:014}", 44_000_000_000_000u64 + j as u64 * 13)),
                commune,
                member,
            }
        } else {
            ProfileInfo {
                kind: ProfileKind::Entreprise,
                name: format!(
                    "{} {} {}",
                    COMPANY_FORMS[rng.below(COMPANY_FORMS.len())],
                    LAST_NAMES[rng.below(LAST_NAMES.len())],
                    TRADES[rng.below(TRADES.len())]
                ),
                siret: Some(format!("{:014}", 80_000_000_000_000u64 + j as u64 * 17)),
                commune: rng.pick(&commune_weights),
                member,
            }
        };
        profiles.push(info);
    }
    let mut profile_rows = Vec::with_capacity(profiles.len());
    let mut member_rows = Vec::with_capacity(profiles.len());
    for (index, p) in profiles.iter().enumerate() {
        let id = index as i32 + 1;
        let created = start - secs(rng.below(365 * DAY));
        profile_rows.push(profile::ActiveModel {
            id: Set(id),
            kind: Set(p.kind.as_str().into()),
            name: Set(p.name.clone()),
            siret: Set(p.siret.clone()),
            address_line: Set(Some(format!("{} rue de la République", 1 + index % 120))),
            postal_code: Set(Some(format!("{:05}", 26_000 + p.commune))),
            commune: Set(Some(communes[p.commune].clone())),
            personal_account_id: Set((p.kind == ProfileKind::Particulier).then_some(p.member)),
            created_at: Set(created),
            updated_at: Set(created),
        });
        member_rows.push(profile_member::ActiveModel {
            id: NotSet,
            profile_id: Set(id),
            account_id: Set(p.member),
            role: Set(MemberRole::Manager.as_str().into()),
            function: Set(match p.kind {
                ProfileKind::Particulier => "Particulier",
                ProfileKind::Collectivite => "Secrétaire de mairie",
                ProfileKind::Association => "Président",
                ProfileKind::Entreprise => "Gérant",
            }
            .into()),
            joined_at: Set(created),
            receipts: Set(false),
        });
    }
    let rows = profile_rows.len() + member_rows.len();
    let txn = conn.begin().await.expect("begin");
    insert_batches(&txn, profile_rows).await;
    insert_batches(&txn, member_rows).await;
    txn.commit().await.expect("commit");
    println!(
        "  profiles and members         : {}",
        rate(rows, step.elapsed())
    );

    // ------------------------------------------------------------ dossiers
    let step = Instant::now();
    // Profile ids of each kind, in the order of `KINDS`.
    let pools: Vec<Vec<i32>> = KINDS
        .iter()
        .map(|(kind, _)| {
            profiles
                .iter()
                .enumerate()
                .filter(|(_, p)| p.kind == *kind)
                .map(|(i, _)| i as i32 + 1)
                .collect()
        })
        .collect();
    let kind_weights = cumulative(KINDS.iter().map(|(_, w)| *w));
    let status_weights = cumulative(STATUSES.iter().map(|(_, w)| *w));
    // Démarche 1: 20 %; the 80 % left decrease from démarche 2 (8 %) to 20 (0.4 %).
    let demarche_weights = cumulative((0..DEMARCHES).map(|d| {
        if d == 0 {
            20.0
        } else {
            80.0 * (DEMARCHES - d) as f64 / ((DEMARCHES - 1) * DEMARCHES / 2) as f64
        }
    }));

    let mut fixture = Fixture {
        demarche_id: demarches[0].0,
        demarche_dossiers: 0,
        stages: [0; 4],
        followed: 0,
        number: String::new(),
        name: String::new(),
    };
    let mut year = 0;
    let mut year_counter = 0;
    let mut followers_total = 0;
    let slot = (span / count).max(1);
    let mut next = 0;
    let mut reported = 0;
    while next < count {
        let txn_end = (next + TXN_ROWS).min(count);
        let txn = conn.begin().await.expect("begin");
        while next < txn_end {
            let batch_end = (next + BATCH).min(txn_end);
            let mut rows = Vec::with_capacity(batch_end - next);
            let mut follows = Vec::new();
            let mut words = Vec::new();
            for i in next..batch_end {
                let id = i as i32 + 1;
                let d = rng.pick(&demarche_weights);
                let pool = &pools[rng.pick(&kind_weights)];
                let profile_id = pool[rng.below(pool.len())];
                let p = &profiles[profile_id as usize - 1];
                let status = STATUSES[rng.pick(&status_weights)].0;
                // Ids follow time, as in real life; numbers count per year.
                let submitted = start + secs(i * span / count + rng.below(slot));
                if submitted.year() != year {
                    year = submitted.year();
                    year_counter = 0;
                }
                year_counter += 1;
                let number = format!("{year}-{year_counter:06}");
                let created = submitted - secs(3_600 + rng.below(10 * DAY));
                let (updated, decided) = if status.stage() == 3 {
                    let decided = submitted + secs(3 * DAY + rng.below(120 * DAY));
                    (decided, Some(decided))
                } else if status == DossierStatus::Depose {
                    (submitted, None)
                } else {
                    (submitted + secs(DAY + rng.below(30 * DAY)), None)
                };
                let filer = &names[p.member as usize];
                let mut text = format!("{number} {} {filer}", p.name);
                if let Some(siret) = &p.siret {
                    text.push(' ');
                    text.push_str(siret);
                }
                let followed = rng.unit() < FOLLOWED;
                if d == 0 {
                    fixture.demarche_dossiers += 1;
                    fixture.stages[status.stage() as usize] += 1;
                    if followed {
                        fixture.followed += 1;
                    }
                    // Targets of the searches: a dossier half-way, a person a third of
                    // the way.
                    if fixture.number.is_empty() && i >= count / 2 {
                        fixture.number = number.clone();
                    }
                    if fixture.name.is_empty()
                        && i >= count / 3
                        && p.kind == ProfileKind::Particulier
                    {
                        fixture.name = p.name.clone();
                    }
                }
                if followed {
                    follows.push(dossier_follower::ActiveModel {
                        account_id: Set(INSTRUCTOR_ID),
                        dossier_id: Set(id),
                        created_at: Set(submitted + secs(rng.below(5 * DAY))),
                        demarche_id: Set(Some(demarches[d].0)),
                        submitted_at: Set(Some(submitted)),
                    });
                }
                rows.push(dossier::ActiveModel {
                    id: Set(id),
                    demarche_id: Set(demarches[d].0),
                    version_id: Set(demarches[d].1),
                    profile_id: Set(profile_id),
                    created_by: Set(Some(p.member)),
                    status: Set(status.as_str().into()),
                    number: Set(Some(number)),
                    answers: Set(format!(
                        r#"{{"motif":"Demande au titre de la démarche {}","montant":"{}","commentaire":"Dossier du banc d’essai de la file d’instruction."}}"#,
                        d + 1,
                        100 + rng.below(5_000)
                    )),
                    lock_version: Set(0),
                    created_at: Set(created),
                    updated_at: Set(updated),
                    submitted_at: Set(Some(submitted)),
                    decided_at: Set(decided),
                    stage: Set(status.stage()),
                    profile_kind: Set(Some(p.kind.as_str().into())),
                    commune_key: Set(Some(commune_keys[p.commune].clone())),
                    search_text: Set(Some(search_key(&text))),
                });
                for word in search_words(&search_key(&text)) {
                    words.push(dossier_word::ActiveModel {
                        demarche_id: Set(demarches[d].0),
                        word: Set(word),
                        dossier_id: Set(id),
                    });
                }
            }
            followers_total += follows.len();
            dossier::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .expect("insert dossiers");
            // Three columns: a few thousand rows per statement.
            for chunk in std::mem::take(&mut words).chunks(5_000) {
                dossier_word::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&txn)
                    .await
                    .expect("insert search words");
            }
            if !follows.is_empty() {
                dossier_follower::Entity::insert_many(follows)
                    .exec_without_returning(&txn)
                    .await
                    .expect("insert followers");
            }
            next = batch_end;
        }
        txn.commit().await.expect("commit");
        if next - reported >= 200_000 || next == count {
            reported = next;
            println!(
                "  dossiers                     : {next} / {count} ({:.0} rows/s)",
                next as f64 / step.elapsed().as_secs_f64().max(1e-9)
            );
        }
    }
    println!(
        "  dossiers and followers       : {}",
        rate(count + followers_total, step.elapsed())
    );

    // ------------------------------------------------------------ statistics
    let step = Instant::now();
    fix_sequences(conn).await;
    guichet::backoffice::service::recount(conn)
        .await
        .expect("count the dossiers");
    conn.execute_unprepared("ANALYZE").await.expect("ANALYZE");
    println!(
        "  ANALYZE                      : {:.1} s",
        step.elapsed().as_secs_f64()
    );
    println!(
        "  generation                   : {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    fixture
}

/// PostgreSQL: explicit ids leave the sequences behind; move them past the rows.
async fn fix_sequences(conn: &DatabaseConnection) {
    if conn.get_database_backend() != DbBackend::Postgres {
        return;
    }
    for table in ["account", "profile", "dossier"] {
        conn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        ))
        .await
        .expect("move a sequence");
    }
}

// ------------------------------------------------------------------ timing

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Timing {
    p50: Duration,
    p95: Duration,
    max: Duration,
}

/// `WARMUP_RUNS` untimed runs, then `RUNS` timed ones; the result of the last run.
async fn time_runs<T>(run: impl AsyncFn() -> T) -> (Timing, T) {
    for _ in 0..WARMUP_RUNS {
        std::hint::black_box(run().await);
    }
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = run().await;
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    let timing = Timing {
        p50: percentile(&times, 50.0),
        p95: percentile(&times, 95.0),
        max: times.last().copied().unwrap_or_default(),
    };
    (timing, last.expect("at least one run"))
}

fn line(backend: &str, label: &str, t: &Timing, detail: &str) -> String {
    let over = if ms(t.p95) > GOAL_MS {
        "  OVER THE GOAL"
    } else {
        ""
    };
    format!(
        "{backend:<9}{label:<19}p50 {:>6.1} ms  p95 {:>6.1} ms  max {:>6.1} ms  ({detail}){over}",
        ms(t.p50),
        ms(t.p95),
        ms(t.max),
    )
}

/// Times every page for démarche 1 and returns the table's lines.
async fn measure(backend: &str, conn: &DatabaseConnection, fixture: &Fixture) -> Vec<String> {
    // The row the deep page starts after (untimed).
    let offset = DEEP_OFFSET.min(fixture.demarche_dossiers / 2);
    let deep = dossier::Entity::find()
        .filter(dossier::Column::DemarcheId.eq(fixture.demarche_id))
        .order_by_desc(dossier::Column::SubmittedAt)
        .order_by_desc(dossier::Column::Id)
        .offset(offset as u64)
        .one(conn)
        .await
        .expect("read the deep row")
        .expect("a row at that depth");
    let cursor = encode_cursor(deep.submitted_at.expect("a filed dossier"), deep.id);

    let tab = |slug: &str| QueueQuery {
        onglet: Some(slug.into()),
        ..Default::default()
    };
    let cases: [(String, QueueQuery); 7] = [
        ("queue first page".into(), tab("a-traiter")),
        ("queue tab Traités".into(), tab("traites")),
        (
            "filtered page".into(),
            QueueQuery {
                commune: Some("Commune 17".into()),
                type_profil: Some(ProfileKind::Association.as_str().into()),
                du: Some("2025-03-01".into()),
                au: Some("2025-08-31".into()),
                ..tab("tous")
            },
        ),
        // Searches run on « Tous », so that the dossier is found whatever its status.
        (
            "search by number".into(),
            QueueQuery {
                q: Some(fixture.number.clone()),
                ..tab("tous")
            },
        ),
        (
            "search by name".into(),
            QueueQuery {
                q: Some(fixture.name.clone()),
                ..tab("tous")
            },
        ),
        (
            format!("deep page ({offset})"),
            QueueQuery {
                apres: Some(cursor),
                ..tab("tous")
            },
        ),
        ("suivis par moi".into(), tab("suivis")),
    ];

    let mut lines = Vec::new();
    for (label, query) in &cases {
        let (timing, (rows, more)) = time_runs(async || {
            let (rows, next) = queue_rows(conn, fixture.demarche_id, INSTRUCTOR_ID, query, 25)
                .await
                .expect("queue_rows");
            (rows.len(), next.is_some())
        })
        .await;
        let detail = match (rows, more) {
            (0, _) => "0 rows: EMPTY PAGE".to_string(),
            (n, true) => format!("{n} rows, more after"),
            (n, false) => format!("{n} rows, last page"),
        };
        let l = line(backend, label, &timing, &detail);
        println!("{l}");
        lines.push(l);
    }
    let (timing, counts) = time_runs(async || {
        tab_counts(conn, fixture.demarche_id, INSTRUCTOR_ID)
            .await
            .expect("tab_counts")
    })
    .await;
    let l = line(backend, "tab counts", &timing, &format!("{counts:?}"));
    println!("{l}");
    lines.push(l);
    lines
}

// ------------------------------------------------------------------ databases

/// `postgres://u:p@h:5432/postgres?x` → `postgres://u:p@h:5432/<name>?x`
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{name}{query}")
}

async fn admin_execute(admin_url: &str, sql: &str) {
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to GUICHET_TEST_POSTGRES_URL");
    admin
        .execute_raw(Statement::from_string(admin.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    admin.close().await.expect("close the admin connection");
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// A database built, re-opened (fresh connections read the new statistics) and timed.
async fn run(backend: &str, url: &str, count: usize) -> (Vec<String>, Option<u64>) {
    println!("\n{backend}: building {count} filed dossiers");
    let conn = db::connect(url).await.expect("connect");
    db::migrate(&conn).await.expect("migrations");
    let fixture = generate(&conn, count).await;
    conn.close().await.expect("close");
    let conn = db::connect(url).await.expect("reconnect");
    let size = if backend == "postgres" {
        let row = conn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_database_size(current_database())::bigint AS size",
            ))
            .await
            .expect("database size")
            .expect("a row");
        row.try_get::<i64>("", "size").ok().map(|s| s as u64)
    } else {
        None
    };
    println!(
        "{backend}: démarche 1 holds {} dossiers ({} à traiter, {} en cours, {} traités, {} followed); search targets « {} » and « {} »",
        fixture.demarche_dossiers,
        fixture.stages[1],
        fixture.stages[2],
        fixture.stages[3],
        fixture.followed,
        fixture.number,
        fixture.name
    );
    println!(
        "{backend}: {RUNS} runs after {WARMUP_RUNS} warm-up runs, pages of 25; goal p95 ≤ {GOAL_MS:.0} ms"
    );
    let lines = measure(backend, &conn, &fixture).await;
    conn.close().await.expect("close");
    (lines, size)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let count = dossier_count();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("Guichet queue benchmark: {count} filed dossiers, {cores} cores");
    let mut summary = Vec::new();

    // ---------------------------------------------------------------- SQLite
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("queue.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let (lines, _) = run("sqlite", &url, count).await;
    summary.extend(lines);
    let on_disk: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    summary.push(format!("sqlite   database on disk: {}", megabytes(on_disk)));

    // ---------------------------------------------------------------- PostgreSQL
    match std::env::var("GUICHET_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("guichet_bench_queue_{}", std::process::id());
            admin_execute(&admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\"")).await;
            admin_execute(&admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
            let (lines, size) = run("postgres", &with_database(&admin_url, &name), count).await;
            summary.extend(lines);
            if let Some(size) = size {
                summary.push(format!("postgres database size: {}", megabytes(size)));
            }
            admin_execute(
                &admin_url,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            )
            .await;
        }
        _ => summary.push("postgres skipped (set GUICHET_TEST_POSTGRES_URL to run it)".to_string()),
    }

    println!("\nSummary ({count} filed dossiers, démarche 1, goal p95 ≤ {GOAL_MS:.0} ms)");
    for l in summary {
        println!("{l}");
    }
}
