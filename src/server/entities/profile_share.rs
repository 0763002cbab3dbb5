use sea_orm::entity::prelude::*;

/// A share key of a profile. Only the SHA-256 of the key is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_share")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub profile_id: i32,
    #[sea_orm(unique)]
    pub key_hash: String,
    pub created_by: Option<i32>,
    /// Unix seconds, like the other times of this table.
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub used_by: Option<i32>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
