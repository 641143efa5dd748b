//! A journal's transcript as its owner sees it: the current version with the latest job,
//! and corrections by hand, which add a version that stays current.

use uuid::Uuid;

use super::{JournalError, Journals};
use crate::db::jobs::{self, Job, TranscriptStatus};
use crate::db::journals::JournalView;
use crate::db::scoped;
use crate::db::transcripts::{self, Transcript, TranscriptSource};
use crate::domain::{Segment, ValidationError};
use crate::transcribe::join_segments;

/// The most segments a correction may have.
const MAX_SEGMENTS: usize = 20_000;
/// The longest text of one segment, in bytes.
const MAX_SEGMENT_BYTES: usize = 10_000;

/// A journal with its current transcript and its latest transcription job.
#[derive(Debug)]
pub struct TranscriptState {
    pub view: JournalView,
    /// A person's newest correction, else the newest engine run.
    pub transcript: Option<Transcript>,
    pub job: Option<Job>,
    pub status: TranscriptStatus,
}

impl Journals<'_> {
    /// One of the user's journals with its current transcript and latest job.
    pub async fn transcript(&self, user: Uuid, id: Uuid) -> Result<TranscriptState, JournalError> {
        let view = self.view(user, id).await?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let transcript = transcripts::current(&mut tx, view.journal.id).await?;
        let job = jobs::latest_for_journal(&mut *tx, view.journal.id).await?;
        tx.commit().await?;
        let status = view.transcript_status;
        Ok(TranscriptState {
            view,
            transcript,
            job,
            status,
        })
    }

    /// Corrects the transcript by hand: a new version, which a later automatic run never
    /// replaces. `text` defaults to the segments' texts joined.
    pub async fn correct_transcript(
        &self,
        user: Uuid,
        id: Uuid,
        segments: Vec<Segment>,
        text: Option<String>,
    ) -> Result<TranscriptState, JournalError> {
        check_segments(&segments)?;
        let view = self.view(user, id).await?;
        let segments: Vec<Segment> = segments
            .into_iter()
            .map(|s| Segment {
                text: s.text.trim().to_string(),
                ..s
            })
            .collect();
        let text = text
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| join_segments(&segments));
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let transcript = transcripts::insert_version(
            &mut tx,
            view.journal.id,
            &text,
            &segments,
            TranscriptSource::Person,
            None,
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
        })
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
