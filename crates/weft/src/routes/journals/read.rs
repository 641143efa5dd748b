//! Reading journals: one, or the timeline with keyset paging and filters.

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::load;
use crate::api::current::CurrentUser;
use crate::api::cursor::{decode_cursor, encode_cursor};
use crate::api::error::ErrorBody;
use crate::api::filters::parse_time;
use crate::api::journal_id;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::journals::{self, Cursor, JournalView, TimelineFilter};

/// One journal with its tags and transcription status.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}", tag = "journals",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses((status = 200, body = JournalView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn get_journal(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<ApiJson<JournalView>, ApiError> {
    Ok(ApiJson(load(&context, &current, journal_id(&id)?).await?))
}

/// Timeline query parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Entries per page, 1 to 100 (default 20).
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Comma-separated tags.
    tag: Option<String>,
    /// `all` (default): entries with every tag; `any`: with at least one.
    #[serde(rename = "match")]
    #[param(rename = "match")]
    tag_match: Option<String>,
    /// Created on or after: a date (2026-03-14) or an RFC 3339 time.
    from: Option<String>,
    /// Created on or before: a date (the whole day counts) or an RFC 3339 time (exclusive).
    to: Option<String>,
}

/// A page of journals.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JournalPage {
    pub items: Vec<JournalView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Your journals, newest first.
#[utoipa::path(
    get, path = "/api/v1/journals", tag = "journals",
    params(ListQuery),
    responses(
        (status = 200, body = JournalPage),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A bad limit, cursor, tag or date", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn list_journals(
    State(context): State<ApiContext>,
    current: CurrentUser,
    RawQuery(raw_query): RawQuery,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    // Only pages that were answered are kept: a request found here was valid.
    let request = raw_query.unwrap_or_default();
    let (user_id, version) = (current.user.id, current.timeline_version);
    if let Some(body) = context.timelines.get(user_id, &request, version) {
        return Ok(json_response(body));
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "limit is a number from 1 to 100",
        ));
    }
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let tag_list = crate::domain::parse_tag_list(query.tag.as_deref().unwrap_or(""))
        .map_err(|e| e.in_field("tag"))?;
    let mut filter = TimelineFilter {
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
        ..TimelineFilter::default()
    };
    match query.tag_match.as_deref().unwrap_or("all") {
        "all" => filter.tags_all = tag_list,
        "any" => filter.tags_any = tag_list,
        _ => return Err(ApiError::invalid("match", "match is `all` or `any`")),
    }
    let items =
        journals::timeline_page(&context.pool, current.user.id, &filter, cursor, limit).await?;
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last())
        .flatten()
        .map(|last| {
            encode_cursor(Cursor {
                created_at: last.journal.created_at,
                id: last.journal.id,
            })
        });
    let body =
        serde_json::to_vec(&JournalPage { items, next_cursor }).map_err(ApiError::internal)?;
    let body = axum::body::Bytes::from(body);
    context
        .timelines
        .put(user_id, &request, version, body.clone());
    Ok(json_response(body))
}

/// A JSON body as it is.
fn json_response(body: axum::body::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
