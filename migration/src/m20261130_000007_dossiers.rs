//! Dossiers: the form versions of démarches, drafts and filed dossiers, their status
//! history, their attachments and the yearly counter of dossier numbers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            ColumnDef::new(Demarche::ProcessingTime)
                .string_len(100)
                .null()
                .to_owned(),
            // JSON array of the documents to prepare.
            ColumnDef::new(Demarche::Documents)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
            // YYYY-MM-DD, inclusive; none: always open.
            ColumnDef::new(Demarche::OpensOn)
                .string_len(10)
                .null()
                .to_owned(),
            ColumnDef::new(Demarche::ClosesOn)
                .string_len(10)
                .null()
                .to_owned(),
            // The version new drafts use.
            ColumnDef::new(Demarche::CurrentVersionId)
                .integer()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Demarche::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        // Members who want the receipts of dossiers filed by the profile's other members.
        manager
            .alter_table(
                Table::alter()
                    .table(ProfileMember::Table)
                    .add_column(
                        ColumnDef::new(ProfileMember::Receipts)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DemarcheVersion::Table)
                    .if_not_exists()
                    .col(pk_auto(DemarcheVersion::Id))
                    .col(integer(DemarcheVersion::DemarcheId))
                    .col(integer(DemarcheVersion::Number))
                    // The frozen form definition, as JSON.
                    .col(text(DemarcheVersion::Definition))
                    .col(timestamp_with_time_zone(DemarcheVersion::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_demarche_version_demarche")
                            .from(DemarcheVersion::Table, DemarcheVersion::DemarcheId)
                            .to(Demarche::Table, Demarche::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_demarche_version_number")
                    .table(DemarcheVersion::Table)
                    .col(DemarcheVersion::DemarcheId)
                    .col(DemarcheVersion::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Dossier::Table)
                    .if_not_exists()
                    .col(pk_auto(Dossier::Id))
                    .col(integer(Dossier::DemarcheId))
                    .col(integer(Dossier::VersionId))
                    .col(integer(Dossier::ProfileId))
                    // Null once the account that started it is deleted.
                    .col(integer_null(Dossier::CreatedBy))
                    .col(string_len(Dossier::Status, 30))
                    // « 2026-000123 », given at submission.
                    .col(string_len_null(Dossier::Number, 20).unique_key())
                    // The answers, as JSON (forms::Answers).
                    .col(text(Dossier::Answers))
                    // Optimistic lock: every write increments it.
                    .col(integer(Dossier::LockVersion).default(0))
                    .col(timestamp_with_time_zone(Dossier::CreatedAt))
                    .col(timestamp_with_time_zone(Dossier::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Dossier::SubmittedAt))
                    .col(timestamp_with_time_zone_null(Dossier::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_demarche")
                            .from(Dossier::Table, Dossier::DemarcheId)
                            .to(Demarche::Table, Demarche::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_version")
                            .from(Dossier::Table, Dossier::VersionId)
                            .to(DemarcheVersion::Table, DemarcheVersion::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_profile")
                            .from(Dossier::Table, Dossier::ProfileId)
                            .to(Profile::Table, Profile::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_created_by")
                            .from(Dossier::Table, Dossier::CreatedBy)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_dossier_profile_status",
                vec![Dossier::ProfileId, Dossier::Status, Dossier::UpdatedAt],
            ),
            (
                "idx_dossier_demarche_status",
                vec![Dossier::DemarcheId, Dossier::Status, Dossier::SubmittedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Dossier::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(DossierEvent::Table)
                    .if_not_exists()
                    .col(pk_auto(DossierEvent::Id))
                    .col(integer(DossierEvent::DossierId))
                    .col(string_len_null(DossierEvent::FromStatus, 30))
                    .col(string_len(DossierEvent::ToStatus, 30))
                    .col(integer_null(DossierEvent::AccountId))
                    .col(text_null(DossierEvent::Message))
                    .col(timestamp_with_time_zone(DossierEvent::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_event_dossier")
                            .from(DossierEvent::Table, DossierEvent::DossierId)
                            .to(Dossier::Table, Dossier::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_event_account")
                            .from(DossierEvent::Table, DossierEvent::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_dossier_event_dossier")
                    .table(DossierEvent::Table)
                    .col(DossierEvent::DossierId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DossierFile::Table)
                    .if_not_exists()
                    .col(pk_auto(DossierFile::Id))
                    .col(integer(DossierFile::DossierId))
                    // The field key, or `group.index.key` inside a repeated group.
                    .col(string_len(DossierFile::FieldPath, 200))
                    // A generated name in the storage; never the uploaded name.
                    .col(string_len_uniq(DossierFile::StorageKey, 200))
                    // The uploaded name, as metadata only (escaped when shown).
                    .col(string_len(DossierFile::OriginalName, 255))
                    // pdf, jpeg, png or webp: what the content is.
                    .col(string_len(DossierFile::Kind, 10))
                    .col(big_integer(DossierFile::SizeBytes))
                    .col(string_len(DossierFile::Sha256, 64))
                    .col(integer_null(DossierFile::UploadedBy))
                    .col(timestamp_with_time_zone(DossierFile::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_file_dossier")
                            .from(DossierFile::Table, DossierFile::DossierId)
                            .to(Dossier::Table, Dossier::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_file_account")
                            .from(DossierFile::Table, DossierFile::UploadedBy)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_dossier_file_dossier")
                    .table(DossierFile::Table)
                    .col(DossierFile::DossierId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DossierCounter::Table)
                    .if_not_exists()
                    .col(integer(DossierCounter::Year).primary_key())
                    .col(integer(DossierCounter::Last))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DossierCounter::Table.into_iden(),
            DossierFile::Table.into_iden(),
            DossierEvent::Table.into_iden(),
            Dossier::Table.into_iden(),
            DemarcheVersion::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProfileMember::Table)
                    .drop_column(ProfileMember::Receipts)
                    .to_owned(),
            )
            .await?;
        for column in [
            Demarche::ProcessingTime,
            Demarche::Documents,
            Demarche::OpensOn,
            Demarche::ClosesOn,
            Demarche::CurrentVersionId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Demarche::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Demarche {
    Table,
    Id,
    ProcessingTime,
    Documents,
    OpensOn,
    ClosesOn,
    CurrentVersionId,
}

#[derive(DeriveIden)]
enum DemarcheVersion {
    Table,
    Id,
    DemarcheId,
    Number,
    Definition,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    Id,
    DemarcheId,
    VersionId,
    ProfileId,
    CreatedBy,
    Status,
    Number,
    Answers,
    LockVersion,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum DossierEvent {
    Table,
    Id,
    DossierId,
    FromStatus,
    ToStatus,
    AccountId,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DossierFile {
    Table,
    Id,
    DossierId,
    FieldPath,
    StorageKey,
    OriginalName,
    Kind,
    SizeBytes,
    Sha256,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DossierCounter {
    Table,
    Year,
    Last,
}

#[derive(DeriveIden)]
enum Profile {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProfileMember {
    Table,
    Receipts,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}
