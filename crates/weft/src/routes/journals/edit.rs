//! Changing and deleting a journal.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::journal_id;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::journals::{JournalChanges, JournalView};
use crate::domain::{optional_text, Title, MAX_LOCATION_CHARS, MAX_NOTES_CHARS};

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
        title: request
            .title
            .as_deref()
            .map(Title::parse)
            .transpose()?
            .map(Title::into_string),
        location: request
            .location
            .map(|v| optional_text(v.as_deref(), "location", MAX_LOCATION_CHARS))
            .transpose()?,
        notes: request
            .notes
            .map(|v| optional_text(v.as_deref(), "notes", MAX_NOTES_CHARS))
            .transpose()?,
    };
    let view = context
        .journals()
        .edit(current.user.id, id, &changes, None)
        .await?;
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
    context.journals().delete(current.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
