//! Prometheus metrics: HTTP requests, the database pool, the job queue and transcription
//! speed, kept in prometheus-client's counters, gauges and histograms and written in the
//! Prometheus text format (version 0.0.4) for `GET /metrics` (`routes/metrics.rs`).
//!
//! Counters and histograms live in one process-wide registry, because the job workers record
//! into it without an `ApiContext`. Gauges (pool, queue depth) are read at scrape time by the
//! handler and handed in as plain numbers: this module is a leaf, and knows nothing of HTTP
//! or the database.

use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

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

/// The job states of `transcription_jobs`; each is written even when no job has it.
const JOB_STATES: &[&str] = &["queued", "running", "done", "failed"];

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

/// The labels of one HTTP series, in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    /// Shared with every other series of the same route template (see [`Registry::route`]).
    route: Arc<str>,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// Histograms by label set, each made with the buckets of its family.
type Histograms<S> = Family<S, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS.iter().copied())
}

fn job_histogram() -> Histogram {
    Histogram::new(JOB_BUCKETS.iter().copied())
}

/// The pool's figures at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct PoolFigures {
    /// Open connections.
    pub size: u32,
    /// Open connections not lent out.
    pub idle: usize,
    /// The most the pool may open.
    pub max: u32,
}

/// The process-wide counters and histograms. Each series is its own counter (an atomic) or
/// histogram (with a lock of its own, held for a few additions), found in its family by its
/// labels under a read lock: recording takes no lock that excludes other requests, except
/// the first time a series appears.
#[derive(Debug)]
pub struct Registry {
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Histograms<HttpLabels>,
    jobs: Histograms<OutcomeLabels>,
    job_failures: Family<OutcomeLabels, Counter>,
    rtf: Histogram,
    audio_seconds: Counter<f64, AtomicU64>,
    processing_seconds: Counter<f64, AtomicU64>,
    acquire: Histogram,
    acquire_waits: Counter,
    acquire_timeouts: Counter,
    /// Every route template seen so far, so a request names its series without allocating.
    routes: RwLock<HashSet<Arc<str>>>,
}

impl Default for Registry {
    fn default() -> Self {
        let registry = Self {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency_histogram),
            jobs: Family::new_with_constructor(job_histogram),
            job_failures: Family::default(),
            rtf: Histogram::new(RTF_BUCKETS.iter().copied()),
            audio_seconds: Counter::default(),
            processing_seconds: Counter::default(),
            acquire: Histogram::new(ACQUIRE_BUCKETS.iter().copied()),
            acquire_waits: Counter::default(),
            acquire_timeouts: Counter::default(),
            routes: RwLock::default(),
        };
        // Written from the start, at 0, so an alert on their rate has a series to read.
        for outcome in [JobOutcome::Retry, JobOutcome::Failed] {
            let labels = OutcomeLabels {
                outcome: outcome.label(),
            };
            drop(registry.job_failures.get_or_create(&labels));
        }
        registry
    }
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The registry of this process.
pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(Registry::default)
}

