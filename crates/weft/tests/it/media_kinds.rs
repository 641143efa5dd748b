//! Entries without a video of their own: sound recordings (m4a, opus, a browser's webm with
//! the camera off) uploaded and imported, entries of notes only, and imports that never bring
//! the same entry in twice. Real router, real PostgreSQL, real ffmpeg.

use std::path::PathBuf;

use crate::common::forms::NoScript;
use crate::common::media::{self, AudioFormat};
use crate::common::{self, spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use weft::domain::Media;
use weft::ingest::{Details, Ingest, IngestError};

/// Every stored object and every leftover scratch file.
async fn leftovers(app: &TestApp) -> (Vec<String>, Vec<PathBuf>) {
    let mut stored = Vec::new();
    for prefix in weft::ingest::MEDIA_PREFIXES {
        stored.extend(app.storage.list(prefix).await.unwrap());
    }
    let scratch = std::fs::read_dir(&app.scratch)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    (stored, scratch)
}

async fn journal_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// The ingest service of the test's server, as an importer builds it (transcription on).
fn ingest(app: &TestApp) -> Ingest {
    std::fs::create_dir_all(&app.scratch).unwrap();
    Ingest {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        transcription: Some(3),
    }
}

/// A file for the ingest service to consume (it takes a scratch file of its own).
fn scratch_copy(app: &TestApp, file: &std::path::Path) -> weft::scratch::TempFile {
    let temp = weft::scratch::TempFile::new_in(&app.scratch, "import").unwrap();
    std::fs::copy(file, temp.path()).unwrap();
    temp
}

#[tokio::test]
async fn an_uploaded_m4a_becomes_an_audio_entry_without_a_thumbnail() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let memo = media::test_audio(dir.path(), AudioFormat::M4a, 3);

    let body = app
        .upload_journal(
            &jane.token,
            &memo,
            &[("title", "Voice memo"), ("tags", "Walk")],
        )
        .await;
    assert_eq!(body["media"], "audio");
    assert_eq!(body["duration"], 3, "from the file");
    assert_eq!(body["tags"], serde_json::json!(["walk"]));
    let key = body["videoPath"].as_str().unwrap();
    assert!(
        key.starts_with(&format!("audio/{}/", jane.id)) && key.ends_with(".m4a"),
        "{key}"
    );
    let id = body["id"].as_str().unwrap();

    let file = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/video"))
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "audio/mp4");
    assert_eq!(
        file.bytes().await.unwrap().as_ref(),
        std::fs::read(&memo).unwrap().as_slice(),
        "kept as uploaded"
    );
    let (stored, _) = leftovers(&app).await;
    assert_eq!(
        stored,
        vec![key.to_string()],
        "a recording and no thumbnail"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_browser_recording_with_the_camera_off_is_kept_with_a_duration() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let recording = media::streamed_webm_audio(dir.path(), 2);

    let body = app
        .upload_journal(&jane.token, &recording, &[("title", "Camera off")])
        .await;
    assert_eq!(body["media"], "audio");
    assert_eq!(body["duration"], 2);
    let key = body["videoPath"].as_str().unwrap();
    assert!(key.ends_with(".weba"), "{key}");
    let id = body["id"].as_str().unwrap();
    let file = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/video"))
        .await;
    assert_eq!(file.headers()["content-type"], "audio/webm");
    let kept = dir.path().join("kept.webm");
    std::fs::write(&kept, file.bytes().await.unwrap()).unwrap();
    let duration = media::container_duration(&kept);
    assert!(
        duration.parse::<f64>().is_ok_and(|d| d > 1.5),
        "remuxed with a duration: {duration}"
    );
    app.stop().await;
}

