//! Realistic volumes for the benchmarks: `guichet generate` and `benches/queue.rs` fill an
//! empty database (SQLite or PostgreSQL) with what a département's portal holds after two
//! years, written the way the application itself writes it.
//!
//! - Accounts (one Argon2id hash of [`BENCH_PASSWORD`], computed once and shared by
//!   every account), each with its personal profile; collectivités (one town hall per
//!   commune), associations and entreprises, each with a manager and a few members.
//! - Démarches: the demo démarches of `src/demarches/data/`, repeated with a numbered
//!   title and slug (« … (2) », `…-2`) until there are enough; one service that handles
//!   them all, with one instructor ([`BENCH_INSTRUCTOR_EMAIL`], fixed TOTP secret
//!   [`BENCH_INSTRUCTOR_TOTP`], so that a script can compute the codes).
//! - Dossiers over the last two years: drafts and every filed status, with answers made
//!   from the démarche's form (the same checks pass as at submission), their number of
//!   the year, the queue columns (`stage`, `profile_kind`, `commune_key`,
//!   `search_text`), the search words, the status history (one `dossier_event` per
//!   transition, from the draft's creation on), attachments metadata and the
//!   instructor's follows; then the per-status counters (`recount`) and the yearly
//!   number counters, as if every dossier had gone through the portal.
//! - One citizen ([`BENCH_CITIZEN_EMAIL`]) with about thirty dossiers in every status,
//!   so that « Mes dossiers » and « Mes brouillons » have content.
//!
//! Attachments are metadata only: `dossier_file` rows (name, size, kind, SHA-256) whose
//! storage keys start with [`STORAGE_PREFIX`]; no byte is written to the storage, so
//! downloading one of them answers « not found ».
//!
//! Ids of accounts, profiles and dossiers are given explicitly so that rows can point at
//! each other without reading anything back; rows go in multi-row `INSERT` statements
//! (bound values, `?` or `$n` placeholders) in transactions of a few thousand dossiers.
//! The random numbers are deterministic: the same options build the same database.
//! The generator refuses a database that already holds accounts, démarches or dossiers.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait, Statement,
    TransactionTrait, Value,
};
use time::OffsetDateTime;

use super::db::now;
use super::entities::{account, demarche, dossier};
use super::password;
use super::seed::{DEMO_DEMARCHES, insert_demarche, parse_demarche};
use crate::account::model::Role;
use crate::backoffice::service::{recount, search_key, search_words};
use crate::demarches::model::{Audience, fold};
use crate::dossiers::model::DossierStatus;
use crate::error::AppError;
use crate::forms::validate::{LONG_TEXT_MAX, SHORT_TEXT_MAX};
use crate::forms::{
    Answers, Field, FieldKind, FormDefinition, Value as Answer, prune_hidden,
    visible_attachment_paths,
};
use crate::profiles::model::{MemberRole, ProfileKind};

/// The password of every generated account.
pub const BENCH_PASSWORD: &str = "Banc-Essai-Guichet-2026";
/// The instructor who instructs every generated démarche.
pub const BENCH_INSTRUCTOR_EMAIL: &str = "instructeur.bench@vallee-verte.example";
/// The instructor's TOTP secret (Base32, 160 bits): fixed, so that a script computes
/// the codes (SHA-1, 6 digits, 30-second steps). Generated data only.
pub const BENCH_INSTRUCTOR_TOTP: &str = "GUICHETBENCHINSTRUCTEURFIXEDTOTP";
/// The citizen with about thirty dossiers.
pub const BENCH_CITIZEN_EMAIL: &str = "citoyen.bench@example.org";
/// Every generated attachment's storage key starts with this (no bytes are written).
pub const STORAGE_PREFIX: &str = "bench/";

/// The bench instructor's account id (and personal profile id).
const INSTRUCTOR_ID: i32 = 1;
/// The bench citizen's account id (and personal profile id).
const CITIZEN_ID: i32 = 2;
/// Dossiers of the bench citizen (drafts included).
const CITIZEN_DOSSIERS: usize = 30;
/// The span of the generated dossiers, before `Options::until`.
const SPAN_DAYS: usize = 730;
const DAY: usize = 86_400;
const HOUR: usize = 3_600;
/// Rows of accounts, profiles or members per transaction.
const TXN_ROWS: usize = 5_000;
/// Dossiers per transaction (with their events, files, words and follows).
const TXN_DOSSIERS: usize = 2_000;
/// Bound values per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_VALUES: usize = 30_000;
/// Rows per statement.
const MAX_ROWS: usize = 1_000;
/// Progress is printed every this many rows.
const PROGRESS_ROWS: usize = 100_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Accounts in all, the bench instructor and citizen included (at least 2).
    pub accounts: usize,
    /// Dossiers in all, drafts included.
    pub dossiers: usize,
    pub demarches: usize,
    /// Profiles of collectivités (one per commune first), associations and entreprises.
    pub organisations: usize,
    pub communes: usize,
    /// Share of the filed dossiers the instructor follows.
    pub followed: f64,
    /// Share of the dossiers that are still drafts.
    pub drafts: f64,
    /// Answers made from the démarche's form; otherwise `{}`.
    pub answers: bool,
    /// One `dossier_event` row per transition.
    pub histories: bool,
    /// `dossier_file` rows for the attachment fields.
    pub attachments: bool,
    /// Dossiers are filed under the kinds of profile the démarche's audience accepts
    /// (otherwise 80 % particuliers, 10 % associations, 7 % entreprises, 3 %
    /// collectivités, whatever the démarche).
    pub follow_audience: bool,
    /// The end of the two years of dossiers (whole seconds, UTC).
    pub until: OffsetDateTime,
    /// The hash every account shares; `None`: [`BENCH_PASSWORD`] hashed once.
    pub password_hash: Option<String>,
    pub seed: u64,
}

impl Options {
    /// Everything realistic: drafts, answers, histories, attachments, audiences; two
    /// years up to now.
    pub fn new(accounts: usize, dossiers: usize) -> Self {
        let at = now();
        Options {
            accounts,
            dossiers,
            demarches: 20,
            organisations: (accounts / 20).max(1),
            communes: 300,
            followed: 0.20,
            drafts: 0.05,
            answers: true,
            histories: true,
            attachments: true,
            follow_audience: true,
            until: OffsetDateTime::from_unix_timestamp(at.unix_timestamp()).unwrap_or(at),
            password_hash: None,
            seed: 0x5EED_2026,
        }
    }
}

