//! A journal's transcript as its owner sees it: the current version with the latest job,
//! and corrections by hand, which add a version. The newest version is current: a run asked
//! for after a correction ("Transcribe again") replaces it as what is shown and searched, and
//! the correction stays an older version that can be made current again.

use uuid::Uuid;

use super::{JournalError, Journals};
use crate::db::jobs::{self, Job, TranscriptStatus};
use crate::db::journals::JournalView;
use crate::db::scoped;
use crate::db::transcripts::{self, NewVersion, Transcript, TranscriptSource};
use crate::domain::{retime_corrected, Segment, ValidationError};
use crate::transcribe::join_segments;

/// The most segments a correction may have.
const MAX_SEGMENTS: usize = 20_000;
/// The longest text of one segment, in bytes.
const MAX_SEGMENT_BYTES: usize = 10_000;

/// A journal with its current transcript and its latest transcription job.
#[derive(Debug)]
pub struct TranscriptState {
    pub view: JournalView,
    /// The newest version, a correction or an engine run.
    pub transcript: Option<Transcript>,
    pub job: Option<Job>,
    pub status: TranscriptStatus,
    /// How far the latest job has got, while it is queued or running.
    pub progress: Option<JobProgress>,
}

/// How far a queued or running transcription has got, as a person wants to know it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    /// Queued: its place in the queue, which every user's recordings share (1: next).
    pub queue_position: Option<i64>,
    /// Queued: how many transcriptions run now, ahead of the queue.
    pub running: Option<i64>,
    /// Running: the fraction of the audio transcribed, 0 to 1 (once the engine says).
    pub fraction_done: Option<f64>,
    /// Running: an estimate of the seconds left, from the pace so far.
    pub seconds_left: Option<f64>,
}

impl JobProgress {
    /// A running job's progress: the estimate of the time left is the time spent so far
    /// scaled by what is left, once at least 2 % is done (earlier it says nothing useful).
    pub fn running(fraction: Option<f64>, elapsed_seconds: f64) -> Self {
        let fraction = fraction.map(|f| f.clamp(0.0, 1.0));
        let seconds_left = fraction
            .filter(|&f| f >= 0.02 && elapsed_seconds > 0.0)
            .map(|f| (elapsed_seconds * (1.0 - f) / f).max(0.0).round());
        Self {
            queue_position: None,
            running: None,
            fraction_done: fraction,
            seconds_left,
        }
    }
}

/// The progress of the journal's latest job, if it is queued or running.
async fn progress_of(
    executor: impl sqlx::PgExecutor<'_>,
    job: Option<&Job>,
) -> Result<Option<JobProgress>, sqlx::Error> {
    let Some(job) = job else { return Ok(None) };
    Ok(match job.state {
        jobs::JobState::Queued => {
            let (ahead, running) = jobs::queue_position(executor, job).await?;
            Some(JobProgress {
                queue_position: Some(ahead + 1),
                running: Some(running),
                fraction_done: None,
                seconds_left: None,
            })
        }
        jobs::JobState::Running => {
            let elapsed = job
                .started_at
                .map(|at| (chrono::Utc::now() - at).num_milliseconds() as f64 / 1000.0)
                .unwrap_or(0.0);
            Some(JobProgress::running(job.progress.map(f64::from), elapsed))
        }
        _ => None,
    })
}

