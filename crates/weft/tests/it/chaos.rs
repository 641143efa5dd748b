//! Chaos, for a bounded time: three clients send a mixed load (timeline pages, searches,
//! uploads, edits of their own journals) to a real `weft serve` on its embedded PostgreSQL,
//! with a separate `weft worker` transcribing through a slow OpenAI-compatible engine on
//! loopback, while faults are injected one after another:
//!
//! 1. the worker is killed with SIGKILL in the middle of a job, and started again;
//! 2. the embedded postmaster is killed with SIGKILL (Weft must start it again by itself);
//! 3. `weft serve` is killed with SIGKILL and started again.
//!
//! Then the load stops, the jobs drain, and the end state is checked: every acknowledged
//! upload and edit is there; no row lacks its video and, after the sweep, no video lacks its
//! row; every journal's job finished once, with one engine transcript; no answer was a 500
//! (503 is allowed while the database is down); no connection is left idle in a transaction.
//! The figures (requests by status, faults, recovery times) are printed for
//! docs/BENCHMARKS.md.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::common::media::{self, Container};
use crate::common::processes::{self, FakeTranscriber, Weft};
use serde_json::{json, Value};

/// Clients sending the load.
const CLIENTS: usize = 3;
/// Load before the first fault and between faults.
const SETTLE: Duration = Duration::from_secs(4);

/// What the clients saw and did.
#[derive(Default)]
struct Ledger {
    /// Answers by status (0: no answer, the connection failed).
    statuses: BTreeMap<u16, usize>,
    /// Requests answered 5xx other than 503, with what was asked.
    server_errors: Vec<String>,
    /// Acknowledged uploads: journal id → the client that owns it.
    uploads: HashMap<String, usize>,
    /// Per journal: the last acknowledged title, and titles sent after it without an answer
    /// (they may or may not have been applied).
    titles: HashMap<String, (String, Vec<String>)>,
}

fn env_for(data: &Path, fake: &str) -> Vec<(&'static str, String)> {
    vec![
        ("WEFT_DATA_DIR", data.display().to_string()),
        ("WEFT_STORAGE", data.join("media").display().to_string()),
        ("WEFT_TRANSCRIBER", "openai".to_string()),
        ("WEFT_OPENAI_BASE_URL", fake.to_string()),
        // A dead worker's job is requeued after 3 s without a heartbeat.
        ("WEFT_JOB_STALE_SECONDS", "3".to_string()),
        ("WEFT_REGISTRATIONS_PER_IP", "100".to_string()),
    ]
}

fn serve(data: &Path, fake: &str, log: &Path) -> Weft {
    let mut env = env_for(data, fake);
    // Queue only: the separate worker transcribes, so that it can be killed mid-job.
    env.push(("WEFT_WORKERS", "0".to_string()));
    Weft::serve(&env, log)
}

fn worker(data: &Path, fake: &str, log: &Path) -> Weft {
    let mut env = env_for(data, fake);
    env.push(("WEFT_WORKERS", "1".to_string()));
    Weft::worker(&env, log)
}

