//! The UI's stylesheet, scripts and images, embedded in the binary. Their URLs carry a
//! digest of the content, so browsers may keep them forever and still get a new version.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::{Path, RawQuery};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

/// (name, content type, content) of every asset.
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    ),
    (
        "record.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/record.js"),
    ),
    (
        "entry.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/entry.js"),
    ),
    (
        "tags.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/tags.js"),
    ),
    (
        "search.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/search.js"),
    ),
    (
        "timezone.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/timezone.js"),
    ),
    (
        "logo.svg",
        "image/svg+xml",
        include_str!("../../assets/logo.svg"),
    ),
];

struct Asset {
    content_type: &'static str,
    body: &'static str,
    digest: String,
}

fn table() -> &'static HashMap<&'static str, Asset> {
    static TABLE: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        FILES
            .iter()
            .map(|&(name, content_type, body)| {
                let asset = Asset {
                    content_type,
                    body,
                    digest: crate::util::short_digest(body.as_bytes()),
                };
                (name, asset)
            })
            .collect()
    })
}

/// The URL of an asset, with its content digest.
pub fn url(name: &str) -> String {
    match table().get(name) {
        Some(asset) => format!("/assets/{name}?v={}", asset.digest),
        None => format!("/assets/{name}"),
    }
}

/// Serves one asset: cached for good when asked for by its versioned URL, otherwise
/// checked again on every use.
pub async fn serve(Path(name): Path<String>, RawQuery(query): RawQuery) -> Response {
    let versioned = query.is_some_and(|q| q.starts_with("v="));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    match table().get(name.as_str()) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response(),
        None => ApiError::not_found("asset").into_response(),
    }
}