impl Registry {
    /// Records one answered HTTP request. `route` is the route template (or "unmatched"),
    /// never a raw path: there must be few of them.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            method: known_method(method),
            route: self.route(route),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The shared copy of a route template. Templates are few and fixed (the router's), so
    /// each is allocated once and a request only clones a pointer; the write lock is taken
    /// only the first time a template is seen.
    fn route(&self, route: &str) -> Arc<str> {
        let known = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = known.get(route) {
            return Arc::clone(shared);
        }
        drop(known);
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = routes.get(route) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(route);
        routes.insert(Arc::clone(&shared));
        shared
    }

    /// Records a finished (or abandoned) job and how long it ran.
    pub fn job_finished(&self, outcome: JobOutcome, elapsed: Duration) {
        let labels = OutcomeLabels {
            outcome: outcome.label(),
        };
        self.jobs
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if matches!(outcome, JobOutcome::Retry | JobOutcome::Failed) {
            self.job_failures.get_or_create(&labels).inc();
        }
    }

    /// Records a transcription: `audio` seconds of audio done in `processing`.
    pub fn transcribed(&self, audio: f64, processing: Duration) {
        let processing = processing.as_secs_f64();
        if !(audio.is_finite() && audio > 0.0 && processing > 0.0) {
            return;
        }
        self.audio_seconds.inc_by(audio);
        self.processing_seconds.inc_by(processing);
        self.rtf.observe(audio / processing);
    }

    /// Records the wait for a pooled connection; `waited` when none was idle.
    pub fn pool_acquired(&self, elapsed: Duration, waited: bool) {
        self.acquire.observe(elapsed.as_secs_f64());
        if waited {
            self.acquire_waits.inc();
        }
    }

    /// Records a request that found no free connection within the acquire timeout.
    pub fn pool_timed_out(&self) {
        self.acquire_timeouts.inc();
    }

    /// The whole exposition, with the pool's figures and the job queue's `depth` read at
    /// scrape time (`depth` is None when the database did not answer: its series are left
    /// out).
    pub fn render(&self, pool: PoolFigures, depth: Option<&[(String, i64)]>) -> String {
        // A registry per scrape: the gauges are read now, and registering the process's
        // figures beside them (clones of shared handles) keeps the order of the exposition.
        let mut out = prometheus_client::registry::Registry::default();
        // prometheus-client ends every help text with a full stop, and adds `_total` to
        // counter names.
        out.register(
            "weft_http_requests",
            "HTTP requests answered, by method, route template and status",
            self.http_requests.clone(),
        );
        out.register(
            "weft_http_request_duration_seconds",
            "Time to answer an HTTP request (until the response headers), in seconds",
            self.http_duration.clone(),
        );

        let connections = Family::<StateLabels, Gauge>::default();
        let in_use = (pool.size as usize).saturating_sub(pool.idle);
        for (state, count) in [("idle", pool.idle), ("in_use", in_use)] {
            connections
                .get_or_create(&StateLabels { state })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        out.register(
            "weft_db_pool_connections",
            "Open connections of the API's database pool, by state",
            connections,
        );
        out.register(
            "weft_db_pool_size",
            "Open connections of the database pool",
            gauge(pool.size.into()),
        );
        out.register(
            "weft_db_pool_max",
            "Most connections the database pool may open (WEFT_POOL_MAX)",
            gauge(pool.max.into()),
        );
        out.register(
            "weft_db_pool_acquire_waits",
            "Transactions that found no idle connection and a full pool, so had to wait",
            self.acquire_waits.clone(),
        );
        out.register(
            "weft_db_pool_acquire_timeouts",
            "Requests answered 503 because no connection was free within the acquire timeout",
            self.acquire_timeouts.clone(),
        );
        out.register(
            "weft_db_pool_acquire_seconds",
            "Wait for a pooled connection when a request begins a transaction, in seconds",
            self.acquire.clone(),
        );

        if let Some(depth) = depth {
            let jobs = Family::<StateLabels, Gauge>::default();
            for state in JOB_STATES {
                let count = depth
                    .iter()
                    .find(|(s, _)| s == state)
                    .map_or(0, |(_, n)| *n);
                jobs.get_or_create(&StateLabels { state }).set(count);
            }
            out.register(
                "weft_jobs",
                "Transcription jobs in the queue table, by state (read at scrape time)",
                jobs,
            );
        }
        out.register(
            "weft_job_duration_seconds",
            "Time a worker of this process spent on a job, by outcome, in seconds",
            self.jobs.clone(),
        );
        out.register(
            "weft_job_failures",
            "Failed job attempts in this process: retry (queued again) or failed (for good)",
            self.job_failures.clone(),
        );

        out.register(
            "weft_transcription_audio_seconds",
            "Seconds of audio transcribed by this process",
            self.audio_seconds.clone(),
        );
        out.register(
            "weft_transcription_processing_seconds",
            "Seconds spent on those transcriptions (download, audio extraction and engine)",
            self.processing_seconds.clone(),
        );
        out.register(
            "weft_transcription_real_time_factor",
            "Audio seconds per processing second of each transcription (above 1: faster than real time)",
            self.rtf.clone(),
        );

        let mut text = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &out);
        text
    }
}

/// A gauge that reads `value`.
fn gauge(value: i64) -> Gauge {
    let gauge = Gauge::default();
    gauge.set(value);
    gauge
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of `text` for `series` (name and labels), without its value.
    fn value<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
    }

    const POOL: PoolFigures = PoolFigures {
        size: 3,
        idle: 2,
        max: 5,
    };