/// Why nothing was generated, or what failed.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("{0}")]
    NotEmpty(String),
    #[error("{0}")]
    Options(String),
    #[error("database error")]
    Database(#[from] DbErr),
    #[error("generation failed")]
    App(#[from] AppError),
}

/// The démarche with the most dossiers (the first one), for the benchmarks.
#[derive(Debug, Clone, Default)]
pub struct Biggest {
    pub id: i32,
    pub slug: String,
    /// Its filed dossiers, by stage (index 1 « À traiter », 2 « En cours », 3
    /// « Traités »), and those the instructor follows.
    pub filed: usize,
    pub stages: [usize; 4],
    pub followed: usize,
    /// The number of a filed dossier half-way through, and the name of a particulier
    /// profile that filed one a third of the way: search targets.
    pub number: String,
    pub name: String,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub instructor_id: i32,
    pub citizen_id: i32,
    /// The communes' names, the most populous first.
    pub communes: Vec<String>,
    pub biggest: Biggest,
    pub accounts: usize,
    pub profiles: usize,
    pub members: usize,
    pub dossiers: usize,
    pub filed: usize,
    pub events: usize,
    pub files: usize,
    pub words: usize,
    pub followers: usize,
    pub elapsed: Duration,
}

// ------------------------------------------------------------------ word lists

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

#[rustfmt::skip]
const COMMUNE_STEMS: [&str; 40] = [
    "Valbourg", "Saint-Martin", "Roche-Blanche", "Montclair", "Beaulieu", "Fontenay",
    "Villeneuve", "Château-Vert", "Les Essarts", "La Chapelle", "Bellevue", "Sainte-Croix",
    "Mirabel", "Champagnac", "Belmont", "Sauveterre", "Chantemerle", "Pierrefeu", "Rochefort",
    "Clairval", "Malbosc", "Castelnau", "Vauclair", "Labastide", "Montfort", "Bonneval",
    "Puylaurent", "Saint-Julien", "Sainte-Marie", "Aiguebelle", "Lacombe", "Grandval",
    "Peyrolles", "Vernet", "Combeloup", "Saint-Rémy", "Brassac", "Lavergne", "Fonbelle",
    "Marsillac",
];

const COMMUNE_SUFFIXES: [&str; 8] = [
    "",
    "-sur-Vère",
    "-le-Haut",
    "-le-Bas",
    "-en-Vallée",
    "-les-Bains",
    "-la-Forêt",
    "-le-Château",
];

const STREETS: [&str; 10] = [
    "rue de la République",
    "avenue Jean Jaurès",
    "place de la Mairie",
    "chemin des Vignes",
    "rue du Moulin",
    "impasse des Tilleuls",
    "route de la Forêt",
    "allée des Peupliers",
    "rue Victor Hugo",
    "boulevard Gambetta",
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

const FUNCTIONS: [&str; 5] = [
    "Président",
    "Trésorière",
    "Secrétaire de mairie",
    "Directrice générale des services",
    "Gérant",
];

const MEMBER_FUNCTIONS: [&str; 4] = ["Trésorier", "Secrétaire", "Bénévole", "Agent administratif"];

const PROJECTS: [&str; 6] = [
    "Rénovation de la salle polyvalente",
    "Tournoi départemental des jeunes",
    "Mise en accessibilité de la mairie",
    "Achat de matériel pour l’école de sport",
    "Réfection du toit de l’église",
    "Création d’un terrain multisports",
];

const EXPENSES: [&str; 5] = [
    "Remplacement des menuiseries extérieures",
    "Achat de matériel sportif",
    "Travaux de maçonnerie",
    "Location d’un car",
    "Honoraires du maître d’œuvre",
];

const FEDERATIONS: [&str; 4] = [
    "Fédération française de football",
    "Fédération française de tennis",
    "Fédération française de judo",
    "Fédération française d’athlétisme",
];

const SCHOOLS: [&str; 5] = [
    "Collège Jean Moulin",
    "École élémentaire des Tilleuls",
    "Lycée Marie Curie",
    "Collège Victor Hugo",
    "Institut médico-éducatif du Val",
];

const SHORT_TEXTS: [&str; 5] = [
    "Une semaine sur deux",
    "Voir le détail en pièce jointe",
    "Course d’orientation",
    "Non concerné",
    "Matin et soir",
];

const LONG_TEXTS: [&str; 4] = [
    "Le projet répond à une demande ancienne des habitants. Les travaux seront réalisés par des entreprises locales, sur une durée de trois mois, sans interruption du service.",
    "Nous souhaitons permettre à davantage de jeunes de pratiquer, en particulier les filles et les enfants des familles les plus modestes, grâce à des tarifs adaptés.",
    "Mon fils a besoin d’un accompagnement pour ses trajets : il se déplace en fauteuil et l’arrêt de car le plus proche est à deux kilomètres du domicile.",
    "Les activités de la saison : entraînements deux fois par semaine, compétitions le week-end, un stage pendant les vacances de printemps et la fête du club en juin.",
];

const COMPLEMENTS: [&str; 3] = [
    "Merci de transmettre un justificatif de domicile de moins de trois mois.",
    "Le devis joint n’est pas signé : merci de transmettre un devis signé.",
    "Merci de préciser le montant des autres financements obtenus.",
];

/// A valid French IBAN (mod-97), the example of the forms' messages.
const IBAN: &str = "FR76 3000 6000 0112 3456 7890 189";

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

/// The file kinds the portal accepts: (kind, extension, share in percent, smallest and
/// largest size in bytes).
const FILE_KINDS: [(&str, &str, f64, usize, usize); 4] = [
    ("pdf", "pdf", 70.0, 60_000, 3_000_000),
    ("jpeg", "jpg", 20.0, 300_000, 4_000_000),
    ("png", "png", 8.0, 100_000, 2_000_000),
    ("webp", "webp", 2.0, 80_000, 1_000_000),
];

// ------------------------------------------------------------------ random numbers

/// SplitMix64: deterministic, so that the same options build the same database.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
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

    fn item<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list.get(self.below(list.len()))
            .copied()
            .unwrap_or_default()
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

fn secs(s: usize) -> time::Duration {
    time::Duration::seconds(s as i64)
}

fn ymd(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

fn rate(rows: usize, elapsed: Duration) -> String {
    format!(
        "{rows} rows in {:.1} s ({:.0} rows/s)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64().max(1e-9)
    )
}

fn report(label: &str, text: &str) {
    println!("  {label:<28} : {text}");
}

/// The name of commune `k` (from 0): « Valbourg », « Saint-Martin-sur-Vère »…
pub fn commune_name(k: usize) -> String {
    let stem = COMMUNE_STEMS[k % COMMUNE_STEMS.len()];
    let round = k / COMMUNE_STEMS.len();
    match COMMUNE_SUFFIXES.get(round) {
        Some(suffix) => format!("{stem}{suffix}"),
        None => format!("{stem} {}", round - COMMUNE_SUFFIXES.len() + 2),
    }
}

fn postal_code(k: usize) -> String {
    format!("{:05}", 26_010 + k % 980)
}

/// A SIRET that passes the Luhn check: `prefix` (at most 13 digits) padded, then the
/// check digit.
fn siret(prefix: u64) -> String {
    let body = format!("{:013}", prefix % 10_000_000_000_000);
    // The check digit is the rightmost: the body's digits from the right start doubled.
    let sum: u32 = body
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// `prenom.nom` in lower case without accents, for email addresses.
fn email_part(first: &str, last: &str) -> String {
    let clean = |s: &str| -> String {
        fold(s)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect()
    };
    format!("{}.{}", clean(first), clean(last))
}

fn phone(rng: &mut Rng) -> String {
    format!(
        "0{} {:02} {:02} {:02} {:02}",
        6 + rng.below(2),
        rng.below(100),
        rng.below(100),
        rng.below(100),
        rng.below(100)
    )
}

fn sha256_like(rng: &mut Rng) -> String {
    format!(
        "{:016x}{:016x}{:016x}{:016x}",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64()
    )
}

fn clip(text: &str, max: u32) -> String {
    text.chars().take(max as usize).collect()
}

// ------------------------------------------------------------------ bulk inserts

/// The `INSERT` of `rows` rows of `columns` into `table`, with numbered placeholders on
/// PostgreSQL (`$1, $2…`) and `?` on SQLite.
fn insert_sql(backend: DbBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO \"{table}\" (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('"');
        sql.push_str(column);
        sql.push('"');
    }
    sql.push_str(") VALUES ");
    let mut n = 0usize;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Rows waiting to be inserted into one table.
struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value>,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Rows {
            table,
            columns,
            values: Vec::new(),
        }
    }

    fn push<const N: usize>(&mut self, row: [Value; N]) {
        debug_assert_eq!(N, self.columns.len(), "{}", self.table);
        self.values.extend(row);
    }

    fn len(&self) -> usize {
        self.values.len() / self.columns.len().max(1)
    }

    /// Inserts the waiting rows in statements of at most `MAX_ROWS` rows and
    /// `MAX_VALUES` values; returns how many rows.
    async fn write<C: ConnectionTrait>(&mut self, conn: &C) -> Result<usize, DbErr> {
        let width = self.columns.len().max(1);
        let per_statement = (MAX_VALUES / width).clamp(1, MAX_ROWS);
        let backend = conn.get_database_backend();
        let rows = self.len();
        let (table, columns) = (self.table, self.columns);
        let mut values = std::mem::take(&mut self.values).into_iter();
        let mut full: Option<String> = None;
        let mut done = 0;
        while done < rows {
            let n = per_statement.min(rows - done);
            let chunk: Vec<Value> = values.by_ref().take(n * width).collect();
            let sql = if n == per_statement {
                full.get_or_insert_with(|| insert_sql(backend, table, columns, n))
                    .clone()
            } else {
                insert_sql(backend, table, columns, n)
            };
            conn.execute_raw(Statement::from_sql_and_values(backend, sql, chunk))
                .await?;
            done += n;
        }
        Ok(rows)
    }
}

const ACCOUNT_COLUMNS: &[&str] = &[
    "id",
    "email",
    "password_hash",
    "civilite",
    "first_name",
    "last_name",
    "role",
    "email_verified_at",
    "active",
    "birth_date",
    "address_line",
    "postal_code",
    "commune",
    "phone",
    "terms_accepted_at",
    "created_at",
    "updated_at",
    "totp_secret",
];
const PROFILE_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "name",
    "siret",
    "address_line",
    "postal_code",
    "commune",
    "personal_account_id",
    "created_at",
    "updated_at",
];
const MEMBER_COLUMNS: &[&str] = &[
    "profile_id",
    "account_id",
    "role",
    "function",
    "joined_at",
    "receipts",
];
const DOSSIER_COLUMNS: &[&str] = &[
    "id",
    "demarche_id",
    "version_id",
    "profile_id",
    "created_by",
    "status",
    "number",
    "answers",
    "lock_version",
    "created_at",
    "updated_at",
    "submitted_at",
    "decided_at",
    "stage",
    "profile_kind",
    "commune_key",
    "search_text",
];
const EVENT_COLUMNS: &[&str] = &[
    "dossier_id",
    "from_status",
    "to_status",
    "account_id",
    "message",
    "created_at",
];
const FILE_COLUMNS: &[&str] = &[
    "dossier_id",
    "field_path",
    "storage_key",
    "original_name",
    "kind",
    "size_bytes",
    "sha256",
    "uploaded_by",
    "created_at",
];
const WORD_COLUMNS: &[&str] = &["demarche_id", "word", "dossier_id"];
const FOLLOWER_COLUMNS: &[&str] = &[
    "account_id",
    "dossier_id",
    "created_at",
    "demarche_id",
    "submitted_at",
];

// ------------------------------------------------------------------ the data set

/// An account, as the generator remembers it.
#[derive(Clone, Copy)]
struct Person {
    first: usize,
    last: usize,
    commune: usize,
}

impl Person {
    fn first(&self) -> &'static str {
        FIRST_NAMES[self.first % FIRST_NAMES.len()]
    }

    fn last(&self) -> &'static str {
        LAST_NAMES[self.last % LAST_NAMES.len()]
    }

    fn full_name(&self) -> String {
        format!("{} {}", self.first(), self.last())
    }
}

