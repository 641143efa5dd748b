//! Personal API tokens for scripts and phone shortcuts: named, optionally read-only, with an
//! expiry or none, shown once and stored hashed. They authenticate as
//! `Authorization: Bearer` like a session token; the `weft_pat_` prefix tells them apart.

use chrono::Duration;
use uuid::Uuid;

use super::{token, AccountError, Accounts};
use crate::db::api_tokens::{self, ApiToken};
use crate::domain::ValidationError;

/// What every personal API token starts with.
pub const PREFIX: &str = "weft_pat_";
/// The longest token name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest expiry, in days.
pub const MAX_DAYS: i64 = 3650;

/// A token just made: its row and the token itself, shown this once.
#[derive(Debug)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Whether a presented bearer token is a personal API token (rather than a session's).
pub fn is_api_token(presented: &str) -> bool {
    presented.starts_with(PREFIX)
}

fn check_name(name: &str) -> Result<String, ValidationError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ValidationError::new(
            "name",
            "give the token a name, such as the script or phone that will use it",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ValidationError::new(
            "name",
            format!("a token's name is at most {MAX_NAME_CHARS} characters; shorten it"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "name",
            "a token's name cannot hold control characters such as line breaks or NUL; \
             type it on one line",
        ));
    }
    Ok(name.to_string())
}

impl Accounts<'_> {
    /// Makes a token for `user_id`; `days` None never expires.
    pub async fn create_api_token(
        &self,
        user_id: Uuid,
        name: &str,
        read_only: bool,
        days: Option<i64>,
    ) -> Result<NewApiToken, AccountError> {
        let name = check_name(name)?;
        if let Some(days) = days {
            if !(1..=MAX_DAYS).contains(&days) {
                return Err(ValidationError::new(
                    "expiresInDays",
                    format!("a token lasts 1 to {MAX_DAYS} days, or leave it out for never"),
                )
                .into());
            }
        }
        let secret = format!("{PREFIX}{}", token::generate());
        let token = api_tokens::create(
            self.pool,
            user_id,
            &name,
            &token::hash(&secret),
            read_only,
            days.map(Duration::days),
        )
        .await?;
        tracing::info!(user_id = %user_id, token_id = %token.id, read_only, "API token created");
        Ok(NewApiToken { token, secret })
    }

    /// The user's tokens, newest first.
    pub async fn api_tokens(&self, user_id: Uuid) -> Result<Vec<ApiToken>, AccountError> {
        Ok(api_tokens::list(self.pool, user_id).await?)
    }

    /// Revokes one of the user's tokens; false when they have no such token.
    pub async fn revoke_api_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
    ) -> Result<bool, AccountError> {
        Ok(api_tokens::revoke(self.pool, user_id, token_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check_name("  phone ").unwrap(), "phone");
        assert!(check_name(" ").is_err());
        assert!(check_name("a\0b").is_err());
        assert!(check_name("two\nlines").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
        assert!(is_api_token("weft_pat_abc"));
        assert!(!is_api_token("abc"));
    }
}
