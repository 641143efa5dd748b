//! "Save as video" for a phrase reel, with real ffmpeg and a real PostgreSQL: the API
//! queues a render of a search's moments, the worker cuts them (a title card before each
//! entry) into one MP4 that becomes its owner's journal; bad input is refused with a
//! sentence and writes nothing; a render is its owner's only; a failed attempt is tried
//! again and the last one is recorded with its reason; a render whose worker died mid-way
//! is taken again and made once; and the reel page's form (CSRF-checked) starts one and follows it.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use weft::media::reel::Frame;
use weft::reels::render::Renderer;
use weft::reels::worker::{one_pass, Outcome, RenderWorker};

use crate::common::forms::NoScript;
use crate::common::media::{self, AudioFormat, Container};
use crate::common::{spawn_app, Account, TestApp};
use crate::search::{entry, Entry};
use crate::web_pages::transcript;

/// The render worker of `app`, making videos of `frame`'s size.
fn worker(app: &TestApp, frame: Frame) -> RenderWorker {
    RenderWorker {
        pool: app.db.pool.clone(),
        renderer: Renderer {
            storage: app.storage.clone(),
            scratch: app.scratch.clone(),
            frame,
        },
        ingest: weft::ingest::Ingest {
            pool: app.db.pool.clone(),
            storage: app.storage.clone(),
            scratch: app.scratch.clone(),
            transcription: None,
        },
    }
}

/// A small frame, for the tests that are not about the picture (encoding costs time).
const SMALL: Frame = Frame {
    width: 320,
    height: 180,
};

/// A journal uploaded by `who` from `file`, made `days` old, with the transcript `lines`.
async fn journal(
    app: &TestApp,
    who: &Account,
    file: &Path,
    title: &str,
    days: i32,
    lines: &[(f64, f64, &str)],
) -> Uuid {
    let uploaded = app
        .upload_journal(&who.token, file, &[("title", title)])
        .await;
    let id: Uuid = uploaded["id"].as_str().unwrap().parse().unwrap();
    sqlx::query("UPDATE journals SET created_at = now() - make_interval(days => $2) WHERE id = $1")
        .bind(id)
        .bind(days)
        .execute(&app.db.admin)
        .await
        .unwrap();
    transcript(app, who.id.parse().unwrap(), id, lines).await;
    id
}

/// Two journals of jane's: a 20 s video with "lighthouse" twice, and a 12 s sound
/// recording, older, with it once.
async fn two_journals(app: &TestApp, jane: &Account, dir: &Path) -> (Uuid, Uuid) {
    let video = media::test_video(dir, Container::Mp4, 20);
    let sound = media::test_audio(dir, AudioFormat::M4a, 12);
    let walk = journal(
        app,
        jane,
        &video,
        "Cliff walk",
        2,
        &[
            (0.0, 2.0, "Good morning."),
            (4.0, 6.0, "The lighthouse was bright."),
            (8.0, 10.0, "Then breakfast."),
            (12.0, 14.0, "Back at the lighthouse again."),
        ],
    )
    .await;
    let harbour = journal(
        app,
        jane,
        &sound,
        "Harbour at night",
        5,
        &[(2.0, 4.0, "A lighthouse far away."), (6.0, 8.0, "Quiet.")],
    )
    .await;
    (walk, harbour)
}

async fn save(app: &TestApp, who: &Account, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/reels"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn render_of(app: &TestApp, who: &Account, id: &str) -> (StatusCode, Value) {
    let response = app.get_as(&who.token, &format!("/api/v1/reels/{id}")).await;
    (response.status(), response.json().await.unwrap())
}

/// ffprobe's view of a file: its duration and its streams' codecs.
fn probe(path: &Path) -> (f64, Vec<String>) {
    let output = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&output.stdout).unwrap();
    let duration = info["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let codecs = info["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap().to_string())
        .collect();
    (duration, codecs)
}

/// The folders renders left in the scratch space.
fn leftovers(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(&app.scratch)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("reel-") || name.ends_with(".mp4"))
                .collect()
        })
        .unwrap_or_default()
}

