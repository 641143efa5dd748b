//! The HTTP server: shared state, the router, and `launch`, which tests drive directly.

use std::future::Future;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api::{error, ApiContext, Limits};
use crate::routes;

/// The whole application router.
pub fn router(context: ApiContext) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let limits = context.limits;
    let database = context.database.clone();
    let sessions = context.sessions.clone();
    let (api, _) = routes::api_with(limits.upload_bytes);
    // /metrics is for the operator's scraper: outside the versioned API and its document.
    api.route("/metrics", axum::routing::get(routes::metrics::handler))
        .merge(crate::web::router())
        .fallback(crate::web::not_found)
        .method_not_allowed_fallback(error::method_not_allowed_fallback)
        .with_state(context)
        .layer(axum::middleware::from_fn(crate::api::plain_errors::json_errors))
        .layer(axum::middleware::from_fn(move |request, next| {
            forget_after_changes(sessions.clone(), request, next)
        }))
        .layer(axum::middleware::from_fn(move |request, next| {
            database_gate(database.clone(), request, next)
        }))
        .layer(axum::middleware::from_fn(crate::api::text::refuse_nul_in_uri))
        .layer(DefaultBodyLimit::max(limits.json_body_bytes))
        .layer(axum::middleware::from_fn(move |request, next| {
            time_limit(limits.request_timeout, request, next)
        }))
        .layer(axum::middleware::from_fn(
            crate::middleware::metrics::track_http,
        ))
        .layer(axum::middleware::from_fn(
            crate::middleware::headers::security_headers,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<axum::body::Body>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// While the database is known to be down, answers 503 at once (rather than after the
/// pool's wait for a connection), except for what needs no database: the liveness check,
/// the API document, metrics and the web UI's assets, and `/ready`, which says why.
async fn database_gate(
    database: crate::db::supervise::DatabaseHealth,
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let without_database = matches!(
        path,
        "/health" | "/ready" | "/metrics" | "/api/v1/openapi.json"
    ) || path.starts_with("/assets/");
    if without_database || long_running(&request) {
        return next.run(request).await;
    }
    // Cheap to clone (shared bytes); the request itself goes to the handler.
    let uri = request.uri().clone();
    if !database.is_down() {
        // A request already waiting for a connection when the database dies gets its 503
        // then, not after the pool's wait.
        tokio::select! {
            response = next.run(request) => return response,
            () = database.down() => {}
        }
    }
    error::ApiError::unavailable(
        "the database is restarting after a failure; try again in a few seconds",
    )
    .into_response_for(uri.path())
}

/// A request that may change something (any method but GET, HEAD and OPTIONS) drops its
/// user's kept session and timeline version when it ends, answered, failed or cancelled:
/// the same client's next request reads them again and sees its own change, without
/// waiting for the database's notice of it (`accounts::session_cache`).
async fn forget_after_changes(
    sessions: std::sync::Arc<crate::accounts::session_cache::SessionCache>,
    mut request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let forget = sessions.forget_after();
    request.extensions_mut().insert(forget.slot());
    let response = next.run(request).await;
    drop(forget);
    response
}

/// Answers 408 when a request takes longer than `limit`, except uploads and media
/// streams, which take as long as the network needs (an upload has its own idle limit).
async fn time_limit(
    limit: Duration,
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if long_running(&request) {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error::ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request took too long",
        )
        .into_response(),
    }
}

/// Uploads and media streams: they take as long as the network needs, and most of it needs
/// no database.
fn long_running(request: &Request<axum::body::Body>) -> bool {
    let path = request.uri().path();
    let method = request.method();
    // A tus PATCH (or creation with its first bytes) sends as long as the network needs.
    let resumable = (method == axum::http::Method::PATCH || method == axum::http::Method::POST)
        && path.starts_with("/api/v1/uploads");
    resumable
        || (request.method() == axum::http::Method::POST
            && matches!(
                path,
                "/api/v1/journals" | "/api/v1/imports/dayone" | "/import"
            ))
        || path.ends_with("/video")
}

/// Serves the application on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn launch(
    context: ApiContext,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Limits {
        header_read_timeout,
        max_connections,
        ..
    } = context.limits;
    // Abandoned resumable uploads are removed while the server runs (and at its start).
    let uploads = tokio::spawn(context.uploads().sweep_forever());
    let notices = tokio::spawn(crate::accounts::session_cache::listen(
        context.pool.clone(),
        context.sessions.clone(),
    ));
    let served = crate::connections::serve(
        listener,
        router(context),
        header_read_timeout,
        max_connections,
        shutdown,
    )
    .await;
    uploads.abort();
    notices.abort();
    served
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
