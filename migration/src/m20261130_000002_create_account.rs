use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .if_not_exists()
                    .col(pk_auto(Account::Id))
                    // Stored lower-cased, so uniqueness is case-insensitive.
                    .col(string_len_uniq(Account::Email, 254))
                    .col(string_len(Account::PasswordHash, 200))
                    .col(string_len(Account::Civilite, 10))
                    .col(string_len(Account::FirstName, 100))
                    .col(string_len(Account::LastName, 100))
                    .col(string_len(Account::Role, 20))
                    .col(timestamp_with_time_zone_null(Account::EmailVerifiedAt))
                    .col(boolean(Account::Active).default(true))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .col(timestamp_with_time_zone(Account::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Account::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Email,
    PasswordHash,
    Civilite,
    FirstName,
    LastName,
    Role,
    EmailVerifiedAt,
    Active,
    CreatedAt,
    UpdatedAt,
}
