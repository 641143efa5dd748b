//! Turning a received video or sound file into a journal: probe it, make a video's
//! thumbnail, store them, then write the row, its tags, its import record and its
//! transcription job in one transaction. Shared by the upload endpoint and the importers.
//! An entry of notes only goes the same way without a file. On any failure nothing is left
//! behind: no row, no stored object.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::journals::{self, JournalView, NewJournal};
use crate::db::{scoped, tags};
use crate::domain::Media;
use crate::media::probe::{self, ProbeError, VideoInfo};
use crate::media::{thumbnail, ToolError};
use crate::scratch::TempFile;
use crate::storage::{Storage, StorageError};

/// How long ffprobe and ffmpeg may take on one file.
const TOOL_LIMIT: Duration = Duration::from_secs(120);

/// The storage key of a journal's video.
pub fn video_key(user_id: Uuid, journal_id: Uuid, extension: &str) -> String {
    format!("videos/{user_id}/{journal_id}.{extension}")
}

/// The storage key of an audio journal's sound recording.
pub fn audio_key(user_id: Uuid, journal_id: Uuid, extension: &str) -> String {
    format!("audio/{user_id}/{journal_id}.{extension}")
}

/// The storage prefixes under which a user's media lie (`PREFIX/USER/JOURNAL.EXT`).
pub const MEDIA_PREFIXES: [&str; 3] = ["videos", "audio", "thumbnails"];

/// The storage key of a journal's thumbnail.
pub fn thumbnail_key(user_id: Uuid, journal_id: Uuid) -> String {
    format!("thumbnails/{user_id}/{journal_id}.jpg")
}

/// The text fields of a new journal, already validated, and how to take it in.
#[derive(Debug, Clone)]
pub struct Details {
    pub title: String,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// When the journal was recorded, if known (imports); else now.
    pub created_at: Option<DateTime<Utc>>,
    /// Use the video's own recording time, when it has one, before `created_at`.
    pub prefer_recorded_at: bool,
    /// Where an imported entry came from (`dayone:<uuid>`, `weft:<id>`): recorded in
    /// `journal_imports`, so that the same entry is never imported twice.
    pub import_key: Option<String>,
    /// Queue a transcription (when the server transcribes). Importers that bring their own
    /// transcripts turn it off.
    pub transcribe: bool,
}

impl Default for Details {
    fn default() -> Self {
        Details {
            title: String::new(),
            location: None,
            notes: None,
            tags: Vec::new(),
            created_at: None,
            prefer_recorded_at: false,
            import_key: None,
            transcribe: true,
        }
    }
}

/// Why a file did not become a journal.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    NotAVideo(ProbeError),
    /// The user already has an entry imported from this source key; nothing was stored.
    #[error("this entry was imported before ({0})")]
    AlreadyImported(String),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl IngestError {
    /// A database error, or [`IngestError::AlreadyImported`] when it is the import key's
    /// unique violation.
    fn from_database(error: sqlx::Error, import_key: Option<&str>) -> Self {
        let duplicate = error.as_database_error().is_some_and(|e| {
            e.is_unique_violation() && e.constraint() == Some(journals::IMPORT_SOURCE_INDEX)
        });
        match import_key {
            Some(key) if duplicate => IngestError::AlreadyImported(key.to_string()),
            _ => IngestError::Database(error),
        }
    }
}

impl From<ProbeError> for IngestError {
    fn from(error: ProbeError) -> Self {
        match error {
            ProbeError::Tool(tool) => IngestError::Tool(tool),
            not_a_video => IngestError::NotAVideo(not_a_video),
        }
    }
}

/// The file of a new journal, as its row records it.
struct Recording<'a> {
    media: Media,
    /// Its storage key; empty for an entry without a recording.
    key: &'a str,
    /// Whole seconds.
    duration: i32,
}

/// What ingesting needs.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub pool: sqlx::PgPool,
    pub storage: Storage,
    /// Scratch space for uploads and thumbnails (on the same filesystem as local media, so
    /// a finished upload is renamed rather than copied).
    pub scratch: PathBuf,
    /// Queue a transcription with this many attempts (None: transcription is off).
    pub transcription: Option<i32>,
}

