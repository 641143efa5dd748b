//! A journal worth exporting, for the export's tests: video entries with real mp4 files, an
//! audio entry (m4a), an entry of notes only, a transcript run by an engine (with word
//! timing and a model) and then corrected by hand, tags, a location, notes, titles that need
//! cleaning for a file system, two entries of the same day and title, and a time zone that
//! moves an entry to the next day.

use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::media::{self, Container};
use super::{Account, TestApp};
use weft::db::export::{self, ImportedVersion};
use weft::db::transcripts::TranscriptSource;
use weft::domain::{Segment, Word};

/// What the fixture made.
pub struct Journal {
    pub ada: Account,
    /// The entry called `a/b: c?` (31 December 2024, 23:30 UTC: 1 January 2025 in Tokyo).
    pub cleaned: String,
    /// The two entries called `Walk` and `walk` on 1 June 2024.
    pub walks: [String; 2],
    /// `Voice memo` (audio, 2 June 2024) and `Rainy day` (notes only, 3 June 2024).
    pub voice: String,
    pub rainy: String,
    /// The uploaded files, by entry id, with their SHA-256.
    pub recordings: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

/// The SHA-256 of a file, in hex.
pub fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// Sets a journal's time, as an import or an old recording has it.
pub async fn set_created_at(app: &TestApp, id: &str, at: &str) {
    sqlx::query("UPDATE journals SET created_at = $2::timestamptz WHERE id = $1::uuid")
        .bind(id)
        .bind(at)
        .execute(&app.db.admin)
        .await
        .unwrap();
}

/// Makes a journal one of notes only (no recording), as migration 0011 allows.
pub async fn make_notes_only(app: &TestApp, id: &str) {
    sqlx::query(
        "UPDATE journals SET media = 'none', video_path = '', duration = 0,
                notes = 'Rain all day.' WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&app.db.admin)
    .await
    .unwrap();
}

/// Makes ada's journal on `app`.
pub async fn make(app: &TestApp) -> Journal {
    let ada = app.register("ada").await;
    sqlx::query(
        "INSERT INTO user_settings (user_id, time_zone) VALUES ($1::uuid, 'Asia/Tokyo')
         ON CONFLICT (user_id) DO UPDATE SET time_zone = EXCLUDED.time_zone",
    )
    .bind(&ada.id)
    .execute(&app.db.admin)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = media::test_video(dir.path(), Container::Mp4, 3);
    let walk_dir = dir.path().join("walks");
    std::fs::create_dir_all(&walk_dir).unwrap();
    let second = media::test_video(&walk_dir, Container::Mp4, 2);
    let mut recordings = Vec::new();

    let notes = "First line\nsecond line";
    let cleaned = app
        .upload_journal(
            &ada.token,
            &first,
            &[
                ("title", "a/b: c?"),
                ("tags", "Sea, family"),
                ("location", "Lisbon"),
                ("notes", notes),
            ],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    set_created_at(app, &cleaned, "2024-12-31T23:30:00Z").await;
    recordings.push((cleaned.clone(), sha256_of(&first)));

    let mut walks = Vec::new();
    for (title, at) in [
        ("Walk", "2024-06-01T01:00:00Z"),
        ("walk", "2024-06-01T02:00:00Z"),
    ] {
        let id = app
            .upload_journal(&ada.token, &second, &[("title", title), ("tags", "walks")])
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        set_created_at(app, &id, at).await;
        recordings.push((id.clone(), sha256_of(&second)));
        walks.push(id);
    }

    // A sound recording and an entry of notes only, through the ingest the importers use.
    let ingest = weft::ingest::Ingest {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        transcription: None,
    };
    std::fs::create_dir_all(&app.scratch).unwrap();
    let memo = media::test_audio(dir.path(), media::AudioFormat::M4a, 2);
    let temp = weft::scratch::TempFile::new_in(&app.scratch, "m4a").unwrap();
    std::fs::copy(&memo, temp.path()).unwrap();
    let owner: Uuid = ada.id.parse().unwrap();
    let details = |title: &str, at: &str| weft::ingest::Details {
        title: title.into(),
        tags: vec!["voice".into()],
        created_at: Some(at.parse().unwrap()),
        ..weft::ingest::Details::default()
    };
    let voice = ingest
        .journal(owner, temp, details("Voice memo", "2024-06-02T03:00:00Z"))
        .await
        .unwrap();
    assert_eq!(voice.journal.media, weft::domain::Media::Audio);
    recordings.push((voice.journal.id.to_string(), sha256_of(&memo)));
    let rainy = ingest
        .note(
            owner,
            weft::ingest::Details {
                tags: Vec::new(),
                location: Some("Porto".into()),
                notes: Some("Rain all day.\nStayed in.".into()),
                ..details("Rainy day", "2024-06-03T05:00:00Z")
            },
        )
        .await
        .unwrap();

    // An engine's run with word timing and its model, then a correction by hand through the
    // API, which becomes the current version.
    let engine = vec![Segment {
        start: 0.0,
        end: 2.5,
        text: "Hello from the see.".into(),
        words: ["Hello", "from", "the", "see."]
            .iter()
            .enumerate()
            .map(|(n, w)| Word {
                word: w.to_string(),
                start: n as f64 * 0.6,
                end: n as f64 * 0.6 + 0.5,
                probability: Some(0.9),
            })
            .collect(),
        ..Segment::default()
    }];
    let mut tx = weft::db::scoped::begin_for_user(&app.db.admin, owner)
        .await
        .unwrap();
    export::insert_version(
        &mut tx,
        cleaned.parse().unwrap(),
        &ImportedVersion {
            text: "Hello from the see.",
            segments: &engine,
            created_at: "2025-01-01T00:00:00Z".parse().unwrap(),
            source: TranscriptSource::Engine,
            language: Some("en"),
            language_probability: Some(0.97),
            model: Some("whisper base.en"),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let corrected = app
        .client
        .put(app.url(&format!("/api/v1/journals/{cleaned}/transcript")))
        .bearer_auth(&ada.token)
        .json(&json!({ "segments": [{ "start": 0.0, "end": 2.5, "text": "Hello from the sea." }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        corrected.status(),
        200,
        "{}",
        corrected.text().await.unwrap()
    );

    // A title with NUL never gets in, so no export has to make one safe.
    let refused = app
        .upload(&ada.token, &first, &[("title", "bad\u{0}title")])
        .await;
    super::assert_invalid_text(refused, "title", "a title with NUL").await;

    Journal {
        ada,
        cleaned,
        walks: [walks[0].clone(), walks[1].clone()],
        voice: voice.journal.id.to_string(),
        rainy: rainy.journal.id.to_string(),
        recordings,
        _dir: dir,
    }
}

/// Where the test server keeps media on disk (the CLI is pointed at the same store).
pub fn media_root(app: &TestApp) -> PathBuf {
    app.scratch.parent().unwrap().join("media")
}

/// Runs the `weft` binary on the test server's database and media; its output.
pub fn weft(app: &TestApp, args: &[&str], extra: &[&Path]) -> std::process::Output {
    let data = app.scratch.parent().unwrap().join("cli-data");
    std::process::Command::new(super::weft_bin())
        .args(args)
        .args(extra)
        .env("DATABASE_URL", app.db.url())
        .env("WEFT_DATA_DIR", &data)
        .env("WEFT_STORAGE", media_root(app))
        .env("WEFT_TRANSCRIBER", "none")
        .env("WEFT_LOG", "warn")
        .output()
        .unwrap()
}

/// Asserts a command succeeded; its standard output.
pub fn succeeded(output: std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
