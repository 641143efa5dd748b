//! `weft import dayone` and the web import page: a Day One export, generated with real
//! media, becomes journals (videos, audio, notes); a second run adds nothing; a broken entry
//! is reported and skips only itself; a damaged zip is refused.

use crate::common;
use crate::common::cli::{output_text, stdout, weft};
use crate::common::dayone::{self, uuids};

/// One journal as the import left it.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Row {
    title: String,
    created_at: String,
    location: Option<String>,
    notes: Option<String>,
    media: String,
    duration: i32,
    tags: String,
}

async fn rows(db: &common::TestDb, user: uuid::Uuid) -> Vec<Row> {
    let mut tx = weft::db::scoped::begin_for_user(&db.pool, user)
        .await
        .unwrap();
    sqlx::query_as(
        "SELECT title, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created_at,
                location, notes, media, duration,
                coalesce((SELECT string_agg(tag, ',' ORDER BY tag) FROM tags WHERE journal_id = j.id), '') AS tags
         FROM journals j ORDER BY created_at, title",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap()
}

fn row(
    title: &str,
    created_at: &str,
    location: Option<&str>,
    notes: Option<&str>,
    media: &str,
    duration: i32,
    tags: &str,
) -> Row {
    Row {
        title: title.into(),
        created_at: created_at.into(),
        location: location.map(Into::into),
        notes: notes.map(Into::into),
        media: media.into(),
        duration,
        tags: tags.into(),
    }
}

#[tokio::test]
async fn a_day_one_export_becomes_journals_once_and_its_broken_entries_are_reported() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let export = dayone::realistic_export(dir.path());
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("WEFT_DATA_DIR", data.path().to_str().unwrap()),
        ("WEFT_TRANSCRIBER", "none"),
    ];
    let args = [
        "import",
        "dayone",
        "--user",
        "jane",
        export.to_str().unwrap(),
    ];

    let first = weft(&db, &args, &env);

    let text = output_text(&first);
    assert!(first.status.success(), "{text}");
    assert!(
        stdout(&first).contains("7 imported, 0 already imported, 2 skipped, for jane"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "skipped Journal, entry {}: its video videos/0123456789abcdef0123456789abcdef.mp4 is missing from the export",
            uuids::BROKEN
        )),
        "{text}"
    );
    assert!(
        text.contains("skipped Dreams.json: the journal file is not valid Day One JSON"),
        "{text}"
    );
    assert_eq!(
        rows(&db, user).await,
        vec![
            row(
                "Last day of the year",
                "2018-12-31 10:59",
                None,
                Some("Resolutions: 1. read more 2. walk *every* day"),
                "none",
                0,
                "resolutions"
            ),
            row(
                "Fireworks over the river!",
                "2019-07-04 23:30",
                Some("Pier 25, New York, NY, United States"),
                Some("We watched from the pier - loud & bright. Cost: $0.00"),
                "video",
                2,
                "family,starred,summer"
            ),
            row(
                "Day One, 15 June 2020",
                "2020-06-15 10:00",
                None,
                None,
                "none",
                0,
                ""
            ),
            row(
                "New year, said aloud",
                "2021-01-01 08:15",
                Some("Lisbon, Portugal"),
                Some("A quiet morning - coffee and rain."),
                "audio",
                2,
                "voice"
            ),
            row(
                "Cherry blossoms in Ueno",
                "2022-03-30 03:00",
                Some("Ueno Park, Tokyo, Japan"),
                None,
                "video",
                1,
                "japan,travel"
            ),
            row(
                "Surf lesson",
                "2023-08-20 16:45",
                None,
                None,
                "video",
                1,
                "travel"
            ),
            row(
                "Surf lesson (2)",
                "2023-08-20 16:45",
                None,
                None,
                "video",
                3,
                "travel"
            ),
        ]
    );

    let second = weft(&db, &args, &env);

    let text = output_text(&second);
    assert!(second.status.success(), "{text}");
    assert!(
        stdout(&second).contains("0 imported, 6 already imported, 2 skipped, for jane"),
        "{text}"
    );
    assert_eq!(rows(&db, user).await.len(), 7, "nothing is imported twice");
}

#[tokio::test]
async fn a_damaged_zip_is_refused_with_its_reason_and_nothing_is_imported() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let export = dayone::realistic_export(dir.path());
    let bytes = std::fs::read(&export).unwrap();
    // Cut off the zip's directory at its end, as an interrupted download does.
    let damaged = dir.path().join("Damaged.zip");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let not_zip = dir.path().join("notes.zip");
    std::fs::write(&not_zip, "just some text\0").unwrap();
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("WEFT_DATA_DIR", data.path().to_str().unwrap()),
        ("WEFT_TRANSCRIBER", "none"),
    ];

    for zip in [&damaged, &not_zip] {
        let output = weft(
            &db,
            &["import", "dayone", "--user", "jane", zip.to_str().unwrap()],
            &env,
        );

        let text = output_text(&output);
        assert!(!output.status.success(), "{text}");
        assert!(
            text.contains("cannot be imported: The file is not a readable zip archive"),
            "{text}"
        );
    }
    assert!(rows(&db, user).await.is_empty());
}

#[tokio::test]
async fn video_files_are_still_imported_without_a_subcommand() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = common::media::test_video(dir.path(), common::media::Container::Mp4, 1);
    let data = tempfile::tempdir().unwrap();

    let output = weft(
        &db,
        &["import", "--user", "jane", video.to_str().unwrap()],
        &[
            ("WEFT_DATA_DIR", data.path().to_str().unwrap()),
            ("WEFT_TRANSCRIBER", "none"),
        ],
    );

    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        stdout(&output).contains("1 imported, 0 skipped"),
        "{}",
        output_text(&output)
    );
    assert_eq!(rows(&db, user).await.len(), 1);
}
