//! Profiles: the identities dossiers are filed under (the person themself, or a
//! collectivité, an association, an entreprise), their members and their share keys.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Profile::Table)
                    .if_not_exists()
                    .col(pk_auto(Profile::Id))
                    // particulier, collectivite, association or entreprise.
                    .col(string_len(Profile::Kind, 20))
                    .col(string_len(Profile::Name, 200))
                    .col(string_len_null(Profile::Siret, 14))
                    .col(string_len_null(Profile::AddressLine, 200))
                    .col(string_len_null(Profile::PostalCode, 5))
                    .col(string_len_null(Profile::Commune, 100))
                    // The account whose personal profile this is (one each).
                    .col(integer_null(Profile::PersonalAccountId).unique_key())
                    .col(timestamp_with_time_zone(Profile::CreatedAt))
                    .col(timestamp_with_time_zone(Profile::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profile_personal_account")
                            .from(Profile::Table, Profile::PersonalAccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProfileMember::Table)
                    .if_not_exists()
                    .col(pk_auto(ProfileMember::Id))
                    .col(integer(ProfileMember::ProfileId))
                    .col(integer(ProfileMember::AccountId))
                    // manager or member.
                    .col(string_len(ProfileMember::Role, 20))
                    // What the person declares to be: « Maire », « Trésorière »…
                    .col(string_len(ProfileMember::Function, 100))
                    .col(timestamp_with_time_zone(ProfileMember::JoinedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profile_member_profile")
                            .from(ProfileMember::Table, ProfileMember::ProfileId)
                            .to(Profile::Table, Profile::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profile_member_account")
                            .from(ProfileMember::Table, ProfileMember::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_profile_member_unique")
                    .table(ProfileMember::Table)
                    .col(ProfileMember::ProfileId)
                    .col(ProfileMember::AccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_profile_member_account")
                    .table(ProfileMember::Table)
                    .col(ProfileMember::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProfileShare::Table)
                    .if_not_exists()
                    .col(pk_auto(ProfileShare::Id))
                    .col(integer(ProfileShare::ProfileId))
                    // SHA-256 (hex) of the key: the key itself is shown once and never stored.
                    .col(string_len_uniq(ProfileShare::KeyHash, 64))
                    .col(integer_null(ProfileShare::CreatedBy))
                    .col(big_integer(ProfileShare::CreatedAt))
                    .col(big_integer(ProfileShare::ExpiresAt))
                    .col(big_integer_null(ProfileShare::UsedAt))
                    .col(integer_null(ProfileShare::UsedBy))
                    .col(big_integer_null(ProfileShare::RevokedAt))
                    .col(integer_null(ProfileShare::RevokedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profile_share_profile")
                            .from(ProfileShare::Table, ProfileShare::ProfileId)
                            .to(Profile::Table, Profile::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProfileEvent::Table)
                    .if_not_exists()
                    .col(pk_auto(ProfileEvent::Id))
                    .col(integer(ProfileEvent::ProfileId))
                    .col(integer_null(ProfileEvent::ActorId))
                    .col(integer_null(ProfileEvent::SubjectId))
                    // created, joined, removed, promoted, stepped_down, left, share_added…
                    .col(string_len(ProfileEvent::Kind, 30))
                    .col(text(ProfileEvent::Detail))
                    .col(timestamp_with_time_zone(ProfileEvent::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profile_event_profile")
                            .from(ProfileEvent::Table, ProfileEvent::ProfileId)
                            .to(Profile::Table, Profile::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProfileEvent::Table.into_iden(),
            ProfileShare::Table.into_iden(),
            ProfileMember::Table.into_iden(),
            Profile::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Profile {
    Table,
    Id,
    Kind,
    Name,
    Siret,
    AddressLine,
    PostalCode,
    Commune,
    PersonalAccountId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProfileMember {
    Table,
    Id,
    ProfileId,
    AccountId,
    Role,
    Function,
    JoinedAt,
}

#[derive(DeriveIden)]
enum ProfileShare {
    Table,
    Id,
    ProfileId,
    KeyHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    UsedBy,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum ProfileEvent {
    Table,
    Id,
    ProfileId,
    ActorId,
    SubjectId,
    Kind,
    Detail,
    CreatedAt,
}
