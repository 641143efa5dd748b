//! Receiving an export to import (a Day One zip): a multipart form whose file field is
//! `export`, streamed to a scratch file as it arrives, never held in memory, within the
//! upload size limit. Shared by the API's endpoint and the web import page, which also
//! sends its `csrf` field first.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::Multipart;
use axum::http::StatusCode;
use tokio::io::AsyncWriteExt;

use super::{text, ApiContext, ApiError};
use crate::scratch::TempFile;

/// Largest text field of the form.
const MAX_TEXT_FIELD: usize = 4 * 1024;

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
        .map_err(|e| form_error(e, limit))?
    {
        let name = field.name().unwrap_or_default().to_string();
        match (name.as_str(), csrf) {
            ("csrf", Some(token)) => {
                let sent = small_text(field, limit).await?;
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
                export = Some(file(context, field, limit).await?);
            }
            _ => drop(small_text(field, limit).await?),
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

fn form_error(error: MultipartError, limit: u64) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(limit);
    }
    ApiError::bad_request(
        "invalid_form",
        format!(
            "The form could not be read ({}). Send it as multipart/form-data.",
            error.body_text()
        ),
    )
}

async fn file(
    context: &ApiContext,
    mut field: Field<'_>,
    limit: u64,
) -> Result<TempFile, ApiError> {
    let temp = TempFile::new_in(&context.scratch, "zip").map_err(ApiError::internal)?;
    let mut file = tokio::fs::File::create(temp.path())
        .await
        .map_err(ApiError::internal)?;
    let mut received: u64 = 0;
    loop {
        let chunk = match tokio::time::timeout(context.limits.upload_idle, field.chunk()).await {
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    "The upload stalled. Try again.",
                ))
            }
            Ok(result) => result.map_err(|e| form_error(e, limit))?,
        };
        let Some(chunk) = chunk else { break };
        received += chunk.len() as u64;
        if received > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if received == 0 {
        return Err(ApiError::invalid(
            "export",
            "The export file is empty. Choose the .zip Day One made.",
        ));
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok(temp)
}

async fn small_text(field: Field<'_>, limit: u64) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_string();
    let bytes = field.bytes().await.map_err(|e| form_error(e, limit))?;
    if bytes.len() > MAX_TEXT_FIELD {
        return Err(ApiError::invalid(
            &name,
            format!("The field `{name}` is too long."),
        ));
    }
    let value = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::invalid(&name, format!("The field `{name}` is not UTF-8 text.")))?;
    text::check(&name, &value)?;
    Ok(value)
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
