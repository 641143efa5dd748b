//! A phrase reel in a real browser (Chromium through chromedriver): from the search results,
//! "Play all moments" plays three moments of two journals (a video and a sound recording)
//! back to back, each from a little before it, with its journal's captions, the current one
//! marked in the list and "Moment n of 3" said; the keyboard and the buttons move through
//! it. The reel at a laptop's and a phone's size, light and dark, passes axe-core and does
//! not scroll sideways; screenshots go to `target/screenshots/page-reel-*.png`.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::browser_pages::{axe_script, check, open};
use crate::common::browser::{sign_up, wait_until, Browser};
use crate::common::media::{self, AudioFormat, Container};
use crate::common::{self, TestApp};
use crate::web_pages::transcript;

/// A journal uploaded as jane from `file`, made `day` days old, with the transcript `lines`.
async fn journal(
    app: &TestApp,
    token: &str,
    user: Uuid,
    file: &std::path::Path,
    title: &str,
    day: i32,
    lines: &[(f64, f64, &str)],
) -> Uuid {
    let uploaded = app.upload_journal(token, file, &[("title", title)]).await;
    let id: Uuid = uploaded["id"].as_str().unwrap().parse().unwrap();
    let moved = sqlx::query(
        "UPDATE journals SET created_at = now() - make_interval(days => $2) WHERE id = $1",
    )
    .bind(id)
    .bind(day)
    .execute(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(moved.rows_affected(), 1);
    transcript(app, user, id, lines).await;
    id
}

/// Waits until moment `n` of 3 plays in the `element` player from `journal`'s recording,
/// between `from` and `to`; returns its current time and its captions track's URL.
async fn playing(
    client: &Client,
    n: usize,
    element: &str,
    journal: Uuid,
    from: f64,
    to: f64,
) -> (f64, String) {
    let script = format!(
        "const p = document.getElementById('{element}'); \
         const current = document.querySelector('a.reel-moment[aria-current=true]'); \
         const track = p.querySelector('track[kind=captions]'); \
         return document.getElementById('reel-count').textContent === 'Moment {n} of 3' \
             && current && current.dataset.n === '{n}' \
             && !p.closest('[hidden]') && !p.paused && !p.seeking \
             && p.currentSrc.includes('/api/v1/journals/{journal}/video') \
             && p.currentTime >= {from} - 0.1 && p.currentTime < {to} \
             && [p.currentTime, track ? track.getAttribute('src') : '']"
    );
    let found = wait_until(
        client,
        &script,
        Duration::from_secs(20),
        &format!("moment {n} playing from {from} in the {element} player"),
    )
    .await;
    (
        found[0].as_f64().unwrap(),
        found[1].as_str().unwrap().to_string(),
    )
}

async fn press(client: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reel_plays_three_moments_of_two_journals_back_to_back_and_passes_axe() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "jane").await;
    let login: Value = app
        .login("jane", "password-of-jane")
        .await
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'jane'")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 20);
    let sound = media::test_audio(dir.path(), AudioFormat::M4a, 12);
    let walk = journal(
        &app,
        token,
        user,
        &video,
        "Cliff walk",
        2,
        &[
            (0.0, 2.0, "Good morning."),
            (4.0, 6.0, "The lighthouse was bright."),
            (8.0, 10.0, "Then breakfast."),
            (12.0, 14.0, "Back at the lighthouse again."),
            (16.0, 18.0, "Home."),
        ],
    )
    .await;
    let memo = journal(
        &app,
        token,
        user,
        &sound,
        "Voice memo on the ferry",
        1,
        &[
            (0.0, 2.0, "Gulls."),
            (5.0, 7.0, "A lighthouse far away."),
            (8.0, 10.0, "Done."),
        ],
    )
    .await;

    // The results offer the reel, with their order.
    open(client, &app, "/search?q=lighthouse&sort=oldest").await;
    client
        .find(Locator::Id("play-reel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        client,
        "return location.pathname === '/search/reel' && location.search.includes('sort=oldest')",
        Duration::from_secs(10),
        "the reel of the search",
    )
    .await;

    // Each moment from 1.5 s before its words to 0.5 s after them, one after another.
    let expected = [
        (1, "reel-video", walk, 2.5, 6.5),
        (2, "reel-video", walk, 10.5, 14.5),
        (3, "reel-audio", memo, 3.5, 7.5),
    ];
    for (n, element, journal, from, to) in expected {
        let (at, captions) = playing(client, n, element, journal, from, to).await;
        assert!(
            at < from + 1.5,
            "moment {n} plays from near its start ({from}), not from {at}"
        );
        assert_eq!(
            captions,
            format!("/api/v1/journals/{journal}/transcript.vtt"),
            "moment {n} has its journal's captions"
        );
    }
    let showing = client
        .execute(
            "const v = document.getElementById('reel-video'); \
             return [v.textTracks.length, v.textTracks[0].mode, \
                     document.getElementById('reel-video-wrap').hidden]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        showing,
        json!([1, "showing", true]),
        "the video's captions shown"
    );
    // After the last moment, the reel stops.
    wait_until(
        client,
        "const p = document.getElementById('reel-audio'); return p.paused && p.currentTime >= 7.2",
        Duration::from_secs(15),
        "the reel stopped after its last moment",
    )
    .await;

    // The keyboard and the buttons: j goes back to moment 2, in the video player again.
    press(client, 'j').await;
    playing(client, 2, "reel-video", walk, 10.5, 14.5).await;
    client
        .find(Locator::Id("reel-prev"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    playing(client, 1, "reel-video", walk, 2.5, 6.5).await;
    let disabled = client
        .execute(
            "return [document.getElementById('reel-prev').disabled, \
                     document.getElementById('reel-next').disabled]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(disabled, json!([true, false]));
    press(client, 'l').await;
    playing(client, 2, "reel-video", walk, 10.5, 14.5).await;

    let path = "/search/reel?q=lighthouse&sort=oldest";
    let problems = check(client, &axe, "reel", || open(client, &app, path)).await;
    browser.close().await;
    app.stop().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
