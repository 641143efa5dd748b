//! `weft export`, the download of a journal and `weft import weft-export`: the layout of an
//! export (folders named by the day in the user's time zone and a title safe on every file
//! system, recordings byte for byte, transcripts with every version, entry.md, index.html,
//! the manifest), the same in a zip, a round trip into an empty account that gives back the
//! same journals, tags, transcripts and recordings, a second import that adds nothing, and
//! the streamed download: its headers, its body, a client that goes away, and whose journal
//! it holds.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::journal_export::{self, succeeded, weft};
use crate::common::{self, TestApp};

/// The import of an export: a hidden top-level command until `weft import` has subcommands
/// (then `["import", "weft-export"]`).
const IMPORT: &[&str] = &["import", "weft-export"];

/// Every file under `root`, relative, with its bytes.
fn files_in(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// Every file of a zip, with its bytes.
fn files_in_zip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut found = BTreeMap::new();
    for n in 0..archive.len() {
        let mut file = archive.by_index(n).unwrap();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        found.insert(file.name().unwrap().to_string(), data);
    }
    found
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn an_export_holds_a_folder_per_entry_named_by_its_local_day_and_a_safe_title() {
    let app = common::spawn_app().await;
    let journal = journal_export::make(&app).await;
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("journal");

    let stdout = succeeded(weft(&app, &["export", "--user", "ADA"], &[&target]));
    assert!(stdout.contains("exported 5 entries of ada"), "{stdout}");

    let files = files_in(&target);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "2024-06-01 Walk/entry.md",
            "2024-06-01 Walk/video.mp4",
            "2024-06-01 walk (2)/entry.md",
            "2024-06-01 walk (2)/video.mp4",
            "2024-06-02 Voice memo/audio.m4a",
            "2024-06-02 Voice memo/entry.md",
            "2024-06-03 Rainy day/entry.md",
            // 23:30 UTC on 31 December is the morning of 1 January in Tokyo.
            "2025-01-01 a b c/entry.md",
            "2025-01-01 a b c/transcript.json",
            "2025-01-01 a b c/transcript.vtt",
            "2025-01-01 a b c/video.mp4",
            "index.html",
            "weft-export.json",
        ]
    );
    for (id, sha) in &journal.recordings {
        let folder = folder_of(&files, id);
        let file = if *id == journal.voice {
            "audio.m4a"
        } else {
            "video.mp4"
        };
        assert_eq!(
            &sha256(&files[&format!("{folder}/{file}")]),
            sha,
            "{folder}"
        );
    }

    let transcript: Value =
        serde_json::from_slice(&files["2025-01-01 a b c/transcript.json"]).unwrap();
    assert_eq!(transcript["source"], "person");
    assert_eq!(transcript["text"], "Hello from the sea.");
    assert_eq!(transcript["language"], "en");
    let versions = transcript["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{transcript}");
    assert_eq!(versions[0]["source"], "engine");
    assert_eq!(versions[0]["model"], "whisper base.en");
    assert_eq!(versions[0]["segments"][0]["words"][3]["word"], "see.");
    assert_eq!(versions[1]["segments"][0]["text"], "Hello from the sea.");
    // The correction kept the timing of the words it did not change.
    assert_eq!(transcript["segments"][0]["words"][0]["word"], "Hello");
    let vtt = String::from_utf8(files["2025-01-01 a b c/transcript.vtt"].clone()).unwrap();
    assert!(vtt.starts_with("WEBVTT\n") && vtt.contains("sea."), "{vtt}");

    let md = String::from_utf8(files["2025-01-01 a b c/entry.md"].clone()).unwrap();
    for line in [
        &format!("id: {}", journal.cleaned),
        "title: \"a/b: c?\"",
        "date: 2025-01-01T08:30:00+09:00",
        "time_zone: \"Asia/Tokyo\"",
        "tags: [\"family\", \"sea\"]",
        "location: \"Lisbon\"",
        "media: video",
        "recording: \"video.mp4\"",
        "duration: 3",
        "transcript: done",
    ] {
        assert!(md.lines().any(|l| l == line), "{line} in\n{md}");
    }
    assert!(
        md.contains("\nFirst line\nsecond line\n\n## Transcript\n\nHello from the sea.\n"),
        "{md}"
    );

    let manifest: Value = serde_json::from_slice(&files["weft-export.json"]).unwrap();
    assert_eq!(manifest["format"], "weft-export");
    assert_eq!(manifest["version"], 1);
    assert_eq!(manifest["user"]["username"], "ada");
    assert_eq!(manifest["user"]["timeZone"], "Asia/Tokyo");
    let entries = manifest["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["folder"], "2024-06-01 Walk", "oldest first");
    assert_eq!(entries[4]["recordingSha256"], journal.recordings[0].1);
    assert_eq!(entries[2]["media"], "audio");
    assert_eq!(entries[3]["media"], "none");
    assert_eq!(entries[3]["recording"], Value::Null);
    let rainy = String::from_utf8(files["2024-06-03 Rainy day/entry.md"].clone()).unwrap();
    assert!(
        rainy.contains(&format!("id: {}\n", journal.rainy)),
        "{rainy}"
    );
    assert!(
        rainy.contains("media: none\nrecording: null\nduration: 0\n"),
        "{rainy}"
    );
    assert!(
        rainy.ends_with("# Rainy day\n\nRain all day.\nStayed in.\n"),
        "{rainy}"
    );

    let index = String::from_utf8(files["index.html"].clone()).unwrap();
    assert!(
        index.contains("src=\"2025-01-01%20a%20b%20c/video.mp4\""),
        "{index}"
    );
    assert!(
        index.contains("href=\"2025-01-01%20a%20b%20c/transcript.vtt\""),
        "{index}"
    );
    // Captions inline: Chromium loads no <track> file beside a page from the file system.
    assert!(
        index.contains("default src=\"data:text/vtt;charset=utf-8,WEBVTT%0A"),
        "{index}"
    );
    assert!(
        index.contains("a/b: c?") && index.contains("First line"),
        "{index}"
    );
    assert!(
        !index.contains("http://") && !index.contains("<script"),
        "offline only"
    );

    // A folder that is not empty is refused, and left as it was.
    let again = weft(&app, &["export", "--user", "ada"], &[&target]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not an empty folder"));
    assert_eq!(files_in(&target).len(), files.len());
    app.stop().await;
}

/// The folder of entry `id` in an export's files, from its manifest.
fn folder_of(files: &BTreeMap<String, Vec<u8>>, id: &str) -> String {
    let manifest: Value = serde_json::from_slice(&files["weft-export.json"]).unwrap();
    let entry = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap();
    entry["folder"].as_str().unwrap().to_string()
}

/// A user's journals as comparable rows: time, title, kind, duration, location, notes, tags.
async fn journals_of(app: &TestApp, user: &str) -> Vec<(String, Value)> {
    let rows: Vec<(String, Value)> = sqlx::query_as(
        "SELECT j.id::text, json_build_object(
                'createdAt', j.created_at, 'title', j.title, 'media', j.media,
                'duration', j.duration, 'location', j.location, 'notes', j.notes,
                'tags', array(SELECT tag FROM tags t WHERE t.journal_id = j.id ORDER BY tag),
                'transcripts', array(SELECT json_build_object(
                    'createdAt', tr.created_at, 'text', tr.text, 'source', tr.source,
                    'language', tr.language, 'model', tr.model, 'segments', tr.segments)
                  FROM transcripts tr WHERE tr.journal_id = j.id ORDER BY tr.created_at),
                'jobs', (SELECT count(*) FROM transcription_jobs q WHERE q.journal_id = j.id))
         FROM journals j JOIN users u ON u.id = j.user_id
         WHERE u.username = $1 ORDER BY j.created_at",
    )
    .bind(user)
    .fetch_all(&app.db.admin)
    .await
    .unwrap();
    rows
}

