//! Chromium signs in with single sign-on end to end: Weft's sign-in page (checked by
//! axe-core with the button on it), the real OpenID provider's own form, and back to Weft's
//! timeline, signed in, with the session marked on the account page.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser_pages::{axe_script, check_path, open};
use crate::common::browser::{click, screenshot, wait_until, Browser};
use crate::common::oidc::{spawn_sso_app, Mode, SsoApp};

#[tokio::test]
async fn chromium_signs_in_with_single_sign_on() {
    let SsoApp { app, provider } = spawn_sso_app(Mode::Normal, |_, _| {}).await;
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let client = &browser.client;

    let problems = check_path(client, &app, &axe, "signin-sso", "/signin").await;
    assert!(problems.is_empty(), "{problems:#?}");

    open(client, &app, "/signin").await;
    click(client, "sso-signin").await;
    wait_until(
        client,
        "return !!document.querySelector('input[name=login]')",
        Duration::from_secs(15),
        "the provider's sign-in form",
    )
    .await;
    assert!(client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(&provider.issuer));
    let login = client
        .find(Locator::Css("input[name=login]"))
        .await
        .unwrap();
    login.send_keys("grace").await.unwrap();
    let password = client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap();
    password.send_keys("anything").await.unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let port = app.address.rsplit(':').next().unwrap().to_string();
    wait_until(
        client,
        &format!(
            "return location.port === '{port}' && location.pathname === '/' && \
             !!document.querySelector('form[action=\"/signout\"]')"
        ),
        Duration::from_secs(15),
        "Weft's timeline, signed in",
    )
    .await;
    screenshot(client, "oidc-signed-in.png").await;

    open(client, &app, "/account").await;
    let text = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Linked to Test ID as grace@example.com"),
        "{text}"
    );
    assert!(text.contains("Single sign-on"), "{text}");
    screenshot(client, "oidc-account.png").await;
    browser.close().await;
}
