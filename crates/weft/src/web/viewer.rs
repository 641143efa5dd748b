//! Who is viewing a page, and the small helpers the layout needs from a request: kept apart
//! from the request extractors (`session`) so that the layout depends on nothing that renders.

use crate::api::current::CurrentUser;

/// The name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The signed-in person viewing a page, with the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub current: CurrentUser,
    pub csrf: String,
}

/// Percent-encodes a query value.
pub fn encode_component(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
