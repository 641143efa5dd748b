//! Reading a multipart form with one file in it (an upload, an export to import): the file
//! is streamed to a scratch file as it arrives, never held in memory, within the upload size
//! limit, and given up when the client goes quiet; the other fields are short texts.

use axum::extract::multipart::{Field, MultipartError};
use axum::http::StatusCode;

use super::{text, ApiContext, ApiError};
use crate::scratch::{Spool, TempFile};

/// What a form's file is called, and what to say about it.
#[derive(Debug, Clone, Copy)]
pub struct FileForm {
    /// The file field's name.
    pub field: &'static str,
    /// The scratch file's suffix.
    pub suffix: &'static str,
    /// The answer to an empty file.
    pub empty: &'static str,
    /// The answer to a file over the limit (given the limit in bytes).
    pub too_large: fn(u64) -> ApiError,
    /// The longest text field, in bytes.
    pub max_text: usize,
}

impl FileForm {
    /// Streams the file field to a scratch file, enforcing the size limit as bytes arrive;
    /// the file is on disk (fsync) when this returns, so a row may refer to it.
    pub async fn receive(
        &self,
        context: &ApiContext,
        mut field: Field<'_>,
    ) -> Result<TempFile, ApiError> {
        let limit = context.limits.upload_bytes;
        let temp = TempFile::new_in(&context.scratch, self.suffix).map_err(ApiError::internal)?;
        let mut spool = Spool::create(temp.path()).map_err(ApiError::internal)?;
        let mut received: u64 = 0;
        loop {
            let chunk = match tokio::time::timeout(context.limits.upload_idle, field.chunk()).await
            {
                Err(_) => return Err(stalled()),
                Ok(result) => result.map_err(|e| self.error(e, limit))?,
            };
            let Some(chunk) = chunk else { break };
            received += chunk.len() as u64;
            if received > limit {
                return Err((self.too_large)(limit));
            }
            spool.write(&chunk).await.map_err(ApiError::internal)?;
        }
        if received == 0 {
            return Err(ApiError::invalid(self.field, self.empty));
        }
        spool.finish().await.map_err(ApiError::internal)?;
        Ok(temp)
    }

    /// A short text field, checked like every text (UTF-8, no NUL) as it arrives: a title
    /// sent before the file is refused before the file.
    pub async fn text(&self, field: Field<'_>, limit: u64) -> Result<String, ApiError> {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(|e| self.error(e, limit))?;
        if bytes.len() > self.max_text {
            return Err(ApiError::invalid(
                &name,
                format!("the field `{name}` is too long"),
            ));
        }
        let value = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::invalid(&name, format!("the field `{name}` is not UTF-8 text"))
        })?;
        text::check(&name, &value)?;
        Ok(value)
    }

    /// The answer to a form that could not be read.
    pub fn error(&self, error: MultipartError, limit: u64) -> ApiError {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return (self.too_large)(limit);
        }
        ApiError::bad_request(
            "invalid_form",
            format!(
                "the form could not be read ({}). Send it as multipart/form-data",
                error.body_text()
            ),
        )
    }
}

fn stalled() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the upload stalled; try again",
    )
}
