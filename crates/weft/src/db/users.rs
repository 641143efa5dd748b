//! Users: the documented "create a user" query, look-ups, and the operator's listing.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A row of `users`. The hash is never serialised.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which unique field a new or changed user collides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Username,
    Email,
}

/// Why a user could not be written.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("that {} is already taken", match .0 { UniqueField::Username => "username", UniqueField::Email => "email" })]
    Taken(UniqueField),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Maps a unique violation on one of the users indexes to the field it protects.
fn taken(error: sqlx::Error) -> UserError {
    if let sqlx::Error::Database(db) = &error {
        match db.constraint() {
            Some("users_username_idx") => return UserError::Taken(UniqueField::Username),
            Some("users_email_idx") => return UserError::Taken(UniqueField::Email),
            _ => {}
        }
    }
    UserError::Database(error)
}

/// Inserts a user whose password is already hashed.
#[tracing::instrument(skip(executor, password_hash))]
pub async fn create(
    executor: impl PgExecutor<'_>,
    username: &str,
    email: &str,
    password_hash: &str,
) -> Result<User, UserError> {
    sqlx::query_as!(
        User,
        "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3)
         RETURNING id, username, email, password_hash, created_at, updated_at",
        username,
        email,
        password_hash,
    )
    .fetch_one(executor)
    .await
    .map_err(taken)
}

/// Finds a user by username or email, ignoring case (served by the two unique indexes).
#[tracing::instrument(skip(executor))]
pub async fn find_by_login(
    executor: impl PgExecutor<'_>,
    login: &str,
) -> Result<Option<User>, sqlx::Error> {
    // A UNION's columns name no table, so sqlx cannot see that they are NOT NULL: said here.
    sqlx::query_as!(
        User,
        r#"SELECT id AS "id!", username AS "username!", email AS "email!",
                  password_hash AS "password_hash!", created_at AS "created_at!",
                  updated_at AS "updated_at!"
           FROM users WHERE lower(username) = lower($1)
           UNION ALL
           SELECT id, username, email, password_hash, created_at, updated_at
           FROM users WHERE lower(email) = lower($1)
           LIMIT 1"#,
        login,
    )
    .fetch_optional(executor)
    .await
}

/// Finds a user by id.
#[tracing::instrument(skip(executor))]
pub async fn find(executor: impl PgExecutor<'_>, id: Uuid) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, username, email, password_hash, created_at, updated_at
         FROM users WHERE id = $1",
        id,
    )
    .fetch_optional(executor)
    .await
}

/// Every user, oldest first (served by users_created_at_idx).
#[tracing::instrument(skip(executor))]
pub async fn list(executor: impl PgExecutor<'_>) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, username, email, password_hash, created_at, updated_at
         FROM users ORDER BY created_at, id"
    )
    .fetch_all(executor)
    .await
}

/// Changes a user's username and/or email (the unique indexes decide conflicts).
#[tracing::instrument(skip(executor))]
pub async fn update_identity(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<User, UserError> {
    sqlx::query_as!(
        User,
        "UPDATE users SET username = coalesce($2, username), email = coalesce($3, email)
         WHERE id = $1
         RETURNING id, username, email, password_hash, created_at, updated_at",
        id,
        username,
        email,
    )
    .fetch_one(executor)
    .await
    .map_err(taken)
}

/// Replaces a user's password hash.
#[tracing::instrument(skip(executor, password_hash))]
pub async fn set_password_hash(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        id,
        password_hash,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Deletes a user; journals, transcripts, tags and sessions go with it (ON DELETE CASCADE).
#[tracing::instrument(skip(executor))]
pub async fn delete(executor: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM users WHERE id = $1", id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's transcription language: a code such as `es`, or `None` to detect it.
pub async fn transcription_language(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT transcription_language FROM user_settings WHERE user_id = $1",
        id
    )
    .fetch_optional(executor)
    .await?
    .flatten())
}

/// Sets the user's transcription language (`None`: detect it); false when there is no
/// such user.
pub async fn set_transcription_language(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    language: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "INSERT INTO user_settings (user_id, transcription_language)
         SELECT id, $2 FROM users WHERE id = $1
         ON CONFLICT (user_id) DO UPDATE
             SET transcription_language = EXCLUDED.transcription_language, updated_at = now()",
        id,
        language
    )
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The user's time zone, an IANA name such as `Europe/Lisbon`; `None` is UTC.
pub async fn time_zone(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar!("SELECT time_zone FROM user_settings WHERE user_id = $1", id)
            .fetch_optional(executor)
            .await?
            .flatten(),
    )
}

/// The time zone names PostgreSQL knows that a person may choose, sorted: those of
/// `pg_timezone_names` without the system's copies under `posix/` and `right/` (the latter
/// count leap seconds) and its internal entries.
pub async fn time_zone_names(executor: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT name AS "name!" FROM pg_timezone_names
           WHERE name !~ '^(posix|right)/' AND name NOT IN ('posixrules', 'localtime', 'Factory')
           ORDER BY name"#
    )
    .fetch_all(executor)
    .await
}

/// Sets the user's time zone (`None`: UTC) and, in the same statement, bumps their
/// timeline version: a page grouped by day in the old zone is never answered again from
/// the page cache. False when there is no such user.
pub async fn set_time_zone(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    zone: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query_scalar!(
        r#"WITH changed AS (
               INSERT INTO user_settings (user_id, time_zone)
               SELECT id, $2 FROM users WHERE id = $1
               ON CONFLICT (user_id) DO UPDATE
                   SET time_zone = EXCLUDED.time_zone, updated_at = now()
               RETURNING user_id
           )
           SELECT count(*) AS "changed!" FROM changed, weft_timeline_bump(ARRAY[changed.user_id])"#,
        id,
        zone
    )
    .fetch_one(executor)
    .await?;
    Ok(changed == 1)
}
