//! Where videos and thumbnails live: the local filesystem under the data directory, or any
//! S3-compatible store. Keys are chosen by the server (`videos/USER/JOURNAL.mp4`), never by a
//! client.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};
use tokio::io::AsyncReadExt;

/// Upload parts of this size to S3 (the protocol's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such object: {0}")]
    NotFound(String),
    #[error("storage configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Backend(#[from] object_store::Error),
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

fn backend(error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { path, .. } => StorageError::NotFound(path),
        other => StorageError::Backend(other),
    }
}

/// Facts about a stored object.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub size: u64,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// A stream of bytes from the store.
pub type ByteStream = BoxStream<'static, Result<Bytes, StorageError>>;

/// The media store.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// For the local backend: its root, so that a finished upload can be renamed into place
    /// instead of copied.
    local_root: Option<PathBuf>,
    description: String,
}

impl Storage {
    /// Local files under `root` (created if missing).
    pub fn local(root: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(root)?;
        let store = LocalFileSystem::new_with_prefix(root).map_err(backend)?;
        Ok(Self {
            store: Arc::new(store),
            local_root: Some(root.to_path_buf()),
            description: format!("local files in {}", root.display()),
        })
    }

    /// An S3-compatible bucket from `s3://bucket/prefix`, configured by the usual AWS
    /// variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP, ...). An explicit endpoint means path-style requests (MinIO, Garage
    /// and most self-hosted stores need them) unless AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true.
    pub fn s3(url: &str) -> Result<Self, StorageError> {
        let parsed =
            url::Url::parse(url).map_err(|e| StorageError::Config(format!("{url}: {e}")))?;
        if parsed.scheme() != "s3" {
            return Err(StorageError::Config(format!("{url} is not an s3:// URL")));
        }
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| StorageError::Config(format!("{url} names no bucket")))?
            .to_string();
        let prefix = parsed.path().trim_matches('/').to_string();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket);
        let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .ok();
        if let Some(endpoint) = &endpoint {
            let virtual_hosted =
                std::env::var("AWS_VIRTUAL_HOSTED_STYLE_REQUEST").is_ok_and(|v| v == "true");
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(virtual_hosted);
        }
        if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
            builder = builder.with_region("us-east-1");
        }
        let s3 = builder
            .build()
            .map_err(|e| StorageError::Config(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix.as_str()))
        };
        Ok(Self {
            store,
            local_root: None,
            description: format!(
                "s3://{bucket}/{prefix}{}",
                endpoint.map(|e| format!(" at {e}")).unwrap_or_default()
            ),
        })
    }

    /// `WEFT_STORAGE` when set (an `s3://` URL or a folder), else `DATA_DIR/media`.
    pub fn from_setting(setting: Option<&str>, data_dir: &Path) -> Result<Self, StorageError> {
        match setting.map(str::trim).filter(|s| !s.is_empty()) {
            Some(url) if url.starts_with("s3://") => Self::s3(url),
            Some(url) if url.starts_with("file://") => {
                Self::local(Path::new(&url["file://".len()..]))
            }
            Some(folder) if !folder.contains("://") => Self::local(Path::new(folder)),
            Some(other) => Err(StorageError::Config(format!(
                "WEFT_STORAGE={other} is neither an s3:// URL nor a folder"
            ))),
            None => Self::local(&data_dir.join("media")),
        }
    }

    /// A description safe to log.
    pub fn describe(&self) -> &str {
        &self.description
    }

    fn path(key: &str) -> Result<ObjectPath, StorageError> {
        ObjectPath::parse(key).map_err(|e| StorageError::Config(format!("bad key {key}: {e}")))
    }

    /// Stores a local file under `key`, consuming it: on the local backend it is renamed
    /// into place (same filesystem) or copied; on S3 it is sent in parts.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<(), StorageError> {
        let path = Self::path(key)?;
        if let Some(root) = &self.local_root {
            let target = root.join(key);
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            if tokio::fs::rename(file, &target).await.is_ok() {
                return Ok(());
            }
        }
        let upload = self.store.put_multipart(&path).await.map_err(backend)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut source = tokio::fs::File::open(file).await?;
        let mut buffer = vec![0u8; 1024 * 1024];
        loop {
            let read = match source.read(&mut buffer).await {
                Ok(read) => read,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(error.into());
                }
            };
            if read == 0 {
                break;
            }
            // Keeps at most two parts in flight: memory stays flat whatever the file size.
            if let Err(error) = writer.wait_for_capacity(2).await {
                return Err(backend(error));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(backend)?;
        let _ = tokio::fs::remove_file(file).await;
        Ok(())
    }

    /// The folder of the local backend (None for S3).
    pub fn local_root(&self) -> Option<&Path> {
        self.local_root.as_deref()
    }

    /// Stores `bytes` under `key` in one request (for pieces of a few MiB).
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store
            .put(&Self::path(key)?, bytes.into())
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Size and time of an object.
    pub async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let meta = self.store.head(&Self::path(key)?).await.map_err(backend)?;
        Ok(ObjectInfo {
            size: meta.size,
            last_modified: meta.last_modified,
        })
    }

    /// The bytes of `range` (or all) of an object, as a stream.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&Self::path(key)?, options)
            .await
            .map_err(backend)?;
        Ok(result.into_stream().map_err(backend).boxed())
    }

    /// The whole of a (small) object.
    pub async fn get_bytes(&self, key: &str) -> Result<Bytes, StorageError> {
        let result = self.store.get(&Self::path(key)?).await.map_err(backend)?;
        result.bytes().await.map_err(backend)
    }

    /// Deletes an object; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(backend(error)),
        }
    }

    /// Every key under a prefix (`""`: the whole store), with its size and time.
    pub async fn list_with_info(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, ObjectInfo)>, StorageError> {
        let prefix = (!prefix.is_empty())
            .then(|| Self::path(prefix))
            .transpose()?;
        self.store
            .list(prefix.as_ref())
            .map_ok(|meta| {
                let info = ObjectInfo {
                    size: meta.size,
                    last_modified: meta.last_modified,
                };
                (meta.location.to_string(), info)
            })
            .try_collect()
            .await
            .map_err(backend)
    }

    /// Every key under a prefix.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let prefix = Self::path(prefix)?;
        let keys: Vec<_> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(backend)?;
        Ok(keys)
    }
}