struct ProfileInfo {
    kind: ProfileKind,
    name: String,
    siret: Option<String>,
    /// Index of its commune (a personal profile: its account's).
    commune: usize,
    /// The account that files its dossiers.
    member: i32,
}

/// An attachment field of a form.
struct AttachmentInfo {
    required: bool,
    max_files: u8,
    /// The page of the top-level field (of its group, inside one).
    page: usize,
}

struct DemarcheInfo {
    id: i32,
    version_id: i32,
    form: FormDefinition,
    attachments: HashMap<String, AttachmentInfo>,
    /// Cumulative weights over `KINDS`.
    kind_weights: Vec<f64>,
    audience: Audience,
}

impl DemarcheInfo {
    fn accepts_particuliers(&self) -> bool {
        self.audience != Audience::Organisations
    }
}

fn attachment_fields(form: &FormDefinition) -> HashMap<String, AttachmentInfo> {
    let mut out = HashMap::new();
    for (page, p) in form.pages.iter().enumerate() {
        for field in &p.fields {
            let inner: &[Field] = match &field.kind {
                FieldKind::Group { fields, .. } => fields,
                _ => std::slice::from_ref(field),
            };
            for f in inner {
                if let FieldKind::Attachment { max_files, .. } = f.kind {
                    out.insert(
                        f.key.clone(),
                        AttachmentInfo {
                            required: f.required,
                            max_files,
                            page,
                        },
                    );
                }
            }
        }
    }
    out
}

/// Who made a change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Filer,
    Instructor,
}

/// The statuses a dossier went through after its draft, in order, ending with
/// `status`: every step is a transition `DossierStatus::apply` allows.
fn history(status: DossierStatus, rng: &mut Rng) -> Vec<(DossierStatus, Actor)> {
    use Actor::{Filer, Instructor};
    use DossierStatus as S;
    let mut path = Vec::with_capacity(6);
    if status == S::Brouillon {
        return path;
    }
    path.push((S::Depose, Filer));
    let complements = |path: &mut Vec<(DossierStatus, Actor)>| {
        path.push((S::ComplementsDemandes, Instructor));
        path.push((S::ComplementsRecus, Filer));
    };
    match status {
        S::Brouillon | S::Depose => {}
        S::EnInstruction => {
            path.push((S::EnInstruction, Instructor));
            if rng.unit() < 0.15 {
                complements(&mut path);
                path.push((S::EnInstruction, Instructor));
            }
        }
        S::ComplementsDemandes => {
            if rng.unit() < 0.7 {
                path.push((S::EnInstruction, Instructor));
            }
            path.push((S::ComplementsDemandes, Instructor));
        }
        S::ComplementsRecus => {
            if rng.unit() < 0.7 {
                path.push((S::EnInstruction, Instructor));
            }
            complements(&mut path);
        }
        S::Accepte | S::Refuse => {
            path.push((S::EnInstruction, Instructor));
            if rng.unit() < 0.2 {
                complements(&mut path);
                if rng.unit() < 0.5 {
                    path.push((S::EnInstruction, Instructor));
                }
            }
            path.push((status, Instructor));
        }
        S::ClasseSansSuite => {
            let r = rng.unit();
            if r < 0.4 {
                path.push((S::EnInstruction, Instructor));
            } else if r < 0.7 {
                path.push((S::EnInstruction, Instructor));
                path.push((S::ComplementsDemandes, Instructor));
            }
            path.push((S::ClasseSansSuite, Instructor));
        }
    }
    path
}

