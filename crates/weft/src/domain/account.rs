//! What a valid username, email address and new password are.

use super::{text_newtype, ValidationError};

/// bcrypt reads at most this many bytes of a password; longer ones are refused rather than
/// silently cut short.
pub const MAX_PASSWORD_BYTES: usize = 72;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A username: 3 to 32 characters of letters, digits, `.`, `_` or `-`, starting with a
/// letter or digit, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);
text_newtype!(Username);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        let length = name.chars().count();
        if !(3..=32).contains(&length) {
            return Err(ValidationError::new(
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
            return Err(ValidationError::new(
                "username",
                "a username uses letters, digits, '.', '_' and '-', and starts with a letter or digit",
            ));
        }
        Ok(Self(name.to_string()))
    }
}

/// An email address of a plausible shape (one `@`, a dotted domain, no spaces, at most 254
/// characters), trimmed. Its letter case is kept; lookups ignore it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
text_newtype!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim();
        let bad = || ValidationError::new("email", "that is not a valid email address");
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
        Ok(Self(email.to_string()))
    }
}

/// Checks a new password, sent as `field`: at least 8 characters and at most 72 bytes
/// (bcrypt's limit).
pub fn check_new_password(password: &str, field: &str) -> Result<(), ValidationError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ValidationError::new(
            field,
            "a password needs at least 8 characters",
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ValidationError::new(
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
        assert_eq!(
            Username::parse("  jane.doe-2 ").unwrap().as_str(),
            "jane.doe-2"
        );
        for bad in [
            "ab",
            "_jane",
            "jane doe",
            "jäne",
            &"x".repeat(33),
            "",
            "jane@home",
        ] {
            let error = Username::parse(bad).unwrap_err();
            assert_eq!(error.field, "username", "{bad:?}");
        }
    }

    #[test]
    fn emails_need_a_plausible_shape() {
        assert_eq!(
            Email::parse(" Jane@Example.com ").unwrap().as_str(),
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
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_need_eight_characters_and_fit_in_bcrypt() {
        assert!(check_new_password("short", "password").is_err());
        assert!(check_new_password("long enough", "password").is_ok());
        assert!(check_new_password(&"a".repeat(72), "password").is_ok());
        let error = check_new_password(&"a".repeat(73), "newPassword").unwrap_err();
        assert_eq!(error.field, "newPassword");
        // 8 characters but 24 bytes: the character count is what a person sees.
        assert!(check_new_password("éééééééé", "password").is_ok());
    }
}
