//! Imports: the keys of entries already imported (`journal_imports`, written with each
//! journal by ingest), and the runs started on the web page (`import_runs`). Both tables
//! have row-level security: every statement runs for the one user it concerns.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::scoped::{self, UserTx};

/// A running run not touched for this long belongs to a server that stopped.
pub const STALE_SECONDS: f64 = 60.0;

/// The reason given for a run whose server stopped during it.
pub const INTERRUPTED: &str = "The import stopped when the server restarted. Upload the zip again: entries already imported are not imported twice.";

/// The import keys of `user_id` that start with `prefix`.
#[tracing::instrument(skip(pool))]
pub async fn keys(
    pool: &PgPool,
    user_id: Uuid,
    prefix: &str,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, user_id).await?;
    let keys = sqlx::query_scalar!(
        "SELECT source_key FROM journal_imports WHERE starts_with(source_key, $1)",
        prefix
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(keys.into_iter().collect())
}

/// One import run, as stored.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: Uuid,
    pub source: String,
    pub state: String,
    pub report: serde_json::Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Records a new running run.
pub async fn start(tx: &mut UserTx, id: Uuid, source: &str) -> Result<(), sqlx::Error> {
    let user_id = tx.user_id();
    sqlx::query!(
        "INSERT INTO import_runs (id, user_id, source) VALUES ($1, $2, $3)",
        id,
        user_id,
        source
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a run's progress (and touches it, which keeps it alive).
pub async fn progress(
    tx: &mut UserTx,
    id: Uuid,
    counts: (i32, i32, i32),
    report: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let (total, done, imported) = counts;
    sqlx::query!(
        "UPDATE import_runs SET total = $2, done = $3, imported = $4, report = $5, updated_at = now()
         WHERE id = $1 AND state = 'running'",
        id,
        total,
        done,
        imported,
        report
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends a run: `done`, or `failed` with the reason.
pub async fn finish(tx: &mut UserTx, id: Uuid, error: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE import_runs SET state = CASE WHEN $2::text IS NULL THEN 'done' ELSE 'failed' END,
                error = $2, updated_at = now()
         WHERE id = $1 AND state = 'running'",
        id,
        error
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A run of the transaction's user; one left running by a stopped server is marked failed
/// first, so that no run shows "running" for ever.
pub async fn find(tx: &mut UserTx, id: Uuid) -> Result<Option<Run>, sqlx::Error> {
    sqlx::query!(
        "UPDATE import_runs SET state = 'failed', error = $2, updated_at = now()
         WHERE id = $1 AND state = 'running' AND updated_at < now() - make_interval(secs => $3)",
        id,
        INTERRUPTED,
        STALE_SECONDS
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query_as!(
        Run,
        "SELECT id, source, state, report, error, created_at, updated_at
         FROM import_runs WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await
}

/// The user's latest runs, newest first.
pub async fn latest(tx: &mut UserTx, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM import_runs ORDER BY created_at DESC LIMIT $1",
        limit
    )
    .fetch_all(&mut **tx)
    .await
}
