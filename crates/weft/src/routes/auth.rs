//! Registration, log-in and log-out.

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::cookies::{add_session_cookies, clear_cookies};
use crate::api::current::{ClientInfo, CurrentUser};
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::users::User;
use crate::domain::Secret;

/// The account routes under /api/v1/auth.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 3 to 32 letters, digits, '.', '_' or '-'.
    pub username: String,
    pub email: String,
    /// At least 8 characters, at most 72 bytes.
    #[schema(value_type = String)]
    pub password: Secret,
}

/// Log in with a username or an email address.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Username or email (either letter case).
    pub login: String,
    #[schema(value_type = String)]
    pub password: Secret,
}

/// A signed-in session: the user and the token for `Authorization: Bearer`. The same token
/// is set as the HttpOnly `weft_session` cookie.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub user: User,
    pub token: String,
    /// Send as `X-CSRF-Token` with unsafe requests that rely on the cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Starts a session for `user` and returns the answer plus its cookies.
async fn sign_in(
    context: &ApiContext,
    user: User,
    client: &ClientInfo,
    jar: CookieJar,
) -> Result<(CookieJar, SignedIn), ApiError> {
    let session = context
        .accounts()
        .start_session(&user, client.as_client())
        .await?;
    let jar = add_session_cookies(&context.auth, jar, &session);
    Ok((
        jar,
        SignedIn {
            user,
            token: session.token,
            csrf_token: session.csrf_token,
            expires_at: session.expires_at,
        },
    ))
}

/// Register a new account and sign it in.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = SignedIn),
        (status = 403, description = "Registration is closed, or password sign-in is turned off (`password_signin_off`)", body = ErrorBody),
        (status = 409, description = "Username or email taken", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn register(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, CookieJar, ApiJson<SignedIn>), ApiError> {
    let user = context
        .accounts()
        .register(
            client.as_client(),
            &request.username,
            &request.email,
            &request.password,
        )
        .await?;
    let (jar, signed_in) = sign_in(&context, user, &client, jar).await?;
    Ok((StatusCode::CREATED, jar, ApiJson(signed_in)))
}

/// Log in by username or email.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 401, description = "Wrong login or password (the same answer for both)", body = ErrorBody),
        (status = 403, description = "Password sign-in is turned off on this server (`password_signin_off`): single sign-on only", body = ErrorBody),
        (status = 429, description = "Too many failed log-ins; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<(CookieJar, ApiJson<SignedIn>), ApiError> {
    let user = context
        .accounts()
        .log_in(client.as_client(), &request.login, &request.password)
        .await?;
    let (jar, signed_in) = sign_in(&context, user, &client, jar).await?;
    Ok((jar, ApiJson(signed_in)))
}

/// End the current session.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn logout(
    State(context): State<ApiContext>,
    current: CurrentUser,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar), ApiError> {
    context
        .accounts()
        .end_session(current.user.id, current.session_id)
        .await?;
    Ok((StatusCode::NO_CONTENT, clear_cookies(jar)))
}