#[tokio::test]
async fn wav_mp3_and_flac_recordings_are_audio_entries_too() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    for (format, content_type) in [
        (AudioFormat::Wav, "audio/wav"),
        (AudioFormat::Mp3, "audio/mpeg"),
        (AudioFormat::Flac, "audio/flac"),
    ] {
        let file = media::test_audio(dir.path(), format, 1);
        let body = app
            .upload_journal(&jane.token, &file, &[("title", format.extension())])
            .await;
        assert_eq!(body["media"], "audio", "{format:?}");
        let id = body["id"].as_str().unwrap();
        let served = app
            .get_as(&jane.token, &format!("/api/v1/journals/{id}/video"))
            .await;
        assert_eq!(served.headers()["content-type"], content_type, "{format:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_note_is_an_entry_without_a_recording_or_a_transcription_job() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let owner = jane.id.parse().unwrap();

    let view = ingest(&app)
        .note(
            owner,
            Details {
                title: "Thoughts".into(),
                notes: Some("The tide was out all morning.".into()),
                tags: vec!["sea".into()],
                ..Details::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(view.journal.media, Media::None);
    assert_eq!(view.journal.video_path, "");
    assert_eq!(view.journal.duration, 0);
    assert_eq!(view.tags, vec!["sea"]);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM transcription_jobs")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "nothing to hear, nothing to transcribe");

    let body: Value = app
        .get_as(
            &jane.token,
            &format!("/api/v1/journals/{}", view.journal.id),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["media"], "none");
    assert_eq!(body["notes"], "The tide was out all morning.");
    app.stop().await;
}

#[tokio::test]
async fn importing_the_same_key_twice_is_already_imported_and_stores_nothing_more() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let owner = jane.id.parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let memo = media::test_audio(dir.path(), AudioFormat::Opus, 1);
    let ingest = ingest(&app);
    let details = Details {
        title: "Imported".into(),
        import_key: Some("dayone:0A1B".into()),
        transcribe: false,
        ..Details::default()
    };

    let first = ingest
        .journal(owner, scratch_copy(&app, &memo), details.clone())
        .await
        .unwrap();
    assert_eq!(first.journal.media, Media::Audio);
    let (stored_after_first, _) = leftovers(&app).await;

    let again = ingest
        .journal(owner, scratch_copy(&app, &memo), details.clone())
        .await;
    assert!(
        matches!(&again, Err(IngestError::AlreadyImported(key)) if key == "dayone:0A1B"),
        "{again:?}"
    );
    let note_again = ingest.note(owner, details.clone()).await;
    assert!(
        matches!(note_again, Err(IngestError::AlreadyImported(_))),
        "{note_again:?}"
    );
    assert_eq!(journal_count(&app).await, 1, "no second row");
    let (stored, scratch) = leftovers(&app).await;
    assert_eq!(stored, stored_after_first, "no second stored file");
    assert!(scratch.is_empty(), "{scratch:?}");
    let imports: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT journal_id, source_key FROM journal_imports")
            .fetch_all(&app.db.admin)
            .await
            .unwrap();
    assert_eq!(imports, vec![(first.journal.id, "dayone:0A1B".to_string())]);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM transcription_jobs")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "the importer asked for no transcription");

    // Keys are per user: another user imports the same entry of their own.
    let john = app.register("john").await;
    ingest
        .note(john.id.parse().unwrap(), details)
        .await
        .unwrap();
    assert_eq!(journal_count(&app).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn deleting_audio_and_note_entries_removes_what_they_have() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let memo = media::test_audio(dir.path(), AudioFormat::M4a, 1);
    let audio = app
        .upload_journal(&jane.token, &memo, &[("title", "Memo")])
        .await;
    let note = ingest(&app)
        .note(
            jane.id.parse().unwrap(),
            Details {
                title: "Note".into(),
                ..Details::default()
            },
        )
        .await
        .unwrap();

    for id in [
        audio["id"].as_str().unwrap().to_string(),
        note.journal.id.to_string(),
    ] {
        let deleted = app
            .client
            .delete(app.url(&format!("/api/v1/journals/{id}")))
            .bearer_auth(&jane.token)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204, "{id}");
    }
    assert_eq!(journal_count(&app).await, 0);
    let (stored, _) = leftovers(&app).await;
    assert!(stored.is_empty(), "{stored:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_text_file_is_refused_as_neither_video_nor_audio_and_leaves_nothing() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("memo.m4a");
    std::fs::write(&text, "just words, no sound\n".repeat(200)).unwrap();

    let response = app
        .upload(&jane.token, &text, &[("title", "Not sound")])
        .await;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("video or audio") && message.ends_with('.'),
        "{message}"
    );
    assert_eq!(journal_count(&app).await, 0);
    let (stored, scratch) = leftovers(&app).await;
    assert!(
        stored.is_empty() && scratch.is_empty(),
        "{stored:?} {scratch:?}"
    );
    app.stop().await;
}

/// POSTs a JSON body to /api/v1/journals as `token`'s holder.
async fn post_note(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_note_written_through_the_api_has_no_recording_to_play_or_transcribe() {
    let app = common::spawn_app_with_transcription().await;
    let jane = app.register("jane").await;

    let response = post_note(
        &app,
        &jane.token,
        serde_json::json!({
            "title": "  Low tide  ",
            "notes": "Crabs under every stone.",
            "location": "Porto",
            "tags": ["Sea", "sea", "walk"],
            "createdAt": "2024-03-05T08:00:00Z",
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["media"], "none");
    assert_eq!(body["title"], "Low tide");
    assert_eq!(body["videoPath"], "");
    assert_eq!(body["duration"], 0);
    assert_eq!(body["tags"], serde_json::json!(["sea", "walk"]));
    assert_eq!(body["createdAt"], "2024-03-05T08:00:00Z");
    assert_eq!(body["transcriptStatus"], "none", "no job for words only");
    let id = body["id"].as_str().unwrap();

    for (path, wanted) in [
        ("video", "no recording to play"),
        ("thumbnail", "thumbnail"),
    ] {
        let answer = app
            .get_as(&jane.token, &format!("/api/v1/journals/{id}/{path}"))
            .await;
        assert_eq!(answer.status(), 404, "{path}");
        let answer: Value = answer.json().await.unwrap();
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(wanted) && message.ends_with('.'),
            "{message}"
        );
    }
    let retry = app
        .client
        .post(app.url(&format!("/api/v1/journals/{id}/transcript/retry")))
        .bearer_auth(&jane.token)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 409);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["error"]["code"], "no_recording", "{retry}");
    app.stop().await;
}

#[tokio::test]
async fn a_note_with_a_bad_field_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;

    let empty_title = post_note(&app, &jane.token, serde_json::json!({ "title": "  " })).await;
    assert_eq!(empty_title.status(), 422);
    let empty_title: Value = empty_title.json().await.unwrap();
    assert_eq!(empty_title["error"]["field"], "title", "{empty_title}");

    let nul = post_note(
        &app,
        &jane.token,
        serde_json::json!({ "title": "Fine", "notes": "a\u{0}b" }),
    )
    .await;
    common::assert_invalid_text(nul, "notes", "a note's notes").await;

    let unknown = post_note(
        &app,
        &jane.token,
        serde_json::json!({ "title": "Fine", "video": "x" }),
    )
    .await;
    assert_eq!(
        unknown.status(),
        422,
        "an unknown field is refused, not ignored"
    );

    let bad_tag = post_note(
        &app,
        &jane.token,
        serde_json::json!({ "title": "Fine", "tags": ["a,b"] }),
    )
    .await;
    assert_eq!(bad_tag.status(), 422);

    let not_a_date = post_note(
        &app,
        &jane.token,
        serde_json::json!({ "title": "Fine", "createdAt": "yesterday" }),
    )
    .await;
    assert_eq!(not_a_date.status(), 422);
    assert_eq!(journal_count(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_audio_entry_serves_byte_ranges_and_has_no_thumbnail() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let memo = media::test_audio(dir.path(), AudioFormat::Opus, 2);
    let whole = std::fs::read(&memo).unwrap();
    let body = app
        .upload_journal(&jane.token, &memo, &[("title", "Ranges")])
        .await;
    assert_eq!(body["media"], "audio");
    assert!(body["videoPath"].as_str().unwrap().ends_with(".ogg"));
    let id = body["id"].as_str().unwrap();

    let part = app
        .client
        .get(app.url(&format!("/api/v1/journals/{id}/video")))
        .bearer_auth(&jane.token)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-type"], "audio/ogg");
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{}", whole.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &whole[100..200]);

    let thumbnail = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/thumbnail"))
        .await;
    assert_eq!(thumbnail.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_note_is_written_with_the_page_form_without_javascript() {
    let app = spawn_app().await;
    let (mut browser, _) = NoScript::signed_up(&app, "jane").await;
    let page = browser.page("/new", StatusCode::OK).await;
    assert!(
        page.contains(r#"action="/new/note""#),
        "the form is on the page"
    );
    assert!(
        page.contains("Camera off"),
        "the sound-only recorder is offered"
    );
    assert!(
        page.contains("audio/*"),
        "the file picker takes sound files"
    );

    let refused = browser
        .submit(
            "/new/note",
            &[("title", ""), ("notes", "Kept for another try")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = refused.text().await.unwrap();
    assert!(
        again.contains("Kept for another try"),
        "the typed note is shown again"
    );

    let nul = browser
        .submit("/new/note", &[("title", "Fine"), ("notes", "a\u{0}b")])
        .await;
    assert!(nul.status().is_client_error(), "{}", nul.status());
    assert_eq!(journal_count(&app).await, 0);

    let saved = browser
        .submit(
            "/new/note",
            &[
                ("title", "Evening"),
                ("notes", "Swifts over the roofs."),
                ("tags", "birds"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let location = saved.headers()["location"].to_str().unwrap().to_string();
    let entry = browser.page(&location, StatusCode::OK).await;
    assert!(
        entry.contains("Swifts over the roofs."),
        "the notes are shown"
    );
    assert!(
        !entry.contains("<video") && !entry.contains("<audio"),
        "no player"
    );
    assert!(!entry.contains("Transcribe"), "nothing to transcribe");
    assert!(!entry.contains("No transcript"), "no transcript to miss");
    assert!(entry.contains(r#"data-media="none""#));

    let timeline = browser.page("/", StatusCode::OK).await;
    assert!(timeline.contains("thumb-note") && timeline.contains("Swifts over the roofs."));
    app.stop().await;
}

#[tokio::test]
async fn an_audio_entry_page_plays_in_an_audio_element_and_its_card_shows_a_microphone() {
    let app = common::spawn_app_with_transcription().await;
    let (mut browser, _) = NoScript::signed_up(&app, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let memo = media::test_audio(dir.path(), AudioFormat::M4a, 2);
    let form = common::upload_form(
        std::fs::read(&memo).unwrap(),
        "memo.m4a",
        &[("title", "Memo")],
    );
    let request = browser
        .request(reqwest::Method::POST, "/api/v1/journals")
        .header("x-csrf-token", browser.csrf())
        .multipart(form);
    let uploaded = browser.send(request).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let body: Value = uploaded.json().await.unwrap();
    let id = body["id"].as_str().unwrap();

    let entry = browser
        .page(&format!("/entries/{id}?t=1"), StatusCode::OK)
        .await;
    assert!(
        entry.contains(r#"<audio id="player""#)
            && entry.contains(&format!("/api/v1/journals/{id}/video#t=1")),
        "{entry}"
    );
    assert!(!entry.contains("<video"), "no video player");
    assert!(!entry.contains("/thumbnail"), "no poster");

    let timeline = browser.page("/", StatusCode::OK).await;
    assert!(
        timeline.contains("thumb-audio") && timeline.contains("Sound recording, 0:02"),
        "{timeline}"
    );
    assert!(!timeline.contains(&format!("{id}/thumbnail")));
    app.stop().await;
}

/// An opus recording of spoken words, uploaded, transcribed by Whisper (tiny.en) in a
/// worker as videos are, found by search, and captioned.
#[cfg(feature = "whisper")]
#[tokio::test]
async fn an_uploaded_opus_recording_is_transcribed_searchable_and_captioned() {
    use tokio_util::sync::CancellationToken;
    use weft::jobs::transcribe::Pipeline;
    use weft::jobs::worker::{self, WorkerConfig};

    let app = common::spawn_app_with_transcription().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let recording = media::spoken_audio(
        dir.path(),
        AudioFormat::Opus,
        &["The lighthouse keeper painted the door green."],
    );
    let journal = app
        .upload_journal(&jane.token, &recording, &[("title", "Spoken memo")])
        .await;
    assert_eq!(journal["media"], "audio");
    assert_eq!(
        journal["transcriptStatus"], "queued",
        "a job as for a video"
    );
    let id = journal["id"].as_str().unwrap().to_string();

    let shutdown = CancellationToken::new();
    let engine = weft::transcribe::Engine::Whisper(
        weft::transcribe::whisper::WhisperEngine::load(
            &common::model_dir(),
            weft_whisper::Options {
                language: Some("en".into()),
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine,
    };
    let workers = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig::default(),
        shutdown.clone(),
    ));
    let done = app
        .wait_for_transcript(
            &jane.token,
            &id,
            "done",
            std::time::Duration::from_secs(120),
        )
        .await;
    shutdown.cancel();
    workers.await.unwrap();
    let text = done["transcript"]["text"].as_str().unwrap().to_lowercase();
    assert!(
        text.contains("lighthouse") && text.contains("green"),
        "{text}"
    );

    let url = reqwest::Url::parse_with_params(&app.url("/api/v1/search"), &[("q", "lighthouse")])
        .unwrap();
    let found: Value = app
        .client
        .get(url)
        .bearer_auth(&jane.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["journal"]["id"], id.as_str());
    assert_eq!(items[0]["journal"]["media"], "audio");

    let vtt = app
        .get_as(
            &jane.token,
            &format!("/api/v1/journals/{id}/transcript.vtt"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        vtt.starts_with("WEBVTT") && vtt.to_lowercase().contains("lighthouse"),
        "{vtt}"
    );
    app.stop().await;
}
