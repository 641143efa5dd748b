//! The entry page in a real browser (Chromium through chromedriver), with a transcript that
//! Whisper made of a spoken video: a search moment plays from a second before it with one
//! caption at a time and its word highlighted; a correction longer than its box shows whole
//! and is saved with a word that says so; the player stays in view while the transcript
//! scrolls, at laptop and phone width, and the phone page never scrolls sideways.
//! Screenshots: `entry-playing`, `entry-versions`, `entry-phone-scrolled`.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::common::browser::{
    app_with_a_worker, screenshot_dir, screenshots, sign_up, wait_until, Browser,
};
use crate::common::media;

const SENTENCES: [&str; 3] = [
    "The lighthouse keeper painted the door green.",
    "Tomorrow we travel to the mountains by train.",
    "In the evening we cook fish by the harbour.",
];

/// Whether the player is wholly inside the window, after the page and the transcript were
/// scrolled as far down as they go.
const PLAYER_IN_VIEW: &str = "window.scrollTo(0, document.documentElement.scrollHeight); \
     const list = document.getElementById('segments'); list.scrollTop = list.scrollHeight; \
     const r = document.getElementById('player').getBoundingClientRect(); \
     return [r.top >= -1 && r.bottom <= innerHeight + 1 && r.height > 0, r.top, r.bottom, \
             innerHeight, scrollY, document.documentElement.scrollWidth, innerWidth]";