/// The SHA-256 of every recording of a user, in the order of their journals.
async fn recordings_of(app: &TestApp, user: &str) -> Vec<String> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT j.video_path FROM journals j JOIN users u ON u.id = j.user_id
         WHERE u.username = $1 AND j.video_path <> '' ORDER BY j.created_at",
    )
    .bind(user)
    .fetch_all(&app.db.admin)
    .await
    .unwrap();
    let mut hashes = Vec::new();
    for key in keys {
        hashes.push(sha256(&app.storage.get_bytes(&key).await.unwrap()));
    }
    hashes
}

#[tokio::test]
async fn a_zip_export_imported_into_an_empty_account_gives_back_the_same_journal_once() {
    let app = common::spawn_app().await;
    journal_export::make(&app).await;
    app.register("bob").await;
    let out = tempfile::tempdir().unwrap();
    let zip = out.path().join("ada.ZIP");
    let folder = out.path().join("ada");

    succeeded(weft(&app, &["export", "--user", "ada"], &[&zip]));
    succeeded(weft(&app, &["export", "--user", "ada"], &[&folder]));
    assert!(!out.path().join("ada.zip.partial").exists());
    let zipped = files_in_zip(&std::fs::read(&zip).unwrap());
    let unzipped = files_in(&folder);
    assert_eq!(
        zipped.keys().collect::<Vec<_>>(),
        unzipped.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &unzipped {
        if name != "weft-export.json" && name != "index.html" {
            assert!(
                zipped[name] == *bytes,
                "{name} differs between the zip and the folder"
            );
        }
    }

    let stdout = succeeded(weft(
        &app,
        IMPORT,
        &[Path::new("--user"), Path::new("bob"), &zip],
    ));
    assert!(
        stdout.contains("5 imported, 0 already there, 0 skipped"),
        "{stdout}"
    );
    let ada = journals_of(&app, "ada").await;
    let bob = journals_of(&app, "bob").await;
    let without_jobs = |rows: &[(String, Value)]| -> Vec<Value> {
        rows.iter()
            .map(|(_, v)| {
                let mut v = v.clone();
                v.as_object_mut().unwrap().remove("jobs");
                v
            })
            .collect()
    };
    assert_eq!(without_jobs(&bob), without_jobs(&ada));
    assert_eq!(bob[4].1["transcripts"].as_array().unwrap().len(), 2);
    assert_eq!(bob[2].1["media"], "audio");
    assert_eq!(bob[3].1["media"], "none");
    assert!(
        bob.iter().all(|(_, v)| v["jobs"] == 0),
        "no transcription queued: {bob:?}"
    );
    assert_eq!(
        recordings_of(&app, "bob").await,
        recordings_of(&app, "ada").await
    );
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT source_key FROM journal_imports ORDER BY source_key")
            .fetch_all(&app.db.admin)
            .await
            .unwrap();
    let mut expected: Vec<String> = ada.iter().map(|(id, _)| format!("weft:{id}")).collect();
    expected.sort();
    assert_eq!(keys, expected);

    // Again, from the zip and from the folder: nothing is added.
    for source in [&zip, &folder] {
        let stdout = succeeded(weft(
            &app,
            IMPORT,
            &[Path::new("--user"), Path::new("bob"), source],
        ));
        assert!(
            stdout.contains("0 imported, 5 already there, 0 skipped"),
            "{stdout}"
        );
    }
    assert_eq!(journals_of(&app, "bob").await.len(), 5);
    let objects = app.storage.list_with_info("").await.unwrap().len();
    assert_eq!(
        objects, 14,
        "three videos with their thumbnails and a sound recording each for ada and bob"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_damaged_entry_of_an_export_is_reported_and_skips_only_itself() {
    let app = common::spawn_app().await;
    journal_export::make(&app).await;
    app.register("bob").await;
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("ada");
    succeeded(weft(&app, &["export", "--user", "ada"], &[&folder]));
    let path = folder.join("weft-export.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["entries"][0]["title"] = Value::from("bad\u{0}title");
    manifest["entries"][1]["folder"] = Value::from("../elsewhere");
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    // A recording changed after the export.
    let third = manifest["entries"][2]["folder"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(folder.join(&third).join("audio.m4a"), b"not the recording").unwrap();
    let not_export = out.path().join("empty");
    std::fs::create_dir_all(&not_export).unwrap();

    let output = weft(
        &app,
        IMPORT,
        &[Path::new("--user"), Path::new("bob"), &folder],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the others came in: {stdout}");
    assert!(
        stdout.contains("2 imported, 0 already there, 3 skipped"),
        "{stdout}"
    );
    assert!(stdout.contains("NUL"), "{stdout}");
    assert!(
        stdout.contains("skipped ../elsewhere: the manifest names a folder outside the export"),
        "{stdout}"
    );
    assert!(stdout.contains("differs from the one exported"), "{stdout}");
    let titles: Vec<Value> = journals_of(&app, "bob")
        .await
        .into_iter()
        .map(|(_, v)| v["title"].clone())
        .collect();
    assert_eq!(titles, ["Rainy day", "a/b: c?"]);
    let left = app.storage.list_with_info("").await.unwrap().len();
    assert_eq!(left, 7 + 2, "ada's, and bob's one video with its thumbnail");

    let output = weft(
        &app,
        IMPORT,
        &[Path::new("--user"), Path::new("bob"), &not_export],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a Weft export"));
    app.stop().await;
}

#[tokio::test]
async fn a_recording_lost_from_storage_does_not_stop_the_export_of_the_rest() {
    let app = common::spawn_app().await;
    let journal = journal_export::make(&app).await;
    app.register("bob").await;
    // The voice memo's recording is gone (an object removed by hand, an older disk).
    let key: String = sqlx::query_scalar("SELECT video_path FROM journals WHERE id = $1::uuid")
        .bind(&journal.voice)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    app.storage.delete(&key).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("ada");

    let output = weft(&app, &["export", "--user", "ada"], &[&folder]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = succeeded(output);
    assert!(stdout.contains("exported 5 entries"), "{stdout}");
    assert!(
        stderr.contains("1 entries were exported without their recording")
            && stderr.contains("Voice memo"),
        "{stderr}"
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("weft-export.json")).unwrap()).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let voice = entries
        .iter()
        .find(|e| e["id"] == journal.voice.as_str())
        .unwrap();
    assert_eq!(voice["recording"], Value::Null);
    assert_eq!(voice["recordingMissing"], "audio.m4a");
    let voice_folder = folder.join(voice["folder"].as_str().unwrap());
    assert!(!voice_folder.join("audio.m4a").exists());
    let markdown = std::fs::read_to_string(voice_folder.join("entry.md")).unwrap();
    assert!(
        markdown.contains("recording_missing: \"audio.m4a\""),
        "{markdown}"
    );
    // The others are whole.
    let with_recordings = entries
        .iter()
        .filter(|e| e["recordingSha256"].is_string())
        .count();
    assert_eq!(with_recordings, 3, "the three videos");

    let output = weft(
        &app,
        IMPORT,
        &[Path::new("--user"), Path::new("bob"), &folder],
    );
    let stdout = succeeded(output);
    assert!(
        stdout.contains("4 imported, 0 already there, 1 skipped"),
        "{stdout}"
    );
    assert!(
        stdout.contains("its recording was missing from storage when it was exported"),
        "{stdout}"
    );
    app.stop().await;
}

/// GETs `path` as the holder of `token`; the answer.
async fn download(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_download_streams_the_signed_in_users_journal_and_no_one_elses() {
    let app = common::spawn_app().await;
    let journal = journal_export::make(&app).await;
    let bob = app.register("bob").await;
    let bobs = app.insert_journal(&bob, "Bob's day").await;
    journal_export::set_created_at(&app, &bobs, "2024-03-03T12:00:00Z").await;
    journal_export::make_notes_only(&app, &bobs).await;

    let response = download(&app, &journal.ada.token, "/api/v1/export.zip").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/zip");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"weft-ada-"),
        "{disposition}"
    );
    assert!(
        headers.get("content-length").is_none(),
        "streamed: {headers:?}"
    );
    let files = files_in_zip(&response.bytes().await.unwrap());
    let manifest: Value = serde_json::from_slice(&files["weft-export.json"]).unwrap();
    assert_eq!(manifest["entries"].as_array().unwrap().len(), 5);
    assert!(
        !files.keys().any(|f| f.contains("Bob")),
        "{:?}",
        files.keys()
    );
    for (id, sha) in &journal.recordings {
        let file = if *id == journal.voice {
            "audio.m4a"
        } else {
            "video.mp4"
        };
        assert_eq!(
            &sha256(&files[&format!("{}/{file}", folder_of(&files, id))]),
            sha
        );
    }

    // Bob gets his own journal, whichever way he asks; no one else's.
    let response = download(&app, &bob.token, "/api/v1/export.zip?user=ada").await;
    let files = files_in_zip(&response.bytes().await.unwrap());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "2024-03-03 Bob's day/entry.md",
            "index.html",
            "weft-export.json"
        ]
    );
    let response = app
        .client
        .get(app.url("/api/v1/export.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // The account page's link, with the session cookie.
    let response = app
        .client
        .get(app.url("/account/export.zip"))
        .header("cookie", format!("weft_session={}", journal.ada.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let files = files_in_zip(&response.bytes().await.unwrap());
    assert_eq!(files.len(), 13);
    let page = app
        .client
        .get(app.url("/account"))
        .header("cookie", format!("weft_session={}", journal.ada.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"/account/export.zip\""), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_mid_download_stops_the_export_and_leaves_nothing() {
    let app = common::spawn_app().await;
    let ada = app.register("ada").await;
    // A recording far larger than the buffers between the export and the client.
    let big = tempfile::NamedTempFile::new_in(app.scratch.parent().unwrap()).unwrap();
    let bytes = vec![7u8; 64 * 1024 * 1024];
    std::fs::write(big.path(), &bytes).unwrap();
    let id = app.insert_journal(&ada, "Long day").await;
    let key = format!("videos/{}/{id}.mp4", ada.id);
    app.storage.put_file(&key, big.path()).await.unwrap();
    sqlx::query("UPDATE journals SET video_path = $2 WHERE id = $1::uuid")
        .bind(&id)
        .bind(&key)
        .execute(&app.db.admin)
        .await
        .unwrap();

    let response = download(&app, &ada.token, "/api/v1/export.zip").await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    assert_eq!(
        weft::export::running(),
        1,
        "the export runs while the body is read"
    );
    drop(body);

    let deadline = Instant::now() + Duration::from_secs(20);
    while weft::export::running() > 0 {
        assert!(
            Instant::now() < deadline,
            "the export kept running after the client left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left: Vec<_> = std::fs::read_dir(&app.scratch)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "nothing left in the scratch folder: {left:?}"
    );
    // The server serves the next download whole.
    let again = download(&app, &ada.token, "/api/v1/export.zip").await;
    let files = files_in_zip(&again.bytes().await.unwrap());
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert!(files[&format!("{today} Long day/video.mp4")] == bytes);
    app.stop().await;
}
