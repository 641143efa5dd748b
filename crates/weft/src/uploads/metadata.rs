//! `Upload-Metadata`: comma-separated pairs of a key and its value in base64 (tus 1.0,
//! creation extension). Weft reads `title` (required), `tags` (comma-separated),
//! `location`, `notes` and `filename`; other keys are ignored, so that clients may send
//! what they like (tus-js-client sends `filetype`, for one). The text is checked as the
//! multipart form's is, at creation, before any byte is sent.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::domain::{
    optional_text, parse_tag_list, Title, ValidationError, MAX_LOCATION_CHARS, MAX_NOTES_CHARS,
};
use crate::ingest::Details;

/// The longest `Upload-Metadata` header read.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The longest file name kept.
const MAX_FILENAME_CHARS: usize = 255;

/// Why the metadata was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    /// Not pairs of a key and base64 text.
    #[error("{0}")]
    Malformed(String),
    /// A value holds NUL (U+0000), which PostgreSQL cannot store.
    #[error("`{0}` contains a NUL character")]
    Nul(String),
    /// A value breaks the rule of its field (title missing or too long, too many tags...).
    #[error("{}", .0.message)]
    Invalid(ValidationError),
}

/// The metadata Weft keeps, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub title: String,
    pub tags: Vec<String>,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub filename: Option<String>,
}

impl Metadata {
    /// Parses and checks an `Upload-Metadata` header (`None`: the header was not sent).
    pub fn parse(header: Option<&str>) -> Result<Metadata, MetadataError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let header = header.unwrap_or("");
        if header.len() > MAX_HEADER_BYTES {
            return Err(MetadataError::Malformed(format!(
                "Upload-Metadata is longer than {MAX_HEADER_BYTES} bytes"
            )));
        }
        for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut parts = pair.split(' ').filter(|p| !p.is_empty());
            let key = parts.next().unwrap_or_default();
            let encoded = parts.next().unwrap_or("");
            if parts.next().is_some() {
                return Err(MetadataError::Malformed(format!(
                    "Upload-Metadata pair `{key}` has more than a key and one base64 value"
                )));
            }
            if pairs.iter().any(|(k, _)| k == key) {
                return Err(MetadataError::Malformed(format!(
                    "Upload-Metadata names `{key}` twice"
                )));
            }
            let bytes = STANDARD.decode(encoded).map_err(|_| {
                MetadataError::Malformed(format!(
                    "the value of `{key}` in Upload-Metadata is not base64"
                ))
            })?;
            let value = String::from_utf8(bytes).map_err(|_| {
                MetadataError::Malformed(format!(
                    "the value of `{key}` in Upload-Metadata is not UTF-8 text"
                ))
            })?;
            if value.contains('\0') {
                return Err(MetadataError::Nul(key.to_string()));
            }
            pairs.push((key.to_string(), value));
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let filename = optional_text(get("filename"), "filename", MAX_FILENAME_CHARS)
            .map_err(MetadataError::Invalid)?;
        Ok(Metadata {
            title: Title::parse(get("title").unwrap_or(""))
                .map_err(MetadataError::Invalid)?
                .into_string(),
            tags: parse_tag_list(get("tags").unwrap_or(""))
                .map_err(|e| MetadataError::Invalid(e.in_field("tags")))?,
            location: optional_text(get("location"), "location", MAX_LOCATION_CHARS)
                .map_err(MetadataError::Invalid)?,
            notes: optional_text(get("notes"), "notes", MAX_NOTES_CHARS)
                .map_err(MetadataError::Invalid)?,
            filename,
        })
    }

    /// As stored in the upload's row.
    pub fn to_json(&self) -> Value {
        json!({
            "title": self.title,
            "tags": self.tags,
            "location": self.location,
            "notes": self.notes,
            "filename": self.filename,
        })
    }

    /// Back from the row (written by [`Metadata::to_json`]).
    pub fn from_json(value: &Value) -> Metadata {
        let text = |name: &str| value[name].as_str().map(str::to_string);
        Metadata {
            title: text("title").unwrap_or_default(),
            tags: value["tags"]
                .as_array()
                .map(|tags| {
                    tags.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            location: text("location"),
            notes: text("notes"),
            filename: text("filename"),
        }
    }

    /// The `Upload-Metadata` header that says the same (HEAD answers it).
    pub fn header(&self) -> String {
        let mut pairs = vec![format!("title {}", STANDARD.encode(&self.title))];
        if !self.tags.is_empty() {
            pairs.push(format!("tags {}", STANDARD.encode(self.tags.join(","))));
        }
        for (key, value) in [
            ("location", &self.location),
            ("notes", &self.notes),
            ("filename", &self.filename),
        ] {
            if let Some(value) = value {
                pairs.push(format!("{key} {}", STANDARD.encode(value)));
            }
        }
        pairs.join(",")
    }

    /// The journal's details; `import_key` makes the journal once only per upload.
    pub fn details(&self, import_key: String) -> Details {
        Details {
            title: self.title.clone(),
            location: self.location.clone(),
            notes: self.notes.clone(),
            tags: self.tags.clone(),
            import_key: Some(import_key),
            ..Details::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        STANDARD.encode(text)
    }

    #[test]
    fn pairs_are_decoded_and_checked() {
        let header = format!(
            "title {},tags {},filename {},filetype {},empty",
            b64("  A walk "),
            b64("Travel, family,travel"),
            b64("clip.mp4"),
            b64("video/mp4")
        );
        let metadata = Metadata::parse(Some(&header)).unwrap();
        assert_eq!(metadata.title, "A walk");
        assert_eq!(metadata.tags, vec!["travel", "family"]);
        assert_eq!(metadata.filename.as_deref(), Some("clip.mp4"));
        assert_eq!(metadata.location, None);
        assert_eq!(Metadata::from_json(&metadata.to_json()), metadata);
        assert_eq!(Metadata::parse(Some(&metadata.header())).unwrap(), metadata);
    }

    #[test]
    fn a_missing_title_nul_and_bad_base64_are_refused() {
        assert!(matches!(
            Metadata::parse(None),
            Err(MetadataError::Invalid(e)) if e.field == "title"
        ));
        assert_eq!(
            Metadata::parse(Some(&format!("title {}", b64("a\0b")))),
            Err(MetadataError::Nul("title".into()))
        );
        assert!(matches!(
            Metadata::parse(Some("title ***")),
            Err(MetadataError::Malformed(_))
        ));
        assert!(matches!(
            Metadata::parse(Some(&format!("title {0},title {0}", b64("x")))),
            Err(MetadataError::Malformed(_))
        ));
        let long = "x".repeat(201);
        assert!(matches!(
            Metadata::parse(Some(&format!("title {}", b64(&long)))),
            Err(MetadataError::Invalid(e)) if e.field == "title"
        ));
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(matches!(
            Metadata::parse(Some(&format!("title {},tags {}", b64("x"), b64(&many.join(","))))),
            Err(MetadataError::Invalid(e)) if e.field == "tags"
        ));
    }
}
