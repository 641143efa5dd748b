//! Transactions that act for one user. Row-level security on journals, transcripts and tags
//! shows and accepts only the rows of the user named here, and [`UserTx`] carries that user
//! in the type: the queries on those tables take one, so none can run outside it. Every
//! request's transaction begins through [`begin_with`], which a cancelled request cannot
//! leave half-begun.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// An open transaction in which the per-user tables belong to [`UserTx::user_id`].
/// Dereferences to its connection, for the statements of other tables in the same
/// transaction.
#[derive(Debug)]
pub struct UserTx {
    tx: Transaction<'static, Postgres>,
    user_id: Uuid,
}

impl UserTx {
    /// The user the transaction acts for.
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    /// From here on, statements run on their generic plans (`reuse` true) or are planned
    /// for their parameters each time: for a transaction of [`begin_for_user_planning_each`]
    /// whose later statements read the same way whatever the values.
    pub async fn reuse_plans(&mut self, reuse: bool) -> Result<(), sqlx::Error> {
        let mode = if reuse { REUSE_PLANS } else { PLAN_EACH };
        sqlx::query(mode).execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }

    /// The plain transaction, still acting for this user until [`act_for_user`] names
    /// another. The escape hatch for work that spans users in one transaction: the seed
    /// writes several users' sample data all or nothing.
    pub fn into_transaction(self) -> Transaction<'static, Postgres> {
        self.tx
    }
}

impl Deref for UserTx {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl DerefMut for UserTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

/// Plans each following statement of the transaction for its parameters.
const PLAN_EACH: &str = "SET LOCAL plan_cache_mode = force_custom_plan";
/// Runs each following statement of the transaction on its generic plan.
const REUSE_PLANS: &str = "SET LOCAL plan_cache_mode = force_generic_plan";

/// Begins a transaction in which the per-user tables belong to `user_id`.
pub async fn begin_for_user(pool: &PgPool, user_id: Uuid) -> Result<UserTx, sqlx::Error> {
    begin_for(pool, user_id, None).await
}

/// [`begin_for_user`], in which every statement is planned for its actual parameters
/// rather than by a prepared statement's generic plan: for queries whose best plan depends
/// on the values (how common a searched word is), at the cost of planning each time.
pub async fn begin_for_user_planning_each(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<UserTx, sqlx::Error> {
    begin_for(pool, user_id, Some(PLAN_EACH)).await
}

/// [`begin_for_user`], in which every statement runs on its prepared statement's generic
/// plan: for reads whose best plan does not depend on the values (a page of a user's
/// timeline walks the same index whoever asks). Left to itself, PostgreSQL compares the
/// generic plan's cost for an unknown `LIMIT` with a custom plan's for `LIMIT 20`, finds
/// the custom one cheaper and plans every execution again: a third of the database's CPU
/// per timeline page (docs/BENCHMARKS.md, "Throughput under load").
pub async fn begin_for_user_reusing_plans(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<UserTx, sqlx::Error> {
    begin_for(pool, user_id, Some(REUSE_PLANS)).await
}

async fn begin_for(
    pool: &PgPool,
    user_id: Uuid,
    plans: Option<&'static str>,
) -> Result<UserTx, sqlx::Error> {
    // BEGIN and the settings go in one simple query: one round trip instead of two or
    // three. A uuid prints as hex digits and hyphens only, so the text is safe.
    let plans = plans.map_or(String::new(), |mode| format!("; {mode}"));
    let statement = format!("BEGIN; SELECT set_config('weft.user_id', '{user_id}', true){plans}");
    let tx = begin_with(pool, statement).await?;
    Ok(UserTx { tx, user_id })
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

/// A connection of `pool` for statements that are their own transaction, timing the wait
/// as [`begin_with`] does.
pub async fn acquire(pool: &PgPool) -> Result<sqlx::pool::PoolConnection<Postgres>, sqlx::Error> {
    let waited = pool.num_idle() == 0 && pool.size() >= pool.options().get_max_connections();
    let started = Instant::now();
    let connection = pool.acquire().await;
    crate::metrics::registry().pool_acquired(started.elapsed(), waited);
    connection
}

/// [`begin_with`] a plain `BEGIN`: a transaction that acts for no user.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, "BEGIN".to_string()).await
}

/// Makes the rest of an open transaction act for `user_id`.
pub async fn act_for_user(
    mut tx: Transaction<'static, Postgres>,
    user_id: Uuid,
) -> Result<UserTx, sqlx::Error> {
    // A statement with a result: the checked query has no `execute`, so the row is fetched.
    sqlx::query!(
        "SELECT set_config('weft.user_id', $1, true)",
        user_id.to_string()
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(UserTx { tx, user_id })
}

/// Ends a transaction that only read. It is rolled back (for a reader the same as a
/// commit), and sqlx sends the ROLLBACK together with its check of the connection as it
/// goes back to the pool, so the request does not wait a round trip for it. The connection
/// is never handed out again before that ROLLBACK has run.
pub fn end_reading(tx: UserTx) {
    drop(tx);
}
