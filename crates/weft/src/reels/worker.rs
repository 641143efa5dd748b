//! The render worker: takes renders from `reel_render_queue`, makes their video
//! ([`super::render`]) and keeps it as a journal through [`Ingest`]. Woken by NOTIFY, with
//! polling as a fallback; one render at a time per process (encoding takes every core it
//! gets). A taken render is held for [`HOLD`], pushed on every [`BEAT`] while it is cut;
//! a worker that dies (a restart) lets it go back to the queue when the hold runs out, and
//! the next attempt starts again from the recordings. A failure is retried with backoff,
//! then the render is marked failed with the reason.
//!
//! A render becomes one journal at most, however often it is run: the journal is ingested
//! with the import key `reel:<render id>`, which is unique per user, so that a second run
//! (its first worker lost its hold but finished anyway) finds the first one's journal.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::render::{RenderError, Renderer};
use crate::db::reels::{self as db, Render, Taken};
use crate::db::{scoped, wake};
use crate::ingest::{Details, Ingest, IngestError};

/// How long a taken render is held before another worker may take it.
const HOLD: Duration = Duration::from_secs(120);
/// How often a worker pushes its hold on while it cuts.
const BEAT: Duration = Duration::from_secs(30);
/// Look for renders this often without a notification.
const POLL: Duration = Duration::from_secs(10);
/// The tag of every reel's journal.
pub const TAG: &str = "reel";
/// The longest query quoted in a reel's title.
const TITLE_QUERY_CHARS: usize = 150;

/// What the worker needs.
#[derive(Debug, Clone)]
pub struct RenderWorker {
    pub pool: PgPool,
    pub renderer: Renderer,
    /// Where the videos become journals (thumbnail, storage, transcription).
    pub ingest: Ingest,
}

/// What became of one taken render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its journal exists.
    Done(Uuid),
    /// It failed and will be tried again.
    Retry(String),
    /// It failed for the last time.
    Failed(String),
    /// It was gone, or another worker had taken it over: nothing was recorded.
    Lost,
}

