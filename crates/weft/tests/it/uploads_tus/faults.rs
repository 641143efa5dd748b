//! Resumable uploads when things go wrong: a client cut off or stalled mid-PATCH, a server
//! killed mid-upload (local storage, and S3 with a second server resuming), abandoned
//! uploads, a deleted account's uploads, and a third-party client (tus-js-client) uploading
//! a real video. Every finished upload is compared byte for byte (SHA-256).

use std::path::Path;
use std::time::Duration;

use super::{stored_parts, stored_video, upload_rows, video};
use crate::common::media::{self, Container};
use crate::common::processes::{self, S3Server, Weft};
use crate::common::tus::{header, header_u64, sha256, Tus};
use crate::common::{self, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_client_cut_off_mid_patch_resumes_and_the_video_is_byte_identical() {
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = video(dir.path());
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, bytes.len() as u64, "Cut off").await;

    // The PATCH announces the whole file, sends half, and the connection drops.
    let half = bytes.len() / 2;
    let connection = tus
        .patch_cut_short(&kim.token, &path, 0, bytes.len() as u64, &bytes[..half])
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(connection);
    // What arrived before the drop is kept.
    let offset = tus.wait_for_offset(&kim.token, &path, half as u64).await;
    assert_eq!(offset, half as u64);

    let rest = tus
        .patch(&kim.token, &path, offset, bytes[offset as usize..].to_vec())
        .await;
    assert_eq!(rest.status(), 204);
    let journal_id = header(&rest, "weft-journal-id").expect("a journal");
    assert_eq!(
        sha256(&stored_video(&app.db.admin, &app.storage, &journal_id).await),
        sha256(&bytes)
    );
    app.stop().await;
}

#[tokio::test]
async fn an_abandoned_upload_expires_and_its_bytes_are_removed() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            upload_expiry: Duration::from_secs(1),
            ..context.limits
        },
        ..context
    })
    .await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, 100, "Forgotten").await;
    let patched = tus.patch(&kim.token, &path, 0, vec![1u8; 10]).await;
    assert_eq!(patched.status(), 204);
    assert_eq!(stored_parts(&app).await, 1);
    // The sweep runs every second with this expiry.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while upload_rows(&app).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload did not expire"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(stored_parts(&app).await, 0, "its bytes went with it");
    assert_eq!(tus.head(&kim.token, &path).await.status(), 404);
    assert_eq!(
        tus.patch(&kim.token, &path, 10, vec![1u8; 10])
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_accounts_unfinished_uploads_lose_their_bytes_at_the_next_sweep() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            upload_expiry: Duration::from_secs(3600),
            ..context.limits
        },
        ..context
    })
    .await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, 100, "Left behind").await;
    assert_eq!(
        tus.patch(&kim.token, &path, 0, vec![1u8; 10])
            .await
            .status(),
        204
    );
    assert_eq!(stored_parts(&app).await, 1);
    let deleted = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&kim.token)
        .json(&serde_json::json!({ "password": kim.password }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(upload_rows(&app).await, 0, "the rows go with the account");
    // The sweep of a running server (every 5 minutes at this expiry) finds the bytes; run a
    // round now rather than wait for it.
    let uploads = weft::uploads::Uploads::new(
        weft::ingest::Ingest {
            pool: app.db.pool.clone(),
            storage: app.storage.clone(),
            scratch: app.scratch.clone(),
            transcription: None,
        },
        weft::uploads::Settings {
            max_bytes: 1 << 30,
            max_unfinished: 20,
            expiry: Duration::from_secs(3600),
            idle: Duration::from_secs(60),
        },
    );
    let removed = uploads.sweep(true).await.unwrap();
    assert_eq!(removed.orphans, 1);
    assert_eq!(stored_parts(&app).await, 0);
    app.stop().await;
}

/// The environment of a `weft serve` over `db_url` with its data in `data`.
fn serve_env(db_url: &str, data: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db_url.to_string()),
        ("WEFT_DATA_DIR", data.display().to_string()),
        ("WEFT_WORKERS", "0".to_string()),
    ]
}

