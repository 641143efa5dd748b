//! The whole path with everything real: a video of spoken words (espeak-ng, ffmpeg) uploaded
//! through the API, transcribed by Whisper (CTranslate2, the tiny.en model) in a worker,
//! found in the transcript with its times, corrected by hand, re-run, and captioned.
//! Also: a worker process killed mid-job has its job finished by another.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, Account, TestApp};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use weft::jobs::transcribe::Pipeline;
use weft::jobs::worker::{self, WorkerConfig};
use weft::transcribe::whisper::WhisperEngine;
use weft::transcribe::Engine;

/// A video whose sound track speaks `sentences`, with a pause after each.
fn spoken_video(dir: &Path, sentences: &[&str]) -> PathBuf {
    let mut parts = Vec::new();
    for (n, sentence) in sentences.iter().enumerate() {
        let wav = dir.join(format!("s{n}.wav"));
        let status = Command::new("espeak-ng")
            .args(["-s", "150", "-w"])
            .arg(&wav)
            .arg(sentence)
            .status()
            .unwrap();
        assert!(status.success(), "espeak-ng spoke");
        parts.push(wav);
    }
    let list = dir.join("list.txt");
    let mut concat = String::new();
    let silence = dir.join("pause.wav");
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=22050:cl=mono",
            "-t",
            "1.5",
        ])
        .arg(&silence)
        .status()
        .unwrap();
    assert!(status.success());
    for part in &parts {
        concat.push_str(&format!(
            "file '{}'\nfile '{}'\n",
            part.display(),
            silence.display()
        ));
    }
    std::fs::write(&list, concat).unwrap();
    let speech = dir.join("speech.wav");
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
        ])
        .arg(&list)
        .arg(&speech)
        .status()
        .unwrap();
    assert!(status.success());
    let video = dir.join("spoken.mp4");
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10",
            "-i",
        ])
        .arg(&speech)
        .args([
            "-shortest",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ])
        .arg(&video)
        .status()
        .unwrap();
    assert!(status.success());
    video
}

