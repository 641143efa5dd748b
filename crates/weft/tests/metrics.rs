//! `GET /metrics` against the real router, a real PostgreSQL and a real worker: requests by
//! route template and status, the pool, the queue depth, job durations and the real-time
//! factor. And no secret in the logs of a real `weft serve`.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{spawn_app, TestApp};
use reqwest::multipart::{Form, Part};
use tokio_util::sync::CancellationToken;
use weft::jobs::transcribe::Pipeline;
use weft::jobs::worker::{self, WorkerConfig};
use weft::transcribe::openai::OpenAiEngine;
use weft::transcribe::Engine;

async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().unwrap();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.unwrap()
}

/// The value of the series written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

/// A two-second video with a tone.
fn make_video(dir: &Path) -> PathBuf {
    let path = dir.join("clip.mp4");
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg("testsrc=duration=2:size=160x120:rate=10")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-c:a", "aac", "-shortest"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

/// An OpenAI-compatible transcription service on loopback that always hears one sentence.
async fn fake_transcription_service() -> (String, tokio::task::JoinHandle<()>) {
    let router = axum::Router::new().route(
        "/v1/audio/transcriptions",
        axum::routing::post(|_body: axum::body::Bytes| async {
            axum::Json(serde_json::json!({
                "text": "hello there",
                "language": "en",
                "segments": [{ "start": 0.0, "end": 1.5, "text": "hello there" }]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url, handle)
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status_never_by_raw_path() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let id = "0b7c3f8e-1111-4222-8333-444455556666";
    let missing = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}"))
        .await;
    assert_eq!(missing.status(), 404);
    app.client
        .get(app.url("/no/such/route/123"))
        .send()
        .await
        .unwrap();

    let text = scrape(&app).await;

    let series =
        r#"weft_http_requests_total{method="GET",route="/api/v1/journals/{id}",status="404"}"#;
    assert!(value(&text, series).unwrap() >= 1.0, "{text}");
    let created =
        r#"weft_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}"#;
    assert!(value(&text, created).unwrap() >= 1.0, "{text}");
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    assert!(!text.contains(id), "a raw id leaked into a label");
    assert!(
        !text.contains("/no/such/route"),
        "a raw path leaked into a label"
    );
    assert!(text.contains(
        r#"weft_http_request_duration_seconds_bucket{method="GET",route="/api/v1/journals/{id}",status="404",le="+Inf"}"#
    ));
    app.stop().await;
}

#[tokio::test]
async fn the_pool_figures_are_reported() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let timeline = app.get_as(&jane.token, "/api/v1/journals").await;
    assert_eq!(timeline.status(), 200);

    let text = scrape(&app).await;

    assert_eq!(value(&text, "weft_db_pool_max"), Some(5.0), "{text}");
    let size = value(&text, "weft_db_pool_size").unwrap();
    let idle = value(&text, r#"weft_db_pool_connections{state="idle"}"#).unwrap();
    let in_use = value(&text, r#"weft_db_pool_connections{state="in_use"}"#).unwrap();
    assert!((1.0..=5.0).contains(&size), "{text}");
    assert_eq!(idle + in_use, size);
    assert!(value(&text, "weft_db_pool_acquire_waits_total").is_some());
    assert!(value(&text, "weft_db_pool_acquire_timeouts_total").is_some());
    assert!(value(&text, "weft_db_pool_acquire_seconds_count").unwrap() >= 1.0);
    app.stop().await;
}

#[tokio::test]
async fn a_transcribed_upload_moves_the_queue_figures_and_records_its_speed() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| weft::server::ApiContext {
        transcription: Some(3),
        ..context
    })
    .await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = make_video(dir.path());
    let form = Form::new()
        .part(
            "video",
            Part::bytes(std::fs::read(&video).unwrap()).file_name("clip.mp4"),
        )
        .text("title", "A tone");
    let uploaded = app
        .client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(&jane.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);

    let queued = scrape(&app).await;
    assert_eq!(
        value(&queued, r#"weft_jobs{state="queued"}"#),
        Some(1.0),
        "{queued}"
    );
    assert_eq!(value(&queued, r#"weft_jobs{state="done"}"#), Some(0.0));

    let (service, server) = fake_transcription_service().await;
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine: Engine::OpenAi(OpenAiEngine::new(&service, None, "whisper-1", None)),
    };
    let shutdown = CancellationToken::new();
    let workers = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig {
            poll: Duration::from_millis(100),
            ..WorkerConfig::default()
        },
        shutdown.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let text = scrape(&app).await;
        if value(&text, r#"weft_jobs{state="done"}"#) == Some(1.0) {
            break text;
        }
        assert!(Instant::now() < deadline, "the job never finished: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    shutdown.cancel();
    workers.await.unwrap();
    server.abort();

    assert_eq!(value(&done, r#"weft_jobs{state="queued"}"#), Some(0.0));
    assert!(
        value(&done, r#"weft_job_duration_seconds_count{outcome="done"}"#).unwrap() >= 1.0,
        "{done}"
    );
    assert!(value(&done, "weft_transcription_real_time_factor_count").unwrap() >= 1.0);
    assert!(value(&done, "weft_transcription_audio_seconds_total").unwrap() >= 2.0);
    assert_eq!(
        value(&done, r#"weft_job_failures_total{outcome="failed"}"#),
        Some(0.0)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_job_whose_video_is_gone_is_counted_as_a_failure() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| weft::server::ApiContext {
        transcription: Some(3),
        ..context
    })
    .await;
    let owner: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash) VALUES ('jo', 'jo@example.com', 'x') RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, owner)
        .await
        .unwrap();
    let journal: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO journals (user_id, title, video_path, duration) VALUES ($1, 't', 'videos/none.mp4', 1) RETURNING id",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    weft::db::jobs::enqueue(&mut tx, journal, 3).await.unwrap();
    tx.commit().await.unwrap();

    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine: Engine::OpenAi(OpenAiEngine::new("http://127.0.0.1:9", None, "m", None)),
    };
    let shutdown = CancellationToken::new();
    let workers = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig::default(),
        shutdown.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = scrape(&app).await;
        if value(&text, r#"weft_jobs{state="failed"}"#) == Some(1.0) {
            break text;
        }
        assert!(Instant::now() < deadline, "the job never failed: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    shutdown.cancel();
    workers.await.unwrap();

    assert!(value(&text, r#"weft_job_failures_total{outcome="failed"}"#).unwrap() >= 1.0);
    assert!(
        value(
            &text,
            r#"weft_job_duration_seconds_count{outcome="failed"}"#
        )
        .unwrap()
            >= 1.0
    );
    app.stop().await;
}

/// A free loopback port (bound and released; the server binds it again at once).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn no_password_token_or_database_url_reaches_the_logs_of_weft_serve() {
    let db = common::fresh_db().await;
    // Trust authentication ignores the password, so the URL may carry one to leak.
    let secret_db_password = "db-secret-Zq81";
    let database_url = format!("{}&password={secret_db_password}", db.url());
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = data.path().join("serve.log");
    let mut server = Command::new(common::weft_bin())
        .arg("serve")
        .env("DATABASE_URL", &database_url)
        .env("WEFT_DATA_DIR", data.path())
        .env("WEFT_ADDR", format!("127.0.0.1:{port}"))
        .env("WEFT_TRANSCRIBER", "none")
        .env("WEFT_BCRYPT_COST", "10")
        .env("WEFT_LOG", "debug")
        .env("WEFT_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "weft serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let password = "user-secret-Pw9931";
    let registered: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({ "username": "jane", "email": "jane@example.com", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = registered["token"].as_str().unwrap().to_string();
    let wrong = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "login": "jane", "password": "wrong-secret-Xy77" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "login": "jane", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_token = login["token"].as_str().unwrap().to_string();
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    rustix::process::kill_process(
        rustix::process::Pid::from_raw(server.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    server.wait().unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();

    assert!(
        logged.contains("listening on"),
        "the log was captured: {logged}"
    );
    for secret in [
        password,
        "wrong-secret-Xy77",
        secret_db_password,
        &token,
        &second_token,
        &database_url,
    ] {
        assert!(!logged.contains(secret), "{secret} was logged:\n{logged}");
    }
}
