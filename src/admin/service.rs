//! The administration's reads and writes. Every write records its audit line in the
//! same transaction; callers have checked that the account is an administrator.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::builder;
use super::model::{
    AdminDemarcheRow, AuditAction, AuditPage, AuditQuery, AuditRow, ConditionChoice,
    DemarcheEditor, DemarcheSettings, EmailKind, EmailSetting, EmailVars, FeaturedRow, FieldEditor,
    MemberRow, PageEditor, ServiceChoice, ServiceDetail, ServiceRow, UserDetail, UserPage,
    UserProfile, UserQuery, UserRow, email_problems,
};
use crate::account::model::{Role, check_email, format_date_fr};
use crate::demarches::model::{Audience, DemarcheState};
use crate::dossiers::model::DossierStatus;
use crate::error::{AppError, FieldError};
use crate::forms::{FormDefinition, definition_problems};
use crate::server::AppState;
use crate::server::audit::{Actor, Audit};
use crate::server::db::{format_date, now, paris};
use crate::server::entities::{
    account, audit_log, demarche, demarche_email, demarche_service, demarche_version, dossier,
    dossier_count, profile, profile_member, recovery_code, service, service_member, trusted_device,
};
use crate::server::session::end_sessions_of;

fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------- démarches

async fn demarche_row<C: ConnectionTrait>(db: &C, id: i32) -> Result<demarche::Model, AppError> {
    demarche::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

fn state_of(row: &demarche::Model) -> DemarcheState {
    match row.state.as_str() {
        "publiee" => DemarcheState::Publiee,
        "close" => DemarcheState::Close,
        _ => DemarcheState::Brouillon,
    }
}

fn period(row: &demarche::Model) -> Option<String> {
    match (&row.opens_on, &row.closes_on) {
        (Some(o), Some(c)) => Some(format!("du {} au {}", format_date_fr(o), format_date_fr(c))),
        (None, Some(c)) => Some(format!("jusqu’au {}", format_date_fr(c))),
        (Some(o), None) => Some(format!("à partir du {}", format_date_fr(o))),
        (None, None) => None,
    }
}

async fn published_definition<C: ConnectionTrait>(
    db: &C,
    row: &demarche::Model,
) -> Result<Option<(i32, FormDefinition)>, AppError> {
    let Some(version_id) = row.current_version_id else {
        return Ok(None);
    };
    let version = demarche_version::Entity::find_by_id(version_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal_msg("current version missing"))?;
    let def = serde_json::from_str(&version.definition)
        .map_err(|e| AppError::internal("stored form definition is invalid", &e))?;
    Ok(Some((version.number, def)))
}

/// The form being edited: the draft, or the published version's.
async fn working_definition<C: ConnectionTrait>(
    db: &C,
    row: &demarche::Model,
) -> Result<FormDefinition, AppError> {
    if let Some(draft) = &row.draft_definition {
        return serde_json::from_str(draft)
            .map_err(|e| AppError::internal("draft form definition is invalid", &e));
    }
    Ok(published_definition(db, row)
        .await?
        .map(|(_, def)| def)
        .unwrap_or_default())
}

async fn filed_counts<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, u64>, AppError> {
    let mut counts = HashMap::new();
    for row in dossier_count::Entity::find().all(db).await? {
        *counts.entry(row.demarche_id).or_insert(0) += u64::try_from(row.n).unwrap_or(0);
    }
    Ok(counts)
}

async fn service_names<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, String>, AppError> {
    Ok(service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Every démarche, by title.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<AdminDemarcheRow>, AppError> {
    let rows = demarche::Entity::find()
        .order_by_asc(demarche::Column::Title)
        .all(db)
        .await?;
    let counts = filed_counts(db).await?;
    let names = service_names(db).await?;
    let mut services: HashMap<i32, Vec<String>> = HashMap::new();
    for link in demarche_service::Entity::find().all(db).await? {
        if let Some(name) = names.get(&link.service_id) {
            services
                .entry(link.demarche_id)
                .or_default()
                .push(name.clone());
        }
    }
    let versions: HashMap<i32, i32> = demarche_version::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.number))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut svc = services.remove(&row.id).unwrap_or_default();
            svc.sort();
            AdminDemarcheRow {
                id: row.id,
                state: state_of(&row),
                audience: Audience::parse(&row.audience).unwrap_or(Audience::Tous),
                period: period(&row),
                services: svc,
                dossiers: counts.get(&row.id).copied().unwrap_or(0),
                featured: row.featured,
                version: row
                    .current_version_id
                    .and_then(|v| versions.get(&v).copied()),
                unpublished_changes: row.draft_definition.is_some(),
                slug: row.slug,
                title: row.title,
            }
        })
        .collect())
}

fn settings_of(row: &demarche::Model) -> DemarcheSettings {
    DemarcheSettings {
        title: row.title.clone(),
        slug: row.slug.clone(),
        summary: row.summary.clone(),
        description: row.description.clone(),
        audience: row.audience.clone(),
        processing_time: row.processing_time.clone().unwrap_or_default(),
        documents: crate::demarches::store::documents(row).join("\n"),
        opens_on: row.opens_on.clone().unwrap_or_default(),
        closes_on: row.closes_on.clone().unwrap_or_default(),
    }
}

/// The editor of a démarche.
pub async fn editor(
    state: &AppState,
    id: i32,
    notice: Option<String>,
) -> Result<DemarcheEditor, AppError> {
    let db = &state.db;
    let row = demarche_row(db, id).await?;
    let definition = working_definition(db, &row).await?;
    let version = published_definition(db, &row).await?.map(|(n, _)| n);
    let chosen: Vec<i32> = demarche_service::Entity::find()
        .filter(demarche_service::Column::DemarcheId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.service_id)
        .collect();
    let services = service::Entity::find()
        .order_by_asc(service::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ServiceChoice {
            chosen: chosen.contains(&s.id),
            id: s.id,
            name: s.name,
        })
        .collect();
    let dossiers = filed_counts(db).await?.get(&id).copied().unwrap_or(0);
    let older_version_dossiers = match row.current_version_id {
        Some(current) => {
            dossier::Entity::find()
                .filter(dossier::Column::DemarcheId.eq(id))
                .filter(dossier::Column::VersionId.ne(current))
                .count(db)
                .await?
        }
        None => 0,
    };
    Ok(DemarcheEditor {
        id,
        settings: settings_of(&row),
        state: state_of(&row),
        services,
        version,
        unpublished_changes: row.draft_definition.is_some(),
        problems: definition_problems(&definition),
        definition,
        dossiers,
        older_version_dossiers,
        emails: emails(state, &row).await?,
        notice,
        max_file_mb: state.settings.max_file_bytes / 1_000_000,
    })
}

