//! Journals: upload, read, list, edit, delete, and their media.

pub(crate) mod edit;
mod media;
mod note;
mod on_this_day;
pub(crate) mod read;
pub(crate) mod tags;
pub(crate) mod transcript;
mod upload;

/// The answer to a file that is not a video (the resumable upload answers it too).
pub(crate) use upload::ingest_error;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::current::CurrentUser;
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::journals::JournalView;

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
        .routes(routes!(on_this_day::on_this_day))
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
        .routes(routes!(transcript::transcript_versions))
        .routes(routes!(transcript::restore_transcript_version))
        .routes(routes!(transcript::transcript_vtt))
        .routes(routes!(transcript::transcript_srt))
        .routes(routes!(tags::set_tags, tags::add_tag))
        .routes(routes!(tags::remove_tag))
}

/// One of the signed-in user's journals, or 404 (also for someone else's).
pub(crate) async fn load(
    context: &ApiContext,
    current: &CurrentUser,
    id: Uuid,
) -> Result<JournalView, ApiError> {
    Ok(context.journals().view(current.user.id, id).await?)
}
