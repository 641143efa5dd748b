//! The transcription job queue (see migration 0003). Claims are one short
//! `UPDATE … (SELECT … FOR UPDATE SKIP LOCKED)`; nothing holds a transaction while a job runs.
//!
//! `transcription_jobs` has no row-level security: workers, the reaper and the operator's
//! commands work across users, so most functions here take any executor. The two that write
//! with a journal's own rows (enqueue, complete) take that user's [`UserTx`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::scoped::UserTx;

/// The channel workers LISTEN on; a NOTIFY wakes them when a job is queued.
pub const CHANNEL: &str = "weft_jobs";

/// Where a job stands: `transcription_jobs.state`, a text column whose CHECK allows exactly
/// these four spellings (migration 0003). JSON and the database spell them alike.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    /// Every state, in the order `weft jobs list --state` offers them.
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Failed,
        JobState::Done,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pad, not write: a width in the format string (a column of a listing) applies.
        f.pad(self.as_str())
    }
}

/// A spelling that is not a job state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a job state (queued, running, failed or done)")]
pub struct UnknownJobState(pub String);

impl FromStr for JobState {
    type Err = UnknownJobState;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| UnknownJobState(text.to_string()))
    }
}

/// A journal's transcription as the API shows it: its latest job's state, else `done` when
/// it has a transcript (made before jobs existed, or by hand) and `none` when it has not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TranscriptStatus {
    None,
    Queued,
    Running,
    Done,
    Failed,
}

impl TranscriptStatus {
    /// The spelling of the API and of the pages (a CSS class and `data-status`).
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptStatus::None => "none",
            TranscriptStatus::Queued => "queued",
            TranscriptStatus::Running => "running",
            TranscriptStatus::Done => "done",
            TranscriptStatus::Failed => "failed",
        }
    }
}

impl From<JobState> for TranscriptStatus {
    fn from(state: JobState) -> Self {
        match state {
            JobState::Queued => TranscriptStatus::Queued,
            JobState::Running => TranscriptStatus::Running,
            JobState::Done => TranscriptStatus::Done,
            JobState::Failed => TranscriptStatus::Failed,
        }
    }
}

impl fmt::Display for TranscriptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A row of `transcription_jobs`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: Uuid,
    pub journal_id: Uuid,
    pub user_id: Uuid,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: DateTime<Utc>,
    pub worker: Option<String>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// How much of the audio a running job has transcribed, 0 to 1; null before the engine
    /// reports (and always with an engine that answers all at once).
    pub progress: Option<f32>,
    /// The language this run was asked for (a code, or `auto` to detect it); null for the
    /// owner's default.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Queues a transcription of one of the transaction's user's journals, in the caller's
/// transaction (the one that writes the journal), and wakes the workers when it commits.
/// Returns None when the journal already has a queued or running job.
pub async fn enqueue(
    tx: &mut UserTx,
    journal_id: Uuid,
    max_attempts: i32,
) -> Result<Option<Job>, sqlx::Error> {
    enqueue_in(tx, journal_id, max_attempts, None).await
}

/// [`enqueue`], asking for the transcription in `language` (a code, or `auto`; `None` for
/// the owner's default).
pub async fn enqueue_in(
    tx: &mut UserTx,
    journal_id: Uuid,
    max_attempts: i32,
    language: Option<&str>,
) -> Result<Option<Job>, sqlx::Error> {
    let job = sqlx::query_as!(
        Job,
        r#"INSERT INTO transcription_jobs (journal_id, user_id, max_attempts, language)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (journal_id) WHERE state IN ('queued', 'running') DO NOTHING
           RETURNING id, journal_id, user_id, state AS "state: JobState", attempts, max_attempts,
                     run_after, worker, heartbeat_at, started_at, finished_at, last_error,
                     progress, language, created_at, updated_at"#,
        journal_id,
        tx.user_id(),
        max_attempts,
        language,
    )
    .fetch_optional(&mut **tx)
    .await?;
    if job.is_some() {
        // Delivered on commit only, so a worker never wakes for a job it cannot see yet.
        // NOTIFY takes the channel as a name, not a parameter: weft_jobs is CHANNEL.
        sqlx::query!("NOTIFY weft_jobs").execute(&mut **tx).await?;
    }
    Ok(job)
}

