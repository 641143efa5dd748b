//! A password as a request carries it: read from JSON or a form like a string, used as a
//! `&str`, and never printed: its `Debug` shows `***`, so a request logged with `{:?}` (or a
//! panic message) cannot leak it.

use std::fmt;
use std::ops::Deref;

use serde::Deserialize;

/// A secret string.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
}

impl Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[derive(Debug, serde::Deserialize)]
    struct Login {
        login: String,
        password: Secret,
    }

    #[test]
    fn a_secret_reads_like_a_string_and_never_prints() {
        let request: Login =
            serde_json::from_str(r#"{"login":"jane","password":"hunter2-long"}"#).unwrap();
        assert_eq!(&*request.password, "hunter2-long");
        assert_eq!(request.login, "jane");
        let printed = format!("{request:?} {request:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("jane") && printed.contains("***"),
            "{printed}"
        );
        let form: Login = serde_urlencoded::from_str("login=jane&password=hunter2-long").unwrap();
        assert_eq!(&*form.password, "hunter2-long");
    }
}
