use sea_orm::entity::prelude::*;

/// A word of a filed dossier (number, names, SIRET), for the queue's search.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_word")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub demarche_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub word: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub dossier_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
