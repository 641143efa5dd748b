//! Single sign-on: the provider identities linked to accounts, the sign-ins under way at the
//! provider, and which sessions single sign-on started (migrations/0014_identities.sql).

use chrono::{DateTime, Duration, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::users::User;

/// An identity at a provider, as the account page shows it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// The sign-in that made the account (which has no password anyone knows).
    pub created_account: bool,
    pub created_at: DateTime<Utc>,
}

/// A sign-in or linking sent to the provider, as the callback takes it back.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub nonce: String,
    pub code_verifier: String,
    pub link_user_id: Option<Uuid>,
    pub next_path: String,
    /// False when it was found but had expired (it is deleted either way).
    pub live: bool,
}

/// Why an identity could not be linked.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The identity is already linked (to this account or another).
    #[error("that identity is already linked to an account")]
    IdentityTaken,
    /// The account already holds an identity of this provider.
    #[error("this account already has an identity of that provider")]
    AccountHasOne,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The user an identity is linked to.
#[tracing::instrument(skip(executor))]
pub async fn find_user(
    executor: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT u.id, u.username, u.email, u.password_hash, u.created_at, u.updated_at
         FROM user_identities i JOIN users u ON u.id = i.user_id
         WHERE i.issuer = $1 AND i.subject = $2",
        issuer,
        subject,
    )
    .fetch_optional(executor)
    .await
}

/// The identities linked to a user, oldest first.
#[tracing::instrument(skip(executor))]
pub async fn for_user(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<Identity>, sqlx::Error> {
    sqlx::query_as!(
        Identity,
        "SELECT issuer, subject, email, created_account, created_at FROM user_identities
         WHERE user_id = $1 ORDER BY created_at",
        user_id,
    )
    .fetch_all(executor)
    .await
}

/// Links an identity to a user; the primary key and the (user, issuer) index decide
/// conflicts, so two linkings at once cannot both win.
#[tracing::instrument(skip(executor))]
pub async fn link(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    created_account: bool,
) -> Result<(), LinkError> {
    sqlx::query!(
        "INSERT INTO user_identities (issuer, subject, user_id, email, created_account)
         VALUES ($1, $2, $3, $4, $5)",
        issuer,
        subject,
        user_id,
        email,
        created_account,
    )
    .execute(executor)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.constraint() == Some("user_identities_pkey") => {
            LinkError::IdentityTaken
        }
        sqlx::Error::Database(db) if db.constraint() == Some("user_identities_user_issuer_idx") => {
            LinkError::AccountHasOne
        }
        _ => LinkError::Database(error),
    })?;
    Ok(())
}

/// Removes a user's identity of `issuer`; false when there was none.
#[tracing::instrument(skip(executor))]
pub async fn unlink(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    issuer: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM user_identities WHERE user_id = $1 AND issuer = $2",
        user_id,
        issuer,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a sign-in sent to the provider, and drops the expired ones (served by their
/// index; there are only as many as sign-ins of the last minutes).
#[tracing::instrument(skip_all)]
pub async fn save_login(
    executor: impl PgExecutor<'_>,
    state_hash: &[u8],
    nonce: &str,
    code_verifier: &str,
    link_user_id: Option<Uuid>,
    next_path: &str,
    ttl: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH swept AS (DELETE FROM oidc_logins WHERE expires_at <= now())
         INSERT INTO oidc_logins (state_hash, nonce, code_verifier, link_user_id, next_path, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6)",
        state_hash,
        nonce,
        code_verifier,
        link_user_id,
        next_path,
        ttl as _,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Takes (deletes and returns) the sign-in of a state, so that it answers only once.
#[tracing::instrument(skip_all)]
pub async fn take_login(
    executor: impl PgExecutor<'_>,
    state_hash: &[u8],
) -> Result<Option<PendingLogin>, sqlx::Error> {
    sqlx::query_as!(
        PendingLogin,
        r#"DELETE FROM oidc_logins WHERE state_hash = $1
           RETURNING nonce, code_verifier, link_user_id, next_path, expires_at > now() AS "live!""#,
        state_hash,
    )
    .fetch_optional(executor)
    .await
}

/// Marks the session of a token as started by single sign-on.
#[tracing::instrument(skip_all)]
pub async fn mark_session(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET single_sign_on = true WHERE token_hash = $1",
        token_hash,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The user's live sessions that single sign-on started.
#[tracing::instrument(skip(executor))]
pub async fn single_sign_on_sessions(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM sessions WHERE user_id = $1 AND single_sign_on AND expires_at > now()",
        user_id,
    )
    .fetch_all(executor)
    .await
}
