//! The entry page over HTTP, as a browser without JavaScript sees it: the links to the older
//! and newer entry, the transcript's versions (listed, viewed, made current again), a run
//! asked for over a correction, and captions that never show two lines at once.

use crate::common::forms::NoScript as Browser;
use crate::common::{spawn_app, spawn_app_with_transcription, TestApp};
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use uuid::Uuid;
use weft::db::journals::{self, NewJournal};
use weft::db::scoped::begin_for_user;
use weft::db::transcripts::{self, NewVersion, TranscriptSource};
use weft::domain::Segment;

/// What the entry page's script asks of the JSON API, done by a browser with JavaScript off.
trait Api {
    async fn api(&mut self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response;
    async fn current(&mut self, journal: Uuid) -> Value;
}

impl Api for Browser {
    /// The JSON API with the page's session, as the page's script calls it.
    async fn api(&mut self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .request(method, path)
            .header("X-CSRF-Token", self.csrf());
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// The current transcript, through the API.
    async fn current(&mut self, journal: Uuid) -> Value {
        let path = format!("/api/v1/journals/{journal}/transcript");
        let response = self.api(reqwest::Method::GET, &path, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()["transcript"].clone()
    }
}

fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_string()
}

/// A journal of `user`'s, written straight to the database.
async fn journal(app: &TestApp, user: Uuid, title: &str) -> Uuid {
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    let row = journals::insert(
        &mut tx,
        &NewJournal {
            title,
            media: weft::domain::Media::Video,
            video_path: "videos/none.mp4",
            duration: 9,
            location: None,
            notes: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    row.id
}

fn segments(lines: &[(f64, f64, &str)]) -> Vec<Segment> {
    lines
        .iter()
        .map(|(start, end, text)| Segment {
            start: *start,
            end: *end,
            text: text.to_string(),
            ..Segment::default()
        })
        .collect()
}

/// A version of a transcript as an engine run (or a person) writes it; its id.
async fn version(
    app: &TestApp,
    user: Uuid,
    journal: Uuid,
    source: TranscriptSource,
    lines: &[(f64, f64, &str)],
) -> Uuid {
    let text = lines.iter().map(|l| l.2).collect::<Vec<_>>().join(" ");
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    let row = transcripts::insert_version(
        &mut tx,
        journal,
        NewVersion {
            text: &text,
            segments: &segments(lines),
            source,
            language: Some("en"),
            language_probability: None,
            model: (source == TranscriptSource::Engine).then_some("whisper tiny.en"),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    row.id
}

const RUN: &[(f64, f64, &str)] = &[
    (0.0, 4.4, "The keeper painted the door."),
    (4.4, 9.0, "Tomorrow we take the train."),
];

/// The `href` of the link with `rel`, if the page has one.
fn rel_link(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!(r#"rel="{rel}""#))?;
    let rest = &html[at..];
    let href = rest.split(r#"href=""#).nth(1)?;
    Some(href.split('"').next()?.to_string())
}

#[tokio::test]
async fn an_entry_links_to_its_owners_older_and_newer_entries_in_timeline_order() {
    let app = spawn_app().await;
    let (mut jane, jane_id) = Browser::signed_up(&app, "jane").await;
    let (mut bob, bob_id) = Browser::signed_up(&app, "bob").await;
    let first = journal(&app, jane_id, "Monday by the sea").await;
    let second = journal(&app, jane_id, "Tuesday in town").await;
    let bobs = journal(&app, bob_id, "Bob's secret").await;
    let third = journal(&app, jane_id, "Wednesday <at> home").await;

    let html = jane
        .page(&format!("/entries/{second}"), StatusCode::OK)
        .await;
    assert_eq!(rel_link(&html, "prev"), Some(format!("/entries/{first}")));
    assert_eq!(rel_link(&html, "next"), Some(format!("/entries/{third}")));
    assert!(html.contains("Monday by the sea") && html.contains("Wednesday &lt;at&gt; home"));
    assert!(!html.contains("Bob&#39;s secret") && !html.contains(&bobs.to_string()));

    let oldest = jane
        .page(&format!("/entries/{first}"), StatusCode::OK)
        .await;
    assert_eq!(rel_link(&oldest, "prev"), None, "the oldest has no older");
    assert_eq!(
        rel_link(&oldest, "next"),
        Some(format!("/entries/{second}"))
    );
    let newest = jane
        .page(&format!("/entries/{third}"), StatusCode::OK)
        .await;
    assert_eq!(
        rel_link(&newest, "prev"),
        Some(format!("/entries/{second}"))
    );
    assert_eq!(rel_link(&newest, "next"), None, "the newest has no newer");

    // Bob's only entry leads nowhere, although jane's were written before and after it.
    let alone = bob.page(&format!("/entries/{bobs}"), StatusCode::OK).await;
    assert_eq!(
        (rel_link(&alone, "prev"), rel_link(&alone, "next")),
        (None, None)
    );

    // Two entries made at the same moment are ordered by id, as the timeline orders them.
    sqlx::query("UPDATE journals SET created_at = $1 WHERE id = ANY($2)")
        .bind(chrono::Utc::now())
        .bind(vec![first, second, third])
        .execute(&app.db.admin)
        .await
        .unwrap();
    let mut ids = [first, second, third];
    ids.sort();
    let middle = jane
        .page(&format!("/entries/{}", ids[1]), StatusCode::OK)
        .await;
    assert_eq!(
        rel_link(&middle, "prev"),
        Some(format!("/entries/{}", ids[0]))
    );
    assert_eq!(
        rel_link(&middle, "next"),
        Some(format!("/entries/{}", ids[2]))
    );
    app.stop().await;
}

#[tokio::test]
async fn the_versions_are_listed_and_an_older_one_is_viewed_and_made_current_again() {
    let app = spawn_app().await;
    let (mut jane, jane_id) = Browser::signed_up(&app, "jane").await;
    let id = journal(&app, jane_id, "The lighthouse").await;
    let run = version(&app, jane_id, id, TranscriptSource::Engine, RUN).await;
    let correction = serde_json::json!({ "segments": [
        { "start": 0.0, "end": 4.4, "text": "The lighthouse keeper painted the door green." },
        { "start": 4.4, "end": 9.0, "text": "Tomorrow we take the train." },
    ]});
    let path = format!("/api/v1/journals/{id}/transcript");
    let saved = jane
        .api(reqwest::Method::PUT, &path, Some(correction))
        .await;
    assert_eq!(saved.status(), StatusCode::OK);

    let html = jane.page(&format!("/entries/{id}"), StatusCode::OK).await;
    assert!(html.contains(r#"<h2 id="versions-heading">Versions</h2>"#));
    assert!(html.contains("Corrected by you · 12 words"), "{html}");
    assert!(html.contains("Automatic transcript, English, whisper tiny.en · 10 words"));
    assert!(html.contains(&format!(
        r#"href="/entries/{id}?version={run}#transcript-heading""#
    )));

    let older = jane
        .page(&format!("/entries/{id}?version={run}"), StatusCode::OK)
        .await;
    assert!(older.contains("You are looking at an older version"));
    assert!(older.contains("The keeper painted the door."));
    assert!(
        !older.contains("lighthouse keeper painted"),
        "the older text only"
    );
    assert!(
        !older.contains(r#"id="correct""#),
        "an older version is read-only"
    );
    let restore = format!("/entries/{id}/versions/{run}/restore");
    assert!(older.contains(&format!(r#"action="{restore}""#)));
    assert!(older.contains("Make this the current transcript"));

    let response = jane.submit(&restore, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/entries/{id}?saved=version"));
    let current = jane.current(id).await;
    assert_eq!(
        current["text"],
        "The keeper painted the door. Tomorrow we take the train."
    );
    assert_eq!(current["source"], "person");
    assert_eq!(
        current["segments"][1]["start"], 4.4,
        "the timing comes back too"
    );
    let html = jane.page(&location(&response), StatusCode::OK).await;
    assert!(html.contains("That version is the current transcript again."));
    assert_eq!(
        html.matches(r#"class="version""#).count(),
        3,
        "a new version, none lost"
    );
    app.stop().await;
}

/// The API has the versions too: listed newest first, and an older one made current again
/// by a new version, as the page does; ids that are not the journal's versions are 404.
#[tokio::test]
async fn the_api_lists_the_versions_and_makes_an_older_one_current_again() {
    let app = spawn_app().await;
    let (mut jane, jane_id) = Browser::signed_up(&app, "jane").await;
    let (mut bob, _) = Browser::signed_up(&app, "bob").await;
    let id = journal(&app, jane_id, "The lighthouse").await;
    let run = version(&app, jane_id, id, TranscriptSource::Engine, RUN).await;
    let correction = serde_json::json!({ "segments": [
        { "start": 0.0, "end": 9.0, "text": "The lighthouse keeper painted the door green." },
    ]});
    let path = format!("/api/v1/journals/{id}/transcript");
    let saved = jane
        .api(reqwest::Method::PUT, &path, Some(correction))
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let versions_path = format!("/api/v1/journals/{id}/transcript/versions");

    let listed = jane.api(reqwest::Method::GET, &versions_path, None).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let listed: Value = listed.json().await.unwrap();
    let sources: Vec<&str> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["person", "engine"], "newest first");
    let run_text = listed["versions"][1]["text"].clone();
    assert_eq!(listed["versions"][1]["id"], run.to_string());
    assert_eq!(listed["versions"][1]["model"], "whisper tiny.en");
    assert_eq!(listed["versions"][0]["model"], Value::Null, "a person's");

    let restore = format!("{versions_path}/{run}/restore");
    let restored = jane.api(reqwest::Method::POST, &restore, None).await;
    assert_eq!(restored.status(), StatusCode::OK);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored["transcript"]["text"], run_text);
    assert_eq!(restored["transcript"]["source"], "person");
    assert_eq!(jane.current(id).await["text"], run_text);
    let after: Value = jane
        .api(reqwest::Method::GET, &versions_path, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["versions"].as_array().unwrap().len(), 3, "none lost");

    for bad in ["nonsense", &Uuid::new_v4().to_string()] {
        let response = jane
            .api(
                reqwest::Method::POST,
                &format!("{versions_path}/{bad}/restore"),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["message"], "Version not found.");
    }
    let nul = jane
        .api(
            reqwest::Method::POST,
            &format!("{versions_path}/%00/restore"),
            None,
        )
        .await;
    assert!(nul.status().is_client_error(), "{}", nul.status());
    // Bob sees neither the versions nor a way to restore one of jane's.
    let response = bob.api(reqwest::Method::GET, &versions_path, None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = bob.api(reqwest::Method::POST, &restore, None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn the_version_page_and_the_restore_form_refuse_ids_that_are_not_the_entrys_versions() {
    let app = spawn_app().await;
    let (mut jane, jane_id) = Browser::signed_up(&app, "jane").await;
    let (mut bob, bob_id) = Browser::signed_up(&app, "bob").await;
    let id = journal(&app, jane_id, "Jane's").await;
    version(&app, jane_id, id, TranscriptSource::Engine, RUN).await;
    let other = journal(&app, jane_id, "Jane's other").await;
    let others = version(&app, jane_id, other, TranscriptSource::Engine, RUN).await;
    let bobs_journal = journal(&app, bob_id, "Bob's").await;
    let bobs = version(&app, bob_id, bobs_journal, TranscriptSource::Engine, RUN).await;

    for bad in [
        "nonsense",
        &Uuid::new_v4().to_string(),
        &others.to_string(),
        &bobs.to_string(),
    ] {
        jane.page(
            &format!("/entries/{id}?version={bad}"),
            StatusCode::NOT_FOUND,
        )
        .await;
        let restore = format!("/entries/{id}/versions/{bad}/restore");
        let response = jane.submit(&restore, &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "restore {bad}");
    }
    // A NUL byte is refused as every text with one is (422), in the path as in the query.
    let nul = jane.get(&format!("/entries/{id}?version=%00")).await;
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let nul = jane
        .submit(&format!("/entries/{id}/versions/%00/restore"), &[])
        .await;
    assert!(nul.status().is_client_error(), "{}", nul.status());
    // Bob cannot restore a version of jane's, even one he names exactly.
    let versions: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM transcripts WHERE journal_id = $1")
            .bind(id)
            .fetch_all(&app.db.admin)
            .await
            .unwrap();
    let response = bob
        .submit(
            &format!("/entries/{id}/versions/{}/restore", versions[0]),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Without the form's CSRF field, nothing is done.
    let request = jane.request(
        reqwest::Method::POST,
        &format!("/entries/{id}/versions/{}/restore", versions[0]),
    );
    let response = jane.send(request.form(&[("x", "y")])).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM transcripts WHERE journal_id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing was written");
    app.stop().await;
}

#[tokio::test]
async fn a_run_asked_for_over_a_correction_is_confirmed_and_then_replaces_it_as_current() {
    let app = spawn_app_with_transcription().await;
    let (mut jane, jane_id) = Browser::signed_up(&app, "jane").await;
    let id = journal(&app, jane_id, "Harbour").await;
    version(&app, jane_id, id, TranscriptSource::Engine, RUN).await;
    let corrected = &[
        (0.0, 4.4, "The keeper painted the gate."),
        (4.4, 9.0, "Zanzibar."),
    ];
    version(&app, jane_id, id, TranscriptSource::Person, corrected).await;

    let html = jane.page(&format!("/entries/{id}"), StatusCode::OK).await;
    assert!(html.contains(
        "Your corrections will be replaced by a new transcript; they stay in Versions and can be restored."
    ));
    assert!(html.contains(
        r#"<input id="confirm-retry" type="checkbox" name="confirm" value="yes" required"#
    ));

    // Without the box ticked: refused, nothing queued.
    let retry = format!("/entries/{id}/retry");
    let response = jane.submit(&retry, &[("language", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let jobs = "SELECT count(*) FROM transcription_jobs WHERE journal_id = $1";
    let queued: i64 = sqlx::query_scalar(jobs)
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(queued, 0);

    let response = jane
        .submit(&retry, &[("language", ""), ("confirm", "yes")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let queued: i64 = sqlx::query_scalar(jobs)
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    // While it waits, the transcript cannot be corrected, and the page says why.
    let waiting = jane.page(&format!("/entries/{id}"), StatusCode::OK).await;
    assert!(waiting.contains("You can correct the transcript when this transcription is done"));
    assert!(!waiting.contains(r#"id="correct""#));

    // The run writes its version (as the worker does): it is the current transcript now,
    // shown and searched, and the correction is an older version.
    let new_run = &[
        (0.0, 4.4, "The keeper painted the fence."),
        (4.4, 9.0, "Kilimanjaro."),
    ];
    version(&app, jane_id, id, TranscriptSource::Engine, new_run).await;
    let current = jane.current(id).await;
    assert_eq!(
        current["text"],
        "The keeper painted the fence. Kilimanjaro."
    );
    assert_eq!(current["source"], "engine");
    let found = jane.page("/search?q=kilimanjaro", StatusCode::OK).await;
    assert!(
        found.contains("Harbour"),
        "the new run is searched: {found}"
    );
    let gone = jane.page("/search?q=zanzibar", StatusCode::OK).await;
    assert!(
        !gone.contains("Harbour"),
        "the correction is not searched any more"
    );
    let html = jane.page(&format!("/entries/{id}"), StatusCode::OK).await;
    assert!(html.contains("Kilimanjaro.") && html.contains("Corrected by you"));
    app.stop().await;
}

/// The cues of a WebVTT file: (start, end) in milliseconds.
fn cue_times(vtt: &str) -> Vec<(u64, u64)> {
    let millis = |stamp: &str| {
        let (hms, ms) = stamp.trim().split_once('.').unwrap();
        let parts: Vec<u64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
        ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + ms.parse::<u64>().unwrap()
    };
    vtt.lines()
        .filter_map(|line| line.split_once(" --> "))
        .map(|(start, end)| (millis(start), millis(end)))
        .collect()
}

#[tokio::test]
async fn the_captions_never_show_two_lines_at_once() {
    let app = spawn_app().await;
    let (mut jane, jane_id) = Browser::signed_up(&app, "jane").await;
    let id = journal(&app, jane_id, "Overlaps").await;
    // Lines that touch (one ends where the next starts), overlap, and leave a gap.
    let lines = &[
        (0.0, 4.4, "One."),
        (4.4, 6.2, "Two."),
        (6.0, 8.0, "Three."),
        (8.5, 9.0, "Four."),
    ];
    version(&app, jane_id, id, TranscriptSource::Engine, lines).await;

    let response = jane
        .get(&format!("/api/v1/journals/{id}/transcript.vtt"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let vtt = response.text().await.unwrap();
    let cues = cue_times(&vtt);
    assert_eq!(cues.len(), 4, "{vtt}");
    for pair in cues.windows(2) {
        assert!(
            pair[0].1 < pair[1].0,
            "a cue ends before the next starts: {vtt}"
        );
    }
    assert_eq!(cues[0], (0, 4399));
    assert_eq!(
        cues[3],
        (8500, 9000),
        "a cue followed by a gap keeps its end"
    );
    app.stop().await;
}
