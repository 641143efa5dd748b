//! A user's sessions: list them, revoke one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::sessions::{self, Session};

/// The routes under /api/v1/sessions.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
}

/// One session in the list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    #[serde(flatten)]
    pub session: Session,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// Your live sessions, newest first.
#[utoipa::path(
    get, path = "/api/v1/sessions", tag = "accounts",
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = []))
)]
async fn list_sessions(
    State(context): State<ApiContext>,
    current: CurrentUser,
) -> Result<ApiJson<Vec<SessionView>>, ApiError> {
    let list = sessions::list(&context.pool, current.user.id).await?;
    Ok(ApiJson(
        list.into_iter()
            .map(|session| SessionView {
                current: session.id == current.session_id,
                session,
            })
            .collect(),
    ))
}

/// Revoke one of your sessions (sign that device out).
#[utoipa::path(
    delete, path = "/api/v1/sessions/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such session of yours", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn revoke_session(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("session"))?;
    if sessions::revoke(&context.pool, current.user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("session"))
    }
}
