//! A journal's transcript: read the current version, correct it, retry the engine, and get
//! it as captions.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{journal_id, load};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::auth::current::CurrentUser;
use crate::db::jobs::{self, Job, TranscriptStatus};
use crate::db::scoped;
use crate::db::transcripts::{self, Segment, Transcript, TranscriptSource};
use crate::server::ApiContext;
use crate::transcribe::{captions, join_segments};

/// The current transcript and the state of the journal's latest transcription job.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptView {
    /// The current version: a person's newest correction, else the newest engine run.
    pub transcript: Option<Transcript>,
    /// none, queued, running, done or failed.
    pub status: TranscriptStatus,
    /// The latest job, with its attempts and last error.
    pub job: Option<Job>,
}

/// A corrected transcript: the segments (and optionally the full text; by default the
/// segments' texts joined).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    pub segments: Vec<Segment>,
    pub text: Option<String>,
}

async fn current_and_job(
    context: &ApiContext,
    current: &CurrentUser,
    id: &str,
) -> Result<(Option<Transcript>, Option<Job>, TranscriptStatus), ApiError> {
    let view = load(context, current, journal_id(id)?).await?;
    let mut tx = scoped::begin_for_user(&context.pool, current.user.id).await?;
    let transcript = transcripts::current(&mut tx, view.journal.id).await?;
    let job = jobs::latest_for_journal(&mut *tx, view.journal.id).await?;
    tx.commit().await?;
    Ok((transcript, job, view.transcript_status))
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
    let (transcript, job, status) = current_and_job(&context, &current, &id).await?;
    Ok(ApiJson(TranscriptView {
        transcript,
        status,
        job,
    }))
}

fn validate(segments: &[Segment]) -> Result<(), ApiError> {
    if segments.len() > 20_000 {
        return Err(ApiError::invalid("segments", "at most 20000 segments"));
    }
    for (n, s) in segments.iter().enumerate() {
        let times_ok =
            s.start.is_finite() && s.end.is_finite() && s.start >= 0.0 && s.end >= s.start;
        if !times_ok {
            return Err(ApiError::invalid(
                "segments",
                format!("segment {n}: start and end are seconds, start <= end"),
            ));
        }
        if s.confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
            return Err(ApiError::invalid(
                "segments",
                format!("segment {n}: confidence is between 0 and 1"),
            ));
        }
        if s.text.len() > 10_000 {
            return Err(ApiError::invalid(
                "segments",
                format!("segment {n}: text too long"),
            ));
        }
    }
    if segments
        .windows(2)
        .any(|pair| pair[1].start < pair[0].start)
    {
        return Err(ApiError::invalid(
            "segments",
            "segments are in order of their start",
        ));
    }
    Ok(())
}

/// Correct the transcript by hand. This adds a new version that stays current: a later
/// automatic run never replaces it.
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
    validate(&request.segments)?;
    let view = load(&context, &current, journal_id(&id)?).await?;
    let segments: Vec<Segment> = request
        .segments
        .into_iter()
        .map(|s| Segment {
            text: s.text.trim().to_string(),
            ..s
        })
        .collect();
    let text = request
        .text
        .map(|t| t.trim().to_string())
        .unwrap_or_else(|| join_segments(&segments));
    let mut tx = scoped::begin_for_user(&context.pool, current.user.id).await?;
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
    // As a read would now say: the latest job's state, else "done" (a transcript exists).
    let status = job
        .as_ref()
        .map_or(TranscriptStatus::Done, |job| job.state.into());
    Ok(ApiJson(TranscriptView {
        transcript: Some(transcript),
        status,
        job,
    }))
}

/// Transcribe the journal again (after a failure, or to get a fresh engine version).
#[utoipa::path(
    post, path = "/api/v1/journals/{id}/transcript/retry", tag = "transcripts",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses(
        (status = 202, description = "Queued", body = Job),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A transcription is already queued or running \
            (`already_queued`), or transcription is off on this server (`transcription_off`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn retry_transcript(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, ApiJson<Job>), ApiError> {
    let view = load(&context, &current, journal_id(&id)?).await?;
    // Not a passing outage (503) but how this server is set up: asking again will not help.
    let Some(max_attempts) = context.transcription else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "transcription_off",
            "transcription is turned off on this server (WEFT_TRANSCRIBER=none)",
        ));
    };
    let mut tx = scoped::begin_for_user(&context.pool, current.user.id).await?;
    let job = jobs::enqueue(&mut tx, view.journal.id, max_attempts).await?;
    tx.commit().await?;
    match job {
        Some(job) => Ok((StatusCode::ACCEPTED, ApiJson(job))),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_queued",
            "a transcription of this journal is already queued or running",
        )),
    }
}

async fn caption_segments(
    context: &ApiContext,
    current: &CurrentUser,
    id: &str,
) -> Result<Vec<Segment>, ApiError> {
    let (transcript, _, _) = current_and_job(context, current, id).await?;
    let transcript = transcript.ok_or_else(|| ApiError::not_found("transcript"))?;
    Ok(transcript.segments.map(|s| s.0).unwrap_or_default())
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
