//! Transactions that act for one user. Row-level security on journals, transcripts and tags
//! shows and accepts only the rows of the user named here. Every request's transaction
//! begins through [`begin_with`], which a cancelled request cannot leave half-begun.

use std::time::Instant;

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// Begins a transaction in which the per-user tables belong to `user_id`.
pub async fn begin_for_user(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_for(pool, user_id, "").await
}

/// [`begin_for_user`], in which every statement is planned for its actual parameters
/// rather than by a prepared statement's generic plan: for queries whose best plan depends
/// on the values (how common a searched word is), at the cost of planning each time.
pub async fn begin_for_user_planning_each(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_for(
        pool,
        user_id,
        "; SET LOCAL plan_cache_mode = force_custom_plan",
    )
    .await
}

async fn begin_for(
    pool: &PgPool,
    user_id: Uuid,
    more: &'static str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    // BEGIN and the settings go in one simple query: one round trip instead of two or
    // three. A uuid prints as hex digits and hyphens only, so the text is safe.
    let statement = format!("BEGIN; SELECT set_config('weft.user_id', '{user_id}', true){more}");
    begin_with(pool, statement).await
}

/// Begins a transaction on `pool` with the simple-query `statement` (`BEGIN` and what
/// should run with it in the same round trip), timing the wait for a connection for
/// `/metrics` (it shows pool pressure).
///
/// The begin runs to its end on a task of its own even when the request that asked for it
/// is cancelled (a client that hangs up): cancelled halfway, sqlx would put the connection
/// back in the pool with the server still inside the transaction, and the next request on
/// it would run in that transaction (PostgreSQL's warning "there is already a transaction
/// in progress"). Finished on its task, the transaction is simply dropped and rolled back.
pub async fn begin_with(
    pool: &PgPool,
    statement: String,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let waited = pool.num_idle() == 0 && pool.size() >= pool.options().get_max_connections();
    let started = Instant::now();
    let task_pool = pool.clone();
    let result = tokio::spawn(async move { task_pool.begin_with(statement).await })
        .await
        .unwrap_or_else(|_| Err(sqlx::Error::WorkerCrashed));
    crate::metrics::registry().pool_acquired(started.elapsed(), waited);
    result
}

/// [`begin_with`] a plain `BEGIN`: a transaction that acts for no user.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, "BEGIN".to_string()).await
}

/// Makes the rest of an open transaction act for `user_id`.
pub async fn act_for_user(
    tx: &mut Transaction<'_, Postgres>,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    // A statement with a result: the checked query has no `execute`, so the row is fetched.
    sqlx::query!(
        "SELECT set_config('weft.user_id', $1, true)",
        user_id.to_string()
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(())
}

/// Ends a transaction that only read. It is rolled back (for a reader the same as a
/// commit), and sqlx sends the ROLLBACK together with its check of the connection as it
/// goes back to the pool, so the request does not wait a round trip for it. The connection
/// is never handed out again before that ROLLBACK has run.
pub fn end_reading(tx: Transaction<'static, Postgres>) {
    drop(tx);
}
