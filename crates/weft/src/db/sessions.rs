//! Sign-in sessions. Tokens are stored only as hashes.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::users::User;

/// A session as its owner sees it in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// The session and user behind a token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub session_id: Uuid,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    /// The user's timeline version (migrations/0007_timeline_versions.sql), read with the
    /// session so that a kept timeline page can be answered without another round trip.
    pub timeline_version: i64,
}

/// Stores a new session for `user_id` that expires after `ttl`.
#[tracing::instrument(skip(executor, token_hash))]
pub async fn create(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    token_hash: &[u8],
    ttl: Duration,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<Session, sqlx::Error> {
    sqlx::query_as!(
        Session,
        "INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip)
         VALUES ($1, $2, now() + $3, $4, $5)
         RETURNING id, created_at, last_seen_at, expires_at, user_agent, ip",
        user_id,
        token_hash,
        // chrono's Duration encodes as an interval; the macro knows only PgInterval.
        ttl as _,
        user_agent.map(|ua| ua.chars().take(300).collect::<String>()),
        ip,
    )
    .fetch_one(executor)
    .await
}

/// The live (unexpired) session with this token hash, and its user.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<Authenticated>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT s.id AS session_id, s.last_seen_at, s.expires_at, u.id, u.username, u.email,
                  u.password_hash, u.created_at, u.updated_at,
                  coalesce((SELECT v.version FROM timeline_versions v WHERE v.user_id = u.id), 0)
                      AS "timeline_version!"
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > now()"#,
        token_hash,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| Authenticated {
        session_id: row.session_id,
        last_seen_at: row.last_seen_at,
        expires_at: row.expires_at,
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

/// A user's timeline version (0 before their first change), as [`authenticate`] reads it.
#[tracing::instrument(skip(executor))]
pub async fn timeline_version(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce((SELECT v.version FROM timeline_versions v WHERE v.user_id = $1), 0)
               AS "version!""#,
        user_id,
    )
    .fetch_one(executor)
    .await
}

/// Slides a session's expiry forward from now.
#[tracing::instrument(skip(executor))]
pub async fn touch(
    executor: impl PgExecutor<'_>,
    session_id: Uuid,
    ttl: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = now(), expires_at = now() + $2 WHERE id = $1",
        session_id,
        ttl as _,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// A user's live sessions, newest first.
#[tracing::instrument(skip(executor))]
pub async fn list(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<Session>, sqlx::Error> {
    sqlx::query_as!(
        Session,
        "SELECT id, created_at, last_seen_at, expires_at, user_agent, ip FROM sessions
         WHERE user_id = $1 AND expires_at > now() ORDER BY created_at DESC",
        user_id,
    )
    .fetch_all(executor)
    .await
}

/// Deletes one of a user's sessions; false when the user has no such session.
#[tracing::instrument(skip(executor))]
pub async fn revoke(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE id = $1 AND user_id = $2",
        session_id,
        user_id,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes every session of a user except `keep` (all of them when `keep` is None).
#[tracing::instrument(skip(executor))]
pub async fn revoke_others(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2",
        user_id,
        keep,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes expired sessions; returns how many.
pub async fn sweep_expired(executor: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM sessions WHERE expires_at <= now()")
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}