/// The instructor's message with a change, as the back-office records it.
fn event_message(to: DossierStatus, rng: &mut Rng) -> Option<String> {
    match to {
        DossierStatus::ComplementsDemandes => Some(rng.item(&COMPLEMENTS).to_owned()),
        DossierStatus::Accepte => {
            (rng.unit() < 0.5).then(|| "Votre demande est acceptée.".to_owned())
        }
        DossierStatus::Refuse => Some(
            "Votre demande ne remplit pas les conditions fixées par le règlement d’attribution."
                .to_owned(),
        ),
        DossierStatus::ClasseSansSuite => Some(
            if rng.unit() < 0.5 {
                "Sans réponse de votre part aux compléments demandés, le dossier est classé sans suite."
            } else {
                "Dossier déposé en double : il est classé sans suite."
            }
            .to_owned(),
        ),
        _ => None,
    }
}

/// What answers are made from.
struct AnswerContext<'a> {
    filer: &'a Person,
    commune: &'a str,
    postal_code: &'a str,
    created: OffsetDateTime,
}

fn short_text(key: &str, rng: &mut Rng, ctx: &AnswerContext<'_>) -> String {
    let key = key.to_ascii_lowercase();
    if key.ends_with("rna") {
        format!("W{:09}", rng.below(1_000_000_000))
    } else if key.contains("prenom") {
        if key.starts_with("jeune") {
            ctx.filer.first().to_owned()
        } else {
            FIRST_NAMES[rng.below(FIRST_NAMES.len())].to_owned()
        }
    } else if key.contains("titulaire") {
        ctx.filer.full_name()
    } else if key.contains("etablissement") {
        rng.item(&SCHOOLS).to_owned()
    } else if key.contains("ecole") {
        format!("Auto-école {}", LAST_NAMES[rng.below(LAST_NAMES.len())])
    } else if key.contains("fonction") {
        rng.item(&FUNCTIONS).to_owned()
    } else if key.contains("federation") {
        rng.item(&FEDERATIONS).to_owned()
    } else if key.contains("intitule") || key.contains("projet") {
        rng.item(&PROJECTS).to_owned()
    } else if key.contains("nature") {
        rng.item(&EXPENSES).to_owned()
    } else if key.ends_with("nom") || key.contains("prestataire") {
        let person = ["jeune", "enfant", "rep", "contact", "parent", "responsable"]
            .iter()
            .any(|p| key.starts_with(p));
        if key.starts_with("jeune") || key.starts_with("enfant") {
            ctx.filer.last().to_owned()
        } else if person {
            LAST_NAMES[rng.below(LAST_NAMES.len())].to_owned()
        } else {
            format!(
                "{} {} {}",
                rng.item(&COMPANY_FORMS),
                LAST_NAMES[rng.below(LAST_NAMES.len())],
                rng.item(&TRADES)
            )
        }
    } else {
        rng.item(&SHORT_TEXTS).to_owned()
    }
}

/// An answer to `field` that its checks accept; `None` for what asks nothing (and for
/// attachments: files are rows of their own).
fn answer(field: &Field, rng: &mut Rng, ctx: &AnswerContext<'_>) -> Option<Answer> {
    let text = |s: String| Some(Answer::Text(s));
    match &field.kind {
        FieldKind::Section | FieldKind::Explanation | FieldKind::Attachment { .. } => None,
        FieldKind::ShortText { max_length } => text(clip(
            &short_text(&field.key, rng, ctx),
            max_length.unwrap_or(SHORT_TEXT_MAX),
        )),
        FieldKind::LongText { max_length } => text(clip(
            rng.item(&LONG_TEXTS),
            max_length.unwrap_or(LONG_TEXT_MAX),
        )),
        FieldKind::Number { min, max, .. } => {
            let low = min.unwrap_or(0.0).ceil();
            let high = max.unwrap_or(low + 5_000.0).floor().max(low);
            let span = (high - low).min(1e12) as usize;
            text(format!("{}", low as i64 + rng.below(span + 1) as i64))
        }
        FieldKind::Date { past_only } => {
            let date = if field.key.contains("naissance") {
                ctx.created - secs((2_500 + rng.below(5_500)) * DAY)
            } else if *past_only {
                ctx.created - secs((30 + rng.below(3_600)) * DAY)
            } else {
                ctx.created + secs((15 + rng.below(400)) * DAY)
            };
            text(ymd(date))
        }
        FieldKind::Email => text(format!(
            "{}@example.org",
            email_part(ctx.filer.first(), ctx.filer.last())
        )),
        FieldKind::Phone => text(phone(rng)),
        FieldKind::YesNo => text(if rng.unit() < 0.5 { "oui" } else { "non" }.to_owned()),
        FieldKind::SingleChoice { options, .. } => {
            let option = options.get(rng.below(options.len()))?;
            text(option.trim().to_owned())
        }
        FieldKind::MultipleChoice { options } => {
            if options.is_empty() {
                return None;
            }
            let first = rng.below(options.len());
            let mut ticked = vec![options[first].trim().to_owned()];
            if options.len() > 1 && rng.unit() < 0.4 {
                let second = (first + 1 + rng.below(options.len() - 1)) % options.len();
                ticked.push(options[second].trim().to_owned());
            }
            Some(Answer::Many(ticked))
        }
        FieldKind::Address => Some(Answer::Address {
            line: format!("{} {}", 1 + rng.below(120), rng.item(&STREETS)),
            postal_code: ctx.postal_code.to_owned(),
            commune: ctx.commune.to_owned(),
        }),
        FieldKind::Siret => text(siret(rng.next_u64())),
        FieldKind::Iban => text(IBAN.to_owned()),
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            ..
        } => {
            let min = usize::from(*min_items).max(usize::from(field.required));
            let max = usize::from(*max_items).max(min);
            let count = (min.max(1) + rng.below(2)).min(max);
            let items = (0..count)
                .map(|_| {
                    let mut item = Answers::new();
                    for inner in fields {
                        if let Some(value) = answer(inner, rng, ctx) {
                            item.set(inner.key.clone(), value);
                        }
                    }
                    item
                })
                .collect();
            Some(Answer::Group(items))
        }
    }
}

/// The answers of a dossier as kept at submission (hidden fields pruned): every page,
/// or the first `pages` ones for a draft.
fn answers_for(
    form: &FormDefinition,
    pages: usize,
    rng: &mut Rng,
    ctx: &AnswerContext<'_>,
) -> Answers {
    let mut answers = Answers::new();
    for page in form.pages.iter().take(pages) {
        for field in &page.fields {
            if let Some(value) = answer(field, rng, ctx) {
                answers.set(field.key.clone(), value);
            }
        }
    }
    prune_hidden(form, &answers)
}

/// The attachments of a dossier: `(field path, how many files)` for the shown
/// attachment fields of the first `pages` pages.
fn attachments_for(
    demarche: &DemarcheInfo,
    answers: &Answers,
    pages: usize,
    rng: &mut Rng,
) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for path in visible_attachment_paths(&demarche.form, answers) {
        let key = path.rsplit('.').next().unwrap_or(path.as_str());
        let Some(info) = demarche.attachments.get(key) else {
            continue;
        };
        if info.page >= pages || info.max_files == 0 {
            continue;
        }
        if !info.required && rng.unit() < 0.3 {
            continue;
        }
        let count = if info.max_files > 1 && rng.unit() < 0.25 {
            2
        } else {
            1
        };
        out.push((path, count));
    }
    out
}

// ------------------------------------------------------------------ checks and figures

/// Refuses a database that already holds accounts, démarches or dossiers.
pub async fn ensure_empty<C: ConnectionTrait>(conn: &C) -> Result<(), VolumeError> {
    let dossiers = dossier::Entity::find().count(conn).await?;
    let accounts = account::Entity::find().count(conn).await?;
    let demarches = demarche::Entity::find().count(conn).await?;
    if dossiers + accounts + demarches > 0 {
        return Err(VolumeError::NotEmpty(format!(
            "the database already holds {dossiers} dossiers, {accounts} accounts and \
             {demarches} démarches: `guichet generate` fills an empty database only and \
             never adds to existing data; point DATABASE_URL at a new database"
        )));
    }
    Ok(())
}

