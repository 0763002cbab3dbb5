//! Profiles on the server: personal profiles, creation, share keys, joining, and the
//! composition changes. Callers have checked membership with `server::auth` first.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::model::{
    Composition, KEY_ALPHABET, KEY_CHARS, MemberRole, MemberRow, NewShare, ProfileCard,
    ProfileDetail, ProfileKind, ShareRow, ShareState, check_siret, format_key, normalize_key,
};
use crate::account::model::{check_name, check_postal_code};
use crate::error::{AppError, FieldError};
use crate::server::auth;
use crate::server::db::now;
use crate::server::entities::{account, profile, profile_event, profile_member, profile_share};
use crate::server::limits;
use crate::server::mail::{Action, Template};
use crate::server::session::hex_sha256;
use crate::server::state::AppState;

/// How long a share key works.
pub const SHARE_LIFETIME_SECS: i64 = 7 * 24 * 3600;

fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.into(),
        message: message.into(),
    }
}

fn unix_now() -> i64 {
    now().unix_timestamp()
}

fn display_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[day]/[month]/[year] à [hour] h [minute] (UTC)"
            ))
            .ok()
        })
        .unwrap_or_default()
}

fn full_name(account: &account::Model) -> String {
    format!("{} {}", account.first_name, account.last_name)
}

