//! The journals service: reading one of a user's journals, changing its details and tags,
//! deleting it with its files, and asking for it to be transcribed again. Every operation
//! runs in a transaction scoped to the user (row-level security), so a journal of someone
//! else is simply not found. It answers in [`JournalError`], which the HTTP layer turns
//! into its answers.

pub mod page_cache;
mod tag_lists;
mod transcripts;

pub use transcripts::{JobProgress, TranscriptState};

use sqlx::PgPool;
use uuid::Uuid;

use crate::db::jobs::{self, Job};
use crate::db::journals::{self, JournalChanges, JournalView};
use crate::db::{scoped, tags};
use crate::domain::{Media, ValidationError};
use crate::ingest::thumbnail_key;
use crate::storage::Storage;

/// Why a journal operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// No such journal of this user (also: one of another user).
    #[error("no such journal")]
    NotFound,
    /// The journal's transcript has no such version.
    #[error("no such version of the transcript")]
    VersionNotFound,
    /// No journal of this user carries the tag.
    #[error("no such tag")]
    TagNotFound,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Transcription is turned off on this server: asking again will not help.
    #[error("transcription is turned off on this server")]
    TranscriptionOff,
    /// A transcription of the journal is already queued or running.
    #[error("a transcription of this journal is already queued or running")]
    AlreadyQueued,
    /// The entry has notes only: there is nothing to transcribe.
    #[error("this entry has no recording")]
    NoRecording,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A user's journals on one server: its database and its media storage.
#[derive(Debug, Clone, Copy)]
pub struct Journals<'a> {
    pub pool: &'a PgPool,
    pub storage: &'a Storage,
}

impl Journals<'_> {
    /// One of the user's journals.
    pub async fn view(&self, user: Uuid, id: Uuid) -> Result<JournalView, JournalError> {
        journals::view_alone(self.pool, user, id)
            .await?
            .ok_or(JournalError::NotFound)
    }

    /// Changes a journal's details and, when `tags` is given, replaces its tags, in one
    /// transaction; returns the journal as it now is.
    pub async fn edit(
        &self,
        user: Uuid,
        id: Uuid,
        changes: &JournalChanges,
        tags: Option<&[String]>,
    ) -> Result<JournalView, JournalError> {
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        journals::update(&mut tx, id, changes)
            .await?
            .ok_or(JournalError::NotFound)?;
        if let Some(tags) = tags {
            tags::replace(&mut tx, id, tags).await?;
        }
        let view = journals::view(&mut tx, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Deletes a journal with its transcripts, tags, recording and thumbnail.
    pub async fn delete(&self, user: Uuid, id: Uuid) -> Result<(), JournalError> {
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let journal = journals::delete(&mut tx, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        tx.commit().await?;
        // The row is gone first: a file whose removal fails is an orphan for the sweep,
        // never a row pointing at nothing.
        // An audio entry has no thumbnail, and an entry of notes only no file at all.
        let mut keys = Vec::new();
        if journal.media.has_recording() {
            keys.push(journal.video_path);
        }
        if journal.media == Media::Video {
            keys.push(thumbnail_key(user, id));
        }
        for key in keys {
            if let Err(error) = self.storage.delete(&key).await {
                tracing::warn!(%error, key, "could not remove a deleted journal's file");
            }
        }
        Ok(())
    }

    /// Queues the journal to be transcribed again. `max_attempts` is the server's setting,
    /// `None` when transcription is off.
    pub async fn transcribe_again(
        &self,
        user: Uuid,
        id: Uuid,
        max_attempts: Option<i32>,
        language: Option<&str>,
    ) -> Result<Job, JournalError> {
        // A code, or `auto` to detect it; nothing: the owner's default.
        let language = language
            .map(|l| crate::domain::Language::parse(l, "language"))
            .transpose()?
            .map(|l| l.code().unwrap_or("auto"));
        let view = self.view(user, id).await?;
        if !view.journal.media.has_recording() {
            return Err(JournalError::NoRecording);
        }
        let max_attempts = max_attempts.ok_or(JournalError::TranscriptionOff)?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let job = jobs::enqueue_in(&mut tx, view.journal.id, max_attempts, language).await?;
        tx.commit().await?;
        job.ok_or(JournalError::AlreadyQueued)
    }
}
