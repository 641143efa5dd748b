//! Kept search pages (issue 23): a search asked again while nothing changed is answered
//! from memory, and only to its own user, for its own request, at its own version.

use crate::common::{spawn_app, Account, TestApp};
use crate::search::{entry, Entry};
use serde_json::Value;

/// A search with these parameters: its status and body.
async fn ask(app: &TestApp, who: &Account, params: &[(&str, &str)]) -> (u16, Value) {
    let url = reqwest::Url::parse_with_params(&app.url("/api/v1/search"), params).unwrap();
    let response = app
        .client
        .get(url)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn titles(body: &Value) -> Vec<String> {
    let mut titles: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["journal"]["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn a_search_asked_again_is_kept_for_its_user_and_follows_every_change() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let said = &["we walked down to the harbour at dawn"];
    entry(
        &app,
        &alice,
        Entry {
            title: "Alice harbour",
            said,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &bob,
        Entry {
            title: "Bob harbour",
            said,
            ..Default::default()
        },
    )
    .await;

    let query = [("q", "harbour")];
    let (status, first) = ask(&app, &alice, &query).await;
    assert_eq!(status, 200, "{first}");
    let (_, again) = ask(&app, &alice, &query).await;
    assert_eq!(again, first, "asked again unchanged: the same page");
    assert_eq!(titles(&again), vec!["Alice harbour"]);

    // The same query by another user is never answered with Alice's kept page.
    let (_, bobs) = ask(&app, &bob, &query).await;
    assert_eq!(titles(&bobs), vec!["Bob harbour"]);

    // A journal written after the page was kept is found at once (its insert bumps the
    // timeline version in the same transaction).
    entry(
        &app,
        &alice,
        Entry {
            title: "Second harbour",
            said,
            day: 1,
            ..Default::default()
        },
    )
    .await;
    let (_, after) = ask(&app, &alice, &query).await;
    assert_eq!(titles(&after), vec!["Alice harbour", "Second harbour"]);

    // Another limit is another request: never the kept page of the first.
    let (_, one) = ask(&app, &alice, &[("q", "harbour"), ("limit", "1")]).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert!(one["nextCursor"].is_string(), "{one}");
    let (_, two) = ask(&app, &alice, &[("q", "harbour"), ("limit", "2")]).await;
    assert_eq!(two["items"].as_array().unwrap().len(), 2);

    // Bad input is refused every time, never kept: a NUL byte in the query, a bad limit.
    for _ in 0..2 {
        let (status, body) = ask(&app, &alice, &[("q", "harbour\0"), ("limit", "0")]).await;
        assert_eq!(status, 422, "{body}");
    }
}
