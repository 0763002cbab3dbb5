//! The abandoned-upload cleaner.
//!
//! A file enters the storage before the row that records it: [`super::intake`] streams
//! it to `{prefix}/{uuid}` while checking it, and only then does the caller write its
//! `dossier_file`, `message_file` or `received_document` row — or, for a back-office
//! form that failed, keep it in the session (`kept:{form}:{dossier}`) for the next try.
//! A crash, a lost database connection or a form abandoned between the two leaves a
//! file that nothing records. [`sweep`] removes such files once they are older than a
//! grace period, and never a file that a row or a live session refers to:
//!
//! - only keys of the shape the portal writes are considered
//!   (`dossiers|messages|documents/{number}/{uuid}`); anything else in the storage is
//!   left alone;
//! - the grace period (a day by default) is far longer than the moment between a file
//!   being written and its row being committed (milliseconds). A duplicate's copies
//!   are new files ([`Storage::copy_new`]), so their age starts at the copy;
//! - the files kept by live sessions are read from the `session` table *before* the
//!   rows are checked. A kept file leaves the stored session (when its form finally
//!   goes through) only after its row is committed, so at every instant it is in one
//!   or the other. Kept files of sessions that expired (30 idle minutes by default)
//!   are abandoned like any other;
//! - rows are checked batch by batch, just before that batch is deleted.
//!
//! On a local disk, an upload cut by a crash also leaves its staging file
//! (`{key}#{n}`, which `object_store` writes before renaming it into place and never
//! lists): [`sweep_staging`] removes those past the grace period. On object storage,
//! unfinished multipart uploads are the bucket's business (an
//! `AbortIncompleteMultipartUpload` lifecycle rule).
//!
//! Several instances may sweep at once: deleting a file twice is not an error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppError;
use crate::server::entities::{dossier_file, message_file, received_document, session};
use crate::server::state::AppState;
use crate::server::storage::Storage;

/// The folders [`super::intake`] writes to, each followed by a dossier's id: every
/// place a stored file can be recorded (`dossier_file`, `message_file`,
/// `received_document`). A new kind of stored file adds its folder here, and its
/// table to `referenced` below.
pub const PREFIXES: [&str; 3] = ["dossiers", "messages", "documents"];

/// Keys checked against the database at once (an `IN` list on a unique column).
const BATCH: usize = 500;

/// What one sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Files listed under [`PREFIXES`].
    pub listed: u64,
    /// Files whose key is not one the portal writes: left alone.
    pub foreign: u64,
    /// Files younger than the grace period: left alone.
    pub young: u64,
    /// Old files kept by a live session for a form's next try.
    pub kept: u64,
    /// Old files recorded by a row.
    pub referenced: u64,
    /// Old files nothing records: removed.
    pub deleted: u64,
    /// Removals that failed (logged; tried again at the next sweep).
    pub failed: u64,
}

/// Removes the stored files older than `grace` that no row and no live session
/// refers to. Safe to run at any time, by several instances at once.
pub async fn sweep(
    db: &DatabaseConnection,
    storage: &Storage,
    grace: Duration,
) -> Result<SweepReport, AppError> {
    let old_before = cutoff(grace);
    let mut report = SweepReport::default();
    // Sessions first, rows after: see the module's documentation.
    let kept = kept_in_sessions(db).await?;
    for prefix in PREFIXES {
        let mut listing = storage.list(prefix);
        let mut batch: Vec<String> = Vec::with_capacity(BATCH);
        while let Some(item) = listing.next().await {
            let (key, modified) = item?;
            report.listed += 1;
            if !is_upload_key(&key) {
                report.foreign += 1;
            } else if modified > old_before {
                report.young += 1;
            } else if kept.contains(&key) {
                report.kept += 1;
            } else {
                batch.push(key);
                if batch.len() >= BATCH {
                    remove_unreferenced(db, storage, &mut batch, &mut report).await?;
                }
            }
        }
        remove_unreferenced(db, storage, &mut batch, &mut report).await?;
    }
    Ok(report)
}

/// Removes the staging files of uploads cut short (`{key}#{n}` on a local disk) that
/// are older than `grace`, under the [`PREFIXES`] folders of `root`. Returns how many.
pub async fn sweep_staging(root: &Path, grace: Duration) -> Result<u64, AppError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut removed: u64 = 0;
        for prefix in PREFIXES {
            let mut stale = Vec::new();
            staging_files(&root.join(prefix), cutoff, &mut stale);
            for path in stale {
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "unfinished upload removed");
                        removed += 1;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "unfinished upload not removed");
                    }
                }
            }
        }
        removed
    })
    .await
    .map_err(|e| AppError::internal("staging clean-up task failed", &e))
}

/// One pass of the cleaner as the server runs it (a minute after start, then hourly):
/// logs what it did, never fails.
pub async fn run(state: &AppState) {
    let grace = state.settings.upload_grace;
    match sweep(&state.db, &state.storage, grace).await {
        Ok(report) if report.deleted > 0 || report.failed > 0 => tracing::info!(
            listed = report.listed,
            young = report.young,
            kept = report.kept,
            referenced = report.referenced,
            foreign = report.foreign,
            deleted = report.deleted,
            failed = report.failed,
            "abandoned uploads removed"
        ),
        Ok(report) => tracing::debug!(
            listed = report.listed,
            young = report.young,
            kept = report.kept,
            referenced = report.referenced,
            foreign = report.foreign,
            "no abandoned upload"
        ),
        Err(_) => {
            // The cause was logged where the error was made.
            tracing::warn!("abandoned-upload clean-up stopped; it runs again in an hour");
        }
    }
    if state.settings.storage_url.is_none() {
        match sweep_staging(&state.settings.storage_path, grace).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "unfinished uploads removed"),
            Err(_) => tracing::warn!("unfinished-upload clean-up failed"),
        }
    }
}

