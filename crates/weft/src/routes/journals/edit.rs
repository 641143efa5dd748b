//! Changing and deleting a journal.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::{journal_id, optional_text, validate_title};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::auth::current::CurrentUser;
use crate::db::journals::{self, JournalChanges, JournalView};
use crate::db::scoped;
use crate::ingest::thumbnail_key;
use crate::server::ApiContext;

/// Fields to change; a field left out stays as it is, `null` clears location or notes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateJournalRequest {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// Tells "absent" (None) from "null" (Some(None)).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Change a journal's title, location or notes.
#[utoipa::path(
    patch, path = "/api/v1/journals/{id}", tag = "journals",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    request_body = UpdateJournalRequest,
    responses(
        (status = 200, body = JournalView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn update_journal(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateJournalRequest>,
) -> Result<ApiJson<JournalView>, ApiError> {
    let id = journal_id(&id)?;
    let changes = JournalChanges {
        title: request.title.as_deref().map(validate_title).transpose()?,
        location: request
            .location
            .map(|v| optional_text(v.as_deref(), "location", 500))
            .transpose()?,
        notes: request
            .notes
            .map(|v| optional_text(v.as_deref(), "notes", 20_000))
            .transpose()?,
    };
    let user = current.user.id;
    let mut tx = scoped::begin_for_user(&context.pool, user).await?;
    journals::update(&mut tx, id, &changes)
        .await?
        .ok_or_else(|| ApiError::not_found("journal"))?;
    let view = journals::view(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("journal"))?;
    tx.commit().await?;
    Ok(ApiJson(view))
}

/// Delete a journal with its transcripts, tags, video and thumbnail.
#[utoipa::path(
    delete, path = "/api/v1/journals/{id}", tag = "journals",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn delete_journal(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = journal_id(&id)?;
    let user = current.user.id;
    let mut tx = scoped::begin_for_user(&context.pool, user).await?;
    let journal = journals::delete(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("journal"))?;
    tx.commit().await?;
    // The row is gone first: a file whose removal fails is an orphan for the sweep, never a
    // row pointing at nothing.
    for key in [journal.video_path, thumbnail_key(user, id)] {
        if let Err(error) = context.storage.delete(&key).await {
            tracing::warn!(%error, key, "could not remove a deleted journal's file");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
