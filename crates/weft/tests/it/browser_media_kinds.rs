//! Entries without a video in a real browser (Chromium through chromedriver): an audio
//! entry plays in an `<audio>` element from a moment (`?t=`) with its transcript following,
//! an entry of notes only shows its notes and no player, both kinds of timeline card, and
//! the recorder with the camera off making an audio entry.
//! Each page at a laptop's and a phone's size, light and dark, passes axe-core (no serious
//! or critical problem) and does not scroll sideways; screenshots go to
//! `target/screenshots/page-{entry-audio,entry-note,timeline-kinds,new-kinds}-*.png`.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::browser_pages::{axe_script, check, open};
use crate::common::browser::{click, fill, sign_up, wait_until, Browser};
use crate::common::media::{self, AudioFormat};
use crate::common::{self, TestApp};
use crate::web_pages::transcript;

/// An audio entry with a transcript and a note, made through the API as jane; their ids.
async fn entries(app: &TestApp, dir: &std::path::Path) -> (Uuid, Uuid) {
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
    let memo = media::test_audio(dir, AudioFormat::M4a, 6);
    let audio = app
        .upload_journal(
            token,
            &memo,
            &[("title", "Voice memo on the ferry"), ("tags", "sea")],
        )
        .await;
    assert_eq!(audio["media"], "audio");
    let audio: Uuid = audio["id"].as_str().unwrap().parse().unwrap();
    transcript(
        app,
        user,
        audio,
        &[
            (0.0, 1.5, "Good morning."),
            (1.5, 3.5, "The ferry leaves at nine."),
            (3.5, 6.0, "Gulls follow it out of the harbour."),
        ],
    )
    .await;
    let note: Value = app
        .client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(token)
        .json(&json!({
            "title": "Thoughts on a slow Sunday",
            "notes": "Read on the balcony until the light went. The neighbours' radio played \
                      old songs all afternoon, and the swifts came back over the roofs.",
            "tags": ["home"],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(note["media"], "none", "{note}");
    (audio, note["id"].as_str().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_note_entries_play_show_their_notes_and_pass_axe() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "jane").await;
    let (audio, note) = entries(&app, dir.path()).await;

    // The audio entry from a moment: the player starts a second before it and plays on,
    // and the transcript line being heard is marked.
    open(client, &app, &format!("/entries/{audio}?t=2.5")).await;
    let kind = client
        .execute("return document.getElementById('player').tagName", vec![])
        .await
        .unwrap();
    assert_eq!(kind, json!("AUDIO"));
    wait_until(
        client,
        "const p = document.getElementById('player'); return !p.paused && p.currentTime > 2.0",
        Duration::from_secs(15),
        "the recording playing on from the moment",
    )
    .await;
    let first = client
        .execute(
            "return document.getElementById('player').currentTime",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    wait_until(
        client,
        &format!("return document.getElementById('player').currentTime > {first} + 0.5"),
        Duration::from_secs(10),
        "the current time advancing",
    )
    .await;
    wait_until(
        client,
        "const c = document.querySelector('a.seg.current'); return c && c.textContent.includes('ferry')",
        Duration::from_secs(10),
        "the line being heard marked",
    )
    .await;
    let captions = client
        .execute(
            "return document.querySelector('#player track[kind=captions]').getAttribute('src')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        captions,
        json!(format!("/api/v1/journals/{audio}/transcript.vtt"))
    );

    // The note: its words and no player, nothing to transcribe.
    open(client, &app, &format!("/entries/{note}")).await;
    let shown = client
        .execute(
            "return [document.getElementById('player') === null, \
                     document.querySelector('.notes').textContent.includes('swifts'), \
                     document.body.textContent.includes('Transcribe')]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!([true, true, false]));

    let mut problems = Vec::new();
    for (name, path) in [
        ("entry-audio", format!("/entries/{audio}")),
        ("entry-note", format!("/entries/{note}")),
        ("timeline-kinds", "/".to_string()),
        ("new-kinds", "/new".to_string()),
    ] {
        problems.extend(check(client, &axe, name, || open(client, &app, &path)).await);
    }
    // Both cards drew their stand-in: a microphone with the length, the start of the notes.
    open(client, &app, "/").await;
    let cards = client
        .execute(
            "return [document.querySelector('.thumb-audio').getAttribute('aria-label'), \
                     document.querySelector('.thumb-note').textContent.trim().slice(0, 12), \
                     document.querySelectorAll('.entry-card img').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(cards, json!(["Sound recording, 0:06", "Read on the ", 0]));

    browser.close().await;
    app.stop().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_with_the_camera_off_uploads_an_audio_entry() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let wav = media::spoken_wav(dir.path(), &["The ferry leaves at nine."]);
    let browser = Browser::start(Some(&wav)).await;
    let client = &browser.client;
    sign_up(client, &app, "jane").await;

    open(client, &app, "/new").await;
    click(client, "mic-on").await;
    wait_until(
        client,
        "return !document.getElementById('record').disabled",
        Duration::from_secs(10),
        "the microphone",
    )
    .await;
    let tracks = client
        .execute(
            "const s = document.getElementById('preview').srcObject; \
             return [s.getAudioTracks().length, s.getVideoTracks().length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(tracks, json!([1, 0]), "the camera stays off");
    click(client, "record").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    click(client, "stop").await;
    wait_until(
        client,
        "return !document.getElementById('save').disabled",
        Duration::from_secs(10),
        "the recording",
    )
    .await;
    fill(client, "title", "Camera off").await;
    click(client, "save").await;
    let done = "const e = document.getElementById('form-error'); \
                return location.pathname.startsWith('/entries/') || (e && !e.hidden && e.textContent)";
    let uploaded = wait_until(client, done, Duration::from_secs(60), "the upload").await;
    assert_eq!(uploaded, json!(true), "the upload was refused: {uploaded}");
    wait_until(
        client,
        "return document.readyState === 'complete' && document.getElementById('player')",
        Duration::from_secs(10),
        "the entry page",
    )
    .await;
    let shown = client
        .execute(
            "return [document.getElementById('entry').dataset.media, \
                     document.getElementById('player').tagName]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!(["audio", "AUDIO"]));
    let (media_kind, key): (String, String) =
        sqlx::query_as("SELECT media, video_path FROM journals")
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    assert_eq!(media_kind, "audio");
    assert!(key.starts_with("audio/") && key.ends_with(".weba"), "{key}");

    browser.close().await;
    app.stop().await;
}
