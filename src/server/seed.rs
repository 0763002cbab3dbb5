//! Demo data for an empty database: démarches and staff accounts.

use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};

use super::db::now;
use super::entities::{
    account, demarche, demarche_service, demarche_version, service, service_member,
};
use super::password;
use crate::account::model::Role;
use crate::demarches::model::{Audience, DemarcheState};
use crate::error::AppError;
use crate::forms::FormDefinition;

/// Demo accounts: citizens, instructors and an administrator (email, password, role, civilité, first name, last name).
pub const DEMO_ACCOUNTS: &[(&str, &str, Role, &str, &str, &str)] = &[
    (
        "usager@vallee-verte.example",
        "Usager-Demo-2026",
        Role::Citizen,
        "Mme",
        "Camille",
        "Martin",
    ),
    (
        "voisin@vallee-verte.example",
        "Usager-Demo-2026",
        Role::Citizen,
        "M.",
        "Thomas",
        "Petit",
    ),
    (
        "benevole@vallee-verte.example",
        "Usager-Demo-2026",
        Role::Citizen,
        "Mme",
        "Inès",
        "Moreau",
    ),
    (
        "instructeur@vallee-verte.example",
        "Instruction-Demo-2026",
        Role::Instructor,
        "M.",
        "Karim",
        "Benali",
    ),
    (
        "instructrice@vallee-verte.example",
        "Instruction-Demo-2026",
        Role::Instructor,
        "Mme",
        "Léa",
        "Garnier",
    ),
    (
        "admin@vallee-verte.example",
        "Administration-Demo-2026",
        Role::Admin,
        "Mme",
        "Claire",
        "Rousseau",
    ),
];

/// The TOTP secrets of the demo staff, so that the demo can be tried with any
/// authenticator app (and the end-to-end tests compute their codes). Demo data only.
pub const DEMO_TOTP: &[(&str, &str)] = &[
    (
        "instructeur@vallee-verte.example",
        "KARIMBENALIGUICHETDEMOINSTRUCTEU",
    ),
    (
        "instructrice@vallee-verte.example",
        "LEAGARNIERGUICHETDEMOINSTRUCTRIC",
    ),
    (
        "admin@vallee-verte.example",
        "CLAIREROUSSEAUGUICHETDEMOADMINIS",
    ),
];

/// The demo services instructeurs: (name, démarche slugs, instructor emails).
pub const DEMO_SERVICES: &[(&str, &[&str], &[&str])] = &[
    (
        "Service des aides individuelles",
        &["aide-permis-de-conduire", "transport-scolaire-adapte"],
        &[
            "instructeur@vallee-verte.example",
            "instructrice@vallee-verte.example",
        ],
    ),
    (
        "Service des sports et de la vie associative",
        &["subvention-associations-sportives"],
        &["instructeur@vallee-verte.example"],
    ),
    (
        "Service de l’aménagement des territoires",
        &["fonds-investissement-communes"],
        &["instructrice@vallee-verte.example"],
    ),
];

/// A démarche as written in `src/demarches/data/*.toml`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemarcheFile {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub audience: String,
    pub featured_order: Option<i32>,
    pub processing_time: Option<String>,
    #[serde(default)]
    pub documents: Vec<String>,
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub form: FormDefinition,
}

/// The demo démarches, kept as definition files in the repository.
pub const DEMO_DEMARCHES: &[(&str, &str)] = &[
    (
        "aide-permis-de-conduire",
        include_str!("../demarches/data/aide-permis-de-conduire.toml"),
    ),
    (
        "transport-scolaire-adapte",
        include_str!("../demarches/data/transport-scolaire-adapte.toml"),
    ),
    (
        "subvention-associations-sportives",
        include_str!("../demarches/data/subvention-associations-sportives.toml"),
    ),
    (
        "fonds-investissement-communes",
        include_str!("../demarches/data/fonds-investissement-communes.toml"),
    ),
];

/// Parses a definition file.
pub fn parse_demarche(source: &str) -> Result<DemarcheFile, AppError> {
    toml::from_str(source).map_err(|e| AppError::internal("invalid démarche file", &e))
}

