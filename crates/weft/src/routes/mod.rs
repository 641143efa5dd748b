//! HTTP routes, one module per resource; each exports `router()`. Every route is declared
//! with its OpenAPI description, so the document at /api/v1/openapi.json cannot miss one.

pub mod auth;
pub mod calendar;
pub mod export;
pub mod health;
pub mod imports;
pub mod journals;
pub mod me;
pub mod metrics;
pub mod reels;
pub mod search;
pub mod sessions;
pub mod tags;
pub mod tokens;
pub mod uploads;

use std::sync::OnceLock;

use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::api::ApiContext;

/// The top of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weft API",
        description = "Weft keeps short video journals, transcribes them, and finds any moment by \
                       the words spoken. Errors always have the shape {\"error\": {\"code\", \
                       \"message\", \"field\"?}}.",
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "accounts", description = "Registration, sessions and the signed-in account"),
        (name = "journals", description = "Video journals: upload, timeline, media"),
        (name = "transcripts", description = "Transcripts, corrections and captions"),
        (name = "tags", description = "Tags: per journal, and across all your journals"),
        (name = "search", description = "Find any moment by the words spoken"),
        (name = "uploads", description = "Resumable uploads (tus 1.0) that become journals"),
        (name = "imports", description = "Bring entries in from other journal apps (Day One)"),
        (name = "operations", description = "Health, readiness and the API description"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token from register or login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::api::current::SESSION_COOKIE,
                "The session cookie; unsafe methods also need the X-CSRF-Token header",
            ))),
        );
    }
}

static DOCUMENT: OnceLock<OpenApiDoc> = OnceLock::new();

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn openapi_json() -> Json<OpenApiDoc> {
    Json(DOCUMENT.get_or_init(openapi).clone())
}

/// Every route, and the OpenAPI document that describes them. `upload_bytes` is the
/// upload size limit.
pub fn api_with(upload_bytes: u64) -> (Router<ApiContext>, OpenApiDoc) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(utoipa_axum::routes!(openapi_json))
        .merge(health::router())
        .merge(auth::router())
        .merge(me::router())
        .merge(export::router())
        .merge(sessions::router())
        .merge(tokens::router())
        .merge(journals::router(upload_bytes))
        .merge(calendar::router())
        .merge(tags::router())
        .merge(imports::router())
        .merge(search::router())
        .merge(reels::router())
        .merge(uploads::router())
        .split_for_parts();
    crate::api::common_responses::document(&mut doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    (router, doc)
}

/// Every route with the default limits, and the OpenAPI document.
pub fn api() -> (Router<ApiContext>, OpenApiDoc) {
    api_with(crate::api::Limits::default().upload_bytes)
}

/// The OpenAPI document (for `weft openapi` and tests).
pub fn openapi() -> OpenApiDoc {
    api().1
}