impl Journals<'_> {
    /// One of the user's journals with its current transcript and latest job.
    pub async fn transcript(&self, user: Uuid, id: Uuid) -> Result<TranscriptState, JournalError> {
        let view = self.view(user, id).await?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let transcript = transcripts::current(&mut tx, view.journal.id).await?;
        let job = jobs::latest_for_journal(&mut *tx, view.journal.id).await?;
        let progress = progress_of(&mut *tx, job.as_ref()).await?;
        tx.commit().await?;
        let status = view.transcript_status;
        Ok(TranscriptState {
            view,
            transcript,
            job,
            status,
            progress,
        })
    }

    /// Corrects the transcript by hand: a new version, current until a run asked for later.
    /// `text` defaults to the segments' texts joined.
    pub async fn correct_transcript(
        &self,
        user: Uuid,
        id: Uuid,
        segments: Vec<Segment>,
        text: Option<String>,
    ) -> Result<TranscriptState, JournalError> {
        check_segments(&segments)?;
        let view = self.view(user, id).await?;
        let mut segments: Vec<Segment> = segments
            .into_iter()
            .map(|s| Segment {
                text: s.text.trim().to_string(),
                ..s
            })
            .collect();
        // The version corrected, read in the transaction that adds the correction: its word
        // timing is kept where the words are, and its language stays the transcript's.
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let previous = transcripts::current(&mut tx, view.journal.id).await?;
        let (previous_segments, language) = previous
            .map(|t| (t.segments.map(|s| s.0).unwrap_or_default(), t.language))
            .unwrap_or_default();
        retime_corrected(&previous_segments, &mut segments);
        let text = text
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| join_segments(&segments));
        let transcript = transcripts::insert_version(
            &mut tx,
            view.journal.id,
            NewVersion {
                text: &text,
                segments: &segments,
                source: TranscriptSource::Person,
                language: language.as_deref(),
                language_probability: None,
                model: None,
            },
        )
        .await?;
        let job = jobs::latest_for_journal(&mut *tx, view.journal.id).await?;
        tx.commit().await?;
        // As a read would now say: the latest job's state, else done (a transcript exists).
        let status = job
            .as_ref()
            .map_or(TranscriptStatus::Done, |job| job.state.into());
        Ok(TranscriptState {
            view,
            transcript: Some(transcript),
            job,
            status,
            progress: None,
        })
    }

    /// Every version of the journal's transcript, newest (current) first.
    pub async fn versions(&self, user: Uuid, id: Uuid) -> Result<Vec<Transcript>, JournalError> {
        let view = self.view(user, id).await?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let versions = transcripts::for_journal(&mut tx, view.journal.id).await?;
        tx.commit().await?;
        Ok(versions)
    }

    /// Makes an older version current again: a person's version with its text, timing and
    /// language is added (the corrections' way of storing a version), so nothing is lost.
    /// Refused while a transcription is queued or running, whose result would replace it at
    /// once; the current version is left as it is.
    pub async fn restore_version(
        &self,
        user: Uuid,
        id: Uuid,
        version: Uuid,
    ) -> Result<TranscriptState, JournalError> {
        let view = self.view(user, id).await?;
        if matches!(
            view.transcript_status,
            TranscriptStatus::Queued | TranscriptStatus::Running
        ) {
            return Err(JournalError::AlreadyQueued);
        }
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let versions = transcripts::for_journal(&mut tx, view.journal.id).await?;
        let old = versions
            .iter()
            .find(|t| t.id == version)
            .ok_or(JournalError::VersionNotFound)?;
        if versions.first().map(|t| t.id) != Some(old.id) {
            let segments = old.segments.as_ref().map(|s| s.0.as_slice()).unwrap_or(&[]);
            transcripts::insert_version(
                &mut tx,
                view.journal.id,
                NewVersion {
                    text: &old.text,
                    segments,
                    source: TranscriptSource::Person,
                    language: old.language.as_deref(),
                    language_probability: None,
                    model: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.transcript(user, id).await
    }
}

/// Segments as a person may send them: times in seconds with start <= end, in order of
/// their start, confidence between 0 and 1, bounded in number and length.
fn check_segments(segments: &[Segment]) -> Result<(), ValidationError> {
    let refuse = |message: String| Err(ValidationError::new("segments", message));
    if segments.len() > MAX_SEGMENTS {
        return refuse(format!("at most {MAX_SEGMENTS} segments"));
    }
    for (n, s) in segments.iter().enumerate() {
        let times_ok =
            s.start.is_finite() && s.end.is_finite() && s.start >= 0.0 && s.end >= s.start;
        if !times_ok {
            return refuse(format!(
                "segment {n}: start and end are seconds, start <= end"
            ));
        }
        if s.confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
            return refuse(format!("segment {n}: confidence is between 0 and 1"));
        }
        if s.text.len() > MAX_SEGMENT_BYTES {
            return refuse(format!("segment {n}: text too long"));
        }
    }
    if segments
        .windows(2)
        .any(|pair| pair[1].start < pair[0].start)
    {
        return refuse("segments are in order of their start".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::JobProgress;

    #[test]
    fn the_time_left_is_the_pace_so_far_applied_to_what_is_left() {
        let p = JobProgress::running(Some(0.25), 30.0);
        assert_eq!(p.seconds_left, Some(90.0));
        assert_eq!(JobProgress::running(Some(0.01), 30.0).seconds_left, None);
        assert_eq!(JobProgress::running(None, 30.0).seconds_left, None);
        assert_eq!(
            JobProgress::running(Some(1.0), 30.0).seconds_left,
            Some(0.0)
        );
    }
}
