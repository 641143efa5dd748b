//! `GET /metrics`: the process's figures from the metrics registry, with the pool and the
//! job queue read at scrape time, in the Prometheus text format. Outside the versioned API
//! and its OpenAPI document: it is for the operator's scraper.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api::ApiContext;
use crate::metrics::{registry, PoolFigures, CONTENT_TYPE};

/// Every figure in the Prometheus text format (version 0.0.4).
pub async fn handler(State(context): State<ApiContext>) -> Response {
    // Read before the queue query, so the scrape's own connection is not counted in use.
    let pool = PoolFigures {
        size: context.pool.size(),
        idle: context.pool.num_idle(),
        max: context.pool.options().get_max_connections(),
    };
    // A scrape must not hang on a dead database: the queue figures are left out then.
    let depth = tokio::time::timeout(context.ready_timeout, crate::db::jobs::depth(&context.pool))
        .await
        .ok()
        .and_then(Result::ok)
        .map(|rows| {
            rows.into_iter()
                .map(|(state, count)| (state.as_str().to_string(), count))
                .collect::<Vec<_>>()
        });
    let body = registry().render(pool, depth.as_deref());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}
