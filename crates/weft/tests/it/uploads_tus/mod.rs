//! Resumable uploads (tus 1.0) under /api/v1/uploads: the protocol's answers, another
//! user's 404, CSRF, the per-user cap and bad metadata. `faults` has the client cut off or
//! stalled, the server killed, expiry, and tus-js-client (a third-party client under Node).
//! Every finished upload is compared byte for byte (SHA-256) with the original.

mod faults;

use std::path::Path;

use weft::db::uploads::Lease;

use crate::common::media::{self, Container};
use crate::common::tus::{header, header_u64, metadata, sha256, Tus};
use crate::common::{self, spawn_app, spawn_app_with, TestApp};

/// The stored video of `journal_id`, as bytes.
async fn stored_video(
    app_db: &sqlx::PgPool,
    storage: &weft::storage::Storage,
    journal_id: &str,
) -> Vec<u8> {
    let (key,): (String,) = sqlx::query_as("SELECT video_path FROM journals WHERE id = $1::uuid")
        .bind(journal_id)
        .fetch_one(app_db)
        .await
        .unwrap();
    storage.get_bytes(&key).await.unwrap().to_vec()
}

/// How many upload rows there are (all users).
async fn upload_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM uploads")
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// The keys or files of unfinished uploads' bytes in the app's storage.
async fn stored_parts(app: &TestApp) -> usize {
    match app.storage.local_root() {
        Some(root) => walk(&root.join("uploads")),
        None => app.storage.list("uploads").await.unwrap().len(),
    }
}

