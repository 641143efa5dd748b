//! The signed-in account: read it, change it, delete it.

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{clear_cookies, conflict};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::auth::current::CurrentUser;
use crate::auth::Secret;
use crate::auth::{self, throttle};
use crate::db::sessions;
use crate::db::users::{self, User};
use crate::server::ApiContext;

/// The routes under /api/v1/me.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(change_password))
}

/// New username and/or email; the current password confirms the change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    pub username: Option<String>,
    pub email: Option<String>,
    /// The current password.
    #[schema(value_type = String)]
    pub password: Secret,
}

/// A new password; the current one confirms it. Other sessions are signed out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    #[schema(value_type = String)]
    pub current_password: Secret,
    #[schema(value_type = String)]
    pub new_password: Secret,
}

/// The password confirms the deletion.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteMeRequest {
    #[schema(value_type = String)]
    pub password: Secret,
}

/// 422 on the given field unless `password` is the user's current password; 429 once the
/// account has had too many wrong passwords (log-ins and re-checks count together).
async fn confirm_password(
    context: &ApiContext,
    user: &User,
    password: &str,
    field: &str,
) -> Result<(), ApiError> {
    let config = &context.auth.throttle;
    let account = user.id.to_string();
    throttle::check_account(&context.pool, config, &account).await?;
    if context
        .auth
        .verify_password(password, Some(&user.password_hash))
        .await?
    {
        Ok(())
    } else {
        throttle::failed_account(&context.pool, config, &account).await?;
        Err(ApiError::invalid(
            field,
            "the current password is not correct",
        ))
    }
}

/// The signed-in account.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
async fn get_me(current: CurrentUser) -> ApiJson<User> {
    ApiJson(current.user)
}

/// Change the username and/or email.
#[utoipa::path(
    patch, path = "/api/v1/me", tag = "accounts",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, body = User),
        (status = 401, body = ErrorBody),
        (status = 409, description = "Username or email taken", body = ErrorBody),
        (status = 422, description = "Invalid value or wrong password", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn update_me(
    State(context): State<ApiContext>,
    current: CurrentUser,
    ApiJson(request): ApiJson<UpdateMeRequest>,
) -> Result<ApiJson<User>, ApiError> {
    let username = request
        .username
        .as_deref()
        .map(auth::validate_username)
        .transpose()?;
    let email = request
        .email
        .as_deref()
        .map(auth::validate_email)
        .transpose()?;
    confirm_password(&context, &current.user, &request.password, "password").await?;
    let user = users::update_identity(
        &context.pool,
        current.user.id,
        username.as_deref(),
        email.as_deref(),
    )
    .await
    .map_err(conflict)?;
    Ok(ApiJson(user))
}

/// Change the password; every other session is signed out.
#[utoipa::path(
    put, path = "/api/v1/me/password", tag = "accounts",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Weak new password or wrong current one", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn change_password(
    State(context): State<ApiContext>,
    current: CurrentUser,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    auth::validate_password(&request.new_password, "newPassword")?;
    confirm_password(
        &context,
        &current.user,
        &request.current_password,
        "currentPassword",
    )
    .await?;
    let hash = context.auth.hash_password(&request.new_password).await?;
    let mut tx = crate::db::scoped::begin(&context.pool).await?;
    users::set_password_hash(&mut *tx, current.user.id, &hash).await?;
    sessions::revoke_others(&mut *tx, current.user.id, Some(current.session_id)).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete the account with every journal, transcript, tag, session and video of it.
#[utoipa::path(
    delete, path = "/api/v1/me", tag = "accounts",
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Wrong password", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn delete_me(
    State(context): State<ApiContext>,
    current: CurrentUser,
    jar: CookieJar,
    ApiJson(request): ApiJson<DeleteMeRequest>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    confirm_password(&context, &current.user, &request.password, "password").await?;
    users::delete(&context.pool, current.user.id).await?;
    // Rows first: files whose removal fails are orphans for the sweep, never rows that
    // point at nothing.
    if let Err(error) = crate::ingest::remove_user_media(&context.storage, current.user.id).await {
        tracing::warn!(%error, user_id = %current.user.id, "could not remove a deleted account's files");
    }
    tracing::info!(user_id = %current.user.id, "account deleted");
    Ok((StatusCode::NO_CONTENT, clear_cookies(jar)))
}
