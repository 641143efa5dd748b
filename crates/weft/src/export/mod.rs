//! A user's whole journal in a form that outlives Weft: one folder per entry
//! (`YYYY-MM-DD title`) with the original recording byte for byte, `transcript.vtt`,
//! `transcript.json` (every version) and `entry.md`; an `index.html` that plays every entry
//! offline; and `weft-export.json`, the manifest that `weft import weft-export` reads.
//!
//! The files are written one at a time to a [`sink::Sink`] (a folder, or a zip streamed to
//! a file or a download), recordings streamed from storage as they are read: memory stays
//! flat whatever the size of the journal. Writing is blocking work, run on a blocking
//! thread; it reaches the database and storage through the runtime's handle.

pub mod files;
pub mod import;
mod index;
pub mod names;
pub mod sink;
pub mod stream;

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use crate::db::export::{self, EntryRow};
use crate::db::scoped;
use crate::db::users::User;
use crate::storage::{ByteStream, Storage, StorageError};
use files::{Manifest, ManifestEntry, ManifestUser, TranscriptFile, Version};
use sink::{Kind, Sink};

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the journal: {0}")]
    Database(#[from] sqlx::Error),
    #[error("reading a recording: {0}")]
    Storage(#[from] StorageError),
    #[error("writing the export: {0}")]
    Io(#[from] io::Error),
    #[error("writing the export: {0}")]
    Json(#[from] serde_json::Error),
}

impl ExportError {
    /// The export stopped because its reader went away (a download abandoned).
    pub fn abandoned(&self) -> bool {
        matches!(self, ExportError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// How far an export has got, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// 1 for the first entry.
    pub number: usize,
    pub total: usize,
    pub folder: &'a str,
}

/// Exports written now, in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many exports this process is writing now (a download abandoned stops its export).
pub fn running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

struct Running;

impl Running {
    fn start() -> Self {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What an export reads.
#[derive(Debug, Clone)]
pub struct Exporter {
    pub pool: sqlx::PgPool,
    pub storage: Storage,
}

/// The entries to export and their folders, read before anything is written.
#[derive(Debug)]
pub struct Plan {
    user_id: uuid::Uuid,
    manifest: Manifest,
    /// Where each entry's recording is stored, and its wall-clock time, in the manifest's
    /// order (the rest of each row is in the manifest: nothing is held twice).
    rows: Vec<Stored>,
}

#[derive(Debug)]
struct Stored {
    id: uuid::Uuid,
    video_path: String,
    local_time: chrono::NaiveDateTime,
}

impl Plan {
    /// How many entries the export holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the journal has no entry.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The file name of an entry's recording: `video.EXT` or `audio.EXT`, the extension its
/// stored object has.
fn recording_name(row: &EntryRow) -> Option<String> {
    if row.media == "none" || row.video_path.is_empty() {
        return None;
    }
    let extension = std::path::Path::new(&row.video_path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("bin");
    let kind = if row.media == "audio" {
        "audio"
    } else {
        "video"
    };
    Some(format!("{kind}.{extension}"))
}

impl Exporter {
    /// Reads `user`'s entries and names their folders.
    pub async fn plan(&self, user: &User) -> Result<Plan, ExportError> {
        let mut tx = scoped::begin_for_user(&self.pool, user.id).await?;
        let time_zone = export::time_zone(&mut tx).await?;
        let rows = export::entries(&mut tx, time_zone.as_deref().unwrap_or("UTC")).await?;
        tx.commit().await?;
        let mut folders = names::Folders::default();
        let mut stored = Vec::with_capacity(rows.len());
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            entries.push(ManifestEntry {
                id: row.id,
                folder: folders.name(row.local_time.date(), &row.title),
                recording: recording_name(&row),
                local_time: files::local_time(&row),
                created_at: row.created_at,
                recording_bytes: None,
                recording_sha256: None,
                recording_missing: None,
                duration: row.duration,
                transcript_status: row.transcript_status.as_str().to_string(),
                transcript_versions: 0,
                title: row.title,
                media: row.media,
                location: row.location,
                notes: row.notes,
                tags: row.tags,
            });
            stored.push(Stored {
                id: row.id,
                video_path: row.video_path,
                local_time: row.local_time,
            });
        }
        let manifest = Manifest {
            format: files::FORMAT.to_string(),
            version: files::VERSION,
            weft_version: env!("CARGO_PKG_VERSION").to_string(),
            user: ManifestUser {
                username: user.username.clone(),
                time_zone,
            },
            exported_at: chrono::Utc::now(),
            entries,
        };
        Ok(Plan {
            user_id: user.id,
            manifest,
            rows: stored,
        })
    }

    /// Writes every file of `plan` to `sink`, the manifest last. Blocking: call it from a
    /// blocking thread of the runtime `handle` belongs to.
    pub fn write(
        &self,
        handle: &Handle,
        plan: Plan,
        sink: &mut dyn Sink,
        progress: &mut dyn FnMut(Step<'_>),
    ) -> Result<Manifest, ExportError> {
        let _running = Running::start();
        let Plan {
            user_id,
            mut manifest,
            rows,
        } = plan;
        let total = rows.len();
        let zone = manifest.user.time_zone.clone();
        for (n, (row, entry)) in rows.iter().zip(manifest.entries.iter_mut()).enumerate() {
            progress(Step {
                number: n + 1,
                total,
                folder: &entry.folder,
            });
            let modified = row.local_time;
            let versions: Vec<Version> = handle
                .block_on(async {
                    let mut tx = scoped::begin_for_user(&self.pool, user_id).await?;
                    let versions = export::versions(&mut tx, row.id).await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(versions)
                })?
                .into_iter()
                .map(Version::from)
                .collect();
            if let Some(file) = entry.recording.clone() {
                let path = format!("{}/{file}", entry.folder);
                match self.copy_recording(handle, &row.video_path, &path, modified, sink) {
                    Ok((bytes, sha256)) => {
                        entry.recording_bytes = Some(bytes);
                        entry.recording_sha256 = Some(sha256);
                    }
                    // One lost file (a disk restored from an older backup, an object
                    // removed by hand) must not cost the person the rest of their journal;
                    // nothing of it was written yet, and the manifest says what is missing.
                    Err(ExportError::Storage(StorageError::NotFound(key))) => {
                        tracing::warn!(journal_id = %row.id, key, "a recording is missing from storage; its entry is exported without it");
                        entry.recording = None;
                        entry.recording_missing = Some(file);
                    }
                    Err(error) => return Err(error),
                }
            }
            entry.transcript_versions = versions.len();
            let transcript = TranscriptFile::new(row.id, versions);
            if let Some(transcript) = &transcript {
                let vtt = crate::transcribe::captions::webvtt(&transcript.segments);
                let path = format!("{}/transcript.vtt", entry.folder);
                sink.file(&path, Kind::Text, modified, &mut vtt.as_bytes())?;
                let json = serde_json::to_vec_pretty(transcript)?;
                let path = format!("{}/transcript.json", entry.folder);
                sink.file(&path, Kind::Text, modified, &mut json.as_slice())?;
            }
            let text = transcript.as_ref().map(|t| t.text.as_str());
            let markdown = files::entry_markdown(entry, zone.as_deref(), text);
            let path = format!("{}/entry.md", entry.folder);
            sink.file(&path, Kind::Text, modified, &mut markdown.as_bytes())?;
        }
        let now = chrono::Utc::now().naive_utc();
        let mut page = index::IndexReader::new(handle.clone(), &self.pool, user_id, &manifest);
        sink.file(files::INDEX, Kind::Text, now, &mut page)?;
        let json = serde_json::to_vec_pretty(&manifest)?;
        sink.file(files::MANIFEST, Kind::Text, now, &mut json.as_slice())?;
        Ok(manifest)
    }

    /// Streams a stored recording into the sink; its size and SHA-256.
    fn copy_recording(
        &self,
        handle: &Handle,
        key: &str,
        path: &str,
        modified: chrono::NaiveDateTime,
        sink: &mut dyn Sink,
    ) -> Result<(u64, String), ExportError> {
        let size = handle.block_on(self.storage.head(key))?.size;
        let stream = handle.block_on(self.storage.get(key, None))?;
        let mut reader = ObjectReader {
            handle: handle.clone(),
            stream,
            chunk: bytes::Bytes::new(),
            left: size,
            hasher: Sha256::new(),
        };
        let written = sink.file(path, Kind::Recording(size), modified, &mut reader)?;
        if written != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{key} changed while it was exported"),
            )
            .into());
        }
        Ok((size, hex::encode(reader.hasher.finalize())))
    }
}

/// A stored object read from a blocking thread, hashed as it goes; it gives exactly the
/// size its head said, or an error.
struct ObjectReader {
    handle: Handle,
    stream: ByteStream,
    chunk: bytes::Bytes,
    left: u64,
    hasher: Sha256,
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Err(io::Error::other(error)),
                None if self.left == 0 => return Ok(0),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a recording shrank while it was exported",
                    ))
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        if n as u64 > self.left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a recording grew while it was exported",
            ));
        }
        let part = self.chunk.split_to(n);
        buf[..n].copy_from_slice(&part);
        self.hasher.update(&part);
        self.left -= n as u64;
        Ok(n)
    }
}