fn walk(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

fn video(dir: &Path) -> Vec<u8> {
    std::fs::read(media::test_video(dir, Container::Mp4, 2)).unwrap()
}

#[tokio::test]
async fn options_says_the_version_extensions_and_size_limit() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(header(&response, "tus-version").as_deref(), Some("1.0.0"));
    let extensions = header(&response, "tus-extension").unwrap();
    for extension in [
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(
            extensions.split(',').any(|e| e == extension),
            "{extensions}"
        );
    }
    assert_eq!(
        header_u64(&response, "tus-max-size"),
        2 * 1024 * 1024 * 1024
    );
    assert_eq!(
        header(&response, "tus-checksum-algorithm").as_deref(),
        Some("sha1,sha256")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_upload_sent_in_two_patches_becomes_a_journal_with_its_metadata_and_the_same_bytes() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = video(dir.path());
    let tus = Tus::new(&app.address);
    let created = tus
        .create(
            &kim.token,
            bytes.len() as u64,
            &metadata(&[
                ("filename", "walk.mp4"),
                ("filetype", "video/mp4"),
                ("title", "A walk by the river"),
                ("tags", "Travel, family"),
                ("location", "Lisbon"),
                ("notes", "Windy."),
            ]),
        )
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(header(&created, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(header_u64(&created, "upload-offset"), 0);
    assert!(header(&created, "upload-expires")
        .unwrap()
        .ends_with(" GMT"));
    let path = header(&created, "location").unwrap();
    assert!(path.starts_with("/api/v1/uploads/"), "{path}");

    let half = bytes.len() / 2;
    let first = tus
        .patch(&kim.token, &path, 0, bytes[..half].to_vec())
        .await;
    assert_eq!(first.status(), 204);
    assert_eq!(header_u64(&first, "upload-offset"), half as u64);
    assert_eq!(header(&first, "weft-journal-id"), None);
    let head = tus.head(&kim.token, &path).await;
    assert_eq!(head.status(), 200);
    assert_eq!(header_u64(&head, "upload-offset"), half as u64);
    assert_eq!(header_u64(&head, "upload-length"), bytes.len() as u64);
    assert_eq!(header(&head, "cache-control").as_deref(), Some("no-store"));
    assert!(header(&head, "upload-metadata").unwrap().contains("title "));

    let last = tus
        .patch(&kim.token, &path, half as u64, bytes[half..].to_vec())
        .await;
    assert_eq!(last.status(), 204, "{:?}", last.headers());
    assert_eq!(header_u64(&last, "upload-offset"), bytes.len() as u64);
    let journal_id = header(&last, "weft-journal-id").expect("the journal's id");
    assert_eq!(
        header(&last, "weft-journal-location").unwrap(),
        format!("/api/v1/journals/{journal_id}")
    );

    let journal: serde_json::Value = app
        .get_as(&kim.token, &format!("/api/v1/journals/{journal_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(journal["title"], "A walk by the river");
    assert_eq!(journal["tags"], serde_json::json!(["family", "travel"]));
    assert_eq!(journal["location"], "Lisbon");
    assert_eq!(journal["notes"], "Windy.");
    assert_eq!(
        sha256(&stored_video(&app.db.admin, &app.storage, &journal_id).await),
        sha256(&bytes)
    );
    // The bytes of the upload are gone; HEAD of the finished upload names the journal.
    assert_eq!(stored_parts(&app).await, 0);
    let head = tus.head(&kim.token, &path).await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        header(&head, "weft-journal-id").as_deref(),
        Some(journal_id.as_str())
    );
    assert_eq!(header_u64(&head, "upload-offset"), bytes.len() as u64);
    app.stop().await;
}

/// A client sends its next PATCH the moment the last one is answered; the upload is let go
/// of before the answer, so none of hundreds of small PATCHes finds it still locked (423).
#[tokio::test]
async fn patches_sent_back_to_back_never_find_the_upload_still_locked() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = video(dir.path());
    let tus = Tus::new(&app.address);
    let created = tus
        .create(
            &kim.token,
            bytes.len() as u64,
            &metadata(&[("filename", "walk.mp4"), ("title", "Small chunks")]),
        )
        .await;
    let path = header(&created, "location").unwrap();
    let chunk = bytes.len().div_ceil(300);
    let mut offset = 0;
    let mut patches = 0;
    while offset < bytes.len() {
        let end = (offset + chunk).min(bytes.len());
        let answer = tus
            .patch(
                &kim.token,
                &path,
                offset as u64,
                bytes[offset..end].to_vec(),
            )
            .await;
        assert_eq!(answer.status(), 204, "PATCH {patches} at {offset}");
        offset = header_u64(&answer, "upload-offset") as usize;
        patches += 1;
    }
    assert!(patches >= 290, "{patches} PATCHes");

    // Closer than any client can come: taken again the moment it is let go.
    let upload = tus
        .create(
            &kim.token,
            bytes.len() as u64,
            &metadata(&[("filename", "walk.mp4"), ("title", "Taken again")]),
        )
        .await;
    assert_eq!(upload.status(), 201, "{:?}", upload.headers());
    let id: uuid::Uuid = header(&upload, "location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let user_id: uuid::Uuid = kim.id.parse().unwrap();
    for round in 0..100 {
        let lease = Lease::acquire(&app.db.pool, user_id, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("round {round}: still locked"));
        lease.release().await;
    }
    app.stop().await;
}

#[tokio::test]
async fn creation_with_upload_takes_the_whole_file_in_the_post() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = video(dir.path());
    let response = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", metadata(&[("title", "In one go")]))
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(header_u64(&response, "upload-offset"), bytes.len() as u64);
    let journal_id = header(&response, "weft-journal-id").expect("a journal");
    assert_eq!(
        sha256(&stored_video(&app.db.admin, &app.storage, &journal_id).await),
        sha256(&bytes)
    );
    app.stop().await;
}

#[tokio::test]
async fn protocol_mistakes_get_412_409_415_413_400_404_and_460() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, 100, "Mistakes").await;
    let url = app.url(&path);

    // No Tus-Resumable: 412 with the version spoken.
    let no_version = app
        .client
        .head(&url)
        .bearer_auth(&kim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 412);
    assert_eq!(header(&no_version, "tus-version").as_deref(), Some("1.0.0"));
    let old_version = app
        .client
        .patch(&url)
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(old_version.status(), 412);
    assert_eq!(
        old_version.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unsupported_version"
    );

    // The wrong offset: 409, and nothing moves.
    let wrong = tus.patch(&kim.token, &path, 5, vec![1u8; 10]).await;
    assert_eq!(wrong.status(), 409);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Upload-Offset must be 0"));
    // Not application/offset+octet-stream: 415.
    let wrong_type = app
        .client
        .patch(&url)
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/octet-stream")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    // A missing or malformed Upload-Offset: 400.
    for offset in ["", "-1", "+1", "1.5", "ten"] {
        let bad = app
            .client
            .patch(&url)
            .bearer_auth(&kim.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset)
            .header("Content-Type", "application/offset+octet-stream")
            .body(vec![0u8; 10])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400, "Upload-Offset {offset:?}");
    }
    // More bytes than remain: 413, and nothing moves.
    let past = tus.patch(&kim.token, &path, 0, vec![1u8; 101]).await;
    assert_eq!(past.status(), 413);
    assert_eq!(tus.offset(&kim.token, &path).await, 0);

    // A checksum that does not match: 460, and nothing of it counts; one that does: 204.
    let body = vec![7u8; 40];
    let bad_sum = app
        .client
        .patch(&url)
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", "sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=")
        .header("Content-Type", "application/offset+octet-stream")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bad_sum.status().as_u16(), 460);
    assert_eq!(tus.offset(&kim.token, &path).await, 0);
    use base64::Engine;
    use sha1::Digest;
    let digest = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&body));
    let good_sum = app
        .client
        .patch(&url)
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", format!("sha1 {digest}"))
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(good_sum.status(), 204);
    assert_eq!(header_u64(&good_sum, "upload-offset"), 40);
    let unknown_algorithm = app
        .client
        .patch(&url)
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "40")
        .header("Upload-Checksum", format!("md5 {digest}"))
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![1u8; 5])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_algorithm.status(), 400);

    // Creation: a length over the limit is 413; a missing or malformed one, or a deferred
    // length, is 400.
    let huge = tus
        .create(
            &kim.token,
            3 * 1024 * 1024 * 1024,
            &metadata(&[("title", "Huge")]),
        )
        .await;
    assert_eq!(huge.status(), 413);
    for length in ["", "abc", "-5"] {
        let bad = app
            .client
            .post(app.url("/api/v1/uploads"))
            .bearer_auth(&kim.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length)
            .header("Upload-Metadata", metadata(&[("title", "x")]))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400, "Upload-Length {length:?}");
    }
    let deferred = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", metadata(&[("title", "x")]))
        .send()
        .await
        .unwrap();
    assert_eq!(deferred.status(), 400);
    // Unknown and malformed ids: 404. No token: 401.
    let unknown = tus
        .head(
            &kim.token,
            &format!("/api/v1/uploads/{}", uuid::Uuid::new_v4()),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let malformed = tus
        .patch(&kim.token, "/api/v1/uploads/not-an-id", 0, vec![1])
        .await;
    assert_eq!(malformed.status(), 404);
    let anonymous = app
        .client
        .head(&url)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn bad_metadata_is_refused_at_creation_before_any_byte() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (String::new(), 422, "invalid_field", "title"),
        (metadata(&[("title", "   ")]), 422, "invalid_field", "title"),
        (
            metadata(&[("title", &"x".repeat(201))]),
            422,
            "invalid_field",
            "title",
        ),
        (metadata(&[("title", "a\0b")]), 422, "invalid_text", "title"),
        (
            metadata(&[("title", "ok"), ("tags", "one,tw\0o")]),
            422,
            "invalid_text",
            "tags",
        ),
        (
            metadata(&[("title", "ok"), ("notes", "\0")]),
            422,
            "invalid_text",
            "notes",
        ),
        (
            metadata(&[("title", "ok"), ("location", "\0")]),
            422,
            "invalid_text",
            "location",
        ),
        (
            metadata(&[("title", "ok"), ("filename", "a\0.mp4")]),
            422,
            "invalid_text",
            "filename",
        ),
        (
            metadata(&[
                ("title", "ok"),
                (
                    "tags",
                    &(0..21)
                        .map(|i| format!("t{i}"))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            ]),
            422,
            "invalid_field",
            "tags",
        ),
        (
            "title ***".to_string(),
            400,
            "invalid_metadata",
            "Upload-Metadata",
        ),
        (
            "title aGk=,title aGk=".to_string(),
            400,
            "invalid_metadata",
            "Upload-Metadata",
        ),
        // Base64 of bytes that are not UTF-8.
        (
            "title //79".to_string(),
            400,
            "invalid_metadata",
            "Upload-Metadata",
        ),
    ];
    for (header_value, status, code, field) in cases {
        let response = tus.create(&kim.token, 1000, &header_value).await;
        let got = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(got, status, "{header_value:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{header_value:?}: {body}");
        assert_eq!(body["error"]["field"], field, "{header_value:?}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().ends_with('.'),
            "{body}"
        );
    }
    assert_eq!(upload_rows(&app).await, 0, "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn another_user_gets_404_for_every_method_and_changes_nothing() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let lee = app.register("lee").await;
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, 100, "Kim's").await;
    assert_eq!(
        tus.patch(&kim.token, &path, 0, vec![1u8; 10])
            .await
            .status(),
        204
    );

    assert_eq!(tus.head(&lee.token, &path).await.status(), 404);
    assert_eq!(
        tus.patch(&lee.token, &path, 10, vec![1u8; 10])
            .await
            .status(),
        404
    );
    let delete = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&lee.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 404);
    assert_eq!(
        tus.offset(&kim.token, &path).await,
        10,
        "Kim's upload is untouched"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cookie_signed_patch_or_delete_without_the_csrf_header_is_refused() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, 100, "Cookie").await;
    let cookie = format!("weft_session={}", kim.token);
    let patch = app
        .client
        .patch(app.url(&path))
        .header("cookie", &cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 403);
    let create = app
        .client
        .post(app.url("/api/v1/uploads"))
        .header("cookie", &cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", metadata(&[("title", "x")]))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 403);
    let with_token = app
        .client
        .patch(app.url(&path))
        .header("cookie", &cookie)
        .header("x-csrf-token", &kim.csrf)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 204);
    app.stop().await;
}

