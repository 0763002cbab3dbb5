//! File storage behind one interface: the local file system by default, S3-compatible
//! object storage (`GUICHET_STORAGE_URL=s3://bucket/prefix`) when several instances
//! serve the portal. Both go through `object_store`, so uploads stream in parts,
//! downloads stream out, and deletion behaves the same.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

use crate::error::AppError;
use crate::server::settings::Settings;

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
            .map_err(|e| unavailable("storage write failed", &e))?;
        self.inner.write(bytes);
        Ok(())
    }

    pub async fn finish(self) -> Result<(), AppError> {
        self.inner
            .finish()
            .await
            .map_err(|e| unavailable("storage write failed", &e))?;
        Ok(())
    }

    pub async fn abort(self) {
        if let Err(e) = self.inner.abort().await {
            tracing::warn!(error = %e, "aborting an upload failed");
        }
    }
}

/// A failure of the storage itself (disk full, object storage unreachable after the
/// client's retries): logged with its cause chain; the person is told the service is
/// momentarily unavailable (503), never a bare 500.
fn unavailable(context: &str, error: &(dyn std::error::Error + 'static)) -> AppError {
    tracing::error!(error.chain = %crate::error::cause_chain(error), "{context}");
    AppError::Unavailable
}

#[derive(Debug, thiserror::Error)]
#[error("cannot use the storage folder {path}")]
pub struct StorageInitError {
    path: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl Storage {
    /// The storage the settings name: object storage when `GUICHET_STORAGE_URL` is set,
    /// otherwise the local folder `storage_path`.
    pub fn from_settings(settings: &Settings) -> Result<Self, StorageInitError> {
        match &settings.storage_url {
            Some(url) => Self::s3(url, &settings.storage_options.0),
            None => Self::local(&settings.storage_path),
        }
    }

    /// Objects in an S3-compatible bucket, under the URL's prefix: `s3://bucket/prefix`.
    /// `options` are `AWS_*` variables in lower case (credentials, region, endpoint).
    pub fn s3(url: &str, options: &[(String, String)]) -> Result<Self, StorageInitError> {
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| StorageInitError {
            path: url.to_owned(),
            source,
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| fail("expected s3://bucket/prefix".into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
        for (key, value) in options {
            let key: AmazonS3ConfigKey = key.parse().map_err(|e| fail(Box::new(e)))?;
            builder = builder.with_config(key, value);
        }
        let store = builder.build().map_err(|e| fail(Box::new(e)))?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(PrefixStore::new(store, prefix))
        };
        Ok(Self {
            store,
            // S3 refuses multipart parts under 5 MiB (except the last one).
            part_size: 5 * 1024 * 1024,
        })
    }

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
            .map_err(|e| unavailable("storage write failed", &e))?;
        Ok(())
    }

    /// The whole file, or `NotFound`.
    pub async fn get(&self, key: &str) -> Result<Bytes, AppError> {
        match self.store.get(&Self::key(key)?).await {
            Ok(result) => result
                .bytes()
                .await
                .map_err(|e| unavailable("storage read failed", &e)),
            Err(object_store::Error::NotFound { .. }) => {
                Err(AppError::NotFound("Ce fichier n’existe plus.".into()))
            }
            Err(e) => Err(unavailable("storage read failed", &e)),
        }
    }

    /// Starts writing `key` part by part.
    pub async fn writer(&self, key: &str) -> Result<Upload, AppError> {
        let upload = self
            .store
            .put_multipart(&Self::key(key)?)
            .await
            .map_err(|e| unavailable("storage write failed", &e))?;
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
            Err(e) => Err(unavailable("storage read failed", &e)),
        }
    }

    pub async fn copy(&self, from: &str, to: &str) -> Result<(), AppError> {
        self.store
            .copy(&Self::key(from)?, &Self::key(to)?)
            .await
            .map_err(|e| unavailable("storage copy failed", &e))
    }

    /// Deleting a file that does not exist is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), AppError> {
        match self.store.delete(&Self::key(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable("storage delete failed", &e)),
        }
    }

    /// Every stored file under `prefix` (a folder such as `dossiers`), with its key and
    /// when it was last written, in no particular order. Streamed: a large store is
    /// never held in memory. Files being written (a local disk's staging files, an
    /// unfinished multipart upload) are not listed.
    pub fn list(
        &self,
        prefix: &str,
    ) -> futures::stream::BoxStream<'static, Result<(String, time::OffsetDateTime), AppError>> {
        let prefix = match Self::key(prefix) {
            Ok(prefix) => prefix,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        self.store
            .list(Some(&prefix))
            .map(|item| -> Result<(String, time::OffsetDateTime), AppError> {
                let meta = item.map_err(|e| unavailable("storage listing failed", &e))?;
                let nanos = i128::from(meta.last_modified.timestamp_millis()) * 1_000_000;
                let modified = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
                    .map_err(|e| AppError::internal("storage date out of range", &e))?;
                Ok((meta.location.to_string(), modified))
            })
            .boxed()
    }

    /// Copies `from` to `to` as a new file, streamed part by part. Unlike
    /// [`Storage::copy`] (a hard link on a local disk, which keeps the original's
    /// modification time), the copy is dated now, so the abandoned-upload cleaner counts
    /// its grace period from the copy, not from the original upload.
    pub async fn copy_new(&self, from: &str, to: &str) -> Result<(), AppError> {
        let mut chunks = Box::pin(self.stream(from).await?);
        let mut upload = self.writer(to).await?;
        while let Some(chunk) = chunks.next().await {
            let written = match chunk {
                Ok(bytes) => upload.write(&bytes).await,
                Err(e) => Err(unavailable("storage read failed", &e)),
            };
            if let Err(e) = written {
                upload.abort().await;
                return Err(e);
            }
        }
        upload.finish().await
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
