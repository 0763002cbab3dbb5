use sea_orm::entity::prelude::*;

/// A draft or a filed dossier.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub demarche_id: i32,
    pub version_id: i32,
    pub profile_id: i32,
    pub created_by: Option<i32>,
    /// `DossierStatus::as_str`.
    pub status: String,
    #[sea_orm(unique)]
    pub number: Option<String>,
    /// `forms::Answers` as JSON.
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub lock_version: i32,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub submitted_at: Option<TimeDateTimeWithTimeZone>,
    pub decided_at: Option<TimeDateTimeWithTimeZone>,
    /// 0 draft, 1 « À traiter », 2 « En cours », 3 « Traités » (`DossierStatus::stage`).
    pub stage: i16,
    pub profile_kind: Option<String>,
    pub commune_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub search_text: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