#[tokio::test]
async fn the_cap_on_unfinished_uploads_answers_429_until_one_is_deleted() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            max_unfinished_uploads: 2,
            ..context.limits
        },
        ..context
    })
    .await;
    let kim = app.register("kim").await;
    let lee = app.register("lee").await;
    let tus = Tus::new(&app.address);
    let first = tus.created(&kim.token, 100, "one").await;
    tus.created(&kim.token, 100, "two").await;
    let third = tus
        .create(&kim.token, 100, &metadata(&[("title", "three")]))
        .await;
    assert_eq!(third.status(), 429);
    let body: serde_json::Value = third.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unfinished uploads"),
        "{body}"
    );
    // The cap is per user.
    tus.created(&lee.token, 100, "lee's").await;
    // Termination frees a place, and removes the upload's bytes.
    assert_eq!(
        tus.patch(&kim.token, &first, 0, vec![1u8; 10])
            .await
            .status(),
        204
    );
    assert_eq!(stored_parts(&app).await, 1);
    let delete = app
        .client
        .delete(app.url(&first))
        .bearer_auth(&kim.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_eq!(header(&delete, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(stored_parts(&app).await, 0);
    assert_eq!(tus.head(&kim.token, &first).await.status(), 404);
    tus.created(&kim.token, 100, "three").await;
    app.stop().await;
}

#[tokio::test]
async fn a_file_that_is_not_a_video_answers_415_on_its_last_byte_and_is_removed() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let text = b"this is not a video, only words in a file".repeat(10);
    let path = tus
        .created(&kim.token, text.len() as u64, "Not a video")
        .await;
    let response = tus.patch(&kim.token, &path, 0, text).await;
    assert_eq!(response.status(), 415);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    assert_eq!(tus.head(&kim.token, &path).await.status(), 404);
    assert_eq!(upload_rows(&app).await, 0);
    assert_eq!(stored_parts(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn row_level_security_hides_uploads_from_a_transaction_acting_for_no_one() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    tus.created(&kim.token, 100, "Private").await;
    // The application's own role, outside a user's transaction, sees no upload at all.
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    assert_eq!(upload_rows(&app).await, 1);
    app.stop().await;
}
