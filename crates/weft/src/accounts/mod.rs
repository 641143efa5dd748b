//! The accounts service: registering, signing in and out, and changing or deleting an
//! account, with the rules that go with them (valid names, throttled password checks,
//! sessions). It answers in [`AccountError`], which the HTTP layer turns into its answers.

pub mod api_tokens;
pub mod oidc;
pub mod reset;
pub mod second_factor;
pub mod session_cache;
pub mod sso;
pub mod throttle;
pub mod token;
pub mod totp;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::sessions;
use crate::db::users::{self, UniqueField, User, UserError};
use crate::domain::{check_new_password, password, Email, Username, ValidationError};
use crate::storage::Storage;
use session_cache::SessionCache;

/// The bcrypt cost of new hashes unless the operator chooses another.
pub const DEFAULT_BCRYPT_COST: u32 = 12;
/// Days a session lasts without use unless the operator chooses another length.
pub const DEFAULT_SESSION_DAYS: i64 = 30;

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
    /// Whether operator-made password reset links are taken (`WEFT_PASSWORD_RESET`).
    pub reset_links: bool,
    /// Whether people may sign in with a password (false: single sign-on only).
    pub password_signin: bool,
    /// The operator's OpenID provider, when single sign-on is set up.
    pub oidc: Option<std::sync::Arc<oidc::OidcProvider>>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            bcrypt_cost: DEFAULT_BCRYPT_COST,
            registration_open: true,
            session_ttl: chrono::Duration::days(DEFAULT_SESSION_DAYS),
            secure_cookies: false,
            throttle: throttle::ThrottleConfig::default(),
            trust_proxy: false,
            dummy_hash: tokio::sync::OnceCell::new(),
            reset_links: true,
            password_signin: true,
            oidc: None,
        }
    }
}

impl AuthConfig {
    /// Hashes a new password at the configured cost, off the async threads.
    pub async fn hash_password(&self, password: &str) -> anyhow::Result<String> {
        password::hash(password.to_string(), self.bcrypt_cost).await
    }

    /// Checks a password against a user's hash, or against a dummy hash of the same cost
    /// when there is no such user, so both take the same time. Off the async threads.
    pub async fn verify_password(
        &self,
        password: &str,
        hash: Option<&str>,
    ) -> anyhow::Result<bool> {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_string(), true),
            None => {
                let dummy = self
                    .dummy_hash
                    .get_or_try_init(|| password::hash(token::generate(), self.bcrypt_cost))
                    .await?;
                (dummy.clone(), false)
            }
        };
        let matches = password::verify(password.to_string(), hash).await?;
        Ok(matches && real)
    }
}

/// Why an account operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("registration is closed on this server")]
    RegistrationClosed,
    /// The operator turned password sign-in off (single sign-on only).
    #[error("password sign-in is turned off on this server")]
    PasswordSignInOff,
    #[error("that {0:?} is already taken")]
    Taken(UniqueField),
    /// A log-in with an unknown name or a wrong password (the same answer for both).
    #[error("wrong username, email or password")]
    InvalidCredentials,
    /// A signed-in user's password re-check failed; `field` is where it was typed.
    #[error("the current password is not correct")]
    WrongPassword { field: String },
    #[error("{what}; try again in {seconds} seconds")]
    Throttled { seconds: u64, what: &'static str },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Hashing failed (a blocking task died).
    #[error(transparent)]
    Hashing(#[from] anyhow::Error),
}

impl From<UserError> for AccountError {
    fn from(error: UserError) -> Self {
        match error {
            UserError::Taken(field) => Self::Taken(field),
            UserError::Database(error) => Self::Database(error),
        }
    }
}

async fn second_factor_on(pool: &PgPool, user_id: Uuid) -> Result<bool, AccountError> {
    Ok(crate::db::second_factor::enabled(pool, user_id).await?)
}

/// Who is asking: the client's address (for throttling) and user agent (for the session
/// list).
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub address: &'a str,
    pub user_agent: Option<&'a str>,
}

/// A new session: the token to hand to the client once, and its CSRF companion.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The accounts of one server: its database and its account settings.
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'a> {
    pub pool: &'a PgPool,
    pub config: &'a AuthConfig,
    /// What this server keeps of sessions: a change to a user's sessions or row drops that
    /// user's entries as soon as it commits, whoever asked for it (a reset link has no
    /// session of the user it changes), without waiting for the database's notice.
    pub sessions: &'a SessionCache,
}