/// Sends a third of `bytes` to a server started with `first_env`, kills it in the middle of
/// the next PATCH, then resumes on a server started with `second_env` and finishes; asserts
/// the acknowledged third was kept and the stored video is byte-identical.
async fn killed_mid_upload_then_resumed(
    first_env: &[(&str, String)],
    second_env: &[(&str, String)],
    logs: &Path,
    bytes: &[u8],
) {
    let client = reqwest::Client::new();
    let mut first = Weft::serve(first_env, &logs.join("first.log"));
    first.wait_ready(&client).await;
    let token = processes::register(&client, &first.url(""), "kim").await;
    let tus = Tus::new(&first.url(""));
    let path = tus.created(&token, bytes.len() as u64, "Killed").await;

    // A third is acknowledged; the next PATCH is in flight when the server dies.
    let third = bytes.len() / 3;
    let acknowledged = tus.patch(&token, &path, 0, bytes[..third].to_vec()).await;
    assert_eq!(acknowledged.status(), 204);
    let _in_flight = tus
        .patch_cut_short(
            &token,
            &path,
            third as u64,
            (bytes.len() - third) as u64,
            &bytes[third..2 * third],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill();

    let mut second = Weft::serve(second_env, &logs.join("second.log"));
    second.wait_ready(&client).await;
    let tus = Tus::new(&second.url(""));
    let offset = tus.offset(&token, &path).await;
    assert!(
        offset >= third as u64,
        "the acknowledged third is kept (offset {offset})"
    );
    let rest = tus
        .patch(&token, &path, offset, bytes[offset as usize..].to_vec())
        .await;
    assert_eq!(rest.status(), 204, "{}", second.log_tail());
    let journal_id = header(&rest, "weft-journal-id").expect("a journal");
    let stored = client
        .get(second.url(&format!("/api/v1/journals/{journal_id}/video")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha256(&stored), sha256(bytes));
    second.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_is_resumed_after_its_restart_and_the_video_is_byte_identical() {
    let db = common::fresh_db().await;
    let data = tempfile::tempdir().unwrap();
    let bytes = video(data.path());
    let mut env = serve_env(&db.url(), data.path());
    env.push((
        "WEFT_STORAGE",
        data.path().join("media").display().to_string(),
    ));
    killed_mid_upload_then_resumed(&env, &env, data.path(), &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_s3_storage_another_server_resumes_an_upload_whose_server_was_killed() {
    let db = common::fresh_db().await;
    let s3 = S3Server::start();
    let data = tempfile::tempdir().unwrap();
    let bytes = video(data.path());
    let prefix = uuid::Uuid::new_v4().simple().to_string();
    // Two servers with data folders of their own: only the database and the bucket are
    // shared, as behind a load balancer.
    let env_of = |name: &str| {
        let mut env = serve_env(&db.url(), &data.path().join(name));
        env.extend(s3.weft_env(&prefix));
        env
    };
    killed_mid_upload_then_resumed(&env_of("a"), &env_of("b"), data.path(), &bytes).await;
}

#[tokio::test]
async fn a_client_that_stalls_mid_patch_keeps_what_it_sent() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            upload_idle: Duration::from_secs(1),
            ..context.limits
        },
        ..context
    })
    .await;
    let kim = app.register("kim").await;
    let tus = Tus::new(&app.address);
    let path = tus.created(&kim.token, 1000, "Stalled").await;
    // The connection stays open, silent, past the idle limit.
    let _silent = tus
        .patch_cut_short(&kim.token, &path, 0, 1000, &[5u8; 300])
        .await;
    assert_eq!(tus.wait_for_offset(&kim.token, &path, 300).await, 300);
    // The upload is free again: the next PATCH goes on from there.
    let next = tus.patch(&kim.token, &path, 300, vec![6u8; 100]).await;
    assert_eq!(next.status(), 204);
    assert_eq!(header_u64(&next, "upload-offset"), 400);
    app.stop().await;
}

#[tokio::test]
async fn a_third_party_tus_client_uploads_a_video_that_becomes_a_journal() {
    let client_dir = common::tools_dir().join("tus-client");
    assert!(
        client_dir.join("node_modules/tus-js-client").is_dir(),
        "no tus-js-client in {}: run scripts/install-deps --test",
        client_dir.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/tus-client/upload.js");
    let app = spawn_app().await;
    let kim = app.register("kim").await;
    let dir = tempfile::tempdir().unwrap();
    let file = media::test_video(dir.path(), Container::Mp4, 2);
    let bytes = std::fs::read(&file).unwrap();
    // Small chunks: several PATCHes, as a phone would send them.
    let chunk = (bytes.len() / 3 + 1).to_string();
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .args([&app.address, &kim.token])
        .arg(&file)
        .args(["From Node", "third party, tus", &chunk])
        .env("TUS_CLIENT_DIR", &client_dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tus-js-client failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let journal_id = result["journalId"]
        .as_str()
        .expect("the journal's id")
        .to_string();
    let journal: serde_json::Value = app
        .get_as(&kim.token, &format!("/api/v1/journals/{journal_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(journal["title"], "From Node");
    assert_eq!(journal["tags"], serde_json::json!(["third party", "tus"]));
    assert_eq!(
        sha256(&stored_video(&app.db.admin, &app.storage, &journal_id).await),
        sha256(&bytes)
    );
    app.stop().await;
}