/// The moment before which a file is old enough to be removed.
fn cutoff(grace: Duration) -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    time::Duration::try_from(grace)
        .ok()
        .and_then(|grace| now.checked_sub(grace))
        // A grace too long to compute: nothing is ever old enough.
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Whether `key` is one [`super::intake`] (or a duplicate) writes:
/// `{prefix}/{digits}/{uuid}`, with a prefix of [`PREFIXES`].
pub fn is_upload_key(key: &str) -> bool {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(prefix), Some(id), Some(name), None) => {
            PREFIXES.contains(&prefix)
                && !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && uuid::Uuid::parse_str(name).is_ok()
        }
        _ => false,
    }
}

/// The storage keys of the files that live sessions keep for a form's next try
/// (`kept:{form}:{dossier}` → `[{ "key": … }, …]`).
async fn kept_in_sessions(db: &DatabaseConnection) -> Result<HashSet<String>, AppError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let rows = session::Entity::find()
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::Data.contains("kept:"))
        .all(db)
        .await?;
    let mut keys = HashSet::new();
    for row in rows {
        let Ok(data) =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.data)
        else {
            continue;
        };
        for (name, value) in &data {
            if !name.starts_with("kept:") {
                continue;
            }
            for item in value.as_array().into_iter().flatten() {
                if let Some(key) = item.get("key").and_then(|k| k.as_str()) {
                    keys.insert(key.to_owned());
                }
            }
        }
    }
    Ok(keys)
}

/// The keys among `keys` that a row records.
async fn referenced(db: &DatabaseConnection, keys: &[String]) -> Result<HashSet<String>, AppError> {
    let mut found = HashSet::new();
    found.extend(
        dossier_file::Entity::find()
            .select_only()
            .column(dossier_file::Column::StorageKey)
            .filter(dossier_file::Column::StorageKey.is_in(keys.iter().cloned()))
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    found.extend(
        message_file::Entity::find()
            .select_only()
            .column(message_file::Column::StorageKey)
            .filter(message_file::Column::StorageKey.is_in(keys.iter().cloned()))
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    found.extend(
        received_document::Entity::find()
            .select_only()
            .column(received_document::Column::StorageKey)
            .filter(received_document::Column::StorageKey.is_in(keys.iter().cloned()))
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    Ok(found)
}

/// Checks a batch of old keys against the rows and removes those nothing records;
/// empties the batch.
async fn remove_unreferenced(
    db: &DatabaseConnection,
    storage: &Storage,
    batch: &mut Vec<String>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    if batch.is_empty() {
        return Ok(());
    }
    let recorded = referenced(db, batch.as_slice()).await?;
    for key in batch.drain(..) {
        if recorded.contains(&key) {
            report.referenced += 1;
            continue;
        }
        match storage.delete(&key).await {
            Ok(()) => {
                tracing::info!(key = %key, "abandoned upload removed");
                report.deleted += 1;
            }
            // The cause was logged where the error was made.
            Err(_) => report.failed += 1,
        }
    }
    Ok(())
}

/// The staging files (`name#digits`) under `dir` last written before `cutoff`.
fn staging_files(dir: &Path, cutoff: SystemTime, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            staging_files(&path, cutoff, out);
            continue;
        }
        if !kind.is_file() || !is_staging_name(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < cutoff);
        if old {
            out.push(path);
        }
    }
}

/// `{uuid}#{digits}`: where `object_store` writes a file on a local disk before
/// renaming it to `{uuid}` once complete.
fn is_staging_name(name: &str) -> bool {
    match name.rsplit_once('#') {
        Some((base, suffix)) => {
            !suffix.is_empty()
                && suffix.bytes().all(|b| b.is_ascii_digit())
                && uuid::Uuid::parse_str(base).is_ok()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_the_portal_writes_are_candidates() {
        let id = "0b6a3f0e-51c4-4a43-9e0c-6f1c1d2a9b7e";
        assert!(is_upload_key(&format!("dossiers/12/{id}")));
        assert!(is_upload_key(&format!("messages/7/{id}")));
        assert!(is_upload_key(&format!("documents/3/{id}")));
        for foreign in [
            format!("dossiers/{id}"),
            format!("dossiers/abc/{id}"),
            format!("dossiers//{id}"),
            format!("dossiers/12/{id}/x"),
            format!("exports/12/{id}"),
            "dossiers/12/piece.pdf".to_owned(),
            "guichet.db".to_owned(),
            String::new(),
        ] {
            assert!(!is_upload_key(&foreign), "{foreign}");
        }
    }

    #[test]
    fn staging_names_are_recognised() {
        let id = "0b6a3f0e-51c4-4a43-9e0c-6f1c1d2a9b7e";
        assert!(is_staging_name(&format!("{id}#1")));
        assert!(is_staging_name(&format!("{id}#12")));
        assert!(!is_staging_name(id));
        assert!(!is_staging_name(&format!("{id}#")));
        assert!(!is_staging_name(&format!("{id}#a")));
        assert!(!is_staging_name("notes#1"));
    }

    #[test]
    fn a_huge_grace_makes_nothing_old() {
        assert_eq!(
            cutoff(Duration::from_secs(u64::MAX)),
            time::OffsetDateTime::UNIX_EPOCH
        );
        let recent = cutoff(Duration::from_secs(60));
        assert!(recent < time::OffsetDateTime::now_utc());
        assert!(recent > time::OffsetDateTime::now_utc() - time::Duration::minutes(2));
    }
}
