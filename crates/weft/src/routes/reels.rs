//! "Save as video" for a phrase reel: start a render of a search's moments, and follow it.
//! The render runs in the background (a worker); its state is a row, read by id.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::filters::SearchFilters;
use crate::api::{ApiContext, ApiError, ApiJson};
use crate::db::jobs::JobState;
use crate::db::reels::Render;
use crate::reels::{self, SavedSearch, StartError};
use crate::semantic::find::Mode;

/// The routes under /api/v1/reels.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(save_reel))
        .routes(routes!(reel_render))
}

/// The search whose moments to save, as `GET /api/v1/search` takes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveReelRequest {
    /// What to find, as in a search.
    pub q: String,
    /// `words` (the default), `meaning` or `both`.
    pub mode: Option<String>,
    /// `all` (the default), `transcripts` or `titles`.
    pub scope: Option<String>,
    /// `best` (the default), `newest` or `oldest`: the order of the video.
    pub sort: Option<String>,
    /// Comma-separated tags the journals must all carry.
    pub tag: Option<String>,
    /// Created on or after: a date (2026-03-14) or an RFC 3339 time.
    pub from: Option<String>,
    /// Created on or before: a date (the whole day counts) or an RFC 3339 time.
    pub to: Option<String>,
}

impl SaveReelRequest {
    /// The search it asks for, its filters checked like a search's.
    pub fn search(&self) -> Result<SavedSearch, ApiError> {
        let mode = match self
            .mode
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            None => Mode::Words,
            Some(name) => Mode::parse(name).ok_or_else(|| {
                ApiError::invalid("mode", "Choose how to match: words, meaning or both.")
            })?,
        };
        let filters = SearchFilters {
            tag: self.tag.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            scope: self.scope.as_deref(),
            sort: self.sort.as_deref(),
        };
        let request = filters.request(self.q.trim().to_string(), 1, None)?;
        Ok(SavedSearch { mode, request })
    }
}

/// A render of a reel into a video.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReelRenderView {
    pub id: Uuid,
    /// `queued`, `running`, `done` (see `journalId`) or `failed` (see `error`).
    pub state: JobState,
    /// The query as searched (the suggestion, when the query as typed found nothing).
    pub q: String,
    pub mode: String,
    pub scope: String,
    pub sort: String,
    pub tags: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The parts of recordings to cut (moments that overlap in one entry are one part).
    pub clips: usize,
    /// The entries they come from; each gets a title card before its first part.
    pub entries: usize,
    /// How long the video will be, in seconds, title cards included.
    pub seconds: f64,
    /// Attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed; null when none did.
    pub error: Option<String>,
    /// The journal the video became, once done (null again if it is deleted).
    pub journal_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Render> for ReelRenderView {
    fn from(render: Render) -> Self {
        let clips = &render.clips.0;
        ReelRenderView {
            id: render.id,
            state: render.state,
            clips: clips.len(),
            entries: reels::cards(clips),
            seconds: (reels::planned_seconds(clips) * 10.0).round() / 10.0,
            q: render.q,
            mode: render.mode,
            scope: render.scope,
            sort: render.sort,
            tags: render.tags,
            from: render.from_at,
            to: render.to_at,
            attempts: render.attempts,
            error: render.last_error,
            journal_id: render.journal_id,
            created_at: render.created_at,
            finished_at: render.finished_at,
        }
    }
}

impl From<StartError> for ApiError {
    fn from(error: StartError) -> Self {
        match error {
            StartError::NoMoments(_) => ApiError::invalid("q", error.to_string()),
            StartError::TooMany => ApiError::too_many_requests(60, error.to_string()),
            StartError::Search(error) => error.into(),
            StartError::Database(error) => error.into(),
        }
    }
}

/// Save the moments of a search as one video.
///
/// Every moment the search finds in recordings (at most 100, and 10 minutes of video), in
/// its order, each entry's moments after a title card with its date and title, cut and
/// joined into one MP4 (H.264 and AAC) in the background. The video becomes a journal of
/// its own, tagged `reel`, transcribed like an upload. Follow it at the `Location`.
#[utoipa::path(
    post, path = "/api/v1/reels", tag = "search",
    request_body = SaveReelRequest,
    responses(
        (status = 202, description = "The render is queued; follow it at the Location", body = ReelRenderView,
         headers(("Location" = String, description = "/api/v1/reels/{id}"))),
        (status = 401, body = ErrorBody),
        (status = 422, description = "An empty or malformed query, a bad filter, or a search without moments of a recording", body = ErrorBody),
        (status = 429, description = "Three renders of yours are queued or running already", body = ErrorBody),
        (status = 503, description = "Search by meaning asked of a server without it", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn save_reel(
    State(context): State<ApiContext>,
    current: CurrentUser,
    ApiJson(body): ApiJson<SaveReelRequest>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        ApiJson<ReelRenderView>,
    ),
    ApiError,
> {
    let search = body.search()?;
    let render = reels::start(&context.pool, &context.semantic, current.user.id, &search).await?;
    let location = format!("/api/v1/reels/{}", render.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        ApiJson(render.into()),
    ))
}

/// A render's state, and its journal once done.
#[utoipa::path(
    get, path = "/api/v1/reels/{id}", tag = "search",
    params(("id" = String, Path, description = "The render's id")),
    responses(
        (status = 200, body = ReelRenderView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such render of yours", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn reel_render(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ReelRenderView>, ApiError> {
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("reel render"))?;
    reels::find(&context.pool, current.user.id, id)
        .await?
        .map(|render| ApiJson(render.into()))
        .ok_or_else(|| ApiError::not_found("reel render"))
}
