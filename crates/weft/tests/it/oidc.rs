//! Single sign-on with OpenID Connect against a real provider on loopback (npm's
//! `oidc-provider`): the whole code flow by HTTP, first sign-in creating an account or not,
//! an existing account's email refused until the identity is linked, and what must be
//! refused: a wrong state, a replayed code, a token signed by another key, an expired token,
//! an unverified email, password sign-in when the operator turned it off.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::oidc::{spawn_sso_app, Browser, Followed, Mode, Provider, SsoApp};
use crate::common::TestApp;

async fn user_id(app: &TestApp, username: &str) -> Option<Uuid> {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&app.db.admin)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// A refusal page: its status and its text.
async fn refusal(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Signs `browser` in with the password form.
async fn password_sign_in(app: &TestApp, browser: &Browser, login: &str, password: &str) {
    let page = browser
        .post(
            &app.url("/signin"),
            &[("login", login), ("password", password)],
            false,
        )
        .await
        .page();
    assert_eq!(page.status(), StatusCode::OK, "signed in with the password");
}

fn csrf(app: &TestApp, browser: &Browser) -> String {
    browser
        .cookie(&app.url("/"), "weft_csrf")
        .expect("the CSRF cookie")
}

#[tokio::test]
async fn a_first_sign_in_creates_an_account_with_a_single_sign_on_session() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let browser = Browser::new();

    let page = browser.sign_in(&app, "alice").await;

    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.url().path(), "/", "lands on the timeline");
    let id = user_id(&app, "alice")
        .await
        .expect("an account named after the identity");
    let (email, created): (String, bool) = sqlx::query_as(
        "SELECT u.email, i.created_account FROM users u JOIN user_identities i ON i.user_id = u.id
         WHERE u.id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(email, "alice@example.com");
    assert!(created);
    let sso: bool = sqlx::query_scalar("SELECT single_sign_on FROM sessions WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert!(sso, "the session is marked as single sign-on");
    let account = browser.follow(&app.url("/account"), false).await.page();
    let html = account.text().await.unwrap();
    assert!(
        html.contains("Single sign-on</span>"),
        "the session list says single sign-on"
    );
    assert!(
        html.contains("Linked to Test ID as alice@example.com"),
        "{html}"
    );
    // No password anyone knows: unlinking would lock the account out.
    let unlink = browser
        .post(
            &app.url("/account/oidc/unlink"),
            &[("csrf", &csrf(&app, &browser))],
            false,
        )
        .await
        .page();
    let (status, text) = refusal(unlink).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text.contains("has no password"), "{text}");
    assert_eq!(count(&app, "SELECT count(*) FROM user_identities").await, 1);
    // Signing in again is the same account, in a new session.
    let again = Browser::new().sign_in(&app, "alice").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM sessions WHERE single_sign_on").await,
        2
    );
}

#[tokio::test]
async fn a_first_sign_in_is_refused_when_the_server_creates_no_accounts() {
    let SsoApp { app, provider: _p } =
        spawn_sso_app(Mode::Normal, |settings, _| settings.create_users = false).await;

    let (status, text) = refusal(Browser::new().sign_in(&app, "alice").await).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("ask the operator for an account"), "{text}");
    assert!(text.contains("href=\"/signin\""), "a way back");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn an_existing_accounts_email_is_refused_until_the_identity_is_linked() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let carol = app.register("carol").await;
    let browser = Browser::new();

    // The provider says carol@example.com, verified: still not carol's account.
    let (status, text) = refusal(browser.sign_in(&app, "carol").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        text.contains("sign in with its password, then link"),
        "{text}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM user_identities").await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM sessions WHERE single_sign_on").await,
        0
    );

    // Signed in with the password, carol links the identity from the account page (the
    // provider remembers her, so it sends her straight back).
    password_sign_in(&app, &browser, "carol", &carol.password).await;
    let linked = browser
        .post(
            &app.url("/account/oidc/link"),
            &[("csrf", &csrf(&app, &browser))],
            false,
        )
        .await
        .page();
    assert_eq!(linked.status(), StatusCode::OK);
    assert_eq!(linked.url().as_str(), app.url("/account?done=linked"));
    assert!(linked
        .text()
        .await
        .unwrap()
        .contains("Linked. You can now sign in with it."));

    // From another browser, single sign-on now reaches carol's account.
    let other = Browser::new();
    let page = other.sign_in(&app, "carol").await;
    assert_eq!(page.status(), StatusCode::OK);
    let owner: Uuid = sqlx::query_scalar(
        "SELECT user_id FROM sessions WHERE single_sign_on ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(owner.to_string(), carol.id);
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);

    // She has a password, so she may unlink; then single sign-on is refused again.
    let unlinked = browser
        .post(
            &app.url("/account/oidc/unlink"),
            &[("csrf", &csrf(&app, &browser))],
            false,
        )
        .await
        .page();
    assert_eq!(unlinked.url().as_str(), app.url("/account?done=unlinked"));
    assert_eq!(count(&app, "SELECT count(*) FROM user_identities").await, 0);
    let (status, _) = refusal(Browser::new().sign_in(&app, "carol").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_identity_linked_to_one_account_cannot_be_linked_to_another() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    Browser::new().sign_in(&app, "alice").await;
    let bob = app.register("bob").await;
    let browser = Browser::new();
    password_sign_in(&app, &browser, "bob", &bob.password).await;

    let start = browser
        .post(
            &app.url("/account/oidc/link"),
            &[("csrf", &csrf(&app, &browser))],
            true,
        )
        .await;
    let callback = browser.sign_in_at_provider(start, "alice").await;
    let (status, text) = refusal(browser.follow(&callback, false).await.page()).await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        text.contains("already linked to another Weft account"),
        "{text}"
    );
    assert!(
        text.contains("href=\"/account\""),
        "a way back to the account"
    );
    let linked: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM user_identities")
        .fetch_all(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_ne!(linked[0].to_string(), bob.id);
}

