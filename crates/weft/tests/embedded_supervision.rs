//! The embedded PostgreSQL is Weft's own: a `weft serve` whose server is killed answers 503 at
//! once (never after the pool's 10 s wait), says so on `/ready`, and starts the server again
//! by itself; and a server killed after the `weft` that started it, left a zombie where
//! nothing reaps orphans (as in many containers), does not stop the next `weft serve` from
//! starting. Real `weft serve` processes, real PostgreSQL.

#![allow(clippy::unwrap_used)]

// A binary of its own, not a module of tests/it: the zombie test makes this process a child
// subreaper and reaps every child it has, which under `cargo test` (one process, a thread per
// test) would adopt and reap the children of every other test in the binary.
#[path = "it/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::processes::{self, Weft};

fn serve(data: &Path, log: &Path) -> Weft {
    Weft::serve(
        &[
            ("WEFT_DATA_DIR", data.display().to_string()),
            ("WEFT_TRANSCRIBER", "none".to_string()),
        ],
        log,
    )
}

/// The state letter of /proc/PID/stat (R, S, Z, ...), if the process exists.
fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_embedded_postgres_is_answered_with_503_at_once_and_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut server = serve(&data, &dir.path().join("serve.log"));
    server.wait_ready(&client).await;
    let token = processes::register(&client, &server.url(""), "robin").await;
    let old = processes::postmaster_pid(&data);

    // Holding the cluster's start lock keeps Weft from starting the server again for a few
    // seconds: long enough to see how it answers while the database is down.
    let start_lock = std::fs::File::open(data.join("postgres.lock")).unwrap();
    start_lock.lock().unwrap();
    processes::kill9(old);
    let killed = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut unavailable = 0;
    let mut ready_said_no = false;
    while killed.elapsed() < Duration::from_secs(4) {
        let asked = Instant::now();
        let response = client
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        slowest = slowest.max(asked.elapsed());
        match response.status().as_u16() {
            503 => {
                unavailable += 1;
                assert!(response.headers().contains_key("retry-after"));
            }
            // A backend of the killed server may answer for a moment before it notices.
            200 => assert!(killed.elapsed() < Duration::from_secs(1), "200 while down"),
            other => panic!(
                "{other} while the database was down:\n{}",
                server.log_tail()
            ),
        }
        let ready = client.get(server.url("/ready")).send().await.unwrap();
        if ready.status() == 503 {
            let body: serde_json::Value = ready.json().await.unwrap();
            ready_said_no |= body["error"]["code"] == "database_restarting";
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(start_lock);
    let released = Instant::now();
    let back = loop {
        let response = client
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            break released.elapsed();
        }
        assert!(
            released.elapsed() < Duration::from_secs(60),
            "the database did not come back:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    eprintln!(
        "{unavailable} answers 503 while down, the slowest in {slowest:?}; back {back:?} after the start lock was released"
    );
    // "At once": nowhere near the pool's 10 s wait for a connection.
    assert!(
        slowest < Duration::from_secs(3),
        "a request took {slowest:?}"
    );
    assert!(
        unavailable > 10,
        "requests saw the database down: {unavailable}"
    );
    assert!(ready_said_no, "/ready said the database is restarting");
    assert_ne!(processes::postmaster_pid(&data), old, "a new server runs");
    let log = server.log_text();
    assert!(log.contains("starting it again"), "{log}");
    assert!(log.contains("running again"), "{log}");
    // The data survived: the session still signs robin in.
    let me = client
        .get(server.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let ready = client.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zombie_postmaster_left_by_two_kills_does_not_stop_the_next_start() {
    // This process adopts the orphans of its children and never reaps them: like an init
    // that does not reap, it keeps the killed postmaster a zombie whose PID stays "alive".
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let mut first = serve(&data, &dir.path().join("serve-1.log"));
    first.wait_ready(&client).await;
    let token = processes::register(&client, &first.url(""), "sasha").await;
    let postmaster = processes::postmaster_pid(&data);

    first.kill();
    processes::kill9(postmaster);
    let deadline = Instant::now() + Duration::from_secs(10);
    while state(postmaster) != Some('Z') {
        assert!(
            Instant::now() < deadline,
            "the postmaster did not become a zombie: {:?}",
            state(postmaster)
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut second = serve(&data, &dir.path().join("serve-2.log"));
    second.wait_ready(&client).await;
    let me = client
        .get(second.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the data of the first run is there");
    assert!(second.log_text().contains("stale"), "{}", second.log_text());
    second.terminate();
    // Reap what this process adopted (the zombie and its backends).
    while let Ok(Some(_)) = rustix::process::waitpid(None, rustix::process::WaitOptions::NOHANG) {}
}
