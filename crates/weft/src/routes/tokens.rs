//! Personal API tokens: make one (shown once), list them, revoke one. Managing tokens takes
//! a signed-in session: a token cannot make or revoke tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::api_tokens::ApiToken;

/// The routes under /api/v1/tokens.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What it is for (1 to 100 characters), shown in the list.
    pub name: String,
    /// Only GET and HEAD (default false: full access).
    #[serde(default)]
    pub read_only: bool,
    /// Days until it stops working (1 to 3650); left out or null: never.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A token just made, with the token itself: shown this once, never again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send as `Authorization: Bearer`. Only its hash is kept.
    pub secret: String,
}

fn needs_session(current: &CurrentUser) -> Result<(), ApiError> {
    match current.api_token {
        Some(_) => Err(ApiError::forbidden(
            "session_required",
            "API tokens are managed with a signed-in session, not with an API token: sign in \
             with your password (or use the account page)",
        )),
        None => Ok(()),
    }
}

/// Your personal API tokens, newest first (expired ones too).
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "accounts",
    responses(
        (status = 200, body = Vec<ApiToken>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Asked with an API token", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn list_tokens(
    State(context): State<ApiContext>,
    current: CurrentUser,
) -> Result<ApiJson<Vec<ApiToken>>, ApiError> {
    needs_session(&current)?;
    Ok(ApiJson(
        context.accounts().api_tokens(current.user.id).await?,
    ))
}

/// Make a personal API token; the answer holds it, this once.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "accounts",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, body = CreatedToken),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Asked with an API token", body = ErrorBody),
        (status = 422, description = "A name or an expiry that is not acceptable", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn create_token(
    State(context): State<ApiContext>,
    current: CurrentUser,
    ApiJson(request): ApiJson<CreateTokenRequest>,
) -> Result<(StatusCode, ApiJson<CreatedToken>), ApiError> {
    needs_session(&current)?;
    let made = context
        .accounts()
        .create_api_token(
            current.user.id,
            &request.name,
            request.read_only,
            request.expires_in_days,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(CreatedToken {
            token: made.token,
            secret: made.secret,
        }),
    ))
}

/// Revoke one of your personal API tokens.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Asked with an API token", body = ErrorBody),
        (status = 404, description = "No such token of yours", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn revoke_token(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    needs_session(&current)?;
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("token"))?;
    if context
        .accounts()
        .revoke_api_token(current.user.id, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("token"))
    }
}
