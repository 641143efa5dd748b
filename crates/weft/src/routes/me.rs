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
    /// The time zone that decides which day an entry belongs to (the timeline's days, the
    /// calendar, "On this day"): an IANA name such as `Europe/Lisbon`; null: UTC.
    pub time_zone: Option<String>,
}

/// New settings: each one given is changed, the others stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateSettingsRequest {
    /// A language code (`en`, `es`, `sv`, ...), or `auto` to detect the language.
    pub transcription_language: Option<String>,
    /// A time zone name PostgreSQL knows (`Asia/Tokyo`), or `""` for UTC.
    pub time_zone: Option<String>,
}

/// The user's settings as they are.
async fn settings(context: &ApiContext, user: uuid::Uuid) -> Result<Settings, ApiError> {
    let accounts = context.accounts();
    Ok(Settings {
        transcription_language: accounts.transcription_language(user).await?,
        time_zone: accounts.time_zone(user).await?,
    })
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
    Ok(ApiJson(settings(&context, current.user.id).await?))
}

/// Change the account's settings: the language new recordings are transcribed in, and the
/// time zone. A setting left out stays as it is.
#[utoipa::path(
    put, path = "/api/v1/me/settings", tag = "accounts",
    request_body = UpdateSettingsRequest,
    responses(
        (status = 200, body = Settings),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Not a language Weft can transcribe, or not a time zone", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) async fn update_settings(
    State(context): State<ApiContext>,
    current: CurrentUser,
    ApiJson(request): ApiJson<UpdateSettingsRequest>,
) -> Result<ApiJson<Settings>, ApiError> {
    let (accounts, user) = (context.accounts(), current.user.id);
    // Both are checked before either is written: a refused request changes nothing.
    if let Some(language) = &request.transcription_language {
        crate::domain::Language::parse(language, "transcriptionLanguage")?;
    }
    if let Some(zone) = &request.time_zone {
        crate::domain::days::time_zone_name(zone, "timeZone")?;
    }
    if let Some(zone) = &request.time_zone {
        accounts.set_time_zone(user, zone).await?;
    }
    if let Some(language) = &request.transcription_language {
        accounts.set_transcription_language(user, language).await?;
    }
    Ok(ApiJson(settings(&context, user).await?))
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

/// The signed-in account, with its time zone.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    /// The account's time zone (an IANA name); null: UTC. Set it in the settings.
    pub time_zone: Option<String>,
}

/// The signed-in account.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
async fn get_me(
    State(context): State<ApiContext>,
    current: CurrentUser,
) -> Result<ApiJson<Me>, ApiError> {
    let time_zone = context.accounts().time_zone(current.user.id).await?;
    Ok(ApiJson(Me {
        user: current.user,
        time_zone,
    }))
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
