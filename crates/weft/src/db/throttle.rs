//! Failed log-in counters, one row per key, in fixed windows.

use chrono::Duration;
use sqlx::PgExecutor;

/// Seconds until the most exhausted of `keys` may try again, if any has `limit` failures
/// inside the current window.
pub async fn blocked_for(
    executor: impl PgExecutor<'_>,
    keys: &[String],
    limit: i32,
    window: Duration,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT max(ceil(extract(epoch FROM (window_started_at + $3) - now())))::bigint
         FROM login_throttle
         WHERE key = ANY($1) AND failures >= $2 AND window_started_at + $3 > now()",
        keys,
        limit,
        // chrono's Duration encodes as an interval; the macro knows only PgInterval.
        window as _,
    )
    .fetch_one(executor)
    .await
}

/// Counts one failure against each key, starting a new window where the old one ended.
pub async fn record_failure(
    executor: impl PgExecutor<'_>,
    keys: &[String],
    window: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO login_throttle (key, failures, window_started_at)
         SELECT k, 1, now() FROM unnest($1::text[]) AS k
         ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN login_throttle.window_started_at + $2 <= now() THEN 1
                             ELSE login_throttle.failures + 1 END,
             window_started_at = CASE WHEN login_throttle.window_started_at + $2 <= now()
                                      THEN now() ELSE login_throttle.window_started_at END",
        keys,
        window as _,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Deletes counters whose window has ended (they no longer block anything).
pub async fn sweep(executor: impl PgExecutor<'_>, window: Duration) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM login_throttle WHERE window_started_at + $1 <= now()",
        window as _,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets the failures of a key (after a successful log-in).
pub async fn clear(executor: impl PgExecutor<'_>, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM login_throttle WHERE key = $1", key)
        .execute(executor)
        .await?;
    Ok(())
}
