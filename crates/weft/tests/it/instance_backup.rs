//! `weft backup` and `weft restore` with real PostgreSQL, real pg_dump/pg_restore and real
//! videos: a round trip into a second database and a second storage folder gives the same
//! rows and byte-identical media; a restore into anything but an empty instance is refused.

use std::path::Path;
use std::process::Output;

use crate::common::media::{self, Container};
use crate::common::{self, cli, TestDb};

/// Runs `weft ARGS` against `db` with the storage folder `storage` and the data folder `data`.
fn weft(db: &TestDb, storage: &Path, data: &Path, args: &[&str]) -> Output {
    let storage = vec![("WEFT_STORAGE", storage.display().to_string())];
    weft_with(db, &storage, data, args)
}

/// Runs `weft ARGS` against `db`, with the storage named by `storage_env` (`WEFT_STORAGE` and
/// what it needs) and the data folder `data`.
fn weft_with(db: &TestDb, storage_env: &[(&str, String)], data: &Path, args: &[&str]) -> Output {
    let data = data.display().to_string();
    let mut env = vec![
        ("WEFT_ADMIN_DATABASE_URL", db.admin_url.as_str()),
        ("WEFT_DATA_DIR", data.as_str()),
    ];
    env.extend(
        storage_env
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
    );
    cli::weft(db, args, &env)
}

/// The tags of every upload here.
const TAGS: (&str, &str) = ("tags", "travel, family");

/// Every row of every table, as JSON in a stable order (seen past row-level security).
async fn every_row(db: &TestDb) -> Vec<(String, serde_json::Value)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&db.admin)
    .await
    .unwrap();
    let mut all = Vec::new();
    for table in tables {
        let rows: serde_json::Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') FROM {table} t"
        ))
        .fetch_one(&db.admin)
        .await
        .unwrap();
        all.push((table, rows));
    }
    all
}

