//! Receiving an export to import (a Day One zip): a multipart form whose file field is
//! `export`, streamed to a scratch file as it arrives, never held in memory, within the
//! upload size limit. Shared by the API's endpoint and the web import page, which also
//! sends its `csrf` field first.

use axum::extract::Multipart;
use axum::http::StatusCode;

use super::multipart::FileForm;
use super::{text, ApiContext, ApiError};
use crate::scratch::TempFile;

/// The form's file and its answers.
const FORM: FileForm = FileForm {
    field: "export",
    suffix: "zip",
    empty: "The export file is empty. Choose the .zip Day One made.",
    too_large,
    max_text: 4 * 1024,
};

/// Reads the form and returns the received file. With `csrf`, the form's `csrf` field must
/// come before the file and hold that token.
pub async fn receive(
    context: &ApiContext,
    mut multipart: Multipart,
    csrf: Option<&str>,
) -> Result<TempFile, ApiError> {
    let limit = context.limits.upload_bytes;
    let mut checked = csrf.is_none();
    let mut export = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| FORM.error(e, limit))?
    {
        let name = field.name().unwrap_or_default().to_string();
        match (name.as_str(), csrf) {
            ("csrf", Some(token)) => {
                let sent = FORM.text(field, limit).await?;
                checked =
                    crate::accounts::token::constant_time_eq(sent.as_bytes(), token.as_bytes());
            }
            ("export", _) if !checked => return Err(csrf_failed()),
            ("export", _) if export.is_some() => {
                return Err(
                    ApiError::bad_request("invalid_form", "Send one `export` file.")
                        .with_field("export"),
                )
            }
            ("export", _) => {
                if let Some(file_name) = field.file_name() {
                    text::check("export", file_name)?;
                }
                export = Some(FORM.receive(context, field).await?);
            }
            _ => drop(FORM.text(field, limit).await?),
        }
    }
    if !checked {
        return Err(csrf_failed());
    }
    export.ok_or_else(|| {
        ApiError::invalid(
            "export",
            "Attach the Day One export (its .zip file) as the `export` field.",
        )
    })
}

fn csrf_failed() -> ApiError {
    ApiError::forbidden(
        "csrf_failed",
        "This form did not come from your open Weft page (or that page is from an earlier session). Go back, reload the page and try again.",
    )
}

/// 413 for a file over the limit.
pub fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "An export can be at most {} MiB. Export fewer journals at a time from Day One.",
            limit.div_ceil(1024 * 1024)
        ),
    )
    .with_field("export")
}

/// The answer to an export that could not start an import.
pub fn start_error(error: crate::imports::runs::StartError) -> ApiError {
    use crate::imports::dayone::ExportError;
    use crate::imports::runs::StartError;
    match error {
        StartError::Export(ExportError::Io(error)) => ApiError::internal(error),
        StartError::Export(refused) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_export",
            refused.to_string(),
        )
        .with_field("export"),
        StartError::Database(error) => error.into(),
    }
}
