//! Registration, log-in and log-out.

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::auth::current::{ClientInfo, CurrentUser, CSRF_COOKIE, SESSION_COOKIE};
use crate::auth::Secret;
use crate::auth::{self, throttle, token, AuthConfig};
use crate::db::sessions;
use crate::db::users::{self, UniqueField, User, UserError};
use crate::server::ApiContext;

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

pub(crate) fn conflict(error: UserError) -> ApiError {
    match error {
        UserError::Taken(UniqueField::Username) => {
            ApiError::conflict("username", "that username is already taken")
        }
        UserError::Taken(UniqueField::Email) => {
            ApiError::conflict("email", "an account with that email address already exists")
        }
        UserError::Database(error) => error.into(),
    }
}

/// Creates a session for `user` and returns the answer plus its cookies.
async fn sign_in(
    context: &ApiContext,
    user: User,
    client: &ClientInfo,
    jar: CookieJar,
) -> Result<(CookieJar, SignedIn), ApiError> {
    let secret = token::generate();
    let session = sessions::create(
        &context.pool,
        user.id,
        &token::hash(&secret),
        context.auth.session_ttl,
        client.user_agent.as_deref(),
        Some(&client.address),
    )
    .await?;
    let csrf = token::csrf_for(&secret);
    let jar = jar
        .add(session_cookie(
            &context.auth,
            SESSION_COOKIE,
            secret.clone(),
            true,
        ))
        .add(session_cookie(
            &context.auth,
            CSRF_COOKIE,
            csrf.clone(),
            false,
        ));
    Ok((
        jar,
        SignedIn {
            user,
            token: secret,
            csrf_token: csrf,
            expires_at: session.expires_at,
        },
    ))
}

fn session_cookie(
    config: &AuthConfig,
    name: &'static str,
    value: String,
    http_only: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(time_duration(config.session_ttl))
        .build()
}

fn time_duration(duration: chrono::Duration) -> time::Duration {
    time::Duration::seconds(duration.num_seconds())
}

/// Removes the session cookies from the browser.
pub(crate) fn clear_cookies(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
        .remove(Cookie::build(CSRF_COOKIE).path("/"))
}

/// Register a new account and sign it in.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = SignedIn),
        (status = 403, description = "Registration is closed", body = ErrorBody),
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
    if !context.auth.registration_open {
        return Err(ApiError::forbidden(
            "registration_closed",
            "registration is closed on this server; ask its operator for an account",
        ));
    }
    let username = auth::validate_username(&request.username)?;
    let email = auth::validate_email(&request.email)?;
    auth::validate_password(&request.password, "password")?;
    throttle::register(&context.pool, &context.auth.throttle, &client.address).await?;
    let hash = context.auth.hash_password(&request.password).await?;
    let user = users::create(&context.pool, &username, &email, &hash)
        .await
        .map_err(conflict)?;
    tracing::info!(user_id = %user.id, "registered");
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
        (status = 429, description = "Too many failed log-ins; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<(CookieJar, ApiJson<SignedIn>), ApiError> {
    let config = &context.auth.throttle;
    let login = request.login.trim();
    let user = if login.is_empty() || login.len() > 254 {
        None
    } else {
        users::find_by_login(&context.pool, login).await?
    };
    // Failures count against the account, whichever of its names was typed (and against
    // the typed name when there is no such account, so probing costs the same).
    let account = user
        .as_ref()
        .map(|u| u.id.to_string())
        .unwrap_or_else(|| login.to_lowercase());
    throttle::check(&context.pool, config, &account, &client.address).await?;
    let valid = context
        .auth
        .verify_password(
            &request.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
    let Some(user) = user.filter(|_| valid) else {
        throttle::failed(&context.pool, config, &account, &client.address).await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username, email or password",
        ));
    };
    throttle::succeeded(&context.pool, &account).await?;
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
    sessions::revoke(&context.pool, current.user.id, current.session_id).await?;
    Ok((StatusCode::NO_CONTENT, clear_cookies(jar)))
}
