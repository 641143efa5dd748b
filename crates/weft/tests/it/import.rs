//! `weft import`: existing videos become journals, with titles from their names and times
//! from the videos' own metadata (else the files' modification times).

use std::process::Command;

use crate::common;
use crate::common::media::{self, Container};

#[tokio::test]
async fn imported_videos_become_journals_named_and_dated_by_their_files() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let tagged = dir.path().join("beach_day.mp4");
    media::write_test_video(
        &tagged,
        Container::Mp4,
        2,
        &["-metadata", "creation_time=2021-07-04T18:30:00Z"],
    );
    let plain = dir.path().join("garden-walk.mp4");
    media::write_test_video(&plain, Container::Mp4, 2, &[]);
    assert!(Command::new("touch")
        .args(["-d", "2019-05-06T07:08:09Z"])
        .arg(&plain)
        .status()
        .unwrap()
        .success());
    let not_video = dir.path().join("notes.mp4");
    std::fs::write(&not_video, "plain text").unwrap();
    let data = tempfile::tempdir().unwrap();

    let output = Command::new(common::weft_bin())
        .args(["import", "--user", "JANE", "--tags", "Old, imported"])
        .arg(&tagged)
        .arg(&plain)
        .arg(&not_video)
        .env("DATABASE_URL", db.url())
        .env("WEFT_DATA_DIR", data.path())
        .env("WEFT_TRANSCRIBER", "none")
        .env("WEFT_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 imported, 1 skipped"), "{stdout}");
    assert!(tagged.exists() && plain.exists(), "the originals stay");

    let mut tx = weft::db::scoped::begin_for_user(&db.pool, user)
        .await
        .unwrap();
    let rows: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT title, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), duration \
         FROM journals ORDER BY created_at",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "garden walk".to_string(),
                "2019-05-06 07:08:09".to_string(),
                2
            ),
            (
                "beach day".to_string(),
                "2021-07-04 18:30:00".to_string(),
                2
            ),
        ]
    );
    let tags: Vec<String> = sqlx::query_scalar("SELECT DISTINCT tag FROM tags ORDER BY tag")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(tags, ["imported", "old"]);
    let stored = std::fs::read_dir(data.path().join("media/videos"))
        .unwrap()
        .count();
    assert_eq!(stored, 1, "one folder for the user");
}
