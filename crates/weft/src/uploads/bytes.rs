//! Where the bytes of an unfinished upload lie. With local storage: one file per upload,
//! `MEDIA/uploads/USER/ID`, on the media's filesystem (the finished file is linked, then
//! renamed into place, never copied), written at the recorded offset and synced before the
//! offset moves. With S3: each flushed piece is an object `uploads/USER/ID/START` (START
//! the piece's first byte, zero-padded), and the finished upload is put together in a
//! scratch file for probing. Never in the per-process scratch folder: that goes when its
//! process dies, and an acknowledged byte must not.

use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::db::uploads::Upload;
use crate::scratch::{Spool, TempFile};
use crate::storage::{Storage, StorageError};

/// The folder (local storage) or key prefix (S3) of unfinished uploads.
pub const PREFIX: &str = "uploads";

/// Where the bytes go.
#[derive(Debug, Clone)]
pub enum Place {
    /// Files under this folder (the local media root's `uploads/`).
    Files(PathBuf),
    /// Part objects in the media store.
    Store(Storage),
}

impl Place {
    /// The place for `storage`: files next to local media, else part objects.
    pub fn for_storage(storage: &Storage) -> Place {
        match storage.local_root() {
            Some(root) => Place::Files(root.join(PREFIX)),
            None => Place::Store(storage.clone()),
        }
    }

