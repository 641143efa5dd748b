//! Journals and their videos through the real router, a real PostgreSQL, real ffmpeg, and
//! the configured storage (local files, or S3 with WEFT_TEST_STORAGE=s3).

use std::path::PathBuf;

use crate::common::media::{self, Container};
use crate::common::{self, spawn_app, Account, TestApp};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

/// The text fields of every upload here: `title` and `tags`, with a location and a note.
fn fields<'a>(title: &'a str, tags: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("title", title),
        ("location", "Lisbon"),
        ("notes", "a note"),
        ("tags", tags),
    ]
}

async fn journal_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// Stored objects and leftover scratch files: both must be empty after a refused upload.
async fn leftovers(app: &TestApp) -> (Vec<String>, Vec<PathBuf>) {
    let mut stored = app.storage.list("videos").await.unwrap();
    stored.extend(app.storage.list("thumbnails").await.unwrap());
    let scratch = std::fs::read_dir(&app.scratch)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    (stored, scratch)
}

#[tokio::test]
async fn an_uploaded_mp4_becomes_a_journal_with_its_real_duration_and_a_server_key() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 3);

    let response = app
        .upload(
            &jane.token,
            &video,
            &fields("  First day  ", "Travel, family,travel"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["title"], "First day");
    assert_eq!(body["duration"], 3, "from the file, not the client");
    assert_eq!(body["userId"], jane.id);
    assert_eq!(body["location"], "Lisbon");
    assert_eq!(body["notes"], "a note");
    assert_eq!(body["tags"], json!(["family", "travel"]));
    assert_eq!(body["transcriptStatus"], "none");
    let key = body["videoPath"].as_str().unwrap();
    assert!(
        key.starts_with(&format!("videos/{}/", jane.id)) && key.ends_with(".mp4"),
        "{key}"
    );
    assert!(
        !key.contains("clip"),
        "the client's file name is not used: {key}"
    );

    let id = body["id"].as_str().unwrap();
    let fetched: Value = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, body);

    // Transcription is off on this server: asking for one is a conflict with how the
    // server is set up, not an outage to retry; an unknown journal is still a 404.
    let retry = |path: String| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&jane.token)
            .send()
    };
    let refused = retry(format!("/api/v1/journals/{id}/transcript/retry"))
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "transcription_off", "{refused}");
    let unknown = retry(format!(
        "/api/v1/journals/{}/transcript/retry",
        uuid::Uuid::new_v4()
    ))
    .await
    .unwrap();
    assert_eq!(unknown.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_webm_recording_is_accepted_and_served_as_webm() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::WebM, 2);

    let body: Value = app
        .upload(&jane.token, &video, &fields("Recorded", ""))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["duration"], 2);
    assert!(body["videoPath"].as_str().unwrap().ends_with(".webm"));
    let id = body["id"].as_str().unwrap();
    let video_response = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/video"))
        .await;
    assert_eq!(video_response.headers()["content-type"], "video/webm");
    app.stop().await;
}

#[tokio::test]
async fn a_browser_recording_without_a_duration_is_kept_with_one() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::streamed_webm(dir.path(), 3);

    let response = app
        .upload(&jane.token, &video, &fields("From Firefox", ""))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["duration"], 3);
    assert!(body["videoPath"].as_str().unwrap().ends_with(".webm"));
    let id = body["id"].as_str().unwrap();

    // What is kept is the same streams in a file that says how long it is.
    let kept = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/video"))
        .await;
    assert_eq!(kept.headers()["content-type"], "video/webm");
    let kept_path = dir.path().join("kept.webm");
    std::fs::write(&kept_path, kept.bytes().await.unwrap()).unwrap();
    let duration: f64 = media::container_duration(&kept_path).parse().unwrap();
    assert!((duration - 3.0).abs() < 0.1, "{duration}");
    assert_eq!(journal_count(&app).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn the_thumbnail_is_a_jpeg_and_the_video_downloads_byte_identical() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 3);
    let body: Value = app
        .upload(&jane.token, &video, &fields("Day", ""))
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();

    let thumb = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/thumbnail"))
        .await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let bytes = thumb.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "JPEG magic");

    let download = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/video"))
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["accept-ranges"], "bytes");
    assert_eq!(download.headers()["content-type"], "video/mp4");
    assert!(
        download.headers().contains_key("etag") && download.headers().contains_key("last-modified")
    );
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        std::fs::read(&video).unwrap().as_slice()
    );
    app.stop().await;
}

