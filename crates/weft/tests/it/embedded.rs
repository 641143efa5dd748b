//! The embedded cluster: first start, reuse, stop, recovery from kills, and readiness while
//! the database goes away and comes back.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::processes::{self, kill9, postmaster_pid};
use weft::db::embedded::{self, Cluster, Layout};
use weft::db::PoolConfig;
use weft::db::{self, Target};

/// A data directory under /tmp (reachable by the `postgres` user when tests run as root).
fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("weft-embedded-")
        .tempdir_in("/tmp")
        .unwrap()
}

async fn start(dir: &std::path::Path) -> Cluster {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || Cluster::start(&dir))
        .await
        .unwrap()
        .unwrap()
}

async fn release(cluster: Cluster) {
    tokio::task::spawn_blocking(move || cluster.release())
        .await
        .unwrap()
        .unwrap();
}

/// One value read from the cluster as the application's role.
async fn scalar<T>(layout: &Layout, sql: &'static str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    let pool = db::connect(&Target::Embedded(layout.clone()), &PoolConfig::default())
        .await
        .unwrap();
    let value = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    value
}

async fn select_one(layout: &Layout) -> i32 {
    scalar(layout, "SELECT 1").await
}

#[tokio::test]
async fn the_first_start_creates_a_cluster_that_the_last_user_stops() {
    let dir = data_dir();
    let cluster = start(dir.path()).await;
    let layout = cluster.layout().clone();

    assert!(dir.path().join("postgres/PG_VERSION").is_file());
    assert!(layout.is_running());
    assert_eq!(select_one(&layout).await, 1);
    let conf = std::fs::read_to_string(dir.path().join("postgres/postgresql.conf")).unwrap();
    assert!(
        conf.contains("listen_addresses = ''"),
        "the cluster listens on no TCP port"
    );

    release(cluster).await;
    assert!(!layout.is_running());
}

/// The server's `shared_buffers` in MB, as it runs now.
async fn shared_buffers_mb(layout: &Layout) -> u64 {
    // pg_settings gives it in pages of 8 kB.
    let pages: String = scalar(
        layout,
        "SELECT setting FROM pg_settings WHERE name = 'shared_buffers'",
    )
    .await;
    pages.parse::<u64>().unwrap() * 8 / 1024
}

#[tokio::test]
async fn the_cache_of_pages_is_sized_from_the_memory_unless_the_administrator_chose_it() {
    let dir = data_dir();
    let cluster = start(dir.path()).await;
    let layout = cluster.layout().clone();
    let memory_mb = embedded::available_memory_mb().expect("the memory of this machine");
    assert_eq!(
        shared_buffers_mb(&layout).await,
        embedded::shared_buffers_mb(memory_mb),
        "a quarter of {memory_mb} MB, within bounds"
    );
    release(cluster).await;

    // What `ALTER SYSTEM SET shared_buffers = '256MB'` writes: the next start keeps it.
    let auto = dir.path().join("postgres/postgresql.auto.conf");
    let mut text = std::fs::read_to_string(&auto).unwrap();
    text.push_str("shared_buffers = '256MB'\n");
    std::fs::write(&auto, text).unwrap();
    let cluster = start(dir.path()).await;
    assert_eq!(shared_buffers_mb(cluster.layout()).await, 256);
    release(cluster).await;
}

#[tokio::test]
async fn a_second_user_keeps_the_cluster_running_until_it_leaves() {
    let dir = data_dir();
    let first = start(dir.path()).await;
    let second = start(dir.path()).await;
    let layout = first.layout().clone();

    release(first).await;
    assert!(layout.is_running(), "the second user still needs it");
    assert_eq!(select_one(&layout).await, 1);

    release(second).await;
    assert!(!layout.is_running());
}

#[tokio::test]
async fn stop_refuses_while_the_cluster_is_in_use_unless_forced() {
    let dir = data_dir();
    let cluster = start(dir.path()).await;

    let refused = embedded::stop(dir.path(), false).unwrap_err().to_string();
    assert!(refused.contains("in use"), "{refused}");
    assert!(cluster.layout().is_running());

    assert!(embedded::stop(dir.path(), true).unwrap());
    assert!(!cluster.layout().is_running());
    drop(cluster);
}

