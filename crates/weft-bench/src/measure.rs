//! What the benchmarks share: where the server is, wrk runs and percentiles.

use anyhow::{bail, Context};

/// Where the server and the database are.
pub struct Target {
    pub server: String,
    pub superuser: String,
    /// Timings per query.
    pub runs: usize,
    /// Seconds per wrk run.
    pub wrk_seconds: u32,
    /// Only the search latencies.
    pub search_only: bool,
    /// Only the load of all users at once (see `rotating`).
    pub users_rotating: bool,
}

/// One wrk run with 20 connections on 2 threads, with a script or none, signed in with
/// `token` unless the script signs each request: (requests/s, p50 ms, p99 ms).
pub fn wrk(
    url: &str,
    token: Option<&str>,
    seconds: u32,
    script: Option<&std::path::Path>,
) -> anyhow::Result<(f64, f64, f64)> {
    let mut command = std::process::Command::new("wrk");
    command.args(["-t2", "-c20", &format!("-d{seconds}s"), "--latency"]);
    if let Some(token) = token {
        command
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"));
    }
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(url)
        .output()
        .context("running wrk: install it with `scripts/install-deps --bench` (Debian's wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        bail!("wrk saw errors:\n{text}");
    }
    let field = |label: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.trim_start().starts_with(label))?;
        line.split_whitespace().nth(1).and_then(parse_wrk_number)
    };
    let rps = field("Requests/sec:").context(format!("no requests/s in wrk output:\n{text}"))?;
    let p50 = field("50%").context("no p50 in wrk output")?;
    let p99 = field("99%").context("no p99 in wrk output")?;
    Ok((rps, p50, p99))
}

/// wrk's numbers: "6123.45", or times as "812.00us", "3.41ms", "1.02s" (in ms).
fn parse_wrk_number(raw: &str) -> Option<f64> {
    let units = [("us", 0.001), ("ms", 1.0), ("s", 1000.0)];
    for (suffix, factor) in units {
        if let Some(number) = raw.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    raw.parse().ok()
}

/// The value at fraction `at` of the sorted values (nearest rank).
pub fn percentile(values: &[f64], at: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((at * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_numbers_and_percentiles_are_read() {
        assert_eq!(parse_wrk_number("812.00us"), Some(0.812));
        assert_eq!(parse_wrk_number("3.50ms"), Some(3.5));
        assert_eq!(parse_wrk_number("1.5s"), Some(1500.0));
        assert_eq!(parse_wrk_number("6123.45"), Some(6123.45));
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.95), 95.0);
        assert_eq!(percentile(&values, 1.0), 100.0);
    }
}