/// Every file under a folder, by relative path, with its bytes.
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
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
                found.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_backup_restored_into_an_empty_instance_has_the_same_rows_and_identical_videos() {
    let here = tempfile::tempdir().unwrap();
    let (media_a, media_b) = (here.path().join("media-a"), here.path().join("media-b"));
    let storage_a = weft::storage::Storage::local(&media_a).unwrap();
    let scratch = here.path().join("scratch");
    let app = common::spawn_app_with(common::fresh_db().await, |context| weft::api::ApiContext {
        storage: storage_a,
        scratch,
        transcription: Some(3),
        ..context
    })
    .await;
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    app.upload_journal(
        &jane.token,
        &media::test_video(here.path(), Container::Mp4, 2),
        &[("title", "Lisbon"), TAGS],
    )
    .await;
    app.upload_journal(
        &jane.token,
        &media::test_video(here.path(), Container::Mp4, 3),
        &[("title", "Porto"), TAGS],
    )
    .await;
    app.upload_journal(
        &bob.token,
        &media::test_video(here.path(), Container::Mp4, 1),
        &[("title", "Home"), TAGS],
    )
    .await;
    let archive = here.path().join("instance.tar");

    let backed_up = weft(
        &app.db,
        &media_a,
        &here.path().join("data-a"),
        &["backup", archive.to_str().unwrap()],
    );
    assert!(
        backed_up.status.success(),
        "{}",
        cli::output_text(&backed_up)
    );
    assert!(
        cli::output_text(&backed_up).contains("6 media objects"),
        "{}",
        cli::output_text(&backed_up)
    );

    let second = common::empty_db().await;
    let data_b = here.path().join("data-b");
    let restored = weft(
        &second,
        &media_b,
        &data_b,
        &["restore", archive.to_str().unwrap()],
    );
    assert!(restored.status.success(), "{}", cli::output_text(&restored));

    let (rows_a, rows_b) = (every_row(&app.db).await, every_row(&second).await);
    assert_eq!(rows_a.len(), rows_b.len());
    for ((table, a), (_, b)) in rows_a.iter().zip(&rows_b) {
        assert_eq!(a, b, "table {table} differs after the round trip");
    }
    let journals = rows_b.iter().find(|(t, _)| t == "journals").unwrap();
    assert_eq!(journals.1.as_array().unwrap().len(), 3);
    let (files_a, files_b) = (files(&media_a), files(&media_b));
    assert_eq!(files_a.len(), 6, "three videos and three thumbnails");
    assert!(files_a == files_b, "the media are byte-identical");

    let again = weft(
        &second,
        &media_b,
        &data_b,
        &["restore", archive.to_str().unwrap()],
    );
    assert!(!again.status.success());
    assert!(
        cli::output_text(&again).contains("the database is not empty"),
        "{}",
        cli::output_text(&again)
    );
    let third = common::empty_db().await;
    let into_full_storage = weft(
        &third,
        &media_b,
        &data_b,
        &["restore", archive.to_str().unwrap()],
    );
    assert!(!into_full_storage.status.success());
    assert!(
        cli::output_text(&into_full_storage).contains("storage")
            && cli::output_text(&into_full_storage).contains("not empty"),
        "{}",
        cli::output_text(&into_full_storage)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_file_that_is_not_a_weft_backup_is_refused_and_nothing_is_restored() {
    let here = tempfile::tempdir().unwrap();
    let bogus = here.path().join("bogus.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&bogus).unwrap());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o600);
    builder
        .append_data(&mut header, "hello.txt", &b"hello"[..])
        .unwrap();
    builder.finish().unwrap();
    let db = common::empty_db().await;
    let media = here.path().join("media");

    let refused = weft(
        &db,
        &media,
        &here.path().join("data"),
        &["restore", bogus.to_str().unwrap()],
    );

    assert!(!refused.status.success());
    assert!(
        cli::output_text(&refused).contains("not an archive written by `weft backup`"),
        "{}",
        cli::output_text(&refused)
    );
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&db.admin)
            .await
            .unwrap();
    assert_eq!(tables, 0);
}

/// Every object of an S3 prefix, by key, with its bytes.
async fn objects(storage: &weft::storage::Storage) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for (key, _) in storage.list_with_info("").await.unwrap() {
        let bytes = storage.get_bytes(&key).await.unwrap().to_vec();
        found.push((key, bytes));
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_backup_of_an_s3_instance_restores_into_another_prefix_byte_for_byte() {
    let s3 = common::processes::S3Server::start();
    let (prefix_a, prefix_b) = (
        uuid::Uuid::new_v4().simple().to_string(),
        uuid::Uuid::new_v4().simple().to_string(),
    );
    let (env_a, env_b) = (s3.weft_env(&prefix_a), s3.weft_env(&prefix_b));
    // This process reaches the store like the weft processes do (nextest runs each test in a
    // process of its own).
    for (name, value) in &env_a {
        if *name != "WEFT_STORAGE" {
            std::env::set_var(name, value);
        }
    }
    let bucket = s3.var("WEFT_TEST_S3_BUCKET");
    let storage_a = weft::storage::Storage::s3(&format!("s3://{bucket}/{prefix_a}")).unwrap();
    let storage_b = weft::storage::Storage::s3(&format!("s3://{bucket}/{prefix_b}")).unwrap();
    let here = tempfile::tempdir().unwrap();
    let scratch = here.path().join("scratch");
    let app = common::spawn_app_with(common::fresh_db().await, |context| weft::api::ApiContext {
        storage: storage_a.clone(),
        scratch,
        ..context
    })
    .await;
    let jane = app.register("jane").await;
    app.upload_journal(
        &jane.token,
        &media::test_video(here.path(), Container::Mp4, 2),
        &[("title", "Lisbon"), TAGS],
    )
    .await;
    app.upload_journal(
        &jane.token,
        &media::test_video(here.path(), Container::Mp4, 1),
        &[("title", "Porto"), TAGS],
    )
    .await;
    let archive = here.path().join("s3-instance.tar");
    let path = archive.to_str().unwrap();

    let backed_up = weft_with(
        &app.db,
        &env_a,
        &here.path().join("data-a"),
        &["backup", path],
    );
    assert!(
        backed_up.status.success(),
        "{}",
        cli::output_text(&backed_up)
    );
    let second = common::empty_db().await;
    let restored = weft_with(
        &second,
        &env_b,
        &here.path().join("data-b"),
        &["restore", path],
    );
    assert!(restored.status.success(), "{}", cli::output_text(&restored));

    let (rows_a, rows_b) = (every_row(&app.db).await, every_row(&second).await);
    assert!(rows_a == rows_b, "the same rows in every table");
    let (objects_a, objects_b) = (objects(&storage_a).await, objects(&storage_b).await);
    assert_eq!(objects_a.len(), 4, "two videos and two thumbnails");
    assert!(objects_a == objects_b, "the objects are byte-identical");
    app.stop().await;
}
