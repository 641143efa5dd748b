//! Transcription workers: inside `weft serve`, or alone as `weft worker` on any machine that
//! reaches the database and the storage. Woken by LISTEN/NOTIFY, with polling as a fallback;
//! a heartbeat while a job runs; a reaper that requeues the jobs of workers that died; on
//! shutdown the running job is handed back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::transcribe::{JobError, Pipeline};
use crate::db::jobs::{self, Job};
use crate::db::wake;

/// Worker settings.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Jobs run at once by this process.
    pub concurrency: usize,
    /// Look for jobs this often even without a notification.
    pub poll: Duration,
    /// Send a heartbeat this often while a job runs.
    pub heartbeat: Duration,
    /// A running job without a heartbeat for this long is requeued.
    pub stale_after: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 1,
            poll: Duration::from_secs(5),
            heartbeat: Duration::from_secs(5),
            stale_after: Duration::from_secs(30),
        }
    }
}

/// A name for this worker process, unique enough to tell workers apart in the job table.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!(
        "{}:{}:{}",
        host.trim(),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Runs workers until `shutdown` is cancelled; the running jobs are handed back then.
pub async fn run(pipeline: Pipeline, config: WorkerConfig, shutdown: CancellationToken) {
    let wake = Arc::new(Notify::new());
    let listener = tokio::spawn(wake::listen(
        pipeline.pool.clone(),
        jobs::CHANNEL,
        "job",
        wake.clone(),
        shutdown.clone(),
    ));
    let reaper = tokio::spawn(reap(pipeline.pool.clone(), config, shutdown.clone()));
    let mut loops = Vec::new();
    for slot in 0..config.concurrency.max(1) {
        let name = format!("{}#{slot}", worker_name());
        loops.push(tokio::spawn(work(
            pipeline.clone(),
            config,
            name,
            wake.clone(),
            shutdown.clone(),
        )));
    }
    for handle in loops {
        let _ = handle.await;
    }
    listener.abort();
    reaper.abort();
}

async fn reap(pool: sqlx::PgPool, config: WorkerConfig, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(config.stale_after / 2);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match jobs::reap(&pool, config.stale_after.as_secs_f64()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "requeued the jobs of workers that stopped answering"
            ),
            Err(error) => tracing::debug!(%error, "reaping failed; the database may be down"),
        }
    }
}

async fn work(
    pipeline: Pipeline,
    config: WorkerConfig,
    name: String,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        // Register interest before looking, so a notification between the look and the
        // wait is not lost.
        let notified = wake.notified();
        let claimed = match jobs::claim(&pipeline.pool, &name).await {
            Ok(job) => job,
            Err(error) => {
                tracing::warn!(%error, "claiming a job failed; the database may be down");
                None
            }
        };
        match claimed {
            Some(job) => run_one(&pipeline, config, &name, job, &shutdown).await,
            None => {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = notified => {}
                    _ = tokio::time::sleep(config.poll) => {}
                }
            }
        }
    }
}

async fn run_one(
    pipeline: &Pipeline,
    config: WorkerConfig,
    name: &str,
    job: Job,
    shutdown: &CancellationToken,
) {
    let started = std::time::Instant::now();
    tracing::info!(job_id = %job.id, journal_id = %job.journal_id, attempt = job.attempts, "transcription started");
    // The engine reports the fraction done here; each heartbeat writes the latest.
    let done = Arc::new(AtomicU64::new(f64::NAN.to_bits()));
    let heartbeat = {
        let pool = pipeline.pool.clone();
        let (job, name, done) = (job.clone(), name.to_string(), done.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(config.heartbeat);
            loop {
                every.tick().await;
                let fraction = f64::from_bits(done.load(Ordering::Relaxed));
                let progress = (!fraction.is_nan()).then_some(fraction);
                if let Err(error) = jobs::heartbeat(&pool, &job, &name, progress).await {
                    tracing::debug!(%error, "heartbeat failed");
                }
            }
        })
    };
    let outcome = tokio::select! {
        outcome = pipeline.run(&job, name, Some(done)) => Some(outcome),
        _ = shutdown.cancelled() => None,
    };
    heartbeat.abort();
    record_metrics(&outcome, &job, started.elapsed());
    let pool = &pipeline.pool;
    let recorded = match outcome {
        None => {
            tracing::info!(job_id = %job.id, "shutting down: handing the job back");
            jobs::give_back(pool, &job, name).await
        }
        Some(Ok(_)) => {
            tracing::info!(job_id = %job.id, seconds = started.elapsed().as_secs_f64(), "transcription done");
            Ok(())
        }
        Some(Err(JobError::Lost)) => {
            tracing::warn!(job_id = %job.id, "the job was taken over by another worker; result discarded");
            Ok(())
        }
        Some(Err(JobError::Retryable(message))) => {
            tracing::warn!(job_id = %job.id, error = %message, "transcription failed; it will be retried");
            jobs::fail(pool, &job, name, &message, true).await
        }
        Some(Err(JobError::Permanent(message))) => {
            tracing::error!(job_id = %job.id, error = %message, "transcription failed for good");
            jobs::fail(pool, &job, name, &message, false).await
        }
    };
    if let Err(error) = recorded {
        // The reaper will requeue it once its heartbeat is stale.
        tracing::warn!(%error, job_id = %job.id, "could not record the job's outcome");
    }
}

/// Counts the job for `/metrics`: its duration by outcome, and the real-time factor of a
/// transcription that succeeded.
fn record_metrics(
    outcome: &Option<Result<f64, JobError>>,
    job: &Job,
    elapsed: std::time::Duration,
) {
    use crate::metrics::{registry, JobOutcome};
    let kind = match outcome {
        None => JobOutcome::HandedBack,
        Some(Ok(audio)) => {
            registry().transcribed(*audio, elapsed);
            JobOutcome::Done
        }
        Some(Err(JobError::Lost)) => JobOutcome::Lost,
        Some(Err(JobError::Retryable(_))) if job.attempts < job.max_attempts => JobOutcome::Retry,
        Some(Err(_)) => JobOutcome::Failed,
    };
    registry().job_finished(kind, elapsed);
}