async fn renders(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM reel_renders")
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_moments_of_two_journals_become_one_video_journal_of_its_owner_only() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    let (walk, harbour) = two_journals(&app, &jane, dir.path()).await;

    let response = save(&app, &jane, json!({ "q": "lighthouse", "sort": "oldest" })).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let queued: Value = response.json().await.unwrap();
    let id = queued["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/reels/{id}"));
    assert_eq!(queued["state"], "queued");
    assert_eq!(queued["clips"], 3);
    assert_eq!(queued["entries"], 2);
    // Each moment from 1.5 s before it to 0.5 s after: 4 s each, and two cards of 2 s.
    assert_eq!(queued["seconds"], 16.0);

    let started = std::time::Instant::now();
    let outcome = one_pass(&worker(&app, Frame::default())).await.unwrap();
    let took = started.elapsed();
    let Some(Outcome::Done(made)) = outcome else {
        panic!("the render is done: {outcome:?}");
    };
    eprintln!("rendering 16 s of 1280x720 video took {took:?}");

    let (status, done) = render_of(&app, &jane, &id).await;
    assert_eq!(status, 200);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["journalId"], made.to_string());
    assert_eq!(done["attempts"], 1);
    assert!(done["error"].is_null());

    let entry: Value = app
        .get_as(&jane.token, &format!("/api/v1/journals/{made}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(entry["title"], "Reel: “lighthouse”", "{entry}");
    assert_eq!(entry["media"], "video");
    assert!(
        entry["tags"].as_array().unwrap().contains(&json!("reel")),
        "{entry}"
    );
    let notes = entry["notes"].as_str().unwrap();
    assert!(
        notes.contains("Cliff walk") && notes.contains("Harbour at night"),
        "{notes}"
    );

    // The stored video, as a person downloads it: H.264 and AAC, the moments and the cards.
    let bytes = app
        .get_as(&jane.token, &format!("/api/v1/journals/{made}/video"))
        .await
        .bytes()
        .await
        .unwrap();
    let file = dir.path().join("reel.mp4");
    std::fs::write(&file, &bytes).unwrap();
    let (duration, codecs) = probe(&file);
    assert!(
        (duration - 16.0).abs() < 0.5,
        "16 s expected, {duration} s made"
    );
    assert_eq!(codecs, ["h264", "aac"]);
    let thumbnail = app
        .get_as(&jane.token, &format!("/api/v1/journals/{made}/thumbnail"))
        .await;
    assert_eq!(thumbnail.status(), 200, "the reel has a thumbnail");

    // Bob sees neither the render nor its journal.
    let (status, _) = render_of(&app, &bob, &id).await;
    assert_eq!(status, 404);
    let theirs = app
        .get_as(&bob.token, &format!("/api/v1/journals/{made}"))
        .await;
    assert_eq!(theirs.status(), 404);
    let (status, _) = render_of(&app, &jane, "not-an-id").await;
    assert_eq!(status, 404);
    assert!(leftovers(&app).is_empty(), "{:?}", leftovers(&app));
    // The sources are untouched.
    for source in [walk, harbour] {
        let response = app
            .get_as(&jane.token, &format!("/api/v1/journals/{source}"))
            .await;
        assert_eq!(response.status(), 200);
    }
    // Nothing more to do.
    assert_eq!(one_pass(&worker(&app, SMALL)).await.unwrap(), None);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_sentence_and_writes_nothing() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    entry(
        &app,
        &jane,
        Entry {
            title: "Lighthouse postcard",
            said: &["coffee first"],
            ..Default::default()
        },
    )
    .await;
    for (body, field) in [
        (json!({ "q": "light\u{0}house" }), None),
        (json!({ "q": "   " }), Some("q")),
        (json!({ "q": "x".repeat(300) }), Some("q")),
        (json!({ "q": "coffee", "tag": "a\u{0}b" }), None),
        (json!({ "q": "coffee", "from": "yesterday" }), Some("from")),
        (json!({ "q": "coffee", "mode": "loudest" }), Some("mode")),
        (json!({ "q": "coffee", "sort": "loudest" }), Some("sort")),
        // Found in a title only: nothing of a recording to cut.
        (json!({ "q": "postcard" }), Some("q")),
        (json!({ "q": "nowhere" }), Some("q")),
    ] {
        let response = save(&app, &jane, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.ends_with('.'), "a sentence: {message}");
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field, "{body}: {error}");
        }
    }
    let response = save(&app, &jane, json!({ "q": "postcard" })).await;
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No moment of a recording matches"),
        "{error}"
    );
    let unknown = save(&app, &jane, json!({ "q": "coffee", "colour": "red" })).await;
    assert_eq!(unknown.status(), 422);
    let stranger = app
        .client
        .post(app.url("/api/v1/reels"))
        .json(&json!({ "q": "coffee" }))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);
    assert_eq!(renders(&app).await, 0, "nothing was written");
    app.stop().await;
}

