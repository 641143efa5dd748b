//! Passages and their vectors (migration 0016), and the queue of journals whose passages
//! must be computed again.
//!
//! `passages` has row-level security: a journal's passages are written and read in its
//! owner's [`UserTx`]. `embedding_queue` has none (workers serve every user), so its
//! functions take any executor; rows enter it by the triggers of migration 0016 and by
//! [`queue_missing`].

use sqlx::PgExecutor;
use uuid::Uuid;

use super::scoped::UserTx;

/// The channel the triggers NOTIFY when a journal is queued.
pub const CHANNEL: &str = "weft_embeddings";

/// A journal taken from the queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Queued {
    pub journal_id: Uuid,
    pub user_id: Uuid,
    /// The change count when taken: the row goes only if it is still this.
    pub changes: i64,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// A passage with its vector, as stored.
#[derive(Debug, Clone)]
pub struct NewPassage<'a> {
    pub kind: &'a str,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub text: &'a str,
    pub embedding: &'a [f32],
}

/// What a journal's passages are made from: its title, notes and current transcript.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub title: String,
    pub notes: Option<String>,
    pub text: Option<String>,
    pub segments: Option<sqlx::types::Json<Vec<crate::domain::Segment>>>,
}

/// Takes up to `limit` due journals for `hold_seconds`: queued, not failed, and not held
/// by a live worker.
pub async fn claim(
    executor: impl PgExecutor<'_>,
    limit: i64,
    hold_seconds: f64,
) -> Result<Vec<Queued>, sqlx::Error> {
    sqlx::query_as::<_, Queued>(
        "UPDATE embedding_queue q
         SET claimed_until = now() + make_interval(secs => $2), attempts = q.attempts + 1
         FROM (SELECT journal_id FROM embedding_queue
               WHERE NOT failed AND run_after <= now()
                 AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY run_after
               LIMIT $1
               FOR UPDATE SKIP LOCKED) due
         WHERE q.journal_id = due.journal_id
         RETURNING q.journal_id, q.user_id, q.changes, q.attempts",
    )
    .bind(limit)
    .bind(hold_seconds)
    .fetch_all(executor)
    .await
}

/// What the passages of `journal_id` are made from; None when the journal is gone.
pub async fn source(tx: &mut UserTx, journal_id: Uuid) -> Result<Option<Source>, sqlx::Error> {
    sqlx::query_as::<_, Source>(
        "SELECT j.title, j.notes, t.text, t.segments
         FROM journals j
         LEFT JOIN LATERAL (
             SELECT text, segments FROM transcripts WHERE journal_id = j.id
             ORDER BY created_at DESC, id DESC LIMIT 1
         ) t ON true
         WHERE j.id = $1",
    )
    .bind(journal_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Puts `passages` in place of the journal's old ones.
pub async fn replace(
    tx: &mut UserTx,
    journal_id: Uuid,
    passages: &[NewPassage<'_>],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM passages WHERE journal_id = $1 AND user_id = $2")
        .bind(journal_id)
        .bind(tx.user_id())
        .execute(&mut **tx)
        .await?;
    let user_id = tx.user_id();
    for (ordinal, passage) in passages.iter().enumerate() {
        sqlx::query(
            "INSERT INTO passages (journal_id, ordinal, user_id, kind, start_s, end_s, text, embedding)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(journal_id)
        .bind(ordinal as i32)
        .bind(user_id)
        .bind(passage.kind)
        .bind(passage.start)
        .bind(passage.end)
        .bind(passage.text)
        .bind(passage.embedding)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// How many passages the user of `tx` has.
pub async fn count(tx: &mut UserTx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM passages WHERE user_id = $1")
        .bind(tx.user_id())
        .fetch_one(&mut **tx)
        .await
}

/// Removes a journal from the queue once its passages are written, unless it changed
/// meanwhile: then it is let go, to be taken again.
pub async fn done(executor: impl PgExecutor<'_>, taken: &Queued) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH gone AS (
             DELETE FROM embedding_queue WHERE journal_id = $1 AND changes = $2 RETURNING 1
         )
         UPDATE embedding_queue SET claimed_until = NULL
         WHERE journal_id = $1 AND NOT EXISTS (SELECT 1 FROM gone)",
    )
    .bind(taken.journal_id)
    .bind(taken.changes)
    .execute(executor)
    .await?;
    Ok(())
}

/// Records a failed attempt: tried again after `retry_after_seconds`, or, after the last
/// attempt, marked failed until the journal changes.
pub async fn failed(
    executor: impl PgExecutor<'_>,
    taken: &Queued,
    error: &str,
    retry_after_seconds: f64,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE embedding_queue
         SET claimed_until = NULL, last_error = $2, failed = $4,
             run_after = now() + make_interval(secs => $3)
         WHERE journal_id = $1 AND changes = $5",
    )
    .bind(taken.journal_id)
    .bind(error.replace('\0', ""))
    .bind(retry_after_seconds)
    .bind(give_up)
    .bind(taken.changes)
    .execute(executor)
    .await?;
    Ok(())
}

/// Queues the user's journals that have no passages yet, or every one of them with
/// `again`; answers how many were queued.
pub async fn queue_missing(tx: &mut UserTx, again: bool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO embedding_queue (journal_id, user_id)
         SELECT j.id, j.user_id FROM journals j
         WHERE $1 OR NOT EXISTS (SELECT 1 FROM passages p
                                WHERE p.journal_id = j.id AND p.user_id = j.user_id)
         ON CONFLICT (journal_id) DO UPDATE
             SET changes = embedding_queue.changes + 1, attempts = 0, run_after = now(),
                 failed = false, last_error = NULL, queued_at = now()",
    )
    .bind(again)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// How the queue stands: journals waiting, and journals whose last attempt failed.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct QueueCounts {
    pub waiting: i64,
    pub failed: i64,
}

/// Counts the queue, for every user.
pub async fn queue_counts(executor: impl PgExecutor<'_>) -> Result<QueueCounts, sqlx::Error> {
    sqlx::query_as::<_, QueueCounts>(
        "SELECT count(*) FILTER (WHERE NOT failed) AS waiting,
                count(*) FILTER (WHERE failed) AS failed
         FROM embedding_queue",
    )
    .fetch_one(executor)
    .await
}

/// The last errors of failed journals (journal, owner, error), newest first.
pub async fn failures(
    executor: impl PgExecutor<'_>,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT journal_id, user_id, last_error FROM embedding_queue
         WHERE failed ORDER BY queued_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(executor)
    .await
}
