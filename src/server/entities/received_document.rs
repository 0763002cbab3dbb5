use sea_orm::entity::prelude::*;

/// A document the Département sent to a profile (« Mes documents reçus »).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "received_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub profile_id: i32,
    pub dossier_id: Option<i32>,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub original_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub sent_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
