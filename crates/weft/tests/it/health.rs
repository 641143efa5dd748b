//! `/health` and `/ready` against the real router and a real PostgreSQL.

use crate::common::{self, spawn_app};

#[tokio::test]
async fn health_answers_200_while_the_process_is_alive() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn ready_answers_200_when_the_database_is_current() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    app.stop().await;
}

#[tokio::test]
async fn ready_answers_503_when_a_migration_is_missing() {
    let db = common::empty_db().await;
    let app = common::spawn_app_with(db, |c| c).await;
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "schema_outdated");
    app.stop().await;
}
