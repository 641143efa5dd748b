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
    /// The current version: a person's newest correction, else the newest engine run.
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