#[tokio::test]
async fn a_person_has_at_most_three_unfinished_renders() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    for who in [&jane, &bob] {
        entry(
            &app,
            who,
            Entry {
                title: "Morning",
                said: &["coffee first"],
                ..Default::default()
            },
        )
        .await;
    }
    for _ in 0..3 {
        assert_eq!(
            save(&app, &jane, json!({ "q": "coffee" })).await.status(),
            202
        );
    }
    let response = save(&app, &jane, json!({ "q": "coffee" })).await;
    assert_eq!(response.status(), 429);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wait until one is done"),
        "{error}"
    );
    // Another person's are their own.
    assert_eq!(
        save(&app, &bob, json!({ "q": "coffee" })).await.status(),
        202
    );
    assert_eq!(renders(&app).await, 4);
    // Row-level security: the application's role sees no render outside a person's scope.
    let unscoped: i64 = sqlx::query_scalar("SELECT count(*) FROM reel_renders")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(unscoped, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_failed_attempt_is_tried_again_and_the_last_is_recorded_with_its_reason() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let jane = app.register("jane").await;
    two_journals(&app, &jane, dir.path()).await;
    let response = save(&app, &jane, json!({ "q": "lighthouse" })).await;
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A worker whose scratch space cannot be written: every attempt fails, and may work
    // the next time.
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, b"a file").unwrap();
    let mut broken = worker(&app, SMALL);
    broken.renderer.scratch = blocked.join("tmp");
    let outcome = one_pass(&broken).await.unwrap();
    assert!(matches!(outcome, Some(Outcome::Retry(_))), "{outcome:?}");
    let (_, render) = render_of(&app, &jane, &id).await;
    assert_eq!(render["state"], "queued");
    assert_eq!(render["attempts"], 1);
    assert!(
        render["error"].as_str().unwrap().contains("scratch"),
        "{render}"
    );
    // It waits for its backoff.
    assert_eq!(one_pass(&worker(&app, SMALL)).await.unwrap(), None);

    let due = "UPDATE reel_render_queue SET run_after = now()";
    sqlx::query(due).execute(&app.db.admin).await.unwrap();
    assert!(matches!(
        one_pass(&broken).await.unwrap(),
        Some(Outcome::Retry(_))
    ));
    sqlx::query(due).execute(&app.db.admin).await.unwrap();
    let outcome = one_pass(&broken).await.unwrap();
    let Some(Outcome::Failed(reason)) = outcome else {
        panic!("the third attempt is the last: {outcome:?}");
    };
    let (_, render) = render_of(&app, &jane, &id).await;
    assert_eq!(render["state"], "failed");
    assert_eq!(render["attempts"], 3);
    assert_eq!(render["error"], reason);
    assert!(render["finishedAt"].is_string());
    assert!(render["journalId"].is_null());
    let queue: i64 = sqlx::query_scalar("SELECT count(*) FROM reel_render_queue")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(queue, 0, "a failed render leaves the queue");

    // A journal whose recording is gone from storage: no attempt can help.
    let gone = entry(
        &app,
        &jane,
        Entry {
            title: "Lost tape",
            said: &["the lighthouse keeper"],
            ..Default::default()
        },
    )
    .await;
    let response = save(&app, &jane, json!({ "q": "keeper" })).await;
    assert_eq!(response.status(), 202);
    let outcome = one_pass(&worker(&app, SMALL)).await.unwrap();
    let Some(Outcome::Failed(reason)) = outcome else {
        panic!("a missing recording fails at once: {outcome:?}");
    };
    assert!(reason.contains("missing from storage"), "{reason} ({gone})");
    assert!(leftovers(&app).is_empty(), "{:?}", leftovers(&app));
    app.stop().await;
}

