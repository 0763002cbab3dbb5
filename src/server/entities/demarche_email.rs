use sea_orm::entity::prelude::*;

/// A notification email of a démarche customised by an administrator.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demarche_email")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub demarche_id: i32,
    /// `admin::model::EmailKind::as_str`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