async fn run(browser: &Client, script: &str) -> Value {
    browser.execute(script, vec![]).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_plays_a_moment_shows_corrections_whole_and_keeps_the_player_in_view() {
    let (app, shutdown, workers) = app_with_a_worker().await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video_with_pauses(dir.path(), &SENTENCES);
    let browser = Browser::start(None).await;
    let page = &browser.client;
    sign_up(page, &app, "jane").await;
    let login: Value = app
        .login("jane", "password-of-jane")
        .await
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let journal = app
        .upload_journal(token, &video, &[("title", "By the sea")])
        .await;
    let id = journal["id"].as_str().unwrap();
    let done = app
        .wait_for_transcript(token, id, "done", Duration::from_secs(300))
        .await;

    // A moment of the second line, as a search result links it: its first word.
    let segments = done["transcript"]["segments"].as_array().unwrap();
    let line = segments
        .iter()
        .find(|s| s["start"].as_f64().unwrap() > 2.0 && !s["words"].as_array().unwrap().is_empty())
        .unwrap_or_else(|| panic!("a later line with words: {segments:?}"));
    let moment = line["words"][0]["start"].as_f64().unwrap();
    page.goto(&app.url(&format!("/entries/{id}?t={moment}")))
        .await
        .unwrap();

    // It plays by itself, from a second before the moment.
    let played_from = wait_until(
        page,
        "const v = document.getElementById('player'); \
         return !v.paused && v.played.length > 0 && v.played.start(0)",
        Duration::from_secs(20),
        "the video playing",
    )
    .await
    .as_f64()
    .unwrap();
    let expected = (moment - 1.0).max(0.0);
    assert!(
        (played_from - expected).abs() < 0.2,
        "played from {played_from} s; the moment is at {moment} s"
    );
    // Through the moment: never two captions at once, and the moment's word highlighted.
    run(
        page,
        "const v = document.getElementById('player'); window.cues = []; window.lit = false; \
         setInterval(() => { const t = v.textTracks[0]; \
             window.cues.push(t.activeCues ? t.activeCues.length : -1); \
             if (document.querySelector('#segments .w.moment.now')) window.lit = true; }, 20);",
    )
    .await;
    let seen = wait_until(
        page,
        &format!(
            "const v = document.getElementById('player'); \
             return v.currentTime > {moment} + 0.8 && [window.lit, Math.max(...window.cues), \
                 window.cues.filter(n => n === 1).length, v.textTracks[0].mode]"
        ),
        Duration::from_secs(20),
        "the video past the moment",
    )
    .await;
    println!("moment {moment} s, played from {played_from} s: {seen}");
    assert_eq!(seen[0], true, "the moment's word was highlighted");
    assert_eq!(seen[1], 1, "at most one caption at a time, and one showed");
    assert_eq!(seen[3], "showing");
    screenshots(page, "entry-playing").await;
    // On the boundary between two lines, one caption only.
    let boundary = wait_until(
        page,
        &format!(
            "const v = document.getElementById('player'); v.pause(); \
             if (!window.atBoundary) {{ window.atBoundary = true; \
                 v.addEventListener('seeked', () => setTimeout(() => {{ \
                     window.boundaryCues = v.textTracks[0].activeCues.length; }}, 100), {{ once: true }}); \
                 v.currentTime = {}; }} \
             return window.boundaryCues !== undefined && [window.boundaryCues]",
            line["start"].as_f64().unwrap()
        ),
        Duration::from_secs(10),
        "the video at the start of the line",
    )
    .await;
    assert_eq!(boundary[0], 1, "one caption on the boundary");

    // Correct the first line with a text longer than its box: the box grows to show it all,
    // at laptop and at phone width, and saving says so.
    browser_click(page, "#correct").await;
    let longer = "The lighthouse keeper, who had kept the light for thirty years, painted \
                  the old wooden door a deep sea green on a windy Tuesday in the spring.";
    let area = page.find(Locator::Css("#segments textarea")).await.unwrap();
    area.clear().await.unwrap();
    area.send_keys(longer).await.unwrap();
    for (width, height) in [(1280, 800), (390, 844)] {
        page.set_window_size(width, height).await.unwrap();
        let fits = wait_until(
            page,
            "const a = document.querySelector('#segments textarea'); \
             return a.scrollHeight <= a.clientHeight + 1 && [a.scrollHeight, a.clientHeight]",
            Duration::from_secs(5),
            "the box as tall as its text",
        )
        .await;
        println!("at {width} px the box is {fits}");
    }
    page.set_window_size(1280, 800).await.unwrap();
    browser_click(page, ".transcript-actions button.primary").await;
    let saved = wait_until(
        page,
        "const s = document.getElementById('transcript-status'); \
         return s && !s.hidden && s.textContent.startsWith('Saved') && s.textContent",
        Duration::from_secs(10),
        "Saved",
    )
    .await;
    println!("{saved}");
    let versions = run(
        page,
        "return Array.from(document.querySelectorAll('#versions .version')).map(v => v.textContent)",
    )
    .await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions[0].as_str().unwrap().contains("Corrected by you"));
    assert!(run(
        page,
        "return document.getElementById('segments').textContent"
    )
    .await
    .as_str()
    .unwrap()
    .contains("thirty years"));
    // The versions just below the player, which stays at the top of the window.
    run(
        page,
        "const v = document.getElementById('versions').getBoundingClientRect(); \
         const p = document.getElementById('player-wrap').getBoundingClientRect(); \
         window.scrollBy(0, v.top - p.bottom - 8)",
    )
    .await;
    screenshots(page, "entry-versions").await;

    // The player stays in view with the page and the transcript scrolled to their ends.
    for (width, height) in [(1280, 800), (390, 844)] {
        page.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let view = run(page, PLAYER_IN_VIEW).await;
        println!("at {width} px: {view}");
        assert_eq!(view[0], true, "the player in view at {width} px: {view}");
        assert!(
            view[5].as_f64().unwrap() <= view[6].as_f64().unwrap(),
            "no sideways scroll at {width} px: {view}"
        );
    }
    let png = page.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join("entry-phone-scrolled.png"), png).unwrap();

    browser.close().await;
    shutdown.cancel();
    workers.await.unwrap();
    app.stop().await;
}

async fn browser_click(page: &Client, css: &str) {
    page.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}