impl Ingest {
    /// Makes a journal of `video` for `user_id`: a video entry, or an audio entry when the
    /// file has sound only. The file is consumed.
    pub async fn journal(
        &self,
        user_id: Uuid,
        video: TempFile,
        details: Details,
    ) -> Result<JournalView, IngestError> {
        let (video, info) = self.readable(video).await?;
        let journal_id = Uuid::new_v4();
        let extension = info.container.extension();
        let mut stored = Vec::new();
        let key = match info.media {
            Media::Audio => audio_key(user_id, journal_id, extension),
            _ => {
                // A sound recording has no picture to show; the pages draw its card.
                let thumb_key = thumbnail_key(user_id, journal_id);
                let thumb = TempFile::new_in(&self.scratch, "jpg").map_err(StorageError::from)?;
                thumbnail::make(video.path(), info.duration, thumb.path(), TOOL_LIMIT).await?;
                self.storage.put_file(&thumb_key, thumb.path()).await?;
                stored.push(thumb_key);
                video_key(user_id, journal_id, extension)
            }
        };
        stored.push(key.clone());
        if let Err(error) = self.storage.put_file(&key, video.path()).await {
            self.forget(&stored).await;
            return Err(error.into());
        }
        let mut details = details;
        if details.prefer_recorded_at {
            details.created_at = info.recorded_at.or(details.created_at);
        }
        let recording = Recording {
            media: info.media,
            key: &key,
            duration: info.whole_seconds(),
        };
        match self
            .write_row(user_id, journal_id, &recording, &details)
            .await
        {
            Ok(view) => Ok(view),
            Err(error) => {
                self.forget(&stored).await;
                Err(IngestError::from_database(
                    error,
                    details.import_key.as_deref(),
                ))
            }
        }
    }

    /// Makes an entry without a recording (notes only) for `user_id`: its row, tags and
    /// import record in one transaction, and no transcription job (there is nothing to hear).
    pub async fn note(&self, user_id: Uuid, details: Details) -> Result<JournalView, IngestError> {
        let recording = Recording {
            media: Media::None,
            key: "",
            duration: 0,
        };
        self.write_row(user_id, Uuid::new_v4(), &recording, &details)
            .await
            .map_err(|error| IngestError::from_database(error, details.import_key.as_deref()))
    }

    /// Probes `video`. One without a duration (a browser's WebM recording) is remuxed into a
    /// file that has one, and a seek index, and kept in that form: players can then show its
    /// length and seek in it. The streams themselves are copied as they are.
    async fn readable(&self, video: TempFile) -> Result<(TempFile, VideoInfo), IngestError> {
        match probe::probe(video.path(), TOOL_LIMIT).await {
            Ok(info) => {
                probe::check_complete(video.path(), TOOL_LIMIT).await?;
                Ok((video, info))
            }
            Err(ProbeError::NoDuration(container)) => {
                let remuxed = TempFile::new_in(&self.scratch, container.extension())
                    .map_err(StorageError::from)?;
                crate::media::remux(video.path(), remuxed.path(), container.muxer(), TOOL_LIMIT)
                    .await
                    .map_err(|_| IngestError::NotAVideo(ProbeError::NoDuration(container)))?;
                drop(video);
                let info = probe::probe(remuxed.path(), TOOL_LIMIT).await?;
                Ok((remuxed, info))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn write_row(
        &self,
        user_id: Uuid,
        journal_id: Uuid,
        recording: &Recording<'_>,
        details: &Details,
    ) -> Result<JournalView, sqlx::Error> {
        let mut tx = scoped::begin_for_user(&self.pool, user_id).await?;
        let new = NewJournal {
            title: &details.title,
            media: recording.media,
            video_path: recording.key,
            duration: recording.duration,
            location: details.location.as_deref(),
            notes: details.notes.as_deref(),
        };
        journals::insert_with_id(&mut tx, journal_id, &new).await?;
        if let Some(created_at) = details.created_at {
            sqlx::query!(
                "UPDATE journals SET created_at = $2 WHERE id = $1",
                journal_id,
                created_at
            )
            .execute(&mut *tx)
            .await?;
        }
        tags::add(&mut tx, journal_id, &details.tags).await?;
        if let Some(source_key) = &details.import_key {
            journals::record_import(&mut tx, journal_id, source_key).await?;
        }
        // The job is written with its journal: an accepted upload always gets transcribed.
        if let (Some(max_attempts), true, true) = (
            self.transcription,
            details.transcribe,
            recording.media.has_recording(),
        ) {
            crate::db::jobs::enqueue(&mut tx, journal_id, max_attempts).await?;
        }
        let view = journals::view(&mut tx, journal_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Removes stored objects after a failure; a leftover is logged for the start-up sweep.
    async fn forget(&self, keys: &[String]) {
        for key in keys {
            if let Err(error) = self.storage.delete(key).await {
                tracing::warn!(%error, key, "could not remove a stored object after a failed upload");
            }
        }
    }
}

/// Removes every stored file of a user (after the account's rows are gone).
pub async fn remove_user_media(storage: &Storage, user_id: Uuid) -> Result<usize, StorageError> {
    let mut removed = 0;
    for prefix in MEDIA_PREFIXES {
        for key in storage.list(&format!("{prefix}/{user_id}")).await? {
            storage.delete(&key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