/// The personal profile of an account, created with it (and here for accounts made
/// before profiles existed).
pub async fn ensure_personal_profile<C: ConnectionTrait>(
    conn: &C,
    account: &account::Model,
) -> Result<i32, AppError> {
    if let Some(p) = profile::Entity::find()
        .filter(profile::Column::PersonalAccountId.eq(account.id))
        .one(conn)
        .await?
    {
        return Ok(p.id);
    }
    let now = now();
    let inserted = profile::Entity::insert(profile::ActiveModel {
        kind: Set(ProfileKind::Particulier.as_str().into()),
        name: Set(full_name(account)),
        personal_account_id: Set(Some(account.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    profile_member::Entity::insert(profile_member::ActiveModel {
        profile_id: Set(inserted.last_insert_id),
        account_id: Set(account.id),
        role: Set(MemberRole::Manager.as_str().into()),
        function: Set("Particulier".into()),
        joined_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(inserted.last_insert_id)
}

/// A collectivité profile for the demo data, managed by `account`.
pub async fn seed_profile<C: ConnectionTrait>(
    conn: &C,
    account: &account::Model,
    name: &str,
    siret: &str,
    (line, postal_code, commune): (&str, &str, &str),
    function: &str,
) -> Result<i32, AppError> {
    let now = now();
    let inserted = profile::Entity::insert(profile::ActiveModel {
        kind: Set(ProfileKind::Collectivite.as_str().into()),
        name: Set(name.into()),
        siret: Set(Some(siret.into())),
        address_line: Set(Some(line.into())),
        postal_code: Set(Some(postal_code.into())),
        commune: Set(Some(commune.into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    profile_member::Entity::insert(profile_member::ActiveModel {
        profile_id: Set(inserted.last_insert_id),
        account_id: Set(account.id),
        role: Set(MemberRole::Manager.as_str().into()),
        function: Set(function.into()),
        joined_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(inserted.last_insert_id)
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    profile_id: i32,
    actor: Option<i32>,
    subject: Option<i32>,
    kind: &str,
    detail: String,
) -> Result<(), AppError> {
    profile_event::Entity::insert(profile_event::ActiveModel {
        profile_id: Set(profile_id),
        actor_id: Set(actor),
        subject_id: Set(subject),
        kind: Set(kind.into()),
        detail: Set(detail),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(())
}

fn profile_link(state: &AppState, id: i32) -> String {
    format!(
        "{}/mon-compte/profils/{id}/composition",
        state.settings.public_url
    )
}

fn notice(state: &AppState, profile_id: i32, subject: String, paragraphs: Vec<String>) -> Template {
    Template::Notification {
        subject: subject.clone(),
        heading: subject,
        paragraphs,
        action: Some(Action {
            label: "Voir la composition du profil".into(),
            url: profile_link(state, profile_id),
        }),
    }
}

/// A notice to someone who no longer has access to the profile: no link to it.
fn farewell(subject: String, paragraphs: Vec<String>) -> Template {
    Template::Notification {
        subject: subject.clone(),
        heading: subject,
        paragraphs,
        action: None,
    }
}

fn detail_of(
    p: &profile::Model,
    account: &account::Model,
    me: &profile_member::Model,
) -> ProfileDetail {
    let kind = ProfileKind::parse(&p.kind).unwrap_or(ProfileKind::Collectivite);
    ProfileDetail {
        id: p.id,
        kind,
        name: if kind == ProfileKind::Particulier {
            full_name(account)
        } else {
            p.name.clone()
        },
        siret: p.siret.clone().unwrap_or_default(),
        address_line: p.address_line.clone().unwrap_or_default(),
        postal_code: p.postal_code.clone().unwrap_or_default(),
        commune: p.commune.clone().unwrap_or_default(),
        my_role: MemberRole::parse(&me.role),
        my_function: me.function.clone(),
        my_receipts: me.receipts,
    }
}

/// « Mes profils »: the personal profile first, then the others by name.
pub async fn list(
    state: &AppState,
    account: &account::Model,
) -> Result<Vec<ProfileCard>, AppError> {
    ensure_personal_profile(&state.db, account).await?;
    let memberships = profile_member::Entity::find()
        .filter(profile_member::Column::AccountId.eq(account.id))
        .all(&state.db)
        .await?;
    let ids: Vec<i32> = memberships.iter().map(|m| m.profile_id).collect();
    let profiles: HashMap<i32, profile::Model> = profile::Entity::find()
        .filter(profile::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut cards: Vec<ProfileCard> = memberships
        .iter()
        .filter_map(|m| {
            profiles.get(&m.profile_id).map(|p| {
                let d = detail_of(p, account, m);
                ProfileCard {
                    id: d.id,
                    kind: d.kind,
                    name: d.name,
                    function: d.my_function,
                    role: d.my_role,
                }
            })
        })
        .collect();
    cards.sort_by(|a, b| {
        (a.kind != ProfileKind::Particulier, a.name.to_lowercase())
            .cmp(&(b.kind != ProfileKind::Particulier, b.name.to_lowercase()))
    });
    Ok(cards)
}

/// The fields of a profile's « Informations », checked.
pub struct ProfileForm {
    pub kind: String,
    pub name: String,
    pub siret: String,
    pub address_line: String,
    pub postal_code: String,
    pub commune: String,
}

struct CheckedProfile {
    kind: ProfileKind,
    name: String,
    siret: String,
    address_line: String,
    postal_code: String,
    commune: String,
}

fn check_profile(form: &ProfileForm, errors: &mut Vec<FieldError>) -> Option<CheckedProfile> {
    let kind = ProfileKind::parse(&form.kind).filter(|k| *k != ProfileKind::Particulier);
    if kind.is_none() {
        errors.push(field("kind", "Indiquez le type de profil."));
    }
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        errors.push(field(
            "name",
            "Saisissez le nom, par exemple Commune de Saint-Exemple.",
        ));
    } else if name.chars().count() > 200 {
        errors.push(field(
            "name",
            "Le nom doit contenir au plus 200 caractères.",
        ));
    }
    let siret = check_siret(&form.siret)
        .map_err(|m| errors.push(field("siret", m)))
        .ok();
    let line = form
        .address_line
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        errors.push(field("address_line", "Saisissez le numéro et la voie."));
    }
    let postal = check_postal_code(&form.postal_code)
        .map_err(|m| errors.push(field("postal_code", m)))
        .ok();
    let commune = check_name(&form.commune, "Saisissez la commune.")
        .map_err(|m| errors.push(field("commune", m)))
        .ok();
    match (kind, siret, postal, commune) {
        (Some(kind), Some(siret), Some(postal_code), Some(commune)) if errors.is_empty() => {
            Some(CheckedProfile {
                kind,
                name,
                siret,
                address_line: line,
                postal_code,
                commune,
            })
        }
        _ => None,
    }
}

fn kept(form: &ProfileForm) -> Vec<(&'static str, String)> {
    vec![
        ("kind", form.kind.clone()),
        ("name", form.name.clone()),
        ("siret", form.siret.clone()),
        ("address_line", form.address_line.clone()),
        ("postal_code", form.postal_code.clone()),
        ("commune", form.commune.clone()),
    ]
}

fn invalid(errors: Vec<FieldError>, kept: Vec<(&'static str, String)>) -> AppError {
    let pairs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
    AppError::invalid(errors, &pairs)
}

fn check_function(function: &str, name: &str, errors: &mut Vec<FieldError>) -> String {
    let f = function.split_whitespace().collect::<Vec<_>>().join(" ");
    if f.is_empty() {
        errors.push(field(
            name,
            "Indiquez votre fonction, par exemple Maire, Trésorière ou Secrétaire.",
        ));
    } else if f.chars().count() > 100 {
        errors.push(field(
            "function",
            "La fonction doit contenir au plus 100 caractères.",
        ));
    }
    f
}

/// « Ajouter un profil »: the creator is its first manager.
pub async fn create(
    state: &AppState,
    account: &account::Model,
    form: ProfileForm,
    function: &str,
) -> Result<i32, AppError> {
    let mut errors = Vec::new();
    let checked = check_profile(&form, &mut errors);
    let function = check_function(function, "function", &mut errors);
    let mut keep = kept(&form);
    keep.push(("function", function.clone()));
    let Some(p) = checked.filter(|_| errors.is_empty()) else {
        return Err(invalid(errors, keep));
    };
    let txn = state.db.begin().await?;
    let now = now();
    let inserted = profile::Entity::insert(profile::ActiveModel {
        kind: Set(p.kind.as_str().into()),
        name: Set(p.name.clone()),
        siret: Set(Some(p.siret)),
        address_line: Set(Some(p.address_line)),
        postal_code: Set(Some(p.postal_code)),
        commune: Set(Some(p.commune)),
        personal_account_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let id = inserted.last_insert_id;
    profile_member::Entity::insert(profile_member::ActiveModel {
        profile_id: Set(id),
        account_id: Set(account.id),
        role: Set(MemberRole::Manager.as_str().into()),
        function: Set(function.clone()),
        joined_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    record(
        &txn,
        id,
        Some(account.id),
        Some(account.id),
        "created",
        format!(
            "{} a créé le profil « {} » ({function})",
            full_name(account),
            p.name
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

pub async fn detail(
    state: &AppState,
    account: &account::Model,
    me: &profile_member::Model,
) -> Result<ProfileDetail, AppError> {
    let p = profile::Entity::find_by_id(me.profile_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(detail_of(&p, account, me))
}

/// « Informations » changed by a manager (a personal profile takes its data from
/// « Mes données personnelles »).
pub async fn update(
    state: &AppState,
    account: &account::Model,
    profile_id: i32,
    mut form: ProfileForm,
) -> Result<(), AppError> {
    let p = profile::Entity::find_by_id(profile_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if p.kind == ProfileKind::Particulier.as_str() {
        return Err(AppError::Forbidden);
    }
    form.kind = p.kind.clone();
    let mut errors = Vec::new();
    let Some(c) = check_profile(&form, &mut errors).filter(|_| errors.is_empty()) else {
        return Err(invalid(errors, kept(&form)));
    };
    let txn = state.db.begin().await?;
    let mut row = p.into_active_model();
    row.name = Set(c.name);
    row.siret = Set(Some(c.siret));
    row.address_line = Set(Some(c.address_line));
    row.postal_code = Set(Some(c.postal_code));
    row.commune = Set(Some(c.commune));
    row.updated_at = Set(now());
    row.update(&txn).await?;
    record(
        &txn,
        profile_id,
        Some(account.id),
        None,
        "updated",
        format!(
            "{} a modifié les informations du profil",
            full_name(account)
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn share_state(s: &profile_share::Model, now: i64) -> ShareState {
    if s.used_at.is_some() {
        ShareState::Used
    } else if s.revoked_at.is_some() {
        ShareState::Revoked
    } else if s.expires_at <= now {
        ShareState::Expired
    } else {
        ShareState::Active
    }
}

pub async fn composition(
    state: &AppState,
    account: &account::Model,
    me: &profile_member::Model,
) -> Result<Composition, AppError> {
    let profile = detail(state, account, me).await?;
    let members = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(me.profile_id))
        .order_by_asc(profile_member::Column::JoinedAt)
        .order_by_asc(profile_member::Column::Id)
        .all(&state.db)
        .await?;
    let shares = profile_share::Entity::find()
        .filter(profile_share::Column::ProfileId.eq(me.profile_id))
        .order_by_desc(profile_share::Column::CreatedAt)
        .order_by_desc(profile_share::Column::Id)
        .all(&state.db)
        .await?;
    let mut people: Vec<i32> = members.iter().map(|m| m.account_id).collect();
    people.extend(shares.iter().filter_map(|s| s.created_by));
    people.extend(shares.iter().filter_map(|s| s.used_by));
    let names: HashMap<i32, String> = account::Entity::find()
        .filter(account::Column::Id.is_in(people))
        .all(&state.db)
        .await?
        .iter()
        .map(|a| (a.id, full_name(a)))
        .collect();
    let name_of = |id: Option<i32>| {
        id.and_then(|i| names.get(&i).cloned())
            .unwrap_or_else(|| "Compte supprimé".into())
    };
    let manager_count = members.iter().filter(|m| m.role == "manager").count();
    let members = members
        .iter()
        .map(|m| MemberRow {
            id: m.id,
            name: name_of(Some(m.account_id)),
            function: m.function.clone(),
            role: MemberRole::parse(&m.role),
            joined_on: m.joined_at.date().to_string(),
            is_me: m.account_id == account.id,
        })
        .collect();
    let now = unix_now();
    let shares = (me.role == "manager").then(|| {
        shares
            .iter()
            .map(|s| ShareRow {
                id: s.id,
                created_by: name_of(s.created_by),
                created_at: display_time(s.created_at),
                expires_at: display_time(s.expires_at),
                state: share_state(s, now),
                used_by: s.used_by.map(|u| name_of(Some(u))),
            })
            .collect()
    });
    Ok(Composition {
        profile,
        members,
        shares,
        manager_count,
    })
}

fn random_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; KEY_CHARS];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // 256 values onto 32 characters: each byte's low 5 bits, uniformly.
    bytes
        .iter()
        .map(|b| KEY_ALPHABET[(b & 31) as usize] as char)
        .collect()
}

/// « Ajouter un partage »: a new key, returned once, stored as a hash.
pub async fn add_share(
    state: &AppState,
    account: &account::Model,
    profile_id: i32,
) -> Result<NewShare, AppError> {
    let p = profile::Entity::find_by_id(profile_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if p.kind == ProfileKind::Particulier.as_str() {
        return Err(AppError::field(
            "share",
            "Un profil personnel ne peut pas être partagé.",
        ));
    }
    let key = random_key();
    let now = unix_now();
    let expires = now + SHARE_LIFETIME_SECS;
    let txn = state.db.begin().await?;
    profile_share::Entity::insert(profile_share::ActiveModel {
        profile_id: Set(profile_id),
        key_hash: Set(hex_sha256(key.as_bytes())),
        created_by: Set(Some(account.id)),
        created_at: Set(now),
        expires_at: Set(expires),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    record(
        &txn,
        profile_id,
        Some(account.id),
        None,
        "share_added",
        format!("{} a ajouté un partage", full_name(account)),
    )
    .await?;
    txn.commit().await?;
    Ok(NewShare {
        key: format_key(&key),
        expires_at: display_time(expires),
    })
}

pub async fn revoke_share(
    state: &AppState,
    account: &account::Model,
    profile_id: i32,
    share_id: i32,
) -> Result<(), AppError> {
    let share = profile_share::Entity::find_by_id(share_id)
        .filter(profile_share::Column::ProfileId.eq(profile_id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if share_state(&share, unix_now()) != ShareState::Active {
        return Err(AppError::field(
            "share",
            "Ce partage n’est plus actif : il ne peut pas être révoqué.",
        ));
    }
    let txn = state.db.begin().await?;
    let mut row = share.into_active_model();
    row.revoked_at = Set(Some(unix_now()));
    row.revoked_by = Set(Some(account.id));
    row.update(&txn).await?;
    record(
        &txn,
        profile_id,
        Some(account.id),
        None,
        "share_revoked",
        format!("{} a révoqué un partage", full_name(account)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// « Rejoindre un profil existant » → « Envoyer ».
pub async fn join(
    state: &AppState,
    account: &account::Model,
    typed_key: &str,
    function: &str,
) -> Result<i32, AppError> {
    let mut errors = Vec::new();
    let function = check_function(function, "join_function", &mut errors);
    let keep = [("key", typed_key), ("join_function", function.as_str())];
    let subject = account.id.to_string();
    let ip = auth::client_ip().await.to_string();
    limits::check(&state.db, limits::JOIN_ACCOUNT, &subject).await?;
    limits::check(&state.db, limits::JOIN_IP, &ip).await?;
    let key = normalize_key(typed_key);
    if typed_key.trim().is_empty() {
        errors.push(field("key", "Saisissez la clé qui vous a été transmise."));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors, &keep));
    }
    let refuse =
        |message: &str| -> AppError { AppError::invalid(vec![field("key", message)], &keep) };
    let share = match &key {
        Some(k) => {
            profile_share::Entity::find()
                .filter(profile_share::Column::KeyHash.eq(hex_sha256(k.as_bytes())))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let Some(share) = share else {
        let a = limits::record(&state.db, limits::JOIN_ACCOUNT, &subject).await?;
        let i = limits::record(&state.db, limits::JOIN_IP, &ip).await?;
        if a.reached(limits::JOIN_ACCOUNT) {
            return Err(a.error());
        }
        if i.reached(limits::JOIN_IP) {
            return Err(i.error());
        }
        return Err(refuse(
            "Cette clé n’est pas reconnue : vérifiez-la (28 caractères, par groupes de 4) ou demandez-en une nouvelle au gestionnaire du profil.",
        ));
    };
    match share_state(&share, unix_now()) {
        ShareState::Active => {}
        ShareState::Used => {
            return Err(refuse(
                "Cette clé a déjà servi : une clé ne sert qu’une fois. Demandez-en une nouvelle au gestionnaire du profil.",
            ));
        }
        ShareState::Revoked => {
            return Err(refuse(
                "Cette clé a été révoquée par un gestionnaire du profil. Demandez-en une nouvelle.",
            ));
        }
        ShareState::Expired => {
            return Err(refuse(
                "Cette clé a expiré (elle est valable 7 jours). Demandez-en une nouvelle au gestionnaire du profil.",
            ));
        }
    }
    let already = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(share.profile_id))
        .filter(profile_member::Column::AccountId.eq(account.id))
        .one(&state.db)
        .await?;
    if already.is_some() {
        return Err(refuse(
            "Vous êtes déjà membre de ce profil : la clé n’a pas été utilisée.",
        ));
    }
    let p = profile::Entity::find_by_id(share.profile_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;

    let txn = state.db.begin().await?;
    let now_unix = unix_now();
    // Single use: only one of two concurrent uses updates the row.
    let used = profile_share::Entity::update_many()
        .col_expr(
            profile_share::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now_unix),
        )
        .col_expr(
            profile_share::Column::UsedBy,
            sea_orm::sea_query::Expr::value(account.id),
        )
        .filter(profile_share::Column::Id.eq(share.id))
        .filter(profile_share::Column::UsedAt.is_null())
        .filter(profile_share::Column::RevokedAt.is_null())
        .filter(profile_share::Column::ExpiresAt.gt(now_unix))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(refuse(
            "Cette clé a déjà servi : une clé ne sert qu’une fois. Demandez-en une nouvelle au gestionnaire du profil.",
        ));
    }
    profile_member::Entity::insert(profile_member::ActiveModel {
        profile_id: Set(p.id),
        account_id: Set(account.id),
        role: Set(MemberRole::Member.as_str().into()),
        function: Set(function.clone()),
        joined_at: Set(now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let who = full_name(account);
    record(
        &txn,
        p.id,
        Some(account.id),
        Some(account.id),
        "joined",
        format!("{who} a rejoint le profil en tant que « {function} »"),
    )
    .await?;
    let managers = managers_of(&txn, p.id).await?;
    for m in managers.iter().filter(|m| m.id != account.id) {
        state
            .mailer
            .queue(
                &txn,
                &m.email,
                notice(
                    state,
                    p.id,
                    format!("{who} a rejoint le profil « {} »", p.name),
                    vec![
                        format!(
                            "{who} a rejoint le profil « {} » avec une clé de partage, en tant que « {function} ». Cette personne voit et peut compléter les demandes du profil.",
                            p.name
                        ),
                        "Si vous ne connaissez pas cette personne, retirez-la depuis l’onglet « Composition » du profil.".into(),
                    ],
                ),
            )
            .await?;
    }
    txn.commit().await?;
    state.mailer.wake();
    Ok(p.id)
}

async fn managers_of<C: ConnectionTrait>(
    conn: &C,
    profile_id: i32,
) -> Result<Vec<account::Model>, AppError> {
    let ids: Vec<i32> = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(profile_id))
        .filter(profile_member::Column::Role.eq(MemberRole::Manager.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .filter(account::Column::Active.eq(true))
        .all(conn)
        .await?)
}

/// Composition changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A manager removes another member.
    Remove,
    /// A manager makes a member a manager.
    Promote,
    /// A manager becomes a plain member (another manager remains).
    StepDown,
    /// A member leaves (a manager only if another manager remains).
    Leave,
}

pub async fn change(
    state: &AppState,
    actor: &account::Model,
    me: &profile_member::Model,
    target_member_id: i32,
    change: Change,
) -> Result<(), AppError> {
    let p = profile::Entity::find_by_id(me.profile_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if p.kind == ProfileKind::Particulier.as_str() {
        return Err(AppError::Forbidden);
    }
    let target = profile_member::Entity::find_by_id(target_member_id)
        .filter(profile_member::Column::ProfileId.eq(p.id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let i_manage = me.role == "manager";
    let is_me = target.id == me.id;
    let managers = profile_member::Entity::find()
        .filter(profile_member::Column::ProfileId.eq(p.id))
        .filter(profile_member::Column::Role.eq("manager"))
        .all(&state.db)
        .await?
        .len();
    let allowed = match change {
        Change::Remove | Change::Promote => i_manage && !is_me,
        Change::StepDown | Change::Leave => is_me,
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    if change == Change::Promote && target.role == "manager" {
        return Ok(());
    }
    let last_manager = target.role == "manager" && managers <= 1;
    if matches!(change, Change::StepDown | Change::Leave | Change::Remove) && last_manager {
        return Err(AppError::field(
            "member",
            "Le profil doit garder au moins un gestionnaire : nommez d’abord un autre gestionnaire.",
        ));
    }
    let person = account::Entity::find_by_id(target.account_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let who = full_name(&person);
    let by = full_name(actor);
    let txn = state.db.begin().await?;
    let (kind, detail, mail) = match change {
        Change::Remove => {
            profile_member::Entity::delete_by_id(target.id)
                .exec(&txn)
                .await?;
            (
                "removed",
                format!("{by} a retiré {who} du profil"),
                Some((
                    person.email.clone(),
                    format!("Vous ne faites plus partie du profil « {} »", p.name),
                    format!(
                        "{by}, gestionnaire du profil « {} », vous a retiré de ce profil. Vous n’avez plus accès à ses demandes.",
                        p.name
                    ),
                )),
            )
        }
        Change::Promote => {
            let mut row = target.clone().into_active_model();
            row.role = Set(MemberRole::Manager.as_str().into());
            row.update(&txn).await?;
            (
                "promoted",
                format!("{by} a nommé {who} gestionnaire"),
                Some((
                    person.email.clone(),
                    format!("Vous êtes gestionnaire du profil « {} »", p.name),
                    format!(
                        "{by} vous a nommé gestionnaire du profil « {} » : vous pouvez désormais modifier ses informations, ajouter des partages et gérer sa composition.",
                        p.name
                    ),
                )),
            )
        }
        Change::StepDown => {
            let mut row = target.clone().into_active_model();
            row.role = Set(MemberRole::Member.as_str().into());
            row.update(&txn).await?;
            (
                "stepped_down",
                format!("{who} n’est plus gestionnaire"),
                Some((
                    person.email.clone(),
                    format!("Vous n’êtes plus gestionnaire du profil « {} »", p.name),
                    format!(
                        "Comme vous l’avez demandé, vous restez membre du profil « {} » sans en être gestionnaire.",
                        p.name
                    ),
                )),
            )
        }
        Change::Leave => {
            profile_member::Entity::delete_by_id(target.id)
                .exec(&txn)
                .await?;
            (
                "left",
                format!("{who} a quitté le profil"),
                Some((
                    person.email.clone(),
                    format!("Vous avez quitté le profil « {} »", p.name),
                    format!(
                        "Comme vous l’avez demandé, vous ne faites plus partie du profil « {} ». Ses gestionnaires peuvent vous y inviter à nouveau avec une clé de partage.",
                        p.name
                    ),
                )),
            )
        }
    };
    record(&txn, p.id, Some(actor.id), Some(person.id), kind, detail).await?;
    if let Some((to, subject, text)) = mail
        && person.active
    {
        let template = if matches!(change, Change::Remove | Change::Leave) {
            farewell(subject, vec![text])
        } else {
            notice(state, p.id, subject, vec![text])
        };
        state.mailer.queue(&txn, &to, template).await?;
    }
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// « Recevoir les accusés de réception »: a member's choice for the dossiers filed by
/// the profile's other members.
pub async fn set_receipts(
    state: &AppState,
    me: &profile_member::Model,
    receipts: bool,
) -> Result<(), AppError> {
    profile_member::Entity::update_many()
        .col_expr(
            profile_member::Column::Receipts,
            sea_orm::sea_query::Expr::value(receipts),
        )
        .filter(profile_member::Column::Id.eq(me.id))
        .exec(&state.db)
        .await?;
    Ok(())
}
