//! Two-factor sign-in with TOTP, through the real pages, the API and the `weft` binary: setup
//! confirmed by a code, sign-in asking for it, wrong codes throttled, a code never used
//! twice, recovery codes once each, turning it off, and the operator's reset. (The RFC 6238
//! test vectors are unit tests of `accounts::totp`.)

use reqwest::StatusCode;
use uuid::Uuid;
use weft::accounts::totp;

use crate::common::forms::NoScript;
use crate::common::{cli, spawn_app, TestApp};

/// The code of `secret` `offset` steps from now.
pub fn code(secret: &[u8], offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    totp::code_at_step(secret, totp::step_at(now) + offset)
}

/// Forgets which step was used last, as if the clock had moved on: lets a test use the
/// codes of now again without waiting 30 seconds.
async fn next_step(app: &TestApp, user: Uuid) {
    sqlx::query("UPDATE totp_secrets SET last_step = NULL WHERE user_id = $1")
        .bind(user)
        .execute(&app.db.admin)
        .await
        .unwrap();
}

async fn secret_of(app: &TestApp, user: Uuid) -> Vec<u8> {
    sqlx::query_scalar("SELECT secret FROM totp_secrets WHERE user_id = $1")
        .bind(user)
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// The recovery codes on the page shown after confirming.
fn recovery_codes(html: &str) -> Vec<String> {
    let list = html
        .split_once(r#"id="recovery-codes""#)
        .expect("the recovery code list")
        .1
        .split_once("</ul>")
        .unwrap()
        .0;
    list.split("<code>")
        .skip(1)
        .map(|part| part.split_once("</code>").unwrap().0.to_string())
        .collect()
}

/// Signs `username` up and turns two-factor sign-in on through the pages: the browser, the
/// user's id, the secret, and the recovery codes.
pub async fn with_two_factor(
    app: &TestApp,
    username: &str,
) -> (NoScript, Uuid, Vec<u8>, Vec<String>) {
    let (mut browser, id) = NoScript::signed_up(app, username).await;
    let account = browser.page("/account", StatusCode::OK).await;
    assert!(account.contains("Set up two-factor sign-in"));
    let started = browser.submit("/account/two-factor/setup", &[]).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let setup = browser.page("/account/two-factor", StatusCode::OK).await;
    let secret = secret_of(app, id).await;
    assert!(setup.contains("<svg"), "the QR code is drawn inline");
    assert!(
        setup.contains(&totp::base32(&secret)),
        "the key is shown in text"
    );
    assert!(setup.contains("otpauth://totp/Weft"), "{setup}");
    // Not in effect before the code confirms it.
    let login = app
        .login(username, &format!("password-of-{username}"))
        .await;
    assert_eq!(
        login.status(),
        200,
        "an unconfirmed app does not change sign-in"
    );

    let wrong = browser
        .submit("/account/two-factor/confirm", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("code is not right"));

    let confirmed = browser
        .submit(
            "/account/two-factor/confirm",
            &[("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let codes = recovery_codes(&confirmed.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(stored, 10);
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND code_hash = convert_to($2, 'UTF8')",
    )
    .bind(id)
    .bind(&codes[0])
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(plain, 0, "recovery codes are stored hashed");
    next_step(app, id).await;
    // The wrong code above counted against the account: each test starts from none.
    sqlx::query("DELETE FROM login_throttle")
        .execute(&app.db.admin)
        .await
        .unwrap();
    (browser, id, secret, codes)
}

/// Signs in through the form; the second step's page.
async fn password_step(app: &TestApp, username: &str) -> (NoScript, String) {
    let mut browser = NoScript::new(app);
    let password = format!("password-of-{username}");
    let response = browser
        .post("/signin", &[("login", username), ("password", &password)])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the second step, not a redirect"
    );
    assert!(
        browser.cookie("weft_session").is_empty(),
        "no session before the code"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("One more step"));
    let challenge = html
        .split_once(r#"name="challenge" value=""#)
        .unwrap()
        .1
        .split_once('"')
        .unwrap()
        .0
        .to_string();
    (browser, challenge)
}

#[tokio::test]
async fn signing_in_asks_for_the_code_and_a_code_counts_once() {
    let app = spawn_app().await;
    let (_, id, secret, _) = with_two_factor(&app, "tess").await;

    let (mut browser, challenge) = password_step(&app, "tess").await;
    let now = code(&secret, 0);
    let signed_in = browser
        .post(
            "/signin/second-factor",
            &[
                ("challenge", &challenge),
                ("code", &now),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/account");
    assert!(!browser.cookie("weft_session").is_empty());
    browser.page("/account", StatusCode::OK).await;

    // The same code again, on a fresh sign-in, is refused: its step is spent.
    let (mut again, challenge) = password_step(&app, "tess").await;
    let reused = again
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &now)],
        )
        .await;
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.cookie("weft_session").is_empty());
    // So is an earlier step's code.
    let earlier = again
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &code(&secret, -1))],
        )
        .await;
    assert_eq!(earlier.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A challenge is answered once.
    next_step(&app, id).await;
    let answered = NoScript::new(&app)
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let replayed = NoScript::new(&app)
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &code(&secret, 1))],
        )
        .await;
    assert_eq!(replayed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replayed
        .text()
        .await
        .unwrap()
        .contains("sign in with your password again"));
    app.stop().await;
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_wrong_passwords() {
    let app = spawn_app().await;
    let (_, _, secret, _) = with_two_factor(&app, "wren").await;
    let (mut browser, challenge) = password_step(&app, "wren").await;
    // The default allows five failures per account in the window.
    for _ in 0..5 {
        let wrong = browser
            .post(
                "/signin/second-factor",
                &[("challenge", &challenge), ("code", "123456")],
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let blocked = browser
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    // A right password does not clear the count of wrong codes.
    let password = app.login("wren", "password-of-wren").await;
    assert_eq!(password.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let (_, _, _, codes) = with_two_factor(&app, "remy").await;
    let (mut first, challenge) = password_step(&app, "remy").await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let used = first
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &typed)],
        )
        .await;
    assert_eq!(
        used.status(),
        StatusCode::SEE_OTHER,
        "typed loosely, it still works"
    );

    let (mut second, challenge) = password_step(&app, "remy").await;
    let again = second
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &codes[3])],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other = second
        .post(
            "/signin/second-factor",
            &[("challenge", &challenge), ("code", &codes[4])],
        )
        .await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
    let page = second.page("/account/two-factor", StatusCode::OK).await;
    assert!(
        page.contains("<strong>8</strong> unused recovery codes"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code() {
    let app = spawn_app().await;
    let (mut browser, id, secret, _) = with_two_factor(&app, "otto").await;
    let no_password = browser
        .submit(
            "/account/two-factor/disable",
            &[("password", "not-it-at-all"), ("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(no_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_code = browser
        .submit(
            "/account/two-factor/disable",
            &[("password", "password-of-otto"), ("code", "999999")],
        )
        .await;
    assert_eq!(no_code.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let nul = browser
        .submit(
            "/account/two-factor/disable",
            &[("password", "password-of-otto"), ("code", "12\u{0}456")],
        )
        .await;
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let still_on: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM totp_secrets WHERE user_id = $1)")
            .bind(id)
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    assert!(still_on);

    // Without the CSRF field, nothing happens.
    let forged = browser
        .post(
            "/account/two-factor/disable",
            &[
                ("password", "password-of-otto"),
                ("code", &code(&secret, 0)),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let off = browser
        .submit(
            "/account/two-factor/disable",
            &[
                ("password", "password-of-otto"),
                ("code", &code(&secret, 0)),
            ],
        )
        .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let login = app.login("otto", "password-of-otto").await;
    assert_eq!(login.status(), 200, "the password alone signs in again");
    let codes: i64 = sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(codes, 0);
    app.stop().await;
}

#[tokio::test]
async fn the_setup_forms_refuse_a_post_without_the_csrf_field() {
    let app = spawn_app().await;
    let (mut browser, id) = NoScript::signed_up(&app, "cass").await;
    for path in ["/account/two-factor/setup", "/account/two-factor/confirm"] {
        let forged = browser.post(path, &[("code", "123456")]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM totp_secrets WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    app.stop().await;
}

#[tokio::test]
async fn the_operator_resets_a_users_two_factor() {
    let app = spawn_app().await;
    with_two_factor(&app, "lola").await;
    let before = app.login("lola", "password-of-lola").await;
    assert_eq!(before.status(), 401);

    let reset = cli::weft(&app.db, &["user", "reset-2fa", "lola"], &[]);
    cli::assert_success(&reset);
    assert!(cli::stdout(&reset).contains("two-factor sign-in of lola is off"));
    let after = app.login("lola", "password-of-lola").await;
    assert_eq!(after.status(), 200);

    let again = cli::weft(&app.db, &["user", "reset-2fa", "lola"], &[]);
    cli::assert_success(&again);
    assert!(cli::stdout(&again).contains("nothing changed"));
    let nobody = cli::weft(&app.db, &["user", "reset-2fa", "nobody"], &[]);
    assert!(!nobody.status.success());
    assert!(cli::output_text(&nobody).contains("no account with the username or email nobody"));
    app.stop().await;
}

#[tokio::test]
async fn api_clients_get_the_same_second_step() {
    let app = spawn_app().await;
    let (_, id, secret, codes) = with_two_factor(&app, "abel").await;
    let first = app.login("abel", "password-of-abel").await;
    assert_eq!(first.status(), 401);
    let body: serde_json::Value = first.json().await.unwrap();
    assert_eq!(body["error"]["code"], "second_factor_required", "{body}");
    assert!(body.get("token").is_none(), "no session yet");
    let challenge = body["challenge"].as_str().unwrap().to_string();
    assert!(body["expiresAt"].is_string());

    let step = |challenge: String, code: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/second-factor");
        async move {
            client
                .post(url)
                .json(&serde_json::json!({ "challenge": challenge, "code": code }))
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = step(challenge.clone(), "000000".into()).await;
    assert_eq!(wrong.status(), 422);
    let wrong: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(wrong["error"]["field"], "code");

    let nul = step(challenge.clone(), "12\u{0}456".into()).await;
    assert_eq!(nul.status(), 422);

    let signed_in = step(challenge.clone(), code(&secret, 0)).await;
    assert_eq!(signed_in.status(), 200);
    let signed_in: serde_json::Value = signed_in.json().await.unwrap();
    let token = signed_in["token"].as_str().unwrap();
    assert_eq!(app.get_as(token, "/api/v1/me").await.status(), 200);

    let replayed = step(challenge, code(&secret, 1)).await;
    assert_eq!(replayed.status(), 422);
    let replayed: serde_json::Value = replayed.json().await.unwrap();
    assert_eq!(replayed["error"]["field"], "challenge");

    // A recovery code answers too.
    next_step(&app, id).await;
    let second: serde_json::Value = app
        .login("abel", "password-of-abel")
        .await
        .json()
        .await
        .unwrap();
    let by_recovery = step(
        second["challenge"].as_str().unwrap().into(),
        codes[0].clone(),
    )
    .await;
    assert_eq!(by_recovery.status(), 200);
    app.stop().await;
}
