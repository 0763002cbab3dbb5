//! The words of filed dossiers (number, names, SIRET), for the queue's search: a prefix
//! of a word is an index range, where a substring of a text column would scan every
//! dossier of the démarche. And the démarche and submission time of followed dossiers
//! on `dossier_follower`, so that « Suivis par moi » walks one index in the queue's order.
//! And the number of filed dossiers per démarche and status, kept in the transaction of
//! each status change, for the tabs and the « Instruction » home without counting rows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DossierWord::Table)
                    .if_not_exists()
                    .col(integer(DossierWord::DemarcheId))
                    // Lower case, without accents.
                    .col(string_len(DossierWord::Word, 100))
                    .col(integer(DossierWord::DossierId))
                    .primary_key(
                        Index::create()
                            .col(DossierWord::DemarcheId)
                            .col(DossierWord::Word)
                            .col(DossierWord::DossierId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_word_dossier")
                            .from(DossierWord::Table, DossierWord::DossierId)
                            .to(Dossier::Table, Dossier::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_dossier_word_dossier")
                    .table(DossierWord::Table)
                    .col(DossierWord::DossierId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DossierCount::Table)
                    .if_not_exists()
                    .col(integer(DossierCount::DemarcheId))
                    .col(string_len(DossierCount::Status, 30))
                    .col(big_integer(DossierCount::N).default(0))
                    .primary_key(
                        Index::create()
                            .col(DossierCount::DemarcheId)
                            .col(DossierCount::Status),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [
            ColumnDef::new(DossierFollower::DemarcheId)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(DossierFollower::SubmittedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DossierFollower::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_dossier_follower_queue")
                    .table(DossierFollower::Table)
                    .col(DossierFollower::AccountId)
                    .col(DossierFollower::DemarcheId)
                    .col(DossierFollower::SubmittedAt)
                    .col(DossierFollower::DossierId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DossierCount::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_dossier_follower_queue")
                    .table(DossierFollower::Table)
                    .to_owned(),
            )
            .await?;
        for column in [DossierFollower::DemarcheId, DossierFollower::SubmittedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DossierFollower::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(DossierWord::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DossierWord {
    Table,
    DemarcheId,
    Word,
    DossierId,
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DossierFollower {
    Table,
    AccountId,
    DossierId,
    DemarcheId,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum DossierCount {
    Table,
    DemarcheId,
    Status,
    N,
}