impl Accounts<'_> {
    /// Registers a new account. Each registration costs a bcrypt hash, so they are
    /// throttled per address.
    pub async fn register(
        &self,
        client: Client<'_>,
        username: &str,
        email: &str,
        password: &str,
    ) -> Result<User, AccountError> {
        if !self.config.registration_open {
            return Err(AccountError::RegistrationClosed);
        }
        if !self.config.password_signin {
            return Err(AccountError::PasswordSignInOff);
        }
        let username = Username::parse(username)?;
        let email = Email::parse(email)?;
        check_new_password(password, "password")?;
        throttle::register(self.pool, &self.config.throttle, client.address).await?;
        let hash = self.config.hash_password(password).await?;
        let user = users::create(self.pool, &username, &email, &hash).await?;
        tracing::info!(user_id = %user.id, "registered");
        Ok(user)
    }

    /// Checks a log-in by username or email. Failures count against the account and the
    /// address; too many get [`AccountError::Throttled`].
    pub async fn log_in(
        &self,
        client: Client<'_>,
        login: &str,
        password: &str,
    ) -> Result<User, AccountError> {
        if !self.config.password_signin {
            return Err(AccountError::PasswordSignInOff);
        }
        let config = &self.config.throttle;
        let login = login.trim();
        let user = if login.is_empty() || login.len() > 254 {
            None
        } else {
            users::find_by_login(self.pool, login).await?
        };
        // Failures count against the account, whichever of its names was typed (and against
        // the typed name when there is no such account, so probing costs the same).
        let account = user
            .as_ref()
            .map(|u| u.id.to_string())
            .unwrap_or_else(|| login.to_lowercase());
        throttle::check(self.pool, config, &account, client.address).await?;
        let valid = self
            .config
            .verify_password(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        let Some(user) = user.filter(|_| valid) else {
            throttle::failed(self.pool, config, &account, client.address).await?;
            return Err(AccountError::InvalidCredentials);
        };
        // With two-factor sign-in the account's failures are forgotten only after the code
        // (answer_challenge): a known password must not reset the count of guessed codes.
        if !second_factor_on(self.pool, user.id).await? {
            throttle::succeeded(self.pool, &account).await?;
        }
        Ok(user)
    }

    /// Starts a session for `user`.
    pub async fn start_session(
        &self,
        user: &User,
        client: Client<'_>,
    ) -> Result<NewSession, AccountError> {
        let token = token::generate();
        let session = sessions::create(
            self.pool,
            user.id,
            &token::hash(&token),
            self.config.session_ttl,
            client.user_agent,
            Some(client.address),
        )
        .await?;
        Ok(NewSession {
            csrf_token: token::csrf_for(&token),
            token,
            expires_at: session.expires_at,
        })
    }

    /// Ends one of the user's sessions; false when it was not theirs or already ended.
    pub async fn end_session(&self, user_id: Uuid, session_id: Uuid) -> Result<bool, AccountError> {
        let ended = sessions::revoke(self.pool, user_id, session_id).await?;
        self.sessions.forget_user(user_id);
        Ok(ended)
    }

    /// Refuses unless `password` is the user's current one. A wrong one counts like a
    /// failed log-in (log-ins and re-checks share the account's count), so a stolen session
    /// cannot be used to guess the password.
    pub async fn confirm_password(
        &self,
        user: &User,
        password: &str,
        field: &str,
    ) -> Result<(), AccountError> {
        let config = &self.config.throttle;
        let account = user.id.to_string();
        throttle::check_account(self.pool, config, &account).await?;
        if self
            .config
            .verify_password(password, Some(&user.password_hash))
            .await?
        {
            Ok(())
        } else {
            throttle::failed_account(self.pool, config, &account).await?;
            Err(AccountError::WrongPassword {
                field: field.to_string(),
            })
        }
    }

    /// Changes the username and/or email, confirmed by the current password.
    pub async fn update_identity(
        &self,
        user: &User,
        username: Option<&str>,
        email: Option<&str>,
        password: &str,
    ) -> Result<User, AccountError> {
        let username = username.map(Username::parse).transpose()?;
        let email = email.map(Email::parse).transpose()?;
        self.confirm_password(user, password, "password").await?;
        let updated =
            users::update_identity(self.pool, user.id, username.as_deref(), email.as_deref())
                .await?;
        self.sessions.forget_user(user.id);
        Ok(updated)
    }

    /// Changes the password, confirmed by the current one; every session but `keep` ends.
    pub async fn change_password(
        &self,
        user: &User,
        keep: Uuid,
        current: &str,
        new: &str,
    ) -> Result<(), AccountError> {
        check_new_password(new, "newPassword")?;
        self.confirm_password(user, current, "currentPassword")
            .await?;
        let hash = self.config.hash_password(new).await?;
        let mut tx = crate::db::scoped::begin(self.pool).await?;
        users::set_password_hash(&mut *tx, user.id, &hash).await?;
        sessions::revoke_others(&mut *tx, user.id, Some(keep)).await?;
        tx.commit().await?;
        self.sessions.forget_user(user.id);
        Ok(())
    }

    /// Deletes the account with every journal, transcript, tag, session and video of it,
    /// confirmed by the password.
    pub async fn delete(
        &self,
        user: &User,
        password: &str,
        storage: &Storage,
    ) -> Result<(), AccountError> {
        self.confirm_password(user, password, "password").await?;
        users::delete(self.pool, user.id).await?;
        self.sessions.forget_user(user.id);
        // Rows first: files whose removal fails are orphans for the sweep, never rows that
        // point at nothing.
        if let Err(error) = crate::ingest::remove_user_media(storage, user.id).await {
            tracing::warn!(%error, user_id = %user.id, "could not remove a deleted account's files");
        }
        tracing::info!(user_id = %user.id, "account deleted");
        Ok(())
    }
}