async fn upload(app: &TestApp, account: &Account, video: &Path) -> Value {
    let form = Form::new()
        .part(
            "video",
            Part::bytes(std::fs::read(video).unwrap()).file_name("spoken.mp4"),
        )
        .text("title", "Spoken words");
    let response = app
        .client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(&account.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn wait_for_status(
    app: &TestApp,
    account: &Account,
    id: &str,
    want: &str,
    limit: Duration,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let body: Value = app
            .get_as(&account.token, &format!("/api/v1/journals/{id}/transcript"))
            .await
            .json()
            .await
            .unwrap();
        if body["status"] == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "status stayed {} (wanted {want}): {body}",
            body["status"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn app_with_transcription() -> TestApp {
    let db = common::fresh_db().await;
    common::spawn_app_with(db, |context| weft::server::ApiContext {
        transcription: Some(3),
        ..context
    })
    .await
}

fn whisper() -> Engine {
    Engine::Whisper(WhisperEngine::load(&common::model_dir(), weft_whisper_options()).unwrap())
}

fn weft_whisper_options() -> weft_whisper::Options {
    weft_whisper::Options {
        language: Some("en".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_uploaded_video_is_transcribed_with_timestamps_corrected_and_captioned() {
    let app = app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = spoken_video(
        dir.path(),
        &[
            "The lighthouse keeper painted the door green.",
            "Tomorrow we travel to the mountains by train.",
        ],
    );
    let journal = upload(&app, &jane, &video).await;
    assert_eq!(
        journal["transcriptStatus"], "queued",
        "the job is written with the journal"
    );
    let id = journal["id"].as_str().unwrap().to_string();
    let duration = journal["duration"].as_f64().unwrap();

    let shutdown = CancellationToken::new();
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine: whisper(),
    };
    let workers = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig::default(),
        shutdown.clone(),
    ));

    let done = wait_for_status(&app, &jane, &id, "done", Duration::from_secs(120)).await;
    let transcript = &done["transcript"];
    let text = transcript["text"].as_str().unwrap().to_lowercase();
    for word in ["painted", "door", "green", "mountains", "train"] {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
    assert_eq!(transcript["source"], "engine");
    let segments = transcript["segments"].as_array().unwrap();
    assert!(!segments.is_empty());
    let mut last_start = 0.0;
    for segment in segments {
        let (start, end) = (
            segment["start"].as_f64().unwrap(),
            segment["end"].as_f64().unwrap(),
        );
        assert!(
            start >= last_start && start <= end && end <= duration + 1.0,
            "{segment}"
        );
        let confidence = segment["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        last_start = start;
    }
    let status: Value = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["transcriptStatus"], "done");

    let vtt = app
        .get_as(
            &jane.token,
            &format!("/api/v1/journals/{id}/transcript.vtt"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        vtt.starts_with("WEBVTT") && vtt.to_lowercase().contains("mountains"),
        "{vtt}"
    );
    let srt = app
        .get_as(
            &jane.token,
            &format!("/api/v1/journals/{id}/transcript.srt"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(srt.starts_with("1\n00:00:"), "{srt}");

    // A person's correction becomes current, and a later automatic run does not replace it.
    let corrected = app
        .client
        .put(app.url(&format!("/api/v1/journals/{id}/transcript")))
        .bearer_auth(&jane.token)
        .json(&json!({ "segments": [{ "start": 0.0, "end": 2.0, "text": "The lighthouse keeper painted the door blue." }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(corrected.status(), 200);
    let retry = app
        .client
        .post(app.url(&format!("/api/v1/journals/{id}/transcript/retry")))
        .bearer_auth(&jane.token)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 202);
    let after = wait_for_status(&app, &jane, &id, "done", Duration::from_secs(120)).await;
    assert_eq!(after["transcript"]["source"], "person");
    assert!(after["transcript"]["text"]
        .as_str()
        .unwrap()
        .contains("blue"));
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM transcripts")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(versions, 3, "two engine runs and one correction, all kept");

    shutdown.cancel();
    workers.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_worker_process_killed_mid_job_has_its_job_finished_by_another() {
    let app = app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let sentences: Vec<String> = (0..5)
        .map(|n| format!("This is sentence number {n} of a longer recording about the garden and the weather."))
        .collect();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let video = spoken_video(dir.path(), &refs);
    let journal = upload(&app, &jane, &video).await;
    let id = journal["id"].as_str().unwrap().to_string();

    let media_root = app.scratch.parent().unwrap().join("media");
    let spawn_worker = || {
        Command::new(common::weft_bin())
            .arg("worker")
            .env("DATABASE_URL", app.db.url())
            .env("WEFT_STORAGE", &media_root)
            .env("WEFT_DATA_DIR", app.scratch.parent().unwrap())
            .env("WEFT_TRANSCRIBER", "whisper")
            .env("WEFT_WHISPER_MODEL", common::model_dir())
            .env("WEFT_LANGUAGE", "en")
            .env("WEFT_JOB_STALE_SECONDS", "3")
            .env("WEFT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn_worker();
    wait_for_status(&app, &jane, &id, "running", Duration::from_secs(60)).await;
    first.kill().unwrap();
    first.wait().unwrap();

    let mut second = spawn_worker();
    let done = wait_for_status(&app, &jane, &id, "done", Duration::from_secs(180)).await;
    assert_eq!(
        done["job"]["attempts"], 2,
        "the killed attempt counts, the second finished it"
    );
    assert!(done["transcript"]["text"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("garden"));
    let engine_versions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transcripts WHERE source = 'engine'")
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    assert_eq!(engine_versions, 1, "one transcript, not one per attempt");
    let _ = Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status();
    second.wait().unwrap();
    app.stop().await;
}
