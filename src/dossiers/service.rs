//! Dossiers on the server: starting a draft, saving its pages and files, submitting it,
//! and the citizen's lists. Every function checks that the account is a member of the
//! dossier's profile (a dossier of another profile does not exist for them: 404).

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};

use super::model::{
    DossierList, DossierRow, DossierStatus, DossierView, DraftRow, EventRow, FileRow, FillPage,
    ProfileChoice, ReviewView, StartOptions, Transition, format_size,
};
use crate::demarches::model::Audience;
use crate::demarches::store as demarches;
use crate::error::AppError;
use crate::forms::{self, Answers, FileCounts, FormDefinition};
use crate::profiles::model::ProfileKind;
use crate::server::db::{format_date, format_datetime, now, today};
use crate::server::entities::{
    account, demarche, dossier, dossier_event, dossier_file, profile, profile_member,
};
use crate::server::mail::{Action, Template};
use crate::server::state::AppState;
use crate::server::uploads::sniff::FileKind;

fn full_name(account: &account::Model) -> String {
    format!("{} {}", account.first_name, account.last_name)
}

/// A profile's name as its members read it: the person's name for a personal profile.
pub async fn profile_names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>, AppError> {
    let ids: Vec<i32> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let profiles = profile::Entity::find()
        .filter(profile::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let owners: Vec<i32> = profiles
        .iter()
        .filter_map(|p| p.personal_account_id)
        .collect();
    let owners: HashMap<i32, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(owners))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(profiles
        .into_iter()
        .map(|p| {
            let name = match p.personal_account_id.and_then(|id| owners.get(&id)) {
                Some(owner) => format!("{} (particulier)", full_name(owner)),
                None => {
                    let kind = ProfileKind::parse(&p.kind).unwrap_or(ProfileKind::Collectivite);
                    format!("{} ({})", p.name, kind.label().to_lowercase())
                }
            };
            (p.id, name)
        })
        .collect())
}

async fn profile_name<C: ConnectionTrait>(db: &C, id: i32) -> Result<String, AppError> {
    Ok(profile_names(db, [id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// The profiles the account belongs to.
async fn my_profile_ids<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
) -> Result<Vec<i32>, AppError> {
    Ok(profile_member::Entity::find()
        .filter(profile_member::Column::AccountId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.profile_id)
        .collect())
}

/// Whether `account` belongs to `profile_id`.
async fn is_member<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    profile_id: i32,
) -> Result<bool, AppError> {
    Ok(profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(profile_id))
        .filter(profile_member::Column::AccountId.eq(account.id))
        .one(db)
        .await?
        .is_some())
}

/// The dossier, if the account is a member of its profile; otherwise `NotFound`, the
/// same answer as for a dossier that does not exist.
pub async fn load_for_member<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    id: i32,
) -> Result<dossier::Model, AppError> {
    let row = dossier::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if is_member(db, account, row.profile_id).await? {
        Ok(row)
    } else {
        Err(AppError::not_found())
    }
}

/// Like [`load_for_member`], for changing the answers or files: only drafts, and
/// dossiers whose compléments were asked.
pub async fn load_editable<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    id: i32,
) -> Result<dossier::Model, AppError> {
    let row = load_for_member(db, account, id).await?;
    if status_of(&row).editable_by_citizen() {
        Ok(row)
    } else {
        Err(AppError::NotEditable)
    }
}

pub fn status_of(row: &dossier::Model) -> DossierStatus {
    DossierStatus::parse(&row.status).unwrap_or(DossierStatus::Brouillon)
}

pub fn answers_of(row: &dossier::Model) -> Answers {
    serde_json::from_str(&row.answers).unwrap_or_default()
}

fn answers_json(answers: &Answers) -> Result<String, AppError> {
    serde_json::to_string(answers).map_err(|e| AppError::internal("answers encoding", &e))
}

pub async fn files_of<C: ConnectionTrait>(
    db: &C,
    dossier_id: i32,
) -> Result<Vec<dossier_file::Model>, AppError> {
    Ok(dossier_file::Entity::find()
        .filter(dossier_file::Column::DossierId.eq(dossier_id))
        .order_by_asc(dossier_file::Column::Id)
        .all(db)
        .await?)
}

fn kind_label(kind: &str) -> String {
    match kind {
        "pdf" => FileKind::Pdf.label(),
        "jpeg" | "jpg" => FileKind::Jpeg.label(),
        "png" => FileKind::Png.label(),
        "webp" => FileKind::Webp.label(),
        _ => "fichier",
    }
    .to_owned()
}

pub fn file_row(f: &dossier_file::Model) -> FileRow {
    FileRow {
        id: f.id,
        field_path: f.field_path.clone(),
        name: f.original_name.clone(),
        size: format_size(u64::try_from(f.size_bytes).unwrap_or(0)),
        kind: kind_label(&f.kind),
    }
}

pub fn counts(files: &[dossier_file::Model]) -> FileCounts {
    let mut counts = FileCounts::new();
    for f in files {
        *counts.entry(f.field_path.clone()).or_default() += 1;
    }
    counts
}

/// A new draft row, started by `account_id` for `profile_id`.
fn new_draft(
    demarche_id: i32,
    version_id: i32,
    profile_id: i32,
    account_id: i32,
    answers: String,
) -> dossier::ActiveModel {
    let now = now();
    dossier::ActiveModel {
        id: NotSet,
        demarche_id: Set(demarche_id),
        version_id: Set(version_id),
        profile_id: Set(profile_id),
        created_by: Set(Some(account_id)),
        status: Set(DossierStatus::Brouillon.as_str().into()),
        number: Set(None),
        answers: Set(answers),
        lock_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        decided_at: Set(None),
        stage: Set(DossierStatus::Brouillon.stage()),
        profile_kind: Set(None),
        commune_key: Set(None),
        search_text: Set(None),
    }
}

