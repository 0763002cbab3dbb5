//! File storage behind one interface: the local file system by default, any
//! `object_store` backend (S3-compatible for several instances) later.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot use the storage folder {path}")]
pub struct StorageInitError {
    path: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl Storage {
    /// Files under a local folder, created if needed.
    pub fn local(root: &Path) -> Result<Self, StorageInitError> {
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| StorageInitError {
            path: root.display().to_string(),
            source,
        };
        std::fs::create_dir_all(root).map_err(|e| fail(Box::new(e)))?;
        let store = LocalFileSystem::new_with_prefix(root).map_err(|e| fail(Box::new(e)))?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    fn key(key: &str) -> Result<ObjectPath, AppError> {
        ObjectPath::parse(key).map_err(|e| AppError::internal("invalid storage key", &e))
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), AppError> {
        self.store
            .put(&Self::key(key)?, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| AppError::internal("storage write failed", &e))?;
        Ok(())
    }

    /// The whole file, or `NotFound`.
    pub async fn get(&self, key: &str) -> Result<Bytes, AppError> {
        match self.store.get(&Self::key(key)?).await {
            Ok(result) => result
                .bytes()
                .await
                .map_err(|e| AppError::internal("storage read failed", &e)),
            Err(object_store::Error::NotFound { .. }) => {
                Err(AppError::NotFound("Ce fichier n’existe plus.".into()))
            }
            Err(e) => Err(AppError::internal("storage read failed", &e)),
        }
    }

    /// Deleting a file that does not exist is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), AppError> {
        match self.store.delete(&Self::key(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(AppError::internal("storage delete failed", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_storage_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::local(&dir.path().join("files")).expect("storage");
        storage
            .put("dossiers/1/piece.pdf", Bytes::from_static(b"%PDF-1.7"))
            .await
            .expect("put");
        assert!(dir.path().join("files/dossiers/1/piece.pdf").exists());
        assert_eq!(
            storage.get("dossiers/1/piece.pdf").await.expect("get"),
            Bytes::from_static(b"%PDF-1.7")
        );
        storage
            .delete("dossiers/1/piece.pdf")
            .await
            .expect("delete");
        assert!(matches!(
            storage.get("dossiers/1/piece.pdf").await,
            Err(AppError::NotFound(_))
        ));
        storage
            .delete("dossiers/1/piece.pdf")
            .await
            .expect("delete twice");
    }
}
