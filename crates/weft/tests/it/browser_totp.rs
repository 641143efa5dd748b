//! Two-factor sign-in, API tokens and a password reset link in a real browser (Chromium
//! through chromedriver): the test reads the key off the setup page as a person's app would,
//! computes the codes, and signs in with one. axe-core checks every new page at both sizes
//! and in both colour schemes; screenshots go to `target/screenshots/totp-*.png`.

use std::time::Duration;

use fantoccini::{Client, Locator};
use weft::accounts::totp;

use crate::browser_pages::{axe_script, check};
use crate::common::browser::{click, fill, screenshots, sign_up, wait_until, Browser};
use crate::common::{spawn_app, TestApp};

/// RFC 4648 base32 (the key as the page shows it) back to bytes.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.trim().chars() {
        let value = ALPHABET.find(c).expect("a base32 character") as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

fn code(secret: &[u8], offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    totp::code_at_step(secret, totp::step_at(now) + offset)
}

async fn submit(browser: &Client, form_action: &str) {
    browser
        .find(Locator::Css(&format!(
            "form[action='{form_action}'] button[type=submit]"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn wait_for(browser: &Client, selector: &str, what: &str) {
    wait_until(
        browser,
        &format!("return document.querySelector(\"{selector}\") !== null"),
        Duration::from_secs(10),
        what,
    )
    .await;
}

/// axe and the phone's width on the page as it is (`reload` none: a page a form answered).
async fn looks_right(browser: &Client, app: &TestApp, name: &str, path: Option<&str>) {
    let axe = axe_script();
    let url = path.map(|p| app.url(p));
    let problems = check(browser, &axe, name, || {
        let url = url.clone();
        async move {
            if let Some(url) = url {
                browser.goto(&url).await.unwrap();
            }
        }
    })
    .await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    screenshots(browser, &format!("totp-{name}")).await;
}

#[tokio::test]
async fn chromium_sets_up_two_factor_and_signs_in_with_a_code() {
    let app = spawn_app().await;
    let chromium = Browser::start(None).await;
    let browser = &chromium.client;
    sign_up(browser, &app, "tina").await;

    browser.goto(&app.url("/account/two-factor")).await.unwrap();
    submit(browser, "/account/two-factor/setup").await;
    wait_for(browser, "#totp-secret", "the key on the setup page").await;
    looks_right(browser, &app, "setup", Some("/account/two-factor")).await;
    let key = browser
        .find(Locator::Id("totp-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = base32_decode(&key);
    assert_eq!(secret.len(), totp::SECRET_BYTES);
    assert!(
        browser.find(Locator::Css(".qr svg")).await.is_ok(),
        "the QR code"
    );

    fill(browser, "confirm-code", &code(&secret, 0)).await;
    submit(browser, "/account/two-factor/confirm").await;
    wait_for(browser, "#recovery-codes", "the recovery codes").await;
    looks_right(browser, &app, "recovery-codes", None).await;

    // Sign out, and in again: the password, then a code (the next step's: this one is spent).
    submit(browser, "/signout").await;
    wait_for(browser, "#login", "the sign-in page").await;
    fill(browser, "login", "tina").await;
    fill(browser, "password", "password-of-tina").await;
    submit(browser, "/signin").await;
    wait_for(browser, "#code", "the second step").await;
    looks_right(browser, &app, "second-step", None).await;
    fill(browser, "code", &code(&secret, 1)).await;
    submit(browser, "/signin/second-factor").await;
    wait_until(
        browser,
        "return location.pathname === '/'",
        Duration::from_secs(10),
        "the timeline after the code",
    )
    .await;

    // An API token, shown once.
    browser.goto(&app.url("/account")).await.unwrap();
    looks_right(browser, &app, "account", Some("/account")).await;
    fill(browser, "token-name", "Phone shortcut").await;
    submit(browser, "/account/tokens").await;
    wait_for(browser, "#new-token", "the new token").await;
    looks_right(browser, &app, "new-token", None).await;
    let secret_token = browser
        .find(Locator::Id("new-token"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(app.get_as(&secret_token, "/api/v1/me").await.status(), 200);

    // A reset link from the operator.
    let user: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'tina'")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    let link = weft::accounts::reset::create_link(&app.db.pool, user, chrono::Duration::hours(1))
        .await
        .unwrap();
    let path = format!("/reset/{link}");
    browser.goto(&app.url(&path)).await.unwrap();
    looks_right(browser, &app, "reset", Some(&path)).await;
    fill(browser, "password", "a brand new password").await;
    fill(browser, "repeat", "a brand new password").await;
    click(browser, "password").await;
    submit(browser, &path).await;
    wait_until(
        browser,
        "return location.search === '?done=reset'",
        Duration::from_secs(10),
        "the sign-in page after the reset",
    )
    .await;

    chromium.close().await;
    app.stop().await;
}
