//! The web UI, served by the same binary: server-rendered pages (reading and searching work
//! without JavaScript) with small scripts where they help (recording, the live transcript).
//! Pages call the same services as the JSON API; scripts call the API itself with the `X-CSRF-Token` header, whose value the page carries in a `<meta>`.

mod account;
mod assets;
mod auth;
mod calendar;
mod entry;
mod export;
mod import;
mod layout;
mod new_entry;
mod oidc;
mod placeholder;
mod pwa;
mod reel;
mod reel_save;
mod reset;
mod search;
mod session;
mod tags;
mod timeline;
mod tokens;
mod two_factor;
mod viewer;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::api::ApiContext;

/// Every page of the UI and its assets.
pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/", get(timeline::page))
        .route("/signin", get(auth::signin_page).post(auth::signin))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/signout", post(auth::signout))
        .route("/signin/second-factor", post(two_factor::second_step))
        .route("/reset/{token}", get(reset::page).post(reset::reset))
        .route("/signin/oidc", get(oidc::start))
        .route("/signin/oidc/callback", get(oidc::callback))
        .route("/account/oidc/link", post(oidc::link))
        .route("/account/oidc/unlink", post(oidc::unlink))
        .route("/account", get(account::page))
        .route("/account/identity", post(account::identity))
        .route("/account/password", post(account::password))
        .route("/account/language", post(account::language))
        .route("/account/time-zone", post(account::time_zone))
        .route("/account/sessions/{id}/revoke", post(account::revoke))
        .route("/account/delete", post(account::delete))
        .route("/account/two-factor", get(two_factor::page))
        .route("/account/two-factor/setup", post(two_factor::setup))
        .route("/account/two-factor/confirm", post(two_factor::confirm))
        .route("/account/two-factor/disable", post(two_factor::disable))
        .route("/account/tokens", post(tokens::create))
        .route("/account/tokens/{id}/revoke", post(tokens::revoke))
        .route("/account/export.zip", get(export::download))
        .route(
            "/import",
            get(import::page)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/import/{id}", get(import::run))
        .route("/new", get(new_entry::page))
        .route("/new/note", post(new_entry::note))
        .route("/entries/{id}", get(entry::page).post(entry::edit))
        .route("/entries/{id}/delete", post(entry::delete))
        .route("/entries/{id}/retry", post(entry::retry))
        .route(
            "/entries/{id}/versions/{version}/restore",
            post(entry::restore),
        )
        .route("/calendar", get(calendar::page))
        .route("/search", get(search::page))
        .route("/search/reel", get(reel::page))
        .route("/search/reel/save", post(reel_save::save))
        .route("/reels/{id}", get(reel_save::status))
        .route("/tags", get(tags::page))
        .route("/tags/rename", post(tags::rename))
        // Pages show private things (the account's email, entries, transcripts): no copy of
        // one may be kept, so that Back after signing out shows nothing of them.
        .layer(axum::middleware::map_response(no_store))
        .route("/assets/{name}", get(assets::serve))
        .route("/manifest.webmanifest", get(pwa::manifest))
        .route("/sw.js", get(pwa::service_worker))
        .route("/offline", get(pwa::offline))
        .route(pwa::SHARE_PATH, get(pwa::share).post(pwa::share))
}

/// The answer for a path nothing serves: the API's JSON error under `/api/`, a page that
/// leads back to the timeline elsewhere (a mistyped address in a browser).
pub async fn not_found(uri: axum::http::Uri) -> Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        return crate::api::ApiError::not_found("route").into_response();
    }
    let status = axum::http::StatusCode::NOT_FOUND;
    (status, layout::error_page(status, "")).into_response()
}

/// `Cache-Control: no-store`, unless the handler said otherwise.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
