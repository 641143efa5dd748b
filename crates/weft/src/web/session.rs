//! Who is looking at a page, and the forms they post. Pages authenticate with the session
//! cookie exactly as the API does; a form carries the CSRF token in a hidden `csrf` field
//! where a script would send the `X-CSRF-Token` header.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::layout;
use super::viewer::{encode_component, Viewer};
use crate::accounts::token;
use crate::api::current::{session_token, CurrentUser};
use crate::api::ApiContext;
use crate::api::{text, ApiError};

/// The largest form body a page accepts (uploads go to the API, not through forms).
const FORM_BYTES: usize = 64 * 1024;

/// Why a page could not be shown: not signed in (go and sign in), or an API error, which
/// becomes a friendly page.
#[derive(Debug)]
pub enum WebError {
    SignIn { next: String },
    Api(ApiError),
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        WebError::Api(error)
    }
}

impl From<crate::domain::ValidationError> for WebError {
    fn from(error: crate::domain::ValidationError) -> Self {
        WebError::Api(error.into())
    }
}

impl From<sqlx::Error> for WebError {
    fn from(error: sqlx::Error) -> Self {
        WebError::Api(error.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next } => {
                Redirect::to(&format!("/signin?next={}", encode_component(&next))).into_response()
            }
            WebError::Api(error) => {
                let status = error.status();
                let message = error.message().to_string();
                // The API's own answer logs a server-side cause; only its status and
                // message reach the page.
                drop(error.into_response());
                (status, layout::error_page(status, &message)).into_response()
            }
        }
    }
}

/// A path to return to after signing in: only a local path, never another site.
pub fn safe_next(raw: Option<&str>) -> String {
    match raw {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => {
            next.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The page's own path and query, to come back to after signing in.
fn here(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into())
}

/// Authenticates the request by its session, without the API's CSRF header check: the
/// callers check the form field instead ([`Posted`]) or serve only safe methods.
pub(super) async fn authenticate(
    parts: &mut Parts,
    context: &ApiContext,
) -> Result<Viewer, WebError> {
    // After signing in, come back to the page; a form's target is no page to come back to.
    let next = if matches!(parts.method, Method::GET | Method::HEAD) {
        here(parts)
    } else {
        "/".to_string()
    };
    let sign_in = || WebError::SignIn { next: next.clone() };
    let Some((session, _)) = session_token(parts) else {
        return Err(sign_in());
    };
    let method = std::mem::replace(&mut parts.method, Method::GET);
    let result = CurrentUser::from_request_parts(parts, context).await;
    parts.method = method;
    match result {
        // Pages take only a session: a personal API token is for scripts, and a read-only
        // one must not post forms (the method was made GET above).
        Ok(current) if current.api_token.is_some() => Err(sign_in()),
        Ok(current) => Ok(Viewer {
            current,
            csrf: token::csrf_for(&session),
        }),
        Err(error) if error.status() == StatusCode::UNAUTHORIZED => Err(sign_in()),
        Err(error) => Err(error.into()),
    }
}

impl FromRequestParts<ApiContext> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        context: &ApiContext,
    ) -> Result<Self, Self::Rejection> {
        // A handler of an unsafe method must take `Posted`, which checks the CSRF field.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this page only answers GET",
            )
            .into());
        }
        authenticate(parts, context).await
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a signed-in person, its CSRF field checked.
#[derive(Debug)]
pub struct Posted<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<ApiContext> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, context: &ApiContext) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let viewer = authenticate(&mut parts, context).await?;
        let bytes = read_form(&parts, body).await?;
        let sent: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(bad_form)?;
        if !token::constant_time_eq(sent.csrf.as_bytes(), viewer.csrf.as_bytes()) {
            return Err(ApiError::forbidden(
                "csrf_failed",
                "this form did not come from your open Weft page (or that page is from an \
                 earlier session); go back, reload the page and try again",
            )
            .into());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(bad_form)?;
        Ok(Posted { viewer, form })
    }
}

/// A form posted before signing in (sign in, sign up). There is no session to tie a token
/// to yet, so it must come from this site: a browser's `Origin` header, when sent, names
/// this host.
#[derive(Debug)]
pub struct AnonymousForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<ApiContext> for AnonymousForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, _: &ApiContext) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        if !same_origin(&parts) {
            return Err(ApiError::forbidden(
                "cross_site_form",
                "this form was sent from another site; open Weft's own page to sign in",
            )
            .into());
        }
        let bytes = read_form(&parts, body).await?;
        Ok(AnonymousForm(
            serde_urlencoded::from_bytes(&bytes).map_err(bad_form)?,
        ))
    }
}

fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return true;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .is_some_and(|url| {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}{port}", url.host_str().unwrap_or("")) == host
        })
}

async fn read_form(parts: &Parts, body: axum::body::Body) -> Result<bytes::Bytes, WebError> {
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send this form as application/x-www-form-urlencoded",
        )
        .into());
    }
    let bytes = axum::body::to_bytes(body, FORM_BYTES).await.map_err(|_| {
        WebError::from(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "form_too_large",
            "that form is larger than a page ever sends",
        ))
    })?;
    if let Some(field) = text::nul_in_form(&bytes) {
        return Err(text::nul_error(&field).into());
    }
    Ok(bytes)
}

fn bad_form(error: serde_urlencoded::de::Error) -> WebError {
    ApiError::bad_request("invalid_form", format!("the form is incomplete: {error}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_next(Some("/entries/1?t=3")), "/entries/1?t=3");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "entries",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
