use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Demarche::Table)
                    .if_not_exists()
                    .col(pk_auto(Demarche::Id))
                    .col(string_len_uniq(Demarche::Slug, 120))
                    .col(string_len(Demarche::Title, 200))
                    .col(text(Demarche::Summary))
                    .col(text(Demarche::Description))
                    .col(string_len(Demarche::Audience, 20))
                    .col(string_len(Demarche::State, 20))
                    .col(boolean(Demarche::Featured).default(false))
                    .col(integer_null(Demarche::FeaturedOrder))
                    .col(timestamp_with_time_zone_null(Demarche::FeaturedFrom))
                    .col(timestamp_with_time_zone_null(Demarche::FeaturedUntil))
                    .col(timestamp_with_time_zone(Demarche::CreatedAt))
                    .col(timestamp_with_time_zone(Demarche::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_demarche_featured")
                    .table(Demarche::Table)
                    .col(Demarche::Featured)
                    .col(Demarche::FeaturedOrder)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Demarche::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Demarche {
    Table,
    Id,
    Slug,
    Title,
    Summary,
    Description,
    Audience,
    State,
    Featured,
    FeaturedOrder,
    FeaturedFrom,
    FeaturedUntil,
    CreatedAt,
    UpdatedAt,
}
