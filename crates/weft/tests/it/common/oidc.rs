//! A real OpenID provider on loopback (npm's `oidc-provider`, tests/node/oidc-provider, put
//! in the tools folder by scripts/install-deps) and a Weft server set up to sign in with it,
//! plus a browser with JavaScript off that keeps the cookies of both and signs in at the
//! provider's own form.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use tokio::sync::oneshot;

use super::processes::{free_port, KillOnDrop};
use super::{test_storage, tools_dir, TestApp, TestDb};

/// The client Weft is at the test provider.
pub const CLIENT_ID: &str = "weft-test";
pub const CLIENT_SECRET: &str = "secret-of-weft-test";

/// How the provider misbehaves (tests/node/oidc-provider/provider.js).
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Normal,
    /// Signs ID tokens with a key its JWKS does not publish.
    RogueKey,
    /// Issues ID tokens that expired minutes ago.
    Expired,
}

/// A running provider, stopped when dropped.
pub struct Provider {
    pub issuer: String,
    _process: KillOnDrop,
    _dir: tempfile::TempDir,
}

impl Provider {
    /// Starts the provider for a client whose callback is `redirect_uri`.
    pub fn start(redirect_uri: &str, mode: Mode) -> Provider {
        let installed = tools_dir().join("oidc-provider/node_modules");
        assert!(
            installed.join("oidc-provider").is_dir(),
            "no oidc-provider at {}: run scripts/install-deps --test",
            installed.display()
        );
        // Node resolves the package from the script's own folder: a copy of the script
        // beside a link to the installed packages.
        let dir = tempfile::tempdir().unwrap();
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/oidc-provider");
        for file in ["provider.js", "package.json"] {
            std::fs::copy(source.join(file), dir.path().join(file)).unwrap();
        }
        std::os::unix::fs::symlink(&installed, dir.path().join("node_modules")).unwrap();
        let port = free_port();
        let mode = match mode {
            Mode::Normal => "normal",
            Mode::RogueKey => "rogue-key",
            Mode::Expired => "expired",
        };
        let mut child = Command::new("node")
            .arg(dir.path().join("provider.js"))
            .args([
                &port.to_string(),
                CLIENT_ID,
                CLIENT_SECRET,
                redirect_uri,
                mode,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (scripts/install-deps installs it)");
        let stdout = child.stdout.take().unwrap();
        let process = KillOnDrop(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("ready ") {
                    let _ = tx.send(issuer.to_string());
                }
            }
        });
        let issuer = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the OpenID provider starts within 30 s");
        Provider {
            issuer,
            _process: process,
            _dir: dir,
        }
    }
}

/// Weft's single sign-on settings for `provider`.
pub fn settings(provider: &Provider, app_address: &str) -> weft::accounts::oidc::OidcSettings {
    weft::accounts::oidc::OidcSettings {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: weft::domain::Secret::new(CLIENT_SECRET),
        label: "Test ID".into(),
        scopes: "openid email profile".into(),
        create_users: true,
        redirect_uri: format!("{app_address}/signin/oidc/callback")
            .parse()
            .unwrap(),
    }
}

/// A Weft server and the provider it signs in with.
pub struct SsoApp {
    pub app: TestApp,
    pub provider: Provider,
}

/// Starts a provider in `mode` and Weft signing in with it; `customise` adjusts the
/// settings and the account configuration.
pub async fn spawn_sso_app(
    mode: Mode,
    customise: impl FnOnce(&mut weft::accounts::oidc::OidcSettings, &mut weft::accounts::AuthConfig),
) -> SsoApp {
    let db = super::fresh_db().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider::start(&format!("{address}/signin/oidc/callback"), mode);
    let mut settings = settings(&provider, &address);
    let mut auth = super::test_auth();
    customise(&mut settings, &mut auth);
    let discovered = weft::accounts::oidc::OidcProvider::discover(settings)
        .await
        .expect("discovery of the test provider");
    auth.oidc = Some(Arc::new(discovered));
    let app = launch(db, listener, address, auth);
    SsoApp { app, provider }
}

