use sea_orm::entity::prelude::*;

/// What happened to a profile's composition, and who did it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub profile_id: i32,
    pub actor_id: Option<i32>,
    pub subject_id: Option<i32>,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
