//! Registration, log-in (with its second step for accounts with two-factor sign-in) and
//! log-out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::cookies::{add_session_cookies, clear_cookies};
use crate::api::current::{ClientInfo, CurrentUser};
use crate::api::error::{ErrorBody, ErrorDetail};
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::users::User;
use crate::domain::Secret;

/// The account routes under /api/v1/auth.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(second_factor))
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

/// The answer to a right password of an account with two-factor sign-in: no session yet,
/// but a challenge to send with a code to `POST /api/v1/auth/second-factor`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecondFactorRequired {
    /// `code` is `second_factor_required`.
    pub error: ErrorDetail,
    /// Send back as `challenge` with the code; good for five minutes, once. (Always here
    /// with `second_factor_required`; a wrong password's 401 has no challenge.)
    pub challenge: Option<String>,
    /// When the challenge expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The second step of a log-in: the challenge and a code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SecondFactorRequest {
    /// The `challenge` of the log-in's 401 answer.
    pub challenge: String,
    /// The six digits the authenticator app shows, or one unused recovery code.
    #[schema(value_type = String)]
    pub code: Secret,
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

/// Log in by username or email. An account with two-factor sign-in answers 401
/// `second_factor_required` with a challenge for `POST /api/v1/auth/second-factor`.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 401, description = "Wrong login or password (the same answer for both), or, with code `second_factor_required` and a `challenge`, a right password of an account that also needs a code", body = SecondFactorRequired),
        (status = 403, description = "Password sign-in is turned off on this server (`password_signin_off`): single sign-on only", body = ErrorBody),
        (status = 429, description = "Too many failed log-ins; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let accounts = context.accounts();
    let user = accounts
        .log_in(client.as_client(), &request.login, &request.password)
        .await?;
    if let Some(challenge) = accounts.second_step(&user).await? {
        let body = SecondFactorRequired {
            error: ErrorDetail {
                code: "second_factor_required".into(),
                message: "this account also needs a code from its authenticator app: send the \
                          challenge and the code to POST /api/v1/auth/second-factor"
                    .into(),
                field: None,
            },
            challenge: Some(challenge.token),
            expires_at: Some(challenge.expires_at),
        };
        return Ok((StatusCode::UNAUTHORIZED, ApiJson(body)).into_response());
    }
    let (jar, signed_in) = sign_in(&context, user, &client, jar).await?;
    Ok((jar, ApiJson(signed_in)).into_response())
}

/// The second step of a log-in with two-factor sign-in: the challenge and a code.
#[utoipa::path(
    post, path = "/api/v1/auth/second-factor", tag = "accounts",
    request_body = SecondFactorRequest,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 422, description = "A wrong or used code (`field` is `code`), or a challenge that expired or was answered (`field` is `challenge`)", body = ErrorBody),
        (status = 429, description = "Too many wrong codes or passwords; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn second_factor(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    ApiJson(request): ApiJson<SecondFactorRequest>,
) -> Result<(CookieJar, ApiJson<SignedIn>), ApiError> {
    let user = context
        .accounts()
        .answer_challenge(client.as_client(), &request.challenge, &request.code)
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
