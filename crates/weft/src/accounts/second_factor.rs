//! Two-factor sign-in: setting up an authenticator (confirmed by a code before it takes
//! effect), the second step of a sign-in (a short-lived challenge answered by a code or a
//! recovery code), and turning it off. Wrong codes count in the throttle like wrong
//! passwords; a code's time step, once accepted, is never accepted again.

use chrono::{Duration, Utc};
use uuid::Uuid;

use super::{throttle, token, totp, AccountError, Accounts, Client};
use crate::db::second_factor::{self, TotpSecret};
use crate::db::users::{self, User};
use crate::domain::ValidationError;

/// How long a sign-in waits for its code.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Recovery codes made at setup.
pub const RECOVERY_CODES: usize = 10;

/// A sign-in waiting for its second step: the token the client answers with.
#[derive(Debug)]
pub struct Challenge {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
}

fn wrong_code(field: &str) -> AccountError {
    ValidationError::new(
        field,
        "that code is not right: type the six digits your authenticator app shows now, or one \
         of your unused recovery codes",
    )
    .into()
}

/// A new recovery code: 16 base32 characters (80 random bits) in groups of four.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    totp::base32(&bytes)
        .to_lowercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed code as stored: without spaces and dashes, in lower case.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Accounts<'_> {
    /// Whether the user signs in with a second factor.
    pub async fn two_factor_enabled(&self, user_id: Uuid) -> Result<bool, AccountError> {
        Ok(second_factor::enabled(self.pool, user_id).await?)
    }

    /// The user's authenticator waiting for its confirming code, if any.
    pub async fn pending_two_factor(
        &self,
        user_id: Uuid,
    ) -> Result<Option<TotpSecret>, AccountError> {
        let secret = second_factor::secret(self.pool, user_id).await?;
        Ok(secret.filter(|s| s.confirmed_at.is_none()))
    }

    /// Starts setting up an authenticator: a new secret, not in effect until confirmed.
    pub async fn begin_two_factor(&self, user: &User) -> Result<Vec<u8>, AccountError> {
        let secret = totp::generate_secret();
        if !second_factor::set_pending(self.pool, user.id, &secret).await? {
            return Err(ValidationError::new(
                "twoFactor",
                "two-factor sign-in is already on; turn it off first to set up another app",
            )
            .into());
        }
        Ok(secret)
    }

    /// Confirms the pending authenticator with a code from it; from now on sign-ins ask for
    /// a code. Returns the ten recovery codes, to be shown once.
    pub async fn confirm_two_factor(
        &self,
        user: &User,
        code: &str,
    ) -> Result<Vec<String>, AccountError> {
        let config = &self.config.throttle;
        let account = user.id.to_string();
        throttle::check_account(self.pool, config, &account).await?;
        let Some(pending) = self.pending_two_factor(user.id).await? else {
            return Err(ValidationError::new(
                "code",
                "there is no authenticator waiting to be confirmed; start the setup again",
            )
            .into());
        };
        let step = totp::verify(&pending.secret, code, Utc::now().timestamp(), None);
        let Some(step) = step else {
            throttle::failed_account(self.pool, config, &account).await?;
            return Err(wrong_code("code"));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let hashes: Vec<Vec<u8>> = codes.iter().map(|c| token::hash(&normalise(c))).collect();
        let mut tx = self.pool.begin().await?;
        if !second_factor::use_step(&mut *tx, user.id, step).await? {
            return Err(wrong_code("code"));
        }
        second_factor::replace_recovery_codes(&mut *tx, user.id, &hashes).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, "two-factor sign-in turned on");
        Ok(codes)
    }

    /// Turns two-factor sign-in off, confirmed by the password and a code (or a recovery
    /// code).
    pub async fn disable_two_factor(
        &self,
        user: &User,
        password: &str,
        code: &str,
    ) -> Result<(), AccountError> {
        self.confirm_password(user, password, "password").await?;
        let config = &self.config.throttle;
        let account = user.id.to_string();
        throttle::check_account(self.pool, config, &account).await?;
        if !self.spend_code(user.id, code).await? {
            throttle::failed_account(self.pool, config, &account).await?;
            return Err(wrong_code("code"));
        }
        second_factor::remove(self.pool, user.id).await?;
        tracing::info!(user_id = %user.id, "two-factor sign-in turned off");
        Ok(())
    }

    /// After a right password: a challenge to answer with a code when the user has
    /// two-factor sign-in on, else nothing (start the session).
    pub async fn second_step(&self, user: &User) -> Result<Option<Challenge>, AccountError> {
        if !self.two_factor_enabled(user.id).await? {
            return Ok(None);
        }
        let token = token::generate();
        let ttl = Duration::minutes(CHALLENGE_MINUTES);
        second_factor::create_challenge(self.pool, user.id, &token::hash(&token), ttl).await?;
        Ok(Some(Challenge {
            token,
            expires_at: Utc::now() + ttl,
        }))
    }

    /// Answers a sign-in's challenge with a code or a recovery code: the user, whose
    /// session may now start. A wrong code counts against the account and the address.
    pub async fn answer_challenge(
        &self,
        client: Client<'_>,
        challenge: &str,
        code: &str,
    ) -> Result<User, AccountError> {
        let expired = || -> AccountError {
            ValidationError::new(
                "challenge",
                "this sign-in has expired (it waits five minutes for the code); sign in with \
                 your password again",
            )
            .into()
        };
        if challenge.is_empty() || challenge.len() > 256 {
            return Err(expired());
        }
        let hash = token::hash(challenge);
        let user_id = second_factor::challenge_user(self.pool, &hash)
            .await?
            .ok_or_else(expired)?;
        let config = &self.config.throttle;
        let account = user_id.to_string();
        throttle::check(self.pool, config, &account, client.address).await?;
        if !self.spend_code(user_id, code).await? {
            throttle::failed(self.pool, config, &account, client.address).await?;
            return Err(wrong_code("code"));
        }
        if !second_factor::end_challenge(self.pool, &hash).await? {
            return Err(expired());
        }
        throttle::succeeded(self.pool, &account).await?;
        users::find(self.pool, user_id).await?.ok_or_else(expired)
    }

    /// Accepts a six-digit code of a step not used before, or an unused recovery code, and
    /// marks it used.
    async fn spend_code(&self, user_id: Uuid, code: &str) -> Result<bool, AccountError> {
        let code = normalise(code);
        if code.is_empty() || code.len() > 64 {
            return Ok(false);
        }
        if code.len() == totp::DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit()) {
            let Some(secret) = second_factor::secret(self.pool, user_id).await? else {
                return Ok(false);
            };
            if secret.confirmed_at.is_none() {
                return Ok(false);
            }
            let now = Utc::now().timestamp();
            return Ok(
                match totp::verify(&secret.secret, &code, now, secret.last_step) {
                    Some(step) => second_factor::use_step(self.pool, user_id, step).await?,
                    None => false,
                },
            );
        }
        Ok(second_factor::use_recovery_code(self.pool, user_id, &token::hash(&code)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_long_random_and_typed_loosely() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        assert_ne!(code, new_recovery_code());
        assert_eq!(
            normalise(&code.to_uppercase().replace('-', " ")),
            normalise(&code)
        );
        assert_eq!(normalise(" 123 456 "), "123456");
    }
}
