//! Imports from other journal apps: start one from an uploaded Day One export, and follow
//! its progress. The import runs in the background; its state is a row, read by id.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::export_upload::{self, start_error};
use crate::api::{ApiContext, ApiError, ApiJson};
use crate::imports::runs::{self, RunView};

/// The routes under /api/v1/imports.
pub fn router() -> OpenApiRouter<ApiContext> {
    // The upload's size is checked against the configured limit as it arrives.
    OpenApiRouter::new()
        .routes(routes!(start_dayone))
        .layer(DefaultBodyLimit::disable())
        .routes(routes!(import_run))
}

/// The multipart form of a Day One import (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DayOneForm {
    /// The .zip of Day One's JSON export.
    #[schema(format = Binary, content_media_type = "application/zip")]
    export: String,
}

/// Upload a Day One export and import it in the background.
///
/// Entries with a video or audio recording become journals (transcribed like any upload),
/// entries of text and photos become journals of notes (photos are not imported). An entry
/// imported before is not imported again.
#[utoipa::path(
    post, path = "/api/v1/imports/dayone", tag = "imports",
    request_body(content = DayOneForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "The import started; follow it at /api/v1/imports/{id}", body = RunView),
        (status = 400, description = "Malformed form", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, description = "The export is larger than the upload limit", body = ErrorBody),
        (status = 415, description = "Not a multipart form", body = ErrorBody),
        (status = 422, description = "No export attached, or not a Day One export zip", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn start_dayone(
    State(context): State<ApiContext>,
    current: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, ApiJson<RunView>), ApiError> {
    let multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the export as multipart/form-data with the zip in the `export` field.",
        )
    })?;
    let zip = export_upload::receive(&context, multipart, None).await?;
    let user_id = current.user.id;
    let id = runs::start_dayone(context.ingest(), user_id, zip)
        .await
        .map_err(start_error)?;
    let run = runs::find(&context.pool, user_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("import"))?;
    Ok((StatusCode::ACCEPTED, ApiJson(run)))
}

/// An import's state and report.
#[utoipa::path(
    get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = String, Path, description = "The import's id")),
    responses(
        (status = 200, body = RunView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such import of yours", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn import_run(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<ApiJson<RunView>, ApiError> {
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("import"))?;
    runs::find(&context.pool, current.user.id, id)
        .await?
        .map(ApiJson)
        .ok_or_else(|| ApiError::not_found("import"))
}
