//! Database reads of the démarches.

use sea_orm::sea_query::Order;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::model::{Audience, DemarcheCard, DemarcheDetail, DemarcheState, paragraphs};
use crate::error::AppError;
use crate::server::db::now;
use crate::server::entities::demarche::{self, Column};

fn card(m: demarche::Model) -> DemarcheCard {
    DemarcheCard {
        audience: Audience::parse(&m.audience).unwrap_or(Audience::Tous),
        slug: m.slug,
        title: m.title,
        summary: m.summary,
    }
}

fn is_published() -> Condition {
    Condition::all().add(Column::State.eq(DemarcheState::Publiee.as_str()))
}

pub async fn featured(db: &DatabaseConnection) -> Result<Vec<DemarcheCard>, AppError> {
    let now = now();
    let rows = demarche::Entity::find()
        .filter(is_published())
        .filter(Column::Featured.eq(true))
        .filter(
            Condition::any()
                .add(Column::FeaturedFrom.is_null())
                .add(Column::FeaturedFrom.lte(now)),
        )
        .filter(
            Condition::any()
                .add(Column::FeaturedUntil.is_null())
                .add(Column::FeaturedUntil.gt(now)),
        )
        .order_by(Column::FeaturedOrder, Order::Asc)
        .order_by(Column::Title, Order::Asc)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(card).collect())
}

pub async fn published(db: &DatabaseConnection) -> Result<Vec<DemarcheCard>, AppError> {
    let rows = demarche::Entity::find()
        .filter(is_published())
        .order_by(Column::Title, Order::Asc)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(card).collect())
}

pub async fn by_slug(db: &DatabaseConnection, slug: &str) -> Result<DemarcheDetail, AppError> {
    let row = demarche::Entity::find()
        .filter(is_published())
        .filter(Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(DemarcheDetail {
        audience: Audience::parse(&row.audience).unwrap_or(Audience::Tous),
        description: paragraphs(&row.description),
        slug: row.slug,
        title: row.title,
        summary: row.summary,
    })
}