#[tokio::test]
async fn a_render_whose_worker_died_is_taken_again_when_its_hold_runs_out_and_made_once() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let jane = app.register("jane").await;
    two_journals(&app, &jane, dir.path()).await;
    let response = save(&app, &jane, json!({ "q": "lighthouse" })).await;
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A worker takes it, starts it, and dies (a restart): its hold stays until it runs out.
    let taken = weft::db::reels::claim(&app.db.pool, 120.0)
        .await
        .unwrap()
        .expect("the render is due");
    let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, taken.user_id)
        .await
        .unwrap();
    assert!(weft::db::reels::started(&mut tx, &taken)
        .await
        .unwrap()
        .is_some());
    tx.commit().await.unwrap();
    let (_, render) = render_of(&app, &jane, &id).await;
    assert_eq!(render["state"], "running");
    let next = worker(&app, SMALL);
    assert_eq!(
        one_pass(&next).await.unwrap(),
        None,
        "held by the dead worker"
    );

    // The hold runs out.
    sqlx::query("UPDATE reel_render_queue SET claimed_until = now() - interval '1 second'")
        .execute(&app.db.admin)
        .await
        .unwrap();
    let outcome = one_pass(&next).await.unwrap();
    let Some(Outcome::Done(made)) = outcome else {
        panic!("the second attempt finishes: {outcome:?}");
    };
    // The dead worker's attempt can no longer record anything.
    let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, taken.user_id)
        .await
        .unwrap();
    assert!(!weft::db::reels::finish(&mut tx, &taken, made)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let (_, render) = render_of(&app, &jane, &id).await;
    assert_eq!(render["state"], "done");
    assert_eq!(render["attempts"], 2);
    assert_eq!(render["journalId"], made.to_string());
    let reels: i64 = sqlx::query_scalar("SELECT count(*) FROM journals WHERE title LIKE 'Reel:%'")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(reels, 1);
    app.stop().await;
}

#[tokio::test]
async fn the_reel_pages_form_starts_a_render_and_its_page_follows_it() {
    let app = spawn_app().await;
    let (mut browser, jane_id) = NoScript::signed_up(&app, "jane").await;
    let (mut other, _) = NoScript::signed_up(&app, "bob").await;
    let jane = Account {
        id: jane_id.to_string(),
        username: "jane".into(),
        email: String::new(),
        password: String::new(),
        token: String::new(),
        csrf: String::new(),
    };
    entry(
        &app,
        &jane,
        Entry {
            title: "Morning",
            said: &["coffee first", "more coffee"],
            ..Default::default()
        },
    )
    .await;

    let page = browser.get("/search/reel?q=coffee&sort=oldest").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"action="/search/reel/save?q=coffee&amp;sort=oldest""#)
            && html.contains("Save as video")
            && html.contains(r#"name="csrf""#),
        "{html}"
    );

    // Without the form's CSRF field, nothing is started.
    let forged = browser
        .post("/search/reel/save?q=coffee", &[("csrf", "guess")])
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(renders(&app).await, 0);

    let csrf = browser.csrf();
    let started = browser
        .post("/search/reel/save?q=coffee&sort=oldest", &[("csrf", &csrf)])
        .await;
    assert_eq!(started.status(), 303);
    let status_page = started.headers()["location"].to_str().unwrap().to_string();
    assert!(status_page.starts_with("/reels/"), "{status_page}");
    let waiting = browser.get(&status_page).await;
    assert_eq!(waiting.status(), 200);
    assert!(waiting.headers()["refresh"]
        .to_str()
        .unwrap()
        .starts_with("3;"));
    let html = waiting.text().await.unwrap();
    assert!(html.contains("Waiting to be made"), "{html}");
    assert_eq!(other.get(&status_page).await.status(), 404, "bob's is not");

    // A search without moments says so, and what to do.
    let refused = browser
        .post("/search/reel/save?q=nowhere", &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("No moment of a recording matches") && html.contains("Back to the moments")
    );
    let nul = browser
        .post("/search/reel/save?q=light%00house", &[("csrf", &csrf)])
        .await;
    assert_eq!(nul.status(), 422, "NUL in the search");
    assert_eq!(renders(&app).await, 1, "only the one started");

    // The recording of a journal written by the test is missing: the page says it failed
    // and why, and stops reloading.
    one_pass(&worker(&app, SMALL)).await.unwrap();
    let failed = browser.get(&status_page).await;
    assert!(failed.headers().get("refresh").is_none());
    let html = failed.text().await.unwrap();
    assert!(
        html.contains("The video could not be made") && html.contains("missing from storage"),
        "{html}"
    );
    app.stop().await;
}