#[tokio::test]
async fn a_killed_server_is_recovered_on_the_next_start() {
    let dir = data_dir();
    let cluster = start(dir.path()).await;
    let pid = postmaster_pid(dir.path());

    kill9(pid);
    drop(cluster);
    // The stale postmaster.pid is still there; the next start must cope with it.
    assert!(dir.path().join("postgres/postmaster.pid").exists());

    let again = start(dir.path()).await;
    assert_ne!(postmaster_pid(dir.path()), pid);
    assert_eq!(select_one(again.layout()).await, 1);
    release(again).await;
}

fn spawn_serve(dir: &std::path::Path, port: u16) -> Child {
    Command::new(common::weft_bin())
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("WEFT_DATA_DIR", dir)
        .env("WEFT_ADDR", format!("127.0.0.1:{port}"))
        .env("WEFT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(client: &reqwest::Client, port: u16) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/ready"))
            .send()
            .await
        {
            return response.status().as_u16();
        }
        assert!(Instant::now() < deadline, "weft serve did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_recovers_after_being_killed_and_stops_the_cluster_on_sigterm() {
    let dir = data_dir();
    let client = reqwest::Client::new();

    let port = processes::free_port();
    let mut first = spawn_serve(dir.path(), port);
    assert_eq!(wait_ready(&client, port).await, 200);
    first.kill().unwrap();
    first.wait().unwrap();

    let port = processes::free_port();
    let mut second = spawn_serve(dir.path(), port);
    assert_eq!(wait_ready(&client, port).await, 200);
    let pid = second.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = second.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    assert!(
        !Layout::new(dir.path()).is_running(),
        "the last user stops the cluster"
    );
}

#[tokio::test]
async fn ready_is_503_while_the_database_is_down_and_200_once_it_is_back() {
    let dir = data_dir();
    let cluster = start(dir.path()).await;
    let target = Target::Embedded(cluster.layout().clone());
    let pool = db::connect(
        &target,
        &PoolConfig {
            connect_timeout: Duration::from_secs(1),
            ..PoolConfig::default()
        },
    )
    .await
    .unwrap();
    db::migrate::migrate(&pool).await.unwrap();
    let app = common::spawn_app_with(
        common::TestDb {
            pool: pool.clone(),
            name: "weft".into(),
            options: cluster.layout().connect_options(),
            admin_url: cluster.layout().superuser_url(),
            admin: pool.clone(),
            target,
            // The cluster's own database: it goes with the cluster's folder.
            teardown: None,
        },
        |context| context,
    )
    .await;
    assert_eq!(
        app.client
            .get(app.url("/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    assert!(embedded::stop(dir.path(), true).unwrap());
    let down = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(body["error"]["code"], "database_unavailable");

    drop(cluster);
    let back = start(dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app
            .client
            .get(app.url("/ready"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/ready did not recover, last status {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
    pool.close().await;
    release(back).await;
}

#[test]
fn connection_refused_says_what_to_check() {
    let output = Command::new(common::weft_bin())
        .args(["db", "status"])
        .env("DATABASE_URL", "postgresql://weft@127.0.0.1:1/weft")
        .env("WEFT_POOL_CONNECT_TIMEOUT", "3")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(
        stderr.contains("Check that PostgreSQL is running"),
        "{stderr}"
    );
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[test]
fn a_bad_pool_max_is_refused_before_connecting() {
    let output = Command::new(common::weft_bin())
        .args(["db", "status"])
        .env(
            "DATABASE_URL",
            "postgresql://weft@127.0.0.1:1/weft?pool_max=zero",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pool_max=zero"), "{stderr}");
}

#[tokio::test]
async fn an_exhausted_pool_gives_a_message_that_says_what_to_do() {
    let db = common::fresh_db().await;
    let config = PoolConfig {
        max: 1,
        connect_timeout: Duration::from_millis(300),
        ..PoolConfig::default()
    };
    let pool = db::connect(&db.target, &config).await.unwrap();
    let held = pool.acquire().await.unwrap();

    let error = pool.acquire().await.unwrap_err();
    let message = db::explain(&error, &db.target, &config);
    assert!(message.contains("exhausted"), "{message}");
    assert!(message.contains("WEFT_POOL_MAX"), "{message}");
    drop(held);
}
