//! `POST /api/v1/journals` with a JSON body: an entry of notes only, without a recording.
//! The same path takes a multipart upload (`upload.rs`); the body's content type decides.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::current::CurrentUser;
use crate::api::{ApiContext, ApiError, ApiJson};
use crate::db::journals::JournalView;
use crate::domain::{optional_text, Title, MAX_LOCATION_CHARS, MAX_NOTES_CHARS};
use crate::ingest::Details;

/// An entry of notes only.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewNoteRequest {
    /// 1 to 200 characters.
    pub title: String,
    /// The entry's text, up to 20,000 characters.
    pub notes: Option<String>,
    pub location: Option<String>,
    /// Tags, normalised like every tag.
    #[serde(default)]
    pub tags: Vec<String>,
    /// When the entry was written (RFC 3339); now when left out.
    pub created_at: Option<DateTime<Utc>>,
}

/// Makes the entry of a JSON body (already read and checked for NUL by `ApiJson`).
pub(super) async fn create(
    context: &ApiContext,
    current: &CurrentUser,
    ApiJson(request): ApiJson<NewNoteRequest>,
) -> Result<(StatusCode, ApiJson<JournalView>), ApiError> {
    let details = Details {
        title: Title::parse(&request.title)?.into_string(),
        location: optional_text(request.location.as_deref(), "location", MAX_LOCATION_CHARS)?,
        notes: optional_text(request.notes.as_deref(), "notes", MAX_NOTES_CHARS)?,
        tags: crate::domain::Tag::parse_all(request.tags.iter().map(String::as_str))
            .map_err(|e| e.in_field("tags"))?,
        created_at: request.created_at,
        ..Details::default()
    };
    let view = context
        .ingest()
        .note(current.user.id, details)
        .await
        .map_err(super::upload::ingest_error)?;
    tracing::info!(journal_id = %view.journal.id, "note written");
    Ok((StatusCode::CREATED, ApiJson(view)))
}
