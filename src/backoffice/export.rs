//! The CSV export of a démarche's dossiers, written batch by batch into a channel: a
//! large export never holds more than one batch of dossiers in memory.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::mpsc::Sender;

use super::csv::{self, RowMeta};
use super::model::QueueQuery;
use super::service;
use crate::dossiers::model::DossierStatus;
use crate::dossiers::service::{answers_of, status_of};
use crate::error::AppError;
use crate::forms::FormDefinition;
use crate::profiles::model::ProfileKind;
use crate::server::db::format_datetime;
use crate::server::entities::demarche_version;

/// Dossiers read per batch.
const BATCH: u64 = 500;

/// The démarche's form versions, oldest first, by id.
pub async fn versions(
    db: &DatabaseConnection,
    demarche_id: i32,
) -> Result<Vec<(i32, FormDefinition)>, AppError> {
    let rows = demarche_version::Entity::find()
        .filter(demarche_version::Column::DemarcheId.eq(demarche_id))
        .order_by_asc(demarche_version::Column::Number)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|v| {
            serde_json::from_str(&v.definition)
                .map(|d| (v.id, d))
                .map_err(|e| AppError::internal("stored form definition unreadable", &e))
        })
        .collect()
}

fn siret_text(siret: &str) -> String {
    let digits: String = siret.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 14 {
        format!(
            "{} {} {} {}",
            &digits[0..3],
            &digits[3..6],
            &digits[6..9],
            &digits[9..14]
        )
    } else {
        siret.to_owned()
    }
}

/// Writes the header then every dossier of the queue's filters (all tabs when the
/// query names none) into `tx`. Stops quietly when the client goes away.
pub async fn write(
    db: &DatabaseConnection,
    demarche_id: i32,
    account_id: i32,
    query: &QueueQuery,
    versions: &[(i32, FormDefinition)],
    tx: &Sender<Result<bytes::Bytes, std::io::Error>>,
) -> Result<(), AppError> {
    let definitions: Vec<FormDefinition> = versions.iter().map(|(_, d)| d.clone()).collect();
    let columns = csv::columns(&definitions);
    let header = csv::header_bytes(&columns).map_err(|e| AppError::internal("CSV header", &e))?;
    if tx.send(Ok(header.into())).await.is_err() {
        return Ok(());
    }
    let mut query = query.clone();
    if query.onglet.is_none() {
        query.onglet = Some(super::model::Tab::Tous.slug().into());
    }
    let empty = FormDefinition::default();
    service::for_each_batch(db, demarche_id, account_id, &query, BATCH, |rows| {
        let columns = &columns;
        let empty = &empty;
        async move {
            let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
            let files = service::file_names(db, &ids).await?;
            let accounts =
                service::accounts_by_id(db, rows.iter().filter_map(|r| r.created_by)).await?;
            let profiles = service::profiles_by_id(db, rows.iter().map(|r| r.profile_id)).await?;
            let mut records = Vec::with_capacity(rows.len());
            for row in &rows {
                let def = versions
                    .iter()
                    .find(|(id, _)| *id == row.version_id)
                    .map(|(_, d)| d)
                    .unwrap_or(empty);
                let filer = row.created_by.and_then(|id| accounts.get(&id));
                let profile = profiles.get(&row.profile_id);
                let kind = profile
                    .and_then(|p| ProfileKind::parse(&p.kind))
                    .unwrap_or(ProfileKind::Particulier);
                let status: DossierStatus = status_of(row);
                let meta = RowMeta {
                    number: row.number.clone().unwrap_or_default(),
                    status: status.label().to_owned(),
                    submitted_at: row.submitted_at.map(format_datetime).unwrap_or_default(),
                    updated_at: format_datetime(row.updated_at),
                    decided_at: row.decided_at.map(format_datetime).unwrap_or_default(),
                    profile: match kind {
                        ProfileKind::Particulier => filer
                            .map(|a| format!("{} {}", a.first_name, a.last_name))
                            .unwrap_or_default(),
                        _ => profile.map(|p| p.name.clone()).unwrap_or_default(),
                    },
                    profile_kind: kind.label().to_owned(),
                    commune: match kind {
                        ProfileKind::Particulier => filer.and_then(|a| a.commune.clone()),
                        _ => profile.and_then(|p| p.commune.clone()),
                    }
                    .unwrap_or_default(),
                    siret: profile
                        .and_then(|p| p.siret.as_deref())
                        .map(siret_text)
                        .unwrap_or_default(),
                    filer: filer
                        .map(|a| format!("{} {}", a.first_name, a.last_name))
                        .unwrap_or_else(|| "Compte supprimé".into()),
                    filer_email: filer.map(|a| a.email.clone()).unwrap_or_default(),
                };
                let no_files = Default::default();
                records.push(csv::record(
                    columns,
                    &meta,
                    def,
                    &answers_of(row),
                    files.get(&row.id).unwrap_or(&no_files),
                ));
            }
            let bytes =
                csv::write_records(records).map_err(|e| AppError::internal("CSV rows", &e))?;
            // The client went away: stop reading.
            Ok(tx.send(Ok(bytes.into())).await.is_ok())
        }
    })
    .await
}
