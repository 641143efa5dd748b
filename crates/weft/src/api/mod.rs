//! The API's conventions: one error shape, JSON bodies, the signed-in user, its cookies and
//! cursors, and ids in paths. The pages use them too.

pub mod common_responses;
mod context;
pub mod cookies;
pub mod current;
pub mod cursor;
pub mod download;
pub mod error;
pub mod export_upload;
pub mod filters;
pub mod json;
pub mod multipart;
pub mod plain_errors;
pub mod range;
pub mod text;

pub use context::{ApiContext, Limits};
pub use error::ApiError;
pub use json::ApiJson;

/// An id as Weft writes it: the hyphenated form in lower case
/// (`0b6e2a52-8f0e-4c5e-9d3b-2f1e0c9a7b61`). Other spellings of the same UUID (upper case,
/// braces, no hyphens, `urn:uuid:`) name nothing, like any other unknown id: each resource
/// has one URL.
pub fn parse_id(raw: &str) -> Option<uuid::Uuid> {
    let id = uuid::Uuid::try_parse(raw).ok()?;
    let mut buffer = uuid::Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut buffer) == raw).then_some(id)
}

/// Parses a journal id from the path; a malformed one is simply "not found".
pub fn journal_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    parse_id(raw).ok_or_else(|| ApiError::not_found("journal"))
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn only_the_lower_case_hyphenated_spelling_is_an_id() {
        let canonical = "0b6e2a52-8f0e-4c5e-9d3b-2f1e0c9a7b61";
        assert_eq!(parse_id(canonical).unwrap().to_string(), canonical);
        for other in [
            "0B6E2A52-8F0E-4C5E-9D3B-2F1E0C9A7B61",
            "{0b6e2a52-8f0e-4c5e-9d3b-2f1e0c9a7b61}",
            "0b6e2a528f0e4c5e9d3b2f1e0c9a7b61",
            "urn:uuid:0b6e2a52-8f0e-4c5e-9d3b-2f1e0c9a7b61",
            "",
            "journal",
        ] {
            assert_eq!(parse_id(other), None, "{other}");
        }
    }
}
