//! The installable app: the web app manifest, the service worker (served from the root, so
//! that its scope is the whole site), the page it shows when offline, and the share
//! target's URL for browsers that post to it without the worker.

use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde_json::json;

use super::assets;
use super::layout::{self, Frame, Nav};

/// The share target's URL: the manifest names it, the service worker answers it.
pub const SHARE_PATH: &str = "/share";

/// The service worker's code; [`service_worker`] puts the list of files to keep before it.
const WORKER: &str = include_str!("../../assets/sw.js");

/// GET /manifest.webmanifest.
pub async fn manifest() -> Response {
    let icon = |name: &str, size: &str, purpose: &str| json!({ "src": assets::url(name), "sizes": size, "type": "image/png", "purpose": purpose });
    let manifest = json!({
        "id": "/",
        "name": "Weft",
        "short_name": "Weft",
        "description": "A video journal: record a few words each day, find them again by what was said.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f7f5f2",
        "theme_color": "#f7f5f2",
        "icons": [
            icon("icon-192.png", "192x192", "any"),
            icon("icon-512.png", "512x512", "any"),
            icon("icon-maskable-512.png", "512x512", "maskable"),
        ],
        // A video or a sound shared from the phone's gallery lands on the new-entry page.
        "share_target": {
            "action": SHARE_PATH,
            "method": "POST",
            "enctype": "multipart/form-data",
            "params": {
                "title": "title",
                "text": "text",
                "files": [{ "name": "video", "accept": ["video/*", "audio/*"] }],
            },
        },
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        manifest.to_string(),
    )
        .into_response()
}

/// GET /sw.js: the worker, with the version and the app shell's URLs written in, so that a
/// new build of the assets is a new worker and the browser installs it.
pub async fn service_worker() -> Response {
    let shell = serde_json::to_string(&assets::shell_urls()).unwrap_or_else(|_| "[]".into());
    let body = format!(
        "const VERSION = {version:?};\nconst SHELL = {shell};\nconst SHARE_PATH = {SHARE_PATH:?};\n{WORKER}",
        version = assets::version(),
    );
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // The browser checks the worker for updates itself; no copy may hide a new one.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// GET /offline: what the app shows for a page that needs the network when there is none.
/// It names no one, so the worker may keep it.
pub async fn offline() -> Markup {
    layout::page(
        Frame {
            title: "Offline",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            div.page-head { h1 { "You are offline" } }
            div.panel {
                p { "This page needs the network. Recording still works: open "
                    a href="/new" { "New entry" }
                    " (once visited online, the app keeps it). What you record waits in this \
                     browser and is sent when the connection returns." }
            }
        },
    )
}

/// POST /share without the service worker (a browser that has not installed the app, or
/// one that lost the worker): the shared file cannot be kept here, so the new-entry page
/// (303 See Other) says so and asks for the file. The body is not read. GET /share, from a
/// bookmark, leads to the same page.
pub async fn share() -> Redirect {
    Redirect::to("/new?shared=failed")
}
