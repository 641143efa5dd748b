//! Resumable uploads (`uploads`, migration 0013): one row per upload, under row-level
//! security like journals. The offset only moves while a [`Lease`] is held: a PostgreSQL
//! advisory lock on a connection of its own, which dies with the server that holds it, so a
//! killed server never leaves an upload locked.

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use super::scoped::UserTx;

/// One upload, as stored.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: Uuid,
    pub user_id: Uuid,
    pub length: i64,
    pub offset: i64,
    pub metadata: serde_json::Value,
    /// `file` or `store`.
    pub bytes_in: String,
    pub journal_id: Option<Uuid>,
    pub finished: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Upload {
    /// Whether its expiry has passed (the sweep has not removed it yet).
    pub fn expired(&self) -> bool {
        self.expires_at <= Utc::now()
    }
}

/// A new upload's row.
#[derive(Debug)]
pub struct NewUpload<'a> {
    pub id: Uuid,
    pub length: i64,
    pub metadata: &'a serde_json::Value,
    pub bytes_in: &'a str,
    pub expires_in_seconds: f64,
}

/// Records a new upload for the transaction's user if they have fewer than `cap` unfinished
/// ones; false (and nothing written) when they have `cap` already.
#[tracing::instrument(skip(tx, new), fields(id = %new.id))]
pub async fn insert_within_cap(
    tx: &mut UserTx,
    new: &NewUpload<'_>,
    cap: i64,
) -> Result<bool, sqlx::Error> {
    let user_id = tx.user_id();
    // Two creations at once must not both pass the count: they queue on a lock of the user's
    // own, held to the end of the transaction.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('weft-uploads:' || $1::text, 0)) AS \"locked!: ()\"",
        user_id.to_string()
    )
    .fetch_one(&mut **tx)
    .await?;
    let unfinished = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM uploads WHERE NOT finished AND expires_at > now()"
    )
    .fetch_one(&mut **tx)
    .await?;
    if unfinished >= cap {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO uploads (id, user_id, length, metadata, bytes_in, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
        new.id,
        user_id,
        new.length,
        new.metadata,
        new.bytes_in,
        new.expires_in_seconds
    )
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// An upload of the transaction's user.
pub async fn find(tx: &mut UserTx, id: Uuid) -> Result<Option<Upload>, sqlx::Error> {
    find_on(tx, id).await
}

async fn find_on(conn: &mut PgConnection, id: Uuid) -> Result<Option<Upload>, sqlx::Error> {
    sqlx::query_as!(
        Upload,
        r#"SELECT id, user_id, length, "offset" AS offset, metadata, bytes_in, journal_id,
                  finished, created_at, expires_at
           FROM uploads WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Removes an upload's row.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM uploads WHERE id = $1", id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The transaction's user's uploads whose expiry has passed.
pub async fn expired(tx: &mut UserTx) -> Result<Vec<Upload>, sqlx::Error> {
    sqlx::query_as!(
        Upload,
        r#"SELECT id, user_id, length, "offset" AS offset, metadata, bytes_in, journal_id,
                  finished, created_at, expires_at
           FROM uploads WHERE expires_at <= now()"#
    )
    .fetch_all(&mut **tx)
    .await
}

/// The ids of the transaction's user's uploads.
pub async fn ids(tx: &mut UserTx) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM uploads")
        .fetch_all(&mut **tx)
        .await
}

/// Every user's id: the sweep visits them one at a time, as row-level security wants.
pub async fn user_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM users ORDER BY id")
        .fetch_all(pool)
        .await
}

/// The advisory lock key of an upload: its id's first 64 bits (unique enough among the
/// uploads in progress at one time, and a collision only makes one wait).
fn lock_key(id: Uuid) -> i64 {
    let bytes = id.as_bytes();
    i64::from_be_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// The right to change one upload: an advisory lock on a connection opened for it (not one
/// of the pool's: it may be held for as long as a PATCH takes, and it is closed, never
/// returned, so the lock can not outlive it). The connection acts for the upload's user.
#[derive(Debug)]
pub struct Lease {
    conn: PgConnection,
    upload: Upload,
}

impl Lease {
    /// Takes the lease of `upload_id` for `user_id`; `Ok(None)` when another request holds
    /// it (or the upload is not the user's, or is gone: the caller looks it up first).
    pub async fn acquire(
        pool: &PgPool,
        user_id: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<Lease>, sqlx::Error> {
        let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
        sqlx::query!(
            "SELECT set_config('weft.user_id', $1, false)",
            user_id.to_string()
        )
        .fetch_one(&mut conn)
        .await?;
        let locked = sqlx::query_scalar!(
            "SELECT pg_try_advisory_lock($1) AS \"locked!\"",
            lock_key(upload_id)
        )
        .fetch_one(&mut conn)
        .await?;
        if !locked {
            let _ = conn.close().await;
            return Ok(None);
        }
        // Read after the lock: the offset another server recorded just before letting go.
        match find_on(&mut conn, upload_id).await? {
            Some(upload) => Ok(Some(Lease { conn, upload })),
            None => {
                let _ = conn.close().await;
                Ok(None)
            }
        }
    }

    /// The upload as it was when the lease was taken, with the offsets recorded since.
    pub fn upload(&self) -> &Upload {
        &self.upload
    }

    /// Records that the bytes up to `offset` are durable, and moves the expiry forward.
    pub async fn advance(
        &mut self,
        offset: i64,
        expires_in_seconds: f64,
    ) -> Result<(), sqlx::Error> {
        let expires_at = sqlx::query_scalar!(
            r#"UPDATE uploads SET "offset" = $2, updated_at = now(),
                      expires_at = now() + make_interval(secs => $3)
               WHERE id = $1 RETURNING expires_at"#,
            self.upload.id,
            offset,
            expires_in_seconds
        )
        .fetch_one(&mut self.conn)
        .await?;
        self.upload.offset = offset;
        self.upload.expires_at = expires_at;
        Ok(())
    }

    /// Marks the upload finished as `journal_id`: the row stays as a record until `keep_seconds`.
    pub async fn finish(&mut self, journal_id: Uuid, keep_seconds: f64) -> Result<(), sqlx::Error> {
        sqlx::query!(
            r#"UPDATE uploads SET "offset" = length, finished = true, journal_id = $2,
                      updated_at = now(), expires_at = now() + make_interval(secs => $3)
               WHERE id = $1"#,
            self.upload.id,
            journal_id,
            keep_seconds
        )
        .execute(&mut self.conn)
        .await?;
        self.upload.offset = self.upload.length;
        self.upload.finished = true;
        self.upload.journal_id = Some(journal_id);
        Ok(())
    }

    /// Removes the upload's row (termination, expiry, or a file that is not a video).
    pub async fn delete(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query!("DELETE FROM uploads WHERE id = $1", self.upload.id)
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// The journal made from this upload before, by a server that stopped before recording
    /// it here (ingest records the upload as the journal's import key).
    pub async fn journal_by_key(&mut self, key: &str) -> Result<Option<Uuid>, sqlx::Error> {
        sqlx::query_scalar!(
            "SELECT journal_id FROM journal_imports WHERE source_key = $1",
            key
        )
        .fetch_optional(&mut self.conn)
        .await
    }

    /// Lets go. The lock is let go of first and then the connection closed: a closed
    /// connection ends its locks only once its server process has noticed and exited, and a
    /// client's next PATCH, sent the moment this one is answered, found the upload still
    /// locked (423) about once in a hundred 4 MiB PATCHes over loopback. Should the unlock
    /// fail, closing still ends the lock.
    pub async fn release(mut self) {
        let _ = sqlx::query!(
            "SELECT pg_advisory_unlock($1) AS \"unlocked!\"",
            lock_key(self.upload.id)
        )
        .fetch_one(&mut self.conn)
        .await;
        let _ = self.conn.close().await;
    }
}
