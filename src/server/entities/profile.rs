use sea_orm::entity::prelude::*;

/// A profile: the identity a dossier is filed under.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: String,
    pub name: String,
    pub siret: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    #[sea_orm(unique)]
    pub personal_account_id: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
