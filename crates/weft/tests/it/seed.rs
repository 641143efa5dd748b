//! The documented sample data: what `seed` inserts, that it is idempotent, that its
//! passwords are real bcrypt hashes, and `weft db seed` on the command line.

use crate::common::{cli, fresh_db};
use sqlx::PgPool;
use weft::db::seed::{self, SeedReport, SEED_PASSWORD};

/// Row counts of users, journals, transcripts and tags.
async fn counts(pool: &PgPool) -> [i64; 4] {
    let mut counts = [0; 4];
    for (slot, table) in counts
        .iter_mut()
        .zip(["users", "journals", "transcripts", "tags"])
    {
        *slot = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("count rows");
    }
    counts
}

/// The cost field of a bcrypt hash (`$2b$NN$...`).
fn bcrypt_cost(hash: &str) -> u32 {
    let mut fields = hash.split('$');
    assert_eq!(fields.next(), Some(""), "{hash}");
    assert_eq!(fields.next(), Some("2b"), "{hash}");
    fields
        .next()
        .and_then(|cost| cost.parse().ok())
        .unwrap_or_else(|| panic!("no cost in {hash}"))
}

#[tokio::test]
async fn seeding_inserts_the_documented_sample_data() {
    let db = fresh_db().await;

    let report = seed::seed(&db.pool, 10).await.expect("seed");

    assert_eq!(
        report,
        SeedReport {
            users: 2,
            journals: 2,
            transcripts: 2,
            tags: 6
        }
    );
    assert_eq!(counts(&db.admin).await, [2, 2, 2, 6]);
    let people: Vec<(String, String)> =
        sqlx::query_as("SELECT username, email FROM users ORDER BY username")
            .fetch_all(&db.admin)
            .await
            .expect("read users");
    assert_eq!(
        people,
        vec![
            ("janedoe".to_string(), "jane@example.com".to_string()),
            ("johndoe".to_string(), "john@example.com".to_string()),
        ]
    );
}

#[tokio::test]
async fn each_seeded_user_has_one_journal_with_video_metadata_a_transcript_and_three_tags() {
    let db = fresh_db().await;

    seed::seed(&db.pool, 10).await.expect("seed");

    let journals: Vec<(String, String, i32, i64, i64)> = sqlx::query_as(
        "SELECT u.username, j.video_path, j.duration, \
                (SELECT count(*) FROM transcripts t WHERE t.journal_id = j.id), \
                (SELECT count(*) FROM tags g WHERE g.journal_id = j.id) \
         FROM journals j JOIN users u ON u.id = j.user_id ORDER BY u.username",
    )
    .fetch_all(&db.admin)
    .await
    .expect("read journals");
    assert_eq!(journals.len(), 2);
    let owners: Vec<&str> = journals.iter().map(|j| j.0.as_str()).collect();
    assert_eq!(owners, vec!["janedoe", "johndoe"]);
    for (owner, video_path, duration, transcripts, tags) in &journals {
        assert!(
            !video_path.trim().is_empty(),
            "{owner}'s journal has a video path"
        );
        assert!(*duration > 0, "{owner}'s journal has a duration");
        assert_eq!(*transcripts, 1, "{owner}");
        assert_eq!(*tags, 3, "{owner}");
    }
}

