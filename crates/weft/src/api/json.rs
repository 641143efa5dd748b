//! `ApiJson<T>`: a JSON body whose every failure is an [`ApiError`] in the API's shape.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{text, ApiError};

/// A JSON request body (or response).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&request) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| unreadable(rejection.status(), rejection.body_text()))?;
        // Text PostgreSQL would refuse is turned away here, for every JSON endpoint at once,
        // and before the shape is checked: whatever field holds it, the answer is the same.
        if let Some(field) = text::nul_in_json(&bytes) {
            return Err(text::nul_error(&field));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes).map_err(rejection_to_error)?;
        Ok(ApiJson(value))
    }
}

/// `Content-Type: application/json`, or another JSON type (`application/*+json`).
fn is_json(request: &Request) -> bool {
    let Some(value) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn rejection_to_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => not_json(),
        JsonRejection::JsonSyntaxError(error) => ApiError::bad_request(
            "invalid_json",
            format!("the body is not valid JSON: {}", error.body_text()),
        ),
        JsonRejection::JsonDataError(error) => {
            // serde's message names the field: "missing field `password`" or
            // "username: invalid type ...".
            let text = error.body_text();
            let detail = text
                .split_once(": ")
                .map(|(_, d)| d)
                .unwrap_or(&text)
                .to_string();
            let field = field_of(&detail);
            let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail);
            match field {
                Some(field) => error.with_field(field),
                None => error,
            }
        }
        other => unreadable(other.status(), other.body_text()),
    }
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON, with Content-Type: application/json",
    )
}

/// A body that could not be read: too large, or cut off.
fn unreadable(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        )
    } else {
        ApiError::bad_request("invalid_body", text)
    }
}

/// Pulls a field name out of serde's messages ("missing field `x`", "x: invalid type").
fn field_of(detail: &str) -> Option<String> {
    if let Some(rest) = detail.split_once('`').map(|(_, r)| r) {
        if detail.starts_with("missing field") || detail.starts_with("unknown field") {
            return rest.split_once('`').map(|(f, _)| f.to_string());
        }
    }
    let (path, _) = detail.split_once(": ")?;
    (!path.contains(' ')).then(|| path.to_string())
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn field_names_are_read_from_serde_messages() {
        assert_eq!(
            field_of("missing field `password` at line 1 column 2").as_deref(),
            Some("password")
        );
        assert_eq!(
            field_of("username: invalid type: integer `3`, expected a string").as_deref(),
            Some("username")
        );
        assert_eq!(field_of("invalid type: map, expected a string"), None);
    }
}
