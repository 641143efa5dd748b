//! Single sign-on with the operator's OpenID provider, the account side: starting a
//! sign-in or a linking, finishing it at the callback, and unlinking. The rules:
//! - an identity (issuer, subject) linked to an account signs in to that account;
//! - an identity linked to nothing never takes an existing account over: when its email is
//!   an account's, the person must sign in with the password and link the identity from the
//!   account page; an unverified email is refused outright;
//! - otherwise a new account is made when the operator allows it;
//! - unlinking is refused when it would leave the account without a way to sign in.
//!
//! The protocol itself (PKCE, state, nonce, token checks) is `oidc.rs`.

use std::sync::Arc;

use uuid::Uuid;

use super::oidc::{Identity, OidcError, OidcProvider, LOGIN_MINUTES};
use super::{token, Accounts, Client, NewSession};
use crate::db::identities::{self, LinkError};
use crate::db::throttle;
use crate::db::users::{self, UniqueField, User, UserError};
use crate::domain::Username;

/// Why a single sign-on step was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not set up on this server")]
    NotConfigured,
    /// The callback's state is unknown, used, expired, or not this browser's.
    #[error("this sign-in link is not valid here (it was used already, has expired, or was started in another browser); start again")]
    UnknownState,
    /// The provider answered the authorization request with an error.
    #[error("the sign-in provider did not sign you in ({0})")]
    ProviderDeclined(String),
    #[error(transparent)]
    Provider(#[from] OidcError),
    #[error("an account with this email address already exists; sign in with its password, then link single sign-on from the account page")]
    EmailTaken,
    #[error("the sign-in provider has not verified your email address, so Weft cannot use it; verify it there, or ask the operator")]
    Unverified,
    #[error("the sign-in provider gave no email address; ask the operator to let Weft read it (the email scope)")]
    NoEmail,
    #[error("there is no Weft account for this identity, and this server does not create accounts on first sign-in; ask the operator for an account")]
    CreationOff,
    #[error("this identity is already linked to another Weft account")]
    LinkedElsewhere,
    #[error("this account already has an identity of this provider linked; unlink it first")]
    AccountHasOne,
    #[error("linking was started by another account or session; sign in again and link from the account page")]
    LinkerChanged,
    #[error("this account has no identity of the sign-in provider linked")]
    NotLinked,
    #[error("{0}")]
    LastWayIn(&'static str),
    #[error("too many failed single sign-ons from this address; try again in {0} seconds")]
    Throttled(u64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<LinkError> for SsoError {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::IdentityTaken => Self::LinkedElsewhere,
            LinkError::AccountHasOne => Self::AccountHasOne,
            LinkError::Database(error) => Self::Database(error),
        }
    }
}

/// A sign-in or linking to send the browser off with.
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization URL.
    pub url: url::Url,
    /// To keep in the browser (an HttpOnly cookie) until the callback.
    pub state: String,
}

/// What the callback brought.
#[derive(Debug, Default)]
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    /// RFC 9207's issuer identifier, when the provider sends one.
    pub iss: Option<&'a str>,
    pub error: Option<&'a str>,
    pub error_description: Option<&'a str>,
}

/// How a callback ended.
#[derive(Debug)]
pub enum Finished {
    /// Signed in (a new account when `created`); go to `next`.
    SignedIn {
        user: Box<User>,
        session: NewSession,
        next: String,
        created: bool,
    },
    /// The identity is now linked to the signed-in account.
    Linked,
}