/// Where a queued job stands: how many queued jobs come before it (due earlier), and how
/// many run now. Counts every user's jobs (which it does not show): the queue is shared.
pub async fn queue_position(
    executor: impl PgExecutor<'_>,
    job: &Job,
) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE state = 'queued' AND (run_after, created_at, id) < ($1, $2, $3))
                      AS "ahead!",
                  count(*) FILTER (WHERE state = 'running') AS "running!"
           FROM transcription_jobs WHERE state IN ('queued', 'running')"#,
        job.run_after,
        job.created_at,
        job.id,
    )
    .fetch_one(executor)
    .await?;
    Ok((row.ahead, row.running))
}

/// Takes the oldest due queued job for `worker`, if any.
pub async fn claim(
    executor: impl PgExecutor<'_>,
    worker: &str,
) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"UPDATE transcription_jobs SET state = 'running', attempts = attempts + 1, worker = $1,
               heartbeat_at = now(), started_at = now(), finished_at = NULL, progress = NULL
           WHERE id = (SELECT id FROM transcription_jobs
                       WHERE state = 'queued' AND run_after <= now()
                       ORDER BY run_after, created_at
                       FOR UPDATE SKIP LOCKED LIMIT 1)
           RETURNING id, journal_id, user_id, state AS "state: JobState", attempts, max_attempts,
                     run_after, worker, heartbeat_at, started_at, finished_at, last_error,
                     progress, language, created_at, updated_at"#,
        worker,
    )
    .fetch_optional(executor)
    .await
}

