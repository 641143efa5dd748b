//! Security headers on every response: a Content-Security-Policy that allows only this
//! origin's scripts, styles and media (and framing by no one), no MIME sniffing, and no
//! referrer sent to other sites. A handler that sets one of these headers itself keeps it.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy: everything from this origin only; images and media may also be `blob:`
/// (a video being previewed before upload) and images `data:`. The app's manifest and its
/// service worker are named too, from this origin only (they would fall back to
/// `default-src`; said outright, a later change to it cannot widen them).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; \
     media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
     frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The headers, as (name, value).
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// Middleware: adds the security headers a response does not already carry.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
