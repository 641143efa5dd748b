//! axum's own extractors answer a request they cannot read (a query string or a path that does
//! not parse, a body over the limit) in plain text. Under /api/ every error has the JSON shape
//! of [`ApiError`], whatever produced it: this middleware rewrites those answers, so that no
//! route can forget to.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The most of a plain-text error message that is kept.
const MAX_MESSAGE: usize = 500;

/// Rewrites plain-text error answers of /api/ routes into the JSON error shape.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !api || !plain || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let message: String = if status.is_server_error() {
        // Details of a server-side failure are for the log, never for the client.
        tracing::error!(%status, detail = %text, "request failed");
        "something went wrong on the server; it has been logged".to_string()
    } else if text.trim().is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_string()
    } else {
        text.trim().chars().take(MAX_MESSAGE).collect()
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_field",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let mut rewritten = ApiError::new(status, code, message).into_response();
    // Other headers (Allow, Retry-After, ...) still apply; the body's own do not.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().append(name.clone(), value.clone());
        }
    }
    rewritten
}