/// The tables the generator fills.
pub const TABLES: &[&str] = &[
    "account",
    "profile",
    "profile_member",
    "demarche",
    "demarche_version",
    "service",
    "service_member",
    "demarche_service",
    "dossier",
    "dossier_event",
    "dossier_file",
    "dossier_word",
    "dossier_follower",
    "dossier_count",
    "follow_count",
    "dossier_counter",
];

/// The rows of each table of [`TABLES`], counted in the database.
pub async fn table_counts<C: ConnectionTrait>(conn: &C) -> Result<Vec<(&'static str, i64)>, DbErr> {
    let backend = conn.get_database_backend();
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let row = conn
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM \"{table}\""),
            ))
            .await?;
        let n = match row {
            Some(row) => row.try_get::<i64>("", "n")?,
            None => 0,
        };
        out.push((*table, n));
    }
    Ok(out)
}

/// The database's size in bytes: `pg_database_size` on PostgreSQL; on SQLite the file
/// after a checkpoint that empties the write-ahead log (page count × page size).
pub async fn database_size<C: ConnectionTrait>(conn: &C) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT pg_database_size(current_database())::bigint AS size",
        _ => {
            conn.query_all_raw(Statement::from_string(
                backend,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ))
            .await?;
            "SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()"
        }
    };
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    let size = match row {
        Some(row) => row.try_get::<i64>("", "size")?,
        None => 0,
    };
    Ok(u64::try_from(size).unwrap_or(0))
}

// ------------------------------------------------------------------ generation

