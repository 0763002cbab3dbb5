//! The back-office's reads and writes. Every function takes the calling account and
//! checks itself that it may see the démarche or the dossier: an instructor sees the
//! filed dossiers of the démarches of their services, an administrator every one.
//! Anything else is « not found », the same answer as for what does not exist.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, Query};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use time::OffsetDateTime;

use super::model::{
    Action, AnnotationRow, DemarcheCounts, DocumentLink, Flash, HistoryRow, InstructionView,
    MessageRow, QueueQuery, QueueRow, ReceivedRow, Tab, TabCounts,
};
use crate::account::model::Role;
use crate::admin::model::{AuditAction, EmailKind, EmailVars, render_custom};
use crate::demarches::model::fold;
use crate::dossiers::model::{DossierStatus, FileRow, format_size};
use crate::dossiers::service::{answers_of, file_row, files_of, form_of, status_of};
use crate::error::{AppError, FieldError};
use crate::forms;
use crate::profiles::model::ProfileKind;
use crate::server::audit::{Actor, Audit};
use crate::server::db::{format_date, format_datetime, now, paris};
use crate::server::entities::{
    account, demarche, demarche_service, document_read, dossier, dossier_annotation, dossier_count,
    dossier_event, dossier_follower, dossier_message, dossier_word, follow_count, message_file,
    profile, profile_member, received_document, service, service_member,
};
use crate::server::mail::{Action as MailAction, Template};
use crate::server::state::AppState;
use crate::server::uploads::Stored;

/// Rows of a queue page.
pub const PAGE_SIZE: u64 = 25;

/// The key of search columns: lower case, without accents.
pub fn search_key(text: &str) -> String {
    fold(text.trim())
}

fn full_name(a: &account::Model) -> String {
    format!("{} {}", a.first_name, a.last_name)
}

fn is_admin(account: &account::Model) -> bool {
    Role::parse(&account.role) == Some(Role::Admin)
}

fn is_staff(account: &account::Model) -> bool {
    Role::parse(&account.role).is_some_and(|r| r.includes(Role::Instructor))
}

// ---------------------------------------------------------------- access

/// The démarches the account instructs: those of its services (`None`: every démarche,
/// for an administrator). A citizen instructs nothing.
pub async fn instructed_demarches<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
) -> Result<Option<Vec<i32>>, AppError> {
    if !is_staff(account) {
        return Err(AppError::Forbidden);
    }
    if is_admin(account) {
        return Ok(None);
    }
    let services: Vec<i32> = service_member::Entity::find()
        .filter(service_member::Column::AccountId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.service_id)
        .collect();
    let mut ids: Vec<i32> = demarche_service::Entity::find()
        .filter(demarche_service::Column::ServiceId.is_in(services))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.demarche_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

/// The démarche, if the account instructs it (404 otherwise).
pub async fn require_demarche<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    demarche_id: i32,
) -> Result<demarche::Model, AppError> {
    instructed_demarche(account, demarche_id)?
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The query of a démarche if the account is an administrator or a member of one of its
/// services (no row otherwise); `Forbidden` for an account that is not staff.
fn instructed_demarche(
    account: &account::Model,
    demarche_id: i32,
) -> Result<sea_orm::Select<demarche::Entity>, AppError> {
    Ok(demarche::Entity::find_by_id(demarche_id).filter(instructs(
        account,
        demarche_id,
        (demarche::Entity, demarche::Column::Id),
    )?))
}

/// The condition « the account instructs démarche `demarche_id` » on a column that holds
/// its id: always true for an administrator, membership of one of its services for an
/// instructor; `Forbidden` for an account that is not staff.
fn instructs(
    account: &account::Model,
    demarche_id: i32,
    column: (impl sea_orm::Iden + 'static, impl sea_orm::Iden + 'static),
) -> Result<Condition, AppError> {
    if !is_staff(account) {
        return Err(AppError::Forbidden);
    }
    if is_admin(account) {
        return Ok(Condition::all());
    }
    Ok(Condition::all().add(
        Expr::col(column).in_subquery(
            Query::select()
                .column((
                    demarche_service::Entity,
                    demarche_service::Column::DemarcheId,
                ))
                .from(demarche_service::Entity)
                .inner_join(
                    service_member::Entity,
                    Expr::col((service_member::Entity, service_member::Column::ServiceId)).equals(
                        (
                            demarche_service::Entity,
                            demarche_service::Column::ServiceId,
                        ),
                    ),
                )
                .and_where(
                    Expr::col((service_member::Entity, service_member::Column::AccountId))
                        .eq(account.id),
                )
                .and_where(
                    Expr::col((
                        demarche_service::Entity,
                        demarche_service::Column::DemarcheId,
                    ))
                    .eq(demarche_id),
                )
                .to_owned(),
        ),
    ))
}

/// The démarche of a queue page with the counts of its tabs, in one query: the access
/// check of [`require_demarche`] and [`tab_counts`] as sub-queries.
async fn queue_header<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    demarche_id: i32,
) -> Result<(demarche::Model, TabCounts), AppError> {
    use sea_orm::QueryTrait;
    let select = with_tab_counts(instructed_demarche(account, demarche_id)?, account.id);
    let row = db
        .query_one(&select.into_query())
        .await?
        .ok_or_else(AppError::not_found)?;
    let demarche = demarche::Model::from_query_result(&row, "")?;
    let counts = tab_counts_of(&row)?;
    Ok((demarche, counts))
}