/// Renders queued reels until `shutdown`.
pub async fn run(worker: RenderWorker, shutdown: CancellationToken) {
    let wake = Arc::new(Notify::new());
    let listener = tokio::spawn(wake::listen(
        worker.pool.clone(),
        db::CHANNEL,
        "reel",
        wake.clone(),
        shutdown.clone(),
    ));
    while !shutdown.is_cancelled() {
        let notified = wake.notified();
        // Stopping drops the render in progress: its ffmpeg is killed, its folder removed,
        // and its hold runs out for the next start to take it again.
        let pass = tokio::select! {
            pass = one_pass(&worker) => pass,
            _ = shutdown.cancelled() => break,
        };
        match pass {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "reels: the render queue could not be read"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = notified => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    listener.abort();
}

/// Takes one due render, if any, and runs it to an outcome.
pub async fn one_pass(worker: &RenderWorker) -> Result<Option<Outcome>, sqlx::Error> {
    let Some(taken) = db::claim(&worker.pool, HOLD.as_secs_f64()).await? else {
        return Ok(None);
    };
    let mut tx = scoped::begin_for_user(&worker.pool, taken.user_id).await?;
    let Some(render) = db::started(&mut tx, &taken).await? else {
        tx.commit().await?;
        return Ok(Some(Outcome::Lost));
    };
    let ids: Vec<Uuid> = render.clips.0.iter().map(|clip| clip.journal).collect();
    let sources = db::sources(&mut tx, &ids).await?;
    tx.commit().await?;

    let holding = tokio::spawn(keep_holding(worker.pool.clone(), taken.clone()));
    let made = make(worker, &render, &sources).await;
    holding.abort();
    let outcome = match made {
        Ok(journal_id) => {
            let mut tx = scoped::begin_for_user(&worker.pool, taken.user_id).await?;
            let mine = db::finish(&mut tx, &taken, journal_id).await?;
            tx.commit().await?;
            if mine {
                tracing::info!(render = %render.id, journal = %journal_id, "reel saved as a video");
                Outcome::Done(journal_id)
            } else {
                Outcome::Lost
            }
        }
        Err(error) => record_failure(&worker.pool, &taken, error).await?,
    };
    Ok(Some(outcome))
}

/// Pushes the hold on until aborted.
async fn keep_holding(pool: PgPool, taken: Taken) {
    loop {
        tokio::time::sleep(BEAT).await;
        match db::hold(&pool, &taken, HOLD.as_secs_f64()).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => tracing::warn!(%error, "reels: could not push a render's hold on"),
        }
    }
}

/// Makes the video and its journal; the journal's id.
async fn make(
    worker: &RenderWorker,
    render: &Render,
    sources: &[db::Source],
) -> Result<Uuid, RenderError> {
    let (video, seconds) = worker
        .renderer
        .video(render.id, &render.clips.0, sources)
        .await?;
    let import_key = format!("reel:{}", render.id);
    let details = Details {
        title: title(&render.q),
        notes: Some(notes(render, sources, seconds)),
        tags: vec![TAG.to_string()],
        import_key: Some(import_key.clone()),
        ..Details::default()
    };
    match worker.ingest.journal(render.user_id, video, details).await {
        Ok(view) => Ok(view.journal.id),
        // An earlier run of this render made it already.
        Err(IngestError::AlreadyImported(_)) => {
            let mut tx = scoped::begin_for_user(&worker.pool, render.user_id)
                .await
                .map_err(retryable)?;
            let found = db::journal_imported_as(&mut tx, &import_key)
                .await
                .map_err(retryable)?;
            tx.commit().await.map_err(retryable)?;
            found.ok_or_else(|| RenderError::Retryable("the reel's journal vanished".into()))
        }
        Err(IngestError::NotAVideo(error)) => Err(RenderError::Permanent(format!(
            "the joined video could not be read back: {error}"
        ))),
        Err(error) => Err(retryable(error)),
    }
}

fn retryable(error: impl std::fmt::Display) -> RenderError {
    RenderError::Retryable(error.to_string())
}

/// Records a failed attempt; the backoff doubles from 10 s.
async fn record_failure(
    pool: &PgPool,
    taken: &Taken,
    error: RenderError,
) -> Result<Outcome, sqlx::Error> {
    let permanent = matches!(error, RenderError::Permanent(_));
    let give_up = permanent || taken.attempts >= taken.max_attempts;
    let message = error.to_string();
    let backoff = 10.0 * 2f64.powi(taken.attempts.clamp(1, 10) - 1);
    tracing::warn!(render = %taken.render_id, attempt = taken.attempts, give_up, error = %message, "reel render failed");
    let mut tx = scoped::begin_for_user(pool, taken.user_id).await?;
    let mine = db::failed(&mut tx, taken, &message, backoff, give_up).await?;
    tx.commit().await?;
    Ok(match (mine, give_up) {
        (false, _) => Outcome::Lost,
        (true, true) => Outcome::Failed(message),
        (true, false) => Outcome::Retry(message),
    })
}

/// The title of a reel's journal: `Reel: “QUERY”`, the query shortened to fit.
pub fn title(q: &str) -> String {
    let q = q.trim();
    let quoted = if q.chars().count() > TITLE_QUERY_CHARS {
        let short: String = q.chars().take(TITLE_QUERY_CHARS - 1).collect();
        format!("{}…", short.trim_end())
    } else {
        q.to_string()
    };
    format!("Reel: “{quoted}”")
}

/// The notes of a reel's journal: where it comes from, and its entries.
fn notes(render: &Render, sources: &[db::Source], seconds: f64) -> String {
    let clips = &render.clips.0;
    let whole = seconds.max(0.0).round() as u64;
    let mut notes = format!(
        "Every moment of the search “{}” ({} mode), {} clips, {}:{:02} with the title cards.\n",
        render.q,
        render.mode,
        clips.len(),
        whole / 60,
        whole % 60,
    );
    let mut previous = None;
    for clip in clips {
        if previous == Some(clip.journal) {
            continue;
        }
        previous = Some(clip.journal);
        if let Some(source) = sources.iter().find(|s| s.id == clip.journal) {
            notes.push_str(&format!(
                "\n- {}: {}",
                super::render::card_date(source.day),
                source.title
            ));
        }
    }
    notes.chars().take(crate::domain::MAX_NOTES_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reels_title_quotes_its_query_and_fits_a_title() {
        assert_eq!(title(" lighthouse "), "Reel: “lighthouse”");
        let long = title(&"a".repeat(256));
        assert!(long.chars().count() <= 200, "{long}");
        assert!(long.ends_with("a…”"));
    }
}