    #[test]
    fn requests_are_written_by_method_route_and_status_with_their_latency() {
        let registry = Registry::default();
        for millis in [3, 30] {
            registry.http_request(
                "GET",
                "/api/v1/journals/{id}",
                404,
                Duration::from_millis(millis),
            );
        }
        registry.http_request("BREW", "/", 200, Duration::from_millis(1));

        let text = registry.render(POOL, None);

        let series = r#"{method="GET",route="/api/v1/journals/{id}",status="404""#;
        assert_eq!(
            value(&text, &format!("weft_http_requests_total{series}}}")),
            Some("2")
        );
        for (le, count) in [("0.001", "0"), ("0.005", "1"), ("0.05", "2"), ("1", "2")] {
            let bucket = format!("weft_http_request_duration_seconds_bucket{series},le=\"{le}\"}}");
            assert_eq!(value(&text, &bucket), Some(count), "{bucket}\n{text}");
        }
        assert!(text.contains(r#"method="OTHER",route="/""#), "{text}");
    }

    #[test]
    fn help_and_type_lines_name_the_series_as_prometheus_reads_them() {
        let registry = Registry::default();
        // A family without series is left out, its HELP and TYPE too.
        registry.http_request("GET", "/health", 200, Duration::from_millis(1));

        let text = registry.render(POOL, None);

        assert!(text.contains(
            "# HELP weft_http_requests_total HTTP requests answered, by method, route template and status.\n\
             # TYPE weft_http_requests_total counter\n"
        ), "{text}");
        assert!(text.contains("# TYPE weft_db_pool_acquire_seconds histogram\n"));
        assert!(text.contains("# TYPE weft_db_pool_size gauge\n"));
        assert_eq!(
            value(&text, r#"weft_db_pool_connections{state="in_use"}"#),
            Some("1")
        );
        assert_eq!(value(&text, "weft_db_pool_max"), Some("5"));
    }

    #[test]
    fn failures_are_written_from_the_start_and_counted_by_outcome() {
        let registry = Registry::default();
        let before = registry.render(POOL, None);
        registry.job_finished(JobOutcome::Failed, Duration::from_secs(12));
        registry.job_finished(JobOutcome::Done, Duration::from_secs(2));

        let after = registry.render(POOL, None);

        assert_eq!(
            value(&before, r#"weft_job_failures_total{outcome="failed"}"#),
            Some("0")
        );
        assert_eq!(
            value(&after, r#"weft_job_failures_total{outcome="failed"}"#),
            Some("1")
        );
        assert_eq!(
            value(&after, r#"weft_job_failures_total{outcome="retry"}"#),
            Some("0")
        );
        assert_eq!(
            value(
                &after,
                r#"weft_job_duration_seconds_bucket{outcome="failed",le="30"}"#
            ),
            Some("1")
        );
        assert_eq!(
            value(&after, r#"weft_job_duration_seconds_count{outcome="done"}"#),
            Some("1")
        );
    }

    #[test]
    fn the_queue_is_written_only_when_the_database_answered() {
        let registry = Registry::default();
        let depth = [("queued".to_string(), 4)];

        let answered = registry.render(POOL, Some(&depth));
        let silent = registry.render(POOL, None);

        assert_eq!(value(&answered, r#"weft_jobs{state="queued"}"#), Some("4"));
        assert_eq!(value(&answered, r#"weft_jobs{state="failed"}"#), Some("0"));
        assert!(!silent.contains("weft_jobs{"), "{silent}");
    }

    #[test]
    fn a_transcription_adds_its_seconds_and_its_speed() {
        let registry = Registry::default();
        registry.transcribed(2.0, Duration::from_millis(500));
        registry.transcribed(f64::NAN, Duration::from_secs(1));

        let text = registry.render(POOL, None);

        assert_eq!(
            value(&text, "weft_transcription_audio_seconds_total"),
            Some("2.0")
        );
        assert_eq!(
            value(
                &text,
                r#"weft_transcription_real_time_factor_bucket{le="4"}"#
            ),
            Some("1")
        );
        assert_eq!(
            value(&text, "weft_transcription_real_time_factor_count"),
            Some("1")
        );
    }

    #[test]
    fn one_route_template_is_allocated_once() {
        let registry = Registry::default();

        let first = registry.route("/api/v1/journals/{id}");
        let again = registry.route(&String::from("/api/v1/journals/{id}"));

        assert!(Arc::ptr_eq(&first, &again));
    }
}
