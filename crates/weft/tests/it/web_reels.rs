//! The reel of a search (`/search/reel`) as a browser without JavaScript sees it: the
//! moments of every matching journal in the search's order, each with the part of its
//! recording to play, never another user's; at most 100 of them, said on the page; bad
//! input answered with a sentence; and the "Play all moments" link on the results.

use crate::common::{spawn_app, Account, TestApp};
use crate::search::{entry, Entry};

/// The page at `path` as `who` sees it: its status and its HTML.
async fn page(app: &TestApp, who: &Account, path: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(path))
        .header(
            reqwest::header::COOKIE,
            format!("weft_session={}", who.token),
        )
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The values of `attribute` on the reel's moments, in order.
fn moment_data(html: &str, attribute: &str) -> Vec<String> {
    let pattern = format!(r#" {attribute}=""#);
    html.split(r#"<a class="reel-moment""#)
        .skip(1)
        .map(|moment| {
            let start = moment.find(&pattern).unwrap() + pattern.len();
            let len = moment[start..].find('"').unwrap();
            moment[start..start + len].to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_reel_plays_every_moment_of_the_search_in_its_order_and_never_another_users() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    let older = entry(
        &app,
        &jane,
        Entry {
            title: "Cliff walk",
            said: &[
                "the lighthouse at dawn",
                "gulls over the water",
                "and the lighthouse again",
            ],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    let newer = entry(
        &app,
        &jane,
        Entry {
            title: "Ferry",
            said: &["coffee first", "a lighthouse far away"],
            day: 5,
            ..Default::default()
        },
    )
    .await;
    // Found by its title only: nothing of it to play.
    entry(
        &app,
        &jane,
        Entry {
            title: "Lighthouse postcard",
            day: 3,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &bob,
        Entry {
            title: "Bob's lighthouse",
            said: &["my lighthouse"],
            ..Default::default()
        },
    )
    .await;

    let (status, results) = page(&app, &jane, "/search?q=lighthouse&sort=oldest").await;
    assert_eq!(status, 200);
    assert!(
        results.contains(r#"href="/search/reel?q=lighthouse&amp;sort=oldest""#)
            && results.contains("Play all moments"),
        "the results link their reel with the same filters: {results}"
    );

    let (status, html) = page(&app, &jane, "/search/reel?q=lighthouse&sort=oldest").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Moment 1 of 3"), "{html}");
    assert_eq!(
        moment_data(&html, "data-journal"),
        [older, older, newer].map(|id| id.to_string())
    );
    // Each segment lasts 9.5 s: from 1.5 s before it (never before 0) to 0.5 s after it.
    assert_eq!(moment_data(&html, "data-from"), ["0", "18.5", "8.5"]);
    assert_eq!(moment_data(&html, "data-to"), ["10", "30", "20"]);
    assert_eq!(
        moment_data(&html, "data-src"),
        [older, older, newer].map(|id| format!("/api/v1/journals/{id}/video"))
    );
    assert_eq!(
        moment_data(&html, "data-captions")[2],
        format!("/api/v1/journals/{newer}/transcript.vtt")
    );
    // Without the script, each moment opens its entry there, and the player has the first.
    assert!(html.contains(&format!(r#"href="/entries/{older}?t=20""#)));
    assert!(html.contains(&format!(r#"src="/api/v1/journals/{older}/video#t=0,10""#)));
    assert!(html.contains(r#"<track kind="captions""#));
    assert!(html.contains(r#"<script type="module" src="/assets/reel.js?v="#));
    assert!(!html.contains("Bob"), "another user's moments never show");
    assert!(!html.contains("Lighthouse postcard"));
    assert!(!html.contains("reel-cap"), "no cap to mention");

    // The newest first, as the search would have them.
    let (_, html) = page(&app, &jane, "/search/reel?q=lighthouse").await;
    assert_eq!(
        moment_data(&html, "data-journal"),
        [newer, older, older].map(|id| id.to_string())
    );

    // Bob's reel is his alone.
    let (_, html) = page(&app, &bob, "/search/reel?q=lighthouse").await;
    assert!(html.contains("Moment 1 of 1") && !html.contains("Cliff walk"));

    // A search whose words are in titles only has no reel.
    let (status, html) = page(&app, &jane, "/search?q=postcard").await;
    assert_eq!(status, 200);
    assert!(!html.contains("Play all moments"));
    let (status, html) = page(&app, &jane, "/search/reel?q=postcard").await;
    assert_eq!(status, 200);
    assert!(html.contains("No moment of a recording matches"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_reel_plays_at_most_100_moments_and_says_so() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let said = vec!["the lighthouse blinked"; 101];
    entry(
        &app,
        &jane,
        Entry {
            title: "A long night",
            said: &said,
            ..Default::default()
        },
    )
    .await;
    let (status, html) = page(&app, &jane, "/search/reel?q=lighthouse").await;
    assert_eq!(status, 200);
    assert!(html.contains("Moment 1 of 100"), "{html}");
    assert_eq!(moment_data(&html, "data-n").len(), 100);
    assert!(html.contains("The reel plays the first 100 moments at most"));
    app.stop().await;
}

#[tokio::test]
async fn bad_input_to_the_reel_is_answered_with_a_sentence_and_strangers_sign_in_first() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let (status, html) = page(&app, &jane, "/search/reel?q=a%00b").await;
    assert_eq!(status, 422);
    assert!(html.contains("NUL"), "{html}");
    let (status, html) = page(&app, &jane, "/search/reel?q=tea&tag=a%00b").await;
    assert_eq!(status, 422, "{html}");
    let (status, html) = page(&app, &jane, "/search/reel?q=tea&from=yesterday").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("role=\"alert\"") && html.contains("Back to the search"),
        "{html}"
    );
    let (status, html) = page(&app, &jane, "/search/reel?q=tea&sort=loudest").await;
    assert_eq!(status, 422);
    assert!(html.contains("Choose an order: best, newest or oldest."));

    // No words: the search page, to type some.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(app.url("/search/reel?q=+"))
        .header(
            reqwest::header::COOKIE,
            format!("weft_session={}", jane.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/search");

    // Someone not signed in signs in first, and comes back to the reel.
    let response = client
        .get(app.url("/search/reel?q=tea"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let to = response.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/signin?next=%2Fsearch%2Freel"), "{to}");
    app.stop().await;
}
