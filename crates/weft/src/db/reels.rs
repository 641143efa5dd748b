//! Renders of phrase reels into videos (migration 0017), and their queue.
//!
//! `reel_renders` has row-level security: a render is written and read in its owner's
//! [`UserTx`]. `reel_render_queue` has none (workers serve every user), so taking and
//! holding a render take any executor; every change of a render's outcome is written in
//! the owner's transaction, guarded by the attempt the worker took, so that a worker whose
//! hold ran out (another took the render) changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::jobs::JobState;
use super::scoped::UserTx;
use crate::domain::Media;

/// The channel workers LISTEN on; a NOTIFY wakes them when a render is queued.
pub const CHANNEL: &str = "weft_reels";

/// One part of a recording to cut, as stored in `reel_renders.clips`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClipSpec {
    pub journal: Uuid,
    /// Seconds into the recording.
    pub from: f64,
    pub to: f64,
}

/// A render to queue: the search as it was asked, and what it found.
#[derive(Debug, Clone)]
pub struct NewRender<'a> {
    pub q: &'a str,
    pub mode: &'a str,
    pub scope: &'a str,
    pub sort: &'a str,
    pub tags: &'a [String],
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub clips: &'a [ClipSpec],
}

/// A row of `reel_renders`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Render {
    pub id: Uuid,
    pub user_id: Uuid,
    pub q: String,
    pub mode: String,
    pub scope: String,
    pub sort: String,
    pub tags: Vec<String>,
    pub from_at: Option<DateTime<Utc>>,
    pub to_at: Option<DateTime<Utc>>,
    pub clips: Json<Vec<ClipSpec>>,
    pub state: JobState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub journal_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const RENDER_COLUMNS: &str = "id, user_id, q, mode, scope, sort, tags, from_at, to_at, clips, \
     state, attempts, last_error, journal_id, created_at, updated_at, finished_at";

/// A render taken from the queue by a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Taken {
    pub render_id: Uuid,
    pub user_id: Uuid,
    /// Attempts so far, this one included.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Queues a render for the transaction's user, and wakes the workers when it commits.
pub async fn insert(
    tx: &mut UserTx,
    new: &NewRender<'_>,
    max_attempts: i32,
) -> Result<Render, sqlx::Error> {
    let render = sqlx::query_as::<_, Render>(&format!(
        "INSERT INTO reel_renders (user_id, q, mode, scope, sort, tags, from_at, to_at, clips)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {RENDER_COLUMNS}"
    ))
    .bind(tx.user_id())
    .bind(new.q)
    .bind(new.mode)
    .bind(new.scope)
    .bind(new.sort)
    .bind(new.tags)
    .bind(new.from)
    .bind(new.to)
    .bind(Json(new.clips))
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO reel_render_queue (render_id, user_id, max_attempts) VALUES ($1, $2, $3)",
    )
    .bind(render.id)
    .bind(render.user_id)
    .bind(max_attempts)
    .execute(&mut **tx)
    .await?;
    // Delivered on commit only; the channel is CHANNEL.
    sqlx::query("NOTIFY weft_reels").execute(&mut **tx).await?;
    Ok(render)
}

/// Holds the user's queue of renders until the transaction ends, so that two requests at
/// once cannot both pass the cap on unfinished renders; then counts them.
pub async fn lock_and_count_unfinished(tx: &mut UserTx) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('reel_renders:' || $1::text, 0))")
        .bind(tx.user_id())
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar("SELECT count(*) FROM reel_renders WHERE state IN ('queued', 'running')")
        .fetch_one(&mut **tx)
        .await
}