impl Accounts<'_> {
    /// The user's transcription language (`None`: detected).
    pub async fn transcription_language(&self, user: Uuid) -> Result<Option<String>, AccountError> {
        Ok(users::transcription_language(self.pool, user).await?)
    }

    /// Sets the user's transcription language: a code, or `auto` to detect it.
    pub async fn set_transcription_language(
        &self,
        user: Uuid,
        language: &str,
    ) -> Result<Option<String>, AccountError> {
        let language = crate::domain::Language::parse(language, "transcriptionLanguage")?;
        users::set_transcription_language(self.pool, user, language.code()).await?;
        Ok(language.code().map(str::to_owned))
    }

    /// The user's time zone (`None`: UTC).
    pub async fn time_zone(&self, user: Uuid) -> Result<Option<String>, AccountError> {
        Ok(users::time_zone(self.pool, user).await?)
    }

    /// The time zone names a person may choose, sorted: those PostgreSQL knows, read once
    /// per process (reading `pg_timezone_names` walks the server's time zone files, about
    /// 60 ms each time).
    pub async fn time_zone_names(&self) -> Result<&'static [String], AccountError> {
        static NAMES: tokio::sync::OnceCell<Vec<String>> = tokio::sync::OnceCell::const_new();
        let names = NAMES
            .get_or_try_init(|| users::time_zone_names(self.pool))
            .await?;
        Ok(names.as_slice())
    }

    /// Sets the user's time zone: a name PostgreSQL knows, in any case (stored as it
    /// spells it), or nothing for UTC. Returns the zone as stored.
    pub async fn set_time_zone(
        &self,
        user: Uuid,
        name: &str,
    ) -> Result<Option<String>, AccountError> {
        const FIELD: &str = "timeZone";
        let zone = match crate::domain::days::time_zone_name(name, FIELD)? {
            None => None,
            Some(name) => {
                let names = self.time_zone_names().await?;
                let known = names
                    .iter()
                    .find(|n| **n == name)
                    .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(&name)));
                Some(known.cloned().ok_or_else(|| {
                    ValidationError::new(
                        FIELD,
                        format!(
                            "Weft knows no time zone called {name}. Choose one from the list, \
                             such as Europe/Lisbon or America/New_York."
                        ),
                    )
                })?)
            }
        };
        users::set_time_zone(self.pool, user, zone.as_deref()).await?;
        Ok(zone)
    }
}
