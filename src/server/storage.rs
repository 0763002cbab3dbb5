//! File storage behind one interface: the local file system by default, any
//! `object_store` backend (S3-compatible for several instances) later.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The size of the parts a streamed upload is written in: small on a local disk
    /// (memory stays flat), 5 MiB (the S3 minimum) on object storage.
    part_size: usize,
}

/// A file being written part by part (see [`Storage::writer`]). Dropping it without
/// [`Upload::finish`] leaves nothing behind on a local disk; call [`Upload::abort`] to
/// clean up object storage at once.
pub struct Upload {
    inner: WriteMultipart,
}

impl Upload {
    /// Buffers `bytes`, sending a part whenever one is full; waits while a part is in
    /// flight, so that memory stays within about two parts.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), AppError> {
        self.inner
            .wait_for_capacity(1)
            .await
            .map_err(|e| AppError::internal("storage write failed", &e))?;
        self.inner.write(bytes);
        Ok(())
    }

    pub async fn finish(self) -> Result<(), AppError> {
        self.inner
            .finish()
            .await
            .map_err(|e| AppError::internal("storage write failed", &e))?;
        Ok(())
    }

    pub async fn abort(self) {
        if let Err(e) = self.inner.abort().await {
            tracing::warn!(error = %e, "aborting an upload failed");
        }
    }
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
            part_size: 256 * 1024,
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

    /// Starts writing `key` part by part.
    pub async fn writer(&self, key: &str) -> Result<Upload, AppError> {
        let upload = self
            .store
            .put_multipart(&Self::key(key)?)
            .await
            .map_err(|e| AppError::internal("storage write failed", &e))?;
        Ok(Upload {
            inner: WriteMultipart::new_with_chunk_size(upload, self.part_size),
        })
    }

    /// The file as a stream of chunks (a download never holds the whole file).
    pub async fn stream(
        &self,
        key: &str,
    ) -> Result<
        impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static + use<>,
        AppError,
    > {
        match self.store.get(&Self::key(key)?).await {
            Ok(result) => Ok(result
                .into_stream()
                .map(|chunk| chunk.map_err(std::io::Error::other))),
            Err(object_store::Error::NotFound { .. }) => {
                Err(AppError::NotFound("Ce fichier n’existe plus.".into()))
            }
            Err(e) => Err(AppError::internal("storage read failed", &e)),
        }
    }

    pub async fn copy(&self, from: &str, to: &str) -> Result<(), AppError> {
        self.store
            .copy(&Self::key(from)?, &Self::key(to)?)
            .await
            .map_err(|e| AppError::internal("storage copy failed", &e))
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
