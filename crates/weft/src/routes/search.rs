//! `GET /api/v1/search`: one query over the signed-in user's titles, tags, notes and
//! transcripts.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::filters::SearchFilters;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::journals::JournalView;
use crate::db::scoped;
use crate::search::{Moment, QueryError, SearchError};
use crate::semantic::find::{self, Mode};
use crate::semantic::MeaningError;

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
    /// What to search in: `all` (the default: titles, tags, notes, location and
    /// transcripts), `transcripts` or `titles`.
    scope: Option<String>,
    /// The order: `best` (the default: title matches first, then tags, notes and
    /// location, then transcripts, newest first within each; by meaning, the closest
    /// first), `newest` or `oldest`.
    sort: Option<String>,
    /// How to match: `words` (the default: full-text search), `meaning` (passages whose
    /// sense is close to the query's, by sentence vectors: "feeling tired" finds "I was
    /// exhausted") or `both` (the two ranked together). `meaning` and `both` answer 503
    /// where the server lacks the embedding model or PostgreSQL's pgvector.
    mode: Option<String>,
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
    /// How many journals match, counted up to 1,000 (see `countCapped`); null when not
    /// counted (a query of only ignored words, with more than one page of results).
    pub count: Option<i64>,
    /// True when more than `count` journals match: counting stops at 1,000.
    pub count_capped: bool,
    /// When whole words found nothing: the query with each misspelled word replaced by
    /// the most similar word of your own journals ("did you mean"). Null when none.
    pub suggestion: Option<String>,
    /// True when the query as typed found nothing at all and these are the results of
    /// `suggestion`; pass `q=suggestion` with `nextCursor` for their next page.
    pub corrected: bool,
    /// How the results were matched: `words`, `meaning` or `both`.
    pub mode: &'static str,
}

/// Search your journals.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, body = ErrorBody),
        (status = 422, description = "An empty or malformed query, or a bad filter", body = ErrorBody),
        (status = 503, description = "Search by meaning asked of a server without the embedding model or pgvector", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn search_journals(
    State(context): State<ApiContext>,
    current: CurrentUser,
    headers: axum::http::HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Result<ApiJson<SearchResults>, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "limit is a number from 1 to 100",
        ));
    }
    let filters = SearchFilters {
        tag: query.tag.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        scope: query.scope.as_deref(),
        sort: query.sort.as_deref(),
    };
    let mode = match query.mode.as_deref().filter(|mode| !mode.is_empty()) {
        None => Mode::Words,
        Some(name) => Mode::parse(name).ok_or_else(|| {
            ApiError::invalid("mode", "Choose how to match: words, meaning or both.")
        })?,
    };
    let mut request = filters.request(query.q.unwrap_or_default(), limit, query.cursor)?;
    request.fresh = asks_no_cache(&headers);
    let mut tx = scoped::begin_for_user_planning_each(&context.pool, current.user.id).await?;
    let page = find::search(&mut tx, &context.semantic, mode, &request).await?;
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
        count: page.count.map(|count| count.value),
        count_capped: page.count.is_some_and(|count| count.more),
        suggestion: page.suggestion,
        corrected: page.corrected,
        mode: mode.name(),
    }))
}

/// Whether the client asked for an answer read afresh (`Cache-Control: no-cache`, or
/// `Pragma: no-cache` of HTTP/1.0).
fn asks_no_cache(headers: &axum::http::HeaderMap) -> bool {
    let says_no_cache = |name: axum::http::header::HeaderName| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|value| {
                value
                    .split(',')
                    .any(|directive| directive.trim().eq_ignore_ascii_case("no-cache"))
            })
        })
    };
    says_no_cache(axum::http::header::CACHE_CONTROL) || says_no_cache(axum::http::header::PRAGMA)
}

impl From<MeaningError> for ApiError {
    fn from(error: MeaningError) -> Self {
        match error {
            MeaningError::NoModel(_) | MeaningError::NoVectors(_) => ApiError::unavailable(
                format!("{error}. Search by words (mode=words) works meanwhile."),
            ),
            MeaningError::Engine(_) => ApiError::internal(anyhow::anyhow!(error.to_string())),
            MeaningError::Search(error) => error.into(),
            MeaningError::Database(error) => error.into(),
        }
    }
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
            SearchError::CursorOfAnotherOrder => ApiError::invalid(
                "cursor",
                "That cursor belongs to a search in another order or scope. \
                 Start again from the first page.",
            ),
            SearchError::Database(error) => error.into(),
        }
    }
}