#[tokio::test]
async fn range_requests_serve_the_asked_bytes_so_players_can_seek() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 3);
    let original = std::fs::read(&video).unwrap();
    let size = original.len();
    let body: Value = app
        .upload(&jane.token, &video, &fields("Day", ""))
        .await
        .json()
        .await
        .unwrap();
    let url = app.url(&format!(
        "/api/v1/journals/{}/video",
        body["id"].as_str().unwrap()
    ));
    let get = |range: String| {
        app.client
            .get(&url)
            .bearer_auth(&jane.token)
            .header("range", range)
            .send()
    };

    let first = get("bytes=0-99".into()).await.unwrap();
    assert_eq!(first.status(), 206);
    assert_eq!(
        first.headers()["content-range"],
        format!("bytes 0-99/{size}").as_str()
    );
    assert_eq!(first.bytes().await.unwrap().as_ref(), &original[..100]);

    let middle = get(format!("bytes={}-{}", size / 2, size / 2 + 9))
        .await
        .unwrap();
    assert_eq!(middle.status(), 206);
    assert_eq!(
        middle.bytes().await.unwrap().as_ref(),
        &original[size / 2..size / 2 + 10]
    );

    let suffix = get("bytes=-100".into()).await.unwrap();
    assert_eq!(suffix.status(), 206);
    assert_eq!(
        suffix.bytes().await.unwrap().as_ref(),
        &original[size - 100..]
    );

    let past = get(format!("bytes={}-", size + 10)).await.unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );

    let stale = app
        .client
        .get(&url)
        .bearer_auth(&jane.token)
        .header("range", "bytes=0-9")
        .header("if-range", "\"some-old-version\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        200,
        "a changed If-Range gets the whole file"
    );
    let etag = stale.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(stale.bytes().await.unwrap().len(), size);

    let current = app
        .client
        .get(&url)
        .bearer_auth(&jane.token)
        .header("range", "bytes=0-9")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), 206);
    let cached = app
        .client
        .get(&url)
        .bearer_auth(&jane.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    app.stop().await;
}

#[tokio::test]
async fn a_text_file_named_mp4_is_refused_with_415_and_leaves_nothing() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("holiday.mp4");
    std::fs::write(&fake, "this is just text, not a video\n".repeat(100)).unwrap();

    let response = app.upload(&jane.token, &fake, &fields("Fake", "")).await;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    assert_eq!(body["error"]["field"], "video");
    assert_eq!(journal_count(&app).await, 0);
    assert_eq!(leftovers(&app).await, (vec![], vec![]));
    app.stop().await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_with_413_and_nothing_is_kept() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            upload_bytes: 64 * 1024,
            ..context.limits
        },
        ..context
    })
    .await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.mp4");
    std::fs::write(&big, vec![7u8; 3 * 1024 * 1024]).unwrap();

    let response = app.upload(&jane.token, &big, &fields("Too big", "")).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_eq!(journal_count(&app).await, 0);
    assert_eq!(leftovers(&app).await, (vec![], vec![]));
    app.stop().await;
}

