//! The `openai` engine against a real OpenAI-compatible `POST /v1/audio/transcriptions`
//! server: faster-whisper-server (FastAPI over Python faster-whisper, installed by
//! scripts/install-deps) started on loopback with the tiny.en model, fed espeak-ng speech.
//! Also the whole path: an upload transcribed by a `weft worker` process configured with
//! `WEFT_TRANSCRIBER=openai`, and how the engine's failures are classified.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::processes::{self, KillOnDrop};
use crate::common::{self, media};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use weft::jobs::transcribe::Pipeline;
use weft::jobs::worker::{self, WorkerConfig};
use weft::transcribe::openai::OpenAiEngine;
use weft::transcribe::{audio, Engine};

/// faster-whisper-server on a loopback port, stopped when dropped.
struct WhisperServer {
    base_url: String,
    _process: KillOnDrop,
    _dir: tempfile::TempDir,
}

impl WhisperServer {
    async fn start() -> WhisperServer {
        let program = common::tools_dir().join("whisper-server/bin/faster-whisper-server");
        assert!(
            program.is_file(),
            "no {}: run scripts/install-deps (it installs faster-whisper-server from PyPI)",
            program.display()
        );
        let dir = tempfile::tempdir().unwrap();
        // The config names the model `whisper-1`, the name the server looks requests up by;
        // int8 on two threads, as Weft's own engine runs by default.
        let config = dir.path().join("models.yaml");
        std::fs::write(
            &config,
            format!(
                "models:\n  - name: whisper-1\n    path: {}\n    model_options:\n      \
                 device: cpu\n      compute_type: int8\n      cpu_threads: 2\n",
                common::model_dir().display()
            ),
        )
        .unwrap();
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let port = processes::free_port();
        let process = KillOnDrop(
            Command::new(&program)
                .arg("--config")
                .arg(&config)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                // Never reach for a model hub: the model is the local directory.
                .env("HF_HUB_OFFLINE", "1")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .unwrap(),
        );
        let server = WhisperServer {
            base_url: format!("http://127.0.0.1:{port}"),
            _process: process,
            _dir: dir,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health = client
                .get(format!("{}/health", server.base_url))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "faster-whisper-server did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn engine(&self) -> Engine {
        engine_at(&self.base_url)
    }
}

fn engine_at(base_url: &str) -> Engine {
    Engine::OpenAi(OpenAiEngine::new(
        base_url,
        Some("sk-test".into()),
        "whisper-1",
        Some("en".into()),
    ))
}

/// Weft's own audio extraction (16 kHz mono WAV) and the file's duration.
async fn extracted(dir: &Path, input: &Path) -> (PathBuf, f64) {
    let wav = dir.join("audio16k.wav");
    audio::extract(input, &wav, Duration::from_secs(60))
        .await
        .unwrap();
    let samples = audio::read_wav_f32(&std::fs::read(&wav).unwrap()).unwrap();
    (wav, samples.len() as f64 / 16_000.0)
}

fn assert_segments_in_order_within(segments: &[Value], duration: f64) {
    assert!(!segments.is_empty(), "no segments");
    let mut last_start = 0.0;
    for segment in segments {
        let start = segment["start"].as_f64().unwrap();
        let end = segment["end"].as_f64().unwrap();
        assert!(
            start >= last_start && start <= end && end <= duration + 0.01,
            "{segment} out of order or past {duration} s"
        );
        last_start = start;
    }
}

const SENTENCES: [&str; 2] = [
    "The lighthouse keeper painted the door green.",
    "Tomorrow we travel to the mountains by train.",
];
const KEY_WORDS: [&str; 4] = ["lighthouse", "painted", "mountains", "train"];

#[tokio::test]
async fn the_openai_engine_transcribes_speech_through_a_real_compatible_server() {
    let server = WhisperServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (wav, duration) = extracted(dir.path(), &media::spoken_wav(dir.path(), &SENTENCES)).await;

    let output = server.engine().transcribe(&wav, duration).await.unwrap();

    let text = output.text().to_lowercase();
    for word in KEY_WORDS {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
    assert_eq!(output.language.as_deref(), Some("en"));
    let segments = serde_json::to_value(&output.segments).unwrap();
    assert_segments_in_order_within(segments.as_array().unwrap(), duration);
    for segment in &output.segments {
        let confidence = segment.confidence.unwrap();
        assert!((0.0..=1.0).contains(&confidence), "{segment:?}");
    }
}

#[tokio::test]
async fn a_server_that_is_down_gives_a_retryable_error() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, duration) =
        extracted(dir.path(), &media::spoken_wav(dir.path(), &SENTENCES[..1])).await;
    let nobody = format!("http://127.0.0.1:{}", processes::free_port());

