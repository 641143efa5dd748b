//! The signed-in account: read it, change it, delete it.

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::cookies::clear_cookies;
use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::users::User;
use crate::domain::Secret;

/// The routes under /api/v1/me.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(change_password))
        .routes(routes!(get_settings, update_settings))
}

/// The account's settings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The language new recordings are transcribed in, as a code (`es`); null: detected
    /// from the speech.
    pub transcription_language: Option<String>,
}

/// New settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateSettingsRequest {
    /// A language code (`en`, `es`, `sv`, ...), or `auto` to detect the language.
    pub transcription_language: String,
}

/// The account's settings.
#[utoipa::path(
    get, path = "/api/v1/me/settings", tag = "accounts",
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn get_settings(
    State(context): State<ApiContext>,
    current: CurrentUser,
) -> Result<ApiJson<Settings>, ApiError> {
    let transcription_language = context
        .accounts()
        .transcription_language(current.user.id)
        .await?;
    Ok(ApiJson(Settings {
        transcription_language,
    }))
}

/// Change the account's settings: the language new recordings are transcribed in.
#[utoipa::path(
    put, path = "/api/v1/me/settings", tag = "accounts",
    request_body = UpdateSettingsRequest,
    responses(
        (status = 200, body = Settings),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Not a language Weft can transcribe", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn update_settings(
    State(context): State<ApiContext>,
    current: CurrentUser,
    ApiJson(request): ApiJson<UpdateSettingsRequest>,
) -> Result<ApiJson<Settings>, ApiError> {
    let transcription_language = context
        .accounts()
        .set_transcription_language(current.user.id, &request.transcription_language)
        .await?;
    Ok(ApiJson(Settings {
        transcription_language,
    }))
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
    let user = context
        .accounts()
        .update_identity(
            &current.user,
            request.username.as_deref(),
            request.email.as_deref(),
            &request.password,
        )
        .await?;
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
    context
        .accounts()
        .change_password(
            &current.user,
            current.session_id,
            &request.current_password,
            &request.new_password,
        )
        .await?;
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
    context
        .accounts()
        .delete(&current.user, &request.password, &context.storage)
        .await?;
    Ok((StatusCode::NO_CONTENT, clear_cookies(jar)))
}
