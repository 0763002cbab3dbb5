use sea_orm::entity::prelude::*;

/// One line of the append-only audit log (the database refuses updates and deletes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: TimeDateTimeWithTimeZone,
    pub actor_id: Option<i32>,
    /// The actor's address at the time (the typed one for a failed sign-in).
    pub actor_email: Option<String>,
    /// `server::audit::AuditAction::as_str`.
    pub action: String,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub object_label: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