/// Records a status change (the history every dossier keeps).
async fn record<C: ConnectionTrait>(
    db: &C,
    dossier_id: i32,
    from: Option<DossierStatus>,
    to: DossierStatus,
    account_id: Option<i32>,
    message: Option<String>,
) -> Result<(), AppError> {
    dossier_event::Entity::insert(dossier_event::ActiveModel {
        id: NotSet,
        dossier_id: Set(dossier_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        account_id: Set(account_id),
        message: Set(message),
        created_at: Set(now()),
        document_id: Set(None),
    })
    .exec(db)
    .await?;
    Ok(())
}

fn audience_fits(audience: Audience, kind: ProfileKind) -> bool {
    match audience {
        Audience::Tous => true,
        Audience::Particuliers => kind == ProfileKind::Particulier,
        Audience::Organisations => kind != ProfileKind::Particulier,
    }
}

/// The account's profiles that may file this démarche.
async fn eligible_profiles(
    db: &DatabaseConnection,
    account: &account::Model,
    demarche: &demarche::Model,
) -> Result<Vec<ProfileChoice>, AppError> {
    crate::profiles::service::ensure_personal_profile(db, account).await?;
    let audience = Audience::parse(&demarche.audience).unwrap_or(Audience::Tous);
    let ids = my_profile_ids(db, account).await?;
    let names = profile_names(db, ids.iter().copied()).await?;
    let mut rows = profile::Entity::find()
        .filter(profile::Column::Id.is_in(ids))
        .order_by_asc(profile::Column::Id)
        .all(db)
        .await?;
    rows.retain(|p| {
        audience_fits(
            audience,
            ProfileKind::parse(&p.kind).unwrap_or(ProfileKind::Collectivite),
        )
    });
    Ok(rows
        .into_iter()
        .map(|p| {
            let kind = ProfileKind::parse(&p.kind).unwrap_or(ProfileKind::Collectivite);
            ProfileChoice {
                id: p.id,
                name: names.get(&p.id).cloned().unwrap_or_else(|| p.name.clone()),
                kind_label: kind.label().to_owned(),
            }
        })
        .collect())
}

pub async fn start_options(
    state: &AppState,
    account: &account::Model,
    slug: &str,
) -> Result<StartOptions, AppError> {
    let demarche = demarches::published_by_slug(&state.db, slug).await?;
    let (open, _) = demarches::opening(&demarche);
    let audience = Audience::parse(&demarche.audience).unwrap_or(Audience::Tous);
    Ok(StartOptions {
        profiles: eligible_profiles(&state.db, account, &demarche).await?,
        slug: demarche.slug,
        title: demarche.title,
        open,
        audience: audience.label().to_owned(),
    })
}

/// Starts a draft for `profile_id` (or the only eligible profile). Returns its id.
pub async fn start(
    state: &AppState,
    account: &account::Model,
    slug: &str,
    profile_id: Option<i32>,
) -> Result<i32, AppError> {
    let demarche = demarches::published_by_slug(&state.db, slug).await?;
    let (open, reason) = demarches::opening(&demarche);
    if !open {
        return Err(AppError::field(
            "profil",
            &reason.unwrap_or_else(|| "Cette démarche n’est pas ouverte.".into()),
        ));
    }
    let eligible = eligible_profiles(&state.db, account, &demarche).await?;
    let chosen = match (profile_id, eligible.as_slice()) {
        (Some(id), list) => list.iter().find(|p| p.id == id).map(|p| p.id),
        (None, [only]) => Some(only.id),
        (None, _) => None,
    };
    let Some(profile_id) = chosen else {
        return Err(AppError::field(
            "profil",
            if eligible.is_empty() {
                "Aucun de vos profils ne peut déposer cette démarche : ajoutez ou rejoignez d’abord le profil qui convient."
            } else {
                "Choisissez pour quel profil vous déposez cette demande."
            },
        ));
    };
    let version_id = demarche
        .current_version_id
        .ok_or_else(|| AppError::internal_msg("published démarche without a version"))?;
    let txn = state.db.begin().await?;
    let inserted = dossier::Entity::insert(new_draft(
        demarche.id,
        version_id,
        profile_id,
        account.id,
        answers_json(&Answers::default())?,
    ))
    .exec(&txn)
    .await?;
    let id = inserted.last_insert_id;
    record(
        &txn,
        id,
        None,
        DossierStatus::Brouillon,
        Some(account.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// The form of a dossier and the démarche it belongs to.
pub async fn form_of<C: ConnectionTrait>(
    db: &C,
    row: &dossier::Model,
) -> Result<(demarche::Model, FormDefinition), AppError> {
    let demarche = demarche::Entity::find_by_id(row.demarche_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let definition = demarches::definition(db, row.version_id).await?;
    Ok((demarche, definition))
}

/// The shown page after `index` (0-based), or none for « Vérifiez vos réponses ».
pub fn next_page(def: &FormDefinition, answers: &Answers, index: usize) -> Option<usize> {
    forms::visible_pages(def, answers)
        .into_iter()
        .find(|i| *i > index)
}

pub fn previous_page(def: &FormDefinition, answers: &Answers, index: usize) -> Option<usize> {
    forms::visible_pages(def, answers)
        .into_iter()
        .rev()
        .find(|i| *i < index)
}

pub fn page_path(dossier_id: i32, index: usize) -> String {
    format!("/dossiers/{dossier_id}/etape/{}", index + 1)
}

pub fn review_path(dossier_id: i32) -> String {
    format!("/dossiers/{dossier_id}/verification")
}

/// Page `number` (1-based) of a draft, to fill.
pub async fn fill_page(
    state: &AppState,
    account: &account::Model,
    id: i32,
    number: usize,
    check: bool,
    notices: Vec<String>,
) -> Result<FillPage, AppError> {
    let row = load_editable(&state.db, account, id).await?;
    let (demarche, def) = form_of(&state.db, &row).await?;
    let answers = answers_of(&row);
    let index = number.checked_sub(1).ok_or_else(AppError::not_found)?;
    let page = def
        .pages
        .get(index)
        .ok_or_else(AppError::not_found)?
        .clone();
    let visible = forms::visible_pages(&def, &answers);
    let step = visible
        .iter()
        .position(|i| *i == index)
        .map(|p| p + 1)
        .ok_or_else(AppError::not_found)?;
    let files = files_of(&state.db, id).await?;
    let counts = counts(&files);
    let today = today();
    let errors = if check {
        forms::validate_page_at(&def, index, &answers, &counts, &today)
    } else {
        Vec::new()
    };
    // Fields whose condition names an answer of another page, and does not hold.
    let shown = forms::prune_hidden(&def, &answers);
    let own: HashSet<&str> = page.fields.iter().map(|f| f.key.as_str()).collect();
    let hidden_fields = page
        .fields
        .iter()
        .filter(|f| {
            f.condition.as_ref().is_some_and(|c| {
                !own.contains(c.field.as_str()) && !forms::condition_holds(c, &shown)
            })
        })
        .map(|f| f.key.clone())
        .collect();
    Ok(FillPage {
        dossier_id: id,
        demarche_title: demarche.title,
        demarche_slug: demarche.slug,
        profile_name: profile_name(&state.db, row.profile_id).await?,
        status: status_of(&row),
        index,
        step,
        steps: visible.len() + 1,
        previous: previous_page(&def, &answers, index).map(|i| i + 1),
        page,
        answers,
        files: files.iter().map(file_row).collect(),
        errors,
        hidden_fields,
        notices,
        max_file_mb: state.settings.max_file_bytes / 1_000_000,
        today,
        lock_version: row.lock_version,
    })
}

/// Saves what was typed on page `index` (0-based) and applies `edit` to the answers
/// (adding or removing an item of a repeated group). Returns the new answers.
pub async fn save_page(
    state: &AppState,
    account: &account::Model,
    id: i32,
    index: usize,
    pairs: &[(String, String)],
    edit: impl FnOnce(&mut Answers),
) -> Result<(dossier::Model, FormDefinition, Answers), AppError> {
    let row = load_editable(&state.db, account, id).await?;
    let (_, def) = form_of(&state.db, &row).await?;
    let page = def.pages.get(index).ok_or_else(AppError::not_found)?;
    let mut answers = answers_of(&row);
    forms::read_page(page, pairs, &mut answers);
    edit(&mut answers);
    let updated = dossier::Entity::update_many()
        .col_expr(
            dossier::Column::Answers,
            Expr::value(answers_json(&answers)?),
        )
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now()))
        .col_expr(
            dossier::Column::LockVersion,
            Expr::col(dossier::Column::LockVersion).add(1),
        )
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Status.is_in([
            DossierStatus::Brouillon.as_str(),
            DossierStatus::ComplementsDemandes.as_str(),
        ]))
        .exec(&state.db)
        .await?;
    if updated.rows_affected == 0 {
        // Submitted meanwhile (another tab, another device).
        return Err(AppError::NotEditable);
    }
    Ok((row, def, answers))
}

/// Removes a file of an editable dossier.
pub async fn remove_file(
    state: &AppState,
    account: &account::Model,
    dossier_id: i32,
    file_id: i32,
) -> Result<(), AppError> {
    load_editable(&state.db, account, dossier_id).await?;
    let file = dossier_file::Entity::find_by_id(file_id)
        .filter(dossier_file::Column::DossierId.eq(dossier_id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    dossier_file::Entity::delete_by_id(file.id)
        .exec(&state.db)
        .await?;
    state.storage.delete(&file.storage_key).await
}

/// After an item of a repeated group was removed: its files go, and the files of the
/// items after it follow their item's new position.
pub async fn shift_group_files(
    state: &AppState,
    dossier_id: i32,
    group: &str,
    removed: usize,
) -> Result<(), AppError> {
    let prefix = format!("{group}.");
    for f in files_of(&state.db, dossier_id).await? {
        let Some(rest) = f.field_path.strip_prefix(&prefix) else {
            continue;
        };
        let Some((index, key)) = rest.split_once('.') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        if index == removed {
            dossier_file::Entity::delete_by_id(f.id)
                .exec(&state.db)
                .await?;
            state.storage.delete(&f.storage_key).await?;
        } else if index > removed {
            dossier_file::Entity::update_many()
                .col_expr(
                    dossier_file::Column::FieldPath,
                    Expr::value(format!("{group}.{}.{key}", index - 1)),
                )
                .filter(dossier_file::Column::Id.eq(f.id))
                .exec(&state.db)
                .await?;
        }
    }
    Ok(())
}

/// « Vérifiez vos réponses ».
pub async fn review(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<ReviewView, AppError> {
    let row = load_editable(&state.db, account, id).await?;
    let (demarche, def) = form_of(&state.db, &row).await?;
    let answers = answers_of(&row);
    let files = files_of(&state.db, id).await?;
    let visible = forms::visible_pages(&def, &answers);
    let problem = forms::validate_all(&def, &answers, &counts(&files), &today())
        .map(|(index, errors)| (index + 1, errors));
    Ok(ReviewView {
        dossier_id: id,
        demarche_title: demarche.title,
        profile_name: profile_name(&state.db, row.profile_id).await?,
        status: status_of(&row),
        pages: forms::review(&def, &answers),
        files: files.iter().map(file_row).collect(),
        problem,
        steps: visible.len() + 1,
        last_page: visible.last().map(|i| i + 1).unwrap_or(1),
    })
}

/// The next number of the year, « 2026-000123 », taken in the caller's transaction
/// (a rolled-back submission gives its number back).
async fn next_number<C: ConnectionTrait>(db: &C, year: i32) -> Result<String, AppError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO dossier_counter (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = dossier_counter.last + 1 RETURNING last"
        }
        _ => {
            "INSERT INTO dossier_counter (year, last) VALUES (?, 1) \
             ON CONFLICT (year) DO UPDATE SET last = dossier_counter.last + 1 RETURNING last"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [year.into()]))
        .await?
        .ok_or_else(|| AppError::internal_msg("dossier counter returned nothing"))?;
    let last: i32 = row.try_get("", "last")?;
    Ok(format!("{year}-{last:06}"))
}

/// What « Transmettre » answers: the dossier's number.
pub struct Submitted {
    pub number: String,
}

/// « Transmettre »: checks the whole dossier, numbers it, records « Déposé » and queues
/// the receipts, all in one transaction. Idempotent: a dossier already submitted
/// answers with its number, and two concurrent submissions make one dossier.
pub async fn submit(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<Submitted, AppError> {
    let row = load_for_member(&state.db, account, id).await?;
    let status = status_of(&row);
    if status == DossierStatus::ComplementsDemandes {
        return submit_complements(state, account, row).await;
    }
    if status != DossierStatus::Brouillon {
        // A retried or doubled request: the first one did the work.
        return match row.number {
            Some(number) => Ok(Submitted { number }),
            None => Err(AppError::NotEditable),
        };
    }
    let (demarche, def) = form_of(&state.db, &row).await?;
    let (open, reason) = demarches::opening(&demarche);
    if !open {
        return Err(AppError::field(
            "transmettre",
            &reason.unwrap_or_else(|| "Cette démarche n’est pas ouverte.".into()),
        ));
    }
    let answers = answers_of(&row);
    let files = files_of(&state.db, id).await?;
    if let Some((_, errors)) = forms::validate_all(&def, &answers, &counts(&files), &today()) {
        return Err(AppError::Validation(errors));
    }
    let kept = forms::prune_hidden(&def, &answers);
    let to = DossierStatus::Brouillon
        .apply(Transition::Transmettre)
        .ok_or_else(|| AppError::internal_msg("transition refused"))?;

    let txn = state.db.begin().await?;
    let now = now();
    let number = next_number(&txn, now.year()).await?;
    let (kind, commune, search) =
        crate::backoffice::service::queue_columns(&txn, row.profile_id, account, &number).await?;
    let updated = dossier::Entity::update_many()
        .col_expr(dossier::Column::Status, Expr::value(to.as_str()))
        .col_expr(dossier::Column::Stage, Expr::value(to.stage()))
        .col_expr(dossier::Column::ProfileKind, Expr::value(Some(kind)))
        .col_expr(dossier::Column::CommuneKey, Expr::value(commune))
        .col_expr(
            dossier::Column::SearchText,
            Expr::value(Some(search.clone())),
        )
        .col_expr(dossier::Column::Number, Expr::value(number.clone()))
        .col_expr(dossier::Column::Answers, Expr::value(answers_json(&kept)?))
        .col_expr(dossier::Column::SubmittedAt, Expr::value(now))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            dossier::Column::LockVersion,
            Expr::col(dossier::Column::LockVersion).add(1),
        )
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Status.eq(DossierStatus::Brouillon.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        // Another request submitted it meanwhile.
        txn.rollback().await?;
        let row = load_for_member(&state.db, account, id).await?;
        return row
            .number
            .map(|number| Submitted { number })
            .ok_or(AppError::NotEditable);
    }
    record(
        &txn,
        id,
        Some(DossierStatus::Brouillon),
        to,
        Some(account.id),
        None,
    )
    .await?;
    crate::backoffice::service::index_words(&txn, row.demarche_id, id, &search).await?;
    crate::backoffice::service::count_change(&txn, row.demarche_id, DossierStatus::Brouillon, to)
        .await?;
    // Files of hidden fields are not part of the dossier.
    let kept_paths: HashSet<String> = forms::visible_attachment_paths(&def, &kept)
        .into_iter()
        .collect();
    let mut dropped = Vec::new();
    for f in &files {
        if !kept_paths.contains(&f.field_path) {
            dossier_file::Entity::delete_by_id(f.id).exec(&txn).await?;
            dropped.push(f.storage_key.clone());
        }
    }
    let recipients = receipt_recipients(&txn, account, row.profile_id).await?;
    let profile = profile_name(&txn, row.profile_id).await?;
    let file_count = files.len() - dropped.len();
    let custom = crate::admin::service::custom_email(
        &txn,
        demarche.id,
        crate::admin::model::EmailKind::Depot,
    )
    .await?;
    let link = format!("{}/mon-compte/dossiers/{id}", state.settings.public_url);
    for to in recipients {
        // The démarche's own receipt, written by an administrator.
        if let Some(custom) = custom.clone() {
            let vars = crate::admin::model::EmailVars {
                numero: number.clone(),
                demarche: demarche.title.clone(),
                lien: link.clone(),
                message: String::new(),
            };
            let template = crate::backoffice::service::status_email_with(
                state,
                DossierStatus::Depose,
                &vars,
                None,
                Some(custom),
            );
            state.mailer.queue(&txn, &to, template).await?;
            continue;
        }
        let paragraphs = vec![
            format!(
                "{} la demande « {} » le {} pour le profil {}.",
                if to == account.email {
                    "Vous avez bien déposé".to_owned()
                } else {
                    format!("{} a déposé", full_name(account))
                },
                demarche.title,
                format_datetime(now),
                profile
            ),
            format!("Numéro de dossier : {number}."),
            format!(
                "Récapitulatif : {} page(s) de réponses, {} pièce(s) jointe(s). Vous pouvez télécharger une copie complète du dossier en PDF depuis son suivi.",
                forms::visible_pages(&def, &kept).len(),
                file_count
            ),
            "Les services du Département vont examiner votre dossier. Vous recevrez un courriel à chaque changement de son statut.".to_owned(),
        ];
        state
            .mailer
            .queue(
                &txn,
                &to,
                Template::Notification {
                    subject: format!("Accusé de réception : dossier {number}"),
                    heading: format!("Votre dossier {number} a bien été déposé"),
                    paragraphs,
                    action: Some(Action {
                        label: "Suivre mon dossier".into(),
                        url: format!("{}/mon-compte/dossiers/{id}", state.settings.public_url),
                    }),
                },
            )
            .await?;
    }
    txn.commit().await?;
    state.mailer.wake();
    for key in dropped {
        // The dossier is filed: a file that cannot be removed now is left to the
        // upload cleaner (its row is gone) rather than reported as a failed submission.
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(key = %key, error = %e, "file of a hidden question not removed");
        }
    }
    Ok(Submitted { number })
}

/// « Transmettre les compléments »: the whole dossier is checked again, then it goes
/// back to the instructors (Compléments reçus), who are told by email if they follow
/// it; the person gets a receipt. Idempotent like the first submission.
async fn submit_complements(
    state: &AppState,
    account: &account::Model,
    row: dossier::Model,
) -> Result<Submitted, AppError> {
    let id = row.id;
    let number = row.number.clone().unwrap_or_default();
    let (demarche, def) = form_of(&state.db, &row).await?;
    let answers = answers_of(&row);
    let files = files_of(&state.db, id).await?;
    if let Some((_, errors)) = forms::validate_all(&def, &answers, &counts(&files), &today()) {
        return Err(AppError::Validation(errors));
    }
    let from = DossierStatus::ComplementsDemandes;
    let to = from
        .apply(Transition::TransmettreComplements)
        .ok_or_else(|| AppError::internal_msg("transition refused"))?;
    let kept = forms::prune_hidden(&def, &answers);
    let txn = state.db.begin().await?;
    let now = now();
    let updated = dossier::Entity::update_many()
        .col_expr(dossier::Column::Status, Expr::value(to.as_str()))
        .col_expr(dossier::Column::Stage, Expr::value(to.stage()))
        .col_expr(dossier::Column::Answers, Expr::value(answers_json(&kept)?))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            dossier::Column::LockVersion,
            Expr::col(dossier::Column::LockVersion).add(1),
        )
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        // Sent twice, or the instructors changed it meanwhile.
        txn.rollback().await?;
        return Ok(Submitted { number });
    }
    record(&txn, id, Some(from), to, Some(account.id), None).await?;
    crate::backoffice::service::count_change(&txn, row.demarche_id, from, to).await?;
    let followers: Vec<i32> = crate::server::entities::dossier_follower::Entity::find()
        .filter(crate::server::entities::dossier_follower::Column::DossierId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|f| f.account_id)
        .collect();
    let emails: Vec<String> = account::Entity::find()
        .filter(account::Column::Id.is_in(followers))
        .filter(account::Column::Active.eq(true))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.email)
        .collect();
    for to_email in emails {
        state
            .mailer
            .queue(
                &txn,
                &to_email,
                Template::Notification {
                    subject: format!("Dossier {number} : compléments reçus"),
                    heading: format!("{} a transmis les compléments du dossier {number}", full_name(account)),
                    paragraphs: vec![format!(
                        "Le dossier n° {number} (« {} ») est de nouveau à traiter : il apparaît dans l’onglet « À traiter ».",
                        demarche.title
                    )],
                    action: Some(Action {
                        label: "Ouvrir le dossier".into(),
                        url: format!("{}/instruction/dossiers/{id}", state.settings.public_url),
                    }),
                },
            )
            .await?;
    }
    state
        .mailer
        .queue(
            &txn,
            &account.email,
            Template::Notification {
                subject: format!("Dossier {number} : vos compléments sont transmis"),
                heading: format!("Vos compléments au dossier {number} sont bien transmis"),
                paragraphs: vec![
                    format!(
                        "Vous avez transmis les compléments demandés pour votre dossier n° {number} (« {} ») le {}.",
                        demarche.title,
                        format_datetime(now)
                    ),
                    to.next_step().to_owned(),
                ],
                action: Some(Action {
                    label: "Suivre mon dossier".into(),
                    url: format!("{}/mon-compte/dossiers/{id}", state.settings.public_url),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(Submitted { number })
}

/// The person who files, and the profile's other members who asked for receipts.
async fn receipt_recipients<C: ConnectionTrait>(
    db: &C,
    filer: &account::Model,
    profile_id: i32,
) -> Result<Vec<String>, AppError> {
    let others: Vec<i32> = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(profile_id))
        .filter(profile_member::Column::Receipts.eq(true))
        .filter(profile_member::Column::AccountId.ne(filer.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    let mut to = vec![filer.email.clone()];
    to.extend(
        account::Entity::find()
            .filter(account::Column::Id.is_in(others))
            .filter(account::Column::Active.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.email),
    );
    Ok(to)
}

struct Listed {
    rows: Vec<dossier::Model>,
    titles: HashMap<i32, (String, String)>,
    profiles: HashMap<i32, String>,
}

/// The drafts of the account's profiles, last changed first, with their démarches and
/// profile names (a few queries, whatever the number of rows).
async fn list_drafts(
    db: &DatabaseConnection,
    account: &account::Model,
) -> Result<Listed, AppError> {
    let ids = my_profile_ids(db, account).await?;
    let select = dossier::Entity::find()
        .filter(dossier::Column::ProfileId.is_in(ids))
        .filter(dossier::Column::Status.eq(DossierStatus::Brouillon.as_str()))
        .order_by_desc(dossier::Column::UpdatedAt);
    let rows = select.order_by_desc(dossier::Column::Id).all(db).await?;
    let demarche_ids: HashSet<i32> = rows.iter().map(|r| r.demarche_id).collect();
    let titles = demarche::Entity::find()
        .filter(demarche::Column::Id.is_in(demarche_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, (d.title, d.slug)))
        .collect();
    let profiles = profile_names(db, rows.iter().map(|r| r.profile_id)).await?;
    Ok(Listed {
        rows,
        titles,
        profiles,
    })
}

/// « Mes brouillons ».
pub async fn drafts(state: &AppState, account: &account::Model) -> Result<Vec<DraftRow>, AppError> {
    let listed = list_drafts(&state.db, account).await?;
    let version_ids: HashSet<i32> = listed.rows.iter().map(|r| r.version_id).collect();
    let mut definitions = HashMap::new();
    for v in version_ids {
        definitions.insert(v, demarches::definition(&state.db, v).await?);
    }
    let dossier_ids: Vec<i32> = listed.rows.iter().map(|r| r.id).collect();
    let mut files: BTreeMap<i32, Vec<dossier_file::Model>> = BTreeMap::new();
    for f in dossier_file::Entity::find()
        .filter(dossier_file::Column::DossierId.is_in(dossier_ids))
        .all(&state.db)
        .await?
    {
        files.entry(f.dossier_id).or_default().push(f);
    }
    let today = today();
    Ok(listed
        .rows
        .iter()
        .map(|r| {
            let answers = answers_of(r);
            let counts = counts(files.get(&r.id).map(Vec::as_slice).unwrap_or_default());
            let (answered, required, first_problem) = match definitions.get(&r.version_id) {
                Some(def) => {
                    let (answered, required) = forms::completion(def, &answers, &counts, &today);
                    let problem = forms::validate_all(def, &answers, &counts, &today)
                        .map(|(index, _)| index + 1);
                    (answered, required, problem)
                }
                None => (0, 0, Some(1)),
            };
            DraftRow {
                id: r.id,
                demarche_title: listed
                    .titles
                    .get(&r.demarche_id)
                    .map(|t| t.0.clone())
                    .unwrap_or_default(),
                profile_name: listed
                    .profiles
                    .get(&r.profile_id)
                    .cloned()
                    .unwrap_or_default(),
                updated: format_datetime(r.updated_at),
                answered,
                required,
                first_problem,
            }
        })
        .collect())
}

/// « Mes dossiers ».
pub async fn dossiers(
    state: &AppState,
    account: &account::Model,
    page: u32,
) -> Result<DossierList, AppError> {
    use sea_orm::sea_query::{Alias, Func, JoinType, Order, Query, SimpleExpr};
    // The filed dossiers of the account's profiles (drafts have their own list).
    let mine = || -> SimpleExpr {
        Expr::col((dossier::Entity, dossier::Column::ProfileId))
            .in_subquery(
                Query::select()
                    .column(profile_member::Column::ProfileId)
                    .from(profile_member::Entity)
                    .and_where(Expr::col(profile_member::Column::AccountId).eq(account.id))
                    .to_owned(),
            )
            .and(
                Expr::col((dossier::Entity, dossier::Column::Status))
                    .ne(DossierStatus::Brouillon.as_str()),
            )
    };
    // One query for a page: its dossiers with their démarche's title and their profile's
    // name, only the columns the list shows (a dossier's answers and search text stay on
    // disk), and the count of the whole list (a window over it) on every row.
    let owner = Alias::new("owner");
    let page_query = |page: u32| {
        Query::select()
            .column((dossier::Entity, dossier::Column::Id))
            .column((dossier::Entity, dossier::Column::Number))
            .column((dossier::Entity, dossier::Column::Status))
            .column((dossier::Entity, dossier::Column::SubmittedAt))
            .expr_as(
                Expr::col((demarche::Entity, demarche::Column::Title)),
                Alias::new("demarche_title"),
            )
            .expr_as(
                Expr::col((profile::Entity, profile::Column::Name)),
                Alias::new("profile_name"),
            )
            .expr_as(
                Expr::col((profile::Entity, profile::Column::Kind)),
                Alias::new("profile_kind"),
            )
            .expr_as(
                Expr::col((owner.clone(), account::Column::FirstName)),
                Alias::new("owner_first_name"),
            )
            .expr_as(
                Expr::col((owner.clone(), account::Column::LastName)),
                Alias::new("owner_last_name"),
            )
            .from(dossier::Entity)
            .join(
                JoinType::InnerJoin,
                demarche::Entity,
                Expr::col((demarche::Entity, demarche::Column::Id))
                    .equals((dossier::Entity, dossier::Column::DemarcheId)),
            )
            .join(
                JoinType::InnerJoin,
                profile::Entity,
                Expr::col((profile::Entity, profile::Column::Id))
                    .equals((dossier::Entity, dossier::Column::ProfileId)),
            )
            .join_as(
                JoinType::LeftJoin,
                account::Entity,
                owner.clone(),
                Expr::col((owner.clone(), account::Column::Id))
                    .equals((profile::Entity, profile::Column::PersonalAccountId)),
            )
            .expr_as(Expr::cust("COUNT(*) OVER ()"), Alias::new("total"))
            .and_where(mine())
            .order_by((dossier::Entity, dossier::Column::SubmittedAt), Order::Desc)
            .order_by((dossier::Entity, dossier::Column::Id), Order::Desc)
            .limit(DossierList::PAGE_SIZE)
            .offset(u64::from(page.saturating_sub(1)) * DossierList::PAGE_SIZE)
            .to_owned()
    };
    let db = &state.db;
    let backend = db.get_database_backend();
    let mut page = Ord::max(page, 1);
    let mut rows = FiledRow::find_by_statement(backend.build(&page_query(page)))
        .all(db)
        .await?;
    if rows.is_empty() && page > 1 {
        // Past the last page (an old link, a dossier gone since): show the last one.
        let count = Query::select()
            .expr_as(
                Func::count(Expr::col((dossier::Entity, dossier::Column::Id))),
                Alias::new("total"),
            )
            .from(dossier::Entity)
            .and_where(mine())
            .to_owned();
        let total = match db.query_one_raw(backend.build(&count)).await? {
            Some(row) => u64::try_from(row.try_get::<i64>("", "total")?).unwrap_or(0),
            None => 0,
        };
        page = page_count(total);
        rows = FiledRow::find_by_statement(backend.build(&page_query(page)))
            .all(db)
            .await?;
    }
    let total = rows
        .first()
        .map_or(0, |r| u64::try_from(r.total).unwrap_or(0));
    let pages = page_count(total);
    let rows = rows
        .into_iter()
        .map(|r| {
            let profile_name = match (r.owner_first_name, r.owner_last_name) {
                (Some(first), Some(last)) => format!("{first} {last} (particulier)"),
                _ => {
                    let kind =
                        ProfileKind::parse(&r.profile_kind).unwrap_or(ProfileKind::Collectivite);
                    format!("{} ({})", r.profile_name, kind.label().to_lowercase())
                }
            };
            DossierRow {
                id: r.id,
                number: r.number.unwrap_or_default(),
                demarche_title: r.demarche_title,
                profile_name,
                submitted: r.submitted_at.map(format_date).unwrap_or_default(),
                status: DossierStatus::parse(&r.status).unwrap_or(DossierStatus::Brouillon),
            }
        })
        .collect();
    Ok(DossierList {
        rows,
        page: Ord::min(page, pages),
        pages,
        total,
    })
}

/// How many pages of « Mes dossiers » `total` dossiers make (at least one).
fn page_count(total: u64) -> u32 {
    u32::try_from(Ord::max(total.div_ceil(DossierList::PAGE_SIZE), 1)).unwrap_or(u32::MAX)
}

/// A line of « Mes dossiers », as read from the database.
#[derive(Debug, FromQueryResult)]
struct FiledRow {
    id: i32,
    number: Option<String>,
    status: String,
    submitted_at: Option<sea_orm::prelude::TimeDateTimeWithTimeZone>,
    demarche_title: String,
    profile_name: String,
    profile_kind: String,
    owner_first_name: Option<String>,
    owner_last_name: Option<String>,
    /// How many rows the whole list has.
    total: i64,
}

/// A dossier's page.
pub async fn detail(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<DossierView, AppError> {
    let row = load_for_member(&state.db, account, id).await?;
    let status = status_of(&row);
    if status == DossierStatus::Brouillon {
        return Err(AppError::not_found());
    }
    let (demarche, def) = form_of(&state.db, &row).await?;
    let answers = answers_of(&row);
    let files = files_of(&state.db, id).await?;
    let events = dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(id))
        .order_by_asc(dossier_event::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|e| e.from_status.is_some())
        .map(|e| EventRow {
            date: format_datetime(e.created_at),
            status: DossierStatus::parse(&e.to_status).unwrap_or(status),
            message: e.message,
        })
        .collect();
    let filer = match row.created_by {
        Some(by) => account::Entity::find_by_id(by)
            .one(&state.db)
            .await?
            .map(|a| full_name(&a))
            .unwrap_or_default(),
        None => "Compte supprimé".into(),
    };
    Ok(DossierView {
        id,
        number: row.number.clone().unwrap_or_default(),
        demarche_title: demarche.title,
        demarche_slug: demarche.slug,
        profile_name: profile_name(&state.db, row.profile_id).await?,
        filer,
        submitted: row.submitted_at.map(format_datetime).unwrap_or_default(),
        status,
        events,
        pages: forms::review(&def, &answers),
        files: files.iter().map(file_row).collect(),
        max_file_mb: state.settings.max_file_bytes / 1_000_000,
        messages: crate::backoffice::service::thread(&state.db, id).await?,
        flash: Default::default(),
    })
}

/// « Supprimer » a draft: its files go too.
pub async fn delete_draft(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<(), AppError> {
    let row = load_for_member(&state.db, account, id).await?;
    if status_of(&row) != DossierStatus::Brouillon {
        return Err(AppError::NotEditable);
    }
    let files = files_of(&state.db, id).await?;
    let deleted = dossier::Entity::delete_many()
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Status.eq(DossierStatus::Brouillon.as_str()))
        .exec(&state.db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotEditable);
    }
    for f in files {
        // The draft is gone; a file left behind is removed by the storage cleaner.
        if let Err(e) = state.storage.delete(&f.storage_key).await {
            tracing::warn!(key = %f.storage_key, error = %e, "file of a deleted draft not removed");
        }
    }
    Ok(())
}

/// « Dupliquer »: a new draft with the answers and files of a dossier, on the
/// démarche's current form.
pub async fn duplicate(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<i32, AppError> {
    let row = load_for_member(&state.db, account, id).await?;
    if status_of(&row) == DossierStatus::Brouillon {
        // Only a filed dossier is duplicated; a draft is simply resumed.
        return Err(AppError::not_found());
    }
    let demarche = demarche::Entity::find_by_id(row.demarche_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (open, reason) = demarches::opening(&demarche);
    if !open {
        return Err(AppError::field(
            "dupliquer",
            &reason.unwrap_or_else(|| "Cette démarche n’est pas ouverte.".into()),
        ));
    }
    let version_id = demarche
        .current_version_id
        .ok_or_else(|| AppError::internal_msg("démarche without a version"))?;
    let files = files_of(&state.db, id).await?;
    let txn = state.db.begin().await?;
    let now = now();
    let inserted = dossier::Entity::insert(new_draft(
        row.demarche_id,
        version_id,
        row.profile_id,
        account.id,
        row.answers.clone(),
    ))
    .exec(&txn)
    .await?;
    let new_id = inserted.last_insert_id;
    let mut copied = Vec::new();
    let mut result = Ok(());
    for f in &files {
        let key = format!("dossiers/{new_id}/{}", uuid::Uuid::new_v4());
        // A new file dated now (a hard link would keep the original's date, and the
        // upload cleaner could take the copy for an old file before this row commits).
        if let Err(e) = state.storage.copy_new(&f.storage_key, &key).await {
            result = Err(e);
            break;
        }
        copied.push(key.clone());
        if let Err(e) = dossier_file::Entity::insert(dossier_file::ActiveModel {
            id: NotSet,
            dossier_id: Set(new_id),
            field_path: Set(f.field_path.clone()),
            storage_key: Set(key),
            original_name: Set(f.original_name.clone()),
            kind: Set(f.kind.clone()),
            size_bytes: Set(f.size_bytes),
            sha256: Set(f.sha256.clone()),
            uploaded_by: Set(Some(account.id)),
            created_at: Set(now),
        })
        .exec(&txn)
        .await
        {
            result = Err(e.into());
            break;
        }
    }
    if let Err(e) = result {
        // Nothing of the copy stays: no row (rolled back), no file.
        drop(txn);
        for key in copied {
            let _ = state.storage.delete(&key).await;
        }
        return Err(e);
    }
    record(
        &txn,
        new_id,
        None,
        DossierStatus::Brouillon,
        Some(account.id),
        row.number.as_ref().map(|n| format!("Copie du dossier {n}")),
    )
    .await?;
    txn.commit().await?;
    Ok(new_id)
}

/// The PDF copy of a dossier (« Télécharger »).
pub async fn pdf_copy(
    state: &AppState,
    account: &account::Model,
    id: i32,
) -> Result<(String, Vec<u8>), AppError> {
    let view = detail(state, account, id).await?;
    let copy = super::pdf::PdfCopy {
        organisation: crate::branding::DEPARTEMENT.to_owned(),
        title: view.demarche_title.clone(),
        number: Some(view.number.clone()),
        status: view.status.label().to_owned(),
        profile: view.profile_name.clone(),
        filer: view.filer.clone(),
        dates: vec![("Déposé le".to_owned(), view.submitted.clone())],
        sections: view
            .pages
            .iter()
            .map(|p| super::pdf::PdfSection {
                title: p.title.clone(),
                items: p
                    .items
                    .iter()
                    .map(|item| match item {
                        forms::ReviewItem::Heading(h) => super::pdf::PdfItem::Heading(h.clone()),
                        forms::ReviewItem::Answer {
                            label, lines, path, ..
                        } => {
                            let files: Vec<String> = view
                                .files
                                .iter()
                                .filter(|f| &f.field_path == path)
                                .map(|f| format!("{} ({})", f.name, f.size))
                                .collect();
                            super::pdf::PdfItem::Answer {
                                label: label.clone(),
                                lines: if files.is_empty() {
                                    lines.clone()
                                } else {
                                    files
                                },
                            }
                        }
                    })
                    .collect(),
            })
            .collect(),
        attachments: view
            .files
            .iter()
            .map(|f| super::pdf::PdfAttachment {
                field: field_label(&view, &f.field_path),
                name: f.name.clone(),
                size: f.size.clone(),
            })
            .collect(),
        generated_at: format_datetime(now()),
    };
    let bytes = tokio::task::spawn_blocking(move || super::pdf::render(&copy))
        .await
        .map_err(|e| AppError::internal("PDF task failed", &e))?
        .map_err(|e| AppError::internal("PDF rendering failed", &e))?;
    Ok((view.number, bytes))
}

fn field_label(view: &DossierView, path: &str) -> String {
    view.pages
        .iter()
        .flat_map(|p| p.items.iter())
        .find_map(|item| match item {
            forms::ReviewItem::Answer { label, path: p, .. } if p == path => Some(label.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
