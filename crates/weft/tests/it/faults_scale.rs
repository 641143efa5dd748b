//! Scale-out: two `weft serve` and two `weft worker` processes on one database and one
//! S3-compatible store (a private SeaweedFS, scripts/s3-test-server). Uploads go to both
//! servers at once; every upload is processed exactly once: one job per journal, claimed once
//! (one attempt), one engine transcript, one call to the transcription service.
//!
//! The engine is a fake OpenAI-compatible service in this test, so that it runs in every build
//! and counts the transcriptions asked for; Whisper itself is covered by tests/transcription.rs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::media::{self, Container};
use crate::common::processes::{self, FakeTranscriber, S3Server, Weft};
use uuid::Uuid;

const UPLOADS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_and_two_workers_on_one_database_and_store_process_each_upload_exactly_once() {
    let db = common::fresh_db().await;
    let s3 = S3Server::start();
    // Each job takes a while, so that workers polling together would collide if they could.
    let fake = FakeTranscriber::start(Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 2);
    let bytes = std::fs::read(&video).unwrap();
    let prefix = Uuid::new_v4().simple().to_string();
    let client = reqwest::Client::new();

    let shared = |name: &str| {
        let mut env = s3.weft_env(&prefix);
        env.push(("DATABASE_URL", db.url()));
        env.push(("WEFT_DATA_DIR", dir.path().join(name).display().to_string()));
        env.push(("WEFT_TRANSCRIBER", "openai".to_string()));
        env.push(("WEFT_OPENAI_BASE_URL", fake.url.clone()));
        env
    };
    let mut servers: Vec<Weft> = ["serve-a", "serve-b"]
        .iter()
        .map(|name| {
            let mut env = shared(name);
            // Queue only: the two workers below do all the transcribing.
            env.push(("WEFT_WORKERS", "0".to_string()));
            Weft::serve(&env, &dir.path().join(format!("{name}.log")))
        })
        .collect();
    for server in &mut servers {
        server.wait_ready(&client).await;
    }
    let mut workers: Vec<Weft> = ["worker-a", "worker-b"]
        .iter()
        .map(|name| {
            let mut env = shared(name);
            env.push(("WEFT_WORKERS", "2".to_string()));
            Weft::worker(&env, &dir.path().join(format!("{name}.log")))
        })
        .collect();

    let token = processes::register(&client, &servers[0].url(""), "lee").await;
    let bases: Vec<String> = servers.iter().map(|s| s.url("")).collect();
    let uploads: Vec<_> = (0..UPLOADS)
        .map(|n| {
            let (client, base, token, bytes) = (
                client.clone(),
                bases[n % 2].clone(),
                token.clone(),
                bytes.clone(),
            );
            tokio::spawn(async move {
                let response = processes::upload(&client, &base, &token, &bytes, &format!("n{n}"))
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201, "upload {n} to {base}");
                let body: serde_json::Value = response.json().await.unwrap();
                body["id"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for upload in uploads {
        ids.push(upload.await.unwrap());
    }

    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done: i64 =
            sqlx::query_scalar("SELECT count(*) FROM transcription_jobs WHERE state = 'done'")
                .fetch_one(&db.admin)
                .await
                .unwrap();
        if done as usize == UPLOADS {
            break;
        }
        let alive = workers.iter_mut().all(|w| w.is_alive());
        assert!(
            alive && Instant::now() < deadline,
            "{done} of {UPLOADS} jobs done (workers alive: {alive}):\n{}\n{}",
            workers[0].log_tail(),
            workers[1].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let jobs: Vec<(Uuid, String, i32, Option<String>)> =
        sqlx::query_as("SELECT journal_id, state, attempts, worker FROM transcription_jobs")
            .fetch_all(&db.admin)
            .await
            .unwrap();
    assert_eq!(jobs.len(), UPLOADS, "one job per upload");
    for (journal, state, attempts, _) in &jobs {
        assert_eq!(state, "done", "job of {journal}");
        assert_eq!(*attempts, 1, "the job of {journal} was claimed once");
    }
    let transcripts: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT journal_id, count(*) FROM transcripts WHERE source = 'engine' GROUP BY journal_id",
    )
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(
        transcripts.len(),
        UPLOADS,
        "every journal has its transcript"
    );
    assert!(
        transcripts.iter().all(|(_, n)| *n == 1),
        "one engine transcript per journal: {transcripts:?}"
    );
    assert_eq!(fake.calls(), UPLOADS, "one transcription asked per upload");
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, _, worker) in &jobs {
        *by_worker
            .entry(worker.clone().unwrap_or_default())
            .or_default() += 1;
    }
    eprintln!("jobs by worker: {by_worker:?}");

    // Each server plays the videos the other one stored: the store is shared.
    for (n, id) in ids.iter().enumerate() {
        let other = &bases[(n + 1) % 2];
        let response = client
            .get(format!("{other}/api/v1/journals/{id}/video"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "video of {id} from {other}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }

    for process in workers.iter_mut().chain(servers.iter_mut()) {
        assert!(!process.log_text().contains("panicked"));
        let status = process.terminate().expect("stops on SIGTERM");
        assert!(status.success(), "graceful exit, got {status}");
    }
}