impl Accounts<'_> {
    fn provider(&self) -> Result<&Arc<OidcProvider>, SsoError> {
        self.config.oidc.as_ref().ok_or(SsoError::NotConfigured)
    }

    /// Starts a sign-in (`link_to` None) or the linking of an identity to `link_to`.
    pub async fn start_sso(&self, link_to: Option<Uuid>, next: &str) -> Result<Started, SsoError> {
        let provider = self.provider()?;
        let request = provider.authorization();
        identities::save_login(
            self.pool,
            &token::hash(&request.state),
            &request.nonce,
            &request.code_verifier,
            link_to,
            next,
            chrono::Duration::minutes(LOGIN_MINUTES),
        )
        .await?;
        Ok(Started {
            url: request.url,
            state: request.state,
        })
    }

    /// Finishes at the callback. `browser_state` is the state this browser's cookie holds;
    /// `viewer` the account signed in in this browser, if any. Failures count against the
    /// client's address.
    pub async fn finish_sso(
        &self,
        client: Client<'_>,
        browser_state: Option<&str>,
        viewer: Option<Uuid>,
        callback: Callback<'_>,
    ) -> Result<Finished, SsoError> {
        let provider = self.provider()?;
        let key = [format!("sso:{}", client.address)];
        let limits = &self.config.throttle;
        if let Some(seconds) =
            throttle::blocked_for(self.pool, &key, limits.per_address, limits.window).await?
        {
            return Err(SsoError::Throttled(seconds.max(1).unsigned_abs()));
        }
        let result = self
            .finish_checked(provider, client, browser_state, viewer, callback)
            .await;
        if let Err(error) = &result {
            if !matches!(error, SsoError::Database(_) | SsoError::Internal(_)) {
                throttle::record_failure(self.pool, &key, limits.window).await?;
            }
        }
        result
    }

    async fn finish_checked(
        &self,
        provider: &OidcProvider,
        client: Client<'_>,
        browser_state: Option<&str>,
        viewer: Option<Uuid>,
        callback: Callback<'_>,
    ) -> Result<Finished, SsoError> {
        let state = callback.state.unwrap_or("");
        // The state must be this browser's (its cookie), not only one Weft knows: a link
        // with someone else's state and code would sign this browser in as them.
        let ours = browser_state.is_some_and(|b| {
            !b.is_empty() && token::constant_time_eq(b.as_bytes(), state.as_bytes())
        });
        if !ours {
            return Err(SsoError::UnknownState);
        }
        let pending = identities::take_login(self.pool, &token::hash(state))
            .await?
            .filter(|p| p.live)
            .ok_or(SsoError::UnknownState)?;
        if let Some(error) = callback.error {
            let said = callback.error_description.unwrap_or(error);
            return Err(SsoError::ProviderDeclined(said.chars().take(200).collect()));
        }
        if callback.iss.is_some_and(|iss| iss != provider.issuer()) {
            return Err(
                OidcError::Untrusted("the answer came from another issuer (iss)".into()).into(),
            );
        }
        let code = callback.code.filter(|c| !c.is_empty()).ok_or_else(|| {
            OidcError::Inconsistent("the callback carries no authorization code".into())
        })?;
        let identity = provider
            .exchange(code, &pending.code_verifier, &pending.nonce)
            .await?;
        match pending.link_user_id {
            Some(user_id) => {
                if viewer != Some(user_id) {
                    return Err(SsoError::LinkerChanged);
                }
                self.link(user_id, &identity).await?;
                tracing::info!(%user_id, issuer = %identity.issuer, "single sign-on linked");
                Ok(Finished::Linked)
            }
            None => {
                let (user, created) = self.user_for(client, &identity, provider).await?;
                let session = self
                    .start_session(&user, client)
                    .await
                    .map_err(|e| match e {
                        super::AccountError::Database(e) => SsoError::Database(e),
                        other => SsoError::Internal(anyhow::anyhow!(other.to_string())),
                    })?;
                identities::mark_session(self.pool, &token::hash(&session.token)).await?;
                tracing::info!(user_id = %user.id, created, "signed in with single sign-on");
                Ok(Finished::SignedIn {
                    user: Box::new(user),
                    session,
                    next: pending.next_path,
                    created,
                })
            }
        }
    }

    async fn link(&self, user_id: Uuid, identity: &Identity) -> Result<(), SsoError> {
        match identities::find_user(self.pool, &identity.issuer, &identity.subject).await? {
            Some(owner) if owner.id == user_id => Ok(()),
            Some(_) => Err(SsoError::LinkedElsewhere),
            None => Ok(identities::link(
                self.pool,
                user_id,
                &identity.issuer,
                &identity.subject,
                identity.email.as_deref(),
                false,
            )
            .await?),
        }
    }

    /// The account an identity signs in to, and whether it was made now.
    async fn user_for(
        &self,
        client: Client<'_>,
        identity: &Identity,
        provider: &OidcProvider,
    ) -> Result<(User, bool), SsoError> {
        if let Some(user) =
            identities::find_user(self.pool, &identity.issuer, &identity.subject).await?
        {
            return Ok((user, false));
        }
        let email = identity.email.as_deref().ok_or(SsoError::NoEmail)?;
        if !identity.email_verified {
            return Err(SsoError::Unverified);
        }
        let email = crate::domain::Email::parse(email).map_err(|_| SsoError::NoEmail)?;
        if users::find_by_login(self.pool, &email)
            .await?
            .is_some_and(|u| u.email.eq_ignore_ascii_case(&email))
        {
            return Err(SsoError::EmailTaken);
        }
        if !provider.settings().create_users {
            return Err(SsoError::CreationOff);
        }
        // Each account costs a bcrypt hash, like a registration.
        super::throttle::register(self.pool, &self.config.throttle, client.address)
            .await
            .map_err(|e| match e {
                super::AccountError::Throttled { seconds, .. } => SsoError::Throttled(seconds),
                other => SsoError::Internal(anyhow::anyhow!(other.to_string())),
            })?;
        // A password nobody knows: the account signs in by its identity only.
        let hash = self.config.hash_password(&token::generate()).await?;
        for username in username_candidates(identity, &email) {
            let mut tx = crate::db::scoped::begin(self.pool).await?;
            match users::create(&mut *tx, &username, &email, &hash).await {
                Ok(user) => {
                    identities::link(
                        &mut *tx,
                        user.id,
                        &identity.issuer,
                        &identity.subject,
                        Some(&*email),
                        true,
                    )
                    .await?;
                    tx.commit().await?;
                    tracing::info!(user_id = %user.id, "account created by single sign-on");
                    return Ok((user, true));
                }
                Err(UserError::Taken(UniqueField::Username)) => continue,
                Err(UserError::Taken(UniqueField::Email)) => return Err(SsoError::EmailTaken),
                Err(UserError::Database(error)) => return Err(error.into()),
            }
        }
        Err(SsoError::Internal(anyhow::anyhow!(
            "no free username for a new single sign-on account"
        )))
    }

    /// The identities linked to a user.
    pub async fn sso_identities(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<identities::Identity>, SsoError> {
        Ok(identities::for_user(self.pool, user_id).await?)
    }

    /// Unlinks the user's identity of the configured provider, unless it is the account's
    /// only way in.
    pub async fn unlink_sso(&self, user_id: Uuid) -> Result<(), SsoError> {
        let provider = self.provider()?;
        let linked = identities::for_user(self.pool, user_id).await?;
        let Some(identity) = linked.iter().find(|i| i.issuer == provider.issuer()) else {
            return Err(SsoError::NotLinked);
        };
        if !self.config.password_signin {
            return Err(SsoError::LastWayIn(
                "password sign-in is turned off on this server, so without this identity the account could not be signed in to",
            ));
        }
        if identity.created_account {
            return Err(SsoError::LastWayIn(
                "this account was made by single sign-on and has no password, so without this identity it could not be signed in to",
            ));
        }
        identities::unlink(self.pool, user_id, provider.issuer()).await?;
        tracing::info!(%user_id, "single sign-on unlinked");
        Ok(())
    }
}

