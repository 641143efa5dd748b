//! Fault: PostgreSQL stops under load. A real `weft serve` process over a private cluster of its
//! own (the shared test cluster must stay up for the other tests), hammered by concurrent
//! clients while the cluster is stopped and started again.
//!
//! What counts as right: the HTTP server does not depend on the database to accept and answer
//! connections, so every request gets an HTTP answer, never a connection error. A request that
//! starts and ends while the database is down answers 503 with the JSON error shape (and
//! `Retry-After` on API routes); a request that overlaps a stop or a start answers either as
//! usual or 503. Nothing else (no 500, no 401 for a valid session), no panic, the process stays
//! up, and it serves again by itself once PostgreSQL is back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::processes::{self, Weft};
use weft::db::embedded::{self, Cluster};

/// Where the database is, as the clients see it.
const UP: u8 = 0;
const STOPPING: u8 = 1;
const DOWN: u8 = 2;
const STARTING: u8 = 3;
const BACK: u8 = 4;

/// One answer: the phases at its start and end, the route, and the status (0: no answer).
#[derive(Debug, Clone)]
struct Outcome {
    started: u8,
    ended: u8,
    route: &'static str,
    status: u16,
    detail: String,
}

async fn start_cluster(dir: &std::path::Path) -> Cluster {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || Cluster::start(&dir))
        .await
        .unwrap()
        .unwrap()
}

/// One request of the mix, by number: reads, a log-in (bcrypt and writes), readiness.
async fn one_request(
    client: &reqwest::Client,
    server: &str,
    token: &str,
    n: usize,
) -> (&'static str, Result<reqwest::Response, reqwest::Error>) {
    match n % 4 {
        0 => (
            "GET /api/v1/journals",
            client
                .get(format!("{server}/api/v1/journals"))
                .bearer_auth(token)
                .send()
                .await,
        ),
        1 => (
            "GET /api/v1/me",
            client
                .get(format!("{server}/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await,
        ),
        2 => (
            "POST /api/v1/auth/login",
            client
                .post(format!("{server}/api/v1/auth/login"))
                .json(&serde_json::json!({"login": "ada", "password": "password-of-ada"}))
                .send()
                .await,
        ),
        _ => (
            "GET /ready",
            client.get(format!("{server}/ready")).send().await,
        ),
    }
}

/// A client that sends requests back to back until `stop`, recording every outcome.
fn load(
    server: String,
    token: String,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    offset: usize,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut n = offset;
        while !stop.load(Ordering::SeqCst) {
            let started = phase.load(Ordering::SeqCst);
            let (route, result) = one_request(&client, &server, &token, n).await;
            let (status, detail) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response.headers().contains_key("retry-after");
                    let body = response.text().await.unwrap_or_default();
                    (status, format!("retry-after: {retry_after}; {body}"))
                }
                Err(error) => (0, error.to_string()),
            };
            let ended = phase.load(Ordering::SeqCst);
            outcomes.lock().unwrap().push(Outcome {
                started,
                ended,
                route,
                status,
                detail,
            });
            n += 1;
        }
    })
}

/// Whether a 503 has the JSON error shape: `database_unavailable` from /ready, `unavailable`
/// with a Retry-After from the API.
fn proper_503(outcome: &Outcome) -> bool {
    let (headers, body) = outcome.detail.split_once("; ").unwrap_or_default();
    let Ok(body) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    if outcome.route == "GET /ready" {
        body["error"]["code"] == "database_unavailable"
    } else {
        body["error"]["code"] == "unavailable" && headers == "retry-after: true"
    }
}

async fn wait_until_ok(client: &reqwest::Client, url: &str, token: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let status = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        if status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not recover within {limit:?} of PostgreSQL's return (last status {status})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_gives_503_then_service_recovers_by_itself() {
    // Under /tmp so that the `postgres` user can reach it when the tests run as root.
    let dir = tempfile::Builder::new()
        .prefix("weft-fault-pg-")
        .tempdir_in("/tmp")
        .unwrap();
    let cluster = start_cluster(dir.path()).await;
    let log = dir.path().join("serve.log");
    let mut server = Weft::serve(
        &[
            ("DATABASE_URL", cluster.layout().url()),
            (
                "WEFT_DATA_DIR",
                dir.path().join("weft").display().to_string(),
            ),
            ("WEFT_TRANSCRIBER", "none".to_string()),
            // A lost database is noticed within a couple of seconds, not the default ten.
            ("WEFT_POOL_CONNECT_TIMEOUT", "2".to_string()),
        ],
        &log,
    );
    let client = reqwest::Client::new();
    server.wait_ready(&client).await;
    let base = server.url("");
    let token = processes::register(&client, &base, "ada").await;

    let phase = Arc::new(AtomicU8::new(UP));
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..12)
        .map(|i| {
            load(
                base.clone(),
                token.clone(),
                phase.clone(),
                stop.clone(),
                outcomes.clone(),
                i,
            )
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(2)).await;
    phase.store(STOPPING, Ordering::SeqCst);
    let data_dir = dir.path().to_path_buf();
    let stopped = tokio::task::spawn_blocking(move || embedded::stop(&data_dir, true))
        .await
        .unwrap()
        .unwrap();
    assert!(
        stopped,
        "the private cluster was running and is now stopped"
    );
    phase.store(DOWN, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(6)).await;

    phase.store(STARTING, Ordering::SeqCst);
    drop(cluster);
    let cluster = start_cluster(dir.path()).await;
    phase.store(BACK, Ordering::SeqCst);
    let back_at = Instant::now();
    wait_until_ok(
        &client,
        &server.url("/ready"),
        &token,
        Duration::from_secs(30),
    )
    .await;
    wait_until_ok(
        &client,
        &server.url("/api/v1/journals"),
        &token,
        Duration::from_secs(30),
    )
    .await;
    let recovery = back_at.elapsed();
    // Some more load after the recovery, which must all succeed.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }

    let outcomes = outcomes.lock().unwrap().clone();
    let mut tally: BTreeMap<(u8, u8, u16), usize> = BTreeMap::new();
    for outcome in &outcomes {
        *tally
            .entry((outcome.started, outcome.ended, outcome.status))
            .or_default() += 1;
    }
    eprintln!("(phase at start, phase at end, status) -> requests: {tally:?}");
    eprintln!("service answered again {recovery:?} after PostgreSQL was back");

    let wrong: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| match (o.started, o.ended) {
            (UP, UP) => o.status != 200,
            (DOWN, DOWN) => o.status != 503 || !proper_503(o),
            _ => !(o.status == 200 || (o.status == 503 && proper_503(o))),
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} unexpected answers, the first ones: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    let down = outcomes
        .iter()
        .filter(|o| o.started == DOWN && o.ended == DOWN)
        .count();
    assert!(down > 0, "requests were made while the database was down");
    let after = outcomes
        .iter()
        .filter(|o| o.started == BACK && o.status == 200)
        .count();
    assert!(after > 0, "requests succeed again after the recovery");

    assert!(
        server.is_alive(),
        "the server survived:\n{}",
        server.log_tail()
    );
    let text = server.log_text();
    assert!(!text.contains("panicked"), "no panic in the log:\n{text}");
    let status = server.terminate().expect("weft serve stops on SIGTERM");
    assert!(status.success(), "graceful exit, got {status}");

    drop(cluster);
    let data_dir = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || embedded::stop(&data_dir, true))
        .await
        .unwrap()
        .unwrap();
}
