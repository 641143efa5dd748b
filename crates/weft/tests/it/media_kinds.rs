//! Entries without a video of their own: sound recordings (m4a, opus, a browser's webm with
//! the camera off) uploaded and imported, entries of notes only, and imports that never bring
//! the same entry in twice. Real router, real PostgreSQL, real ffmpeg.

use std::path::PathBuf;

use crate::common::media::{self, AudioFormat};
use crate::common::{spawn_app, TestApp};
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