#[tokio::test]
async fn linking_and_unlinking_need_the_forms_csrf_token() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let bob = app.register("bob").await;
    let browser = Browser::new();
    password_sign_in(&app, &browser, "bob", &bob.password).await;

    for path in ["/account/oidc/link", "/account/oidc/unlink"] {
        for fields in [vec![], vec![("csrf", "forged")], vec![("csrf", "a\0b")]] {
            let page = browser.post(&app.url(path), &fields, false).await.page();
            let status = page.status();
            // A NUL byte is refused (422) before the CSRF check; the others at it (403).
            let expected = if fields.iter().any(|(_, v)| v.contains('\0')) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{path} {fields:?}");
        }
    }
    assert_eq!(count(&app, "SELECT count(*) FROM oidc_logins").await, 0);
    // Signed out, they lead to the sign-in page.
    let anonymous = Browser::new();
    let response = anonymous
        .client
        .post(app.url("/account/oidc/link"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/signin"));
}

#[tokio::test]
async fn a_wrong_state_is_refused() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let browser = Browser::new();
    let callback = browser.provider_callback(&app, "alice").await;
    let mut forged: reqwest::Url = callback.parse().unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "not-the-state".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);

    let (status, text) = refusal(browser.follow(forged.as_str(), false).await.page()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("start again"), "{text}");

    // The right state from a browser that did not start the sign-in is refused too.
    let (status, _) = refusal(Browser::new().follow(&callback, false).await.page()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A state with a NUL byte is refused before anything reads it.
    let nul = app.url("/signin/oidc/callback?state=a%00b&code=c");
    let (status, _) = refusal(browser.follow(&nul, false).await.page()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let browser = Browser::new();
    let callback = browser.provider_callback(&app, "alice").await;
    let first = browser.follow(&callback, false).await.page();
    assert_eq!(first.status(), StatusCode::OK, "the first use signs in");

    // The same answer again: its state was used up.
    let (status, _) = refusal(browser.follow(&callback, false).await.page()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The old code under a fresh sign-in's state: Weft sends it, the provider refuses it.
    let other = Browser::new();
    let fresh = other.follow(&app.url("/signin/oidc"), true).await;
    let Followed::Page(form) = fresh else {
        panic!("the provider's form")
    };
    drop(form);
    let state = other
        .cookie(&app.url("/signin/oidc/callback"), "weft_oidc")
        .expect("the sign-in's state cookie");
    let code = reqwest::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let replay = format!(
        "{}?code={code}&state={state}",
        app.url("/signin/oidc/callback")
    );
    let (status, text) = refusal(other.follow(&replay, false).await.page()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("refused to finish this sign-in"), "{text}");
    assert_eq!(count(&app, "SELECT count(*) FROM sessions").await, 1);
}

#[tokio::test]
async fn a_token_signed_by_a_key_the_provider_does_not_publish_is_refused() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::RogueKey, |_, _| {}).await;

    let (status, text) = refusal(Browser::new().sign_in(&app, "alice").await).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("could not be trusted"), "{text}");
    assert!(text.contains("InvalidSignature"), "{text}");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Expired, |_, _| {}).await;

    let (status, text) = refusal(Browser::new().sign_in(&app, "alice").await).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("ExpiredSignature"), "{text}");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn an_unverified_email_is_refused() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;

    let (status, text) = refusal(Browser::new().sign_in(&app, "unverified-dan").await).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        text.contains("has not verified your email address"),
        "{text}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn the_provider_declining_is_a_page_not_an_error() {
    let SsoApp { app, provider: _p } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let browser = Browser::new();
    let Followed::Page(form) = browser.follow(&app.url("/signin/oidc"), true).await else {
        panic!("the provider's form")
    };
    drop(form);
    let state = browser
        .cookie(&app.url("/signin/oidc/callback"), "weft_oidc")
        .unwrap();
    let declined = format!(
        "{}?error=access_denied&error_description=End-User%20aborted&state={state}",
        app.url("/signin/oidc/callback")
    );

    let (status, text) = refusal(browser.follow(&declined, false).await.page()).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.contains("did not sign you in (End-User aborted)"),
        "{text}"
    );
}

