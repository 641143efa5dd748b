//! Search in a real browser (Chromium through chromedriver): the count, a filter, "did you
//! mean", focus on the results heading after each search, the `/` shortcut from the
//! timeline, and no sideways scrolling at phone width. Screenshots `search-results` and
//! `search-filters` go to `target/screenshots/`.

use std::time::Duration;

use crate::common::browser::{fill, screenshots, sign_up, wait_until, Browser};
use crate::common::{spawn_app, Account};
use crate::search::{entry, Entry};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use serde_json::Value;
use uuid::Uuid;

/// How long a page may take to answer.
const WAIT: Duration = Duration::from_secs(10);

/// Waits for a search page whose focused element is the results heading, and returns the
/// heading's text.
async fn focused_heading(browser: &Client, what: &str) -> String {
    let text = wait_until(
        browser,
        "const h = document.activeElement; \
         return h && h.id === 'results-heading' && document.readyState === 'complete' && h.textContent",
        WAIT,
        what,
    )
    .await;
    text.as_str().unwrap().to_string()
}

/// The titles of the results on the page, in order.
async fn result_titles(browser: &Client) -> Vec<String> {
    let titles = browser
        .execute(
            "return [...document.querySelectorAll('.result h3')].map(h => h.textContent.trim())",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(titles).unwrap()
}

/// Whether the page scrolls sideways at its current width.
async fn fits_the_width(browser: &Client) -> bool {
    browser
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap()
        == Value::Bool(true)
}

#[tokio::test]
async fn searching_filtering_did_you_mean_focus_and_the_slash_shortcut_work_in_a_browser() {
    let app = spawn_app().await;
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "sam").await;
    let id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'sam'")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    let sam = Account {
        id: id.to_string(),
        username: "sam".into(),
        email: "sam@example.com".into(),
        password: String::new(),
        token: String::new(),
        csrf: String::new(),
    };
    for (n, (title, said, tags)) in [
        (
            "Harbour walk",
            "the boats in the harbour at dawn",
            &["sea"][..],
        ),
        ("Tuesday", "my sister came round for tea", &["family"][..]),
        ("Sea swim", "cold water near the harbor wall", &["sea"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        entry(
            &app,
            &sam,
            Entry {
                title,
                said: &[said],
                tags,
                day: n as i64,
                ..Default::default()
            },
        )
        .await;
    }

    // "/" on the timeline goes to the search box.
    client.goto(&app.url("/")).await.unwrap();
    wait_until(
        client,
        "return document.readyState === 'complete'",
        WAIT,
        "the timeline",
    )
    .await;
    let slash = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '/' })
        .then(KeyAction::Up { value: '/' });
    client.perform_actions(slash).await.unwrap();
    wait_until(
        client,
        "return location.pathname === '/search' && document.activeElement \
                && document.activeElement.id === 'q'",
        WAIT,
        "the search box focused after pressing /",
    )
    .await;
    let h1: Value = client
        .execute("return document.querySelector('h1').textContent", vec![])
        .await
        .unwrap();
    assert_eq!(h1, "Search");

    // A search: the count, both spellings, focus on the results heading.
    fill(client, "q", "harbour").await;
    client
        .find(Locator::Css("form.search-box button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = focused_heading(client, "the results of harbour").await;
    assert_eq!(heading, "2 results for “harbour”");
    assert_eq!(
        result_titles(client).await,
        vec!["Harbour walk", "Sea swim"]
    );
    client.set_window_size(390, 844).await.unwrap();
    assert!(fits_the_width(client).await, "no sideways scroll at 390 px");
    screenshots(client, "search-results").await;

    // A filter: only titles. Choosing it runs the search again.
    client
        .find(Locator::Id("scope"))
        .await
        .unwrap()
        .select_by_value("titles")
        .await
        .unwrap();
    wait_until(
        client,
        "return location.search.includes('scope=titles')",
        WAIT,
        "the search again, in titles only",
    )
    .await;
    let heading = focused_heading(client, "the results in titles").await;
    assert_eq!(heading, "1 result for “harbour”");
    assert_eq!(result_titles(client).await, vec!["Harbour walk"]);
    client.set_window_size(390, 844).await.unwrap();
    assert!(fits_the_width(client).await, "no sideways scroll at 390 px");
    screenshots(client, "search-filters").await;

    // A misspelling: the suggestion is a link that runs it.
    client
        .find(Locator::Id("scope"))
        .await
        .unwrap()
        .select_by_value("all")
        .await
        .unwrap();
    wait_until(
        client,
        "return location.search.includes('scope=all')",
        WAIT,
        "the search again, everywhere",
    )
    .await;
    fill(client, "q", "sistr").await;
    client
        .find(Locator::Css("form.search-box button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        client,
        "return location.search.includes('q=sistr') && document.getElementById('suggestion')",
        WAIT,
        "the suggestion for sistr",
    )
    .await;
    client
        .find(Locator::Id("suggestion"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        client,
        "return location.search.includes('q=sister')",
        WAIT,
        "the suggested search",
    )
    .await;
    let heading = focused_heading(client, "the results of the suggestion").await;
    assert_eq!(heading, "1 result for “sister”");
    assert_eq!(result_titles(client).await, vec!["Tuesday"]);
    let marked: Value = client
        .execute(
            "return document.querySelector('.moment .text mark').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(marked, "sister");

    browser.close().await;
    app.stop().await;
}
