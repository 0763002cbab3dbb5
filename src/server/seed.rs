//! Demo data for an empty database: démarches and staff accounts.

use sea_orm::{ActiveValue::NotSet, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use super::db::now;
use super::entities::{account, demarche};
use super::password;
use crate::account::model::Role;
use crate::demarches::model::{Audience, DemarcheState};
use crate::error::AppError;

/// Demo staff accounts: (email, password, role, civilité, first name, last name).
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
        "instructeur@vallee-verte.example",
        "Instruction-Demo-2026",
        Role::Instructor,
        "M.",
        "Karim",
        "Benali",
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

struct DemoDemarche {
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    description: &'static str,
    audience: Audience,
    featured_order: Option<i32>,
}

const DEMO_DEMARCHES: &[DemoDemarche] = &[
    DemoDemarche {
        slug: "aide-permis-de-conduire",
        title: "Aide au permis de conduire pour les jeunes",
        summary: "Une aide de 500 € pour financer le permis B des jeunes de 17 à 25 ans domiciliés dans le département.",
        description: "Le Département aide les jeunes de 17 à 25 ans à financer leur permis de conduire B, pour faciliter l’accès à l’emploi et à la formation.\n\nL’aide s’élève à 500 €, versés directement à l’auto-école après l’inscription. En contrepartie, le bénéficiaire effectue 35 heures de bénévolat auprès d’une association ou d’une collectivité du département.\n\nLa demande se fait avant l’inscription définitive : préparez une pièce d’identité, un justificatif de domicile de moins de trois mois et le devis de l’auto-école.",
        audience: Audience::Particuliers,
        featured_order: Some(1),
    },
    DemoDemarche {
        slug: "transport-scolaire-adapte",
        title: "Transport scolaire adapté",
        summary: "Le transport entre le domicile et l’établissement scolaire des élèves en situation de handicap.",
        description: "Les élèves et étudiants en situation de handicap qui ne peuvent pas utiliser les transports en commun peuvent bénéficier d’un transport adapté, organisé et pris en charge par le Département.\n\nLa demande est à renouveler chaque année scolaire, de préférence avant le 15 juin pour une prise en charge dès la rentrée.\n\nPréparez la notification de la Maison départementale des personnes handicapées (MDPH), le certificat de scolarité et l’emploi du temps de l’élève.",
        audience: Audience::Particuliers,
        featured_order: Some(2),
    },
    DemoDemarche {
        slug: "subvention-associations-sportives",
        title: "Subvention aux associations sportives",
        summary: "Un soutien au fonctionnement et aux projets des clubs et associations sportives du département.",
        description: "Le Département soutient les associations sportives qui développent la pratique du sport pour tous, la formation des bénévoles et l’accueil des jeunes.\n\nLa subvention de fonctionnement tient compte du nombre de licenciés et des actions menées ; une aide au projet peut financer un événement ou l’achat de matériel.\n\nPréparez les statuts de l’association, le dernier bilan financier approuvé, le budget prévisionnel et un relevé d’identité bancaire.",
        audience: Audience::Organisations,
        featured_order: None,
    },
    DemoDemarche {
        slug: "fonds-investissement-communes",
        title: "Fonds d’aide à l’investissement des communes",
        summary: "Le cofinancement des travaux d’équipement des communes de moins de 10 000 habitants.",
        description: "Le fonds d’aide à l’investissement accompagne les communes de moins de 10 000 habitants dans leurs projets : voirie, bâtiments scolaires, équipements sportifs et culturels, rénovation énergétique.\n\nLe taux d’aide peut atteindre 40 % du montant hors taxes des travaux, dans la limite de 150 000 € par projet.\n\nPréparez la délibération du conseil municipal, le plan de financement, les devis ou l’estimation détaillée et le calendrier des travaux.",
        audience: Audience::Organisations,
        featured_order: None,
    },
];

/// Seeds the demo démarches and staff accounts, only into an empty database.
pub async fn seed_demo(db: &DatabaseConnection) -> Result<(), AppError> {
    if demarche::Entity::find().count(db).await? > 0 {
        log_demo_accounts();
        return Ok(());
    }
    let now = now();
    for d in DEMO_DEMARCHES {
        demarche::Entity::insert(demarche::ActiveModel {
            id: NotSet,
            slug: Set(d.slug.into()),
            title: Set(d.title.into()),
            summary: Set(d.summary.into()),
            description: Set(d.description.into()),
            audience: Set(d.audience.as_str().into()),
            state: Set(DemarcheState::Publiee.as_str().into()),
            featured: Set(d.featured_order.is_some()),
            featured_order: Set(d.featured_order),
            featured_from: Set(None),
            featured_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await?;
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
        tracing::info!(email, password, role = role.as_str(), "demo account");
    }
}
