//! `GET /account/export.zip`: "Download my journal" on the account page, the same streamed
//! zip as the API's `/api/v1/export.zip`, of the signed-in user only.

use axum::extract::State;
use axum::response::Response;

use super::session::WebError;
use super::viewer::Viewer;
use crate::api::{download, ApiContext};

/// GET /account/export.zip.
pub async fn download(
    State(context): State<ApiContext>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    Ok(download::journal_zip(&context, &viewer.current.user).await?)
}
