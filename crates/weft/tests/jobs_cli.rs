//! `weft jobs list` and `weft jobs retry` against a real database: the operator sees failed
//! jobs with their attempts and errors, and queues them again.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use uuid::Uuid;
use weft::db::jobs::{self, Job, JobState};
use weft::db::scoped::begin_for_user;

fn weft(db: &common::TestDb, args: &[&str]) -> Output {
    Command::new(common::weft_bin())
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("WEFT_LOG", "warn")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn user(pool: &sqlx::PgPool, name: &str) -> Uuid {
    sqlx::query_scalar("INSERT INTO users (username, email, password_hash) VALUES ($1, $1 || '@example.com', 'x') RETURNING id")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A journal with a job that a worker claimed and that failed for good with `error`.
async fn failed_job(pool: &sqlx::PgPool, owner: Uuid, error: &str) -> Job {
    let mut tx = begin_for_user(pool, owner).await.unwrap();
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO journals (user_id, title, video_path, duration) VALUES ($1, 't', 'k', 1) RETURNING id",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    jobs::enqueue(&mut tx, id, 2).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let job = jobs::claim(pool, "w").await.unwrap().unwrap();
    jobs::fail(pool, &job, "w", error, false).await.unwrap();
    jobs::find(pool, job.id).await.unwrap().unwrap()
}

#[tokio::test]
async fn the_list_shows_failed_jobs_with_their_attempts_and_errors() {
    let db = common::fresh_db().await;
    let owner = user(&db.pool, "jane").await;
    let failed = failed_job(&db.pool, owner, "ffmpeg could not read\nthe audio").await;

    let all = weft(&db, &["jobs", "list"]);
    let only_queued = weft(&db, &["jobs", "list", "--state", "queued"]);

    assert!(all.status.success(), "{}", text(&all));
    let listing = text(&all);
    assert!(listing.contains("queue: failed 1"), "{listing}");
    let row = listing
        .lines()
        .find(|l| l.starts_with(&failed.id.to_string()))
        .unwrap_or_else(|| panic!("no row for the job: {listing}"));
    assert!(row.contains("failed"), "{row}");
    assert!(row.contains("1/2"), "attempts of max: {row}");
    assert!(row.contains("ffmpeg could not read the audio"), "{row}");
    assert!(
        text(&only_queued).contains("no jobs"),
        "{}",
        text(&only_queued)
    );
}

#[tokio::test]
async fn retrying_a_failed_job_queues_its_journal_again_once() {
    let db = common::fresh_db().await;
    let owner = user(&db.pool, "jane").await;
    let failed = failed_job(&db.pool, owner, "engine refused").await;
    let id = failed.id.to_string();

    let retried = weft(&db, &["jobs", "retry", &id]);
    let again = weft(&db, &["jobs", "retry", &id]);

    assert!(retried.status.success(), "{}", text(&retried));
    assert!(text(&retried).contains("1 queued"), "{}", text(&retried));
    let latest = jobs::latest_for_journal(&db.pool, failed.journal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.state, JobState::Queued);
    assert_eq!(latest.attempts, 0);
    assert_ne!(latest.id, failed.id);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("already has a queued or running job"),
        "{}",
        text(&again)
    );
    assert_eq!(
        jobs::depth(&db.pool).await.unwrap(),
        vec![(JobState::Failed, 1), (JobState::Queued, 1)]
    );
}

#[tokio::test]
async fn only_failed_jobs_are_retried_and_an_unknown_id_is_refused() {
    let db = common::fresh_db().await;
    let owner = user(&db.pool, "jane").await;
    let failed = failed_job(&db.pool, owner, "boom").await;
    weft(&db, &["jobs", "retry", &failed.id.to_string()]);
    let queued = jobs::latest_for_journal(&db.pool, failed.journal_id)
        .await
        .unwrap()
        .unwrap();

    let not_failed = weft(&db, &["jobs", "retry", &queued.id.to_string()]);
    let unknown = weft(&db, &["jobs", "retry", &Uuid::new_v4().to_string()]);
    let nothing = weft(&db, &["jobs", "retry"]);

    assert!(!not_failed.status.success());
    assert!(text(&not_failed).contains("is queued: only failed jobs are retried"));
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("no job"), "{}", text(&unknown));
    assert!(
        !nothing.status.success(),
        "an id or --all-failed is required"
    );
}

#[tokio::test]
async fn all_failed_retries_every_journal_whose_latest_job_failed() {
    let db = common::fresh_db().await;
    let owner = user(&db.pool, "jane").await;
    let first = failed_job(&db.pool, owner, "one").await;
    let second = failed_job(&db.pool, owner, "two").await;

    let retried = weft(&db, &["jobs", "retry", "--all-failed"]);
    let again = weft(&db, &["jobs", "retry", "--all-failed"]);

    assert!(retried.status.success(), "{}", text(&retried));
    assert!(text(&retried).contains("2 queued"), "{}", text(&retried));
    for job in [first, second] {
        let latest = jobs::latest_for_journal(&db.pool, job.journal_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.state, JobState::Queued);
    }
    assert!(
        text(&again).contains("no failed jobs to retry"),
        "{}",
        text(&again)
    );
}
