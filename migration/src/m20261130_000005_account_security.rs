//! Accounts grow their personal data; sessions know their account (so that a password
//! change can end the other sessions); one-time tokens and rate limits get their tables.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let account_columns = [
            ColumnDef::new(Account::BirthDate)
                .string_len(10)
                .null()
                .to_owned(),
            ColumnDef::new(Account::AddressLine)
                .string_len(200)
                .null()
                .to_owned(),
            ColumnDef::new(Account::PostalCode)
                .string_len(5)
                .null()
                .to_owned(),
            ColumnDef::new(Account::Commune)
                .string_len(100)
                .null()
                .to_owned(),
            ColumnDef::new(Account::Phone)
                .string_len(20)
                .null()
                .to_owned(),
            ColumnDef::new(Account::TermsAcceptedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Account::DeletedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ];
        for mut column in account_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Account::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .alter_table(
                Table::alter()
                    .table(Session::Table)
                    .add_column(ColumnDef::new(Session::AccountId).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_session_account_id")
                    .table(Session::Table)
                    .col(Session::AccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountToken::Table)
                    .if_not_exists()
                    .col(pk_auto(AccountToken::Id))
                    .col(integer(AccountToken::AccountId))
                    // verify_email, reset_password or change_email.
                    .col(string_len(AccountToken::Purpose, 20))
                    // SHA-256 (hex) of the token: the link itself is never stored.
                    .col(string_len_uniq(AccountToken::TokenHash, 64))
                    // The address a change_email token moves the account to.
                    .col(string_len_null(AccountToken::NewEmail, 254))
                    // Unix seconds.
                    .col(big_integer(AccountToken::ExpiresAt))
                    .col(big_integer_null(AccountToken::UsedAt))
                    .col(big_integer(AccountToken::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_token_account")
                            .from(AccountToken::Table, AccountToken::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_token_account")
                    .table(AccountToken::Table)
                    .col(AccountToken::AccountId)
                    .col(AccountToken::Purpose)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RateLimit::Table)
                    .if_not_exists()
                    // What is counted, e.g. `signin-account:<sha256 of the email>`.
                    .col(string_len(RateLimit::Key, 120).primary_key())
                    .col(integer(RateLimit::Count))
                    // Unix seconds: the end of the counting window, or of the lock.
                    .col(big_integer(RateLimit::WindowEndsAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimit::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccountToken::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_session_account_id")
                    .table(Session::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Session::Table)
                    .drop_column(Session::AccountId)
                    .to_owned(),
            )
            .await?;
        for column in [
            Account::BirthDate,
            Account::AddressLine,
            Account::PostalCode,
            Account::Commune,
            Account::Phone,
            Account::TermsAcceptedAt,
            Account::DeletedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Account::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    BirthDate,
    AddressLine,
    PostalCode,
    Commune,
    Phone,
    TermsAcceptedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    AccountId,
}

#[derive(DeriveIden)]
enum AccountToken {
    Table,
    Id,
    AccountId,
    Purpose,
    TokenHash,
    NewEmail,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RateLimit {
    Table,
    Key,
    Count,
    WindowEndsAt,
}