    /// How the row names this place (`bytes_in`).
    pub fn name(&self) -> &'static str {
        match self {
            Place::Files(_) => "file",
            Place::Store(_) => "store",
        }
    }

    fn file(dir: &Path, upload: &Upload) -> PathBuf {
        dir.join(upload.user_id.to_string())
            .join(upload.id.to_string())
    }

    fn prefix(upload: &Upload) -> String {
        format!("{PREFIX}/{}/{}", upload.user_id, upload.id)
    }

    /// A writer that appends at the upload's recorded offset. Bytes past it (from a server
    /// that died before recording them) are dropped; `Ok(None)` when bytes before it are
    /// missing (the folder was emptied by hand): the upload cannot be finished.
    pub async fn writer(&self, upload: &Upload) -> Result<Option<Writer>, StorageError> {
        let offset = upload.offset as u64;
        match self {
            Place::Files(dir) => {
                let path = Self::file(dir, upload);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await?;
                }
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .await?;
                if file.metadata().await?.len() < offset {
                    return Ok(None);
                }
                file.set_len(offset).await?;
                file.seek(std::io::SeekFrom::Start(offset)).await?;
                Ok(Some(Writer::new(Sink::File(Spool::from_file(
                    file.into_std().await,
                    offset,
                )))))
            }
            Place::Store(storage) => {
                let present = self.present_until(storage, upload).await?;
                if present < offset {
                    return Ok(None);
                }
                Ok(Some(Writer::new(Sink::Store {
                    storage: storage.clone(),
                    prefix: Self::prefix(upload),
                    start: offset,
                    buffer: BytesMut::new(),
                })))
            }
        }
    }

    /// The pieces of an upload that follow each other from byte 0: (key, start, size).
    async fn pieces(
        storage: &Storage,
        upload: &Upload,
    ) -> Result<Vec<(String, u64, u64)>, StorageError> {
        let mut found: Vec<(String, u64, u64)> = storage
            .list_with_info(&Self::prefix(upload))
            .await?
            .into_iter()
            .filter_map(|(key, info)| {
                let start = key.rsplit('/').next()?.parse::<u64>().ok()?;
                Some((key, start, info.size))
            })
            .collect();
        found.sort_by_key(|(_, start, _)| *start);
        let mut chain = Vec::new();
        let mut next = 0;
        for (key, start, size) in found {
            if start == next && size > 0 {
                next += size;
                chain.push((key, start, size));
            }
        }
        Ok(chain)
    }

    async fn present_until(&self, storage: &Storage, upload: &Upload) -> Result<u64, StorageError> {
        Ok(Self::pieces(storage, upload)
            .await?
            .iter()
            .map(|(_, start, size)| start + size)
            .take_while(|end| *end <= upload.offset as u64)
            .max()
            .unwrap_or(0))
    }

    /// The first `length` bytes of the upload as a scratch file in `scratch`, for ingest.
    pub async fn assemble(
        &self,
        upload: &Upload,
        length: u64,
        scratch: &Path,
    ) -> Result<TempFile, StorageError> {
        let temp = TempFile::new_in(scratch, "upload")?;
        match self {
            Place::Files(dir) => {
                let source = Self::file(dir, upload);
                // The same file under a second name: ingest renames that one into the media,
                // and the upload's own name stays until the journal is recorded.
                if std::fs::hard_link(&source, temp.path()).is_err() {
                    tokio::fs::copy(&source, temp.path()).await?;
                }
                let file = tokio::fs::OpenOptions::new()
                    .write(true)
                    .open(temp.path())
                    .await?;
                if file.metadata().await?.len() != length {
                    file.set_len(length).await?;
                }
            }
            Place::Store(storage) => {
                let mut out = BufWriter::new(tokio::fs::File::create(temp.path()).await?);
                let mut written = 0;
                for (key, _, _) in Self::pieces(storage, upload).await? {
                    if written >= length {
                        break;
                    }
                    let mut stream = storage.get(&key, None).await?;
                    while let Some(chunk) = stream.next().await {
                        let chunk = chunk?;
                        let take = chunk.len().min((length - written) as usize);
                        out.write_all(&chunk[..take]).await?;
                        written += take as u64;
                    }
                }
                out.flush().await?;
                if written != length {
                    return Err(StorageError::NotFound(format!(
                        "{} (pieces missing)",
                        Self::prefix(upload)
                    )));
                }
            }
        }
        Ok(temp)
    }

    /// Removes the upload's bytes; missing ones are no error.
    pub async fn remove(&self, upload: &Upload) -> Result<(), StorageError> {
        self.remove_id(upload.user_id, upload.id).await
    }

    async fn remove_id(&self, user_id: Uuid, id: Uuid) -> Result<(), StorageError> {
        match self {
            Place::Files(dir) => {
                let path = dir.join(user_id.to_string()).join(id.to_string());
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            Place::Store(storage) => {
                for key in storage.list(&format!("{PREFIX}/{user_id}/{id}")).await? {
                    storage.delete(&key).await?;
                }
                Ok(())
            }
        }
    }

    /// The users and upload ids that have bytes here.
    pub async fn present(&self) -> Result<Vec<(Uuid, Uuid)>, StorageError> {
        let mut found = Vec::new();
        match self {
            Place::Files(dir) => {
                let Ok(users) = std::fs::read_dir(dir) else {
                    return Ok(found);
                };
                for user in users.flatten() {
                    let Some(user_id) = uuid_of(&user.file_name().to_string_lossy()) else {
                        continue;
                    };
                    for upload in std::fs::read_dir(user.path())?.flatten() {
                        if let Some(id) = uuid_of(&upload.file_name().to_string_lossy()) {
                            found.push((user_id, id));
                        }
                    }
                }
            }
            Place::Store(storage) => {
                for (key, _) in storage.list_with_info(PREFIX).await? {
                    let mut parts = key.split('/').skip(1);
                    if let (Some(user), Some(id)) = (parts.next(), parts.next()) {
                        if let (Some(user), Some(id)) = (uuid_of(user), uuid_of(id)) {
                            if !found.contains(&(user, id)) {
                                found.push((user, id));
                            }
                        }
                    }
                }
            }
        }
        Ok(found)
    }

    /// Removes bytes whose upload has no row (the row went first, then the server stopped).
    pub async fn remove_orphan(&self, user_id: Uuid, id: Uuid) -> Result<(), StorageError> {
        self.remove_id(user_id, id).await
    }
}