/// Checks the description of a démarche; `Ok` holds the clean values.
async fn check_settings<C: ConnectionTrait>(
    db: &C,
    id: Option<i32>,
    s: &DemarcheSettings,
) -> Result<DemarcheSettings, AppError> {
    let mut errors = Vec::new();
    let title = s.title.trim().to_owned();
    if title.is_empty() {
        errors.push(field("title", "Saisissez le titre de la démarche."));
    } else if title.chars().count() > 200 {
        errors.push(field("title", "Le titre compte 200 caractères au plus."));
    }
    let slug = s.slug.trim().to_lowercase();
    let slug = if slug.is_empty() {
        builder::slug_key(&title).replace('_', "-")
    } else {
        slug
    };
    if slug.len() > 120
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || slug.starts_with('-')
    {
        errors.push(field(
            "slug",
            "L’adresse ne contient que des lettres minuscules sans accent, des chiffres et des tirets, par exemple aide-au-permis.",
        ));
    } else {
        let mut taken = demarche::Entity::find().filter(demarche::Column::Slug.eq(&slug));
        if let Some(id) = id {
            taken = taken.filter(demarche::Column::Id.ne(id));
        }
        if taken.count(db).await? > 0 {
            errors.push(field(
                "slug",
                "Une autre démarche a déjà cette adresse : choisissez-en une autre.",
            ));
        }
    }
    let summary = s.summary.trim().to_owned();
    if summary.is_empty() {
        errors.push(field(
            "summary",
            "Saisissez le résumé affiché dans la liste des démarches.",
        ));
    } else if summary.chars().count() > 500 {
        errors.push(field("summary", "Le résumé compte 500 caractères au plus."));
    }
    if s.description.chars().count() > 20_000 {
        errors.push(field(
            "description",
            "La description compte 20 000 caractères au plus.",
        ));
    }
    if Audience::parse(&s.audience).is_none() {
        errors.push(field("audience", "Choisissez à qui s’adresse la démarche."));
    }
    let date = |name: &str, value: &str, errors: &mut Vec<FieldError>| -> String {
        let value = value.trim();
        if value.is_empty() {
            return String::new();
        }
        match crate::forms::checks::parse_date(value) {
            Some(d) => d,
            None => {
                errors.push(field(
                    name,
                    "Saisissez une date réelle, par exemple 14/07/2027.",
                ));
                value.to_owned()
            }
        }
    };
    let opens_on = date("opens_on", &s.opens_on, &mut errors);
    let closes_on = date("closes_on", &s.closes_on, &mut errors);
    if !opens_on.is_empty() && !closes_on.is_empty() && closes_on < opens_on {
        errors.push(field(
            "closes_on",
            "La date de clôture doit suivre la date d’ouverture.",
        ));
    }
    let clean = DemarcheSettings {
        title,
        slug,
        summary,
        description: s.description.trim().to_owned(),
        audience: s.audience.clone(),
        processing_time: s.processing_time.trim().to_owned(),
        documents: s
            .documents
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        opens_on,
        closes_on,
    };
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(AppError::Invalid {
            errors,
            kept: kept_settings(s),
        })
    }
}

/// The typed values, kept for the form shown again.
pub fn kept_settings(s: &DemarcheSettings) -> Vec<(String, String)> {
    [
        ("title", &s.title),
        ("slug", &s.slug),
        ("summary", &s.summary),
        ("description", &s.description),
        ("audience", &s.audience),
        ("processing_time", &s.processing_time),
        ("documents", &s.documents),
        ("opens_on", &s.opens_on),
        ("closes_on", &s.closes_on),
    ]
    .into_iter()
    .map(|(k, v)| (format!("settings[{k}]"), v.clone()))
    .collect()
}

fn documents_json(s: &DemarcheSettings) -> Result<String, AppError> {
    let list: Vec<&str> = s.documents.lines().collect();
    serde_json::to_string(&list).map_err(|e| AppError::internal("documents list", &e))
}

