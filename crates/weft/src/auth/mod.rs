//! Accounts: what a valid username, email and password are; session tokens; the signed-in
//! user of a request; log-in throttling.

pub mod current;
pub mod secret;
pub mod throttle;
pub mod token;

pub use secret::Secret;

use crate::api::ApiError;

/// bcrypt reads at most this many bytes of a password; longer ones are refused rather than
/// silently cut short.
pub const MAX_PASSWORD_BYTES: usize = 72;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Checks a username: 3 to 32 characters of letters, digits, `.`, `_` or `-`, starting with
/// a letter or digit. Returns it trimmed.
pub fn validate_username(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let length = name.chars().count();
    if !(3..=32).contains(&length) {
        return Err(ApiError::invalid(
            "username",
            "a username has 3 to 32 characters",
        ));
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let all_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !first_ok || !all_ok {
        return Err(ApiError::invalid(
            "username",
            "a username uses letters, digits, '.', '_' and '-', and starts with a letter or digit",
        ));
    }
    Ok(name.to_string())
}

/// Checks an email address's shape (one `@`, a dotted domain, no spaces, at most 254
/// characters). Returns it trimmed.
pub fn validate_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim();
    let bad = || ApiError::invalid("email", "that is not a valid email address");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(bad());
    }
    Ok(email.to_string())
}

/// Checks a new password: at least 8 characters and at most 72 bytes (bcrypt's limit).
pub fn validate_password(password: &str, field: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(
            field,
            "a password needs at least 8 characters",
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::invalid(
            field,
            "a password can be at most 72 bytes long (the limit of bcrypt, which stores it); \
             use a shorter passphrase",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert_eq!(validate_username("  jane.doe-2 ").unwrap(), "jane.doe-2");
        for bad in [
            "ab",
            "_jane",
            "jane doe",
            "jäne",
            &"x".repeat(33),
            "",
            "jane@home",
        ] {
            assert!(validate_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_need_a_plausible_shape() {
        assert_eq!(
            validate_email(" Jane@Example.com ").unwrap(),
            "Jane@Example.com"
        );
        for bad in [
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "jane@@example.com",
            "jane@example..com",
            "jane@.example.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_need_eight_characters_and_fit_in_bcrypt() {
        assert!(validate_password("short", "password").is_err());
        assert!(validate_password("long enough", "password").is_ok());
        assert!(validate_password(&"a".repeat(72), "password").is_ok());
        let error = validate_password(&"a".repeat(73), "password").unwrap_err();
        assert_eq!(error.code(), "invalid_field");
        // 8 characters but 24 bytes: the character count is what a person sees.
        assert!(validate_password("éééééééé", "password").is_ok());
    }
}

/// Account and session settings of a running server.
#[derive(Debug)]
pub struct AuthConfig {
    /// bcrypt cost for new hashes (10 or more).
    pub bcrypt_cost: u32,
    /// Whether anyone may register.
    pub registration_open: bool,
    /// How long a session lives without use.
    pub session_ttl: chrono::Duration,
    /// Mark cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
    pub throttle: throttle::ThrottleConfig,
    /// Take the client address from `X-Forwarded-For` (behind a trusted reverse proxy).
    pub trust_proxy: bool,
    /// A hash to check unknown users against, so they cost as much as a wrong password.
    pub dummy_hash: tokio::sync::OnceCell<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            bcrypt_cost: 12,
            registration_open: true,
            session_ttl: chrono::Duration::days(30),
            secure_cookies: false,
            throttle: throttle::ThrottleConfig::default(),
            trust_proxy: false,
            dummy_hash: tokio::sync::OnceCell::new(),
        }
    }
}

impl AuthConfig {
    /// Hashes a new password at the configured cost, off the async threads.
    pub async fn hash_password(&self, password: &str) -> Result<String, ApiError> {
        Ok(crate::db::users::hash_password(password.to_string(), self.bcrypt_cost).await?)
    }

    /// Checks a password against a user's hash, or against a dummy hash of the same cost
    /// when there is no such user, so both take the same time. Off the async threads.
    pub async fn verify_password(
        &self,
        password: &str,
        hash: Option<&str>,
    ) -> Result<bool, ApiError> {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_string(), true),
            None => {
                let dummy = self
                    .dummy_hash
                    .get_or_try_init(|| {
                        crate::db::users::hash_password(token::generate(), self.bcrypt_cost)
                    })
                    .await?;
                (dummy.clone(), false)
            }
        };
        let matches = crate::db::users::verify_password(password.to_string(), hash).await?;
        Ok(matches && real)
    }
}
