//! The signed-in user's tags: list with counts, rename or merge across all journals.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::auth::current::CurrentUser;
use crate::db::scoped;
use crate::db::tags::{self, TagCount};
use crate::server::ApiContext;

/// The routes under /api/v1/tags.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(list_tags))
        .routes(routes!(rename_tag))
}

/// Your tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    /// Most used first.
    pub items: Vec<TagCount>,
}

/// Your tags, with how many journals carry each.
#[utoipa::path(
    get, path = "/api/v1/tags", tag = "tags",
    responses((status = 200, body = TagList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn list_tags(
    State(context): State<ApiContext>,
    current: CurrentUser,
) -> Result<ApiJson<TagList>, ApiError> {
    let mut tx = scoped::begin_for_user(&context.pool, current.user.id).await?;
    let items = tags::counts_for_user(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(TagList { items }))
}

/// The new name of a tag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameTagRequest {
    /// An existing tag's name merges the two.
    pub to: String,
}

/// What a rename did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenamedTag {
    /// The tag's name now.
    pub tag: String,
    /// How many journals carried the old name.
    pub journals: u64,
}

/// Rename a tag on all your journals, or merge it into another.
#[utoipa::path(
    post, path = "/api/v1/tags/{tag}/rename", tag = "tags",
    params(("tag" = String, Path, description = "The tag to rename")),
    request_body = RenameTagRequest,
    responses(
        (status = 200, body = RenamedTag),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No journal of yours carries that tag", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn rename_tag(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(from): Path<String>,
    ApiJson(request): ApiJson<RenameTagRequest>,
) -> Result<ApiJson<RenamedTag>, ApiError> {
    let from = one_tag(&from, "tag")?.ok_or_else(|| ApiError::not_found("tag"))?;
    let to = one_tag(&request.to, "to")?
        .ok_or_else(|| ApiError::invalid("to", "the new name cannot be empty"))?;
    let mut tx = scoped::begin_for_user(&context.pool, current.user.id).await?;
    let journals = tags::rename(&mut tx, &from, &to).await?;
    if journals == 0 {
        return Err(ApiError::not_found("tag"));
    }
    tx.commit().await?;
    Ok(ApiJson(RenamedTag { tag: to, journals }))
}

/// One tag from a request, normalised; `None` when blank.
pub(crate) fn one_tag(raw: &str, field: &str) -> Result<Option<String>, ApiError> {
    tags::normalise(raw).map_err(|e| ApiError::invalid(field, e.to_string()))
}