fn none_if_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// A new démarche (brouillon) with a first empty page.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    settings: &DemarcheSettings,
) -> Result<i32, AppError> {
    let s = check_settings(&state.db, None, settings).await?;
    let mut def = FormDefinition::default();
    builder::add_page(&mut def, "Votre demande");
    let txn = state.db.begin().await?;
    let now = now();
    let inserted = demarche::Entity::insert(demarche::ActiveModel {
        id: NotSet,
        slug: Set(s.slug.clone()),
        title: Set(s.title.clone()),
        summary: Set(s.summary.clone()),
        description: Set(s.description.clone()),
        audience: Set(s.audience.clone()),
        state: Set(DemarcheState::Brouillon.as_str().into()),
        featured: Set(false),
        featured_order: Set(None),
        featured_from: Set(None),
        featured_until: Set(None),
        processing_time: Set(none_if_empty(&s.processing_time)),
        documents: Set(documents_json(&s)?),
        opens_on: Set(none_if_empty(&s.opens_on)),
        closes_on: Set(none_if_empty(&s.closes_on)),
        current_version_id: Set(None),
        draft_definition: Set(Some(to_json(&def)?)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&txn)
    .await?;
    let id = inserted.last_insert_id;
    Audit::new(AuditAction::DemarcheCreated)
        .on("demarche", id, &s.title)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(id)
}

fn to_json(def: &FormDefinition) -> Result<String, AppError> {
    serde_json::to_string(def).map_err(|e| AppError::internal("form definition", &e))
}

/// Saves the description of a démarche (shown at once, published or not).
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    settings: &DemarcheSettings,
) -> Result<(), AppError> {
    let row = demarche_row(&state.db, id).await?;
    let s = check_settings(&state.db, Some(id), settings).await?;
    let txn = state.db.begin().await?;
    let title = s.title.clone();
    let mut active = row.into_active_model();
    active.title = Set(s.title.clone());
    active.slug = Set(s.slug.clone());
    active.summary = Set(s.summary.clone());
    active.description = Set(s.description.clone());
    active.audience = Set(s.audience.clone());
    active.processing_time = Set(none_if_empty(&s.processing_time));
    active.documents = Set(documents_json(&s)?);
    active.opens_on = Set(none_if_empty(&s.opens_on));
    active.closes_on = Set(none_if_empty(&s.closes_on));
    active.updated_at = Set(now());
    active.update(&txn).await?;
    Audit::new(AuditAction::DemarcheUpdated)
        .on("demarche", id, title)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A copy of a démarche as a new brouillon: description, form, services, emails.
pub async fn duplicate(state: &AppState, actor: &Actor, id: i32) -> Result<i32, AppError> {
    let row = demarche_row(&state.db, id).await?;
    let def = working_definition(&state.db, &row).await?;
    let txn = state.db.begin().await?;
    let mut slug = format!("{}-copie", row.slug);
    let mut n = 2;
    while demarche::Entity::find()
        .filter(demarche::Column::Slug.eq(&slug))
        .count(&txn)
        .await?
        > 0
    {
        slug = format!("{}-copie-{n}", row.slug);
        n += 1;
    }
    let now = now();
    let title: String = format!("Copie de {}", row.title)
        .chars()
        .take(200)
        .collect();
    let inserted = demarche::Entity::insert(demarche::ActiveModel {
        id: NotSet,
        slug: Set(slug),
        title: Set(title.clone()),
        summary: Set(row.summary.clone()),
        description: Set(row.description.clone()),
        audience: Set(row.audience.clone()),
        state: Set(DemarcheState::Brouillon.as_str().into()),
        featured: Set(false),
        featured_order: Set(None),
        featured_from: Set(None),
        featured_until: Set(None),
        processing_time: Set(row.processing_time.clone()),
        documents: Set(row.documents.clone()),
        opens_on: Set(row.opens_on.clone()),
        closes_on: Set(row.closes_on.clone()),
        current_version_id: Set(None),
        draft_definition: Set(Some(to_json(&def)?)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&txn)
    .await?;
    let new_id = inserted.last_insert_id;
    for link in demarche_service::Entity::find()
        .filter(demarche_service::Column::DemarcheId.eq(id))
        .all(&txn)
        .await?
    {
        demarche_service::Entity::insert(demarche_service::ActiveModel {
            demarche_id: Set(new_id),
            service_id: Set(link.service_id),
        })
        .exec(&txn)
        .await?;
    }
    for email in demarche_email::Entity::find()
        .filter(demarche_email::Column::DemarcheId.eq(id))
        .all(&txn)
        .await?
    {
        demarche_email::Entity::insert(demarche_email::ActiveModel {
            demarche_id: Set(new_id),
            kind: Set(email.kind),
            subject: Set(email.subject),
            body: Set(email.body),
            updated_at: Set(now),
        })
        .exec(&txn)
        .await?;
    }
    Audit::new(AuditAction::DemarcheDuplicated)
        .on("demarche", new_id, &title)
        .detail(format!("Copie de la démarche n° {id} « {} »", row.title))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(new_id)
}

/// Publishes the form being edited as a new frozen version (when it changed), and opens
/// the démarche. Drafts and dossiers started before keep their version.
pub async fn publish(state: &AppState, actor: &Actor, id: i32) -> Result<String, AppError> {
    let txn = state.db.begin().await?;
    let row = demarche_row(&txn, id).await?;
    let def = working_definition(&txn, &row).await?;
    let problems = definition_problems(&def);
    if !problems.is_empty() {
        return Err(AppError::Validation(
            problems
                .into_iter()
                .map(|p| field("publication", p))
                .collect(),
        ));
    }
    let published = published_definition(&txn, &row).await?;
    let (number, notice) = match &published {
        Some((number, current)) if *current == def => (
            *number,
            format!("La démarche est publiée (version {number} du formulaire)."),
        ),
        _ => {
            let last = demarche_version::Entity::find()
                .filter(demarche_version::Column::DemarcheId.eq(id))
                .order_by_desc(demarche_version::Column::Number)
                .one(&txn)
                .await?
                .map_or(0, |v| v.number);
            let number = last + 1;
            let version = demarche_version::Entity::insert(demarche_version::ActiveModel {
                id: NotSet,
                demarche_id: Set(id),
                number: Set(number),
                definition: Set(to_json(&def)?),
                created_at: Set(now()),
            })
            .exec(&txn)
            .await?;
            demarche::Entity::update_many()
                .col_expr(
                    demarche::Column::CurrentVersionId,
                    Expr::value(version.last_insert_id),
                )
                .filter(demarche::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            let notice = if published.is_some() {
                format!(
                    "La version {number} du formulaire est publiée : les nouveaux dossiers l’utilisent, ceux déjà commencés gardent leur version."
                )
            } else {
                format!("La démarche est publiée (version {number} du formulaire).")
            };
            (number, notice)
        }
    };
    demarche::Entity::update_many()
        .col_expr(
            demarche::Column::State,
            Expr::value(DemarcheState::Publiee.as_str()),
        )
        .col_expr(
            demarche::Column::DraftDefinition,
            Expr::value(Option::<String>::None),
        )
        .col_expr(demarche::Column::UpdatedAt, Expr::value(now()))
        .filter(demarche::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    Audit::new(AuditAction::DemarchePublished)
        .on("demarche", id, &row.title)
        .detail(format!("Version {number} du formulaire"))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(notice)
}

/// Closes a published démarche (no new dossier), or reopens a closed one.
pub async fn set_open(
    state: &AppState,
    actor: &Actor,
    id: i32,
    open: bool,
) -> Result<String, AppError> {
    let txn = state.db.begin().await?;
    let row = demarche_row(&txn, id).await?;
    let (from, to, action, notice) = if open {
        (
            DemarcheState::Close,
            DemarcheState::Publiee,
            AuditAction::DemarcheReopened,
            "La démarche est rouverte : elle accepte de nouveau des dossiers.",
        )
    } else {
        (
            DemarcheState::Publiee,
            DemarcheState::Close,
            AuditAction::DemarcheClosed,
            "La démarche est close : elle n’accepte plus de nouveau dossier. Les dossiers déposés restent instruits.",
        )
    };
    if state_of(&row) != from {
        return Err(AppError::field(
            "etat",
            if open {
                "Seule une démarche close peut être rouverte."
            } else {
                "Seule une démarche publiée peut être close."
            },
        ));
    }
    demarche::Entity::update_many()
        .col_expr(demarche::Column::State, Expr::value(to.as_str()))
        .col_expr(demarche::Column::UpdatedAt, Expr::value(now()))
        .filter(demarche::Column::Id.eq(id))
        .filter(demarche::Column::State.eq(from.as_str()))
        .exec(&txn)
        .await?;
    Audit::new(action)
        .on("demarche", id, &row.title)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(notice.to_owned())
}

/// Changes the form being edited with `change`, and records it. Two administrators
/// editing at once never lose a change: the write only happens if the form read is
/// still the stored one (otherwise read again and apply again).
pub async fn edit_form<T>(
    state: &AppState,
    actor: &Actor,
    id: i32,
    what: &str,
    change: impl Fn(&mut FormDefinition) -> Result<T, AppError>,
) -> Result<T, AppError> {
    for _ in 0..5 {
        let txn = state.db.begin().await?;
        let row = demarche_row(&txn, id).await?;
        let mut def = working_definition(&txn, &row).await?;
        let out = change(&mut def)?;
        let json = to_json(&def)?;
        let mut update = demarche::Entity::update_many()
            .col_expr(demarche::Column::DraftDefinition, Expr::value(Some(json)))
            .col_expr(demarche::Column::UpdatedAt, Expr::value(now()))
            .filter(demarche::Column::Id.eq(id));
        update = match &row.draft_definition {
            Some(old) => update.filter(demarche::Column::DraftDefinition.eq(old.clone())),
            None => update.filter(demarche::Column::DraftDefinition.is_null()),
        };
        if update.exec(&txn).await?.rows_affected == 1 {
            Audit::new(AuditAction::FormEdited)
                .on("demarche", id, &row.title)
                .detail(what)
                .write(&txn, actor)
                .await?;
            txn.commit().await?;
            return Ok(out);
        }
        txn.rollback().await?;
    }
    Err(AppError::field(
        "formulaire",
        "Le formulaire vient d’être modifié par une autre personne : rechargez la page et recommencez.",
    ))
}

/// The form being edited, with the démarche's title (for the preview and editors).
pub async fn working_form(state: &AppState, id: i32) -> Result<(String, FormDefinition), AppError> {
    let row = demarche_row(&state.db, id).await?;
    let def = working_definition(&state.db, &row).await?;
    Ok((row.title, def))
}

/// The editor of one field.
pub async fn field_editor(
    state: &AppState,
    id: i32,
    key: &str,
    notice: Option<String>,
) -> Result<FieldEditor, AppError> {
    let (title, def) = working_form(state, id).await?;
    let location = builder::find_field(&def, key).ok_or_else(AppError::not_found)?;
    let page = &def.pages[location.page];
    Ok(FieldEditor {
        demarche_id: id,
        demarche_title: title,
        page_key: page.key.clone(),
        page_title: page.title.clone(),
        group: location.group.map(|g| g.key.clone()),
        settings: builder::settings_of(location.field),
        field: location.field.clone(),
        condition_choices: builder::condition_choices(&def, key),
        max_file_mb: state.settings.max_file_bytes / 1_000_000,
        notice,
    })
}

/// The editor of one page.
pub async fn page_editor(state: &AppState, id: i32, key: &str) -> Result<PageEditor, AppError> {
    let (title, def) = working_form(state, id).await?;
    let page = def
        .pages
        .iter()
        .find(|p| p.key == key)
        .ok_or_else(AppError::not_found)?;
    let condition_choices: Vec<ConditionChoice> = builder::page_condition_choices(&def, key);
    Ok(PageEditor {
        demarche_id: id,
        demarche_title: title,
        key: page.key.clone(),
        title: page.title.clone(),
        intro: page.intro.clone().unwrap_or_default(),
        condition_field: page
            .condition
            .as_ref()
            .map(|c| c.field.clone())
            .unwrap_or_default(),
        condition_equals: page
            .condition
            .as_ref()
            .map(|c| c.equals.clone())
            .unwrap_or_default(),
        condition_choices,
    })
}

/// The services that handle a démarche: add or remove one.
pub async fn attach_service(
    state: &AppState,
    actor: &Actor,
    service_id: i32,
    demarche_id: i32,
    attach: bool,
) -> Result<(), AppError> {
    let svc = service::Entity::find_by_id(service_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let row = demarche_row(&state.db, demarche_id).await?;
    let txn = state.db.begin().await?;
    let existing = demarche_service::Entity::find_by_id((demarche_id, service_id))
        .one(&txn)
        .await?;
    match (attach, existing) {
        (true, None) => {
            demarche_service::Entity::insert(demarche_service::ActiveModel {
                demarche_id: Set(demarche_id),
                service_id: Set(service_id),
            })
            .exec(&txn)
            .await?;
        }
        (false, Some(_)) => {
            demarche_service::Entity::delete_by_id((demarche_id, service_id))
                .exec(&txn)
                .await?;
        }
        _ => return Ok(()),
    }
    Audit::new(AuditAction::ServiceDemarches)
        .on("service", service_id, &svc.name)
        .detail(format!(
            "{} : démarche n° {demarche_id} « {} »",
            if attach { "rattachée" } else { "détachée" },
            row.title
        ))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- emails

/// The custom text of a démarche's email, if an administrator wrote one.
pub async fn custom_email<C: ConnectionTrait>(
    db: &C,
    demarche_id: i32,
    kind: EmailKind,
) -> Result<Option<(String, String)>, AppError> {
    Ok(
        demarche_email::Entity::find_by_id((demarche_id, kind.as_str().to_owned()))
            .one(db)
            .await?
            .map(|e| (e.subject, e.body)),
    )
}

/// A suggested starting text for a custom email.
fn starting_text(kind: EmailKind) -> (String, String) {
    let (subject, first) = match kind {
        EmailKind::Depot => (
            "Accusé de réception : dossier {numero}",
            "Votre dossier {numero} pour la démarche « {demarche} » a bien été déposé. Les services du Département vont l’examiner ; vous recevrez un courriel à chaque changement de son statut.",
        ),
        EmailKind::EnInstruction => (
            "Dossier {numero} : en instruction",
            "Votre dossier {numero} (« {demarche} ») est en cours d’instruction par les services du Département.",
        ),
        EmailKind::ComplementsDemandes => (
            "Dossier {numero} : des compléments sont demandés",
            "Pour poursuivre l’examen de votre dossier {numero} (« {demarche} »), les services du Département ont besoin de compléments.\n\nLeur message : {message}\n\nOuvrez votre dossier, complétez-le, puis cliquez sur « Transmettre les compléments ».",
        ),
        EmailKind::Accepte => (
            "Dossier {numero} : accepté",
            "Bonne nouvelle : votre dossier {numero} (« {demarche} ») est accepté.\n\nMessage des services instructeurs : {message}",
        ),
        EmailKind::Refuse => (
            "Dossier {numero} : refusé",
            "Votre dossier {numero} (« {demarche} ») est refusé.\n\nMotif : {message}",
        ),
        EmailKind::ClasseSansSuite => (
            "Dossier {numero} : classé sans suite",
            "Votre dossier {numero} (« {demarche} ») est classé sans suite.\n\nMessage des services instructeurs : {message}",
        ),
    };
    (
        subject.to_owned(),
        format!("Bonjour,\n\n{first}\n\nSuivre votre dossier : {{lien}}"),
    )
}

/// The emails of a démarche with their previews (the default one as the portal
/// writes it, or the custom one).
async fn emails(state: &AppState, row: &demarche::Model) -> Result<Vec<EmailSetting>, AppError> {
    let custom: BTreeMap<String, demarche_email::Model> = demarche_email::Entity::find()
        .filter(demarche_email::Column::DemarcheId.eq(row.id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| (e.kind.clone(), e))
        .collect();
    let vars = EmailVars::sample(&row.title);
    Ok(EmailKind::ALL
        .into_iter()
        .map(|kind| {
            let status = match kind {
                EmailKind::Depot => DossierStatus::Depose,
                EmailKind::EnInstruction => DossierStatus::EnInstruction,
                EmailKind::ComplementsDemandes => DossierStatus::ComplementsDemandes,
                EmailKind::Accepte => DossierStatus::Accepte,
                EmailKind::Refuse => DossierStatus::Refuse,
                EmailKind::ClasseSansSuite => DossierStatus::ClasseSansSuite,
            };
            let stored = custom.get(kind.as_str());
            let (subject, body) = stored
                .map(|e| (e.subject.clone(), e.body.clone()))
                .unwrap_or_else(|| starting_text(kind));
            // A receipt never carries a message of the instructors.
            let vars = if kind == EmailKind::Depot {
                EmailVars {
                    message: String::new(),
                    ..vars.clone()
                }
            } else {
                vars.clone()
            };
            let (preview_subject, preview_paragraphs) = preview(
                state,
                status,
                &vars,
                stored.map(|e| (&*e.subject, &*e.body)),
            );
            EmailSetting {
                kind,
                customised: stored.is_some(),
                subject,
                body,
                preview_subject,
                preview_paragraphs,
            }
        })
        .collect())
}

/// How an email of `status` reads, custom or default.
pub fn preview(
    state: &AppState,
    status: DossierStatus,
    vars: &EmailVars,
    custom: Option<(&str, &str)>,
) -> (String, Vec<String>) {
    let template = crate::backoffice::service::status_email_with(
        state,
        status,
        vars,
        None,
        custom.map(|(s, b)| (s.to_owned(), b.to_owned())),
    );
    match template {
        crate::server::mail::Template::Notification {
            subject,
            paragraphs,
            ..
        } => (subject, paragraphs),
    }
}

/// Saves the custom text of an email (checked first).
pub async fn save_email(
    state: &AppState,
    actor: &Actor,
    id: i32,
    kind: EmailKind,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    let errors = email_problems(subject, body);
    if !errors.is_empty() {
        return Err(AppError::Invalid {
            errors,
            kept: vec![
                ("kind".into(), kind.as_str().to_owned()),
                ("subject".into(), subject.to_owned()),
                ("body".into(), body.to_owned()),
            ],
        });
    }
    let row = demarche_row(&state.db, id).await?;
    let txn = state.db.begin().await?;
    demarche_email::Entity::delete_by_id((id, kind.as_str().to_owned()))
        .exec(&txn)
        .await?;
    demarche_email::Entity::insert(demarche_email::ActiveModel {
        demarche_id: Set(id),
        kind: Set(kind.as_str().into()),
        subject: Set(subject.trim().to_owned()),
        body: Set(body.trim().replace("\r\n", "\n")),
        updated_at: Set(now()),
    })
    .exec(&txn)
    .await?;
    Audit::new(AuditAction::EmailCustomised)
        .on("demarche", id, &row.title)
        .detail(format!("{} : texte personnalisé", kind.label()))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Goes back to the portal's default text.
pub async fn reset_email(
    state: &AppState,
    actor: &Actor,
    id: i32,
    kind: EmailKind,
) -> Result<(), AppError> {
    let row = demarche_row(&state.db, id).await?;
    let txn = state.db.begin().await?;
    let deleted = demarche_email::Entity::delete_by_id((id, kind.as_str().to_owned()))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted > 0 {
        Audit::new(AuditAction::EmailCustomised)
            .on("demarche", id, &row.title)
            .detail(format!("{} : texte par défaut rétabli", kind.label()))
            .write(&txn, actor)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- à la Une

/// Midnight in Paris of a `YYYY-MM-DD` date, as an instant.
fn paris_midnight(date: &str) -> Option<time::OffsetDateTime> {
    let date = crate::forms::checks::parse_date(date)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(&date, &format).ok()?;
    let utc = day.midnight().assume_utc();
    let offset = paris(utc).offset().whole_seconds();
    Some(utc - time::Duration::seconds(i64::from(offset)))
}

fn paris_date(at: time::OffsetDateTime) -> String {
    let d = paris(at).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The published démarches with their place in the banner: featured first in order.
pub async fn featured_rows(db: &DatabaseConnection) -> Result<Vec<FeaturedRow>, AppError> {
    let rows = demarche::Entity::find()
        .filter(demarche::Column::State.eq(DemarcheState::Publiee.as_str()))
        .order_by_desc(demarche::Column::Featured)
        .order_by_asc(demarche::Column::FeaturedOrder)
        .order_by_asc(demarche::Column::Title)
        .all(db)
        .await?;
    let at = now();
    Ok(rows
        .into_iter()
        .map(|r| FeaturedRow {
            shown_now: r.featured
                && r.featured_from.is_none_or(|f| f <= at)
                && r.featured_until.is_none_or(|u| u > at),
            id: r.id,
            title: r.title,
            featured: r.featured,
            order: r.featured_order,
            from: r.featured_from.map(paris_date).unwrap_or_default(),
            until: r
                .featured_until
                .map(|u| paris_date(u - time::Duration::seconds(1)))
                .unwrap_or_default(),
        })
        .collect())
}

/// Renumbers the featured démarches 1, 2, 3… in their current order.
async fn renumber<C: ConnectionTrait>(db: &C, order: &[i32]) -> Result<(), AppError> {
    for (i, id) in order.iter().enumerate() {
        demarche::Entity::update_many()
            .col_expr(
                demarche::Column::FeaturedOrder,
                Expr::value(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            )
            .filter(demarche::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn featured_order<C: ConnectionTrait>(db: &C) -> Result<Vec<i32>, AppError> {
    Ok(demarche::Entity::find()
        .filter(demarche::Column::Featured.eq(true))
        .order_by_asc(demarche::Column::FeaturedOrder)
        .order_by_asc(demarche::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Puts a démarche in the banner (at the end) or takes it out, with its period.
pub async fn set_featured(
    state: &AppState,
    actor: &Actor,
    id: i32,
    featured: bool,
    from: &str,
    until: &str,
) -> Result<String, AppError> {
    let mut errors = Vec::new();
    let parse = |name: &str, value: &str, errors: &mut Vec<FieldError>| {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let at = paris_midnight(value);
        if at.is_none() {
            errors.push(field(
                name,
                "Saisissez une date réelle, par exemple 14/07/2027.",
            ));
        }
        at
    };
    let start = parse(&format!("du_{id}"), from, &mut errors);
    let end = parse(&format!("au_{id}"), until, &mut errors).map(|d| d + time::Duration::days(1));
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        errors.push(field(
            &format!("au_{id}"),
            "La fin de la période doit suivre son début.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid {
            errors,
            kept: vec![
                (format!("du_{id}"), from.to_owned()),
                (format!("au_{id}"), until.to_owned()),
            ],
        });
    }
    let txn = state.db.begin().await?;
    let row = demarche_row(&txn, id).await?;
    if featured && state_of(&row) != DemarcheState::Publiee {
        return Err(AppError::field(
            "une",
            "Seule une démarche publiée peut être à la Une.",
        ));
    }
    let mut order = featured_order(&txn).await?;
    order.retain(|d| *d != id);
    if featured {
        // Already featured: it keeps its place; otherwise it goes last.
        let place = row
            .featured_order
            .filter(|_| row.featured)
            .and_then(|o| usize::try_from(o - 1).ok())
            .unwrap_or(order.len());
        order.insert(place.min(order.len()), id);
    }
    demarche::Entity::update_many()
        .col_expr(demarche::Column::Featured, Expr::value(featured))
        .col_expr(
            demarche::Column::FeaturedOrder,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            demarche::Column::FeaturedFrom,
            Expr::value(if featured { start } else { None }),
        )
        .col_expr(
            demarche::Column::FeaturedUntil,
            Expr::value(if featured { end } else { None }),
        )
        .filter(demarche::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    renumber(&txn, &order).await?;
    let detail = if featured {
        match (from.trim(), until.trim()) {
            ("", "") => "À la Une, sans limite de durée".to_owned(),
            (f, "") => format!("À la Une à partir du {f}"),
            ("", u) => format!("À la Une jusqu’au {u}"),
            (f, u) => format!("À la Une du {f} au {u}"),
        }
    } else {
        "Retirée de la Une".to_owned()
    };
    Audit::new(AuditAction::FeaturedChanged)
        .on("demarche", id, &row.title)
        .detail(&detail)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(if featured {
        format!("« {} » est à la Une.", row.title)
    } else {
        format!("« {} » n’est plus à la Une.", row.title)
    })
}

/// Moves a featured démarche up (`-1`) or down (`+1`) in the banner.
pub async fn move_featured(
    state: &AppState,
    actor: &Actor,
    id: i32,
    delta: i32,
) -> Result<(), AppError> {
    let txn = state.db.begin().await?;
    let row = demarche_row(&txn, id).await?;
    let mut order = featured_order(&txn).await?;
    let Some(at) = order.iter().position(|d| *d == id) else {
        return Err(AppError::field("une", "Cette démarche n’est pas à la Une."));
    };
    let to = if delta < 0 {
        at.saturating_sub(1)
    } else {
        (at + 1).min(order.len() - 1)
    };
    if to == at {
        return Ok(());
    }
    order.swap(at, to);
    renumber(&txn, &order).await?;
    Audit::new(AuditAction::FeaturedChanged)
        .on("demarche", id, &row.title)
        .detail(format!("Position {} dans le bandeau", to + 1))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- services

fn full_name(a: &account::Model) -> String {
    format!("{} {}", a.first_name, a.last_name)
        .trim()
        .to_owned()
}

pub async fn services(db: &DatabaseConnection) -> Result<Vec<ServiceRow>, AppError> {
    let titles: HashMap<i32, String> = demarche::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.title))
        .collect();
    let mut demarches: HashMap<i32, Vec<String>> = HashMap::new();
    for link in demarche_service::Entity::find().all(db).await? {
        if let Some(t) = titles.get(&link.demarche_id) {
            demarches
                .entry(link.service_id)
                .or_default()
                .push(t.clone());
        }
    }
    let mut members: HashMap<i32, usize> = HashMap::new();
    for m in service_member::Entity::find().all(db).await? {
        *members.entry(m.service_id).or_default() += 1;
    }
    Ok(service::Entity::find()
        .order_by_asc(service::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|s| {
            let mut d = demarches.remove(&s.id).unwrap_or_default();
            d.sort();
            ServiceRow {
                demarches: d,
                members: members.get(&s.id).copied().unwrap_or(0),
                id: s.id,
                name: s.name,
            }
        })
        .collect())
}

pub async fn service_detail(
    db: &DatabaseConnection,
    id: i32,
    notice: Option<String>,
) -> Result<ServiceDetail, AppError> {
    let svc = service::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let chosen: Vec<i32> = demarche_service::Entity::find()
        .filter(demarche_service::Column::ServiceId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.demarche_id)
        .collect();
    let demarches = demarche::Entity::find()
        .order_by_asc(demarche::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .map(|d| ServiceChoice {
            chosen: chosen.contains(&d.id),
            id: d.id,
            name: d.title,
        })
        .collect();
    let ids: Vec<i32> = service_member::Entity::find()
        .filter(service_member::Column::ServiceId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    let members = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .order_by_asc(account::Column::LastName)
        .order_by_asc(account::Column::FirstName)
        .all(db)
        .await?
        .into_iter()
        .map(|a| MemberRow {
            account_id: a.id,
            name: full_name(&a),
            role: Role::parse(&a.role).unwrap_or(Role::Citizen),
            active: a.active,
            email: a.email,
        })
        .collect();
    Ok(ServiceDetail {
        id,
        name: svc.name,
        demarches,
        members,
        notice,
    })
}

async fn check_service_name<C: ConnectionTrait>(
    db: &C,
    id: Option<i32>,
    name: &str,
) -> Result<String, AppError> {
    let name = name.trim();
    let message = if name.is_empty() {
        Some("Saisissez le nom du service.")
    } else if name.chars().count() > 150 {
        Some("Le nom compte 150 caractères au plus.")
    } else {
        let mut same = service::Entity::find().filter(service::Column::Name.eq(name));
        if let Some(id) = id {
            same = same.filter(service::Column::Id.ne(id));
        }
        (same.count(db).await? > 0).then_some("Un service porte déjà ce nom.")
    };
    match message {
        Some(m) => Err(AppError::Invalid {
            errors: vec![field("name", m)],
            kept: vec![("name".into(), name.to_owned())],
        }),
        None => Ok(name.to_owned()),
    }
}

pub async fn create_service(state: &AppState, actor: &Actor, name: &str) -> Result<i32, AppError> {
    let name = check_service_name(&state.db, None, name).await?;
    let txn = state.db.begin().await?;
    let inserted = service::Entity::insert(service::ActiveModel {
        id: NotSet,
        name: Set(name.clone()),
        created_at: Set(now()),
    })
    .exec(&txn)
    .await?;
    let id = inserted.last_insert_id;
    Audit::new(AuditAction::ServiceCreated)
        .on("service", id, &name)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(id)
}

pub async fn rename_service(
    state: &AppState,
    actor: &Actor,
    id: i32,
    name: &str,
) -> Result<(), AppError> {
    let svc = service::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let name = check_service_name(&state.db, Some(id), name).await?;
    let txn = state.db.begin().await?;
    let old = svc.name.clone();
    let mut active = svc.into_active_model();
    active.name = Set(name.clone());
    active.update(&txn).await?;
    Audit::new(AuditAction::ServiceRenamed)
        .on("service", id, &name)
        .detail(format!("Ancien nom : {old}"))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Adds an instructor (or administrator) to a service by email.
pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    id: i32,
    email: &str,
) -> Result<String, AppError> {
    let svc = service::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let typed = email.to_owned();
    let invalid = |m: &str| AppError::Invalid {
        errors: vec![field("email", m)],
        kept: vec![("email".into(), typed.clone())],
    };
    let email = check_email(email).map_err(invalid)?;
    let Some(member) = account::Entity::find()
        .filter(account::Column::Email.eq(&email))
        .filter(account::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
    else {
        return Err(invalid(
            "Aucun compte n’utilise cette adresse : la personne doit d’abord créer son compte sur le portail.",
        ));
    };
    if !Role::parse(&member.role).is_some_and(|r| r.includes(Role::Instructor)) {
        return Err(invalid(
            "Ce compte est un compte d’usager : donnez-lui d’abord le rôle Instructeur dans « Utilisateurs ».",
        ));
    }
    let txn = state.db.begin().await?;
    if service_member::Entity::find_by_id((id, member.id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(invalid("Cette personne fait déjà partie du service."));
    }
    service_member::Entity::insert(service_member::ActiveModel {
        service_id: Set(id),
        account_id: Set(member.id),
    })
    .exec(&txn)
    .await?;
    Audit::new(AuditAction::ServiceMemberAdded)
        .on("service", id, &svc.name)
        .detail(format!("{} ({})", full_name(&member), member.email))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(format!(
        "{} fait maintenant partie du service.",
        full_name(&member)
    ))
}

pub async fn remove_member(
    state: &AppState,
    actor: &Actor,
    id: i32,
    account_id: i32,
) -> Result<String, AppError> {
    let svc = service::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let member = account::Entity::find_by_id(account_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let txn = state.db.begin().await?;
    let removed = service_member::Entity::delete_by_id((id, account_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed > 0 {
        Audit::new(AuditAction::ServiceMemberRemoved)
            .on("service", id, &svc.name)
            .detail(format!("{} ({})", full_name(&member), member.email))
            .write(&txn, actor)
            .await?;
    }
    txn.commit().await?;
    Ok(format!(
        "{} ne fait plus partie du service.",
        full_name(&member)
    ))
}

// ---------------------------------------------------------------- users

const USERS_PER_PAGE: u64 = 50;

fn user_row(a: &account::Model) -> UserRow {
    UserRow {
        id: a.id,
        name: if a.deleted_at.is_some() {
            "Compte supprimé".to_owned()
        } else {
            full_name(a)
        },
        email: a.email.clone(),
        role: Role::parse(&a.role).unwrap_or(Role::Citizen),
        active: a.active,
        verified: a.email_verified_at.is_some(),
    }
}

/// Accounts matching the search (name or email), by id, 50 per page.
pub async fn users(db: &DatabaseConnection, query: UserQuery) -> Result<UserPage, AppError> {
    let mut select = account::Entity::find();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        for word in q.split_whitespace().take(4) {
            let pattern = format!("%{}%", word.to_lowercase().replace(['%', '_'], ""));
            select = select.filter(
                Condition::any()
                    .add(Expr::expr(Func::lower(Expr::col(account::Column::Email))).like(&pattern))
                    .add(
                        Expr::expr(Func::lower(Expr::col(account::Column::FirstName)))
                            .like(&pattern),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(account::Column::LastName)))
                            .like(&pattern),
                    ),
            );
        }
    }
    if let Some(role) = query.role.as_deref().and_then(Role::parse) {
        select = select.filter(account::Column::Role.eq(role.as_str()));
    }
    if let Some(after) = query.apres.as_deref().and_then(|a| a.parse::<i32>().ok()) {
        select = select.filter(account::Column::Id.gt(after));
    }
    let mut rows = select
        .order_by_asc(account::Column::Id)
        .limit(USERS_PER_PAGE + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > USERS_PER_PAGE {
        rows.truncate(USERS_PER_PAGE as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(UserPage {
        rows: rows.iter().map(user_row).collect(),
        next,
        query,
    })
}

pub async fn user_detail(
    db: &DatabaseConnection,
    admin: &account::Model,
    id: i32,
    notice: Option<String>,
) -> Result<UserDetail, AppError> {
    let a = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let memberships = profile_member::Entity::find()
        .filter(profile_member::Column::AccountId.eq(id))
        .all(db)
        .await?;
    let profiles_by_id: HashMap<i32, profile::Model> = profile::Entity::find()
        .filter(profile::Column::Id.is_in(memberships.iter().map(|m| m.profile_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let profiles = memberships
        .iter()
        .filter_map(|m| {
            let p = profiles_by_id.get(&m.profile_id)?;
            Some(UserProfile {
                name: p.name.clone(),
                kind: crate::profiles::model::ProfileKind::parse(&p.kind)
                    .map(|k| k.label().to_owned())
                    .unwrap_or_default(),
                role: crate::profiles::model::MemberRole::parse(&m.role)
                    .label()
                    .to_owned(),
            })
        })
        .collect();
    let service_ids: Vec<i32> = service_member::Entity::find()
        .filter(service_member::Column::AccountId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.service_id)
        .collect();
    let services = service::Entity::find()
        .filter(service::Column::Id.is_in(service_ids))
        .order_by_asc(service::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    Ok(UserDetail {
        user: user_row(&a),
        created: format_date(a.created_at),
        deleted: a.deleted_at.is_some(),
        second_factor: a.totp_secret.is_some(),
        profiles,
        services,
        is_self: a.id == admin.id,
        notice,
    })
}

async fn target<C: ConnectionTrait>(db: &C, id: i32) -> Result<account::Model, AppError> {
    account::Entity::find_by_id(id)
        .filter(account::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Refuses a change that would leave the portal without an active administrator.
async fn keep_an_admin<C: ConnectionTrait>(
    db: &C,
    losing: &account::Model,
) -> Result<(), AppError> {
    if losing.role != Role::Admin.as_str() || !losing.active {
        return Ok(());
    }
    let others = account::Entity::find()
        .filter(account::Column::Role.eq(Role::Admin.as_str()))
        .filter(account::Column::Active.eq(true))
        .filter(account::Column::DeletedAt.is_null())
        .filter(account::Column::Id.ne(losing.id))
        .count(db)
        .await?;
    if others == 0 {
        return Err(AppError::field(
            "role",
            "C’est le dernier compte administrateur actif : nommez d’abord un autre administrateur.",
        ));
    }
    Ok(())
}

/// Changes the role of an account; its sessions end (a new role asks for a new sign-in,
/// with the second factor for staff).
pub async fn change_role(
    state: &AppState,
    actor: &Actor,
    id: i32,
    role: &str,
) -> Result<String, AppError> {
    let Some(role) = Role::parse(role) else {
        return Err(AppError::field("role", "Choisissez un rôle."));
    };
    let txn = state.db.begin().await?;
    let a = target(&txn, id).await?;
    let old = Role::parse(&a.role).unwrap_or(Role::Citizen);
    if old == role {
        return Ok("Le rôle n’a pas changé.".into());
    }
    if old == Role::Admin {
        keep_an_admin(&txn, &a).await?;
    }
    account::Entity::update_many()
        .col_expr(account::Column::Role, Expr::value(role.as_str()))
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if role == Role::Citizen {
        service_member::Entity::delete_many()
            .filter(service_member::Column::AccountId.eq(id))
            .exec(&txn)
            .await?;
    }
    end_sessions_of(&txn, id).await?;
    Audit::new(AuditAction::RoleChanged)
        .on("compte", id, &a.email)
        .detail(format!("{} → {}", old.label(), role.label()))
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(format!(
        "Le rôle de {} est maintenant : {}.",
        full_name(&a),
        role.label()
    ))
}

/// Deactivates an account (its sessions end at once) or reactivates it.
pub async fn set_active(
    state: &AppState,
    actor: &Actor,
    id: i32,
    active: bool,
) -> Result<String, AppError> {
    if !active && actor.id == Some(id) {
        return Err(AppError::field(
            "actif",
            "Vous ne pouvez pas désactiver votre propre compte.",
        ));
    }
    let txn = state.db.begin().await?;
    let a = target(&txn, id).await?;
    if a.active == active {
        return Ok(String::new());
    }
    if !active {
        keep_an_admin(&txn, &a).await?;
    }
    account::Entity::update_many()
        .col_expr(account::Column::Active, Expr::value(active))
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let ended = if active {
        0
    } else {
        end_sessions_of(&txn, id).await?
    };
    Audit::new(if active {
        AuditAction::AccountReactivated
    } else {
        AuditAction::AccountDeactivated
    })
    .on("compte", id, &a.email)
    .detail(if active {
        String::new()
    } else {
        format!("{ended} session(s) fermée(s)")
    })
    .write(&txn, actor)
    .await?;
    txn.commit().await?;
    Ok(if active {
        format!("Le compte de {} est réactivé.", full_name(&a))
    } else {
        format!(
            "Le compte de {} est désactivé : ses sessions sont fermées et il ne peut plus se connecter.",
            full_name(&a)
        )
    })
}

/// Sends the address confirmation link again.
pub async fn resend_verification(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<String, AppError> {
    let a = target(&state.db, id).await?;
    if a.email_verified_at.is_some() {
        return Err(AppError::field(
            "confirmation",
            "Cette adresse est déjà confirmée.",
        ));
    }
    let txn = state.db.begin().await?;
    let token = crate::server::tokens::issue(
        &txn,
        a.id,
        crate::server::tokens::Purpose::VerifyEmail,
        None,
    )
    .await?;
    state
        .mailer
        .queue(
            &txn,
            &a.email,
            crate::account::service::verification_email(state, &token),
        )
        .await?;
    Audit::new(AuditAction::VerificationResent)
        .on("compte", id, &a.email)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(format!(
        "Un nouveau lien de confirmation est envoyé à {}.",
        a.email
    ))
}

/// Forgets a staff member's second factor (lost phone and recovery codes): the next
/// sign-in enrols a new one. Their sessions and trusted devices end.
pub async fn reset_second_factor(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<String, AppError> {
    let txn = state.db.begin().await?;
    let a = target(&txn, id).await?;
    account::Entity::update_many()
        .col_expr(
            account::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            account::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(id))
        .exec(&txn)
        .await?;
    trusted_device::Entity::delete_many()
        .filter(trusted_device::Column::AccountId.eq(id))
        .exec(&txn)
        .await?;
    end_sessions_of(&txn, id).await?;
    Audit::new(AuditAction::SecondFactorReset)
        .on("compte", id, &a.email)
        .write(&txn, actor)
        .await?;
    txn.commit().await?;
    Ok(format!(
        "Le second facteur de {} est réinitialisé : à sa prochaine connexion, la personne en activera un nouveau.",
        full_name(&a)
    ))
}

// ---------------------------------------------------------------- audit log

pub const AUDIT_PER_PAGE: u64 = 100;

/// The journal's lines matching the filters, newest first.
pub fn audit_select(query: &AuditQuery) -> sea_orm::Select<audit_log::Entity> {
    let mut select = audit_log::Entity::find();
    let get = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if let Some(action) = get(&query.action) {
        select = select.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(who) = get(&query.qui) {
        let pattern = format!("%{}%", who.to_lowercase().replace(['%', '_'], ""));
        select = select.filter(
            Expr::expr(Func::lower(Expr::col(audit_log::Column::ActorEmail))).like(pattern),
        );
    }
    if let Some(kind) = get(&query.objet) {
        select = select.filter(audit_log::Column::ObjectKind.eq(kind));
        if let Some(id) = get(&query.id) {
            select = select.filter(audit_log::Column::ObjectId.eq(id));
        }
    }
    if let Some(from) = get(&query.du).and_then(|d| paris_midnight(&d)) {
        select = select.filter(audit_log::Column::At.gte(from));
    }
    if let Some(until) = get(&query.au).and_then(|d| paris_midnight(&d)) {
        select = select.filter(audit_log::Column::At.lt(until + time::Duration::days(1)));
    }
    if let Some(after) = get(&query.apres).and_then(|a| a.parse::<i64>().ok()) {
        select = select.filter(audit_log::Column::Id.lt(after));
    }
    select.order_by_desc(audit_log::Column::Id)
}

pub fn audit_row(r: audit_log::Model) -> AuditRow {
    let action = AuditAction::parse(&r.action);
    let local = paris(r.at);
    let object = match (&r.object_kind, &r.object_id, &r.object_label) {
        (Some(kind), Some(id), label) => {
            let kind_label = super::model::AUDIT_OBJECTS
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(kind.as_str(), |(_, l)| l);
            match label {
                Some(l) if !l.is_empty() => format!("{kind_label} n° {id} : {l}"),
                _ => format!("{kind_label} n° {id}"),
            }
        }
        _ => String::new(),
    };
    AuditRow {
        id: r.id,
        at: format!(
            "{:02}/{:02}/{:04} à {:02}:{:02}:{:02}",
            local.day(),
            u8::from(local.month()),
            local.year(),
            local.hour(),
            local.minute(),
            local.second()
        ),
        actor: r.actor_email.unwrap_or_else(|| "—".into()),
        action_label: action.map_or_else(|| r.action.clone(), |a| a.label().to_owned()),
        action: r.action,
        object,
        detail: r.detail.unwrap_or_default(),
        ip: r.ip.unwrap_or_default(),
    }
}

pub async fn audit_page(db: &DatabaseConnection, query: AuditQuery) -> Result<AuditPage, AppError> {
    let mut rows = audit_select(&query)
        .limit(AUDIT_PER_PAGE + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > AUDIT_PER_PAGE {
        rows.truncate(AUDIT_PER_PAGE as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(AuditPage {
        rows: rows.into_iter().map(audit_row).collect(),
        next,
        query,
    })
}
