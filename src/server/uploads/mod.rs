//! Attachments sent with a dossier (server only).
//!
//! [`sniff`] decides, from the bytes alone and while the upload streams in, whether a
//! file is one of the accepted kinds (PDF, JPEG, PNG, WebP) and explains any refusal in
//! French. Storage and the HTTP handlers build on it. [`cleaner`] removes the files
//! that were stored but never recorded (a crash between the two, a form abandoned).

pub mod cleaner;
pub mod sniff;

use axum::extract::multipart::Field as Part;
use sha2::{Digest, Sha256};

use self::sniff::{FileKind, Scanner};
use crate::error::AppError;
use crate::server::state::AppState;

/// A file streamed into the storage and accepted by the scanner. Nothing records it
/// yet: the caller writes its row, or deletes it with `Storage::delete` when it is sure
/// no row was written (otherwise [`cleaner`] removes it once it is old).
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub kind: FileKind,
    pub size: u64,
    pub sha256: String,
}

/// The one way files enter the portal (attachments, messages, documents): streams one
/// multipart part into the storage under `{prefix}/{uuid}` while the scanner checks it.
/// `Ok(Err(message))` is a refusal in French (nothing of the file is kept); `Err` is a
/// failure of the connection or of the storage.
pub async fn intake(
    state: &AppState,
    prefix: &str,
    name: &str,
    part: &mut Part<'_>,
) -> Result<Result<Stored, String>, AppError> {
    let key = format!("{prefix}/{}", uuid::Uuid::new_v4());
    let mut upload = state.storage.writer(&key).await?;
    let mut scanner = Scanner::new(state.settings.max_file_bytes);
    let mut hash = Sha256::new();
    let mut size: u64 = 0;
    loop {
        let chunk = match part.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                upload.abort().await;
                tracing::info!(error = %e, "upload interrupted");
                return Err(AppError::Transport(e.to_string()));
            }
        };
        // A crafted PDF can cost the scanner a moment of CPU: keep the runtime's other
        // tasks running meanwhile.
        let multi_thread = tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread;
        let verdict = if multi_thread {
            tokio::task::block_in_place(|| scanner.feed(&chunk))
        } else {
            scanner.feed(&chunk)
        };
        if let Err(refusal) = verdict {
            upload.abort().await;
            return Ok(Err(refusal.message(name)));
        }
        hash.update(&chunk);
        size += chunk.len() as u64;
        upload.write(&chunk).await?;
    }
    let kind = match scanner.finish() {
        Ok(kind) => kind,
        Err(refusal) => {
            upload.abort().await;
            state.storage.delete(&key).await?;
            return Ok(Err(refusal.message(name)));
        }
    };
    upload.finish().await?;
    Ok(Ok(Stored {
        key,
        kind,
        size,
        sha256: format!("{:x}", hash.finalize()),
    }))
}

/// The uploaded name, kept as metadata only: its last path segment, without control
/// characters, at most 200 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "fichier".into()
    } else {
        cleaned.trim().to_owned()
    }
}