    let error = engine_at(&nobody)
        .transcribe(&wav, duration)
        .await
        .unwrap_err();

    assert!(error.retryable, "{error}");
    assert!(error.message.contains("did not answer"), "{error}");
}

#[tokio::test]
async fn a_request_the_server_refuses_gives_a_permanent_error() {
    let server = WhisperServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (wav, duration) =
        extracted(dir.path(), &media::spoken_wav(dir.path(), &SENTENCES[..1])).await;
    // A wrong base URL: the real server answers 404, which no retry can change.
    let wrong = format!("{}/not-here", server.base_url);

    let error = engine_at(&wrong)
        .transcribe(&wav, duration)
        .await
        .unwrap_err();

    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("404"), "{error}");
}

#[tokio::test]
async fn an_upload_is_transcribed_by_a_worker_configured_for_the_openai_engine() {
    let server = WhisperServer::start().await;
    let app = common::spawn_app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);
    let journal = app
        .upload_journal(&jane.token, &video, &[("title", "Spoken words")])
        .await;
    let id = journal["id"].as_str().unwrap().to_string();
    let duration = journal["duration"].as_f64().unwrap();

    let media_root = app.scratch.parent().unwrap().join("media");
    let mut worker = KillOnDrop(
        Command::new(common::weft_bin())
            .arg("worker")
            .env("DATABASE_URL", app.db.url())
            .env("WEFT_STORAGE", &media_root)
            .env("WEFT_DATA_DIR", app.scratch.parent().unwrap())
            .env("WEFT_TRANSCRIBER", "openai")
            .env("WEFT_OPENAI_BASE_URL", &server.base_url)
            .env("WEFT_OPENAI_API_KEY", "sk-test")
            .env("WEFT_OPENAI_MODEL", "whisper-1")
            .env("WEFT_LANGUAGE", "en")
            .env("WEFT_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let done = app
        .wait_for_transcript(&jane.token, &id, "done", Duration::from_secs(120))
        .await;
    let transcript = &done["transcript"];
    let text = transcript["text"].as_str().unwrap().to_lowercase();
    for word in KEY_WORDS {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
    assert_eq!(transcript["source"], "engine");
    assert_segments_in_order_within(transcript["segments"].as_array().unwrap(), duration);
    assert_eq!(done["job"]["attempts"], 1);

    // A graceful stop first; the guard kills it if that does not work.
    let _ = Command::new("kill")
        .args(["-TERM", &worker.0.id().to_string()])
        .status();
    let _ = worker.0.wait();
    app.stop().await;
}

#[tokio::test]
async fn a_job_the_server_refuses_ends_failed_with_the_reason_in_the_api() {
    let server = WhisperServer::start().await;
    let app = common::spawn_app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES[..1]);
    let journal = app
        .upload_journal(&jane.token, &video, &[("title", "Spoken words")])
        .await;
    let id = journal["id"].as_str().unwrap().to_string();

    let shutdown = CancellationToken::new();
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine: engine_at(&format!("{}/not-here", server.base_url)),
    };
    let workers = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig::default(),
        shutdown.clone(),
    ));

    let failed = app
        .wait_for_transcript(&jane.token, &id, "failed", Duration::from_secs(120))
        .await;
    assert_eq!(
        failed["job"]["attempts"], 1,
        "a refused request is not retried"
    );
    let reason = failed["job"]["lastError"].as_str().unwrap();
    assert!(reason.contains("404"), "{reason}");

    shutdown.cancel();
    workers.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn weft_transcribe_prints_captions_from_the_openai_engine() {
    let server = WhisperServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);

    let output = tokio::process::Command::new(common::weft_bin())
        .current_dir(dir.path())
        .arg("transcribe")
        .arg(&video)
        .args(["--format", "srt", "--transcriber", "openai"])
        .args(["--openai-base-url", &server.base_url])
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let srt = String::from_utf8(output.stdout).unwrap();
    assert!(srt.starts_with("1\n00:00:"), "{srt}");
    let text = srt.to_lowercase();
    for word in KEY_WORDS {
        assert!(text.contains(word), "{word:?} missing from {srt:?}");
    }
}
