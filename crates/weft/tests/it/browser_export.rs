//! The exported `index.html` in a real browser (Chromium through chromedriver), opened from
//! the file system with no server: it lists the entries and plays the first one with its
//! captions. Screenshots: `export-index-laptop.png`, `export-index-phone.png`.

use std::time::Duration;

use serde_json::Value;

use crate::common;
use crate::common::browser::{screenshots, wait_until, Browser};
use crate::common::journal_export::{self, succeeded, weft};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_index_plays_the_first_entry_from_the_file_system() {
    let app = common::spawn_app().await;
    journal_export::make(&app).await;
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("my journal");
    succeeded(weft(&app, &["export", "--user", "ada"], &[&target]));
    // Nothing of the server is needed from here on.
    app.stop().await;

    let browser = Browser::start(None).await;
    let page = &browser.client;
    let url = url::Url::from_file_path(target.join("index.html")).unwrap();
    page.goto(url.as_str()).await.unwrap();
    let titles: Value = page
        .execute(
            "return [...document.querySelectorAll('article h3')].map(h => h.textContent)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        titles,
        serde_json::json!(["a/b: c?", "Rainy day", "Voice memo", "walk", "Walk"]),
        "newest first"
    );

    page.execute(
        "const v = document.querySelector('video'); v.muted = true; v.play(); return true",
        vec![],
    )
    .await
    .unwrap();
    let playing = wait_until(
        page,
        "const v = document.querySelector('video'); \
         return v.currentTime > 0.5 && !v.error ? [v.currentTime, v.duration, \
             v.textTracks.length, v.querySelector('track').track.mode] : null",
        Duration::from_secs(20),
        "the first entry to play",
    )
    .await;
    assert_eq!(playing[2], 1, "captions travel with it: {playing}");
    assert!(playing[1].as_f64().unwrap() > 2.5, "{playing}");
    // The captions file loads from the file system too.
    wait_until(
        page,
        "const t = document.querySelector('video').textTracks[0]; \
         return t.cues && t.cues.length > 0",
        Duration::from_secs(10),
        "the captions' cues",
    )
    .await;
    page.execute(
        "document.querySelector('video').pause(); return true",
        vec![],
    )
    .await
    .unwrap();
    screenshots(page, "export-index").await;
    browser.close().await;
}
