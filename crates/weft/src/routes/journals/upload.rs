//! `POST /api/v1/journals`: a multipart upload of a video or a sound recording with its
//! title, location, notes and tags. The file is streamed to a scratch file (never held in
//! memory), checked with ffprobe, and only then stored and recorded. A JSON body instead
//! makes an entry of notes only (`note.rs`).

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use utoipa::ToSchema;

use super::note::NewNoteRequest;
use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::multipart::FileForm;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::journals::JournalView;
use crate::domain::{optional_text, Title, MAX_LOCATION_CHARS, MAX_NOTES_CHARS};
use crate::ingest::{Details, IngestError};
use crate::media::ToolError;
use crate::scratch::TempFile;

/// The multipart form of an upload (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The video (mp4, mov, webm or mkv) or sound recording (m4a, aac, mp3, ogg, opus, wav,
    /// flac or webm); a file with sound only makes an audio entry.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    video: String,
    /// 1 to 200 characters.
    title: String,
    location: Option<String>,
    notes: Option<String>,
    /// Comma-separated.
    tags: Option<String>,
}

/// The form's file and its answers.
const FORM: FileForm = FileForm {
    field: "video",
    suffix: "upload",
    empty: "the video file is empty",
    too_large,
    max_text: 64 * 1024,
};

/// Create a journal: upload a video or a sound recording (multipart), or write an entry of
/// notes only (JSON).
#[utoipa::path(
    post, path = "/api/v1/journals", tag = "journals",
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (NewNoteRequest = "application/json"),
    )),
    responses(
        (status = 201, description = "Created", body = JournalView),
        (status = 400, description = "Malformed form or JSON", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, description = "Imported before (importers only)", body = ErrorBody),
        (status = 413, description = "The file is larger than the limit", body = ErrorBody),
        (status = 415, description = "Neither a multipart form nor JSON, or the file is neither a video nor a sound recording", body = ErrorBody),
        (status = 422, description = "A field is missing or invalid", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn create_journal(
    State(context): State<ApiContext>,
    current: CurrentUser,
    request: Request,
) -> Result<(StatusCode, ApiJson<JournalView>), ApiError> {
    let headers = request.headers().clone();
    if is_json(&headers) {
        let body = ApiJson::<NewNoteRequest>::from_request(request, &context).await?;
        return super::note::create(&context, &current, body).await;
    }
    let multipart = Multipart::from_request(request, &context).await;
    let limit = context.limits.upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit.saturating_add(1024 * 1024)) {
        return Err(too_large(limit));
    }
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the journal as multipart/form-data with a `video` file and a `title`, or an entry of notes only as JSON.",
        )
    })?;

    let mut video: Option<TempFile> = None;
    let (mut title, mut location, mut notes, mut tag_list) = (None, None, None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| FORM.error(e, limit))?
    {
        match field.name().unwrap_or_default() {
            "video" => {
                if video.is_some() {
                    return Err(
                        ApiError::bad_request("invalid_form", "send one `video` file")
                            .with_field("video"),
                    );
                }
                video = Some(FORM.receive(&context, field).await?);
            }
            "title" => title = Some(FORM.text(field, limit).await?),
            "location" => location = Some(FORM.text(field, limit).await?),
            "notes" => notes = Some(FORM.text(field, limit).await?),
            "tags" => tag_list = Some(FORM.text(field, limit).await?),
            // Unknown fields are read and ignored, so newer clients work with older servers.
            _ => drop(FORM.text(field, limit).await?),
        }
    }
    let details = Details {
        title: Title::parse(title.as_deref().unwrap_or(""))?.into_string(),
        location: optional_text(location.as_deref(), "location", MAX_LOCATION_CHARS)?,
        notes: optional_text(notes.as_deref(), "notes", MAX_NOTES_CHARS)?,
        tags: crate::domain::parse_tag_list(tag_list.as_deref().unwrap_or(""))
            .map_err(|e| e.in_field("tags"))?,
        ..Details::default()
    };
    let video =
        video.ok_or_else(|| ApiError::invalid("video", "attach the video as the `video` field"))?;
    let view = context
        .ingest()
        .journal(current.user.id, video, details)
        .await
        .map_err(ingest_error)?;
    tracing::info!(journal_id = %view.journal.id, duration = view.journal.duration, "journal uploaded");
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Whether the body is JSON (`application/json` or `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        if limit >= 1024 * 1024 {
            format!("a video can be at most {} MiB", limit / (1024 * 1024))
        } else {
            format!("a video can be at most {limit} bytes")
        },
    )
    .with_field("video")
}

/// The answer to a file that is neither a video nor a sound recording Weft can keep,
/// whatever ffprobe said about it.
pub const NOT_A_VIDEO: &str = "This file is not a video or audio recording Weft can read. \
    Try an MP4, WebM or MOV video, or an M4A, MP3, Opus, WAV or FLAC recording.";

/// The answer to an upload (multipart or resumable) that did not become a journal.
pub(crate) fn ingest_error(error: IngestError) -> ApiError {
    match error {
        IngestError::NotAVideo(reason) => {
            // ffprobe's words ("Invalid data found when processing input") help the operator,
            // not the person uploading: they are logged, and the answer says what to do.
            tracing::info!(%reason, "an upload is not a video");
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                NOT_A_VIDEO,
            )
            .with_field("video")
        }
        IngestError::AlreadyImported(key) => ApiError::new(
            StatusCode::CONFLICT,
            "already_imported",
            format!("This entry was imported before ({key}); it was not added again."),
        ),
        IngestError::Tool(ToolError::Missing(tool)) => {
            ApiError::internal(anyhow::anyhow!("{tool} is not installed on the server"))
        }
        IngestError::Tool(ToolError::Timeout { .. })
        | IngestError::Tool(ToolError::Failed { .. }) => {
            tracing::warn!(%error, "a video could not be processed");
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable_video",
                "This video could not be read to its end. Check that the file is complete, and upload it again.",
            )
            .with_field("video")
        }
        IngestError::Storage(error) => {
            tracing::error!(%error, "storing a video failed");
            ApiError::unavailable("the media storage is unavailable; try again shortly")
        }
        IngestError::Database(error) => error.into(),
    }
}