/// The real router on `listener` with `auth`, as `spawn_app_with` starts it.
fn launch(
    db: TestDb,
    listener: tokio::net::TcpListener,
    address: String,
    auth: weft::accounts::AuthConfig,
) -> TestApp {
    let media = tempfile::tempdir().expect("media folder");
    let storage = test_storage(media.path());
    let scratch = media.path().join("tmp");
    let context = weft::api::ApiContext {
        auth: Arc::new(auth),
        ..weft::api::ApiContext::new(db.pool.clone(), storage.clone(), scratch.clone())
    };
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

/// A browser with JavaScript off: cookies kept per site, redirects followed by hand so that
/// a test can stop at Weft's callback.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser { client, jar }
    }

    /// The value of cookie `name` this browser sends to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let header = self.jar.cookies(&url.parse().unwrap())?;
        header.to_str().unwrap().split("; ").find_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.to_string())
        })
    }

    /// GETs `url` and follows redirects until a page, or until the next address is Weft's
    /// callback (returned, not visited, when `stop_at_callback`).
    pub async fn follow(&self, url: &str, stop_at_callback: bool) -> Followed {
        let mut url: reqwest::Url = url.parse().unwrap();
        for _ in 0..20 {
            if stop_at_callback && url.path() == "/signin/oidc/callback" {
                return Followed::Callback(url.to_string());
            }
            let response = self.client.get(url.clone()).send().await.unwrap();
            match next_location(&url, &response) {
                Some(next) => url = next,
                None => return Followed::Page(response),
            }
        }
        panic!("more than 20 redirects from {url}");
    }

    /// Posts a form and follows the redirects as [`Browser::follow`] does.
    pub async fn post(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        stop_at_callback: bool,
    ) -> Followed {
        let base: reqwest::Url = url.parse().unwrap();
        let response = self
            .client
            .post(base.clone())
            .form(fields)
            .send()
            .await
            .unwrap();
        match next_location(&base, &response) {
            Some(next) => Box::pin(self.follow(next.as_str(), stop_at_callback)).await,
            None => Followed::Page(response),
        }
    }

    /// From a page or redirect that leads to the provider, signs in there as `login` (any
    /// password: the provider's development form), and stops at Weft's callback.
    pub async fn sign_in_at_provider(&self, first: Followed, login: &str) -> String {
        let mut step = first;
        for _ in 0..3 {
            match step {
                Followed::Callback(url) => return url,
                Followed::Page(page) => {
                    let at = page.url().clone();
                    assert_eq!(page.status(), StatusCode::OK, "the provider's form at {at}");
                    let html = page.text().await.unwrap();
                    let action = form_action(&html)
                        .unwrap_or_else(|| panic!("a sign-in form at {at}: {html}"));
                    let fields = [("prompt", "login"), ("login", login), ("password", "any")];
                    step = self.post(&action, &fields, true).await;
                }
            }
        }
        panic!("the provider did not send {login} back to Weft");
    }

    /// Starts single sign-on at Weft and signs in at the provider; Weft's callback URL.
    pub async fn provider_callback(&self, app: &TestApp, login: &str) -> String {
        let first = self.follow(&app.url("/signin/oidc"), true).await;
        self.sign_in_at_provider(first, login).await
    }

    /// The whole sign-in: start, provider, callback; Weft's last answer.
    pub async fn sign_in(&self, app: &TestApp, login: &str) -> Response {
        let callback = self.provider_callback(app, login).await;
        self.follow(&callback, false).await.page()
    }
}

/// Where a step of a browser ended.
pub enum Followed {
    Page(Response),
    Callback(String),
}

impl Followed {
    /// The page, when it ended at one.
    pub fn page(self) -> Response {
        match self {
            Followed::Page(page) => page,
            Followed::Callback(url) => panic!("stopped at the callback {url}, not a page"),
        }
    }
}

fn next_location(base: &reqwest::Url, response: &Response) -> Option<reqwest::Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get("location")?.to_str().unwrap();
    Some(base.join(location).unwrap())
}

/// The `action` of the first form of a page.
fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].replace("&amp;", "&"))
}
