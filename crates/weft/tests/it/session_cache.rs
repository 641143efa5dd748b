//! Sessions and timeline versions kept in memory (issue 23, `accounts::session_cache`):
//! two servers over one database, as an installation with several machines has. What one
//! server changes, the other hears of at once; what a client changes, its next request
//! sees; and a server that stops hearing reads the database instead.

use std::time::{Duration, Instant};

use serde_json::Value;

use weft::accounts::session_cache::SessionCache;
use weft::accounts::{token, Accounts};

use crate::common::{cli, spawn_app, test_auth, Account, TestApp};

/// Far below the cache's 30 s limit: a change seen within this was heard, not waited out.
const HEARD_WITHIN: Duration = Duration::from_secs(5);

/// Asks `path` with `token` until `done` holds for its status and body, for at most
/// [`HEARD_WITHIN`]; how long it took.
async fn until(
    app: &TestApp,
    token: &str,
    path: &str,
    done: impl Fn(u16, &Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let response = app.get_as(token, path).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if done(status, &body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < HEARD_WITHIN,
            "{path} still answered {status} {body} after {HEARD_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["title"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn sign_out(app: &TestApp, who: &Account) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn signing_out_on_one_server_ends_the_session_on_the_other() {
    let a = spawn_app().await;
    let b = a.spawn_beside().await;
    let jane = a.register("jane").await;
    // Known to both: each has read it and may keep it.
    for _ in 0..3 {
        assert_eq!(a.get_as(&jane.token, "/api/v1/me").await.status(), 200);
        assert_eq!(b.get_as(&jane.token, "/api/v1/me").await.status(), 200);
    }

    sign_out(&a, &jane).await;

    assert_eq!(
        a.get_as(&jane.token, "/api/v1/me").await.status(),
        401,
        "the server that signed out knows at once"
    );
    let took = until(&b, &jane.token, "/api/v1/me", |status, _| status == 401).await;
    eprintln!("the other server refused the session after {took:?}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_session_deleted_by_anyone_and_a_renamed_user_are_heard_of() {
    let a = spawn_app().await;
    let jane = a.register("jane").await;
    let other: Value = a.login("jane", &jane.password).await.json().await.unwrap();
    let other = other["token"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(a.get_as(&jane.token, "/api/v1/me").await.status(), 200);
        assert_eq!(a.get_as(other, "/api/v1/me").await.status(), 200);
    }

    // An operator's command in another process: a rename, then every session revoked.
    sqlx::query("UPDATE users SET username = 'janet' WHERE username = 'jane'")
        .execute(&a.db.admin)
        .await
        .unwrap();
    until(&a, &jane.token, "/api/v1/me", |status, body| {
        status == 200 && body["username"] == "janet"
    })
    .await;
    sqlx::query(
        "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'janet')",
    )
    .execute(&a.db.admin)
    .await
    .unwrap();
    until(&a, &jane.token, "/api/v1/me", |status, _| status == 401).await;
    until(&a, other, "/api/v1/me", |status, _| status == 401).await;
    a.stop().await;
}

#[tokio::test]
async fn a_change_on_one_server_shows_on_the_others_kept_timeline() {
    let a = spawn_app().await;
    let b = a.spawn_beside().await;
    let jane = a.register("jane").await;
    a.insert_journal(&jane, "First").await;
    for _ in 0..3 {
        let page: Value = b
            .get_as(&jane.token, "/api/v1/journals")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(titles(&page), ["First"]);
    }

    // Renamed through server a: server b's kept page and kept version are both stale now.
    let id = a.insert_journal(&jane, "Second").await;
    let renamed = a
        .client
        .patch(a.url(&format!("/api/v1/journals/{id}")))
        .bearer_auth(&jane.token)
        .json(&serde_json::json!({ "title": "Second, renamed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);

    until(&b, &jane.token, "/api/v1/journals", |status, body| {
        status == 200 && titles(body) == ["Second, renamed", "First"]
    })
    .await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_clients_next_request_sees_its_own_change_at_once() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let id = app.insert_journal(&jane, "Entry").await;
    for round in 0..20 {
        // Kept: the page, the session and the version.
        let page: Value = app
            .get_as(&jane.token, "/api/v1/journals")
            .await
            .json()
            .await
            .unwrap();
        let expected = if round == 0 {
            "Entry".to_string()
        } else {
            format!("Entry {}", round - 1)
        };
        assert_eq!(titles(&page), [expected]);

        let renamed = app
            .client
            .patch(app.url(&format!("/api/v1/journals/{id}")))
            .bearer_auth(&jane.token)
            .json(&serde_json::json!({ "title": format!("Entry {round}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(renamed.status(), 200);
        // No wait for the database's notice: the change itself dropped what was kept.
        let page: Value = app
            .get_as(&jane.token, "/api/v1/journals")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(titles(&page), [format!("Entry {round}")], "round {round}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_server_that_stops_hearing_reads_the_database_instead() {
    let a = spawn_app().await;
    let b = a.spawn_beside().await;
    let jane = a.register("jane").await;
    for _ in 0..3 {
        assert_eq!(b.get_as(&jane.token, "/api/v1/me").await.status(), 200);
    }
    // Both servers' listening connections are cut; the notices sent meanwhile are lost.
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&a.db.admin)
    .await
    .unwrap();
    assert_eq!(cut.len(), 2, "one listening connection per server");
    sqlx::query("DELETE FROM sessions")
        .execute(&a.db.admin)
        .await
        .unwrap();

    until(&b, &jane.token, "/api/v1/me", |status, _| status == 401).await;
    // Listening again after its pause, it keeps sessions again: a new one works at once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again: Value = b.login("jane", &jane.password).await.json().await.unwrap();
    let token = again["token"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(b.get_as(token, "/api/v1/me").await.status(), 200);
    }
    b.stop().await;
    a.stop().await;
}

/// A reset link changes a user who is not the one asking, so no request of theirs drops
/// what is kept of them: the accounts service does, as each change commits, with no notice
/// heard at all (this cache hears none). Before, the server answered the next request from
/// the kept session until the notice came, and a busy machine lost that race.
#[tokio::test]
async fn the_accounts_service_drops_what_it_changes_without_waiting_for_the_notice() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let cache = SessionCache::default();
    cache.set_listening(true);
    let config = test_auth();
    let accounts = Accounts {
        pool: &app.db.pool,
        config: &config,
        sessions: &cache,
    };
    let hash = token::hash(&jane.token);

    let found = keep(&app, &cache, &hash).await;
    let renamed = accounts
        .update_identity(&found.user, Some("janet"), None, &jane.password)
        .await
        .unwrap();
    assert_eq!(renamed.username, "janet");
    assert!(
        cache.session(&hash).is_none(),
        "a rename drops the kept user"
    );

    let found = keep(&app, &cache, &hash).await;
    let output = cli::weft(
        &app.db,
        &["user", "reset-link", "janet"],
        &[("WEFT_PUBLIC_URL", "https://weft.example.org")],
    );
    cli::assert_success(&output);
    let link = cli::stdout(&output)
        .trim()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    accounts
        .reset_password(&link, "a new password")
        .await
        .unwrap();
    assert!(
        cache.session(&hash).is_none(),
        "a reset drops the kept session"
    );
    assert!(
        weft::db::sessions::authenticate(&app.db.pool, &hash)
            .await
            .unwrap()
            .is_none(),
        "and ends it"
    );
    assert_eq!(found.user.id, renamed.id);
    app.stop().await;
}

/// Reads the session of `hash` as a request would, and keeps it in `cache`.
async fn keep(
    app: &TestApp,
    cache: &SessionCache,
    hash: &[u8],
) -> weft::db::sessions::Authenticated {
    let since = cache.generation();
    let found = weft::db::sessions::authenticate(&app.db.pool, hash)
        .await
        .unwrap()
        .expect("the session is live");
    cache.keep(since, hash, &found);
    assert!(cache.session(hash).is_some(), "kept");
    found
}
