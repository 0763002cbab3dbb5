use sea_orm::entity::prelude::*;

/// An attachment of a dossier, stored under a generated key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_file")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub dossier_id: i32,
    pub field_path: String,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub original_name: String,
    pub kind: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
