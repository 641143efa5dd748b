//! A journal's recording, video or sound (with Range requests, so players can seek), and a
//! video's thumbnail. Both work with the session cookie, so `<video src>`, `<audio src>`
//! and `<img src>` can use them. An entry of notes only has neither: 404 with a sentence.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::load;
use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::journal_id;
use crate::api::range::{self, RangeRequest};
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::domain::Media;
use crate::ingest::thumbnail_key;
use crate::media::probe::Container;
use crate::storage::StorageError;

fn storage_error(error: StorageError) -> ApiError {
    match error {
        StorageError::NotFound(key) => {
            tracing::error!(key, "a journal's file is missing from storage");
            ApiError::not_found("video file")
        }
        other => {
            tracing::error!(error = %other, "reading from storage failed");
            ApiError::unavailable("the media storage is unavailable; try again shortly")
        }
    }
}

/// The 404 of an entry without the file asked for.
fn no_file(message: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_recording", message)
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The journal's recording: its video, or its sound for an audio entry. Supports `Range`
/// (206, 416), `If-Range`, `If-None-Match`.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}/video", tag = "journals",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses(
        (status = 200, description = "The whole recording (video/*, or audio/* for an audio entry)", content_type = "video/mp4"),
        (status = 206, description = "The requested byte range"),
        (status = 304, description = "Not modified"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such journal, or an entry of notes only", body = ErrorBody),
        (status = 416, description = "The range lies outside the file"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn video(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = load(&context, &current, journal_id(&id)?).await?;
    if !view.journal.media.has_recording() {
        return Err(no_file(
            "This entry has notes only: there is no recording to play.",
        ));
    }
    let key = view.journal.video_path;
    let info = context.storage.head(&key).await.map_err(storage_error)?;
    let size = info.size;
    // A journal's video never changes, so its id and size identify the bytes.
    let etag = format!("\"{}-{size}\"", view.journal.id.simple());
    let last_modified = view
        .journal
        .created_at
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let content_type = std::path::Path::new(&key)
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Container::from_extension)
        .map(Container::content_type)
        .unwrap_or("application/octet-stream");

    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(header::ETAG, header_value(&etag));
    response_headers.insert(header::LAST_MODIFIED, header_value(&last_modified));
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );

    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::IF_NONE_MATCH)
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    // If-Range: honour the range only while the client's copy is still current.
    let range_allowed = match text(header::IF_RANGE) {
        None => true,
        Some(value) => value == etag || value == last_modified,
    };
    let request = if range_allowed {
        range::parse(text(header::RANGE), size)
    } else {
        RangeRequest::Full
    };
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    match request {
        RangeRequest::Unsatisfiable => {
            response_headers.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{size}")),
            );
            Ok((StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response())
        }
        RangeRequest::Partial(range) => {
            response_headers.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {}-{}/{size}", range.start, range.end - 1)),
            );
            response_headers.insert(
                header::CONTENT_LENGTH,
                header_value(&(range.end - range.start).to_string()),
            );
            let stream = context
                .storage
                .get(&key, Some(range))
                .await
                .map_err(storage_error)?;
            Ok((
                StatusCode::PARTIAL_CONTENT,
                response_headers,
                Body::from_stream(stream),
            )
                .into_response())
        }
        RangeRequest::Full => {
            response_headers.insert(header::CONTENT_LENGTH, header_value(&size.to_string()));
            let stream = context
                .storage
                .get(&key, None)
                .await
                .map_err(storage_error)?;
            Ok((StatusCode::OK, response_headers, Body::from_stream(stream)).into_response())
        }
    }
}

/// The journal's thumbnail (JPEG); only a video entry has one.
#[utoipa::path(
    get, path = "/api/v1/journals/{id}/thumbnail", tag = "journals",
    params(("id" = uuid::Uuid, Path, description = "Journal id")),
    responses(
        (status = 200, description = "A JPEG image", content_type = "image/jpeg"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such journal, or an audio or notes-only entry", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn thumbnail(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = load(&context, &current, journal_id(&id)?).await?;
    if view.journal.media != Media::Video {
        return Err(no_file(
            "Only a video entry has a thumbnail; this entry has none.",
        ));
    }
    let bytes = context
        .storage
        .get_bytes(&thumbnail_key(current.user.id, view.journal.id))
        .await
        .map_err(storage_error)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}
