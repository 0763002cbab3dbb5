use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::MessageId, 200))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string_len(Outbox::Template, 60))
                    .col(string_len(Outbox::Subject, 300))
                    .col(text(Outbox::BodyText))
                    .col(text(Outbox::BodyHtml))
                    // pending → sent, or pending → failed after the last attempt.
                    .col(string_len(Outbox::Status, 10))
                    .col(integer(Outbox::Attempts).default(0))
                    // Times are Unix milliseconds, compared as integers on every backend.
                    .col(big_integer(Outbox::NextAttemptAt))
                    .col(big_integer_null(Outbox::LockedUntil))
                    .col(string_len_null(Outbox::LockOwner, 64))
                    .col(text_null(Outbox::LastError))
                    .col(big_integer(Outbox::CreatedAt))
                    .col(big_integer_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    MessageId,
    Recipient,
    Template,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LockOwner,
    LastError,
    CreatedAt,
    SentAt,
}
