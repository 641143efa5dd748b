//! Two-factor sign-in: the TOTP secret per user, its recovery codes, and the challenges of
//! sign-ins waiting for a code (migrations/0015_second_factor.sql).

use chrono::{DateTime, Duration, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A user's authenticator.
#[derive(Debug, Clone)]
pub struct TotpSecret {
    pub secret: Vec<u8>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<i64>,
}

/// The user's authenticator, confirmed or not.
#[tracing::instrument(skip(executor))]
pub async fn secret(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Option<TotpSecret>, sqlx::Error> {
    sqlx::query_as!(
        TotpSecret,
        "SELECT secret, confirmed_at, last_step FROM totp_secrets WHERE user_id = $1",
        user_id,
    )
    .fetch_optional(executor)
    .await
}

/// Whether the user signs in with a second factor (a confirmed authenticator).
#[tracing::instrument(skip(executor))]
pub async fn enabled(executor: impl PgExecutor<'_>, user_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM totp_secrets
                          WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "on!""#,
        user_id,
    )
    .fetch_one(executor)
    .await
}

/// Stores a new, unconfirmed secret, replacing an unconfirmed one; false (and nothing
/// written) when the user already has a confirmed authenticator.
#[tracing::instrument(skip(executor, secret))]
pub async fn set_pending(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    secret: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO totp_secrets (user_id, secret) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = NULL,
             created_at = now()
         WHERE totp_secrets.confirmed_at IS NULL",
        user_id,
        secret,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the step `step` used, and the authenticator confirmed; false when that step (or a
/// later one) was used already, so a code counts once even when two requests race.
#[tracing::instrument(skip(executor))]
pub async fn use_step(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE totp_secrets SET last_step = $2, confirmed_at = coalesce(confirmed_at, now())
         WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
        user_id,
        step,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the authenticator and the recovery codes; false when there was none.
#[tracing::instrument(skip(executor))]
pub async fn remove(executor: impl PgExecutor<'_>, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "WITH codes AS (DELETE FROM recovery_codes WHERE user_id = $1)
         DELETE FROM totp_secrets WHERE user_id = $1",
        user_id,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the user's recovery codes with these hashes.
#[tracing::instrument(skip_all)]
pub async fn replace_recovery_codes(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    hashes: &[Vec<u8>],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH old AS (DELETE FROM recovery_codes WHERE user_id = $1)
         INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])",
        user_id,
        hashes,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Spends the unused recovery code with this hash; false when there is none.
#[tracing::instrument(skip_all)]
pub async fn use_recovery_code(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    hash: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user_id,
        hash,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many of the user's recovery codes are left.
#[tracing::instrument(skip(executor))]
pub async fn recovery_codes_left(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "left!" FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"#,
        user_id,
    )
    .fetch_one(executor)
    .await
}

/// Stores a challenge for `user_id` that lives `ttl`.
#[tracing::instrument(skip(executor, token_hash))]
pub async fn create_challenge(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    token_hash: &[u8],
    ttl: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH stale AS (DELETE FROM second_factor_challenges WHERE expires_at <= now())
         INSERT INTO second_factor_challenges (token_hash, user_id, expires_at)
         VALUES ($1, $2, now() + $3)",
        token_hash,
        user_id,
        ttl as _,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The user of a live challenge.
#[tracing::instrument(skip_all)]
pub async fn challenge_user(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM second_factor_challenges
         WHERE token_hash = $1 AND expires_at > now()",
        token_hash,
    )
    .fetch_optional(executor)
    .await
}

/// Deletes an answered challenge; false when it was gone already (answered by a request
/// that raced this one).
#[tracing::instrument(skip_all)]
pub async fn end_challenge(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM second_factor_challenges WHERE token_hash = $1",
        token_hash
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}
