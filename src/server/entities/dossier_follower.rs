use sea_orm::entity::prelude::*;

/// An instructor who follows a dossier.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_follower")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub dossier_id: i32,
    pub created_at: TimeDateTimeWithTimeZone,
    /// Copies of the dossier's, for « Suivis par moi » in the queue's order.
    pub demarche_id: Option<i32>,
    pub submitted_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