#[tokio::test]
async fn an_upload_cut_off_midway_leaves_no_row_and_no_file() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let address = app.address.trim_start_matches("http://").to_string();

    let boundary = "weftboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nCut\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    );
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/v1/journals HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 10000000\r\n\r\n{head}",
        jane.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&vec![1u8; 512 * 1024]).await.unwrap();
    stream.flush().await.unwrap();
    // Give the server time to write what it got to its scratch file, then vanish.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        leftovers(&app).await.1.len(),
        1,
        "the upload was being written to scratch"
    );
    drop(stream);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (stored, scratch) = leftovers(&app).await;
        if stored.is_empty() && scratch.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "left behind: {stored:?} {scratch:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(journal_count(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn missing_fields_and_wrong_content_types_are_refused() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    let post = |form: Form| {
        app.client
            .post(app.url("/api/v1/journals"))
            .bearer_auth(&jane.token)
            .multipart(form)
            .send()
    };

    let no_title = post(Form::new().part(
        "video",
        Part::bytes(std::fs::read(&video).unwrap()).file_name("a.mp4"),
    ))
    .await
    .unwrap();
    assert_eq!(no_title.status(), 422);
    assert_eq!(
        no_title.json::<Value>().await.unwrap()["error"]["field"],
        "title"
    );

    let no_video = post(Form::new().text("title", "x")).await.unwrap();
    assert_eq!(no_video.status(), 422);
    assert_eq!(
        no_video.json::<Value>().await.unwrap()["error"]["field"],
        "video"
    );

    // JSON is an entry of notes only (tests/it/media_kinds.rs); plain text is neither.
    let text_body = app
        .client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(&jane.token)
        .header("content-type", "text/plain")
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_eq!(text_body.status(), 415);

    let anonymous = app
        .client
        .post(app.url("/api/v1/journals"))
        .multipart(Form::new().text("title", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(journal_count(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn editing_changes_the_text_fields_and_null_clears_them() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    let body: Value = app
        .upload(&jane.token, &video, &fields("Day", ""))
        .await
        .json()
        .await
        .unwrap();
    let url = app.url(&format!(
        "/api/v1/journals/{}",
        body["id"].as_str().unwrap()
    ));
    let patch = |value: Value| {
        app.client
            .patch(&url)
            .bearer_auth(&jane.token)
            .json(&value)
            .send()
    };

    let changed: Value = patch(json!({ "title": "Better title", "location": null }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["title"], "Better title");
    assert_eq!(changed["location"], Value::Null);
    assert_eq!(changed["notes"], "a note", "left out means unchanged");
    assert_ne!(changed["updatedAt"], body["updatedAt"]);

    assert_eq!(patch(json!({ "title": "  " })).await.unwrap().status(), 422);
    assert_eq!(
        patch(json!({ "title": "x".repeat(201) }))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        patch(json!({ "videoPath": "/etc/passwd" }))
            .await
            .unwrap()
            .status(),
        422
    );
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_journal_removes_its_row_and_its_files() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    let body: Value = app
        .upload(&jane.token, &video, &fields("Day", "a"))
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        leftovers(&app).await.0.len(),
        2,
        "video and thumbnail stored"
    );

    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/journals/{id}")))
        .bearer_auth(&jane.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.get_as(&jane.token, &format!("/api/v1/journals/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(journal_count(&app).await, 0);
    assert_eq!(leftovers(&app).await.0, Vec::<String>::new());
    app.stop().await;
}

#[tokio::test]
async fn another_user_gets_404_for_the_journal_its_video_and_its_thumbnail() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let john = app.register("john").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    let body: Value = app
        .upload(&jane.token, &video, &fields("Private", ""))
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();

    for path in ["", "/video", "/thumbnail"] {
        let response = app
            .get_as(&john.token, &format!("/api/v1/journals/{id}{path}"))
            .await;
        assert_eq!(response.status(), 404, "GET {path}");
    }
    let url = app.url(&format!("/api/v1/journals/{id}"));
    let patch = app
        .client
        .patch(&url)
        .bearer_auth(&john.token)
        .json(&json!({ "title": "mine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 404);
    let delete = app
        .client
        .delete(&url)
        .bearer_auth(&john.token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 404);
    let listed: Value = app
        .get_as(&john.token, "/api/v1/journals")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
    assert_eq!(
        app.get_as(&jane.token, &format!("/api/v1/journals/{id}"))
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn the_video_plays_with_the_session_cookie_for_a_video_element() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    let body: Value = app
        .upload(&jane.token, &video, &fields("Day", ""))
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .client
        .get(app.url(&format!(
            "/api/v1/journals/{}/video",
            body["id"].as_str().unwrap()
        )))
        .header("cookie", format!("weft_session={}", jane.token))
        .header("range", "bytes=0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    app.stop().await;
}

/// Inserts journals directly (no video needed) with given creation times and tags.
async fn seed_journals(app: &TestApp, account: &Account, entries: &[(&str, &str, &[&str])]) {
    let user: uuid::Uuid = account.id.parse().unwrap();
    let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, user)
        .await
        .unwrap();
    for (title, created_at, tags) in entries {
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO journals (user_id, title, video_path, duration, created_at) \
             VALUES ($1, $2, 'videos/x.mp4', 5, $3::timestamptz) RETURNING id",
        )
        .bind(user)
        .bind(title)
        .bind(created_at)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        weft::db::tags::add(&mut tx, id, &tags).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_timeline_pages_newest_first_and_filters_by_tag_and_date() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    seed_journals(
        &app,
        &jane,
        &[
            ("jan", "2026-01-10T10:00:00Z", &["walk"]),
            ("feb", "2026-02-10T10:00:00Z", &["walk", "family"]),
            ("mar", "2026-03-10T10:00:00Z", &["family"]),
            ("apr", "2026-04-10T10:00:00Z", &[]),
            ("may", "2026-05-10T10:00:00Z", &["walk"]),
        ],
    )
    .await;
    let get = |query: &str| {
        let path = format!("/api/v1/journals{query}");
        let token = jane.token.clone();
        let app = &app;
        async move {
            app.get_as(&token, &path)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    let first = get("?limit=2").await;
    assert_eq!(titles(&first), ["may", "apr"]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = get(&format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(titles(&second), ["mar", "feb"]);
    let third = get(&format!(
        "?limit=2&cursor={}",
        second["nextCursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(titles(&third), ["jan"]);
    assert!(third["nextCursor"].is_null());

    assert_eq!(titles(&get("?tag=Walk").await), ["may", "feb", "jan"]);
    assert_eq!(titles(&get("?tag=walk,family").await), ["feb"]);
    assert_eq!(
        titles(&get("?tag=walk,family&match=any").await),
        ["may", "mar", "feb", "jan"]
    );
    assert_eq!(
        titles(&get("?from=2026-02-01&to=2026-03-10").await),
        ["mar", "feb"]
    );
    assert_eq!(get("?tag=walk").await["items"][0]["tags"], json!(["walk"]));

    for bad in [
        "?limit=0",
        "?limit=101",
        "?cursor=garbage",
        "?from=yesterday",
        "?match=some",
    ] {
        let response = app
            .get_as(&jane.token, &format!("/api/v1/journals{bad}"))
            .await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn deleting_the_account_removes_its_video_files() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    assert_eq!(
        app.upload(&jane.token, &video, &fields("Day", ""))
            .await
            .status(),
        201
    );
    assert_eq!(leftovers(&app).await.0.len(), 2);

    let deleted = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&jane.token)
        .json(&json!({ "password": jane.password }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(leftovers(&app).await.0, Vec::<String>::new());
    assert_eq!(journal_count(&app).await, 0);
    app.stop().await;
}

/// Asks jane's first timeline page until `check` holds, for at most 5 s: a change made
/// outside the server (here a connection of the test's) is heard of by its notice
/// (migrations/0019), within milliseconds; 5 s is far below the 30 s a kept version lasts.
async fn shows(app: &TestApp, who: &Account, check: impl Fn(&Value) -> bool) {
    let started = std::time::Instant::now();
    loop {
        let page: Value = app
            .get_as(&who.token, "/api/v1/journals?limit=5")
            .await
            .json()
            .await
            .unwrap();
        if check(&page) {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the page still shows {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_timeline_page_answered_again_shows_every_change_made_since() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    seed_journals(
        &app,
        &jane,
        &[
            ("first", "2026-01-10T10:00:00Z", &["walk"]),
            ("second", "2026-02-10T10:00:00Z", &[]),
        ],
    )
    .await;
    let page = |who: &Account| {
        let token = who.token.clone();
        let app = &app;
        async move {
            app.get_as(&token, "/api/v1/journals?limit=5")
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first = page(&jane).await;
    assert_eq!(titles(&first), ["second", "first"]);
    assert_eq!(page(&jane).await, first, "the same page again");
    // Another user asking the same thing gets their own page.
    assert_eq!(titles(&page(&bob).await), Vec::<String>::new());

    let jane_id: uuid::Uuid = jane.id.parse().unwrap();
    let second: uuid::Uuid = first["items"][0]["id"].as_str().unwrap().parse().unwrap();
    let version = || async {
        sqlx::query_scalar::<_, i64>("SELECT version FROM timeline_versions WHERE user_id = $1")
            .bind(jane_id)
            .fetch_one(&app.db.admin)
            .await
            .unwrap()
    };
    // Each change, made as jane or by a maintenance connection acting for no one.
    let change = |sql: &'static str| {
        let app = &app;
        async move {
            let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, jane_id)
                .await
                .unwrap();
            sqlx::query(sql)
                .bind(second)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    change("UPDATE journals SET title = 'renamed' WHERE id = $1").await;
    shows(&app, &jane, |p| p["items"][0]["title"] == "renamed").await;
    change("INSERT INTO tags (journal_id, tag) VALUES ($1, 'sea')").await;
    shows(&app, &jane, |p| p["items"][0]["tags"] == json!(["sea"])).await;
    sqlx::query("UPDATE tags SET tag = 'ocean' WHERE tag = 'sea'")
        .execute(&app.db.admin)
        .await
        .unwrap();
    shows(&app, &jane, |p| p["items"][0]["tags"] == json!(["ocean"])).await;
    change(
        "INSERT INTO transcription_jobs (journal_id, user_id) \
         SELECT id, user_id FROM journals WHERE id = $1",
    )
    .await;
    shows(&app, &jane, |p| {
        p["items"][0]["transcriptStatus"] == "queued"
    })
    .await;
    change("UPDATE transcription_jobs SET state = 'running' WHERE journal_id = $1").await;
    shows(&app, &jane, |p| {
        p["items"][0]["transcriptStatus"] == "running"
    })
    .await;
    // A heartbeat changes nothing the timeline shows: the version stays.
    let before = version().await;
    change(
        "UPDATE transcription_jobs SET heartbeat_at = now(), progress = 0.5 WHERE journal_id = $1",
    )
    .await;
    assert_eq!(version().await, before);
    change("INSERT INTO transcripts (journal_id, text) VALUES ($1, 'hello')").await;
    change("DELETE FROM transcription_jobs WHERE journal_id = $1").await;
    shows(&app, &jane, |p| p["items"][0]["transcriptStatus"] == "done").await;
    change("DELETE FROM journals WHERE id = $1").await;
    shows(&app, &jane, |p| titles(p) == ["first"]).await;
    assert_eq!(titles(&page(&bob).await), Vec::<String>::new());
    app.stop().await;
}
