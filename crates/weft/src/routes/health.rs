//! `GET /health` (the process is alive) and `GET /ready` (the database answers and its schema
//! is current).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::ApiContext;
use crate::db::migrate;

/// The health routes.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// The process is alive.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "Alive: {\"status\": \"ok\"}", body = Object)))]
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers and its schema is current.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready: {\"status\": \"ready\"}", body = Object),
        (status = 503, description = "Not ready, with the reason in error.code and error.message", body = Object),
    ))]
async fn ready(State(context): State<ApiContext>) -> (StatusCode, Json<Value>) {
    let check = async {
        if context.database.is_down() {
            return Err((
                "database_restarting",
                "the embedded database stopped unexpectedly and is being started again".to_string(),
            ));
        }
        crate::db::ping(&context.pool, context.ready_timeout)
            .await
            .map_err(|reason| {
                (
                    "database_unavailable",
                    format!("the database does not answer: {reason}"),
                )
            })?;
        match migrate::is_current(&context.pool).await {
            Ok(true) => Ok(()),
            Ok(false) => Err((
                "schema_outdated",
                "the database schema is not current: run `weft db migrate`".to_string(),
            )),
            Err(error) => Err((
                "database_unavailable",
                format!("the database does not answer: {error}"),
            )),
        }
    };
    let outcome = tokio::time::timeout(context.ready_timeout, check)
        .await
        .unwrap_or_else(|_| {
            Err((
                "database_unavailable",
                format!(
                    "the database did not answer within {} ms",
                    context.ready_timeout.as_millis()
                ),
            ))
        });
    match outcome {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err((code, message)) => {
            tracing::warn!(code, %message, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "error": { "code": code, "message": message } }),
                ),
            )
        }
    }
}
