//! The UI's stylesheet, scripts and images, embedded in the binary. Their URLs carry a
//! digest of the content, so browsers may keep them forever and still get a new version.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::{Path, RawQuery};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

/// (name, content type, content) of every asset.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/app.js"),
    ),
    (
        "record.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/record.js"),
    ),
    (
        "entry.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/entry.js"),
    ),
    (
        "tags.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/tags.js"),
    ),
    (
        "search.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/search.js"),
    ),
    (
        "reel.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/reel.js"),
    ),
    (
        "timezone.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/timezone.js"),
    ),
    (
        "upload.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/upload.js"),
    ),
    (
        "pending.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/pending.js"),
    ),
    // The app's icons, drawn once from logo.svg (a maskable one with room around the mark).
    (
        "icon-192.png",
        "image/png",
        include_bytes!("../../assets/icons/icon-192.png"),
    ),
    (
        "icon-512.png",
        "image/png",
        include_bytes!("../../assets/icons/icon-512.png"),
    ),
    (
        "icon-maskable-512.png",
        "image/png",
        include_bytes!("../../assets/icons/maskable-512.png"),
    ),
    (
        "apple-touch-icon.png",
        "image/png",
        include_bytes!("../../assets/icons/apple-180.png"),
    ),
    (
        "logo.svg",
        "image/svg+xml",
        include_bytes!("../../assets/logo.svg"),
    ),
];

struct Asset {
    content_type: &'static str,
    body: &'static [u8],
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
                    digest: crate::util::short_digest(body),
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

/// Every asset's versioned URL, and the unversioned URL of each script (page scripts
/// import one another by plain relative URLs): what the service worker keeps for offline use.
pub fn shell_urls() -> Vec<String> {
    let mut urls: Vec<String> = FILES.iter().map(|(name, _, _)| url(name)).collect();
    urls.extend(
        FILES
            .iter()
            .filter(|(name, _, _)| name.ends_with(".js"))
            .map(|(name, _, _)| format!("/assets/{name}")),
    );
    urls
}

/// A digest of every asset together: it changes whenever one of them does.
pub fn version() -> String {
    let mut digests: Vec<&str> = table().values().map(|a| a.digest.as_str()).collect();
    digests.sort_unstable();
    crate::util::short_digest(digests.concat().as_bytes())
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
