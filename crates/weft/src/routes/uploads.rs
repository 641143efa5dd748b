//! `/api/v1/uploads`: resumable uploads with the tus 1.0 protocol (core, creation,
//! creation-with-upload, termination, expiration and checksum). A finished upload becomes a
//! journal like a multipart upload; the final PATCH says which in `Weft-Journal-Id` and
//! `Weft-Journal-Location`, and so does a HEAD of the finished upload. The work is the
//! `uploads` service's; this file reads and writes the protocol's headers.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::journals::ingest_error;
use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::{parse_id, text, ApiContext, ApiError};
use crate::uploads::checksum::{self, Checksum};
use crate::uploads::metadata::MetadataError;
use crate::uploads::{Status, UploadError};

/// The protocol version spoken.
const TUS_VERSION: &str = "1.0.0";
/// The extensions supported, as `Tus-Extension` lists them.
const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
/// The content type of a PATCH's body.
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// The routes under /api/v1/uploads.
pub fn router() -> OpenApiRouter<ApiContext> {
    // The bytes are counted against the upload's length as they arrive.
    OpenApiRouter::new()
        .routes(routes!(options, create))
        .routes(routes!(head, patch, terminate))
        .layer(DefaultBodyLimit::disable())
}

/// The tus server's capabilities (no authentication needed).
#[utoipa::path(
    options, path = "/api/v1/uploads", tag = "uploads",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size and Tus-Checksum-Algorithm headers")),
)]
pub(crate) async fn options(State(context): State<ApiContext>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    tus_headers(headers);
    put(headers, "tus-version", TUS_VERSION);
    put(headers, "tus-extension", EXTENSIONS);
    put(
        headers,
        "tus-max-size",
        &context.limits.upload_bytes.to_string(),
    );
    put(headers, "tus-checksum-algorithm", checksum::ALGORITHMS);
    response
}

