//! The embedding worker: takes journals from `embedding_queue` (filled by the triggers of
//! migration 0016 whenever a journal's title, notes or transcript changes), cuts them into
//! passages, embeds those in one batch and writes them in the owner's transaction. Woken by
//! NOTIFY, with polling as a fallback. A journal is held for [`HOLD`] while it is worked on;
//! a worker that dies lets it go back to the queue when the hold runs out. A failure is
//! retried with backoff, [`ATTEMPTS`] times, then left marked failed (`weft embed status`)
//! until the journal changes again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::passages::{passages, Passage};
use super::Semantic;
use crate::db::passages::{self as db, NewPassage, Queued};
use crate::db::{scoped, wake};

/// Journals taken at once: their passages are embedded in one batch.
pub const BATCH: i64 = 8;
/// How long a taken journal is held before another worker may take it.
const HOLD: Duration = Duration::from_secs(300);
/// Attempts before a journal is marked failed.
pub const ATTEMPTS: i32 = 5;
/// Look for journals this often without a notification.
const POLL: Duration = Duration::from_secs(10);

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Journals whose passages were written.
    pub journals: usize,
    /// Passages embedded.
    pub passages: usize,
    /// Journals that failed (to be retried, or marked failed).
    pub failed: usize,
}

/// Embeds queued journals until `shutdown`; does nothing without the model.
pub async fn run(pool: PgPool, semantic: Semantic, shutdown: CancellationToken) {
    if semantic.embedder().is_err() {
        return;
    }
    let wake = Arc::new(Notify::new());
    let listener = tokio::spawn(wake::listen(
        pool.clone(),
        db::CHANNEL,
        "embedding",
        wake.clone(),
        shutdown.clone(),
    ));
    while !shutdown.is_cancelled() {
        let notified = wake.notified();
        let pass = tokio::select! {
            pass = one_pass(&pool, &semantic) => pass,
            _ = shutdown.cancelled() => break,
        };
        match pass {
            Ok(pass) if pass.journals + pass.failed > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "embedding: the queue could not be read"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = notified => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    listener.abort();
}

/// Takes one batch of due journals and embeds them.
pub async fn one_pass(pool: &PgPool, semantic: &Semantic) -> Result<Pass, sqlx::Error> {
    let taken = db::claim(pool, BATCH, HOLD.as_secs_f64()).await?;
    let mut pass = Pass::default();
    if taken.is_empty() {
        return Ok(pass);
    }
    let started = Instant::now();
    // Each journal's passages, read as its owner.
    let mut work: Vec<(Queued, Vec<Passage>)> = Vec::new();
    for queued in taken {
        match read(pool, &queued).await {
            Ok(Some(found)) => work.push((queued, found)),
            // The journal is gone: its queue row went with it.
            Ok(None) => {}
            Err(error) => {
                pass.failed += 1;
                give_up_or_retry(pool, &queued, &error.to_string()).await;
            }
        }
    }
    let texts: Vec<String> = work
        .iter()
        .flat_map(|(_, found)| found.iter().map(|passage| passage.text.clone()))
        .collect();
    let vectors = match embed(semantic, texts).await {
        Ok(vectors) => vectors,
        Err(error) => {
            for (queued, _) in &work {
                pass.failed += 1;
                give_up_or_retry(pool, queued, &error).await;
            }
            return Ok(pass);
        }
    };
    let mut vectors = vectors.into_iter();
    for (queued, found) in work {
        let embedded: Vec<Vec<f32>> = vectors.by_ref().take(found.len()).collect();
        match write(pool, &queued, &found, &embedded).await {
            Ok(()) => {
                pass.journals += 1;
                pass.passages += found.len();
            }
            // Deleted while its passages were computed: its queue row went with it.
            Err(sqlx::Error::Database(error))
                if error.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {}
            Err(error) => {
                pass.failed += 1;
                give_up_or_retry(pool, &queued, &error.to_string()).await;
            }
        }
    }
    tracing::debug!(
        journals = pass.journals,
        passages = pass.passages,
        seconds = started.elapsed().as_secs_f64(),
        "embedded"
    );
    Ok(pass)
}

async fn read(pool: &PgPool, queued: &Queued) -> Result<Option<Vec<Passage>>, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, queued.user_id).await?;
    let source = db::source(&mut tx, queued.journal_id).await?;
    tx.rollback().await?;
    Ok(source.map(|source| {
        let segments = source.segments.map(|json| json.0).unwrap_or_default();
        passages(
            &source.title,
            source.notes.as_deref(),
            &segments,
            source.text.as_deref(),
        )
    }))
}

async fn embed(semantic: &Semantic, texts: Vec<String>) -> Result<Vec<Vec<f32>>, String> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let embedder = semantic.embedder().map_err(|e| e.to_string())?.clone();
    tokio::task::spawn_blocking(move || {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        embedder.embed(&texts)
    })
    .await
    .map_err(|error| error.to_string())?
    .map_err(|error| error.to_string())
}

async fn write(
    pool: &PgPool,
    queued: &Queued,
    found: &[Passage],
    vectors: &[Vec<f32>],
) -> Result<(), sqlx::Error> {
    let rows: Vec<NewPassage> = found
        .iter()
        .zip(vectors)
        .map(|(passage, vector)| NewPassage {
            kind: passage.kind.as_str(),
            start: passage.start,
            end: passage.end,
            text: &passage.text,
            embedding: vector,
        })
        .collect();
    let mut tx = scoped::begin_for_user(pool, queued.user_id).await?;
    db::replace(&mut tx, queued.journal_id, &rows).await?;
    db::done(&mut *tx, queued).await?;
    tx.commit().await
}

/// Records a failed attempt; the backoff doubles from 10 s.
async fn give_up_or_retry(pool: &PgPool, queued: &Queued, error: &str) {
    let give_up = queued.attempts >= ATTEMPTS;
    let backoff = 10.0 * 2f64.powi(queued.attempts.clamp(1, 10) - 1);
    tracing::warn!(journal_id = %queued.journal_id, attempt = queued.attempts, give_up, %error, "embedding failed");
    if let Err(error) = db::failed(pool, queued, error, backoff, give_up).await {
        tracing::warn!(%error, "could not record an embedding failure; its hold will run out");
    }
}
