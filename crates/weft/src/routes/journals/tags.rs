//! A journal's tags: replace them all, add one, remove one.

use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::journal_id;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::journals::JournalView;

/// A journal's whole tag list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTagsRequest {
    /// Trimmed and lower-cased; blanks and repeats dropped; at most 20, 50 characters each.
    pub tags: Vec<String>,
}

/// One tag to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTagRequest {
    pub tag: String,
}

/// Set a journal's tags (the ones not listed are removed).
#[utoipa::path(
    put, path = "/api/v1/journals/{id}/tags", tag = "tags",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    request_body = SetTagsRequest,
    responses(
        (status = 200, body = JournalView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn set_tags(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SetTagsRequest>,
) -> Result<ApiJson<JournalView>, ApiError> {
    let id = journal_id(&id)?;
    let view = context
        .journals()
        .set_tags(current.user.id, id, &request.tags)
        .await?;
    Ok(ApiJson(view))
}

/// Add one tag to a journal (a tag it already has is left alone).
#[utoipa::path(
    post, path = "/api/v1/journals/{id}/tags", tag = "tags",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    request_body = AddTagRequest,
    responses(
        (status = 200, body = JournalView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A bad tag, or the journal has 20 already", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn add_tag(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AddTagRequest>,
) -> Result<ApiJson<JournalView>, ApiError> {
    let id = journal_id(&id)?;
    let view = context
        .journals()
        .add_tag(current.user.id, id, &request.tag)
        .await?;
    Ok(ApiJson(view))
}

/// Remove one tag from a journal (removing one it does not carry changes nothing).
#[utoipa::path(
    delete, path = "/api/v1/journals/{id}/tags/{tag}", tag = "tags",
    params(
        ("id" = uuid::Uuid, Path, description = "Journal id"),
        ("tag" = String, Path, description = "The tag to remove"),
    ),
    responses(
        (status = 200, body = JournalView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn remove_tag(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path((id, tag)): Path<(String, String)>,
) -> Result<ApiJson<JournalView>, ApiError> {
    let id = journal_id(&id)?;
    let view = context
        .journals()
        .remove_tag(current.user.id, id, &tag)
        .await?;
    Ok(ApiJson(view))
}
