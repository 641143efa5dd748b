//! Counting every HTTP request for `/metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::registry;

/// Counts every request by its route template (never the raw path, whose ids would make a
/// series per journal) and status, with its latency.
pub async fn track_http(request: Request, next: Next) -> Response {
    // Both clones share what the request holds (a standard method is a constant, the
    // template an `Arc`), so counting allocates nothing.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    registry().http_request(
        method.as_str(),
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