/// A filed dossier of a démarche the account instructs (404 otherwise, drafts too).
pub async fn require_dossier<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    dossier_id: i32,
) -> Result<dossier::Model, AppError> {
    let row = dossier::Entity::find_by_id(dossier_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if status_of(&row) == DossierStatus::Brouillon {
        return Err(AppError::not_found());
    }
    require_demarche(db, account, row.demarche_id).await?;
    Ok(row)
}

/// Whether the account may see the filed dossier as an instructor (no error).
pub async fn instructs_dossier<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    dossier_id: i32,
) -> Result<bool, AppError> {
    if !is_staff(account) {
        return Ok(false);
    }
    match require_dossier(db, account, dossier_id).await {
        Ok(_) => Ok(true),
        Err(AppError::NotFound(_) | AppError::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------- home and counts

#[derive(Debug)]
struct CountRow {
    demarche_id: i32,
    status: String,
    n: i64,
}

/// « Instruction »: the démarches the instructor handles, with counts per status.
pub async fn home(
    state: &AppState,
    account: &account::Model,
) -> Result<Vec<DemarcheCounts>, AppError> {
    let db = &state.db;
    let ids = instructed_demarches(db, account).await?;
    let mut query = demarche::Entity::find().order_by_asc(demarche::Column::Title);
    if let Some(ids) = &ids {
        query = query.filter(demarche::Column::Id.is_in(ids.clone()));
    }
    let demarches = query.all(db).await?;
    let demarche_ids: Vec<i32> = demarches.iter().map(|d| d.id).collect();
    let counts: Vec<CountRow> = dossier_count::Entity::find()
        .filter(dossier_count::Column::DemarcheId.is_in(demarche_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| CountRow {
            demarche_id: c.demarche_id,
            status: c.status,
            n: c.n,
        })
        .collect();
    let links = demarche_service::Entity::find()
        .filter(demarche_service::Column::DemarcheId.is_in(demarche_ids))
        .all(db)
        .await?;
    let service_names: HashMap<i32, String> = service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let followed = followed_counts(db, account.id).await?;
    Ok(demarches
        .into_iter()
        .map(|d| {
            let mut by_status = Vec::new();
            let mut tabs = TabCounts::default();
            for status in DossierStatus::ALL.into_iter().skip(1) {
                let n = counts
                    .iter()
                    .find(|c| c.demarche_id == d.id && c.status == status.as_str())
                    .map(|c| u64::try_from(c.n).unwrap_or(0))
                    .unwrap_or(0);
                by_status.push((status, n));
                match status.stage() {
                    1 => tabs.a_traiter += n,
                    2 => tabs.en_cours += n,
                    _ => tabs.traites += n,
                }
            }
            tabs.suivis = followed.get(&d.id).copied().unwrap_or(0);
            let mut services: Vec<String> = links
                .iter()
                .filter(|l| l.demarche_id == d.id)
                .filter_map(|l| service_names.get(&l.service_id).cloned())
                .collect();
            services.sort();
            DemarcheCounts {
                id: d.id,
                title: d.title,
                services,
                by_status,
                counts: tabs,
            }
        })
        .filter(|d| !d.services.is_empty() || is_admin(account))
        .collect())
}

/// How many filed dossiers the account follows, by démarche (kept by [`follow`]).
async fn followed_counts<C: ConnectionTrait>(
    db: &C,
    account_id: i32,
) -> Result<HashMap<i32, u64>, AppError> {
    Ok(follow_count::Entity::find()
        .filter(follow_count::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.demarche_id, u64::try_from(r.n).unwrap_or(0)))
        .collect())
}

/// The number of dossiers in each tab of a démarche's queue.
pub async fn tab_counts<C: ConnectionTrait>(
    db: &C,
    demarche_id: i32,
    account_id: i32,
) -> Result<TabCounts, AppError> {
    use sea_orm::QueryTrait;
    let select = with_tab_counts(
        demarche::Entity::find_by_id(demarche_id).select_only(),
        account_id,
    );
    match db.query_one(&select.into_query()).await? {
        Some(row) => tab_counts_of(&row),
        None => Ok(TabCounts::default()),
    }
}

/// Adds to a query of démarches the four tab counts of each (read from the kept
/// counters, `dossier_count` and `account_id`'s `follow_count`) as sub-queries; read
/// them back with [`tab_counts_of`].
fn with_tab_counts(
    select: sea_orm::Select<demarche::Entity>,
    account_id: i32,
) -> sea_orm::Select<demarche::Entity> {
    tab_count_columns("demarche.id", account_id)
        .into_iter()
        .fold(select, |select, (expr, name)| select.expr_as(expr, name))
}

/// The four tab counts of the démarche whose id is the SQL `demarche` (a column, or an
/// integer of ours), as sub-queries of the kept counters (`dossier_count`, and
/// `account_id`'s `follow_count`), with their column names.
fn tab_count_columns(demarche: &str, account_id: i32) -> [(Expr, &'static str); 4] {
    // The statuses of a tab, as SQL string literals (fixed names, nothing typed).
    let statuses = |stage: i16| {
        DossierStatus::ALL
            .into_iter()
            .filter(|s| s.stage() == stage)
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let count = |stage: i16| {
        Expr::cust(format!(
            "CAST(COALESCE((SELECT SUM(n) FROM dossier_count WHERE dossier_count.demarche_id = \
             {demarche} AND dossier_count.status IN ({})), 0) AS BIGINT)",
            statuses(stage)
        ))
    };
    [
        (count(1), "tab_a_traiter"),
        (count(2), "tab_en_cours"),
        (count(3), "tab_traites"),
        (
            // The account id is an integer written as such (nothing typed either).
            Expr::cust(format!(
                "CAST(COALESCE((SELECT n FROM follow_count WHERE follow_count.demarche_id = \
                 {demarche} AND follow_count.account_id = {account_id}), 0) AS BIGINT)"
            )),
            "tab_suivis",
        ),
    ]
}

/// The tab counts of a row of [`with_tab_counts`].
fn tab_counts_of(row: &sea_orm::QueryResult) -> Result<TabCounts, AppError> {
    let n = |column: &str| -> Result<u64, AppError> {
        Ok(u64::try_from(row.try_get::<i64>("", column)?).unwrap_or(0))
    };
    Ok(TabCounts {
        a_traiter: n("tab_a_traiter")?,
        en_cours: n("tab_en_cours")?,
        traites: n("tab_traites")?,
        suivis: n("tab_suivis")?,
    })
}

/// Keeps `dossier_count` right in the transaction of a status change: one less for
/// `from` (a filed status), one more for `to`.
pub async fn count_change<C: ConnectionTrait>(
    db: &C,
    demarche_id: i32,
    from: DossierStatus,
    to: DossierStatus,
) -> Result<(), AppError> {
    // The two counters are locked in the order of their status names, whatever the
    // direction of the transition: two instructors moving dossiers in opposite
    // directions at the same moment then wait for each other instead of deadlocking
    // (PostgreSQL would abort one of them).
    let mut steps = vec![(to, true)];
    if from != DossierStatus::Brouillon {
        steps.push((from, false));
    }
    steps.sort_by_key(|(status, _)| status.as_str());
    for (status, up) in steps {
        if up {
            dossier_count::Entity::insert(dossier_count::ActiveModel {
                demarche_id: Set(demarche_id),
                status: Set(status.as_str().to_owned()),
                n: Set(1),
            })
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    dossier_count::Column::DemarcheId,
                    dossier_count::Column::Status,
                ])
                .value(
                    dossier_count::Column::N,
                    Expr::col((dossier_count::Entity, dossier_count::Column::N)).add(1),
                )
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        } else {
            dossier_count::Entity::update_many()
                .col_expr(
                    dossier_count::Column::N,
                    Expr::col(dossier_count::Column::N).sub(1),
                )
                .filter(dossier_count::Column::DemarcheId.eq(demarche_id))
                .filter(dossier_count::Column::Status.eq(status.as_str()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Counts every filed dossier and every follow again (after a bulk import, or to repair
/// the counters).
pub async fn recount<C: ConnectionTrait>(db: &C) -> Result<(), AppError> {
    db.execute_unprepared("DELETE FROM dossier_count").await?;
    db.execute_unprepared(
        "INSERT INTO dossier_count (demarche_id, status, n) \
         SELECT demarche_id, status, COUNT(*) FROM dossier WHERE stage > 0 \
         GROUP BY demarche_id, status",
    )
    .await?;
    db.execute_unprepared("DELETE FROM follow_count").await?;
    db.execute_unprepared(
        "INSERT INTO follow_count (account_id, demarche_id, n) \
         SELECT account_id, demarche_id, COUNT(*) FROM dossier_follower \
         WHERE demarche_id IS NOT NULL GROUP BY account_id, demarche_id",
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- queue

/// The queue's filters once read.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub tab: Tab,
    pub status: Option<DossierStatus>,
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub until: Option<OffsetDateTime>,
    pub kind: Option<ProfileKind>,
    pub commune: Option<String>,
    pub number: Option<String>,
    pub words: Vec<String>,
    pub oldest_first: bool,
    pub after: Option<(OffsetDateTime, i32)>,
}

impl Filters {
    /// Whether a filter or a search narrows the tab (its order and cursor do not).
    /// Every field is named, so that a filter added to `Filters` must be placed here.
    fn narrows(&self) -> bool {
        let Filters {
            tab: _,
            status,
            from,
            until,
            kind,
            commune,
            number,
            words,
            oldest_first: _,
            after: _,
        } = self;
        status.is_some()
            || from.is_some()
            || until.is_some()
            || kind.is_some()
            || commune.is_some()
            || number.is_some()
            || !words.is_empty()
    }
}

/// Midnight in Paris of a `YYYY-MM-DD` date, in UTC; `next` gives the next midnight.
fn paris_midnight(date: &str, next: bool) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut day = time::Date::parse(date.trim(), &format).ok()?;
    if next {
        day = day.next_day()?;
    }
    let noon = day.with_hms(12, 0, 0).ok()?.assume_utc();
    // The offset of Paris that day (winter +1, summer +2).
    let offset = paris(noon).offset();
    Some(
        day.midnight()
            .assume_offset(offset)
            .to_offset(time::UtcOffset::UTC),
    )
}

/// `2026-000123`, also typed `2026-123` or `2026 123`.
fn dossier_number(text: &str) -> Option<String> {
    let text = text.trim();
    let (year, rest) = text.split_once(['-', ' '])?;
    if year.len() != 4 || !year.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim();
    if rest.is_empty() || rest.len() > 6 || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u32 = rest.parse().ok()?;
    Some(format!("{year}-{n:06}"))
}

/// Reads the queue's query; what cannot be read is reported next to its field.
pub fn parse_filters(query: &QueueQuery) -> (Filters, Vec<FieldError>) {
    let mut errors = Vec::new();
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut filters = Filters {
        tab: query.tab(),
        oldest_first: query.oldest_first(),
        ..Default::default()
    };
    if let Some(s) = filled(&query.statut) {
        filters.status = DossierStatus::parse(&s).filter(|s| *s != DossierStatus::Brouillon);
    }
    if let Some(d) = filled(&query.du) {
        match paris_midnight(&d, false) {
            Some(t) => filters.from = Some(t),
            None => errors.push(FieldError {
                field: "du".into(),
                message: "Saisissez une date valide (jour, mois, année).".into(),
            }),
        }
    }
    if let Some(d) = filled(&query.au) {
        match paris_midnight(&d, true) {
            Some(t) => filters.until = Some(t),
            None => errors.push(FieldError {
                field: "au".into(),
                message: "Saisissez une date valide (jour, mois, année).".into(),
            }),
        }
    }
    if let (Some(from), Some(until)) = (filters.from, filters.until)
        && until <= from
    {
        errors.push(FieldError {
            field: "au".into(),
            message: "La date de fin doit être après la date de début.".into(),
        });
        filters.until = None;
    }
    filters.kind = filled(&query.type_profil).and_then(|k| ProfileKind::parse(&k));
    filters.commune = filled(&query.commune).map(|c| search_key(&c));
    if let Some(q) = filled(&query.q) {
        match dossier_number(&q) {
            Some(number) => filters.number = Some(number),
            None => {
                let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
                if digits.len() == 14 && digits.chars().all(|c| c.is_ascii_digit()) {
                    filters.words = vec![digits];
                } else {
                    filters.words = search_key(&q)
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .take(6)
                        .collect();
                }
            }
        }
    }
    filters.after = query.apres.as_deref().and_then(decode_cursor);
    (filters, errors)
}

/// The keyset cursor of a row: its submission time (unix nanoseconds) and id.
pub fn encode_cursor(submitted_at: OffsetDateTime, id: i32) -> String {
    format!("{}_{id}", submitted_at.unix_timestamp_nanos())
}

pub fn decode_cursor(cursor: &str) -> Option<(OffsetDateTime, i32)> {
    let (nanos, id) = cursor.split_once('_')?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}

#[derive(Debug, FromQueryResult)]
struct QueueDbRow {
    id: i32,
    number: Option<String>,
    status: String,
    submitted_at: Option<OffsetDateTime>,
    profile_name: Option<String>,
    profile_kind: Option<String>,
    filer_first_name: Option<String>,
    filer_last_name: Option<String>,
    /// The dossier's id when the instructor follows it.
    followed_id: Option<i32>,
}

/// The condition of a queue (everything but the cursor).
fn queue_condition(demarche_id: i32, account_id: i32, f: &Filters) -> Condition {
    let mut c = Condition::all().add(dossier::Column::DemarcheId.eq(demarche_id));
    match f.tab.stage() {
        Some(stage) => c = c.add(dossier::Column::Stage.eq(stage)),
        None => c = c.add(dossier::Column::SubmittedAt.is_not_null()),
    }
    if f.tab == Tab::Suivis {
        // Walks the follower index (account, démarche, submitted_at, dossier).
        c = c
            .add(dossier_follower::Column::AccountId.eq(account_id))
            .add(dossier_follower::Column::DemarcheId.eq(demarche_id));
    }
    if let Some(s) = f.status {
        c = c.add(dossier::Column::Status.eq(s.as_str()));
    }
    if let Some(from) = f.from {
        c = c.add(dossier::Column::SubmittedAt.gte(from));
    }
    if let Some(until) = f.until {
        c = c.add(dossier::Column::SubmittedAt.lt(until));
    }
    if let Some(kind) = f.kind {
        c = c.add(dossier::Column::ProfileKind.eq(kind.as_str()));
    }
    if let Some(commune) = &f.commune {
        c = c.add(dossier::Column::CommuneKey.eq(commune.clone()));
    }
    if let Some(number) = &f.number {
        c = c.add(dossier::Column::Number.eq(number.clone()));
    }
    for word in &f.words {
        c = c.add(dossier::Column::Id.in_subquery(word_subquery(demarche_id, word)));
    }
    c
}

/// The dossiers of a démarche having a word that starts with `prefix`: an index range
/// `[prefix, next)` on (demarche_id, word).
fn word_subquery(demarche_id: i32, prefix: &str) -> sea_orm::sea_query::SelectStatement {
    let mut q = Query::select();
    q.column(dossier_word::Column::DossierId)
        .from(dossier_word::Entity)
        .and_where(dossier_word::Column::DemarcheId.eq(demarche_id))
        .and_where(dossier_word::Column::Word.gte(prefix));
    if let Some(next) = prefix_successor(prefix) {
        q.and_where(dossier_word::Column::Word.lt(next));
    }
    q.to_owned()
}

/// The smallest string greater than every string starting with `prefix`.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The words of a dossier's search text, each once.
pub fn search_words(search_text: &str) -> Vec<String> {
    let mut words: Vec<String> = search_text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(100).collect())
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Writes the search words of a filed dossier (at submission).
pub async fn index_words<C: ConnectionTrait>(
    db: &C,
    demarche_id: i32,
    dossier_id: i32,
    search_text: &str,
) -> Result<(), AppError> {
    let words = search_words(search_text);
    if words.is_empty() {
        return Ok(());
    }
    dossier_word::Entity::insert_many(words.into_iter().map(|word| dossier_word::ActiveModel {
        demarche_id: Set(demarche_id),
        word: Set(word),
        dossier_id: Set(dossier_id),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Rows after the cursor in the queue's order: a row-value comparison, which both
/// SQLite and PostgreSQL turn into an index range on (…, submitted_at, id).
fn after_cursor(oldest_first: bool, followed: bool, at: OffsetDateTime, id: i32) -> Expr {
    let row = if followed {
        Expr::tuple([
            Expr::col((
                dossier_follower::Entity,
                dossier_follower::Column::SubmittedAt,
            )),
            Expr::col((
                dossier_follower::Entity,
                dossier_follower::Column::DossierId,
            )),
        ])
    } else {
        Expr::tuple([
            Expr::col((dossier::Entity, dossier::Column::SubmittedAt)),
            Expr::col((dossier::Entity, dossier::Column::Id)),
        ])
    };
    let cursor = Expr::tuple([Expr::val(at), Expr::val(id)]);
    if oldest_first {
        row.gt(cursor)
    } else {
        row.lt(cursor)
    }
}

/// The dossiers of a queue, in its order, after its cursor. « Suivis par moi » joins
/// the follower rows and walks their index; the other tabs walk the dossier's.
fn queue_select(
    demarche_id: i32,
    account_id: i32,
    f: &Filters,
) -> sea_orm::Select<dossier::Entity> {
    let followed = f.tab == Tab::Suivis;
    let mut select = dossier::Entity::find();
    if followed {
        select = select.join_rev(
            sea_orm::JoinType::InnerJoin,
            dossier_follower::Entity::belongs_to(dossier::Entity)
                .from(dossier_follower::Column::DossierId)
                .to(dossier::Column::Id)
                .into(),
        );
    }
    select = select.filter(queue_condition(demarche_id, account_id, f));
    if let Some((at, id)) = f.after {
        select = select.filter(after_cursor(f.oldest_first, followed, at, id));
    }
    let order = if f.oldest_first {
        sea_orm::Order::Asc
    } else {
        sea_orm::Order::Desc
    };
    if followed {
        select
            .order_by(dossier_follower::Column::SubmittedAt, order.clone())
            .order_by(dossier_follower::Column::DossierId, order)
    } else {
        select
            .order_by(dossier::Column::SubmittedAt, order.clone())
            .order_by(dossier::Column::Id, order)
    }
}

/// Reads at most `limit` rows of a queue's select.
///
/// The page size is written into the SQL rather than bound: PostgreSQL plans a prepared
/// statement whose `LIMIT` is a parameter as if it could return a tenth of the démarche.
/// On PostgreSQL, an unfiltered queue (a tab, maybe a cursor: the page every instructor
/// opens) also runs with a generic plan, for this statement only (`SET LOCAL` in a
/// transaction of its own): left to choose, PostgreSQL planned it again at every page,
/// 0.8–2 ms of planning for 0.3–0.7 ms of reading (the bench's queue page was half as
/// fast as on SQLite), while its generic plan is the same backward scan of the tab's
/// index. Filtered and searched queues keep a plan made for their values, whose
/// selectivity varies.
async fn page_of_queue<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    select: sea_orm::Select<dossier::Entity>,
    f: &Filters,
    limit: u64,
) -> Result<Vec<sea_orm::QueryResult>, AppError> {
    use sea_orm::{DbBackend, QueryTrait, TransactionSession};
    let backend = db.get_database_backend();
    let mut statement = select.build(backend);
    // An integer of ours, not a value from the request.
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    if backend == DbBackend::Postgres && !f.narrows() {
        let txn = db.begin().await?;
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
            .await?;
        let rows = txn.query_all_raw(statement).await?;
        txn.commit().await?;
        Ok(rows)
    } else {
        Ok(db.query_all_raw(statement).await?)
    }
}

/// One page of a démarche's queue (no access check: callers check first), and the
/// cursor of the next page. Keyset pagination on (submitted_at, id) inside one index
/// prefix per tab and filter: a deep page costs what the first one does.
pub async fn queue_rows<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    demarche_id: i32,
    account_id: i32,
    query: &QueueQuery,
    limit: u64,
) -> Result<(Vec<QueueRow>, Option<String>), AppError> {
    let (filters, _) = parse_filters(query);
    let (rows, next, _) =
        queue_page_rows(db, demarche_id, account_id, None, &filters, limit).await?;
    Ok((rows, next))
}

/// What a queue page shows above its rows: the démarche's title and its tab counts.
struct QueueHeader {
    title: String,
    counts: TabCounts,
}

/// One page of a queue, its next cursor, and with `header_for` the page's header read in
/// the same query (one round trip less per page: the header's columns are sub-queries
/// that do not depend on the row, which SQLite and PostgreSQL compute once). The rows are
/// then those of a démarche the account instructs; a page without rows has no header
/// (the caller reads it alone, and learns whether the account may see the démarche).
async fn queue_page_rows<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    demarche_id: i32,
    account_id: i32,
    header_for: Option<&account::Model>,
    f: &Filters,
    limit: u64,
) -> Result<(Vec<QueueRow>, Option<String>, Option<QueueHeader>), AppError> {
    use sea_orm::JoinType::LeftJoin;
    // One query: the rows with their profile's name, their filer's name and whether the
    // instructor follows them (« Suivis par moi » has joined the follower rows already).
    let mut select = queue_select(demarche_id, account_id, f)
        .select_only()
        .columns([
            dossier::Column::Id,
            dossier::Column::Number,
            dossier::Column::Status,
            dossier::Column::SubmittedAt,
        ])
        .join(
            LeftJoin,
            dossier::Entity::belongs_to(profile::Entity)
                .from(dossier::Column::ProfileId)
                .to(profile::Column::Id)
                .into(),
        )
        .column_as(profile::Column::Name, "profile_name")
        .column_as(profile::Column::Kind, "profile_kind")
        .join(
            LeftJoin,
            dossier::Entity::belongs_to(account::Entity)
                .from(dossier::Column::CreatedBy)
                .to(account::Column::Id)
                .into(),
        )
        .column_as(account::Column::FirstName, "filer_first_name")
        .column_as(account::Column::LastName, "filer_last_name");
    if f.tab != Tab::Suivis {
        select = select.join_rev(
            LeftJoin,
            dossier_follower::Entity::belongs_to(dossier::Entity)
                .from(dossier_follower::Column::DossierId)
                .to(dossier::Column::Id)
                .on_condition(move |_, _| {
                    Expr::col((
                        dossier_follower::Entity,
                        dossier_follower::Column::AccountId,
                    ))
                    .eq(account_id)
                    .into_condition()
                })
                .into(),
        );
    }
    let mut select = select.column_as(
        Expr::col((
            dossier_follower::Entity,
            dossier_follower::Column::DossierId,
        )),
        "followed_id",
    );
    if let Some(account) = header_for {
        select = select
            .filter(instructs(
                account,
                demarche_id,
                (dossier::Entity, dossier::Column::DemarcheId),
            )?)
            .expr_as(
                // An integer of ours, not a value from the request.
                Expr::cust(format!(
                    "(SELECT demarche.title FROM demarche WHERE demarche.id = {demarche_id})"
                )),
                "demarche_title",
            );
        for (expr, name) in tab_count_columns(&demarche_id.to_string(), account_id) {
            select = select.expr_as(expr, name);
        }
    }
    let raw = page_of_queue(db, select, f, limit + 1).await?;
    let header = match (header_for, raw.first()) {
        (Some(_), Some(first)) => Some(QueueHeader {
            title: first.try_get("", "demarche_title")?,
            counts: tab_counts_of(first)?,
        }),
        _ => None,
    };
    let mut rows = raw
        .iter()
        .map(|row| QueueDbRow::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .and_then(|r| r.submitted_at.map(|at| encode_cursor(at, r.id)))
    } else {
        None
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let filer = match (r.filer_first_name, r.filer_last_name) {
                (Some(first), Some(last)) => format!("{first} {last}"),
                _ => "Compte supprimé".into(),
            };
            let kind = r
                .profile_kind
                .as_deref()
                .and_then(ProfileKind::parse)
                .unwrap_or(ProfileKind::Particulier);
            QueueRow {
                id: r.id,
                number: r.number.unwrap_or_default(),
                status: DossierStatus::parse(&r.status).unwrap_or(DossierStatus::Depose),
                submitted: r.submitted_at.map(format_date).unwrap_or_default(),
                profile_name: match kind {
                    ProfileKind::Particulier => filer.clone(),
                    _ => r.profile_name.unwrap_or_default(),
                },
                profile_kind: kind.label().to_owned(),
                filer,
                followed: r.followed_id.is_some(),
            }
        })
        .collect();
    Ok((rows, next, header))
}

/// A démarche's queue page, for the instructor.
pub async fn queue(
    state: &AppState,
    account: &account::Model,
    demarche_id: i32,
    query: QueueQuery,
    notice: Option<String>,
) -> Result<super::model::QueuePage, AppError> {
    let (filters, filter_errors) = parse_filters(&query);
    let (rows, next, header) = queue_page_rows(
        &state.db,
        demarche_id,
        account.id,
        Some(account),
        &filters,
        PAGE_SIZE,
    )
    .await?;
    // A page without rows (an empty tab, a search that finds nothing, a démarche the
    // account may not see) reads its header alone: that query says « not found ».
    let QueueHeader { title, counts } = match header {
        Some(header) => header,
        None => {
            let (demarche, counts) = queue_header(&state.db, account, demarche_id).await?;
            QueueHeader {
                title: demarche.title,
                counts,
            }
        }
    };
    Ok(super::model::QueuePage {
        demarche_id,
        demarche_title: title,
        query,
        rows,
        next,
        counts,
        filter_errors,
        notice,
    })
}

/// Walks every dossier of a queue in pages (for the CSV export), calling `each` with
/// the rows of a batch; memory stays that of one batch.
pub async fn for_each_batch<F, Fut>(
    db: &sea_orm::DatabaseConnection,
    demarche_id: i32,
    account_id: i32,
    query: &QueueQuery,
    batch: u64,
    mut each: F,
) -> Result<(), AppError>
where
    F: FnMut(Vec<dossier::Model>) -> Fut,
    Fut: std::future::Future<Output = Result<bool, AppError>>,
{
    let (mut filters, _) = parse_filters(query);
    filters.after = None;
    loop {
        let select = queue_select(demarche_id, account_id, &filters);
        let rows = select.limit(batch).all(db).await?;
        let done = (rows.len() as u64) < batch;
        filters.after = rows
            .last()
            .and_then(|r| r.submitted_at.map(|at| (at, r.id)));
        if rows.is_empty() || !each(rows).await? || done || filters.after.is_none() {
            return Ok(());
        }
    }
}

// ---------------------------------------------------------------- a dossier

async fn names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, account::Model>, AppError> {
    let ids: HashSet<i32> = ids.into_iter().collect();
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect())
}

fn author_label(accounts: &HashMap<i32, account::Model>, id: Option<i32>, staff: bool) -> String {
    match id.and_then(|id| accounts.get(&id)) {
        Some(a) if staff => format!("{} (Département)", full_name(a)),
        Some(a) => full_name(a),
        None if staff => "Le Département".into(),
        None => "Compte supprimé".into(),
    }
}

/// The message thread of a dossier (both sides see it).
pub async fn thread<C: ConnectionTrait>(
    db: &C,
    dossier_id: i32,
) -> Result<Vec<MessageRow>, AppError> {
    let messages = dossier_message::Entity::find()
        .filter(dossier_message::Column::DossierId.eq(dossier_id))
        .order_by_asc(dossier_message::Column::Id)
        .all(db)
        .await?;
    let files = message_file::Entity::find()
        .filter(message_file::Column::DossierId.eq(dossier_id))
        .order_by_asc(message_file::Column::Id)
        .all(db)
        .await?;
    let accounts = names(db, messages.iter().filter_map(|m| m.author_id)).await?;
    Ok(messages
        .into_iter()
        .map(|m| MessageRow {
            id: m.id,
            author: author_label(&accounts, m.author_id, m.from_instructor),
            from_instructor: m.from_instructor,
            body: m.body,
            date: format_datetime(m.created_at),
            files: files
                .iter()
                .filter(|f| f.message_id == m.id)
                .map(message_file_row)
                .collect(),
        })
        .collect())
}

fn message_file_row(f: &message_file::Model) -> FileRow {
    FileRow {
        id: f.id,
        field_path: String::new(),
        name: f.original_name.clone(),
        size: format_size(u64::try_from(f.size_bytes).unwrap_or(0)),
        kind: crate::server::uploads::sniff::FileKind::from_extension(&f.kind)
            .map(|k| k.label().to_owned())
            .unwrap_or_else(|| "fichier".into()),
    }
}

/// A dossier in the back-office.
pub async fn detail(
    state: &AppState,
    account: &account::Model,
    id: i32,
    flash: Flash,
) -> Result<InstructionView, AppError> {
    let db = &state.db;
    let row = require_dossier(db, account, id).await?;
    let status = status_of(&row);
    let (demarche, def) = form_of(db, &row).await?;
    let answers = answers_of(&row);
    let files = files_of(db, id).await?;
    let profile = profile::Entity::find_by_id(row.profile_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal_msg("dossier without profile"))?;
    let events = dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(id))
        .order_by_asc(dossier_event::Column::Id)
        .all(db)
        .await?;
    let annotations = dossier_annotation::Entity::find()
        .filter(dossier_annotation::Column::DossierId.eq(id))
        .order_by_asc(dossier_annotation::Column::Id)
        .all(db)
        .await?;
    let followers = dossier_follower::Entity::find()
        .filter(dossier_follower::Column::DossierId.eq(id))
        .all(db)
        .await?;
    let documents = received_document::Entity::find()
        .filter(received_document::Column::DossierId.eq(id))
        .order_by_asc(received_document::Column::Id)
        .all(db)
        .await?;
    let accounts = names(
        db,
        events
            .iter()
            .filter_map(|e| e.account_id)
            .chain(annotations.iter().filter_map(|a| a.author_id))
            .chain(followers.iter().map(|f| f.account_id))
            .chain(row.created_by),
    )
    .await?;
    let filer = row.created_by.and_then(|id| accounts.get(&id));
    let kind = ProfileKind::parse(&profile.kind).unwrap_or(ProfileKind::Particulier);
    let mut details = Vec::new();
    if let Some(siret) = &profile.siret {
        details.push(("SIRET".to_owned(), siret.clone()));
    }
    let address = match kind {
        ProfileKind::Particulier => filer.map(|a| {
            (
                a.address_line.clone(),
                a.postal_code.clone(),
                a.commune.clone(),
            )
        }),
        _ => Some((
            profile.address_line.clone(),
            profile.postal_code.clone(),
            profile.commune.clone(),
        )),
    };
    if let Some((line, code, commune)) = address {
        let text = [line, code.zip(commune).map(|(c, t)| format!("{c} {t}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        if !text.is_empty() {
            details.push(("Adresse".to_owned(), text));
        }
    }
    let history = events
        .iter()
        // The draft's creation is not part of the filed dossier's history.
        .filter(|e| e.from_status.is_some())
        .map(|e| {
            let staff = e
                .account_id
                .and_then(|id| accounts.get(&id))
                .is_some_and(is_staff);
            HistoryRow {
                date: format_datetime(e.created_at),
                status: DossierStatus::parse(&e.to_status).unwrap_or(status),
                author: author_label(&accounts, e.account_id, staff),
                message: e.message.clone(),
                document: e.document_id.and_then(|d| {
                    documents
                        .iter()
                        .find(|doc| doc.id == d)
                        .map(|doc| DocumentLink {
                            id: doc.id,
                            title: doc.title.clone(),
                        })
                }),
            }
        })
        .collect();
    Ok(InstructionView {
        id,
        number: row.number.clone().unwrap_or_default(),
        status,
        lock_version: row.lock_version,
        demarche_id: demarche.id,
        demarche_title: demarche.title,
        profile_name: match kind {
            ProfileKind::Particulier => filer.map(full_name).unwrap_or_default(),
            _ => profile.name.clone(),
        },
        profile_kind: kind.label().to_owned(),
        profile_details: details,
        filer_name: filer
            .map(full_name)
            .unwrap_or_else(|| "Compte supprimé".into()),
        filer_email: filer.map(|a| a.email.clone()).unwrap_or_default(),
        submitted: row.submitted_at.map(format_datetime).unwrap_or_default(),
        pages: forms::review(&def, &answers),
        files: files.iter().map(file_row).collect(),
        history,
        messages: thread(db, id).await?,
        annotations: annotations
            .into_iter()
            .map(|a| AnnotationRow {
                author: author_label(&accounts, a.author_id, true),
                body: a.body,
                date: format_datetime(a.created_at),
            })
            .collect(),
        followed_by_me: followers.iter().any(|f| f.account_id == account.id),
        followers: followers
            .iter()
            .filter_map(|f| accounts.get(&f.account_id).map(full_name))
            .collect(),
        actions: Action::allowed_from(status),
        documents: documents
            .into_iter()
            .map(|d| DocumentLink {
                id: d.id,
                title: d.title,
            })
            .collect(),
        flash,
        max_file_mb: state.settings.max_file_bytes / 1_000_000,
    })
}

// ---------------------------------------------------------------- emails

/// The filer and every member of the profile (each address once).
async fn citizen_recipients<C: ConnectionTrait>(
    db: &C,
    row: &dossier::Model,
) -> Result<Vec<String>, AppError> {
    let members: Vec<i32> = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(row.profile_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .chain(row.created_by)
        .collect();
    let mut emails: Vec<String> = account::Entity::find()
        .filter(account::Column::Id.is_in(members))
        .filter(account::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.email)
        .collect();
    emails.sort();
    emails.dedup();
    Ok(emails)
}

/// The instructors who follow the dossier.
async fn follower_emails<C: ConnectionTrait>(
    db: &C,
    dossier_id: i32,
    except: i32,
) -> Result<Vec<String>, AppError> {
    let ids: Vec<i32> = dossier_follower::Entity::find()
        .filter(dossier_follower::Column::DossierId.eq(dossier_id))
        .filter(dossier_follower::Column::AccountId.ne(except))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.account_id)
        .collect();
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .filter(account::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.email)
        .collect())
}

fn dossier_link(state: &AppState, id: i32) -> MailAction {
    MailAction {
        label: "Voir mon dossier".into(),
        url: format!("{}/mon-compte/dossiers/{id}", state.settings.public_url),
    }
}

/// The explanatory email of a status change: the démarche's custom text when an
/// administrator wrote one (`custom`: subject and body with `{variables}`), the
/// portal's otherwise. `vars.lien` is the dossier's page. A refusal always carries
/// the means of recourse, and a document always says where to find it.
pub fn status_email_with(
    _state: &AppState,
    to: DossierStatus,
    vars: &EmailVars,
    document: Option<&str>,
    custom: Option<(String, String)>,
) -> Template {
    let number = &vars.numero;
    let message = Some(vars.message.trim()).filter(|m| !m.is_empty());
    let document_paragraph = document.map(|title| format!(
        "Un document vous est adressé : « {title} ». Vous le trouverez dans « Mon compte », rubrique « Mes documents reçus »."
    ));
    let recourse = "Si vous contestez cette décision, vous pouvez former un recours gracieux auprès du Président du Département, ou un recours contentieux devant le tribunal administratif, dans un délai de deux mois.";
    let action = Some(MailAction {
        label: "Voir mon dossier".into(),
        url: vars.lien.clone(),
    });
    if let Some((subject, body)) = custom {
        let (subject, mut paragraphs) = render_custom(&subject, &body, vars);
        paragraphs.extend(document_paragraph);
        if to == DossierStatus::Refuse {
            paragraphs.push(recourse.to_owned());
        }
        return Template::Notification {
            heading: subject.clone(),
            subject,
            paragraphs,
            action,
        };
    }
    let mut paragraphs = vec![if to == DossierStatus::Depose {
        format!(
            "Votre dossier n° {number} (« {} ») a bien été déposé.",
            vars.demarche
        )
    } else {
        format!(
            "Le statut de votre dossier n° {number} (« {} ») a changé. Il est maintenant : {}.",
            vars.demarche,
            to.label().to_lowercase()
        )
    }];
    if let Some(message) = message {
        paragraphs.push(format!("Message des services instructeurs : « {message} »"));
    }
    paragraphs.extend(document_paragraph);
    paragraphs.push(match to {
        DossierStatus::ComplementsDemandes => "Ce que vous devez faire : ouvrez votre dossier, complétez-le comme demandé, puis cliquez sur « Transmettre les compléments ». Tant que vous ne l’avez pas fait, l’examen de votre dossier est suspendu.".to_owned(),
        DossierStatus::Refuse => recourse.to_owned(),
        DossierStatus::Depose => "Les services du Département vont examiner votre dossier. Vous recevrez un courriel à chaque changement de son statut.".to_owned(),
        s => format!("Et maintenant ? {}", s.next_step()),
    });
    let heading = match to {
        DossierStatus::Depose => format!("Votre dossier {number} a bien été déposé"),
        DossierStatus::ComplementsDemandes => {
            format!("Des compléments sont demandés pour votre dossier {number}")
        }
        DossierStatus::EnInstruction => {
            format!("Votre dossier {number} est en cours d’instruction")
        }
        DossierStatus::Accepte => format!("Votre dossier {number} est accepté"),
        DossierStatus::Refuse => format!("Votre dossier {number} est refusé"),
        DossierStatus::ClasseSansSuite => format!("Votre dossier {number} est classé sans suite"),
        s => format!("Votre dossier {number} : {}", s.label().to_lowercase()),
    };
    Template::Notification {
        subject: if to == DossierStatus::Depose {
            format!("Accusé de réception : dossier {number}")
        } else {
            format!("Dossier {number} : {}", to.label().to_lowercase())
        },
        heading,
        paragraphs,
        action,
    }
}

// ---------------------------------------------------------------- actions

/// A document attached to an action or sent alone, already in the storage.
pub struct NewDocument {
    pub title: String,
    pub original_name: String,
    pub stored: Stored,
}

async fn insert_document<C: ConnectionTrait>(
    db: &C,
    row: &dossier::Model,
    account: &account::Model,
    doc: &NewDocument,
    message: Option<String>,
) -> Result<i32, AppError> {
    let inserted = received_document::Entity::insert(received_document::ActiveModel {
        id: NotSet,
        profile_id: Set(row.profile_id),
        dossier_id: Set(Some(row.id)),
        title: Set(doc.title.clone()),
        message: Set(message),
        storage_key: Set(doc.stored.key.clone()),
        original_name: Set(doc.original_name.clone()),
        size_bytes: Set(doc.stored.size as i64),
        sha256: Set(doc.stored.sha256.clone()),
        sent_by: Set(Some(account.id)),
        created_at: Set(now()),
    })
    .exec(db)
    .await?;
    Ok(inserted.last_insert_id)
}

/// Checks an action's message: required for some actions, at most 5,000 characters.
pub fn check_message(action: Action, message: &str) -> Result<Option<String>, FieldError> {
    let message = message.trim();
    if message.chars().count() > 5000 {
        return Err(FieldError {
            field: "message".into(),
            message: "Votre message dépasse 5 000 caractères : raccourcissez-le.".into(),
        });
    }
    if message.is_empty() {
        if action.message_required() {
            return Err(FieldError {
                field: "message".into(),
                message: format!(
                    "Écrivez le message que la personne lira : il est obligatoire pour « {} ».",
                    action.label()
                ),
            });
        }
        return Ok(None);
    }
    Ok(Some(message.to_owned()))
}

/// An instructor's action on a dossier, seen at `lock_version`: the status change, its
/// history row, the optional document and the emails, in one transaction. A stale view
/// (someone acted meanwhile) changes nothing and gets `AppError::Stale`.
pub async fn act(
    state: &AppState,
    account: &account::Model,
    id: i32,
    action: Action,
    lock_version: i32,
    message: Option<String>,
    document: Option<NewDocument>,
) -> Result<DossierStatus, AppError> {
    let row = require_dossier(&state.db, account, id).await?;
    if row.lock_version != lock_version {
        return Err(AppError::Stale);
    }
    let from = status_of(&row);
    let to = from.apply(action.transition()).ok_or_else(|| {
        AppError::field(
            "action",
            &format!(
                "« {} » n’est pas possible pour un dossier au statut « {} ».",
                action.label(),
                from.label()
            ),
        )
    })?;
    if document.is_some() && !action.is_decision() {
        return Err(AppError::field(
            "document",
            "Un document ne peut accompagner qu’une décision.",
        ));
    }
    let demarche = demarche::Entity::find_by_id(row.demarche_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal_msg("dossier without démarche"))?;
    let now = now();
    let txn = state.db.begin().await?;
    let mut update = dossier::Entity::update_many()
        .col_expr(dossier::Column::Status, Expr::value(to.as_str()))
        .col_expr(dossier::Column::Stage, Expr::value(to.stage()))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            dossier::Column::LockVersion,
            Expr::col(dossier::Column::LockVersion).add(1),
        );
    update = if action.is_decision() {
        update.col_expr(dossier::Column::DecidedAt, Expr::value(Some(now)))
    } else if action == Action::RepasserEnInstruction {
        update.col_expr(
            dossier::Column::DecidedAt,
            Expr::value(Option::<OffsetDateTime>::None),
        )
    } else {
        update
    };
    let updated = update
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::LockVersion.eq(lock_version))
        .filter(dossier::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Err(AppError::Stale);
    }
    count_change(&txn, row.demarche_id, from, to).await?;
    let document_id = match &document {
        Some(doc) => Some(insert_document(&txn, &row, account, doc, message.clone()).await?),
        None => None,
    };
    dossier_event::Entity::insert(dossier_event::ActiveModel {
        id: NotSet,
        dossier_id: Set(id),
        from_status: Set(Some(from.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        account_id: Set(Some(account.id)),
        message: Set(message.clone()),
        created_at: Set(now),
        document_id: Set(document_id),
    })
    .exec(&txn)
    .await?;
    let number = row.number.clone().unwrap_or_default();
    let custom = match EmailKind::of_status(to) {
        Some(kind) => crate::admin::service::custom_email(&txn, demarche.id, kind).await?,
        None => None,
    };
    let vars = EmailVars {
        numero: number.clone(),
        demarche: demarche.title.clone(),
        lien: dossier_link(state, id).url,
        message: message.clone().unwrap_or_default(),
    };
    for to_email in citizen_recipients(&txn, &row).await? {
        state
            .mailer
            .queue(
                &txn,
                &to_email,
                status_email_with(
                    state,
                    to,
                    &vars,
                    document.as_ref().map(|d| d.title.as_str()),
                    custom.clone(),
                ),
            )
            .await?;
    }
    Audit::new(AuditAction::DossierStatusChanged)
        .on("dossier", id, &number)
        .detail(format!(
            "{} : {} → {}{}",
            action.label(),
            from.label(),
            to.label(),
            document
                .as_ref()
                .map(|d| format!(" (document « {} »)", d.title))
                .unwrap_or_default()
        ))
        .write(&txn, &Actor::of(account).await)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(to)
}

/// What a bulk action did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: usize,
    pub skipped: usize,
}

/// « Passer en instruction » on the selected dossiers that allow it (each with its own
/// transaction, history row and emails); the others are counted as skipped.
pub async fn bulk_instruct(
    state: &AppState,
    account: &account::Model,
    demarche_id: i32,
    ids: &[i32],
) -> Result<BulkOutcome, AppError> {
    require_demarche(&state.db, account, demarche_id).await?;
    let rows = dossier::Entity::find()
        .filter(dossier::Column::Id.is_in(ids.iter().copied()))
        .filter(dossier::Column::DemarcheId.eq(demarche_id))
        .filter(dossier::Column::Stage.gt(0))
        .all(&state.db)
        .await?;
    let mut outcome = BulkOutcome {
        skipped: ids.len().saturating_sub(rows.len()),
        ..Default::default()
    };
    for row in rows {
        match act(
            state,
            account,
            row.id,
            Action::PasserEnInstruction,
            row.lock_version,
            None,
            None,
        )
        .await
        {
            Ok(_) => outcome.done += 1,
            Err(AppError::Stale | AppError::Validation(_)) => outcome.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}

/// One follow more (or less) in `follow_count`, in the transaction of the follow.
async fn follow_count_change<C: ConnectionTrait>(
    db: &C,
    account_id: i32,
    demarche_id: i32,
    up: bool,
) -> Result<(), AppError> {
    if up {
        follow_count::Entity::insert(follow_count::ActiveModel {
            account_id: Set(account_id),
            demarche_id: Set(demarche_id),
            n: Set(1),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                follow_count::Column::AccountId,
                follow_count::Column::DemarcheId,
            ])
            .value(
                follow_count::Column::N,
                Expr::col((follow_count::Entity, follow_count::Column::N)).add(1),
            )
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    } else {
        follow_count::Entity::update_many()
            .col_expr(
                follow_count::Column::N,
                Expr::col(follow_count::Column::N).sub(1),
            )
            .filter(follow_count::Column::AccountId.eq(account_id))
            .filter(follow_count::Column::DemarcheId.eq(demarche_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// « Suivre » (or stop following) dossiers of a démarche.
pub async fn follow(
    state: &AppState,
    account: &account::Model,
    demarche_id: i32,
    ids: &[i32],
    on: bool,
) -> Result<usize, AppError> {
    require_demarche(&state.db, account, demarche_id).await?;
    let filed: Vec<dossier::Model> = dossier::Entity::find()
        .filter(dossier::Column::Id.is_in(ids.iter().copied()))
        .filter(dossier::Column::DemarcheId.eq(demarche_id))
        .filter(dossier::Column::Stage.gt(0))
        .all(&state.db)
        .await?;
    let submitted: HashMap<i32, Option<OffsetDateTime>> =
        filed.iter().map(|r| (r.id, r.submitted_at)).collect();
    let rows: Vec<i32> = filed.iter().map(|r| r.id).collect();
    let already: HashSet<i32> = dossier_follower::Entity::find()
        .filter(dossier_follower::Column::AccountId.eq(account.id))
        .filter(dossier_follower::Column::DossierId.is_in(rows.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|f| f.dossier_id)
        .collect();
    let mut changed = 0;
    for id in rows {
        if on == already.contains(&id) {
            continue;
        }
        // The follow and its counter change together.
        let txn = state.db.begin().await?;
        let done = if on {
            // Followed meanwhile from another tab: nothing inserted, nothing counted.
            dossier_follower::Entity::insert(dossier_follower::ActiveModel {
                account_id: Set(account.id),
                dossier_id: Set(id),
                created_at: Set(now()),
                demarche_id: Set(Some(demarche_id)),
                submitted_at: Set(submitted.get(&id).copied().flatten()),
            })
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    dossier_follower::Column::AccountId,
                    dossier_follower::Column::DossierId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?
                > 0
        } else {
            dossier_follower::Entity::delete_by_id((account.id, id))
                .exec(&txn)
                .await?
                .rows_affected
                > 0
        };
        if done {
            follow_count_change(&txn, account.id, demarche_id, on).await?;
        }
        txn.commit().await?;
        if !done {
            continue;
        }
        changed += 1;
        let number = filed
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.number.clone())
            .unwrap_or_default();
        Audit::new(AuditAction::DossierFollowed)
            .on("dossier", id, number)
            .detail(if on { "Suivre" } else { "Ne plus suivre" })
            .write_logged(&state.db, &Actor::of(account).await)
            .await;
    }
    Ok(changed)
}

/// A private annotation (instructors only).
pub async fn annotate(
    state: &AppState,
    account: &account::Model,
    id: i32,
    body: &str,
) -> Result<(), AppError> {
    let row = require_dossier(&state.db, account, id).await?;
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field(
            "annotation",
            "Écrivez le texte de l’annotation.",
        ));
    }
    if body.chars().count() > 5000 {
        return Err(AppError::field(
            "annotation",
            "L’annotation dépasse 5 000 caractères : raccourcissez-la.",
        ));
    }
    let txn = state.db.begin().await?;
    dossier_annotation::Entity::insert(dossier_annotation::ActiveModel {
        id: NotSet,
        dossier_id: Set(id),
        author_id: Set(Some(account.id)),
        body: Set(body.to_owned()),
        created_at: Set(now()),
    })
    .exec(&txn)
    .await?;
    // The annotation's text stays in the dossier: the log says that one was written.
    Audit::new(AuditAction::DossierAnnotated)
        .on("dossier", id, row.number.unwrap_or_default())
        .write(&txn, &Actor::of(account).await)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A file of a message, already in the storage.
pub struct NewFile {
    pub original_name: String,
    pub stored: Stored,
}

/// Checks a message's text.
pub fn check_body(body: &str) -> Result<String, FieldError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(FieldError {
            field: "corps".into(),
            message: "Écrivez votre message.".into(),
        });
    }
    if body.chars().count() > 5000 {
        return Err(FieldError {
            field: "corps".into(),
            message: "Votre message dépasse 5 000 caractères : raccourcissez-le.".into(),
        });
    }
    Ok(body.to_owned())
}

/// Writes a message of the thread with its files and queues the emails: an
/// instructor's message to the filer and the profile's members, a citizen's to the
/// instructors who follow the dossier. The caller has checked who may write.
pub async fn post_message(
    state: &AppState,
    account: &account::Model,
    row: &dossier::Model,
    from_instructor: bool,
    body: String,
    files: Vec<NewFile>,
) -> Result<(), AppError> {
    let txn = state.db.begin().await?;
    let message = dossier_message::Entity::insert(dossier_message::ActiveModel {
        id: NotSet,
        dossier_id: Set(row.id),
        author_id: Set(Some(account.id)),
        from_instructor: Set(from_instructor),
        body: Set(body.clone()),
        created_at: Set(now()),
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    for f in &files {
        message_file::Entity::insert(message_file::ActiveModel {
            id: NotSet,
            message_id: Set(message),
            dossier_id: Set(row.id),
            storage_key: Set(f.stored.key.clone()),
            original_name: Set(f.original_name.clone()),
            kind: Set(f.stored.kind.extension().to_owned()),
            size_bytes: Set(f.stored.size as i64),
            sha256: Set(f.stored.sha256.clone()),
        })
        .exec(&txn)
        .await?;
    }
    let number = row.number.clone().unwrap_or_default();
    let attached = if files.is_empty() {
        String::new()
    } else {
        format!(" ({} pièce(s) jointe(s))", files.len())
    };
    if from_instructor {
        for to in citizen_recipients(&txn, row).await? {
            state
                .mailer
                .queue(
                    &txn,
                    &to,
                    Template::Notification {
                        subject: format!("Dossier {number} : nouveau message du Département"),
                        heading: format!("Nouveau message au sujet de votre dossier {number}"),
                        paragraphs: vec![
                            format!("Les services instructeurs vous ont écrit{attached} :"),
                            format!("« {body} »"),
                            "Vous pouvez leur répondre depuis la page de votre dossier, rubrique « Messages ».".into(),
                        ],
                        action: Some(dossier_link(state, row.id)),
                    },
                )
                .await?;
        }
    } else {
        for to in follower_emails(&txn, row.id, account.id).await? {
            state
                .mailer
                .queue(
                    &txn,
                    &to,
                    Template::Notification {
                        subject: format!("Dossier {number} : nouveau message de l’usager"),
                        heading: format!(
                            "{} a écrit au sujet du dossier {number}",
                            full_name(account)
                        ),
                        paragraphs: vec![format!("« {body} »{attached}")],
                        action: Some(MailAction {
                            label: "Ouvrir le dossier".into(),
                            url: format!(
                                "{}/instruction/dossiers/{}",
                                state.settings.public_url, row.id
                            ),
                        }),
                    },
                )
                .await?;
        }
    }
    if from_instructor {
        Audit::new(AuditAction::DossierMessage)
            .on("dossier", row.id, row.number.clone().unwrap_or_default())
            .write(&txn, &Actor::of(account).await)
            .await?;
    }
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// « Envoyer un document » to the dossier's profile: every member finds it in « Mes
/// documents reçus » and receives an email.
pub async fn send_document(
    state: &AppState,
    account: &account::Model,
    id: i32,
    doc: NewDocument,
    message: Option<String>,
) -> Result<(), AppError> {
    let row = require_dossier(&state.db, account, id).await?;
    let number = row.number.clone().unwrap_or_default();
    let txn = state.db.begin().await?;
    insert_document(&txn, &row, account, &doc, message.clone()).await?;
    Audit::new(AuditAction::DossierDocument)
        .on("dossier", id, &number)
        .detail(format!("Document « {} »", doc.title))
        .write(&txn, &Actor::of(account).await)
        .await?;
    for to in citizen_recipients(&txn, &row).await? {
        let mut paragraphs = vec![format!(
            "Le Département vous a adressé le document « {} » au sujet de votre dossier n° {number}.",
            doc.title
        )];
        if let Some(m) = &message {
            paragraphs.push(format!("Message des services instructeurs : « {m} »"));
        }
        paragraphs.push(
            "Vous le trouverez dans « Mon compte », rubrique « Mes documents reçus ».".into(),
        );
        state
            .mailer
            .queue(
                &txn,
                &to,
                Template::Notification {
                    subject: format!("Dossier {number} : un document vous est adressé"),
                    heading: format!("Un document vous est adressé : {}", doc.title),
                    paragraphs,
                    action: Some(MailAction {
                        label: "Mes documents reçus".into(),
                        url: format!("{}/mon-compte/documents", state.settings.public_url),
                    }),
                },
            )
            .await?;
    }
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

// ---------------------------------------------------------------- citizen side

/// « Mes documents reçus »: the documents of all the person's profiles, newest first.
pub async fn received(
    state: &AppState,
    account: &account::Model,
) -> Result<Vec<ReceivedRow>, AppError> {
    let db = &state.db;
    let profiles: Vec<i32> = profile_member::Entity::find()
        .filter(profile_member::Column::AccountId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.profile_id)
        .collect();
    let docs = received_document::Entity::find()
        .filter(received_document::Column::ProfileId.is_in(profiles))
        .order_by_desc(received_document::Column::CreatedAt)
        .order_by_desc(received_document::Column::Id)
        .all(db)
        .await?;
    let read: HashSet<i32> = document_read::Entity::find()
        .filter(document_read::Column::AccountId.eq(account.id))
        .filter(document_read::Column::DocumentId.is_in(docs.iter().map(|d| d.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.document_id)
        .collect();
    let dossiers: HashMap<i32, dossier::Model> = dossier::Entity::find()
        .filter(dossier::Column::Id.is_in(docs.iter().filter_map(|d| d.dossier_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let demarches: HashMap<i32, String> = demarche::Entity::find()
        .filter(demarche::Column::Id.is_in(dossiers.values().map(|d| d.demarche_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.title))
        .collect();
    let profile_names =
        crate::dossiers::service::profile_names(db, docs.iter().map(|d| d.profile_id)).await?;
    Ok(docs
        .into_iter()
        .map(|d| {
            let dossier = d.dossier_id.and_then(|id| dossiers.get(&id));
            ReceivedRow {
                id: d.id,
                title: d.title,
                message: d.message,
                profile_name: profile_names
                    .get(&d.profile_id)
                    .cloned()
                    .unwrap_or_default(),
                dossier: dossier.map(|x| (x.id, x.number.clone().unwrap_or_default())),
                demarche_title: dossier.and_then(|x| demarches.get(&x.demarche_id).cloned()),
                date: format_datetime(d.created_at),
                size: format_size(u64::try_from(d.size_bytes).unwrap_or(0)),
                unread: !read.contains(&d.id),
            }
        })
        .collect())
}

/// A received document for download: members of its profile (marked read for them)
/// and the instructors of its dossier. 404 for anyone else.
pub async fn document_for_download(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<received_document::Model, AppError> {
    let db = &state.db;
    let doc = received_document::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let member = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(doc.profile_id))
        .filter(profile_member::Column::AccountId.eq(account.id))
        .one(db)
        .await?
        .is_some();
    if member {
        // The first opening only (a second one hits the primary key: nothing to do).
        let already = document_read::Entity::find_by_id((doc.id, account.id))
            .one(db)
            .await?
            .is_some();
        if !already
            && let Err(e) = document_read::Entity::insert(document_read::ActiveModel {
                document_id: Set(doc.id),
                account_id: Set(account.id),
                read_at: Set(now()),
            })
            .exec(db)
            .await
            && !matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            )
        {
            return Err(e.into());
        }
        return Ok(doc);
    }
    match doc.dossier_id {
        Some(d) if instructs_dossier(db, account, d).await? => Ok(doc),
        _ => Err(AppError::not_found()),
    }
}

/// A message file for download: members of the dossier's profile and its instructors.
pub async fn message_file_for_download(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<message_file::Model, AppError> {
    let file = message_file::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let member = crate::dossiers::service::load_for_member(&state.db, account, file.dossier_id)
        .await
        .is_ok();
    if member || instructs_dossier(&state.db, account, file.dossier_id).await? {
        Ok(file)
    } else {
        Err(AppError::not_found())
    }
}

// ---------------------------------------------------------------- submission columns

/// The queue columns of a dossier, copied at submission: the profile's kind, the
/// commune key, and the search text (number, names, SIRET).
pub async fn queue_columns<C: ConnectionTrait>(
    db: &C,
    profile_id: i32,
    filer: &account::Model,
    number: &str,
) -> Result<(String, Option<String>, String), AppError> {
    let p = profile::Entity::find_by_id(profile_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal_msg("dossier without profile"))?;
    let kind = ProfileKind::parse(&p.kind).unwrap_or(ProfileKind::Particulier);
    let commune = match kind {
        ProfileKind::Particulier => filer.commune.clone(),
        _ => p.commune.clone(),
    };
    let mut text = format!("{number} {} {}", full_name(filer), p.name);
    if let Some(siret) = &p.siret {
        text.push(' ');
        text.extend(siret.chars().filter(|c| !c.is_whitespace()));
    }
    Ok((
        kind.as_str().to_owned(),
        commune.map(|c| search_key(&c)).filter(|c| !c.is_empty()),
        search_key(&text),
    ))
}

/// For the export: the names of the files of many dossiers, by dossier and field path.
pub async fn file_names<C: ConnectionTrait>(
    db: &C,
    dossier_ids: &[i32],
) -> Result<HashMap<i32, BTreeMap<String, Vec<String>>>, AppError> {
    let mut out: HashMap<i32, BTreeMap<String, Vec<String>>> = HashMap::new();
    for f in crate::server::entities::dossier_file::Entity::find()
        .filter(
            crate::server::entities::dossier_file::Column::DossierId
                .is_in(dossier_ids.iter().copied()),
        )
        .order_by_asc(crate::server::entities::dossier_file::Column::Id)
        .all(db)
        .await?
    {
        out.entry(f.dossier_id)
            .or_default()
            .entry(f.field_path)
            .or_default()
            .push(f.original_name);
    }
    Ok(out)
}

/// Names of the accounts, by id (for the export).
pub async fn accounts_by_id<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, account::Model>, AppError> {
    names(db, ids).await
}

/// Profiles by id (for the export).
pub async fn profiles_by_id<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, profile::Model>, AppError> {
    let ids: HashSet<i32> = ids.into_iter().collect();
    Ok(profile::Entity::find()
        .filter(profile::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_recognised_in_several_forms() {
        assert_eq!(
            dossier_number("2026-000123").as_deref(),
            Some("2026-000123")
        );
        assert_eq!(dossier_number("2026-123").as_deref(), Some("2026-000123"));
        assert_eq!(dossier_number(" 2026 45 ").as_deref(), Some("2026-000045"));
        assert_eq!(dossier_number("Dupont"), None);
        assert_eq!(dossier_number("2026-"), None);
        assert_eq!(dossier_number("26-12"), None);
    }

    #[test]
    fn prefixes_become_ranges() {
        assert_eq!(prefix_successor("meyer").as_deref(), Some("meyes"));
        assert_eq!(prefix_successor("2026").as_deref(), Some("2027"));
        assert_eq!(
            search_words("2026-000123 isabelle meyer isabelle 21350238800019"),
            vec!["000123", "2026", "21350238800019", "isabelle", "meyer"]
        );
    }

    #[test]
    fn only_filters_and_searches_narrow_a_queue() {
        let at = OffsetDateTime::from_unix_timestamp(1_764_500_000).unwrap();
        let plain = Filters {
            oldest_first: true,
            after: Some((at, 7)),
            ..Filters::default()
        };
        assert!(!plain.narrows(), "order and cursor keep the generic plan");
        assert!(
            Filters {
                status: Some(DossierStatus::Depose),
                ..Filters::default()
            }
            .narrows()
        );
        assert!(
            Filters {
                words: vec!["meyer".into()],
                ..Filters::default()
            }
            .narrows()
        );
        assert!(
            Filters {
                until: Some(at),
                ..Filters::default()
            }
            .narrows()
        );
    }

    #[test]
    fn cursors_round_trip() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_500_000_123_456_789).unwrap();
        let c = encode_cursor(at, 42);
        assert_eq!(decode_cursor(&c), Some((at, 42)));
        assert_eq!(decode_cursor("n’importe quoi"), None);
    }

    #[test]
    fn filters_are_read_with_french_errors() {
        let q = QueueQuery {
            du: Some("2026-03-01".into()),
            au: Some("pas une date".into()),
            q: Some("Élodie  DURAND".into()),
            commune: Some("Saint-Éloi".into()),
            type_profil: Some("association".into()),
            ..Default::default()
        };
        let (f, errors) = parse_filters(&q);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "au");
        assert_eq!(f.words, vec!["elodie", "durand"]);
        assert_eq!(f.commune.as_deref(), Some("saint-eloi"));
        assert_eq!(f.kind, Some(ProfileKind::Association));
        // Midnight in Paris (winter: UTC+1) is 23:00 UTC the day before.
        assert_eq!(
            f.from.map(|t| t.to_string()),
            Some("2026-02-28 23:00:00.0 +00:00:00".into())
        );
        let (f, _) = parse_filters(&QueueQuery {
            q: Some("123 456 789 00012".into()),
            ..Default::default()
        });
        assert_eq!(f.words, vec!["12345678900012"]);
    }

    #[test]
    fn messages_are_required_where_the_citizen_must_know_why() {
        assert!(check_message(Action::Refuser, "  ").is_err());
        assert!(check_message(Action::DemanderComplements, "").is_err());
        assert_eq!(check_message(Action::Accepter, " ").ok(), Some(None));
        assert_eq!(
            check_message(Action::Accepter, " Bravo ").ok(),
            Some(Some("Bravo".into()))
        );
    }
}
