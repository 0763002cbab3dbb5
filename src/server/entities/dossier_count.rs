use sea_orm::entity::prelude::*;

/// How many filed dossiers of a démarche have a status (kept with each change).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_count")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub demarche_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
