//! Weft's own vocabulary, below every other layer: values that are valid by construction
//! (a username, an email address, a title, a tag), the error that says why one is not, the
//! secret wrapper, and a transcript's segments. Nothing here reads a database, a file or a
//! request; the HTTP layer maps a [`ValidationError`] to its 422 answer in one place
//! (`api::error`).

mod account;
mod journal;
mod language;
pub mod password;
mod secret;
mod transcript;

pub use account::{check_new_password, Email, Username, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
pub use journal::{
    optional_text, parse_tag_list, Media, Tag, TagError, Title, MAX_LOCATION_CHARS,
    MAX_NOTES_CHARS, MAX_TAGS, MAX_TAG_CHARS,
};
pub use language::{language_name, Language, LANGUAGES};
pub use secret::Secret;
pub use transcript::{retime_corrected, Segment, Word};

/// Why a value from outside is not acceptable: the field it came in and a sentence for the
/// person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Implements the string-like surface shared by the validated text newtypes.
macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use text_newtype;
