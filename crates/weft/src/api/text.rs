//! Text PostgreSQL cannot store. A `text` value may hold any Unicode character but one:
//! U+0000 (NUL), which PostgreSQL refuses. Lone surrogates (JSON's `\ud800`) never get this
//! far: they are not Rust strings, so JSON holding them fails to parse, and percent-decoding
//! turns invalid UTF-8 into U+FFFD. So NUL is checked once at the edge, for each way text
//! comes in: the URI (path and query, [`refuse_nul_in_uri`]), JSON bodies ([`nul_in_json`],
//! used by `ApiJson`), forms ([`nul_in_form`]) and multipart fields ([`check`]).

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::ApiError;

/// 422 `invalid_text`: `field` holds a NUL character.
pub fn nul_error(field: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_text",
        format!(
            "`{field}` contains a NUL character (U+0000), which Weft cannot store; remove it \
             and send again"
        ),
    )
    .with_field(field)
}

/// Refuses a value holding NUL.
pub fn check(field: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        Err(nul_error(field))
    } else {
        Ok(())
    }
}

/// The path ("title", "segments[2].text") of the first string or key of a JSON document
/// that holds NUL; `None` when there is none (or the document does not parse: that error is
/// the parser's to report). Documents without the escape `\u0000` are not parsed again.
pub fn nul_in_json(bytes: &[u8]) -> Option<String> {
    if !has_nul_escape(bytes) {
        return None;
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let path = path_to_nul(&value, String::new())?;
    Some(if path.is_empty() {
        "body".to_string()
    } else {
        path
    })
}

/// Whether a JSON text holds `\u0000` outside an escaped backslash (or a raw NUL byte).
fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0 => return true,
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                // The escaped character, whatever it is, is not the start of an escape.
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

fn path_to_nul(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| path_to_nul(item, format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                Some(path)
            } else {
                path_to_nul(item, path)
            }
        }),
        _ => None,
    }
}

/// The name of the first field of a urlencoded form (or query string) whose name or value
/// holds NUL once decoded.
pub fn nul_in_form(bytes: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(bytes)
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "\u{FFFD}"))
}

/// Whether a URI path holds an encoded NUL: `%00` is the only way (a raw NUL byte is no URI).
fn nul_in_path(path: &str) -> bool {
    path.contains("%00")
}

/// Middleware: a request whose path or query string holds NUL gets 422 before any route
/// sees it. Under /api/ the answer has the API's JSON error shape; elsewhere it is plain text.
pub async fn refuse_nul_in_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let field = if nul_in_path(uri.path()) {
        Some("path".to_string())
    } else {
        uri.query().and_then(|query| nul_in_form(query.as_bytes()))
    };
    let Some(field) = field else {
        return next.run(request).await;
    };
    nul_error(&field).into_response_for(uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_in_json_strings_and_keys_with_its_path() {
        assert_eq!(
            nul_in_json(br#"{"login":"x\u0000","password":"p"}"#).as_deref(),
            Some("login")
        );
        assert_eq!(
            nul_in_json(br#"{"segments":[{"text":"a"},{"text":"b\u0000"}]}"#).as_deref(),
            Some("segments[1].text")
        );
        assert_eq!(nul_in_json(br#"{"a\u0000":1}"#).as_deref(), Some("a\u{0}"));
        assert_eq!(nul_in_json(br#""\u0000""#).as_deref(), Some("body"));
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_not_nul() {
        assert_eq!(nul_in_json(br#"{"title":"C:\\u0000"}"#), None);
        assert_eq!(nul_in_json(br#"{"title":"plain"}"#), None);
        assert!(has_nul_escape(br#"{"title":"\\\u0000"}"#));
    }

    #[test]
    fn nul_is_found_in_forms_and_paths() {
        assert_eq!(
            nul_in_form(b"csrf=abc&title=a%00b").as_deref(),
            Some("title")
        );
        assert_eq!(nul_in_form(b"q=a+b&page=2"), None);
        assert!(nul_in_path("/api/v1/tags/a%00b"));
        assert!(!nul_in_path("/api/v1/tags/a%20b"));
    }

    #[test]
    fn check_refuses_nul_with_the_field_named() {
        let error = check("title", "a\0b").unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.code(), "invalid_text");
        assert!(check("title", "fine").is_ok());
    }
}