#[tokio::test]
async fn seeded_transcripts_have_timestamped_segments_that_make_up_their_text() {
    let db = fresh_db().await;

    seed::seed(&db.pool, 10).await.expect("seed");

    let rows: Vec<(String, serde_json::Value, i32)> = sqlx::query_as(
        "SELECT t.text, t.segments, j.duration FROM transcripts t JOIN journals j ON j.id = t.journal_id",
    )
    .fetch_all(&db.admin)
    .await
    .expect("read transcripts");
    assert_eq!(rows.len(), 2);
    for (text, segments, duration) in rows {
        let segments = segments.as_array().expect("segments are a JSON array");
        assert!(!segments.is_empty(), "segments are not empty");
        let mut previous_end = 0.0;
        for segment in segments {
            let start = segment["start"].as_f64().expect("a numeric start");
            let end = segment["end"].as_f64().expect("a numeric end");
            let words = segment["text"].as_str().expect("a text");
            assert!(start < end, "{segment}");
            assert!(start >= previous_end, "segments are in order: {segment}");
            assert!(
                end <= f64::from(duration),
                "{segment} ends within the video"
            );
            assert!(!words.trim().is_empty(), "{segment}");
            assert!(text.contains(words), "the transcript text holds {words:?}");
            if let Some(confidence) = segment.get("confidence") {
                let confidence = confidence.as_f64().expect("a numeric confidence");
                assert!((0.0..=1.0).contains(&confidence), "{segment}");
            }
            previous_end = end;
        }
    }
}

#[tokio::test]
async fn seeding_twice_adds_nothing_the_second_time() {
    let db = fresh_db().await;
    seed::seed(&db.pool, 10).await.expect("the first seed");

    let again = seed::seed(&db.pool, 10).await.expect("the second seed");

    assert_eq!(again, SeedReport::default());
    assert_eq!(counts(&db.admin).await, [2, 2, 2, 6]);
}

#[tokio::test]
async fn seeded_passwords_are_bcrypt_hashes_of_the_documented_password() {
    let db = fresh_db().await;

    seed::seed(&db.pool, 10).await.expect("seed");

    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT password_hash FROM users ORDER BY username")
            .fetch_all(&db.admin)
            .await
            .expect("read hashes");
    assert_eq!(hashes.len(), 2);
    for hash in hashes {
        assert!(bcrypt_cost(&hash) >= 10, "{hash}");
        assert!(
            weft::domain::password::verify(SEED_PASSWORD.to_string(), hash.clone())
                .await
                .expect("verify"),
            "the seed password matches {hash}"
        );
        assert!(
            !weft::domain::password::verify("not-the-password".to_string(), hash.clone())
                .await
                .expect("verify"),
            "another password does not match {hash}"
        );
    }
}

#[tokio::test]
async fn a_bcrypt_cost_below_ten_is_raised_to_ten() {
    let db = fresh_db().await;

    seed::seed(&db.pool, 4).await.expect("seed");

    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'johndoe'")
            .fetch_one(&db.admin)
            .await
            .expect("read the hash");
    assert_eq!(bcrypt_cost(&hash), 10, "{hash}");
}

#[tokio::test]
async fn weft_db_seed_reports_what_it_added_and_adds_nothing_the_second_time() {
    let db = fresh_db().await;

    let first = cli::weft(&db, &["db", "seed", "--bcrypt-cost", "10"], &[]);
    let second = cli::weft(&db, &["db", "seed", "--bcrypt-cost", "10"], &[]);

    assert!(first.status.success(), "{first:?}");
    assert!(
        cli::stdout(&first).contains("seeded: 2 users, 2 journals, 2 transcripts, 6 tags added"),
        "{}",
        cli::stdout(&first)
    );
    assert!(
        cli::stdout(&first).contains(SEED_PASSWORD),
        "{}",
        cli::stdout(&first)
    );
    assert!(second.status.success(), "{second:?}");
    assert!(
        cli::stdout(&second).contains("seeded: 0 users, 0 journals, 0 transcripts, 0 tags added"),
        "{}",
        cli::stdout(&second)
    );
    assert_eq!(counts(&db.admin).await, [2, 2, 2, 6]);
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'janedoe'")
            .fetch_one(&db.admin)
            .await
            .expect("read the hash");
    assert_eq!(bcrypt_cost(&hash), 10, "{hash}");
}

#[tokio::test]
async fn weft_db_seed_refuses_a_bcrypt_cost_below_ten() {
    let db = fresh_db().await;

    let output = cli::weft(&db, &["db", "seed", "--bcrypt-cost", "9"], &[]);

    assert!(!output.status.success(), "{output:?}");
    assert_eq!(counts(&db.admin).await, [0, 0, 0, 0]);
}
