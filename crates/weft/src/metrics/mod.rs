//! Prometheus metrics: HTTP requests, the database pool, the job queue and transcription
//! speed, written in the Prometheus text format by `GET /metrics`.
//!
//! Counters and histograms live in one process-wide registry, because the job workers record
//! into it without an `ApiContext`. Gauges (pool, queue depth) are read at scrape time.

mod histogram;
mod render;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use histogram::Histogram;

use crate::api::ApiContext;

/// Buckets for request latency, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets for job durations, in seconds (a transcription takes seconds to many minutes).
const JOB_BUCKETS: &[f64] = &[
    0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];
/// Buckets for the real-time factor (audio seconds per second of processing).
const RTF_BUCKETS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
/// Buckets for the wait for a pooled connection, in seconds.
const ACQUIRE_BUCKETS: &[f64] = &[0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];

/// How a finished job ended, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobOutcome {
    /// A transcript was written.
    Done,
    /// Failed; it will be tried again.
    Retry,
    /// Failed for good.
    Failed,
    /// Another worker took it over; the result was discarded.
    Lost,
    /// Handed back on shutdown.
    HandedBack,
}

impl JobOutcome {
    fn label(self) -> &'static str {
        match self {
            JobOutcome::Done => "done",
            JobOutcome::Retry => "retry",
            JobOutcome::Failed => "failed",
            JobOutcome::Lost => "lost",
            JobOutcome::HandedBack => "handed_back",
        }
    }
}

/// The process-wide counters and histograms.
#[derive(Debug, Default)]
pub struct Registry {
    state: Mutex<Figures>,
}

#[derive(Debug, Default)]
struct Figures {
    /// (method, route template, status) → latency.
    http: BTreeMap<(&'static str, String, u16), Histogram>,
    jobs: BTreeMap<JobOutcome, Histogram>,
    rtf: Option<Histogram>,
    audio_seconds: f64,
    processing_seconds: f64,
    acquire: Option<Histogram>,
    acquire_waits: u64,
    acquire_timeouts: u64,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The registry of this process.
pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(Registry::default)
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Figures> {
        // A panic while holding the lock leaves plain numbers behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one answered HTTP request.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = known_method(method);
        self.lock()
            .http
            .entry((method, route.to_string(), status))
            .or_insert_with(|| Histogram::new(LATENCY_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    /// Records a finished (or abandoned) job and how long it ran.
    pub fn job_finished(&self, outcome: JobOutcome, elapsed: Duration) {
        self.lock()
            .jobs
            .entry(outcome)
            .or_insert_with(|| Histogram::new(JOB_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    /// Records a transcription: `audio` seconds of audio done in `processing`.
    pub fn transcribed(&self, audio: f64, processing: Duration) {
        let processing = processing.as_secs_f64();
        if !(audio.is_finite() && audio > 0.0 && processing > 0.0) {
            return;
        }
        let mut state = self.lock();
        state.audio_seconds += audio;
        state.processing_seconds += processing;
        state
            .rtf
            .get_or_insert_with(|| Histogram::new(RTF_BUCKETS))
            .observe(audio / processing);
    }

    /// Records the wait for a pooled connection; `waited` when none was idle.
    pub fn pool_acquired(&self, elapsed: Duration, waited: bool) {
        let mut state = self.lock();
        state
            .acquire
            .get_or_insert_with(|| Histogram::new(ACQUIRE_BUCKETS))
            .observe(elapsed.as_secs_f64());
        if waited {
            state.acquire_waits += 1;
        }
    }

    /// Records a request that found no free connection within the acquire timeout.
    pub fn pool_timed_out(&self) {
        self.lock().acquire_timeouts += 1;
    }
}

/// Bounds the `method` label to the methods HTTP defines.
fn known_method(method: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or("OTHER")
}

/// Middleware: counts every request by its route template (never the raw path, whose ids
/// would make a series per journal) and status, with its latency.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    registry().http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Begins a transaction on `pool` with the simple-query `statement` (`BEGIN` and what
/// should run with it in the same round trip), timing the wait for a connection.
///
/// The begin runs to its end on a task of its own even when the request that asked for it
/// is cancelled (a client that hangs up): cancelled halfway, sqlx would put the connection
/// back in the pool with the server still inside the transaction, and the next request on
/// it would run in that transaction (PostgreSQL's warning "there is already a transaction
/// in progress"). Finished on its task, the transaction is simply dropped and rolled back.
pub async fn begin_with(
    pool: &sqlx::PgPool,
    statement: String,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let waited = pool.num_idle() == 0 && pool.size() >= pool.options().get_max_connections();
    let started = Instant::now();
    let task_pool = pool.clone();
    let result = tokio::spawn(async move { task_pool.begin_with(statement).await })
        .await
        .unwrap_or_else(|_| Err(sqlx::Error::WorkerCrashed));
    registry().pool_acquired(started.elapsed(), waited);
    result
}

/// [`begin_with`] a plain `BEGIN`.
pub async fn begin(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    begin_with(pool, "BEGIN".to_string()).await
}

/// `GET /metrics`: every figure in the Prometheus text format (version 0.0.4).
pub async fn handler(State(context): State<ApiContext>) -> Response {
    // Read before the queue query, so the scrape's own connection is not counted in use.
    let pool = render::PoolFigures::of(&context.pool);
    // A scrape must not hang on a dead database: the queue figures are left out then.
    let depth = tokio::time::timeout(context.ready_timeout, crate::db::jobs::depth(&context.pool))
        .await
        .ok()
        .and_then(Result::ok);
    let body = render::render(&registry().lock(), &pool, depth.as_deref());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