/// One of the user's renders; None for another user's (row-level security hides it).
pub async fn find(tx: &mut UserTx, id: Uuid) -> Result<Option<Render>, sqlx::Error> {
    sqlx::query_as::<_, Render>(&format!(
        "SELECT {RENDER_COLUMNS} FROM reel_renders WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Takes the oldest due render that no live worker holds, for `hold_seconds`.
pub async fn claim(
    executor: impl PgExecutor<'_>,
    hold_seconds: f64,
) -> Result<Option<Taken>, sqlx::Error> {
    sqlx::query_as::<_, Taken>(
        "UPDATE reel_render_queue q
         SET claimed_until = now() + make_interval(secs => $1), attempts = q.attempts + 1
         WHERE q.render_id = (
             SELECT render_id FROM reel_render_queue
             WHERE run_after <= now() AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY run_after
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
         RETURNING q.render_id, q.user_id, q.attempts, q.max_attempts",
    )
    .bind(hold_seconds)
    .fetch_optional(executor)
    .await
}

/// Pushes the hold of a taken render on; false when it is no longer this worker's.
pub async fn hold(
    executor: impl PgExecutor<'_>,
    taken: &Taken,
    hold_seconds: f64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE reel_render_queue SET claimed_until = now() + make_interval(secs => $3)
         WHERE render_id = $1 AND attempts = $2",
    )
    .bind(taken.render_id)
    .bind(taken.attempts)
    .bind(hold_seconds)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a taken render running, in its owner's transaction; its row as it now stands,
/// or None when it is gone or no longer this worker's.
pub async fn started(tx: &mut UserTx, taken: &Taken) -> Result<Option<Render>, sqlx::Error> {
    sqlx::query_as::<_, Render>(&format!(
        "UPDATE reel_renders SET state = 'running', attempts = $2
         WHERE id = $1 AND EXISTS (SELECT 1 FROM reel_render_queue
                                   WHERE render_id = $1 AND attempts = $2)
         RETURNING {RENDER_COLUMNS}"
    ))
    .bind(taken.render_id)
    .bind(taken.attempts)
    .fetch_optional(&mut **tx)
    .await
}

/// Takes the render off the queue, if it is still this worker's; true when it was.
async fn dequeue(tx: &mut UserTx, taken: &Taken) -> Result<bool, sqlx::Error> {
    let gone = sqlx::query("DELETE FROM reel_render_queue WHERE render_id = $1 AND attempts = $2")
        .bind(taken.render_id)
        .bind(taken.attempts)
        .execute(&mut **tx)
        .await?;
    Ok(gone.rows_affected() == 1)
}

/// Records the journal a render became; false when the render is no longer this
/// worker's (nothing is changed then).
pub async fn finish(tx: &mut UserTx, taken: &Taken, journal_id: Uuid) -> Result<bool, sqlx::Error> {
    if !dequeue(tx, taken).await? {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE reel_renders SET state = 'done', journal_id = $2, last_error = NULL,
             finished_at = now()
         WHERE id = $1",
    )
    .bind(taken.render_id)
    .bind(journal_id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Records a failed attempt: queued again after `retry_after_seconds`, or, with
/// `give_up`, marked failed with the reason. False when the render is no longer this
/// worker's.
pub async fn failed(
    tx: &mut UserTx,
    taken: &Taken,
    error: &str,
    retry_after_seconds: f64,
    give_up: bool,
) -> Result<bool, sqlx::Error> {
    let error = error.replace('\0', "");
    let error = if error.trim().is_empty() {
        "the render failed without a message".to_string()
    } else {
        error
    };
    if give_up {
        if !dequeue(tx, taken).await? {
            return Ok(false);
        }
    } else {
        let again = sqlx::query(
            "UPDATE reel_render_queue
             SET claimed_until = NULL, run_after = now() + make_interval(secs => $3)
             WHERE render_id = $1 AND attempts = $2",
        )
        .bind(taken.render_id)
        .bind(taken.attempts)
        .bind(retry_after_seconds)
        .execute(&mut **tx)
        .await?;
        if again.rows_affected() != 1 {
            return Ok(false);
        }
    }
    sqlx::query(
        "UPDATE reel_renders
         SET state = CASE WHEN $3 THEN 'failed' ELSE 'queued' END, last_error = $2,
             finished_at = CASE WHEN $3 THEN now() END
         WHERE id = $1",
    )
    .bind(taken.render_id)
    .bind(error)
    .bind(give_up)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// What a title card and a cut need of one journal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub id: Uuid,
    pub title: String,
    pub media: Media,
    /// The storage key of its recording.
    pub video_path: String,
    /// The day it was recorded, in its owner's time zone.
    pub day: NaiveDate,
}

/// The journals among `ids` that still exist, as the transaction's user sees them.
pub async fn sources(tx: &mut UserTx, ids: &[Uuid]) -> Result<Vec<Source>, sqlx::Error> {
    sqlx::query_as::<_, Source>(
        "SELECT j.id, j.title, j.media, j.video_path,
                (j.created_at AT TIME ZONE coalesce(
                    (SELECT time_zone FROM user_settings WHERE user_id = j.user_id), 'UTC'))::date
                    AS day
         FROM journals j WHERE j.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}

/// The journal the transaction's user imported under `source_key`, if any.
pub async fn journal_imported_as(
    tx: &mut UserTx,
    source_key: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT journal_id FROM journal_imports WHERE source_key = $1")
        .bind(source_key)
        .fetch_optional(&mut **tx)
        .await
}
