//! The HTTP server: shared state, the router, and `launch`, which tests drive directly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api::error;
use crate::auth::AuthConfig;
use crate::ingest::Ingest;
use crate::routes;
use crate::storage::Storage;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct ApiContext {
    pub pool: PgPool,
    /// How long `/ready` waits for the database before answering 503.
    pub ready_timeout: Duration,
    pub auth: Arc<AuthConfig>,
    pub limits: Limits,
    /// Videos and thumbnails.
    pub storage: Storage,
    /// Scratch space for uploads in progress.
    pub scratch: std::path::PathBuf,
    /// When transcription is on: the attempts a new job gets. None: transcription is off.
    pub transcription: Option<i32>,
    /// Timeline pages answered again while nothing they show has changed.
    pub timelines: Arc<crate::routes::journals::page_cache::PageCache>,
    /// Set while the embedded database is known to be down (its supervisor restarts it).
    pub database: crate::db::supervise::DatabaseHealth,
}

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest JSON body accepted.
    pub json_body_bytes: usize,
    /// Longest a request (other than uploads and media streams) may take.
    pub request_timeout: Duration,
    /// Largest video upload, in bytes.
    pub upload_bytes: u64,
    /// An upload that sends nothing for this long is abandoned.
    pub upload_idle: Duration,
    /// A connection that takes longer than this to send a request's headers (or, new, its
    /// first byte) is closed.
    pub header_read_timeout: Duration,
    /// Connections held open at once; more wait in the listen queue.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_bytes: 2 * 1024 * 1024 * 1024,
            upload_idle: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

impl ApiContext {
    /// A context with default settings.
    pub fn new(pool: PgPool, storage: Storage, scratch: std::path::PathBuf) -> Self {
        Self {
            pool,
            ready_timeout: Duration::from_secs(2),
            auth: Arc::new(AuthConfig::default()),
            limits: Limits::default(),
            storage,
            scratch,
            transcription: None,
            timelines: Arc::default(),
            database: Default::default(),
        }
    }

    /// The journal-making pipeline over this context's database and storage.
    pub fn ingest(&self) -> Ingest {
        Ingest {
            pool: self.pool.clone(),
            storage: self.storage.clone(),
            scratch: self.scratch.clone(),
            transcription: self.transcription,
        }
    }
}

/// The whole application router.
pub fn router(context: ApiContext) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let limits = context.limits;
    let database = context.database.clone();
    let (api, _) = routes::api_with(limits.upload_bytes);
    // /metrics is for the operator's scraper: outside the versioned API and its document.
    api.route("/metrics", axum::routing::get(routes::metrics::handler))
        .merge(crate::web::router())
        .fallback(error::not_found_fallback)
        .method_not_allowed_fallback(error::method_not_allowed_fallback)
        .with_state(context)
        .layer(axum::middleware::from_fn(crate::api::plain_errors::json_errors))
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
    (request.method() == axum::http::Method::POST && path == "/api/v1/journals")
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
    crate::connections::serve(
        listener,
        router(context),
        header_read_timeout,
        max_connections,
        shutdown,
    )
    .await
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
