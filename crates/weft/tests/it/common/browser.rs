//! A real browser for the web UI's tests: Debian's Chromium, headless, driven through
//! chromedriver on a loopback port, with a fake camera and a fake microphone. Screenshots go
//! to `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use tokio_util::sync::CancellationToken;
use weft::jobs::transcribe::Pipeline;
use weft::jobs::worker::{self, WorkerConfig};
use weft::transcribe::whisper::WhisperEngine;
use weft::transcribe::Engine;

use super::processes::{self, KillOnDrop};
use super::TestApp;

/// The two widths every page is looked at: a laptop and a phone (390×844).
pub const SIZES: [(&str, u32, u32); 2] = [("laptop", 1280, 800), ("phone", 390, 844)];

/// Where screenshots go: `screenshots/` in the target folder this test was built in.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/debug/deps/it-HASH
            let exe = std::env::current_exe().unwrap();
            exe.ancestors().nth(3).unwrap().to_path_buf()
        });
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// chromedriver on a loopback port; killed (by its process id) when dropped.
pub struct ChromeDriver {
    _process: KillOnDrop,
    url: String,
}

impl ChromeDriver {
    pub async fn start() -> ChromeDriver {
        let port = processes::free_port();
        let process = KillOnDrop(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver runs (scripts/install-deps installs chromium-driver)"),
        );
        let driver = ChromeDriver {
            _process: process,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = reqwest::get(format!("{}/status", driver.url))
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A Chromium session on `driver`, with its profile in `profile`; the fake microphone plays
/// `wav` in a loop when given (else a beep).
pub async fn chromium(driver: &ChromeDriver, wav: Option<&Path>, profile: &Path) -> Client {
    let mut args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--use-fake-device-for-media-stream".into(),
        "--use-fake-ui-for-media-stream".into(),
        "--autoplay-policy=no-user-gesture-required".into(),
        format!("--user-data-dir={}", profile.display()),
        "--window-size=1280,800".into(),
    ];
    if let Some(wav) = wav {
        args.push(format!(
            "--use-file-for-fake-audio-capture={}",
            wav.display()
        ));
    }
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Waits until `script` (the body of a function) returns something truthy; returns it.
pub async fn wait_until(browser: &Client, script: &str, limit: Duration, what: &str) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let value = browser.execute(script, vec![]).await.unwrap_or(Value::Null);
        let truthy = match &value {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if truthy {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Saves the current page at laptop and phone width.
pub async fn screenshots(browser: &Client, name: &str) {
    let dir = screenshot_dir();
    for (size, width, height) in SIZES {
        browser.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = browser.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{size}.png")), png).unwrap();
    }
    browser.set_window_size(1280, 800).await.unwrap();
}

/// Saves the current page as it is now (no resizing) to `target/screenshots/FILE_NAME`.
pub async fn screenshot(browser: &Client, file_name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(file_name), png).unwrap();
}

/// A Chrome DevTools command sent through chromedriver's `goog/cdp/execute` endpoint (for
/// what WebDriver has no command for, such as emulating a colour scheme).
#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.command, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

/// Makes the pages of this session see `prefers-color-scheme: dark` (or light), as a system
/// in that mode would; it holds across navigations.
pub async fn prefer_dark(browser: &Client, dark: bool) {
    let scheme = if dark { "dark" } else { "light" };
    browser
        .issue_cmd(DevTools {
            command: "Emulation.setEmulatedMedia",
            params: json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        })
        .await
        .expect("chromedriver runs DevTools commands");
}

/// Runs the DevTools command `command` on the page and returns its result.
pub async fn devtools(browser: &Client, command: &'static str, params: Value) -> Value {
    browser
        .issue_cmd(DevTools { command, params })
        .await
        .unwrap_or_else(|e| panic!("DevTools {command}: {e}"))
}

pub async fn fill(browser: &Client, id: &str, text: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub async fn click(browser: &Client, id: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// chromedriver and one Chromium session on it, with a profile of its own; both stop when
/// dropped (close the session first with [`Browser::close`] for a clean end).
pub struct Browser {
    pub client: Client,
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A fresh browser; its fake microphone plays `wav` when given.
    pub async fn start(wav: Option<&Path>) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let driver = ChromeDriver::start().await;
        let client = chromium(&driver, wav, profile.path()).await;
        Browser {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Signs up `username` (password `password-of-USERNAME`) through the sign-up page and waits
/// for the timeline.
pub async fn sign_up(browser: &Client, app: &TestApp, username: &str) {
    browser.goto(&app.url("/signup")).await.unwrap();
    fill(browser, "username", username).await;
    fill(browser, "email", &format!("{username}@example.com")).await;
    fill(browser, "password", &format!("password-of-{username}")).await;
    browser
        .find(Locator::Css("form[action='/signup'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        browser,
        "return location.pathname === '/' && document.querySelector('h1').textContent",
        Duration::from_secs(10),
        "the timeline after signing up",
    )
    .await;
}

/// A server with transcription on and a Whisper worker (the tiny.en model, English) in this
/// process; cancel the token and await the handle to stop the worker.
pub async fn app_with_a_worker() -> (TestApp, CancellationToken, tokio::task::JoinHandle<()>) {
    let app = super::spawn_app_with_transcription().await;
    let engine = WhisperEngine::load(
        &super::model_dir(),
        weft_whisper::Options {
            language: Some("en".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine: Engine::Whisper(engine),
    };
    let shutdown = CancellationToken::new();
    let workers = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig::default(),
        shutdown.clone(),
    ));
    (app, shutdown, workers)
}
