use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demarche")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub audience: String,
    pub state: String,
    pub featured: bool,
    pub featured_order: Option<i32>,
    pub featured_from: Option<TimeDateTimeWithTimeZone>,
    pub featured_until: Option<TimeDateTimeWithTimeZone>,
    pub processing_time: Option<String>,
    /// JSON array of the documents to prepare.
    #[sea_orm(column_type = "Text")]
    pub documents: String,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub current_version_id: Option<i32>,
    /// The form being edited (`forms::FormDefinition` as JSON); `None` when it is the
    /// published version's.
    #[sea_orm(column_type = "Text", nullable)]
    pub draft_definition: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
