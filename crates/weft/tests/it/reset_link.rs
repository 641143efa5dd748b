//! Password reset by an operator's link: `weft user reset-link NAME` prints it, the page
//! takes a new password once, the link expires, every session is signed out, and
//! `WEFT_PASSWORD_RESET=off` turns it all off.

use reqwest::StatusCode;

use crate::common::forms::NoScript;
use crate::common::{cli, fresh_db, spawn_app, spawn_app_with, TestApp};

const PUBLIC_URL: &str = "https://weft.example.org/journal";

/// Runs `weft user reset-link LOGIN` and returns the path of the printed link.
fn reset_link(app: &TestApp, login: &str, extra: &[&str]) -> String {
    let mut args = vec!["user", "reset-link", login];
    args.extend_from_slice(extra);
    let output = cli::weft(&app.db, &args, &[("WEFT_PUBLIC_URL", PUBLIC_URL)]);
    cli::assert_success(&output);
    let link = cli::stdout(&output).trim().to_string();
    let prefix = format!("{PUBLIC_URL}/reset/");
    assert!(link.starts_with(&prefix), "{link}");
    assert!(cli::stderr(&output).contains("single-use"));
    format!("/reset/{}", &link[prefix.len()..])
}

#[tokio::test]
async fn a_link_sets_a_new_password_once_and_signs_every_session_out() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let (mut elsewhere, _) = NoScript::signed_up(&app, "other").await;
    let path = reset_link(&app, "JANE@example.com", &[]);

    let mut browser = NoScript::new(&app);
    let page = browser.page(&path, StatusCode::OK).await;
    assert!(page.contains("Choose a new password"));
    assert!(page.contains("jane"));

    let differ = browser
        .post(
            &path,
            &[("password", "a new password"), ("repeat", "another one")],
        )
        .await;
    assert_eq!(differ.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let short = browser
        .post(&path, &[("password", "short"), ("repeat", "short")])
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let nul = browser
        .post(
            &path,
            &[
                ("password", "a new\u{0}password"),
                ("repeat", "a new\u{0}password"),
            ],
        )
        .await;
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A form from another site is refused.
    let cross = browser
        .send(
            browser
                .request(reqwest::Method::POST, &path)
                .header("origin", "https://evil.example")
                .form(&[("password", "a new password"), ("repeat", "a new password")]),
        )
        .await;
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_as(&jane.token, "/api/v1/me").await.status(),
        200,
        "nothing changed yet"
    );

    let done = browser
        .post(
            &path,
            &[("password", "a new password"), ("repeat", "a new password")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/signin?done=reset");
    assert_eq!(
        app.get_as(&jane.token, "/api/v1/me").await.status(),
        401,
        "signed out"
    );
    assert_eq!(app.login("jane", "password-of-jane").await.status(), 401);
    assert_eq!(app.login("jane", "a new password").await.status(), 200);
    // Other accounts keep their sessions.
    elsewhere.page("/account", StatusCode::OK).await;

    // Used once.
    assert_eq!(browser.get(&path).await.status(), StatusCode::NOT_FOUND);
    let again = browser
        .post(
            &path,
            &[("password", "third password"), ("repeat", "third password")],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(again.text().await.unwrap().contains("Ask your server"));
    assert_eq!(app.login("jane", "a new password").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_link_expires_and_a_newer_one_replaces_it() {
    let app = spawn_app().await;
    app.register("jane").await;
    let old = reset_link(&app, "jane", &["--hours", "2"]);
    let new = reset_link(&app, "jane", &[]);
    let mut browser = NoScript::new(&app);
    assert_eq!(browser.get(&old).await.status(), StatusCode::NOT_FOUND);
    browser.page(&new, StatusCode::OK).await;
    sqlx::query("UPDATE password_reset_links SET expires_at = now() - interval '1 second'")
        .execute(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(browser.get(&new).await.status(), StatusCode::NOT_FOUND);
    let late = browser
        .post(
            &new,
            &[("password", "a new password"), ("repeat", "a new password")],
        )
        .await;
    assert_eq!(late.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.login("jane", "password-of-jane").await.status(), 200);
    assert_eq!(
        browser.get("/reset/made-up").await.status(),
        StatusCode::NOT_FOUND
    );

    let nobody = cli::weft(
        &app.db,
        &["user", "reset-link", "nobody"],
        &[("WEFT_PUBLIC_URL", PUBLIC_URL)],
    );
    assert!(!nobody.status.success());
    let no_url = cli::weft(&app.db, &["user", "reset-link", "jane"], &[]);
    assert!(!no_url.status.success());
    assert!(
        cli::output_text(&no_url).contains("public-url"),
        "{}",
        cli::output_text(&no_url)
    );
    app.stop().await;
}

#[tokio::test]
async fn with_password_reset_off_no_link_is_made_or_taken() {
    let app = spawn_app_with(fresh_db().await, |context| {
        let mut auth = crate::common::test_auth();
        auth.reset_links = false;
        weft::api::ApiContext {
            auth: std::sync::Arc::new(auth),
            ..context
        }
    })
    .await;
    app.register("jane").await;
    let refused = cli::weft(
        &app.db,
        &["user", "reset-link", "jane"],
        &[
            ("WEFT_PUBLIC_URL", PUBLIC_URL),
            ("WEFT_PASSWORD_RESET", "off"),
        ],
    );
    assert!(!refused.status.success());
    assert!(cli::output_text(&refused).contains("turned off"));
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM password_reset_links")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(made, 0);

    // A link made while it was on is not taken by a server where it is off.
    let path = reset_link(&app, "jane", &[]);
    let mut browser = NoScript::new(&app);
    let page = browser.get(&path).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("turned off"));
    let post = browser
        .post(
            &path,
            &[("password", "a new password"), ("repeat", "a new password")],
        )
        .await;
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.login("jane", "password-of-jane").await.status(), 200);
    app.stop().await;
}
