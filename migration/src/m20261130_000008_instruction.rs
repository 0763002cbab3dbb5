//! Instruction: services instructeurs and the démarches they handle, the second factor
//! of staff accounts, the queue columns of dossiers, followers, private annotations,
//! the message thread and the documents the Département sends to profiles.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    action: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(action)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // ---------------------------------------------------------------- services
        manager
            .create_table(
                Table::create()
                    .table(Service::Table)
                    .if_not_exists()
                    .col(pk_auto(Service::Id))
                    .col(string_len_uniq(Service::Name, 150))
                    .col(timestamp_with_time_zone(Service::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceMember::Table)
                    .if_not_exists()
                    .col(integer(ServiceMember::ServiceId))
                    .col(integer(ServiceMember::AccountId))
                    .primary_key(
                        Index::create()
                            .col(ServiceMember::ServiceId)
                            .col(ServiceMember::AccountId),
                    )
                    .foreign_key(&mut fk(
                        "fk_service_member_service",
                        (ServiceMember::Table, ServiceMember::ServiceId),
                        (Service::Table, Service::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_member_account",
                        (ServiceMember::Table, ServiceMember::AccountId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_service_member_account",
            ServiceMember::Table,
            vec![ServiceMember::AccountId.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DemarcheService::Table)
                    .if_not_exists()
                    .col(integer(DemarcheService::DemarcheId))
                    .col(integer(DemarcheService::ServiceId))
                    .primary_key(
                        Index::create()
                            .col(DemarcheService::DemarcheId)
                            .col(DemarcheService::ServiceId),
                    )
                    .foreign_key(&mut fk(
                        "fk_demarche_service_demarche",
                        (DemarcheService::Table, DemarcheService::DemarcheId),
                        (Demarche::Table, Demarche::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_demarche_service_service",
                        (DemarcheService::Table, DemarcheService::ServiceId),
                        (Service::Table, Service::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_demarche_service_service",
            DemarcheService::Table,
            vec![DemarcheService::ServiceId.into_iden()],
            false,
        )
        .await?;

        // ---------------------------------------------------------------- second factor
        for column in [
            // Base32 TOTP secret; set once enrolment is confirmed.
            ColumnDef::new(Account::TotpSecret)
                .string_len(64)
                .null()
                .to_owned(),
            // The last 30-second step accepted: a code is never accepted twice.
            ColumnDef::new(Account::TotpLastStep)
                .big_integer()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Account::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCode::Table)
                    .if_not_exists()
                    .col(pk_auto(RecoveryCode::Id))
                    .col(integer(RecoveryCode::AccountId))
                    // SHA-256 of the normalised code.
                    .col(string_len(RecoveryCode::CodeHash, 64))
                    .col(timestamp_with_time_zone_null(RecoveryCode::UsedAt))
                    .foreign_key(&mut fk(
                        "fk_recovery_code_account",
                        (RecoveryCode::Table, RecoveryCode::AccountId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_recovery_code_account",
            RecoveryCode::Table,
            vec![RecoveryCode::AccountId.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrustedDevice::Table)
                    .if_not_exists()
                    // SHA-256 of the random token of the device's cookie.
                    .col(string_len(TrustedDevice::TokenHash, 64).primary_key())
                    .col(integer(TrustedDevice::AccountId))
                    .col(big_integer(TrustedDevice::ExpiresAt))
                    .foreign_key(&mut fk(
                        "fk_trusted_device_account",
                        (TrustedDevice::Table, TrustedDevice::AccountId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_trusted_device_account",
            TrustedDevice::Table,
            vec![TrustedDevice::AccountId.into_iden()],
            false,
        )
        .await?;

        // ---------------------------------------------------------------- queue columns
        for column in [
            // 0 draft, 1 « À traiter », 2 « En cours », 3 « Traités »: one index range
            // per tab of the queue.
            ColumnDef::new(Dossier::Stage)
                .small_integer()
                .not_null()
                .default(0)
                .to_owned(),
            // Copied from the profile at submission, for the queue's filters.
            ColumnDef::new(Dossier::ProfileKind)
                .string_len(20)
                .null()
                .to_owned(),
            // The commune, lowercased without accents (filter key).
            ColumnDef::new(Dossier::CommuneKey)
                .string_len(100)
                .null()
                .to_owned(),
            // Number, profile name, filer's name and SIRET, lowercased without accents.
            ColumnDef::new(Dossier::SearchText).text().null().to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Dossier::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(DossierEvent::Table)
                    .add_column(ColumnDef::new(DossierEvent::DocumentId).integer().null())
                    .to_owned(),
            )
            .await?;
        // Keyset pagination walks (submitted_at, id) inside each of these prefixes.
        manager
            .drop_index(
                Index::drop()
                    .name("idx_dossier_demarche_status")
                    .table(Dossier::Table)
                    .to_owned(),
            )
            .await?;
        for (name, prefix) in [
            ("idx_dossier_queue_stage", Some(Dossier::Stage)),
            ("idx_dossier_queue_status", Some(Dossier::Status)),
            ("idx_dossier_queue_commune", Some(Dossier::CommuneKey)),
            ("idx_dossier_queue_kind", Some(Dossier::ProfileKind)),
            ("idx_dossier_queue_all", None),
        ] {
            let mut cols = vec![Dossier::DemarcheId.into_iden()];
            if let Some(p) = prefix {
                cols.push(p.into_iden());
            }
            cols.push(Dossier::SubmittedAt.into_iden());
            cols.push(Dossier::Id.into_iden());
            index(manager, name, Dossier::Table, cols, false).await?;
        }

        // ---------------------------------------------------------------- followers
        manager
            .create_table(
                Table::create()
                    .table(DossierFollower::Table)
                    .if_not_exists()
                    .col(integer(DossierFollower::AccountId))
                    .col(integer(DossierFollower::DossierId))
                    .col(timestamp_with_time_zone(DossierFollower::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(DossierFollower::AccountId)
                            .col(DossierFollower::DossierId),
                    )
                    .foreign_key(&mut fk(
                        "fk_dossier_follower_account",
                        (DossierFollower::Table, DossierFollower::AccountId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_dossier_follower_dossier",
                        (DossierFollower::Table, DossierFollower::DossierId),
                        (Dossier::Table, Dossier::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_dossier_follower_dossier",
            DossierFollower::Table,
            vec![DossierFollower::DossierId.into_iden()],
            false,
        )
        .await?;

        // ---------------------------------------------------------------- annotations
        manager
            .create_table(
                Table::create()
                    .table(DossierAnnotation::Table)
                    .if_not_exists()
                    .col(pk_auto(DossierAnnotation::Id))
                    .col(integer(DossierAnnotation::DossierId))
                    .col(integer_null(DossierAnnotation::AuthorId))
                    .col(text(DossierAnnotation::Body))
                    .col(timestamp_with_time_zone(DossierAnnotation::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_dossier_annotation_dossier",
                        (DossierAnnotation::Table, DossierAnnotation::DossierId),
                        (Dossier::Table, Dossier::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_dossier_annotation_author",
                        (DossierAnnotation::Table, DossierAnnotation::AuthorId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_dossier_annotation_dossier",
            DossierAnnotation::Table,
            vec![DossierAnnotation::DossierId.into_iden()],
            false,
        )
        .await?;

        // ---------------------------------------------------------------- messages
        manager
            .create_table(
                Table::create()
                    .table(DossierMessage::Table)
                    .if_not_exists()
                    .col(pk_auto(DossierMessage::Id))
                    .col(integer(DossierMessage::DossierId))
                    .col(integer_null(DossierMessage::AuthorId))
                    // Written by the Département (true) or by the profile (false).
                    .col(boolean(DossierMessage::FromInstructor))
                    .col(text(DossierMessage::Body))
                    .col(timestamp_with_time_zone(DossierMessage::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_dossier_message_dossier",
                        (DossierMessage::Table, DossierMessage::DossierId),
                        (Dossier::Table, Dossier::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_dossier_message_author",
                        (DossierMessage::Table, DossierMessage::AuthorId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_dossier_message_dossier",
            DossierMessage::Table,
            vec![DossierMessage::DossierId.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageFile::Table)
                    .if_not_exists()
                    .col(pk_auto(MessageFile::Id))
                    .col(integer(MessageFile::MessageId))
                    .col(integer(MessageFile::DossierId))
                    .col(string_len_uniq(MessageFile::StorageKey, 200))
                    .col(string_len(MessageFile::OriginalName, 255))
                    .col(string_len(MessageFile::Kind, 10))
                    .col(big_integer(MessageFile::SizeBytes))
                    .col(string_len(MessageFile::Sha256, 64))
                    .foreign_key(&mut fk(
                        "fk_message_file_message",
                        (MessageFile::Table, MessageFile::MessageId),
                        (DossierMessage::Table, DossierMessage::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_message_file_message",
            MessageFile::Table,
            vec![MessageFile::MessageId.into_iden()],
            false,
        )
        .await?;

        // ---------------------------------------------------------------- documents
        manager
            .create_table(
                Table::create()
                    .table(ReceivedDocument::Table)
                    .if_not_exists()
                    .col(pk_auto(ReceivedDocument::Id))
                    .col(integer(ReceivedDocument::ProfileId))
                    .col(integer_null(ReceivedDocument::DossierId))
                    .col(string_len(ReceivedDocument::Title, 200))
                    .col(text_null(ReceivedDocument::Message))
                    .col(string_len_uniq(ReceivedDocument::StorageKey, 200))
                    .col(string_len(ReceivedDocument::OriginalName, 255))
                    .col(big_integer(ReceivedDocument::SizeBytes))
                    .col(string_len(ReceivedDocument::Sha256, 64))
                    .col(integer_null(ReceivedDocument::SentBy))
                    .col(timestamp_with_time_zone(ReceivedDocument::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_received_document_profile",
                        (ReceivedDocument::Table, ReceivedDocument::ProfileId),
                        (Profile::Table, Profile::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_received_document_dossier",
                        (ReceivedDocument::Table, ReceivedDocument::DossierId),
                        (Dossier::Table, Dossier::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_received_document_sender",
                        (ReceivedDocument::Table, ReceivedDocument::SentBy),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_received_document_profile",
            ReceivedDocument::Table,
            vec![
                ReceivedDocument::ProfileId.into_iden(),
                ReceivedDocument::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DocumentRead::Table)
                    .if_not_exists()
                    .col(integer(DocumentRead::DocumentId))
                    .col(integer(DocumentRead::AccountId))
                    .col(timestamp_with_time_zone(DocumentRead::ReadAt))
                    .primary_key(
                        Index::create()
                            .col(DocumentRead::DocumentId)
                            .col(DocumentRead::AccountId),
                    )
                    .foreign_key(&mut fk(
                        "fk_document_read_document",
                        (DocumentRead::Table, DocumentRead::DocumentId),
                        (ReceivedDocument::Table, ReceivedDocument::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_document_read_account",
                        (DocumentRead::Table, DocumentRead::AccountId),
                        (Account::Table, Account::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DocumentRead::Table.into_iden(),
            ReceivedDocument::Table.into_iden(),
            MessageFile::Table.into_iden(),
            DossierMessage::Table.into_iden(),
            DossierAnnotation::Table.into_iden(),
            DossierFollower::Table.into_iden(),
            TrustedDevice::Table.into_iden(),
            RecoveryCode::Table.into_iden(),
            DemarcheService::Table.into_iden(),
            ServiceMember::Table.into_iden(),
            Service::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for name in [
            "idx_dossier_queue_stage",
            "idx_dossier_queue_status",
            "idx_dossier_queue_commune",
            "idx_dossier_queue_kind",
            "idx_dossier_queue_all",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Dossier::Table).to_owned())
                .await?;
        }
        index(
            manager,
            "idx_dossier_demarche_status",
            Dossier::Table,
            vec![
                Dossier::DemarcheId.into_iden(),
                Dossier::Status.into_iden(),
                Dossier::SubmittedAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DossierEvent::Table)
                    .drop_column(DossierEvent::DocumentId)
                    .to_owned(),
            )
            .await?;
        for column in [
            Dossier::Stage,
            Dossier::ProfileKind,
            Dossier::CommuneKey,
            Dossier::SearchText,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Dossier::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Account::TotpSecret, Account::TotpLastStep] {
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
enum Service {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceMember {
    Table,
    ServiceId,
    AccountId,
}

#[derive(DeriveIden)]
enum DemarcheService {
    Table,
    DemarcheId,
    ServiceId,
}

#[derive(DeriveIden)]
enum RecoveryCode {
    Table,
    Id,
    AccountId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum TrustedDevice {
    Table,
    TokenHash,
    AccountId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum DossierFollower {
    Table,
    AccountId,
    DossierId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DossierAnnotation {
    Table,
    Id,
    DossierId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DossierMessage {
    Table,
    Id,
    DossierId,
    AuthorId,
    FromInstructor,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MessageFile {
    Table,
    Id,
    MessageId,
    DossierId,
    StorageKey,
    OriginalName,
    Kind,
    SizeBytes,
    Sha256,
}

#[derive(DeriveIden)]
enum ReceivedDocument {
    Table,
    Id,
    ProfileId,
    DossierId,
    Title,
    Message,
    StorageKey,
    OriginalName,
    SizeBytes,
    Sha256,
    SentBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DocumentRead {
    Table,
    DocumentId,
    AccountId,
    ReadAt,
}

#[derive(DeriveIden)]
enum Demarche {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Profile {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    TotpSecret,
    TotpLastStep,
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    Id,
    DemarcheId,
    Status,
    SubmittedAt,
    Stage,
    ProfileKind,
    CommuneKey,
    SearchText,
}

#[derive(DeriveIden)]
enum DossierEvent {
    Table,
    DocumentId,
}
