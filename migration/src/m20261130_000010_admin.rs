//! Administration: the démarche's form being edited (published on demand as a new
//! frozen version), its customised notification emails, and the append-only audit log
//! of administrative and instructing actions, sign-ins and password resets.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Demarche::Table)
                    // `forms::FormDefinition` as JSON, being edited; `NULL` when it is
                    // the published version's.
                    .add_column(ColumnDef::new(Demarche::DraftDefinition).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DemarcheEmail::Table)
                    .if_not_exists()
                    .col(integer(DemarcheEmail::DemarcheId))
                    .col(string_len(DemarcheEmail::Kind, 30))
                    .col(string_len(DemarcheEmail::Subject, 200))
                    .col(text(DemarcheEmail::Body))
                    .col(timestamp_with_time_zone(DemarcheEmail::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(DemarcheEmail::DemarcheId)
                            .col(DemarcheEmail::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_demarche_email_demarche")
                            .from(DemarcheEmail::Table, DemarcheEmail::DemarcheId)
                            .to(Demarche::Table, Demarche::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    // No foreign key: the log outlives the accounts it names.
                    .col(integer_null(AuditLog::ActorId))
                    .col(string_len_null(AuditLog::ActorEmail, 255))
                    .col(string_len(AuditLog::Action, 60))
                    .col(string_len_null(AuditLog::ObjectKind, 30))
                    .col(string_len_null(AuditLog::ObjectId, 60))
                    .col(string_len_null(AuditLog::ObjectLabel, 300))
                    .col(text_null(AuditLog::Detail))
                    .col(string_len_null(AuditLog::Ip, 60))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_audit_log_at", vec![AuditLog::At, AuditLog::Id]),
            (
                "idx_audit_log_action",
                vec![AuditLog::Action, AuditLog::At, AuditLog::Id],
            ),
            (
                "idx_audit_log_actor",
                vec![AuditLog::ActorId, AuditLog::At, AuditLog::Id],
            ),
            (
                "idx_audit_log_object",
                vec![AuditLog::ObjectKind, AuditLog::ObjectId, AuditLog::At],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // Append-only: the database itself refuses to change or delete a line.
        let db = manager.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for (name, event) in [
                    ("audit_log_no_update", "UPDATE"),
                    ("audit_log_no_delete", "DELETE"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
                    ))
                    .await?;
                }
            }
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     RAISE EXCEPTION 'audit_log is append-only'; END $$;",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE \
                     ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();",
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_update;")
                    .await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_delete;")
                    .await?;
            }
            DatabaseBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;")
                    .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only();")
                    .await?;
            }
            _ => {}
        }
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DemarcheEmail::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Demarche::Table)
                    .drop_column(Demarche::DraftDefinition)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Demarche {
    Table,
    Id,
    DraftDefinition,
}

#[derive(DeriveIden)]
enum DemarcheEmail {
    Table,
    DemarcheId,
    Kind,
    Subject,
    Body,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    ActorEmail,
    Action,
    ObjectKind,
    ObjectId,
    ObjectLabel,
    Detail,
    Ip,
}
