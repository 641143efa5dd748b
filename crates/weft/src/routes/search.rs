//! `GET /api/v1/search`: one query over the signed-in user's titles, tags, notes and
//! transcripts.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::journals::JournalView;
use crate::db::scoped;
use crate::routes::journals::read::parse_time;
use crate::search::{self, Moment, QueryError, SearchError, SearchRequest};

/// The search route.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new().routes(routes!(search_journals))
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// What to find: words (all must match), "exact phrases", prefixes (`light*`),
    /// exclusions (`-work`) and `OR`. Partial words find the words containing them when
    /// whole words find nothing.
    q: Option<String>,
    /// Comma-separated tags the journals must all carry.
    tag: Option<String>,
    /// Created on or after: a date (2026-03-14) or an RFC 3339 time.
    from: Option<String>,
    /// Created on or before: a date (the whole day counts) or an RFC 3339 time (exclusive).
    to: Option<String>,
    /// Results per page, 1 to 100 (default 20).
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// One journal that matched.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub journal: JournalView,
    /// HTML: the matching text escaped, its matching words in `<mark>` elements.
    pub snippet: String,
    /// Where in the video the words were said: the matching transcript segments.
    pub moments: Vec<Moment>,
}

/// A page of results, best first: title matches, then tags, notes, transcript; newest
/// first within each.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub items: Vec<SearchResult>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// True when whole words found nothing and these results match partial words, or the
    /// words as written (a query of only words that full-text search ignores, like `that`).
    pub partial: bool,
}

/// Search your journals.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, body = ErrorBody),
        (status = 422, description = "An empty or malformed query, or a bad filter", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn search_journals(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> Result<ApiJson<SearchResults>, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "limit is a number from 1 to 100",
        ));
    }
    let request = SearchRequest {
        q: query.q.unwrap_or_default(),
        tags: crate::domain::parse_tag_list(query.tag.as_deref().unwrap_or(""))
            .map_err(|e| e.in_field("tag"))?,
        from: query
            .from
            .as_deref()
            .map(|v| parse_time(v, "from", false))
            .transpose()?,
        to: query
            .to
            .as_deref()
            .map(|v| parse_time(v, "to", true))
            .transpose()?,
        limit,
        cursor: query.cursor,
    };
    let mut tx = scoped::begin_for_user_planning_each(&context.pool, current.user.id).await?;
    let page = search::search(&mut tx, &request).await?;
    scoped::end_reading(tx);
    Ok(ApiJson(SearchResults {
        items: page
            .items
            .into_iter()
            .map(|hit| SearchResult {
                journal: hit.journal,
                snippet: hit.snippet,
                moments: hit.moments,
            })
            .collect(),
        next_cursor: page.next_cursor,
        partial: page.partial,
    }))
}

impl From<SearchError> for ApiError {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::Query(QueryError::Empty) => {
                ApiError::invalid("q", "type something to search for")
            }
            SearchError::Query(other) => ApiError::invalid("q", other.to_string()),
            SearchError::BadCursor => {
                ApiError::invalid("cursor", "that cursor is not one this server gave out")
            }
            SearchError::Database(error) => error.into(),
        }
    }
}