/// Says the worker still runs the job, and how far it got (a fraction, when known); false
/// when the job is no longer its own (the reaper gave it to another worker).
pub async fn heartbeat(
    executor: impl PgExecutor<'_>,
    job: &Job,
    worker: &str,
    progress: Option<f64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE transcription_jobs SET heartbeat_at = now(), progress = coalesce($4, progress)
         WHERE id = $1 AND worker = $2 AND attempts = $3 AND state = 'running'",
        job.id,
        worker,
        job.attempts,
        progress.map(|p| p.clamp(0.0, 1.0) as f32),
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the job done, in the transaction that writes its result (acting for the job's
/// user); false (and the caller rolls back) when the job is no longer this worker's attempt.
pub async fn complete(tx: &mut UserTx, job: &Job, worker: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE transcription_jobs SET state = 'done', finished_at = now(), last_error = NULL
         WHERE id = $1 AND worker = $2 AND attempts = $3 AND state = 'running'",
        job.id,
        worker,
        job.attempts,
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The delay before attempt `attempts + 1`: 10 s, 20 s, 40 s, ... at most an hour.
pub fn backoff_seconds(attempts: i32) -> i64 {
    let exponent = attempts.clamp(1, 12) as u32 - 1;
    (10i64 << exponent).min(3600)
}

/// Records a failure: a retryable one is queued again after a backoff while attempts
/// remain; anything else ends the job as failed, with the reason kept.
pub async fn fail(
    executor: impl PgExecutor<'_>,
    job: &Job,
    worker: &str,
    error: &str,
    retryable: bool,
) -> Result<(), sqlx::Error> {
    let retry = retryable && job.attempts < job.max_attempts;
    sqlx::query!(
        "UPDATE transcription_jobs SET
             state = CASE WHEN $4 THEN 'queued' ELSE 'failed' END,
             run_after = CASE WHEN $4 THEN now() + make_interval(secs => $5) ELSE run_after END,
             finished_at = CASE WHEN $4 THEN NULL ELSE now() END,
             last_error = $6, worker = NULL
         WHERE id = $1 AND worker = $2 AND attempts = $3 AND state = 'running'",
        job.id,
        worker,
        job.attempts,
        retry,
        backoff_seconds(job.attempts) as f64,
        error.chars().take(2000).collect::<String>(),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Hands a running job back (graceful shutdown): queued again at once, the attempt not
/// counted.
pub async fn give_back(
    executor: impl PgExecutor<'_>,
    job: &Job,
    worker: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE transcription_jobs SET state = 'queued', attempts = attempts - 1, worker = NULL,
             run_after = now()
         WHERE id = $1 AND worker = $2 AND attempts = $3 AND state = 'running'",
        job.id,
        worker,
        job.attempts,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Requeues running jobs whose worker has not sent a heartbeat for `stale_seconds` (it
/// died), or fails them when that was their last attempt. Returns how many were touched.
pub async fn reap(executor: impl PgExecutor<'_>, stale_seconds: f64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE transcription_jobs SET
             state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
             finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,
             last_error = 'the worker stopped answering (it was killed or lost its connection)',
             worker = NULL, run_after = now()
         WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => $1)",
        stale_seconds,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// The newest job of a journal.
pub async fn latest_for_journal(
    executor: impl PgExecutor<'_>,
    journal_id: Uuid,
) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"SELECT id, journal_id, user_id, state AS "state: JobState", attempts, max_attempts,
                  run_after, worker, heartbeat_at, started_at, finished_at, last_error, progress, language,
                  created_at, updated_at
           FROM transcription_jobs WHERE journal_id = $1 ORDER BY created_at DESC LIMIT 1"#,
        journal_id,
    )
    .fetch_optional(executor)
    .await
}

/// Counts of jobs by state.
pub async fn depth(executor: impl PgExecutor<'_>) -> Result<Vec<(JobState, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT state AS "state: JobState", count(*) AS "count!"
           FROM transcription_jobs GROUP BY state ORDER BY state"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.state, row.count)).collect())
}

/// Jobs newest first, of one state or all, for the operator's view.
pub async fn list(
    executor: impl PgExecutor<'_>,
    state: Option<JobState>,
    limit: i64,
) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"SELECT id, journal_id, user_id, state AS "state: JobState", attempts, max_attempts,
                  run_after, worker, heartbeat_at, started_at, finished_at, last_error, progress, language,
                  created_at, updated_at
           FROM transcription_jobs WHERE ($1::text IS NULL OR state = $1)
           ORDER BY created_at DESC, id DESC LIMIT $2"#,
        state.map(JobState::as_str),
        limit,
    )
    .fetch_all(executor)
    .await
}

/// One job by id.
pub async fn find(executor: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"SELECT id, journal_id, user_id, state AS "state: JobState", attempts, max_attempts,
                  run_after, worker, heartbeat_at, started_at, finished_at, last_error, progress, language,
                  created_at, updated_at
           FROM transcription_jobs WHERE id = $1"#,
        id,
    )
    .fetch_optional(executor)
    .await
}

/// The failed jobs that are still their journal's latest job (a journal retried since, or
/// transcribed since, is left out).
pub async fn latest_failed(executor: impl PgExecutor<'_>) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"SELECT id, journal_id, user_id, state AS "state: JobState", attempts, max_attempts,
                  run_after, worker, heartbeat_at, started_at, finished_at, last_error, progress, language,
                  created_at, updated_at
           FROM (SELECT DISTINCT ON (journal_id)
                        id, journal_id, user_id, state, attempts, max_attempts, run_after, worker,
                        heartbeat_at, started_at, finished_at, last_error, progress, language,
                        created_at, updated_at
                 FROM transcription_jobs
                 ORDER BY journal_id, created_at DESC, id DESC) latest
           WHERE state = 'failed' ORDER BY created_at"#
    )
    .fetch_all(executor)
    .await
}

#[cfg(test)]
mod tests {
    use super::backoff_seconds;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_seconds(1), 10);
        assert_eq!(backoff_seconds(2), 20);
        assert_eq!(backoff_seconds(3), 40);
        assert_eq!(backoff_seconds(20), 3600);
    }
}
