//! A journal's tags: replace them all, add one, remove one.

use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::journal_id;
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::auth::current::CurrentUser;
use crate::db::journals::{self, JournalView};
use crate::db::scoped::{self, UserTx};
use crate::db::tags::{self, MAX_TAGS};
use crate::routes::tags::one_tag;
use crate::server::ApiContext;

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
    let list = tags::normalise_all(request.tags.iter().map(String::as_str))
        .map_err(|e| ApiError::invalid("tags", e.to_string()))?;
    let user = current.user.id;
    let mut tx = scoped::begin_for_user(&context.pool, user).await?;
    lock_journal(&mut tx, id).await?;
    tags::replace(&mut tx, id, &list).await?;
    let view = reload(&mut tx, id).await?;
    tx.commit().await?;
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
    let tag = one_tag(&request.tag, "tag")?
        .ok_or_else(|| ApiError::invalid("tag", "a tag cannot be empty"))?;
    let user = current.user.id;
    let mut tx = scoped::begin_for_user(&context.pool, user).await?;
    lock_journal(&mut tx, id).await?;
    let existing = tags::for_journal(&mut tx, id).await?;
    if !existing.contains(&tag) {
        if existing.len() >= MAX_TAGS {
            return Err(ApiError::invalid(
                "tag",
                format!("a journal carries at most {MAX_TAGS} tags"),
            ));
        }
        tags::add(&mut tx, id, std::slice::from_ref(&tag)).await?;
    }
    let view = reload(&mut tx, id).await?;
    tx.commit().await?;
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
    let user = current.user.id;
    let mut tx = scoped::begin_for_user(&context.pool, user).await?;
    lock_journal(&mut tx, id).await?;
    // A tag that could never have been stored (too long, a comma) is simply not there.
    if let Ok(Some(tag)) = tags::normalise(&tag) {
        tags::remove(&mut tx, id, &tag).await?;
    }
    let view = reload(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(view))
}

/// Locks one of the user's journals against concurrent tag changes (so that the 20-tag
/// limit holds), or 404.
async fn lock_journal(tx: &mut UserTx, id: uuid::Uuid) -> Result<(), ApiError> {
    sqlx::query_scalar!(
        "SELECT id FROM journals WHERE id = $1 AND user_id = $2 FOR UPDATE",
        id,
        tx.user_id(),
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(|_| ())
    .ok_or_else(|| ApiError::not_found("journal"))
}

async fn reload(tx: &mut UserTx, id: uuid::Uuid) -> Result<JournalView, ApiError> {
    journals::view(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("journal"))
}
