//! Personal API tokens (migrations/0015_second_factor.sql). Tokens are stored only as
//! hashes.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::users::User;

/// A token as its owner sees it in the list (never the token itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    /// A read-only token may only GET and HEAD.
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
    /// When it stops working; `null`: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute); `null`: never.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The token and user behind a presented token.
#[derive(Debug, Clone)]
pub struct TokenUser {
    pub token_id: Uuid,
    pub read_only: bool,
    pub last_used_at: Option<DateTime<Utc>>,
    pub user: User,
    pub timeline_version: i64,
}

/// Stores a new token for `user_id`; `ttl` None never expires.
#[tracing::instrument(skip(executor, token_hash))]
pub async fn create(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    name: &str,
    token_hash: &[u8],
    read_only: bool,
    ttl: Option<Duration>,
) -> Result<ApiToken, sqlx::Error> {
    sqlx::query_as!(
        ApiToken,
        "INSERT INTO api_tokens (user_id, name, token_hash, read_only, expires_at)
         VALUES ($1, $2, $3, $4, now() + $5)
         RETURNING id, name, read_only, created_at, expires_at, last_used_at",
        user_id,
        name,
        token_hash,
        read_only,
        ttl as _,
    )
    .fetch_one(executor)
    .await
}

/// The live (unexpired) token with this hash, and its user.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<TokenUser>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT t.id AS token_id, t.read_only, t.last_used_at, u.id, u.username, u.email,
                  u.password_hash, u.created_at, u.updated_at,
                  coalesce((SELECT v.version FROM timeline_versions v WHERE v.user_id = u.id), 0)
                      AS "timeline_version!"
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > now())"#,
        token_hash,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| TokenUser {
        token_id: row.token_id,
        read_only: row.read_only,
        last_used_at: row.last_used_at,
        user: User {
            id: row.id,
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        timeline_version: row.timeline_version,
    }))
}

/// Records that a token was used now.
#[tracing::instrument(skip(executor))]
pub async fn touch(executor: impl PgExecutor<'_>, token_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE api_tokens SET last_used_at = now() WHERE id = $1",
        token_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// A user's tokens, expired ones too (so that a person sees why a script stopped), newest
/// first.
#[tracing::instrument(skip(executor))]
pub async fn list(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<ApiToken>, sqlx::Error> {
    sqlx::query_as!(
        ApiToken,
        "SELECT id, name, read_only, created_at, expires_at, last_used_at FROM api_tokens
         WHERE user_id = $1 ORDER BY created_at DESC, id",
        user_id,
    )
    .fetch_all(executor)
    .await
}

/// Deletes one of a user's tokens; false when the user has no such token.
#[tracing::instrument(skip(executor))]
pub async fn revoke(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    token_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2",
        token_id,
        user_id,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}
