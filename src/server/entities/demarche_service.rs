use sea_orm::entity::prelude::*;

/// A service that handles a démarche.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demarche_service")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub demarche_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