/// Inserts a published démarche and its first version.
pub async fn insert_demarche<C: ConnectionTrait>(
    db: &C,
    file: &DemarcheFile,
) -> Result<i32, AppError> {
    let now = now();
    let audience = Audience::parse(&file.audience).unwrap_or(Audience::Tous);
    let inserted = demarche::Entity::insert(demarche::ActiveModel {
        id: NotSet,
        slug: Set(file.slug.clone()),
        title: Set(file.title.clone()),
        summary: Set(file.summary.clone()),
        description: Set(file.description.clone()),
        audience: Set(audience.as_str().into()),
        state: Set(DemarcheState::Publiee.as_str().into()),
        featured: Set(file.featured_order.is_some()),
        featured_order: Set(file.featured_order),
        featured_from: Set(None),
        featured_until: Set(None),
        processing_time: Set(file.processing_time.clone()),
        documents: Set(serde_json::to_string(&file.documents)
            .map_err(|e| AppError::internal("documents list", &e))?),
        opens_on: Set(file.opens.clone()),
        closes_on: Set(file.closes.clone()),
        current_version_id: Set(None),
        draft_definition: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(db)
    .await?;
    let demarche_id = inserted.last_insert_id;
    let version = demarche_version::Entity::insert(demarche_version::ActiveModel {
        id: NotSet,
        demarche_id: Set(demarche_id),
        number: Set(1),
        definition: Set(serde_json::to_string(&file.form)
            .map_err(|e| AppError::internal("form definition", &e))?),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    demarche::Entity::update_many()
        .col_expr(
            demarche::Column::CurrentVersionId,
            sea_orm::sea_query::Expr::value(version.last_insert_id),
        )
        .filter(demarche::Column::Id.eq(demarche_id))
        .exec(db)
        .await?;
    Ok(demarche_id)
}

/// Seeds the demo démarches and staff accounts, only into an empty database.
pub async fn seed_demo(db: &DatabaseConnection) -> Result<(), AppError> {
    if demarche::Entity::find().count(db).await? > 0 {
        log_demo_accounts();
        return Ok(());
    }
    let now = now();
    for (_, source) in DEMO_DEMARCHES {
        insert_demarche(db, &parse_demarche(source)?).await?;
    }
    let mut first_citizen = None;
    for (email, pass, role, civilite, first, last) in DEMO_ACCOUNTS {
        let inserted = account::Entity::insert(account::ActiveModel {
            id: NotSet,
            email: Set((*email).into()),
            password_hash: Set(password::hash((*pass).into()).await?),
            civilite: Set((*civilite).into()),
            first_name: Set((*first).into()),
            last_name: Set((*last).into()),
            role: Set(role.as_str().into()),
            totp_secret: Set(DEMO_TOTP
                .iter()
                .find(|(e, _)| e == email)
                .map(|(_, secret)| (*secret).to_owned())),
            email_verified_at: Set(Some(now)),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await?;
        if let Some(created) = account::Entity::find_by_id(inserted.last_insert_id)
            .one(db)
            .await?
        {
            crate::profiles::service::ensure_personal_profile(db, &created).await?;
            if *role == Role::Citizen && first_citizen.is_none() {
                first_citizen = Some(created);
            }
        }
    }
    // The citizen also works for a commune: a shared profile to look at.
    if let Some(citizen) = first_citizen {
        crate::profiles::service::seed_profile(
            db,
            &citizen,
            "Commune de Valbourg",
            "21350238800019",
            ("1 place de la Mairie", "00100", "Valbourg"),
            "Secrétaire de mairie",
        )
        .await?;
    }
    for (name, slugs, members) in DEMO_SERVICES {
        let service_id = service::Entity::insert(service::ActiveModel {
            id: NotSet,
            name: Set((*name).into()),
            created_at: Set(now),
        })
        .exec(db)
        .await?
        .last_insert_id;
        for slug in *slugs {
            if let Some(d) = demarche::Entity::find()
                .filter(demarche::Column::Slug.eq(*slug))
                .one(db)
                .await?
            {
                demarche_service::Entity::insert(demarche_service::ActiveModel {
                    demarche_id: Set(d.id),
                    service_id: Set(service_id),
                })
                .exec(db)
                .await?;
            }
        }
        for email in *members {
            if let Some(a) = account::Entity::find()
                .filter(account::Column::Email.eq(*email))
                .one(db)
                .await?
            {
                service_member::Entity::insert(service_member::ActiveModel {
                    service_id: Set(service_id),
                    account_id: Set(a.id),
                })
                .exec(db)
                .await?;
            }
        }
    }
    log_demo_accounts();
    tracing::info!(
        "demo data seeded: {} démarches, {} staff accounts",
        DEMO_DEMARCHES.len(),
        DEMO_ACCOUNTS.len()
    );
    Ok(())
}

/// Prints the demo credentials at every start of a demo instance.
fn log_demo_accounts() {
    for (email, password, role, ..) in DEMO_ACCOUNTS {
        let totp_secret = DEMO_TOTP
            .iter()
            .find(|(e, _)| e == email)
            .map(|(_, s)| *s)
            .unwrap_or("(enrolment at the first sign-in)");
        tracing::info!(
            email,
            password,
            role = role.as_str(),
            totp_secret,
            "demo account"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_demarches_are_valid_definitions() {
        for (slug, source) in DEMO_DEMARCHES {
            let file = parse_demarche(source).expect("parses");
            assert_eq!(&file.slug, slug);
            assert!(Audience::parse(&file.audience).is_some(), "{slug}");
            let problems = crate::forms::definition_problems(&file.form);
            assert!(problems.is_empty(), "{slug}: {problems:?}");
            assert!((3..=5).contains(&file.form.pages.len()), "{slug}");
        }
    }
}
