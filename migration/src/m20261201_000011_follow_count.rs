//! How many filed dossiers each instructor follows in each démarche, kept with every
//! « Suivre » / « Ne plus suivre »: the « Suivis par moi » tab and the instruction home
//! read one row instead of counting an instructor's follows on every page.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FollowCount::Table)
                    .if_not_exists()
                    .col(integer(FollowCount::AccountId))
                    .col(integer(FollowCount::DemarcheId))
                    .col(big_integer(FollowCount::N).default(0))
                    .primary_key(
                        Index::create()
                            .col(FollowCount::AccountId)
                            .col(FollowCount::DemarcheId),
                    )
                    .to_owned(),
            )
            .await?;
        // The follows made before this table existed.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO follow_count (account_id, demarche_id, n) \
                 SELECT account_id, demarche_id, COUNT(*) FROM dossier_follower \
                 WHERE demarche_id IS NOT NULL GROUP BY account_id, demarche_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FollowCount::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FollowCount {
    Table,
    AccountId,
    DemarcheId,
    N,
}
