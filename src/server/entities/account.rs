use sea_orm::entity::prelude::*;

/// An account. `password_hash` never leaves the server: this type is not `Serialize`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub civilite: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub email_verified_at: Option<TimeDateTimeWithTimeZone>,
    pub active: bool,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub phone: Option<String>,
    pub terms_accepted_at: Option<TimeDateTimeWithTimeZone>,
    /// Set when the person deleted the account: its personal data is erased.
    pub deleted_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// Base32 TOTP secret of the second factor (staff accounts), once enrolled.
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted (a code is never accepted twice).
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
