//! Password reset links made by the operator (migrations/0015_second_factor.sql). Only the
//! hash of a link's token is stored.

use chrono::Duration;
use sqlx::PgExecutor;
use uuid::Uuid;

/// Stores a link for `user_id` that lives `ttl`. Earlier unused links of the user stop
/// working: only the newest link the operator handed out is good.
#[tracing::instrument(skip(executor, token_hash))]
pub async fn create(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    token_hash: &[u8],
    ttl: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH old AS (DELETE FROM password_reset_links WHERE user_id = $2)
         INSERT INTO password_reset_links (token_hash, user_id, expires_at)
         VALUES ($1, $2, now() + $3)",
        token_hash,
        user_id,
        ttl as _,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The user of an unused, unexpired link.
#[tracing::instrument(skip_all)]
pub async fn user_of(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM password_reset_links
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
        token_hash,
    )
    .fetch_optional(executor)
    .await
}

/// Spends a link, returning its user; `None` when it is unknown, used or expired (or was
/// spent by a request that raced this one).
#[tracing::instrument(skip_all)]
pub async fn spend(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE password_reset_links SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        token_hash,
    )
    .fetch_optional(executor)
    .await
}