/// Usernames to try for a new account, best first: the provider's preferred username, the
/// email's local part, then those with a number, then a random one.
fn username_candidates(identity: &Identity, email: &str) -> Vec<String> {
    let local = email.split('@').next().unwrap_or("");
    let bases: Vec<String> = [identity.preferred_username.as_deref(), Some(local)]
        .into_iter()
        .flatten()
        .map(clean_username)
        .filter(|b| Username::parse(b).is_ok())
        .collect();
    let mut names = bases.clone();
    for base in &bases {
        let short: String = base.chars().take(28).collect();
        names.extend((2..=9).map(|n| format!("{short}-{n}")));
    }
    names.push(format!(
        "user-{}",
        &Uuid::new_v4().simple().to_string()[..12]
    ));
    names.dedup();
    names
}

/// Keeps a name's letters, digits, dots, dashes and underscores, starting at a letter or
/// digit, at most 32 of them.
fn clean_username(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_the_preferred_name_then_the_email() {
        let identity = Identity {
            issuer: "i".into(),
            subject: "s".into(),
            email: None,
            email_verified: true,
            preferred_username: Some("Ana María!".into()),
        };
        let names = username_candidates(&identity, "ana.m@example.com");
        assert_eq!(names[0], "AnaMara");
        assert_eq!(names[1], "ana.m");
        assert!(names.contains(&"ana.m-2".to_string()));
        assert!(names.last().unwrap().starts_with("user-"));
        assert_eq!(clean_username("--x\0y"), "xy");
        assert_eq!(clean_username("ab"), "ab");
        let none = Identity {
            preferred_username: Some("é".into()),
            ..identity
        };
        assert_eq!(
            username_candidates(&none, "ab@example.com").len(),
            1,
            "only the random one"
        );
    }
}
