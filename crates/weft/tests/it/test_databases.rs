//! The fixtures' own promise: every test database is dropped when its test ends, whether the
//! test passed, failed, or left sessions open in it.

use std::time::{Duration, Instant};

use crate::common::{self, fresh_db, TestDb};

/// Whether PostgreSQL still lists database `name` (asked through another test database).
async fn listed(observer: &TestDb, name: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&observer.admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_test_database_is_gone_once_its_test_db_is_dropped() {
    let observer = fresh_db().await;
    let db = fresh_db().await;
    let name = db.name.clone();
    assert!(listed(&observer, &name).await, "{name} exists while in use");

    drop(db);

    assert!(!listed(&observer, &name).await, "{name} is still listed");
}

#[tokio::test]
async fn an_empty_test_database_is_dropped_too() {
    let observer = fresh_db().await;
    let db = common::empty_db().await;
    let name = db.name.clone();

    drop(db);

    assert!(!listed(&observer, &name).await, "{name} is still listed");
}

#[tokio::test]
async fn a_test_database_still_in_use_is_dropped_at_once() {
    let observer = fresh_db().await;
    // A server that was never stopped, a session inside an open transaction, and a query
    // that would run for ten minutes: all still in the database when the test ends.
    let app = common::spawn_app().await;
    app.register("jane").await;
    let name = app.db.name.clone();
    let mut open = app.db.admin.begin().await.unwrap();
    sqlx::query("UPDATE users SET email = 'jane@example.org'")
        .execute(&mut *open)
        .await
        .unwrap();
    let pool = app.db.pool.clone();
    let sleeping = tokio::spawn(async move {
        sqlx::query("SELECT pg_sleep(600)")
            .execute(&pool)
            .await
            .map(|_| ())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    drop(app);
    let took = started.elapsed();

    assert!(!listed(&observer, &name).await, "{name} is still listed");
    assert!(
        took < Duration::from_secs(10),
        "dropping a database in use took {took:?}"
    );
    let ended = sleeping.await.unwrap();
    assert!(ended.is_err(), "the sleeping query was ended");
    drop(open);
}

#[tokio::test]
async fn the_database_of_a_test_that_panics_is_dropped_too() {
    let observer = fresh_db().await;
    let (report, created) = std::sync::mpsc::channel();
    // A failing test of its own: a thread with the current-thread runtime #[tokio::test]
    // gives, which panics while it holds its database.
    let failing = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let db = fresh_db().await;
                report.send(db.name.clone()).unwrap();
                panic!("a test that fails on purpose while it holds {}", db.name);
            })
    });

    let outcome = tokio::task::spawn_blocking(move || failing.join())
        .await
        .unwrap();

    assert!(outcome.is_err(), "the test panicked");
    let name = created.recv().unwrap();
    assert!(!listed(&observer, &name).await, "{name} is still listed");
}