fn uuid_of(name: &str) -> Option<Uuid> {
    Uuid::try_parse(name).ok()
}

/// Appends one PATCH's bytes. Durable points are pipelined: one is started while the
/// bytes after it keep arriving, and counted (its position handed back) when the next one
/// starts or the PATCH ends. Receiving waits for the disk or the store only when they fall
/// a whole interval behind, not at every point (at one blocking sync per 64 MiB a 2 GiB
/// resumable upload ran at 0.81x a multipart one).
#[derive(Debug)]
pub struct Writer {
    sink: Sink,
    /// The durable point being made: the position it covers and the task making it.
    pending: Option<(u64, JoinHandle<Result<(), StorageError>>)>,
}

#[derive(Debug)]
enum Sink {
    /// Written in blocks while the next bytes arrive, with write-back started as it goes,
    /// so that each sync finds little left to write.
    File(Spool),
    Store {
        storage: Storage,
        prefix: String,
        /// The first byte of the piece being gathered.
        start: u64,
        buffer: BytesMut,
    },
}

impl Writer {
    fn new(sink: Sink) -> Writer {
        Writer {
            sink,
            pending: None,
        }
    }

    /// How many bytes a PATCH gathers between durable points: a connection lost mid-PATCH
    /// keeps all but the last two intervals. A piece for S3 is held in memory, so it stays
    /// small.
    pub fn flush_every(&self) -> u64 {
        match self.sink {
            Sink::File(_) => 64 * 1024 * 1024,
            Sink::Store { .. } => 8 * 1024 * 1024,
        }
    }

    /// Takes `chunk` (on disk in the OS's cache, or in memory for S3) until the next flush.
    pub async fn write(&mut self, chunk: &Bytes) -> Result<(), StorageError> {
        match &mut self.sink {
            Sink::File(spool) => spool.write(chunk).await?,
            Sink::Store { buffer, .. } => buffer.extend_from_slice(chunk),
        }
        Ok(())
    }

    /// Starts making everything written so far, which ends at `position`, durable, without
    /// waiting for it. Answers the position the previous durable point reached, once it is
    /// durable (waiting for it if it is not yet): that one may be counted.
    pub async fn start_flush(&mut self, position: u64) -> Result<Option<u64>, StorageError> {
        let durable = self.settle().await?;
        let task = match &mut self.sink {
            Sink::File(spool) => {
                let syncing = spool.start_sync().await?;
                tokio::spawn(async move {
                    syncing.await.map_err(std::io::Error::other)??;
                    Ok(())
                })
            }
            Sink::Store {
                storage,
                prefix,
                start,
                buffer,
            } => {
                let piece = buffer.split().freeze();
                let key = format!("{prefix}/{start:020}");
                *start += piece.len() as u64;
                let storage = storage.clone();
                tokio::spawn(async move { storage.put_bytes(&key, piece).await })
            }
        };
        self.pending = Some((position, task));
        Ok(durable)
    }

    /// Makes everything written so far durable: synced to disk, or stored as a piece.
    pub async fn flush(&mut self) -> Result<(), StorageError> {
        self.settle().await?;
        match &mut self.sink {
            Sink::File(spool) => spool.sync().await?,
            Sink::Store {
                storage,
                prefix,
                start,
                buffer,
            } => {
                if buffer.is_empty() {
                    return Ok(());
                }
                let piece = buffer.split().freeze();
                let key = format!("{prefix}/{start:020}");
                storage.put_bytes(&key, piece.clone()).await?;
                *start += piece.len() as u64;
            }
        }
        Ok(())
    }

    /// Waits for the durable point in flight; its position once it is durable.
    async fn settle(&mut self) -> Result<Option<u64>, StorageError> {
        let Some((position, task)) = self.pending.take() else {
            return Ok(None);
        };
        task.await.map_err(std::io::Error::other)??;
        Ok(Some(position))
    }
}
