//! The whole path with everything real: a video of spoken words (espeak-ng, ffmpeg) uploaded
//! through the API, transcribed by Whisper (CTranslate2, the tiny.en model) in a worker,
//! found in the transcript with its times, corrected by hand, re-run, and captioned.
//! Also: a worker process killed mid-job has its job finished by another.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{self, media};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use weft::jobs::transcribe::Pipeline;
use weft::jobs::worker::{self, WorkerConfig};
use weft::transcribe::whisper::WhisperEngine;
use weft::transcribe::Engine;

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
    let app = common::spawn_app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video_with_pauses(
        dir.path(),
        &[
            "The lighthouse keeper painted the door green.",
            "Tomorrow we travel to the mountains by train.",
        ],
    );
    let journal = app
        .upload_journal(&jane.token, &video, &[("title", "Spoken words")])
        .await;
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

    let done = app
        .wait_for_transcript(&jane.token, &id, "done", Duration::from_secs(120))
        .await;
    let transcript = &done["transcript"];
    let text = transcript["text"].as_str().unwrap().to_lowercase();
    for word in ["painted", "door", "green", "mountains", "train"] {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
    assert_eq!(transcript["source"], "engine");
    let model_dir = common::model_dir();
    let model = model_dir.file_name().unwrap().to_string_lossy();
    assert_eq!(
        transcript["model"],
        format!("whisper {model}"),
        "the run keeps its model"
    );
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

    // A person's correction becomes current, and a run asked for later replaces it as the
    // current version (the newest is current, migration 0010); the correction is kept.
    // The first line is sent back as the engine wrote it but for one word: the unchanged
    // words keep their times, the new one takes the place of the old.
    let first = segments
        .iter()
        .find(|s| s["text"].as_str().unwrap().to_lowercase().contains("green"))
        .expect("the line with green")
        .clone();
    let typed = first["text"]
        .as_str()
        .unwrap()
        .replace("green", "blue")
        .replace("Green", "Blue");
    let corrected = app
        .client
        .put(app.url(&format!("/api/v1/journals/{id}/transcript")))
        .bearer_auth(&jane.token)
        .json(&json!({ "segments": [{ "start": first["start"], "end": first["end"], "text": typed,
                                       "words": [{ "word": "forged", "start": 0.0, "end": 0.1 }] }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(corrected.status(), 200);
    let corrected: Value = corrected.json().await.unwrap();
    let old_words = first["words"].as_array().expect("timed words");
    let new_words = corrected["transcript"]["segments"][0]["words"]
        .as_array()
        .expect("the correction keeps word timing")
        .clone();
    assert_eq!(new_words.len(), old_words.len(), "{new_words:?}");
    for (old, new) in old_words.iter().zip(&new_words) {
        if old["word"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("green")
        {
            assert!(new["word"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("blue"));
            assert!(
                new["probability"].is_null(),
                "a typed word has no probability"
            );
            assert!(new["start"].as_f64() >= old["start"].as_f64().map(|t| t - 1e-6));
        } else {
            assert_eq!(old["start"], new["start"], "{old} kept its time");
            assert_eq!(old["end"], new["end"]);
            assert_eq!(old["word"], new["word"]);
        }
    }
    let retry = app
        .client
        .post(app.url(&format!("/api/v1/journals/{id}/transcript/retry")))
        .bearer_auth(&jane.token)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 202);
    let after = app
        .wait_for_transcript(&jane.token, &id, "done", Duration::from_secs(120))
        .await;
    assert_eq!(after["transcript"]["source"], "engine");
    assert!(!after["transcript"]["text"]
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
    let app = common::spawn_app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let sentences: Vec<String> = (0..5)
        .map(|n| format!("This is sentence number {n} of a longer recording about the garden and the weather."))
        .collect();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let video = media::spoken_video_with_pauses(dir.path(), &refs);
    let journal = app
        .upload_journal(&jane.token, &video, &[("title", "Spoken words")])
        .await;
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
    app.wait_for_transcript(&jane.token, &id, "running", Duration::from_secs(60))
        .await;
    first.kill().unwrap();
    first.wait().unwrap();

    let mut second = spawn_worker();
    let done = app
        .wait_for_transcript(&jane.token, &id, "done", Duration::from_secs(180))
        .await;
    assert_eq!(
        done["job"]["attempts"], 2,
        "the killed attempt counts, the second finished it"
    );
    let text = done["transcript"]["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("garden"), "{text}");
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
