//! Answers that whole families of routes give, added to the OpenAPI document in one place
//! rather than repeated on every handler: 401 for a route that needs a session, 400, 413, 415
//! and 422 for a JSON body that is malformed, too large, not JSON or of the wrong shape
//! ([`super::ApiJson`]), 400 for a query string that does not parse, 422 for NUL in a path
//! or query parameter ([`super::text`]), and 503 while the
//! database is unavailable. A status a route already documents is left as it is.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the common error answers to every operation of `doc` that can give them.
pub fn document(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_common(operation);
        }
    }
}

fn add_common(operation: &mut Operation) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    if secured {
        add(operation, "401", "Not signed in, or the session is gone");
    }
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    if json_body {
        add(operation, "400", "The body is not valid JSON");
        add(operation, "413", "The body is too large");
        add(operation, "415", "The body is not sent as application/json");
        add(
            operation,
            "422",
            "A field is missing, of the wrong type, or invalid",
        );
    }
    let query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    if query {
        add(operation, "400", "The query string is malformed");
    }
    // The check at the edge (`api::text`) refuses NUL in any path or query string.
    let in_uri = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Path));
    if in_uri {
        add(
            operation,
            "422",
            "A parameter holds a NUL character (`invalid_text`)",
        );
    }
    // Everything but the document itself and the liveness check reads the database.
    let id = operation.operation_id.as_deref();
    if !matches!(id, Some("openapi_json") | Some("health")) {
        add(
            operation,
            "503",
            "The database is unavailable; try again shortly",
        );
    }
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    operation
        .responses
        .responses
        .insert(status.to_string(), RefOr::T(response));
}
