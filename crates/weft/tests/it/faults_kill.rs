//! Fault: `weft serve` is killed with SIGKILL in the middle of concurrent uploads, then started
//! again over the same database and media folder. Afterwards no journal row lacks its video,
//! no stored video lacks its row, and every upload that was answered 201 has its row, its video
//! and its transcription job, which the restarted server runs to the end (with the whisper
//! feature; without it, the jobs are there and queued).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::media::{self, Container};
use crate::common::processes::{self, Weft};
use sqlx::PgPool;
use uuid::Uuid;
use weft::storage::Storage;

/// How many uploads run at once, and how many must be accepted before the kill.
const UPLOADERS: usize = 6;
const ACCEPTED_BEFORE_KILL: usize = 4;

/// The environment of both runs of the server.
fn serve_env(db_url: &str, data: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db_url.to_string()),
        ("WEFT_DATA_DIR", data.display().to_string()),
        ("WEFT_STORAGE", data.join("media").display().to_string()),
        // Jobs are queued with their journals whatever the build; who runs them differs.
        ("WEFT_TRANSCRIBER", "whisper".to_string()),
    ]
}

/// Uploads back to back until `stop`, collecting the ids answered 201.
fn uploader(
    base: String,
    token: String,
    video: Arc<Vec<u8>>,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<Uuid>>>,
    n: usize,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut round = 0;
        while !stop.load(Ordering::SeqCst) {
            let title = format!("upload {n}.{round}");
            match processes::upload(&client, &base, &token, &video, &title).await {
                Ok(response) if response.status() == 201 => {
                    // A 201 whose body is lost to the kill was still accepted: only count
                    // the ones whose id the client saw.
                    if let Ok(body) = response.json::<serde_json::Value>().await {
                        let id = body["id"].as_str().unwrap().parse().unwrap();
                        accepted.lock().unwrap().push(id);
                    }
                }
                Ok(response) => {
                    assert!(
                        stop.load(Ordering::SeqCst),
                        "an upload was refused before the kill: {}",
                        response.status()
                    );
                }
                // The connection dies with the server.
                Err(_) => {}
            }
            round += 1;
        }
    })
}

/// Every journal row: its id and its video's key.
async fn rows(admin: &PgPool) -> Vec<(Uuid, String)> {
    sqlx::query_as("SELECT id, video_path FROM journals")
        .fetch_all(admin)
        .await
        .unwrap()
}

/// Stored keys under `prefix` whose journal id (the file stem) has no row.
async fn without_rows(storage: &Storage, prefix: &str, ids: &BTreeSet<Uuid>) -> Vec<String> {
    storage
        .list(prefix)
        .await
        .unwrap()
        .into_iter()
        .filter(|key| {
            let stem = Path::new(key).file_stem().unwrap().to_string_lossy();
            stem.parse::<Uuid>().map_or(true, |id| !ids.contains(&id))
        })
        .collect()
}

#[cfg(feature = "whisper")]
fn second_run_env() -> Vec<(&'static str, String)> {
    let tools = std::env::var_os("WEFT_TOOLS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/weft/tools")
        });
    vec![
        ("WEFT_WORKERS", "1".to_string()),
        ("WEFT_LANGUAGE", "en".to_string()),
        ("WEFT_WHISPER_BEAM_SIZE", "1".to_string()),
        (
            "WEFT_WHISPER_MODEL",
            std::env::var("WEFT_WHISPER_MODEL")
                .unwrap_or_else(|_| tools.join("models/tiny.en").display().to_string()),
        ),
    ]
}

