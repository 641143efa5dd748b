//! One transcription job: fetch the video, extract its audio, run the engine, and write a
//! new transcript version together with the job's completion. No transaction or pooled
//! connection is held while the engine runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::db::jobs::{self, Job};
use crate::db::transcripts::{NewVersion, TranscriptSource};
use crate::db::{journals, scoped, transcripts, users};
use crate::media::probe;
use crate::scratch::TempFile;
use crate::storage::{Storage, StorageError};
use crate::transcribe::{audio, Engine, EngineError};

/// How long ffmpeg may take to pull the audio out of one video.
const EXTRACT_LIMIT: Duration = Duration::from_secs(30 * 60);

/// What a job needs.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub pool: sqlx::PgPool,
    pub storage: Storage,
    pub scratch: std::path::PathBuf,
    pub engine: Engine,
}

/// How a job ended, when it did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Retryable(String),
    #[error("{0}")]
    Permanent(String),
    /// The job is no longer this worker's (it was reaped and given to another); its result
    /// was discarded.
    #[error("the job was taken over by another worker")]
    Lost,
}

impl From<sqlx::Error> for JobError {
    fn from(error: sqlx::Error) -> Self {
        JobError::Retryable(format!("database: {error}"))
    }
}

impl From<StorageError> for JobError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound(key) => {
                JobError::Permanent(format!("the video {key} is missing from storage"))
            }
            other => JobError::Retryable(other.to_string()),
        }
    }
}

impl From<EngineError> for JobError {
    fn from(error: EngineError) -> Self {
        if error.retryable {
            JobError::Retryable(error.message)
        } else {
            JobError::Permanent(error.message)
        }
    }
}

impl Pipeline {
    /// Runs one claimed job to its result; returns the seconds of audio transcribed. The
    /// fraction of the audio done is kept in `done` (as f64 bits) as the engine reports it.
    pub async fn run(
        &self,
        job: &Job,
        worker: &str,
        done: Option<Arc<AtomicU64>>,
    ) -> Result<f64, JobError> {
        let mut tx = scoped::begin_for_user(&self.pool, job.user_id).await?;
        let journal = journals::view(&mut tx, job.journal_id).await?;
        tx.commit().await?;
        let Some(journal) = journal else {
            return Err(JobError::Permanent("the journal no longer exists".into()));
        };
        if !journal.journal.media.has_recording() {
            // Ingest never queues one for notes only; a job written otherwise fails once, not
            // on every retry.
            return Err(JobError::Permanent("the entry has no recording".into()));
        }

        let video = TempFile::new_in(&self.scratch, "job-video")
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        self.download(&journal.journal.video_path, video.path())
            .await?;
        let duration = probe::probe(video.path(), EXTRACT_LIMIT)
            .await
            .map(|info| info.duration)
            .unwrap_or(journal.journal.duration as f64);
        let wav = TempFile::new_in(&self.scratch, "wav")
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        audio::extract(video.path(), wav.path(), EXTRACT_LIMIT)
            .await
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        drop(video);

        let progress = done.map(|done| {
            Arc::new(move |seconds: f64| {
                let fraction = if duration > 0.0 {
                    (seconds / duration).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                done.store(fraction.to_bits(), Ordering::Relaxed);
            }) as crate::transcribe::Progress
        });
        // The language asked for with this run, else the owner's, else the engine's own
        // setting (detection unless the operator chose one).
        let language = match &job.language {
            Some(language) => Some(language.clone()),
            None => users::transcription_language(&self.pool, job.user_id).await?,
        };
        let output = self
            .engine
            .transcribe_in(wav.path(), duration, language.as_deref(), progress)
            .await?;
        let text = output.text();

        let mut tx = scoped::begin_for_user(&self.pool, job.user_id).await?;
        let model = self.engine.model_name();
        transcripts::insert_version(
            &mut tx,
            job.journal_id,
            NewVersion {
                text: &text,
                segments: &output.segments,
                source: TranscriptSource::Engine,
                language: output.language.as_deref(),
                language_probability: output.language_probability,
                model: Some(&model),
            },
        )
        .await?;
        if !jobs::complete(&mut tx, job, worker).await? {
            tx.rollback().await?;
            return Err(JobError::Lost);
        }
        tx.commit().await?;
        Ok(duration)
    }

    async fn download(&self, key: &str, into: &std::path::Path) -> Result<(), JobError> {
        let mut stream = self.storage.get(key, None).await?;
        let mut file = tokio::fs::File::create(into)
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?)
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?;
        }
        file.flush()
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        Ok(())
    }
}