/// Create a resumable upload (tus creation, creation-with-upload).
///
/// `Upload-Length` is the file's size; `Upload-Metadata` carries `title` (required),
/// `tags` (comma-separated), `location`, `notes` and `filename`, each base64. A body of
/// type `application/offset+octet-stream` is the upload's first bytes.
#[utoipa::path(
    post, path = "/api/v1/uploads", tag = "uploads",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "The size of the whole file in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "Comma-separated `key base64(value)` pairs: title, tags, location, notes, filename"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "Optional: the first bytes"),
    responses(
        (status = 201, description = "Created; `Location` is the upload's URL, `Upload-Offset` what the body brought"),
        (status = 400, description = "A header is missing or malformed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 412, description = "Tus-Resumable is not 1.0.0", body = ErrorBody),
        (status = 413, description = "Upload-Length is over the limit", body = ErrorBody),
        (status = 422, description = "The metadata is invalid (a title is required)", body = ErrorBody),
        (status = 429, description = "Too many unfinished uploads", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn create(
    State(context): State<ApiContext>,
    current: CurrentUser,
    request: Request,
) -> Response {
    respond(create_upload(context, current, request).await)
}

async fn create_upload(
    context: ApiContext,
    current: CurrentUser,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers().clone();
    check_version(&headers)?;
    if headers.contains_key("upload-defer-length") {
        return Err(ApiError::bad_request(
            "invalid_header",
            "Upload-Defer-Length is not supported: send Upload-Length with the file's size",
        ));
    }
    let length = number(&headers, "upload-length")?;
    let metadata = header_text(&headers, "upload-metadata")?;
    let uploads = context.uploads();
    let created = uploads
        .create(current.user.id, length, metadata.as_deref())
        .await
        .map_err(upload_error)?;
    let location = format!("/api/v1/uploads/{}", created.id);
    let with_bytes =
        is_offset_stream(&headers) && content_length(&headers).is_none_or(|length| length > 0);
    let status = if with_bytes {
        let body = body_stream(request.into_body());
        match uploads
            .append(
                current.user.id,
                created.id,
                0,
                content_length(&headers),
                checksum_of(&headers)?,
                body,
            )
            .await
        {
            Ok(status) => status,
            // The upload exists: the client learns where, and resumes with HEAD.
            Err(error) => {
                let mut response = upload_error(error).into_response();
                put(response.headers_mut(), "location", &location);
                return Ok(response);
            }
        }
    } else {
        created
    };
    let mut response = StatusCode::CREATED.into_response();
    put(response.headers_mut(), "location", &location);
    status_headers(response.headers_mut(), &status);
    Ok(response)
}

/// Where an upload stands (tus core).
///
/// A finished upload also answers `Weft-Journal-Id` and `Weft-Journal-Location`.
#[utoipa::path(
    head, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(
        ("id" = String, Path, description = "The upload's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 200, description = "Upload-Offset, Upload-Length, Upload-Metadata and Upload-Expires"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such upload of yours", body = ErrorBody),
        (status = 410, description = "The upload expired", body = ErrorBody),
        (status = 412, description = "Tus-Resumable is not 1.0.0", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn head(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        check_version(&headers)?;
        let id = upload_id(&id)?;
        let status = context
            .uploads()
            .status(current.user.id, id)
            .await
            .map_err(upload_error)?;
        let mut response = StatusCode::OK.into_response();
        let out = response.headers_mut();
        status_headers(out, &status);
        put(out, "upload-length", &status.length.to_string());
        if let Ok(value) = HeaderValue::from_str(&status.metadata.header()) {
            out.insert(HeaderName::from_static("upload-metadata"), value);
        }
        put(out, "cache-control", "no-store");
        Ok(response)
    }
    .await;
    respond(result)
}

/// Send bytes at the upload's offset (tus core, checksum).
///
/// The answer's `Upload-Offset` is the new offset. The PATCH that brings the last byte
/// answers once the upload is a journal: `Weft-Journal-Id` and `Weft-Journal-Location`
/// name it (415 when the file is neither a video nor a sound recording: the upload is
/// then removed).
#[utoipa::path(
    patch, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(
        ("id" = String, Path, description = "The upload's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes start: the upload's current offset"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 BASE64` or `sha256 BASE64` of this body"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Received; Upload-Offset is the new offset, and the journal's headers when finished"),
        (status = 400, description = "A header is missing or malformed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Signed in by cookie without the CSRF header", body = ErrorBody),
        (status = 404, description = "No such upload of yours", body = ErrorBody),
        (status = 408, description = "The client stalled; the bytes before are kept", body = ErrorBody),
        (status = 409, description = "Upload-Offset is not the upload's offset", body = ErrorBody),
        (status = 410, description = "The upload expired", body = ErrorBody),
        (status = 412, description = "Tus-Resumable is not 1.0.0", body = ErrorBody),
        (status = 413, description = "More bytes than remain of the upload", body = ErrorBody),
        (status = 415, description = "Not application/offset+octet-stream, or the finished file is not a video", body = ErrorBody),
        (status = 423, description = "Another request is sending to this upload", body = ErrorBody),
        (status = 460, description = "The checksum does not match; nothing of this PATCH was kept", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn patch(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let result = async {
        let headers = request.headers().clone();
        check_version(&headers)?;
        let id = upload_id(&id)?;
        if !is_offset_stream(&headers) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the bytes of a PATCH as application/offset+octet-stream.",
            ));
        }
        let offset = number(&headers, "upload-offset")?;
        let checksum = checksum_of(&headers)?;
        let status = context
            .uploads()
            .append(
                current.user.id,
                id,
                offset,
                content_length(&headers),
                checksum,
                body_stream(request.into_body()),
            )
            .await
            .map_err(upload_error)?;
        let mut response = StatusCode::NO_CONTENT.into_response();
        status_headers(response.headers_mut(), &status);
        Ok(response)
    }
    .await;
    respond(result)
}

/// Delete an unfinished upload and its bytes (tus termination).
#[utoipa::path(
    delete, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(
        ("id" = String, Path, description = "The upload's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Signed in by cookie without the CSRF header", body = ErrorBody),
        (status = 404, description = "No such upload of yours", body = ErrorBody),
        (status = 412, description = "Tus-Resumable is not 1.0.0", body = ErrorBody),
        (status = 423, description = "Another request is sending to this upload", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn terminate(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        check_version(&headers)?;
        let id = upload_id(&id)?;
        context
            .uploads()
            .terminate(current.user.id, id)
            .await
            .map_err(upload_error)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }
    .await;
    respond(result)
}

/// Every answer, errors too, says `Tus-Resumable`.
fn respond(result: Result<Response, ApiError>) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    tus_headers(response.headers_mut());
    if response.status() == StatusCode::PRECONDITION_FAILED {
        put(response.headers_mut(), "tus-version", TUS_VERSION);
    }
    response
}

fn tus_headers(headers: &mut HeaderMap) {
    put(headers, "tus-resumable", TUS_VERSION);
}

fn put(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

fn status_headers(headers: &mut HeaderMap, status: &Status) {
    put(headers, "upload-offset", &status.offset.to_string());
    put(
        headers,
        "upload-expires",
        &httpdate::fmt_http_date(std::time::SystemTime::from(status.expires_at)),
    );
    if let Some(journal_id) = status.journal_id {
        put(headers, "weft-journal-id", &journal_id.to_string());
        put(
            headers,
            "weft-journal-location",
            &format!("/api/v1/journals/{journal_id}"),
        );
    }
}

fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "unsupported_version",
            "Send Tus-Resumable: 1.0.0 with every request; this server speaks tus 1.0.0.",
        )),
    }
}

fn upload_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    parse_id(raw).ok_or_else(|| ApiError::not_found("upload"))
}

fn header_text(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    headers
        .get(name)
        .map(|value| {
            value.to_str().map(str::to_string).map_err(|_| {
                ApiError::bad_request("invalid_header", format!("{name} must be ASCII text"))
            })
        })
        .transpose()
}

fn number(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    let raw = header_text(headers, name)?.ok_or_else(|| {
        ApiError::bad_request("invalid_header", format!("send the {name} header"))
    })?;
    // Digits only: no sign, no spaces, as tus wants a non-negative integer.
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "invalid_header",
            format!("{name} must be a non-negative whole number of bytes"),
        ));
    }
    raw.parse().map_err(|_| {
        ApiError::bad_request("invalid_header", format!("{name} is too large a number"))
    })
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn is_offset_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

fn checksum_of(headers: &HeaderMap) -> Result<Option<Checksum>, ApiError> {
    header_text(headers, "upload-checksum")?
        .map(|value| {
            Checksum::parse(&value).map_err(|message| {
                ApiError::bad_request("invalid_checksum", message).with_field("Upload-Checksum")
            })
        })
        .transpose()
}

fn body_stream(body: Body) -> crate::uploads::Body {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

fn upload_error(error: UploadError) -> ApiError {
    match error {
        UploadError::NotFound => ApiError::not_found("upload"),
        UploadError::Expired => ApiError::new(
            StatusCode::GONE,
            "upload_expired",
            "This upload expired and its bytes were removed; start a new upload.",
        ),
        UploadError::Locked => ApiError::new(
            StatusCode::LOCKED,
            "upload_busy",
            "Another request is sending to this upload; wait for it to end, then HEAD the upload and resume.",
        ),
        UploadError::OffsetMismatch { expected } => ApiError::new(
            StatusCode::CONFLICT,
            "offset_mismatch",
            format!("Upload-Offset must be {expected}, the bytes the server has; HEAD the upload and resume from there."),
        ),
        UploadError::TooLarge { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            if limit >= 1024 * 1024 {
                format!("a video can be at most {} MiB", limit / (1024 * 1024))
            } else {
                format!("a video can be at most {limit} bytes")
            },
        )
        .with_field("Upload-Length"),
        UploadError::PastTheEnd { remaining } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("This PATCH is longer than the {remaining} bytes that remain of the upload; send no more than Upload-Length."),
        ),
        UploadError::TooMany { cap } => ApiError::too_many_requests(
            60,
            format!("You have {cap} unfinished uploads already; finish or delete one before starting another."),
        ),
        UploadError::Metadata(MetadataError::Malformed(message)) => {
            ApiError::bad_request("invalid_metadata", message).with_field("Upload-Metadata")
        }
        UploadError::Metadata(MetadataError::Nul(field)) => text::nul_error(&field),
        UploadError::Metadata(MetadataError::Invalid(error)) => error.into(),
        UploadError::ChecksumMismatch => ApiError::new(
            StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            "checksum_mismatch",
            "The bytes do not match Upload-Checksum; none of them were kept. Send them again.",
        ),
        UploadError::BadChecksum(message) => ApiError::bad_request("invalid_checksum", message),
        UploadError::Stalled { offset } => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("The upload stalled; the server kept {offset} bytes. HEAD the upload and resume."),
        ),
        UploadError::ClientGone { offset } => ApiError::bad_request(
            "incomplete_body",
            format!("The body ended early; the server kept {offset} bytes. HEAD the upload and resume."),
        ),
        UploadError::BytesLost => ApiError::new(
            StatusCode::GONE,
            "upload_lost",
            "This upload's bytes are no longer on the server; start a new upload.",
        ),
        UploadError::Ingest(error) => ingest_error(error),
        UploadError::Storage(error) => {
            tracing::error!(%error, "an upload's bytes could not be stored");
            ApiError::unavailable("the upload storage is unavailable; try again shortly")
        }
        UploadError::Database(error) => error.into(),
    }
}
