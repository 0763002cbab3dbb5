use sea_orm::entity::prelude::*;

/// A frozen form definition of a démarche; dossiers keep the one they started on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demarche_version")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub demarche_id: i32,
    pub number: i32,
    /// `forms::FormDefinition` as JSON.
    #[sea_orm(column_type = "Text")]
    pub definition: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