#[cfg(not(feature = "whisper"))]
fn second_run_env() -> Vec<(&'static str, String)> {
    // No engine in this build: the server queues jobs for workers elsewhere.
    vec![("WEFT_WORKERS", "0".to_string())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_leaves_rows_and_videos_in_step_and_transcribes_every_accepted_upload(
) {
    let db = common::fresh_db().await;
    let data = tempfile::tempdir().unwrap();
    let video = Arc::new(std::fs::read(media::test_video(data.path(), Container::Mp4, 2)).unwrap());
    let client = reqwest::Client::new();

    // The first run only queues jobs (no workers), so the machine's cores go to uploads.
    let mut env = serve_env(&db.url(), data.path());
    env.push(("WEFT_WORKERS", "0".to_string()));
    let mut first = Weft::serve(&env, &data.path().join("first.log"));
    first.wait_ready(&client).await;
    let base = first.url("");
    let token = processes::register(&client, &base, "kim").await;

    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let uploaders: Vec<_> = (0..UPLOADERS)
        .map(|n| {
            uploader(
                base.clone(),
                token.clone(),
                video.clone(),
                stop.clone(),
                accepted.clone(),
                n,
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(180);
    while accepted.lock().unwrap().len() < ACCEPTED_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "uploads were not accepted:\n{}",
            first.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Uploads are in flight in every state (receiving, probing, storing, committing).
    first.kill();
    stop.store(true, Ordering::SeqCst);
    for task in uploaders {
        task.await.unwrap();
    }
    let accepted: BTreeSet<Uuid> = accepted.lock().unwrap().iter().copied().collect();

    let mut env = serve_env(&db.url(), data.path());
    env.extend(second_run_env());
    // The restarted server is alone, with no upload in flight: files left by the killed one
    // are orphans at once, so its start-up sweep need not wait the usual grace period.
    env.push(("WEFT_ORPHAN_GRACE_SECONDS", "0".to_string()));
    let mut second = Weft::serve(&env, &data.path().join("second.log"));
    second.wait_ready(&client).await;

    let storage = Storage::local(&data.path().join("media")).unwrap();
    let rows = rows(&db.admin).await;
    let ids: BTreeSet<Uuid> = rows.iter().map(|(id, _)| *id).collect();
    eprintln!(
        "{} uploads answered 201 before the kill, {} journal rows after it",
        accepted.len(),
        rows.len()
    );
    let missing: Vec<&Uuid> = accepted.difference(&ids).collect();
    assert!(
        missing.is_empty(),
        "accepted uploads without a row: {missing:?}"
    );
    for (id, key) in &rows {
        assert!(
            storage.head(key).await.is_ok(),
            "journal {id} has no video at {key}"
        );
    }
    // An upload killed between storing its files and committing its row leaves files that no
    // row names; the restarted server must sweep them (given a moment, should it do so in the
    // background).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut stray = without_rows(&storage, "videos", &ids).await;
        stray.extend(without_rows(&storage, "thumbnails", &ids).await);
        if stray.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stored files without a journal row after the restart: {stray:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let jobs: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT journal_id, state FROM transcription_jobs")
            .fetch_all(&db.admin)
            .await
            .unwrap();
    let with_jobs: BTreeSet<Uuid> = jobs.iter().map(|(id, _)| *id).collect();
    assert_eq!(with_jobs, ids, "every journal has its transcription job");
    assert_eq!(jobs.len(), ids.len(), "one job per journal");

    #[cfg(feature = "whisper")]
    {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let done: i64 = sqlx::query_scalar(
                "SELECT count(DISTINCT journal_id) FROM transcripts WHERE source = 'engine'",
            )
            .fetch_one(&db.admin)
            .await
            .unwrap();
            if done as usize == ids.len() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{done} of {} journals transcribed:\n{}",
                ids.len(),
                second.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let states: Vec<String> = sqlx::query_scalar("SELECT state FROM transcription_jobs")
            .fetch_all(&db.admin)
            .await
            .unwrap();
        assert!(states.iter().all(|s| s == "done"), "jobs: {states:?}");
    }
    #[cfg(not(feature = "whisper"))]
    assert!(
        jobs.iter().all(|(_, state)| state == "queued"),
        "every job waits for a worker: {jobs:?}"
    );

    assert!(!second.log_text().contains("panicked"));
    let status = second.terminate().expect("weft serve stops on SIGTERM");
    assert!(status.success(), "graceful exit, got {status}");
}
