//! The transcription job queue against a real PostgreSQL: exclusive claims, retries with
//! backoff, permanent failures, the reaper, and hand-back on shutdown.

use std::collections::HashMap;

use crate::common;
use uuid::Uuid;
use weft::db::jobs::{self, JobState};
use weft::db::scoped::begin_for_user;

#[tokio::test]
async fn many_workers_on_many_jobs_never_claim_one_twice_and_finish_all() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let mut expected = Vec::new();
    for _ in 0..40 {
        expected.push(
            common::insert_journal_with_job(&db.pool, owner, 3)
                .await
                .1
                .id,
        );
    }

    let mut workers = Vec::new();
    for n in 0..6 {
        let pool = db.pool.clone();
        workers.push(tokio::spawn(async move {
            let name = format!("worker-{n}");
            let mut done = Vec::new();
            while let Some(job) = jobs::claim(&pool, &name).await.unwrap() {
                let mut tx = begin_for_user(&pool, job.user_id).await.unwrap();
                assert!(jobs::complete(&mut tx, &job, &name).await.unwrap());
                tx.commit().await.unwrap();
                done.push(job.id);
            }
            done
        }));
    }
    let mut claimed: HashMap<Uuid, usize> = HashMap::new();
    for worker in workers {
        for id in worker.await.unwrap() {
            *claimed.entry(id).or_default() += 1;
        }
    }
    assert_eq!(claimed.len(), expected.len(), "every job was done");
    assert!(
        claimed.values().all(|&n| n == 1),
        "no job was claimed twice"
    );
    let states = jobs::depth(&db.pool).await.unwrap();
    assert_eq!(states, vec![(JobState::Done, 40)]);
}

#[tokio::test]
async fn a_retryable_failure_is_queued_again_after_a_backoff_until_attempts_run_out() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let (_, job) = common::insert_journal_with_job(&db.pool, owner, 2).await;

    let first = jobs::claim(&db.pool, "w").await.unwrap().unwrap();
    assert_eq!(first.attempts, 1);
    jobs::fail(&db.pool, &first, "w", "service overloaded", true)
        .await
        .unwrap();
    let queued: (String, f64, Option<String>) = sqlx::query_as(
        "SELECT state, extract(epoch FROM run_after - now())::float8, last_error FROM transcription_jobs WHERE id = $1",
    )
    .bind(job.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(queued.0, "queued");
    assert!(
        queued.1 > 5.0,
        "backoff before the next attempt: {}",
        queued.1
    );
    assert_eq!(queued.2.as_deref(), Some("service overloaded"));
    assert!(
        jobs::claim(&db.pool, "w").await.unwrap().is_none(),
        "not due yet"
    );

    sqlx::query("UPDATE transcription_jobs SET run_after = now()")
        .execute(&db.pool)
        .await
        .unwrap();
    let second = jobs::claim(&db.pool, "w").await.unwrap().unwrap();
    assert_eq!(second.attempts, 2);
    jobs::fail(&db.pool, &second, "w", "still overloaded", true)
        .await
        .unwrap();
    let last = jobs::latest_for_journal(&db.pool, job.journal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.state, JobState::Failed, "no attempts left");
    assert_eq!(last.last_error.as_deref(), Some("still overloaded"));
}

#[tokio::test]
async fn a_permanent_failure_ends_the_job_with_its_reason() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let (_, job) = common::insert_journal_with_job(&db.pool, owner, 5).await;
    let claimed = jobs::claim(&db.pool, "w").await.unwrap().unwrap();
    jobs::fail(&db.pool, &claimed, "w", "the audio is unreadable", false)
        .await
        .unwrap();
    let last = jobs::latest_for_journal(&db.pool, job.journal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.state, JobState::Failed);
    assert_eq!(last.attempts, 1);
    assert!(last.finished_at.is_some());
}

#[tokio::test]
async fn the_reaper_requeues_the_job_of_a_worker_that_stopped_answering() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let (_, job) = common::insert_journal_with_job(&db.pool, owner, 3).await;
    let taken = jobs::claim(&db.pool, "dead-worker").await.unwrap().unwrap();

    assert_eq!(
        jobs::reap(&db.pool, 30.0).await.unwrap(),
        0,
        "its heartbeat is fresh"
    );
    sqlx::query("UPDATE transcription_jobs SET heartbeat_at = now() - interval '1 minute'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(jobs::reap(&db.pool, 30.0).await.unwrap(), 1);

    let again = jobs::claim(&db.pool, "live-worker").await.unwrap().unwrap();
    assert_eq!(again.id, job.id);
    assert_eq!(again.attempts, 2);
    // The dead worker's late result is refused: its attempt is over.
    let mut tx = begin_for_user(&db.pool, taken.user_id).await.unwrap();
    assert!(!jobs::complete(&mut tx, &taken, "dead-worker")
        .await
        .unwrap());
    tx.rollback().await.unwrap();
    assert!(!jobs::heartbeat(&db.pool, &taken, "dead-worker", None)
        .await
        .unwrap());
    let mut tx = begin_for_user(&db.pool, again.user_id).await.unwrap();
    assert!(jobs::complete(&mut tx, &again, "live-worker")
        .await
        .unwrap());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn heartbeats_carry_the_progress_and_a_new_attempt_starts_without_one() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let (_, job) = common::insert_journal_with_job(&db.pool, owner, 3).await;
    let taken = jobs::claim(&db.pool, "w").await.unwrap().unwrap();
    assert_eq!(taken.progress, None);

    let progress = || async {
        jobs::find(&db.pool, job.id)
            .await
            .unwrap()
            .unwrap()
            .progress
    };
    assert!(jobs::heartbeat(&db.pool, &taken, "w", Some(0.25))
        .await
        .unwrap());
    assert_eq!(progress().await, Some(0.25));
    // A heartbeat before the engine reports again keeps the last figure.
    assert!(jobs::heartbeat(&db.pool, &taken, "w", None).await.unwrap());
    assert_eq!(progress().await, Some(0.25));
    // Out of range figures are clamped, never refused.
    assert!(jobs::heartbeat(&db.pool, &taken, "w", Some(1.7))
        .await
        .unwrap());
    assert_eq!(progress().await, Some(1.0));

    jobs::give_back(&db.pool, &taken, "w").await.unwrap();
    let again = jobs::claim(&db.pool, "w2").await.unwrap().unwrap();
    assert_eq!(again.progress, None, "a new attempt starts from nothing");
}

#[tokio::test]
async fn a_job_handed_back_at_shutdown_is_due_at_once_without_losing_an_attempt() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    common::insert_journal_with_job(&db.pool, owner, 3).await;
    let taken = jobs::claim(&db.pool, "w").await.unwrap().unwrap();
    jobs::give_back(&db.pool, &taken, "w").await.unwrap();
    let again = jobs::claim(&db.pool, "w2").await.unwrap().unwrap();
    assert_eq!(again.attempts, 1);
}

#[tokio::test]
async fn a_journal_has_at_most_one_pending_job_and_deleting_it_removes_its_jobs() {
    let db = common::fresh_db().await;
    let owner = common::insert_user(&db.pool, "jane").await;
    let (journal, _) = common::insert_journal_with_job(&db.pool, owner, 3).await;
    let mut tx = begin_for_user(&db.pool, owner).await.unwrap();
    assert!(jobs::enqueue(&mut tx, journal, 3).await.unwrap().is_none());
    sqlx::query("DELETE FROM journals WHERE id = $1")
        .bind(journal)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(jobs::depth(&db.pool).await.unwrap().is_empty());
}
