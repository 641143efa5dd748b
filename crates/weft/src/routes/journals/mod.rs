//! Journals: upload, read, list, edit, delete, and their media.

pub(crate) mod edit;
mod media;
pub mod page_cache;
pub(crate) mod read;
pub(crate) mod tags;
pub(crate) mod transcript;
mod upload;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiError;
use crate::auth::current::CurrentUser;
use crate::db::journals::{self, JournalView};
use crate::db::scoped;
use crate::server::ApiContext;

/// The routes under /api/v1/journals. `upload_bytes` is the upload size limit.
pub fn router(upload_bytes: u64) -> OpenApiRouter<ApiContext> {
    // The multipart body is bounded by the upload limit (plus room for the text fields),
    // not by the JSON limit that applies elsewhere.
    let body_limit =
        usize::try_from(upload_bytes.saturating_add(1024 * 1024)).unwrap_or(usize::MAX);
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload::create_journal))
        .layer(DefaultBodyLimit::max(body_limit));
    OpenApiRouter::new()
        .routes(routes!(read::list_journals))
        .merge(uploads)
        .routes(routes!(
            read::get_journal,
            edit::update_journal,
            edit::delete_journal
        ))
        .routes(routes!(media::video))
        .routes(routes!(media::thumbnail))
        .routes(routes!(
            transcript::get_transcript,
            transcript::correct_transcript
        ))
        .routes(routes!(transcript::retry_transcript))
        .routes(routes!(transcript::transcript_vtt))
        .routes(routes!(transcript::transcript_srt))
        .routes(routes!(tags::set_tags, tags::add_tag))
        .routes(routes!(tags::remove_tag))
}

/// Parses a journal id from the path; a malformed one is simply "not found".
pub(crate) fn journal_id(raw: &str) -> Result<Uuid, ApiError> {
    crate::api::parse_id(raw).ok_or_else(|| ApiError::not_found("journal"))
}

/// One of the signed-in user's journals, or 404 (also for someone else's).
pub(crate) async fn load(
    context: &ApiContext,
    current: &CurrentUser,
    id: Uuid,
) -> Result<JournalView, ApiError> {
    let mut tx = scoped::begin_for_user(&context.pool, current.user.id).await?;
    let view = journals::view(&mut tx, id).await?;
    tx.commit().await?;
    view.ok_or_else(|| ApiError::not_found("journal"))
}

/// Checks a title: 1 to 200 characters after trimming.
pub(crate) fn validate_title(raw: &str) -> Result<String, ApiError> {
    let title = raw.trim();
    match title.chars().count() {
        0 => Err(ApiError::invalid("title", "a journal needs a title")),
        1..=200 => Ok(title.to_string()),
        _ => Err(ApiError::invalid(
            "title",
            "a title has at most 200 characters",
        )),
    }
}

/// Checks an optional text field: trimmed, empty means none, at most `max` characters.
pub(crate) fn optional_text(
    raw: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("{field} has at most {max} characters"),
        ));
    }
    Ok(Some(text.to_string()))
}
