//! `weft jobs list` and `weft jobs retry` against a real database: the operator sees failed
//! jobs with their attempts and errors, and queues them again.

use crate::common::{self, cli};
use uuid::Uuid;
use weft::db::jobs::{self, Job, JobState};

/// A journal with a job that a worker claimed and that failed for good with `error`.
async fn failed_job(pool: &sqlx::PgPool, owner: Uuid, error: &str) -> Job {
    common::insert_journal_with_job(pool, owner, 2).await;
    let job = jobs::claim(pool, "w").await.unwrap().unwrap();
    jobs::fail(pool, &job, "w", error, false).await.unwrap();
    jobs::find(pool, job.id).await.unwrap().unwrap()
}

#[tokio::test]
async fn the_list_shows_failed_jobs_with_their_attempts_and_errors() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let failed = failed_job(&db.pool, owner, "ffmpeg could not read\nthe audio").await;

    let all = cli::weft(&db, &["jobs", "list"], &[]);
    let only_queued = cli::weft(&db, &["jobs", "list", "--state", "queued"], &[]);

    assert!(all.status.success(), "{}", cli::output_text(&all));
    let listing = cli::output_text(&all);
    assert!(listing.contains("queue: failed 1"), "{listing}");
    let row = listing
        .lines()
        .find(|l| l.starts_with(&failed.id.to_string()))
        .unwrap_or_else(|| panic!("no row for the job: {listing}"));
    assert!(row.contains("failed"), "{row}");
    assert!(row.contains("1/2"), "attempts of max: {row}");
    assert!(row.contains("ffmpeg could not read the audio"), "{row}");
    assert!(
        cli::output_text(&only_queued).contains("no jobs"),
        "{}",
        cli::output_text(&only_queued)
    );
}

#[tokio::test]
async fn retrying_a_failed_job_queues_its_journal_again_once() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let failed = failed_job(&db.pool, owner, "engine refused").await;
    let id = failed.id.to_string();

    let retried = cli::weft(&db, &["jobs", "retry", &id], &[]);
    let again = cli::weft(&db, &["jobs", "retry", &id], &[]);

    assert!(retried.status.success(), "{}", cli::output_text(&retried));
    assert!(
        cli::output_text(&retried).contains("1 queued"),
        "{}",
        cli::output_text(&retried)
    );
    let latest = jobs::latest_for_journal(&db.pool, failed.journal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.state, JobState::Queued);
    assert_eq!(latest.attempts, 0);
    assert_ne!(latest.id, failed.id);
    assert!(again.status.success(), "{}", cli::output_text(&again));
    assert!(
        cli::output_text(&again).contains("already has a queued or running job"),
        "{}",
        cli::output_text(&again)
    );
    assert_eq!(
        jobs::depth(&db.pool).await.unwrap(),
        vec![(JobState::Failed, 1), (JobState::Queued, 1)]
    );
}

#[tokio::test]
async fn only_failed_jobs_are_retried_and_an_unknown_id_is_refused() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let failed = failed_job(&db.pool, owner, "boom").await;
    cli::weft(&db, &["jobs", "retry", &failed.id.to_string()], &[]);
    let queued = jobs::latest_for_journal(&db.pool, failed.journal_id)
        .await
        .unwrap()
        .unwrap();

    let not_failed = cli::weft(&db, &["jobs", "retry", &queued.id.to_string()], &[]);
    let unknown = cli::weft(&db, &["jobs", "retry", &Uuid::new_v4().to_string()], &[]);
    let nothing = cli::weft(&db, &["jobs", "retry"], &[]);

    assert!(!not_failed.status.success());
    assert!(cli::output_text(&not_failed).contains("is queued: only failed jobs are retried"));
    assert!(!unknown.status.success());
    assert!(
        cli::output_text(&unknown).contains("no job"),
        "{}",
        cli::output_text(&unknown)
    );
    assert!(
        !nothing.status.success(),
        "an id or --all-failed is required"
    );
}

#[tokio::test]
async fn all_failed_retries_every_journal_whose_latest_job_failed() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let first = failed_job(&db.pool, owner, "one").await;
    let second = failed_job(&db.pool, owner, "two").await;

    let retried = cli::weft(&db, &["jobs", "retry", "--all-failed"], &[]);
    let again = cli::weft(&db, &["jobs", "retry", "--all-failed"], &[]);

    assert!(retried.status.success(), "{}", cli::output_text(&retried));
    assert!(
        cli::output_text(&retried).contains("2 queued"),
        "{}",
        cli::output_text(&retried)
    );
    for job in [first, second] {
        let latest = jobs::latest_for_journal(&db.pool, job.journal_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.state, JobState::Queued);
    }
    assert!(
        cli::output_text(&again).contains("no failed jobs to retry"),
        "{}",
        cli::output_text(&again)
    );
}
