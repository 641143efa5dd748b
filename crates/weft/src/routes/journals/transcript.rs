//! A journal's transcript: read the current version, correct it, retry the engine, and get
//! it as captions.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::journal_id;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::jobs::{Job, TranscriptStatus};
use crate::db::transcripts::Transcript;
use crate::domain::Segment;
use crate::journals::{JobProgress, TranscriptState};
use crate::transcribe::captions;

/// The current transcript and the state of the journal's latest transcription job.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptView {
    /// The current version: the newest, whether an engine run or a person's correction.
    pub transcript: Option<Transcript>,
    /// none, queued, running, done or failed.
    pub status: TranscriptStatus,
    /// The latest job, with its attempts and last error.
    pub job: Option<Job>,
    /// While the latest job is queued or running: its place in the queue, or how much is
    /// done and an estimate of the time left.
    pub progress: Option<JobProgress>,
}

/// A corrected transcript: the segments (and optionally the full text; by default the
/// segments' texts joined).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    pub segments: Vec<Segment>,
    pub text: Option<String>,
}

impl From<TranscriptState> for TranscriptView {
    fn from(state: TranscriptState) -> Self {
        Self {
            transcript: state.transcript,
            status: state.status,
            job: state.job,
            progress: state.progress,
        }
    }
}

async fn current_and_job(
    context: &ApiContext,
    current: &CurrentUser,
    id: &str,
) -> Result<TranscriptState, ApiError> {
    Ok(context
        .journals()
        .transcript(current.user.id, journal_id(id)?)
        .await?)
}

/// The current transcript with its segments, and the transcription status.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}/transcript", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses((status = 200, body = TranscriptView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn get_transcript(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<ApiJson<TranscriptView>, ApiError> {
    Ok(ApiJson(
        current_and_job(&context, &current, &id).await?.into(),
    ))
}

/// Correct the transcript by hand. This adds a new version, which is current until a newer
/// one is added (a run asked for later); older versions are kept.
#[utoipa::path(
    put, path = "/api/v1/journals/{id}/transcript", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    request_body = CorrectionRequest,
    responses(
        (status = 200, body = TranscriptView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn correct_transcript(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CorrectionRequest>,
) -> Result<ApiJson<TranscriptView>, ApiError> {
    let state = context
        .journals()
        .correct_transcript(
            current.user.id,
            journal_id(&id)?,
            request.segments,
            request.text,
        )
        .await?;
    Ok(ApiJson(state.into()))
}

/// Every version of a transcript.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionsView {
    /// Newest first: the first is current. Engine runs and corrections by a person.
    pub versions: Vec<Transcript>,
}

/// Every version of the transcript, newest (current) first.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}/transcript/versions", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses((status = 200, body = VersionsView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn transcript_versions(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<ApiJson<VersionsView>, ApiError> {
    let versions = context
        .journals()
        .versions(current.user.id, journal_id(&id)?)
        .await?;
    Ok(ApiJson(VersionsView { versions }))
}

/// Make an older version current again. A person's version with its text, timing and
/// language is added, so every version is kept. Refused with 409 while a transcription is
/// queued or running.
#[utoipa::path(
    post, path = "/api/v1/journals/{id}/transcript/versions/{version}/restore", tag = "transcripts",
    params(
        ("id" = uuid::Uuid, Path, description = "Journal id"),
        ("version" = uuid::Uuid, Path, description = "The version's id, from the versions"),
    ),
    responses(
        (status = 200, body = TranscriptView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn restore_transcript_version(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path((id, version)): Path<(String, String)>,
) -> Result<ApiJson<TranscriptView>, ApiError> {
    let journal = journal_id(&id)?;
    let version = version
        .parse()
        .map_err(|_| ApiError::not_found("version"))?;
    let state = context
        .journals()
        .restore_version(current.user.id, journal, version)
        .await?;
    Ok(ApiJson(state.into()))
}

/// How to transcribe again.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RetryQuery {
    /// The language to transcribe in: a code (`en`, `es`, `sv`, ...) or `auto` to detect
    /// it; by default the account's transcription language.
    pub language: Option<String>,
}

/// Transcribe the journal again (after a failure, to get a fresh engine version, or in
/// another language).
#[utoipa::path(
    post, path = "/api/v1/journals/{id}/transcript/retry", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id"), RetryQuery),
    responses(
        (status = 202, description = "Queued", body = Job),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not a language Weft can transcribe", body = ErrorBody),
        (status = 409, description = "A transcription is already queued or running \
            (`already_queued`), or transcription is off on this server (`transcription_off`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn retry_transcript(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<RetryQuery>,
) -> Result<(StatusCode, ApiJson<Job>), ApiError> {
    let job = context
        .journals()
        .transcribe_again(
            current.user.id,
            journal_id(&id)?,
            context.transcription,
            query.language.as_deref(),
        )
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(job)))
}

async fn caption_segments(
    context: &ApiContext,
    current: &CurrentUser,
    id: &str,
) -> Result<Vec<Segment>, ApiError> {
    let state = current_and_job(context, current, id).await?;
    let transcript = state
        .transcript
        .ok_or_else(|| ApiError::not_found("transcript"))?;
    Ok(one_at_a_time(
        transcript.segments.map(|s| s.0).unwrap_or_default(),
    ))
}

/// The segments with no two overlapping: each ends a millisecond before the next starts.
/// An engine's segments may overlap or touch (one ends at 4.4 s where the next starts), and
/// Chromium shows every cue whose span includes the current time, ends included: on such a
/// boundary two captions showed, one above the other.
/// Segments without words are left out first, as the captions leave them out.
fn one_at_a_time(segments: Vec<Segment>) -> Vec<Segment> {
    let mut segments: Vec<Segment> = segments
        .into_iter()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    let starts: Vec<f64> = segments.iter().skip(1).map(|s| s.start).collect();
    for (segment, next_start) in segments.iter_mut().zip(starts) {
        if segment.end >= next_start - 0.0005 {
            segment.end = (next_start - 0.001).max(segment.start);
        }
    }
    segments
}

/// The current transcript as WebVTT captions.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}/transcript.vtt", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses((status = 200, description = "WebVTT", content_type = "text/vtt"), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn transcript_vtt(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let segments = caption_segments(&context, &current, &id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/vtt; charset=utf-8")],
        captions::webvtt(&segments),
    ))
}

/// The current transcript as SRT subtitles.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}/transcript.srt", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses((status = 200, description = "SubRip", content_type = "application/x-subrip"), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn transcript_srt(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let segments = caption_segments(&context, &current, &id).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-subrip; charset=utf-8")],
        captions::srt(&segments),
    ))
}

#[cfg(test)]
mod tests {
    use super::one_at_a_time;
    use crate::domain::Segment;

    fn seg(start: f64, end: f64) -> Segment {
        Segment {
            start,
            end,
            text: "words".into(),
            ..Segment::default()
        }
    }

    #[test]
    fn a_cue_ends_a_millisecond_before_the_next_starts() {
        let cues = one_at_a_time(vec![
            seg(0.0, 4.4),
            seg(4.4, 6.0),
            seg(5.5, 8.0),
            seg(9.0, 10.0),
        ]);
        let ends: Vec<i64> = cues
            .iter()
            .map(|c| (c.end * 1000.0).round() as i64)
            .collect();
        assert_eq!(ends, vec![4399, 5499, 8000, 10000]);
    }

    #[test]
    fn a_cue_never_ends_before_it_starts() {
        let cues = one_at_a_time(vec![seg(2.0, 3.0), seg(2.0, 3.0)]);
        assert_eq!(cues[0].end, 2.0);
    }
}
