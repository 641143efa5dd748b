//! What a valid journal title, text field and tag are, and what kind of recording an entry has.

use super::{text_newtype, ValidationError};

/// The longest location, in characters.
pub const MAX_LOCATION_CHARS: usize = 500;
/// The longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 20_000;
/// The longest tag accepted, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// The most tags one journal may carry.
pub const MAX_TAGS: usize = 20;

/// What an entry's recording is: a video, a sound recording, or none (notes only). Stored in
/// `journals.media` and shown in the API as `"video"`, `"audio"` or `"none"`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Media {
    #[default]
    Video,
    Audio,
    None,
}

impl Media {
    /// The spelling of the database, the API and the pages (`data-media`).
    pub fn as_str(self) -> &'static str {
        match self {
            Media::Video => "video",
            Media::Audio => "audio",
            Media::None => "none",
        }
    }

    /// Whether the entry has a file to play (and to transcribe).
    pub fn has_recording(self) -> bool {
        self != Media::None
    }
}

/// A journal's title: 1 to 200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);
text_newtype!(Title);

impl Title {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let title = raw.trim();
        match title.chars().count() {
            0 => Err(ValidationError::new("title", "a journal needs a title")),
            1..=200 => Ok(Self(title.to_string())),
            _ => Err(ValidationError::new(
                "title",
                "a title has at most 200 characters",
            )),
        }
    }
}

/// Checks an optional text field: trimmed, empty means none, at most `max` characters.
pub fn optional_text(
    raw: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("{field} has at most {max} characters"),
        ));
    }
    Ok(Some(text.to_string()))
}

/// Why a tag or a tag list is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TagError {
    #[error("a tag has at most {MAX_TAG_CHARS} characters: {0:?} is longer")]
    TooLong(String),
    #[error("a journal carries at most {MAX_TAGS} tags")]
    TooMany,
    #[error("a tag cannot contain a comma or a control character: {0:?}")]
    BadCharacter(String),
}

impl TagError {
    /// The same refusal, said of the request field it came in.
    pub fn in_field(&self, field: &str) -> ValidationError {
        ValidationError::new(field, self.to_string())
    }
}

/// A tag as stored: trimmed and lower-case (the database normalises them too), without
/// commas or control characters, at most 50 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);
text_newtype!(Tag);

impl Tag {
    /// Normalises one tag; `None` for a blank one.
    pub fn parse(raw: &str) -> Result<Option<Self>, TagError> {
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() {
            return Ok(None);
        }
        if tag.chars().any(|c| c == ',' || c.is_control()) {
            return Err(TagError::BadCharacter(tag));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(TagError::TooLong(tag));
        }
        Ok(Some(Self(tag)))
    }

    /// Normalises a list, dropping blanks and duplicates, keeping the first order.
    pub fn parse_all<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, TagError> {
        let mut tags: Vec<String> = Vec::new();
        for item in raw {
            if let Some(tag) = Self::parse(item)? {
                if !tags.contains(&tag.0) {
                    tags.push(tag.0);
                }
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(TagError::TooMany);
        }
        Ok(tags)
    }
}

/// Splits a comma-separated tag list (as sent in an upload form or typed on a page).
pub fn parse_tag_list(raw: &str) -> Result<Vec<String>, TagError> {
    Tag::parse_all(raw.split(','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_spelled_in_lower_case() {
        assert_eq!(serde_json::to_string(&Media::Audio).unwrap(), "\"audio\"");
        assert_eq!(Media::None.as_str(), "none");
        assert!(Media::Video.has_recording() && !Media::None.has_recording());
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Harbour  ").unwrap().as_str(), "Harbour");
        assert_eq!(Title::parse("   ").unwrap_err().field, "title");
        assert!(Title::parse(&"é".repeat(200)).is_ok());
        assert!(Title::parse(&"é".repeat(201)).is_err());
    }

    #[test]
    fn optional_text_drops_blanks_and_counts_characters() {
        assert_eq!(optional_text(Some("  "), "notes", 5), Ok(None));
        assert_eq!(optional_text(None, "notes", 5), Ok(None));
        assert_eq!(
            optional_text(Some(" ab "), "notes", 5),
            Ok(Some("ab".into()))
        );
        let error = optional_text(Some("abcdef"), "location", 5).unwrap_err();
        assert_eq!(error.field, "location");
    }

    #[test]
    fn tags_are_normalised_and_lists_deduplicated() {
        assert_eq!(
            Tag::parse(" Family Trip ").unwrap().unwrap().as_str(),
            "family trip"
        );
        assert_eq!(Tag::parse("  "), Ok(None));
        assert!(matches!(
            Tag::parse("a\u{7}b"),
            Err(TagError::BadCharacter(_))
        ));
        assert!(matches!(
            Tag::parse(&"x".repeat(51)),
            Err(TagError::TooLong(_))
        ));
        assert_eq!(
            parse_tag_list(" Travel, family ,, TRAVEL ,").unwrap(),
            vec!["travel", "family"]
        );
        assert_eq!(parse_tag_list("").unwrap(), Vec::<String>::new());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(
            Tag::parse_all(many.iter().map(String::as_str)),
            Err(TagError::TooMany)
        );
    }
}