/// Fills a migrated, empty database (see the module's documentation) and prints its
/// progress. Refuses a database that already holds data.
pub async fn generate(
    conn: &DatabaseConnection,
    options: &Options,
) -> Result<Summary, VolumeError> {
    if options.accounts < 2 {
        return Err(VolumeError::Options(
            "at least 2 accounts are needed (the bench instructor and citizen)".into(),
        ));
    }
    if options.demarches == 0 {
        return Err(VolumeError::Options("at least 1 démarche is needed".into()));
    }
    if !(0.0..=1.0).contains(&options.drafts) || !(0.0..=1.0).contains(&options.followed) {
        return Err(VolumeError::Options(
            "the shares of drafts and follows are between 0 and 1".into(),
        ));
    }
    ensure_empty(conn).await?;
    let started = Instant::now();
    let backend = match conn.get_database_backend() {
        DbBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
    println!(
        "Generating {} accounts, {} organisations, {} dossiers over {} démarches ({backend})",
        options.accounts, options.organisations, options.dossiers, options.demarches
    );
    let mut rng = Rng(options.seed);
    let until = options.until;
    let start = until - secs(SPAN_DAYS * DAY);
    let mut summary = Summary {
        instructor_id: INSTRUCTOR_ID,
        citizen_id: CITIZEN_ID,
        ..Default::default()
    };

    // ------------------------------------------------------------ password, communes
    let step = Instant::now();
    let hash = match &options.password_hash {
        Some(hash) => hash.clone(),
        None => password::hash(BENCH_PASSWORD.to_owned()).await?,
    };
    report(
        "password hash (once)",
        &format!("{:.1} s", step.elapsed().as_secs_f64()),
    );
    let communes: Vec<String> = (0..options.communes.max(1)).map(commune_name).collect();
    let commune_keys: Vec<String> = communes.iter().map(|c| search_key(c)).collect();
    // Big towns first: the first commune has the most people.
    let commune_weights = cumulative((0..communes.len()).map(|i| 1.0 / ((i + 1) as f64).powf(0.8)));

    // ------------------------------------------------------------ accounts
    let step = Instant::now();
    let mut people: Vec<Person> = Vec::with_capacity(options.accounts);
    let mut rows = Rows::new("account", ACCOUNT_COLUMNS);
    let mut written = 0;
    let mut reported = 0;
    for index in 0..options.accounts {
        let id = index as i32 + 1;
        let (person, civilite, email, role, totp) = match id {
            INSTRUCTOR_ID => (
                Person {
                    first: 55,
                    last: 34,
                    commune: 0,
                },
                "M.",
                BENCH_INSTRUCTOR_EMAIL.to_owned(),
                Role::Instructor,
                Some(BENCH_INSTRUCTOR_TOTP.to_owned()),
            ),
            CITIZEN_ID => (
                Person {
                    first: 13,
                    last: 53,
                    commune: 0,
                },
                "Mme",
                BENCH_CITIZEN_EMAIL.to_owned(),
                Role::Citizen,
                None,
            ),
            _ => {
                let person = Person {
                    first: rng.below(FIRST_NAMES.len()),
                    last: rng.below(LAST_NAMES.len()),
                    commune: rng.pick(&commune_weights),
                };
                let email = format!(
                    "{}.{id}@example.org",
                    email_part(person.first(), person.last())
                );
                let civilite = if person.first < 30 { "Mme" } else { "M." };
                (person, civilite, email, Role::Citizen, None)
            }
        };
        let created = start - secs(rng.below(365 * DAY));
        let born = until - secs((18 * 365 + rng.below(65 * 365)) * DAY);
        rows.push([
            id.into(),
            email.into(),
            hash.as_str().into(),
            civilite.into(),
            person.first().into(),
            person.last().into(),
            role.as_str().into(),
            Some(created).into(),
            true.into(),
            Some(ymd(born)).into(),
            Some(format!("{} {}", 1 + rng.below(120), rng.item(&STREETS))).into(),
            Some(postal_code(person.commune)).into(),
            Some(communes[person.commune % communes.len()].clone()).into(),
            Some(phone(&mut rng)).into(),
            Some(created).into(),
            created.into(),
            created.into(),
            totp.into(),
        ]);
        people.push(person);
        if rows.len() >= TXN_ROWS || index + 1 == options.accounts {
            let txn = conn.begin().await?;
            written += rows.write(&txn).await?;
            txn.commit().await?;
            if written - reported >= PROGRESS_ROWS || written == options.accounts {
                reported = written;
                report(
                    "accounts",
                    &format!(
                        "{written} / {} ({})",
                        options.accounts,
                        rate(written, step.elapsed())
                    ),
                );
            }
        }
    }
    summary.accounts = written;
    let citizens: Vec<i32> = (3..=options.accounts as i32).collect();
    let random_citizen = |rng: &mut Rng| -> i32 {
        citizens
            .get(rng.below(citizens.len()))
            .copied()
            .unwrap_or(CITIZEN_ID)
    };

    // ------------------------------------------------------------ profiles and members
    let step = Instant::now();
    // `profiles[id - 1]`: the personal profiles first (profile id = account id), then
    // the organisations', then the bench citizen's association.
    let mut profiles: Vec<ProfileInfo> =
        Vec::with_capacity(options.accounts + options.organisations + 1);
    for (index, person) in people.iter().enumerate() {
        profiles.push(ProfileInfo {
            kind: ProfileKind::Particulier,
            name: person.full_name(),
            siret: None,
            commune: person.commune,
            member: index as i32 + 1,
        });
    }
    let towns = options.organisations.min(communes.len());
    for j in 0..options.organisations {
        let member = random_citizen(&mut rng);
        let info = if j < towns {
            ProfileInfo {
                kind: ProfileKind::Collectivite,
                name: format!("Mairie de {}", communes[j]),
                siret: Some(siret(2_126_000_000_000 + j as u64 * 7)),
                commune: j,
                member,
            }
        } else if j < towns + (options.organisations - towns) * 54 / 100 {
            let commune = rng.pick(&commune_weights);
            ProfileInfo {
                kind: ProfileKind::Association,
                name: format!("{} de {}", rng.item(&ASSOCIATIONS), communes[commune]),
                siret: Some(siret(4_400_000_000_000 + j as u64 * 13)),
                commune,
                member,
            }
        } else {
            ProfileInfo {
                kind: ProfileKind::Entreprise,
                name: format!(
                    "{} {} {}",
                    rng.item(&COMPANY_FORMS),
                    LAST_NAMES[rng.below(LAST_NAMES.len())],
                    rng.item(&TRADES)
                ),
                siret: Some(siret(8_000_000_000_000 + j as u64 * 17)),
                commune: rng.pick(&commune_weights),
                member,
            }
        };
        profiles.push(info);
    }
    // The bench citizen's association: its dossiers are the citizen's only.
    let citizen_association = profiles.len() as i32 + 1;
    profiles.push(ProfileInfo {
        kind: ProfileKind::Association,
        name: format!("Comité des fêtes de {}", communes[0]),
        siret: Some(siret(4_499_999_999_990)),
        commune: 0,
        member: CITIZEN_ID,
    });

    let mut profile_rows = Rows::new("profile", PROFILE_COLUMNS);
    let mut member_rows = Rows::new("profile_member", MEMBER_COLUMNS);
    let mut profiles_written = 0;
    let mut members_written = 0;
    for (index, p) in profiles.iter().enumerate() {
        let id = index as i32 + 1;
        let created = start - secs(rng.below(365 * DAY));
        let personal = p.kind == ProfileKind::Particulier;
        let (address, code, commune) = if personal {
            (None, None, None)
        } else {
            (
                Some(format!("{} {}", 1 + rng.below(120), rng.item(&STREETS))),
                Some(postal_code(p.commune)),
                Some(communes[p.commune % communes.len()].clone()),
            )
        };
        profile_rows.push([
            id.into(),
            p.kind.as_str().into(),
            p.name.clone().into(),
            p.siret.clone().into(),
            address.into(),
            code.into(),
            commune.into(),
            personal.then_some(p.member).into(),
            created.into(),
            created.into(),
        ]);
        let function = match p.kind {
            ProfileKind::Particulier => "Particulier",
            ProfileKind::Collectivite => "Secrétaire de mairie",
            ProfileKind::Association => "Président",
            ProfileKind::Entreprise => "Gérant",
        };
        member_rows.push([
            id.into(),
            p.member.into(),
            MemberRole::Manager.as_str().into(),
            function.into(),
            created.into(),
            false.into(),
        ]);
        if !personal {
            // A few more members, all different.
            let mut others: Vec<i32> = Vec::new();
            let extra = if id == citizen_association {
                1
            } else {
                rng.below(4)
            };
            for _ in 0..extra {
                let other = random_citizen(&mut rng);
                if other != p.member && !others.contains(&other) {
                    others.push(other);
                }
            }
            for other in others {
                let joined = created + secs(rng.below(300 * DAY));
                member_rows.push([
                    id.into(),
                    other.into(),
                    MemberRole::Member.as_str().into(),
                    rng.item(&MEMBER_FUNCTIONS).into(),
                    joined.into(),
                    false.into(),
                ]);
            }
        }
        if profile_rows.len() >= TXN_ROWS || index + 1 == profiles.len() {
            let txn = conn.begin().await?;
            profiles_written += profile_rows.write(&txn).await?;
            members_written += member_rows.write(&txn).await?;
            txn.commit().await?;
        }
    }
    summary.profiles = profiles_written;
    summary.members = members_written;
    report(
        "profiles and members",
        &rate(profiles_written + members_written, step.elapsed()),
    );

    // ------------------------------------------------------------ démarches, service
    let step = Instant::now();
    let mut demarches: Vec<DemarcheInfo> = Vec::with_capacity(options.demarches);
    let txn = conn.begin().await?;
    for k in 0..options.demarches {
        let (_, source) = DEMO_DEMARCHES[k % DEMO_DEMARCHES.len()];
        let mut file = parse_demarche(source)?;
        let round = k / DEMO_DEMARCHES.len();
        if round > 0 {
            file.slug = format!("{}-{}", file.slug, round + 1);
            file.title = format!("{} ({})", file.title, round + 1);
            file.featured_order = None;
        }
        let id = insert_demarche(&txn, &file).await?;
        let version_id = demarche::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .and_then(|d| d.current_version_id)
            .ok_or_else(|| VolumeError::Options("a démarche without its version".into()))?;
        if k == 0 {
            summary.biggest.id = id;
            summary.biggest.slug = file.slug.clone();
        }
        let audience = Audience::parse(&file.audience).unwrap_or(Audience::Tous);
        demarches.push(DemarcheInfo {
            id,
            version_id,
            attachments: attachment_fields(&file.form),
            form: file.form,
            kind_weights: Vec::new(),
            audience,
        });
    }
    let service_name = "Service des aides aux familles et aux territoires";
    conn_execute(
        &txn,
        "INSERT INTO \"service\" (\"name\", \"created_at\") VALUES ($1, $2)",
        [service_name.into(), start.into()],
    )
    .await?;
    let service_id = read_i32(
        &txn,
        "SELECT id AS n FROM \"service\" WHERE \"name\" = $1",
        [service_name.into()],
    )
    .await?;
    let mut links = Rows::new("service_member", &["service_id", "account_id"]);
    links.push([service_id.into(), INSTRUCTOR_ID.into()]);
    links.write(&txn).await?;
    let mut links = Rows::new("demarche_service", &["demarche_id", "service_id"]);
    for d in &demarches {
        links.push([d.id.into(), service_id.into()]);
    }
    links.write(&txn).await?;
    txn.commit().await?;
    report(
        "démarches and service",
        &format!(
            "{} démarches in {:.1} s",
            demarches.len(),
            step.elapsed().as_secs_f64()
        ),
    );

    // ------------------------------------------------------------ dossiers
    let step = Instant::now();
    // Profile ids of each kind, in the order of `KINDS` (not the bench citizen's).
    let pools: Vec<Vec<i32>> = KINDS
        .iter()
        .map(|(kind, _)| {
            profiles
                .iter()
                .enumerate()
                .filter(|(i, p)| p.kind == *kind && *i as i32 + 1 != citizen_association)
                // The bench accounts' personal profiles file only the citizen's dossiers.
                .filter(|(i, _)| *i as i32 + 1 > CITIZEN_ID)
                .map(|(i, _)| i as i32 + 1)
                .collect()
        })
        .collect();
    for d in &mut demarches {
        let weights: Vec<f64> = KINDS
            .iter()
            .zip(&pools)
            .map(|((kind, w), pool)| {
                let allowed = !options.follow_audience
                    || match d.audience {
                        Audience::Particuliers => *kind == ProfileKind::Particulier,
                        Audience::Organisations => *kind != ProfileKind::Particulier,
                        Audience::Tous => true,
                    };
                if allowed && !pool.is_empty() { *w } else { 0.0 }
            })
            .collect();
        d.kind_weights = if weights.iter().sum::<f64>() > 0.0 {
            cumulative(weights)
        } else {
            // Nobody of the right kind: particuliers file it.
            cumulative(KINDS.iter().map(|(kind, _)| {
                if *kind == ProfileKind::Particulier {
                    1.0
                } else {
                    0.0
                }
            }))
        };
    }
    let status_weights = cumulative(STATUSES.iter().map(|(_, w)| *w));
    let file_kind_weights = cumulative(FILE_KINDS.iter().map(|k| k.2));
    // Démarche 1: 20 %; the 80 % left decrease from démarche 2 to the last.
    let count_d = demarches.len();
    let demarche_weights = if count_d == 1 {
        vec![1.0]
    } else {
        cumulative((0..count_d).map(|d| {
            if d == 0 {
                20.0
            } else {
                80.0 * (count_d - d) as f64 / ((count_d - 1) * count_d / 2) as f64
            }
        }))
    };

    let count = options.dossiers;
    let span = SPAN_DAYS * DAY;
    let slot = (span / count.max(1)).max(1);
    let citizen_stride = (count / CITIZEN_DOSSIERS).max(1);
    let mut counters: BTreeMap<i32, u32> = BTreeMap::new();
    let mut file_number: u64 = 0;
    let mut dossier_rows = Rows::new("dossier", DOSSIER_COLUMNS);
    let mut event_rows = Rows::new("dossier_event", EVENT_COLUMNS);
    let mut file_rows = Rows::new("dossier_file", FILE_COLUMNS);
    let mut word_rows = Rows::new("dossier_word", WORD_COLUMNS);
    let mut follower_rows = Rows::new("dossier_follower", FOLLOWER_COLUMNS);
    let mut total_rows = 0;
    let mut reported = 0;
    let mut next = 0;
    while next < count {
        let txn_end = (next + TXN_DOSSIERS).min(count);
        for i in next..txn_end {
            let id = i as i32 + 1;
            let d = rng.pick(&demarche_weights);
            let dem = &demarches[d];
            let citizen_slot =
                i % citizen_stride == citizen_stride / 2 && i / citizen_stride < CITIZEN_DOSSIERS;
            let (status, profile_id) = if citizen_slot {
                let status = DossierStatus::ALL[(i / citizen_stride) % DossierStatus::ALL.len()];
                let profile = if !options.follow_audience || dem.accepts_particuliers() {
                    CITIZEN_ID
                } else {
                    citizen_association
                };
                (status, profile)
            } else {
                let status = if rng.unit() < options.drafts {
                    DossierStatus::Brouillon
                } else {
                    STATUSES[rng.pick(&status_weights)].0
                };
                let pool = &pools[rng.pick(&dem.kind_weights)];
                let profile = pool
                    .get(rng.below(pool.len()))
                    .copied()
                    .unwrap_or(CITIZEN_ID);
                (status, profile)
            };
            let p = &profiles[profile_id as usize - 1];
            let filer_id = p.member;
            let filer = &people[filer_id as usize - 1];
            let filed = status != DossierStatus::Brouillon;
            // Ids follow time, as in real life.
            let moment = start + secs(i * span / count.max(1) + rng.below(slot));
            let created = if filed {
                moment - secs(HOUR + rng.below(10 * DAY))
            } else {
                moment
            };
            let submitted = filed.then_some(moment);

            // The history after the draft, its times, and the dossier's last change.
            let path = history(status, &mut rng);
            let mut times = Vec::with_capacity(path.len());
            let mut at = moment;
            for k in 0..path.len() {
                if k > 0 {
                    let room = (until - at).whole_seconds().max(0) as usize;
                    let gap = (HOUR + rng.below(20 * DAY)).min(room / (path.len() - k + 1));
                    at += secs(gap);
                }
                times.push(at);
            }
            let updated = match times.last() {
                Some(last) => *last,
                None => {
                    let room = (until - created).whole_seconds().max(0) as usize;
                    created + secs(rng.below(3 * DAY).min(room))
                }
            };
            let decided = (status.stage() == 3).then_some(updated);

            let number = submitted.map(|at| {
                let counter = counters.entry(at.year()).or_insert(0);
                *counter += 1;
                format!("{}-{counter:06}", at.year())
            });

            // Answers and attachments.
            let pages = if filed {
                dem.form.pages.len()
            } else {
                1 + rng.below(dem.form.pages.len().max(1))
            };
            let commune = if p.kind == ProfileKind::Particulier {
                filer.commune % communes.len()
            } else {
                p.commune % communes.len()
            };
            let code = postal_code(commune);
            let ctx = AnswerContext {
                filer,
                commune: &communes[commune],
                postal_code: &code,
                created,
            };
            let (answers_json, attachments) = if options.answers {
                let answers = answers_for(&dem.form, pages, &mut rng, &ctx);
                let attachments = if options.attachments {
                    attachments_for(dem, &answers, pages, &mut rng)
                } else {
                    Vec::new()
                };
                let json = serde_json::to_string(&answers)
                    .map_err(|e| AppError::internal("answers encoding", &e))?;
                (json, attachments)
            } else {
                ("{}".to_owned(), Vec::new())
            };

            // The queue columns, as at submission.
            let (kind, commune_key, search) = if let Some(number) = &number {
                let mut text = format!("{number} {} {}", filer.full_name(), p.name);
                if let Some(siret) = &p.siret {
                    text.push(' ');
                    text.push_str(siret);
                }
                let key = Some(commune_keys[commune].clone()).filter(|k| !k.is_empty());
                (
                    Some(p.kind.as_str().to_owned()),
                    key,
                    Some(search_key(&text)),
                )
            } else {
                (None, None, None)
            };

            if filed {
                summary.filed += 1;
            }
            let followed = filed && rng.unit() < options.followed;
            if d == 0 && filed {
                let b = &mut summary.biggest;
                b.filed += 1;
                b.stages[status.stage() as usize] += 1;
                if followed {
                    b.followed += 1;
                }
                if b.number.is_empty()
                    && i >= count / 2
                    && let Some(n) = &number
                {
                    b.number = n.clone();
                }
                if b.name.is_empty() && i >= count / 3 && p.kind == ProfileKind::Particulier {
                    b.name = p.name.clone();
                }
            }

            dossier_rows.push([
                id.into(),
                dem.id.into(),
                dem.version_id.into(),
                profile_id.into(),
                Some(filer_id).into(),
                status.as_str().into(),
                number.into(),
                answers_json.into(),
                (path.len() as i32 + if filed { 0 } else { rng.below(4) as i32 }).into(),
                created.into(),
                updated.into(),
                submitted.into(),
                decided.into(),
                status.stage().into(),
                kind.into(),
                commune_key.into(),
                search.clone().into(),
            ]);
            if options.histories {
                event_rows.push([
                    id.into(),
                    Option::<String>::None.into(),
                    DossierStatus::Brouillon.as_str().into(),
                    Some(filer_id).into(),
                    Option::<String>::None.into(),
                    created.into(),
                ]);
                let mut from = DossierStatus::Brouillon;
                for ((to, actor), at) in path.iter().zip(&times) {
                    let author = match actor {
                        Actor::Filer => filer_id,
                        Actor::Instructor => INSTRUCTOR_ID,
                    };
                    event_rows.push([
                        id.into(),
                        Some(from.as_str().to_owned()).into(),
                        to.as_str().into(),
                        Some(author).into(),
                        event_message(*to, &mut rng).into(),
                        (*at).into(),
                    ]);
                    from = *to;
                }
            }
            let upload_end = submitted.unwrap_or(updated);
            for (path, files) in attachments {
                for n in 0..files {
                    file_number += 1;
                    let (kind, extension, _, smallest, largest) =
                        FILE_KINDS[rng.pick(&file_kind_weights)];
                    let size = smallest + rng.below(largest - smallest);
                    let room = (upload_end - created).whole_seconds().max(0) as usize;
                    let uploaded = created + secs(rng.below(room + 1));
                    let name = path
                        .rsplit('.')
                        .next()
                        .unwrap_or(path.as_str())
                        .replace('_', "-");
                    let suffix = if n > 0 {
                        format!("-{}", n + 1)
                    } else {
                        String::new()
                    };
                    file_rows.push([
                        id.into(),
                        path.clone().into(),
                        format!("{STORAGE_PREFIX}dossiers/{id}/{file_number:010}").into(),
                        format!("{name}{suffix}.{extension}").into(),
                        kind.into(),
                        (size as i64).into(),
                        sha256_like(&mut rng).into(),
                        Some(filer_id).into(),
                        uploaded.into(),
                    ]);
                }
            }
            if let Some(search) = &search {
                for word in search_words(search) {
                    word_rows.push([dem.id.into(), word.into(), id.into()]);
                }
            }
            if followed && let Some(submitted) = submitted {
                follower_rows.push([
                    INSTRUCTOR_ID.into(),
                    id.into(),
                    (submitted + secs(rng.below(5 * DAY))).into(),
                    Some(dem.id).into(),
                    Some(submitted).into(),
                ]);
            }
        }

        // The dossiers first: the other rows point at them.
        let txn = conn.begin().await?;
        let dossiers = dossier_rows.write(&txn).await?;
        let events = event_rows.write(&txn).await?;
        let files = file_rows.write(&txn).await?;
        let words = word_rows.write(&txn).await?;
        let followers = follower_rows.write(&txn).await?;
        txn.commit().await?;
        summary.dossiers += dossiers;
        summary.events += events;
        summary.files += files;
        summary.words += words;
        summary.followers += followers;
        total_rows += dossiers + events + files + words + followers;
        next = txn_end;
        if next - reported >= PROGRESS_ROWS || next == count {
            reported = next;
            report(
                "dossiers",
                &format!(
                    "{next} / {count}, with their events, files, words and follows {}",
                    rate(total_rows, step.elapsed())
                ),
            );
        }
    }

    // ------------------------------------------------------------ counters, statistics
    let step = Instant::now();
    let txn = conn.begin().await?;
    for (year, last) in &counters {
        conn_execute(
            &txn,
            "INSERT INTO \"dossier_counter\" (\"year\", \"last\") VALUES ($1, $2) \
             ON CONFLICT (\"year\") DO UPDATE SET \"last\" = excluded.\"last\"",
            [(*year).into(), (*last as i32).into()],
        )
        .await?;
    }
    recount(&txn).await?;
    txn.commit().await?;
    fix_sequences(conn).await?;
    conn.execute_unprepared("ANALYZE").await?;
    report(
        "counters, ANALYZE",
        &format!("{:.1} s", step.elapsed().as_secs_f64()),
    );
    summary.communes = communes;
    summary.elapsed = started.elapsed();
    report(
        "generation",
        &format!("{:.1} s in all", summary.elapsed.as_secs_f64()),
    );
    Ok(summary)
}

/// One statement written with PostgreSQL's `$n` placeholders, turned into `?` on SQLite.
async fn conn_execute<C: ConnectionTrait, const N: usize>(
    conn: &C,
    sql: &str,
    values: [Value; N],
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        placeholders(backend, sql),
        values,
    ))
    .await?;
    Ok(())
}

