//! "Download my journal": the signed-in user's whole journal as a zip, streamed as the
//! response body while it is written (no `Content-Length`: its size is known only at the
//! end). The API route and the account page both answer with it; only ever the journal of
//! the user the request is signed in as.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::{ApiContext, ApiError};
use crate::db::users::User;
use crate::export::{stream, ExportError, Exporter};

/// The file name a browser saves the zip under: `weft-USERNAME-YYYY-MM-DD.zip`, with only
/// letters, digits, `-` and `_` of the username.
fn file_name(user: &User) -> String {
    let name: String = user
        .username
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let day = chrono::Utc::now().format("%Y-%m-%d");
    if name.is_empty() {
        format!("weft-journal-{day}.zip")
    } else {
        format!("weft-{name}-{day}.zip")
    }
}

/// The response that streams `user`'s journal as a zip.
pub async fn journal_zip(context: &ApiContext, user: &User) -> Result<Response, ApiError> {
    let exporter = Exporter {
        pool: context.pool.clone(),
        storage: context.storage.clone(),
    };
    let body = stream::zip(exporter, user)
        .await
        .map_err(|error| match error {
            ExportError::Database(error) => ApiError::from(error),
            other => ApiError::internal(other),
        })?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(user));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
