//! Database reads of the démarches.

use sea_orm::sea_query::Order;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::model::{
    Audience, CatalogueQuery, DemarcheCard, DemarcheDetail, DemarcheState, matches_words,
};
use crate::account::model::format_date_fr;
use crate::error::AppError;
use crate::forms::FormDefinition;
use crate::server::db::{now, today};
use crate::server::entities::demarche::{self, Column};
use crate::server::entities::demarche_version;

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
        .order_by(Column::Title, Order::Asc);
    cards(db, rows).await
}

/// The cards of the démarches a query selects, reading only the cards' columns.
async fn cards(
    db: &DatabaseConnection,
    select: sea_orm::Select<demarche::Entity>,
) -> Result<Vec<DemarcheCard>, AppError> {
    let rows: Vec<(String, String, String, String)> = select
        .select_only()
        .columns([
            Column::Slug,
            Column::Title,
            Column::Summary,
            Column::Audience,
        ])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, summary, audience)| DemarcheCard {
            audience: Audience::parse(&audience).unwrap_or(Audience::Tous),
            slug,
            title,
            summary,
        })
        .collect())
}

/// The published démarches matching the catalogue's search, by title. A démarche for
/// everyone appears under both audiences. (A département publishes tens of démarches,
/// not thousands: filtering the words here keeps accents and case out of SQL.)
pub async fn search(
    db: &DatabaseConnection,
    query: &CatalogueQuery,
) -> Result<Vec<DemarcheCard>, AppError> {
    let mut select = demarche::Entity::find().filter(is_published());
    if let Some(audience) = Audience::parse(&query.public)
        && audience != Audience::Tous
    {
        select = select.filter(
            Condition::any()
                .add(Column::Audience.eq(audience.as_str()))
                .add(Column::Audience.eq(Audience::Tous.as_str())),
        );
    }
    let select = select.order_by(Column::Title, Order::Asc);
    if query.q.trim().is_empty() {
        // The whole catalogue: no need to read the (long) descriptions.
        return cards(db, select).await;
    }
    let rows = select.all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|m| {
            matches_words(
                &format!("{} {} {}", m.title, m.summary, m.description),
                &query.q,
            )
        })
        .map(card)
        .collect())
}

/// Whether a démarche takes requests today, and why not.
pub fn opening(row: &demarche::Model) -> (bool, Option<String>) {
    let today = today();
    if row.state == DemarcheState::Close.as_str() {
        return (false, Some("Cette démarche est close.".into()));
    }
    if let Some(opens) = &row.opens_on
        && today.as_str() < opens.as_str()
    {
        return (
            false,
            Some(format!(
                "Cette démarche ouvrira le {}.",
                format_date_fr(opens)
            )),
        );
    }
    if let Some(closes) = &row.closes_on
        && today.as_str() > closes.as_str()
    {
        return (
            false,
            Some(format!(
                "Cette démarche est close depuis le {}.",
                format_date_fr(closes)
            )),
        );
    }
    (row.state == DemarcheState::Publiee.as_str(), None)
}

fn period(row: &demarche::Model) -> Option<String> {
    match (&row.opens_on, &row.closes_on) {
        (Some(o), Some(c)) => Some(format!("du {} au {}", format_date_fr(o), format_date_fr(c))),
        (None, Some(c)) => Some(format!("jusqu’au {}", format_date_fr(c))),
        (Some(o), None) => Some(format!("à partir du {}", format_date_fr(o))),
        (None, None) => None,
    }
}

/// Markdown to HTML for descriptions written by administrators: raw HTML in the source
/// is shown as text, never interpreted.
pub fn render_markdown(source: &str) -> String {
    use pulldown_cmark::{Event, Parser, html};
    let parser = Parser::new(source).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

pub fn documents(row: &demarche::Model) -> Vec<String> {
    serde_json::from_str(&row.documents).unwrap_or_default()
}

pub async fn published_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<demarche::Model, AppError> {
    demarche::Entity::find()
        .filter(is_published())
        .filter(Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// A démarche's public page: published, or closed (the page then says so); a draft
/// does not exist for the public.
pub async fn by_slug(db: &DatabaseConnection, slug: &str) -> Result<DemarcheDetail, AppError> {
    let row = demarche::Entity::find()
        .filter(Column::State.ne(DemarcheState::Brouillon.as_str()))
        .filter(Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (open, closed_reason) = opening(&row);
    Ok(DemarcheDetail {
        audience: Audience::parse(&row.audience).unwrap_or(Audience::Tous),
        description_html: render_markdown(&row.description),
        processing_time: row.processing_time.clone(),
        documents: documents(&row),
        period: period(&row),
        open,
        closed_reason,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
    })
}

/// The frozen form of a version.
pub async fn definition<C: ConnectionTrait>(
    db: &C,
    version_id: i32,
) -> Result<FormDefinition, AppError> {
    let row = demarche_version::Entity::find_by_id(version_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    serde_json::from_str(&row.definition)
        .map_err(|e| AppError::internal("stored form definition is invalid", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_raw_html() {
        let html = render_markdown("Un **vrai** texte.\n\n<script>alert(1)</script>\n\n- a\n- b");
        assert!(html.contains("<strong>vrai</strong>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("<li>a</li>"));
    }
}
