//! Hardening against the real router and a real PostgreSQL: security headers on every
//! answer, and an exhausted connection pool answered with a quick 503 rather than a hang.

use std::time::Duration;

use crate::common::{self, spawn_app};
use sqlx::postgres::PgPoolOptions;

const HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

fn assert_secured(response: &reqwest::Response, what: &str) {
    for (name, want) in HEADERS {
        assert_eq!(response.headers()[*name], *want, "{name} on {what}");
    }
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "media-src 'self' blob:",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
    ] {
        assert!(
            policy.contains(directive),
            "{directive} in {policy} on {what}"
        );
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_errors_included() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;

    let ok = app.get_as(&jane.token, "/api/v1/me").await;
    assert_eq!(ok.status(), 200);
    assert_secured(&ok, "a 200");
    let unauthorized = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_secured(&unauthorized, "a 401");
    let missing = app.client.get(app.url("/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_secured(&missing, "a 404");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_secured(&metrics, "/metrics");
    app.stop().await;
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_with_a_reason_before_the_client_gives_up() {
    let db = common::fresh_db().await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(500))
        .connect_with(db.options.clone())
        .await
        .unwrap();
    let held_pool = pool.clone();
    let app = common::spawn_app_with(db, move |context| weft::api::ApiContext {
        pool: held_pool,
        ..context
    })
    .await;
    let jane = app.register("jane").await;
    let held = [pool.acquire().await.unwrap(), pool.acquire().await.unwrap()];

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let response = client
        .get(app.url("/api/v1/journals"))
        .bearer_auth(&jane.token)
        .send()
        .await
        .expect("an answer before the client's timeout");

    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("No database connection became free"),
        "{message}"
    );

    let metrics = client.get(app.url("/metrics")).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    let timeouts: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("weft_db_pool_acquire_timeouts_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(timeouts >= 1.0, "{text}");
    assert!(
        text.contains("weft_db_pool_connections{state=\"in_use\"} 2"),
        "{text}"
    );

    drop(held);
    let recovered = app.get_as(&jane.token, "/api/v1/journals").await;
    assert_eq!(
        recovered.status(),
        200,
        "service returns once connections are free"
    );
    app.stop().await;
}

/// Writes an object straight into local storage, last modified `age` ago.
fn put(root: &std::path::Path, key: &str, age: Duration) {
    let path = root.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, key.as_bytes()).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

#[tokio::test]
async fn the_start_up_sweep_removes_only_old_objects_that_no_journal_references() {
    let db = common::fresh_db().await;
    let here = tempfile::tempdir().unwrap();
    let root = here.path().join("media");
    let storage = weft::storage::Storage::local(&root).unwrap();
    let owner: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash) VALUES ('jane', 'jane@example.com', 'x') RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let journal = uuid::Uuid::new_v4();
    let video = format!("videos/{owner}/{journal}.mp4");
    let mut tx = weft::db::scoped::begin_for_user(&db.pool, owner)
        .await
        .unwrap();
    sqlx::query("INSERT INTO journals (id, user_id, title, video_path, duration) VALUES ($1, $2, 't', $3, 1)")
        .bind(journal)
        .bind(owner)
        .bind(&video)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let old = Duration::from_secs(2 * 3600);
    let orphan = uuid::Uuid::new_v4();
    let ghost = uuid::Uuid::new_v4();
    let kept = [
        video.clone(),
        format!("thumbnails/{owner}/{journal}.jpg"),
        "notes/readme.txt".to_string(),
    ];
    let removed = [
        format!("videos/{owner}/{orphan}.mp4"),
        format!("thumbnails/{owner}/{orphan}.jpg"),
        format!("videos/{ghost}/{orphan}.webm"),
    ];
    for key in kept.iter().chain(&removed) {
        put(&root, key, old);
    }
    let young = format!("videos/{owner}/{}.mp4", uuid::Uuid::new_v4());
    put(&root, &young, Duration::from_secs(60));

    let swept = weft::sweep::orphan_objects(&db.pool, &storage, weft::sweep::GRACE)
        .await
        .unwrap();

    assert_eq!(swept.removed, 3, "{swept:?}");
    for key in kept.iter().chain([&young]) {
        assert!(root.join(key).is_file(), "{key} is kept");
    }
    for key in &removed {
        assert!(!root.join(key).exists(), "{key} is removed");
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            header_read_timeout: Duration::from_secs(1),
            ..context.limits
        },
        ..context
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: weft\r\nX-Slow: 1")
        .await
        .unwrap();

    // The bound only keeps a broken server from hanging the test; the server closes sooner.
    let mut answer = Vec::new();
    // A reset instead of a clean close is as good: either way the connection is gone.
    let _ = tokio::time::timeout(Duration::from_secs(30), slow.read_to_end(&mut answer))
        .await
        .expect("the server closed the connection");

    let text = String::from_utf8_lossy(&answer);
    assert!(!text.contains("200 OK"), "{text}");
    let healthy = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(healthy.status(), 200, "other clients are served meanwhile");
    app.stop().await;
}

#[tokio::test]
async fn clients_that_hang_up_mid_request_leave_no_connection_inside_a_transaction() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    // Requests given up after 0.1 to 1.6 ms: cancelled at every point of their way, the
    // beginning of their transaction included. (A guard of the end state: the race it
    // guards against, a cancel between BEGIN sent and answered, is narrow on an idle
    // machine; the benchmark's wrk runs, which hang up 20 requests at once under full load,
    // showed it before the fix in db::scoped::begin_with.)
    let mut waves = Vec::new();
    for wave in 0..20u64 {
        let (url, token) = (app.url("/api/v1/journals?limit=20"), jane.token.clone());
        waves.push(tokio::spawn(async move {
            for n in 0..40u64 {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_micros(100 + (wave * 97 + n * 31) % 1500))
                    .build()
                    .unwrap();
                let _ = client.get(&url).bearer_auth(&token).send().await;
            }
        }));
    }
    for wave in waves {
        wave.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = $1 AND state LIKE 'idle in transaction%'",
    )
    .bind(&app.db.name)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(stuck, 0, "pooled connections left inside a transaction");
    let after = app.get_as(&jane.token, "/api/v1/journals").await;
    assert_eq!(after.status(), 200);
    app.stop().await;
}