/// The integer column `n` of the first row of a query.
async fn read_i32<C: ConnectionTrait, const N: usize>(
    conn: &C,
    sql: &str,
    values: [Value; N],
) -> Result<i32, DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, sql),
            values,
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(sql.to_owned()))?;
    row.try_get::<i32>("", "n")
}

/// `$1`, `$2`… become `?` on SQLite (the statements here use each value once, in order).
fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend == DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// PostgreSQL: explicit ids leave the sequences behind; move them past the rows.
async fn fix_sequences(conn: &DatabaseConnection) -> Result<(), DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in ["account", "profile", "dossier"] {
        conn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dossiers::model::Transition;

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

    #[test]
    fn histories_follow_the_status_machine() {
        let mut rng = Rng(7);
        for status in DossierStatus::ALL {
            for _ in 0..200 {
                let path = history(status, &mut rng);
                let mut from = DossierStatus::Brouillon;
                for (to, actor) in &path {
                    assert!(
                        TRANSITIONS.iter().any(|t| from.apply(*t) == Some(*to)),
                        "{from:?} → {to:?} in {path:?}"
                    );
                    // The citizen files and answers; the instructor does the rest.
                    let by_filer =
                        matches!(to, DossierStatus::Depose | DossierStatus::ComplementsRecus);
                    assert_eq!(*actor == Actor::Filer, by_filer, "{to:?}");
                    from = *to;
                }
                assert_eq!(from, status, "{path:?}");
            }
        }
    }

    #[test]
    fn generated_answers_pass_the_checks_of_submission() {
        let today = crate::server::db::today();
        let mut rng = Rng(11);
        let filer = Person {
            first: 3,
            last: 12,
            commune: 5,
        };
        for (slug, source) in DEMO_DEMARCHES {
            let file = parse_demarche(source).expect("a demo démarche");
            let info = DemarcheInfo {
                id: 1,
                version_id: 1,
                attachments: attachment_fields(&file.form),
                form: file.form.clone(),
                kind_weights: vec![1.0],
                audience: Audience::Tous,
            };
            let pages = info.form.pages.len();
            for _ in 0..300 {
                let ctx = AnswerContext {
                    filer: &filer,
                    commune: "Valbourg",
                    postal_code: "26015",
                    created: now() - secs(rng.below(700) * DAY),
                };
                let answers = answers_for(&info.form, pages, &mut rng, &ctx);
                let mut counts = crate::forms::FileCounts::new();
                for (path, files) in attachments_for(&info, &answers, pages, &mut rng) {
                    counts.insert(path, files);
                }
                let problems = crate::forms::validate_all(&info.form, &answers, &counts, &today);
                assert!(problems.is_none(), "{slug}: {problems:?} in {answers:?}");
                // The stored form reads back.
                let json = serde_json::to_string(&answers).expect("json");
                let back: Answers = serde_json::from_str(&json).expect("answers");
                assert_eq!(back, answers);
            }
        }
    }

    #[test]
    fn generated_sirets_pass_the_luhn_check() {
        let mut rng = Rng(3);
        for _ in 0..1_000 {
            let s = siret(rng.next_u64());
            assert!(crate::profiles::model::check_siret(&s).is_ok(), "{s}");
        }
        assert!(crate::profiles::model::check_siret(&siret(2_126_000_000_000)).is_ok());
    }

    #[test]
    fn statements_use_each_backends_placeholders() {
        assert_eq!(
            insert_sql(DbBackend::Postgres, "t", &["a", "b"], 2),
            r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4)"#
        );
        assert_eq!(
            insert_sql(DbBackend::Sqlite, "t", &["a", "b"], 2),
            r#"INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?)"#
        );
        assert_eq!(
            placeholders(DbBackend::Sqlite, "VALUES ($1, $2) WHERE x = $10"),
            "VALUES (?, ?) WHERE x = ?"
        );
        assert_eq!(placeholders(DbBackend::Postgres, "a = $1"), "a = $1");
    }

    #[test]
    fn communes_have_distinct_names() {
        let names: std::collections::HashSet<String> = (0..400).map(commune_name).collect();
        assert_eq!(names.len(), 400);
        assert_eq!(commune_name(0), "Valbourg");
        assert_eq!(commune_name(41), "Saint-Martin-sur-Vère");
    }
}