#[tokio::test]
async fn password_sign_in_can_be_turned_off() {
    let SsoApp { app, provider: _p } =
        spawn_sso_app(Mode::Normal, |_, auth| auth.password_signin = false).await;
    sqlx::query("INSERT INTO users (username, email, password_hash) VALUES ('erin', 'erin@example.com', $1)")
        .bind(crate::common::PASSWORD_HASH)
        .execute(&app.db.admin)
        .await
        .unwrap();

    let page = app.client.get(app.url("/signin")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in with Test ID"), "the button");
    assert!(
        !html.contains("type=\"password\""),
        "no password form: {html}"
    );

    let web = Browser::new()
        .post(
            &app.url("/signin"),
            &[("login", "erin"), ("password", "password")],
            false,
        )
        .await
        .page();
    let (status, text) = refusal(web).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("Password sign-in is turned off"), "{text}");

    let api = app.login("erin", "password").await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password_signin_off");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("single sign-on"), "{message}");
    let register = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "frank", "email": "frank@example.com", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) FROM sessions").await, 0);

    // Single sign-on still signs in; and the only way in cannot be unlinked.
    let browser = Browser::new();
    assert_eq!(
        browser.sign_in(&app, "alice").await.status(),
        StatusCode::OK
    );
    let unlink = browser
        .post(
            &app.url("/account/oidc/unlink"),
            &[("csrf", &csrf(&app, &browser))],
            false,
        )
        .await
        .page();
    let (status, text) = refusal(unlink).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text.contains("Password sign-in is turned off"), "{text}");
}

#[tokio::test]
async fn a_provider_that_is_down_gets_a_502_page() {
    let SsoApp { app, provider } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let browser = Browser::new();
    let callback = browser.provider_callback(&app, "alice").await;
    drop(provider);

    let (status, text) = refusal(browser.follow(&callback, false).await.page()).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(text.contains("could not be reached"), "{text}");
    assert!(text.contains("href=\"/signin\""), "a way back");
}

#[tokio::test]
async fn discovery_fails_with_a_sentence_when_the_issuer_is_wrong_or_unreachable() {
    let provider = Provider::start("http://127.0.0.1:9/signin/oidc/callback", Mode::Normal);
    let app_address = "http://127.0.0.1:9";
    let mut settings = crate::common::oidc::settings(&provider, app_address);
    settings.issuer = provider.issuer.replace("127.0.0.1", "localhost");

    let error = weft::accounts::oidc::OidcProvider::discover(settings.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("set WEFT_OIDC_ISSUER to exactly the issuer it names"),
        "{error}"
    );

    settings.issuer = format!("http://127.0.0.1:{}", crate::common::processes::free_port());
    let error = weft::accounts::oidc::OidcProvider::discover(settings)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("could not be reached"), "{error}");
}

#[tokio::test]
async fn without_single_sign_on_its_pages_are_not_there() {
    let app = crate::common::spawn_app().await;
    let html = app
        .client
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("/signin/oidc"));
    let start = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/signin/oidc"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::NOT_FOUND);
}

/// Runs `weft serve` with `env`, which must make it stop at start; what it printed.
fn serve_refused(db: &crate::common::TestDb, env: &[(&str, &str)]) -> String {
    let cwd = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", crate::common::processes::free_port());
    let output = std::process::Command::new(crate::common::weft_bin())
        .arg("serve")
        .current_dir(cwd.path())
        .env("DATABASE_URL", db.url())
        .env("WEFT_ADDR", &addr)
        .env("WEFT_TRANSCRIBER", "none")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = crate::common::processes::KillOnDrop(output);
    let started = std::time::Instant::now();
    while child.0.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "weft serve started with {env:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = child.0.wait().unwrap();
    assert!(!status.success(), "weft serve stopped with an error");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut text).unwrap();
    text
}

#[tokio::test]
async fn weft_serve_stops_with_a_sentence_when_single_sign_on_cannot_be_set_up() {
    let db = crate::common::fresh_db().await;
    let issuer = format!("http://127.0.0.1:{}", crate::common::processes::free_port());
    let sso = [
        ("WEFT_OIDC_ISSUER", issuer.as_str()),
        ("WEFT_OIDC_CLIENT_ID", "weft"),
        ("WEFT_OIDC_CLIENT_SECRET", "secret"),
        ("WEFT_PUBLIC_URL", "https://weft.example.org"),
    ];

    let down = serve_refused(&db, &sso);
    assert!(down.contains("could not set up single sign-on"), "{down}");
    assert!(down.contains("could not be reached"), "{down}");

    let no_way_in = serve_refused(&db, &[("WEFT_PASSWORD_SIGNIN", "false")]);
    assert!(
        no_way_in.contains("WEFT_PASSWORD_SIGNIN=false needs single sign-on"),
        "{no_way_in}"
    );

    let no_public_url = serve_refused(&db, &sso[..3]);
    assert!(no_public_url.contains("public"), "{no_public_url}");
}
