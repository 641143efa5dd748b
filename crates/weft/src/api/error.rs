//! One error type for every endpoint: a status, a stable machine-readable `code`, a message
//! for people, and the offending `field` when there is one. Server-side failures are logged
//! with their details; the client only learns that something went wrong.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_field`, `not_found`, `conflict`, ...
    pub code: String,
    /// For people; may change wording between versions.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error answer. Build it with the constructors below.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
    /// Logged, never sent.
    source: Option<anyhow::Error>,
}

impl ApiError {
    /// An error with any status and code; the message is sent as a sentence.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: crate::util::sentence(&message.into()),
            field: None,
            retry_after: None,
            source: None,
        }
    }

    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: not signed in, or the session is gone.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in first: send a session token as `Authorization: Bearer TOKEN` or the session cookie",
        )
    }

    /// 403.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404. Another user's resource is also "not found", never "forbidden".
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 409: a unique value is taken.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message).with_field(field)
    }

    /// 422: a field's value is not acceptable.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field(field)
    }

    /// 429, with the seconds to wait.
    pub fn too_many_requests(retry_after: u64, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message);
        error.retry_after = Some(retry_after.max(1));
        error
    }

    /// 503: a dependency (the database) is down; try again.
    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
        error.retry_after = Some(5);
        error
    }

    /// 500, with the cause kept for the log.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged",
        );
        error.source = Some(source.into());
        error
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The accounts service's refusals, with the codes and sentences the API documents.
impl From<crate::accounts::AccountError> for ApiError {
    fn from(error: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError;
        use crate::db::users::UniqueField;
        match error {
            AccountError::Invalid(error) => error.into(),
            AccountError::RegistrationClosed => Self::forbidden(
                "registration_closed",
                "registration is closed on this server; ask its operator for an account",
            ),
            AccountError::PasswordSignInOff => Self::forbidden(
                "password_signin_off",
                "password sign-in is turned off on this server; sign in with single sign-on on \
                 the sign-in page",
            ),
            AccountError::Taken(UniqueField::Username) => {
                Self::conflict("username", "that username is already taken")
            }
            AccountError::Taken(UniqueField::Email) => {
                Self::conflict("email", "an account with that email address already exists")
            }
            AccountError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username, email or password",
            ),
            AccountError::WrongPassword { field } => {
                Self::invalid(&field, "the current password is not correct")
            }
            error @ AccountError::Throttled { seconds, .. } => {
                Self::too_many_requests(seconds, error.to_string())
            }
            AccountError::Database(error) => error.into(),
            AccountError::Hashing(error) => error.into(),
        }
    }
}

/// The journals service's refusals, with the codes and sentences the API documents.
impl From<crate::journals::JournalError> for ApiError {
    fn from(error: crate::journals::JournalError) -> Self {
        use crate::journals::JournalError;
        match error {
            JournalError::NotFound => Self::not_found("journal"),
            JournalError::TagNotFound => Self::not_found("tag"),
            JournalError::VersionNotFound => Self::not_found("version"),
            JournalError::Invalid(error) => error.into(),
            JournalError::TranscriptionOff => Self::new(
                StatusCode::CONFLICT,
                "transcription_off",
                "transcription is turned off on this server (WEFT_TRANSCRIBER=none)",
            ),
            JournalError::AlreadyQueued => Self::new(
                StatusCode::CONFLICT,
                "already_queued",
                "a transcription of this journal is already queued or running",
            ),
            JournalError::NoRecording => Self::new(
                StatusCode::CONFLICT,
                "no_recording",
                "This entry has notes only and no recording to transcribe.",
            ),
            JournalError::Database(error) => error.into(),
        }
    }
}

/// A value refused by the domain's rules: 422 `invalid_field`, naming the field.
impl From<crate::domain::ValidationError> for ApiError {
    fn from(error: crate::domain::ValidationError) -> Self {
        Self::invalid(&error.field, error.message)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut => {
                crate::metrics::registry().pool_timed_out();
                tracing::warn!(%error, "no database connection became free in time");
                ApiError::unavailable(
                    "no database connection became free in time: the server is busy or the \
                     database is down; try again shortly",
                )
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(%error, "database unavailable");
                ApiError::unavailable("the database is unavailable; try again shortly")
            }
            sqlx::Error::Database(db)
                if db
                    .code()
                    .as_deref()
                    .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
            {
                tracing::warn!(%error, "database unavailable");
                ApiError::unavailable("the database is unavailable; try again shortly")
            }
            // Text PostgreSQL refuses (NUL) that got past the checks at the edge: the
            // client's to fix, and the statement changed nothing.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("22021" | "22P05")) =>
            {
                tracing::warn!(%error, "text the database cannot store reached a statement");
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_text",
                    "the request holds a character Weft cannot store (NUL, U+0000); remove it \
                     and send again",
                )
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<sqlx::Error>() {
            Ok(sqlx) => sqlx.into(),
            Err(other) => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(source) = &self.source {
            // The cause and its chain on one line ("{:#}"); never a backtrace per request.
            tracing::error!(error = %format_args!("{source:#}"), code = self.code, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl ApiError {
    /// The answer for a request to `path`: the JSON error shape under /api/, plain text
    /// elsewhere (the pages), with the same status, message and `Retry-After`.
    pub fn into_response_for(self, path: &str) -> Response {
        if path.starts_with("/api/") {
            return self.into_response();
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.message,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// The answer for a known path called with the wrong method.
pub async fn method_not_allowed_fallback() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}
