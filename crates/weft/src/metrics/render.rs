//! Writing the figures in the Prometheus text exposition format.

use std::fmt::Write;

use super::{Figures, Histogram};
use crate::db::jobs::JobState;

/// The pool's figures at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct PoolFigures {
    size: u32,
    idle: usize,
    max: u32,
}

impl PoolFigures {
    /// Reads them from the pool.
    pub fn of(pool: &sqlx::PgPool) -> Self {
        Self {
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        }
    }
}

/// The job states of `transcription_jobs`; each is written even when no job has it.
const JOB_STATES: [JobState; 4] = [
    JobState::Queued,
    JobState::Running,
    JobState::Done,
    JobState::Failed,
];

/// Escapes a label value (backslash, double quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one histogram's series; `labels` is `a="b",c="d"` or empty.
fn histogram(out: &mut String, name: &str, labels: &str, histogram: &Histogram) {
    let sep = if labels.is_empty() { "" } else { "," };
    for (bound, count) in histogram.cumulative() {
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
    }
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(out, "{name}_sum{braces} {}", histogram.sum());
    let _ = writeln!(out, "{name}_count{braces} {}", histogram.count());
}

/// The whole exposition. `depth` is None when the database did not answer.
pub fn render(figures: &Figures, pool: &PoolFigures, depth: Option<&[(JobState, i64)]>) -> String {
    let mut out = String::with_capacity(8 * 1024);

    header(
        &mut out,
        "weft_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route template and status.",
    );
    for ((method, route, status), h) in &figures.http {
        let _ = writeln!(
            out,
            "weft_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
            escape(route),
            h.count()
        );
    }
    header(
        &mut out,
        "weft_http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request (until the response headers), in seconds.",
    );
    for ((method, route, status), h) in &figures.http {
        let labels = format!(
            "method=\"{method}\",route=\"{}\",status=\"{status}\"",
            escape(route)
        );
        histogram(&mut out, "weft_http_request_duration_seconds", &labels, h);
    }

    header(
        &mut out,
        "weft_db_pool_connections",
        "gauge",
        "Open connections of the API's database pool, by state.",
    );
    let in_use = (pool.size as usize).saturating_sub(pool.idle);
    let _ = writeln!(
        out,
        "weft_db_pool_connections{{state=\"idle\"}} {}",
        pool.idle
    );
    let _ = writeln!(out, "weft_db_pool_connections{{state=\"in_use\"}} {in_use}");
    header(
        &mut out,
        "weft_db_pool_size",
        "gauge",
        "Open connections of the database pool.",
    );
    let _ = writeln!(out, "weft_db_pool_size {}", pool.size);
    header(
        &mut out,
        "weft_db_pool_max",
        "gauge",
        "Most connections the database pool may open (WEFT_POOL_MAX).",
    );
    let _ = writeln!(out, "weft_db_pool_max {}", pool.max);
    header(
        &mut out,
        "weft_db_pool_acquire_waits_total",
        "counter",
        "Transactions that found no idle connection and a full pool, so had to wait.",
    );
    let _ = writeln!(
        out,
        "weft_db_pool_acquire_waits_total {}",
        figures.acquire_waits
    );
    header(
        &mut out,
        "weft_db_pool_acquire_timeouts_total",
        "counter",
        "Requests answered 503 because no connection was free within the acquire timeout.",
    );
    let _ = writeln!(
        out,
        "weft_db_pool_acquire_timeouts_total {}",
        figures.acquire_timeouts
    );
    {
        let empty = Histogram::new(super::ACQUIRE_BUCKETS);
        let h = figures.acquire.as_ref().unwrap_or(&empty);
        header(
            &mut out,
            "weft_db_pool_acquire_seconds",
            "histogram",
            "Wait for a pooled connection when a request begins a transaction, in seconds.",
        );
        histogram(&mut out, "weft_db_pool_acquire_seconds", "", h);
    }

    if let Some(depth) = depth {
        header(
            &mut out,
            "weft_jobs",
            "gauge",
            "Transcription jobs in the queue table, by state (read at scrape time).",
        );
        for state in JOB_STATES {
            let count = depth
                .iter()
                .find(|(s, _)| *s == state)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let _ = writeln!(out, "weft_jobs{{state=\"{state}\"}} {count}");
        }
    }
    header(
        &mut out,
        "weft_job_duration_seconds",
        "histogram",
        "Time a worker of this process spent on a job, by outcome, in seconds.",
    );
    for (outcome, h) in &figures.jobs {
        let labels = format!("outcome=\"{}\"", outcome.label());
        histogram(&mut out, "weft_job_duration_seconds", &labels, h);
    }
    header(
        &mut out,
        "weft_job_failures_total",
        "counter",
        "Failed job attempts in this process: retry (queued again) or failed (for good).",
    );
    for outcome in [super::JobOutcome::Retry, super::JobOutcome::Failed] {
        let count = figures.jobs.get(&outcome).map_or(0, Histogram::count);
        let _ = writeln!(
            out,
            "weft_job_failures_total{{outcome=\"{}\"}} {count}",
            outcome.label()
        );
    }

    header(
        &mut out,
        "weft_transcription_audio_seconds_total",
        "counter",
        "Seconds of audio transcribed by this process.",
    );
    let _ = writeln!(
        out,
        "weft_transcription_audio_seconds_total {}",
        figures.audio_seconds
    );
    header(
        &mut out,
        "weft_transcription_processing_seconds_total",
        "counter",
        "Seconds spent on those transcriptions (download, audio extraction and engine).",
    );
    let _ = writeln!(
        out,
        "weft_transcription_processing_seconds_total {}",
        figures.processing_seconds
    );
    {
        let empty = Histogram::new(super::RTF_BUCKETS);
        let h = figures.rtf.as_ref().unwrap_or(&empty);
        header(
            &mut out,
            "weft_transcription_real_time_factor",
            "histogram",
            "Audio seconds per processing second of each transcription (above 1: faster than real time).",
        );
        histogram(&mut out, "weft_transcription_real_time_factor", "", h);
    }
    out
}
