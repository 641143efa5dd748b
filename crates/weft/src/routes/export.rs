//! GET /api/v1/export.zip: the signed-in user's whole journal, as a zip streamed while it
//! is written (the layout is in docs/export.md).

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::{download, ApiContext, ApiError};

/// The route of the export.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new().routes(routes!(export_zip))
}

/// Your whole journal as a zip: one folder per entry with its recording, transcripts (every
/// version) and notes, an `index.html` that plays it all offline, and `weft-export.json`,
/// which `weft import weft-export` reads. Streamed without a `Content-Length`; a download cut
/// short ends without the zip's closing directory.
#[utoipa::path(
    get, path = "/api/v1/export.zip", tag = "accounts",
    responses(
        (status = 200, description = "The zip, streamed", content_type = "application/zip",
         headers(("Content-Disposition" = String, description = "attachment; filename=\"weft-USERNAME-DATE.zip\""))),
        (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn export_zip(
    State(context): State<ApiContext>,
    current: CurrentUser,
) -> Result<Response, ApiError> {
    download::journal_zip(&context, &current.user).await
}