/// One client's loop: a timeline page, a search, an upload, an edit of one of its own
/// journals, and again, until `stop`.
async fn client_loop(
    n: usize,
    base: Arc<RwLock<String>>,
    token: String,
    video: Arc<Vec<u8>>,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut round = 0usize;
    let mut mine: Vec<String> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let url = base.read().unwrap().clone();
        let kind = round % 4;
        let (what, result) = match kind {
            0 | 1 => {
                let path = if kind == 0 {
                    "/api/v1/journals?limit=20"
                } else {
                    "/api/v1/search?q=upload"
                };
                let result = client
                    .get(format!("{url}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                (path.to_string(), result)
            }
            2 => {
                let title = format!("upload {n}.{round}");
                let result = processes::upload(&client, &url, &token, &video, &title).await;
                ("POST /api/v1/journals".to_string(), result)
            }
            _ => {
                let Some(id) = mine.get(round / 4 % mine.len().max(1)).cloned() else {
                    round += 1;
                    continue;
                };
                let title = format!("edited {n}.{round}");
                ledger
                    .lock()
                    .unwrap()
                    .titles
                    .get_mut(&id)
                    .unwrap()
                    .1
                    .push(title.clone());
                let result = client
                    .patch(format!("{url}/api/v1/journals/{id}"))
                    .bearer_auth(&token)
                    .json(&json!({ "title": title }))
                    .send()
                    .await;
                if let Ok(response) = &result {
                    if response.status() == 200 {
                        let mut ledger = ledger.lock().unwrap();
                        let entry = ledger.titles.get_mut(&id).unwrap();
                        // Titles sent before this one are overwritten by it.
                        entry.1.clear();
                        entry.0 = title;
                    }
                }
                (format!("PATCH /api/v1/journals/{id}"), result)
            }
        };
        let status = match result {
            Ok(response) => {
                let status = response.status().as_u16();
                if kind == 2 && status == 201 {
                    if let Ok(body) = response.json::<Value>().await {
                        let id = body["id"].as_str().unwrap().to_string();
                        let title = body["title"].as_str().unwrap().to_string();
                        let mut ledger = ledger.lock().unwrap();
                        ledger.uploads.insert(id.clone(), n);
                        ledger.titles.insert(id.clone(), (title, Vec::new()));
                        mine.push(id);
                    }
                }
                status
            }
            Err(_) => 0,
        };
        {
            let mut ledger = ledger.lock().unwrap();
            *ledger.statuses.entry(status).or_default() += 1;
            if status >= 500 && status != 503 {
                ledger.server_errors.push(format!("{what}: {status}"));
            }
        }
        round += 1;
        if status == 0 || status == 503 {
            // The server or its database is down: do not spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Seconds until `url` answers 200.
async fn until_ready(client: &reqwest::Client, url: &str, limit: Duration) -> f64 {
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(url).send().await {
            if response.status() == 200 {
                return started.elapsed().as_secs_f64();
            }
        }
        assert!(started.elapsed() < limit, "{url} not 200 within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every stored video key under the media folder.
fn stored_videos(media: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    let root = media.join("videos");
    let Ok(users) = std::fs::read_dir(&root) else {
        return keys;
    };
    for user in users.flatten() {
        for file in std::fs::read_dir(user.path()).unwrap().flatten() {
            keys.push(format!(
                "videos/{}/{}",
                user.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            ));
        }
    }
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_killing_the_worker_the_database_and_the_server_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("data");
    let media = data.join("media");
    // Each job takes 0.3 s, so that the worker is caught in the middle of one.
    let fake = FakeTranscriber::start(Duration::from_millis(300)).await;
    let video = Arc::new(std::fs::read(media::test_video(dir.path(), Container::Mp4, 2)).unwrap());
    let http = reqwest::Client::new();
    let started = Instant::now();

    let mut server = serve(&data, &fake.url, &dir.path().join("serve-1.log"));
    server.wait_ready(&http).await;
    let mut work = worker(&data, &fake.url, &dir.path().join("worker-1.log"));
    let base = Arc::new(RwLock::new(server.url("")));
    let mut tokens = Vec::new();
    for n in 0..CLIENTS {
        tokens.push(processes::register(&http, &server.url(""), &format!("client{n}")).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let clients: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(n, token)| {
            tokio::spawn(client_loop(
                n,
                base.clone(),
                token.clone(),
                video.clone(),
                stop.clone(),
                ledger.clone(),
            ))
        })
        .collect();
    let mut faults: Vec<String> = Vec::new();
    tokio::time::sleep(SETTLE).await;

    // 1. The worker, in the middle of a job.
    let calls = fake.calls();
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.calls() == calls {
        assert!(Instant::now() < deadline, "the worker took no job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    work.kill();
    faults.push(format!(
        "worker killed mid-job at {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    work = worker(&data, &fake.url, &dir.path().join("worker-2.log"));
    tokio::time::sleep(SETTLE).await;

    // 2. The embedded postmaster. Weft starts it again by itself.
    let old = processes::postmaster_pid(&data);
    processes::kill9(old);
    let killed = Instant::now();
    faults.push(format!(
        "postmaster (pid {old}) killed at {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready_url = server.url("/ready");
    until_ready(&http, &ready_url, Duration::from_secs(60)).await;
    let database_back = killed.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;

    // 3. The server.
    server.kill();
    let killed = Instant::now();
    faults.push(format!(
        "weft serve killed at {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    server = serve(&data, &fake.url, &dir.path().join("serve-2.log"));
    *base.write().unwrap() = server.url("");
    until_ready(&http, &server.url("/ready"), Duration::from_secs(120)).await;
    let server_back = killed.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;

    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let load_seconds = started.elapsed().as_secs_f64();

    // The jobs drain.
    let admin = sqlx::PgPool::connect(&weft::db::embedded::Layout::new(&data).superuser_url())
        .await
        .unwrap();
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM transcription_jobs WHERE state IN ('queued', 'running')",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline && work.is_alive(),
            "{open} jobs still open:\n{}",
            work.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every acknowledged upload and edit is there.
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id::text, title, video_path FROM journals")
            .fetch_all(&admin)
            .await
            .unwrap();
    let by_id: HashMap<&str, (&str, &str)> = rows
        .iter()
        .map(|(id, title, path)| (id.as_str(), (title.as_str(), path.as_str())))
        .collect();
    for (id, (acknowledged, in_flight)) in &ledger.titles {
        let (title, _) = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged upload {id} is missing"));
        assert!(
            title == acknowledged || in_flight.iter().any(|t| t == title),
            "journal {id}: title {title:?}, acknowledged {acknowledged:?}"
        );
    }
    // No row without its video; after the sweep, no video without its row.
    let storage = weft::storage::Storage::local(&media).unwrap();
    weft::sweep::orphan_objects(&admin, &storage, Duration::ZERO)
        .await
        .unwrap();
    let mut keys: Vec<String> = rows.iter().map(|(_, _, path)| path.clone()).collect();
    keys.sort();
    assert_eq!(stored_videos(&media), keys, "rows and stored videos match");
    // Every job finished once: done, one engine transcript per journal.
    let jobs: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT journal_id::text, state, attempts FROM transcription_jobs")
            .fetch_all(&admin)
            .await
            .unwrap();
    assert_eq!(jobs.len(), rows.len(), "one job per journal");
    assert!(jobs.iter().all(|(_, state, _)| state == "done"), "{jobs:?}");
    let retried = jobs.iter().filter(|(_, _, attempts)| *attempts > 1).count();
    let transcripts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT journal_id::text, count(*) FROM transcripts WHERE source = 'engine' \
         GROUP BY journal_id",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(
        transcripts.len(),
        rows.len(),
        "every journal has its transcript"
    );
    assert!(
        transcripts.iter().all(|(_, n)| *n == 1),
        "one engine transcript per journal: {transcripts:?}"
    );
    // No 500, and nothing left inside a transaction.
    assert!(
        ledger.server_errors.is_empty(),
        "server errors: {:?}",
        ledger.server_errors
    );
    // A connection caught between two statements of a transaction still running (the
    // worker finishing a job) is not one left inside it: only one that stays for 5 s is.
    let mut stuck: i64 = 0;
    for _ in 0..20 {
        stuck = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        if stuck == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(stuck, 0, "connections idle in a transaction");
    let requests: usize = ledger.statuses.values().sum();
    assert!(ledger.uploads.len() >= CLIENTS, "the load made uploads");

    eprintln!("chaos figures:");
    eprintln!("  load: {CLIENTS} clients for {load_seconds:.1} s, {requests} requests");
    eprintln!("  answers by status (0: no answer): {:?}", ledger.statuses);
    eprintln!("  faults: {}", faults.join("; "));
    eprintln!("  the database answered again {database_back:.2} s after its kill");
    eprintln!("  the restarted server was ready {server_back:.2} s after the kill");
    eprintln!(
        "  journals acknowledged {}, in the database {}, jobs {} (retried after the worker's death: {retried}), engine calls {}",
        ledger.uploads.len(),
        rows.len(),
        jobs.len(),
        fake.calls()
    );
    admin.close().await;
    work.terminate();
    server.terminate();
}
