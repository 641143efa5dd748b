//! Accounts and sessions through the real router and a real PostgreSQL.

use crate::common::{self, spawn_app};
use serde_json::{json, Value};

#[tokio::test]
async fn register_login_me_logout_and_the_token_stops_working() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;

    let by_name = app.login("jane", &jane.password).await;
    assert_eq!(by_name.status(), 200);
    let by_email = app.login("JANE@Example.com", &jane.password).await;
    assert_eq!(by_email.status(), 200);
    let body: Value = by_email.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43, "256 random bits, base64url");

    let me = app.get_as(&token, "/api/v1/me").await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "jane");
    assert_eq!(me["email"], "jane@example.com");
    assert!(me.get("passwordHash").is_none() && me.get("password_hash").is_none());
    assert!(me["createdAt"].is_string() && me["updatedAt"].is_string());

    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(app.get_as(&token, "/api/v1/me").await.status(), 401);
    assert_eq!(
        app.get_as(&jane.token, "/api/v1/me").await.status(),
        200,
        "other sessions live on"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_a_hash_of_the_token_is_stored() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], jane.token.as_bytes());
    assert_eq!(stored[0], weft::accounts::token::hash(&jane.token));
    app.stop().await;
}

#[tokio::test]
async fn a_username_or_email_taken_in_other_letter_case_is_a_409_naming_the_field() {
    let app = spawn_app().await;
    app.register("jane").await;

    let same_name = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(
            &json!({ "username": "JANE", "email": "other@example.com", "password": "long enough" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(same_name.status(), 409);
    let body: Value = same_name.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["field"], "username");

    let same_email = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(
            &json!({ "username": "other", "email": "Jane@EXAMPLE.com", "password": "long enough" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(same_email.status(), 409);
    let body: Value = same_email.json().await.unwrap();
    assert_eq!(body["error"]["field"], "email");
    app.stop().await;
}

#[tokio::test]
async fn weak_or_overlong_passwords_and_bad_fields_are_422() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "username": "jane", "email": "jane@example.com", "password": "short" }),
            "password",
        ),
        (
            json!({ "username": "jane", "email": "jane@example.com", "password": "x".repeat(73) }),
            "password",
        ),
        (
            json!({ "username": "jane", "email": "not-an-email", "password": "long enough" }),
            "email",
        ),
        (
            json!({ "username": "j", "email": "jane@example.com", "password": "long enough" }),
            "username",
        ),
        (
            json!({ "username": "jane", "email": "jane@example.com" }),
            "password",
        ),
        (
            json!({ "username": 7, "email": "jane@example.com", "password": "long enough" }),
            "username",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .client
            .post(app.url("/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was written");
    app.stop().await;
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("jane").await;

    let wrong_password = app.login("jane", "not her password").await;
    let unknown_user = app.login("nobody", "not her password").await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_user.status(), wrong_password.status());
    let a: Value = wrong_password.json().await.unwrap();
    let b: Value = unknown_user.json().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a["error"]["code"], "invalid_credentials");
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_signs_out_the_other_sessions() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let other: Value = app
        .login("jane", &jane.password)
        .await
        .json()
        .await
        .unwrap();
    let other_token = other["token"].as_str().unwrap();

    let wrong = app
        .client
        .put(app.url("/api/v1/me/password"))
        .bearer_auth(&jane.token)
        .json(&json!({ "currentPassword": "wrong password", "newPassword": "a new password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    assert_eq!(app.get_as(other_token, "/api/v1/me").await.status(), 200);

    let changed = app
        .client
        .put(app.url("/api/v1/me/password"))
        .bearer_auth(&jane.token)
        .json(&json!({ "currentPassword": jane.password, "newPassword": "a new password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    assert_eq!(app.get_as(other_token, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get_as(&jane.token, "/api/v1/me").await.status(), 200);
    assert_eq!(app.login("jane", &jane.password).await.status(), 401);
    assert_eq!(app.login("jane", "a new password").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn expired_and_revoked_sessions_are_rejected() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let second: Value = app
        .login("jane", &jane.password)
        .await
        .json()
        .await
        .unwrap();
    let second_token = second["token"].as_str().unwrap().to_string();

    let list: Value = app
        .get_as(&jane.token, "/api/v1/sessions")
        .await
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let second_id = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let revoke = app
        .client
        .delete(app.url(&format!("/api/v1/sessions/{second_id}")))
        .bearer_auth(&jane.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(app.get_as(&second_token, "/api/v1/me").await.status(), 401);

    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(app.get_as(&jane.token, "/api/v1/me").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn using_a_session_slides_its_expiry_forward() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '2 days', expires_at = now() + interval '1 day'")
        .execute(&app.db.pool)
        .await
        .unwrap();

    assert_eq!(app.get_as(&jane.token, "/api/v1/me").await.status(), 200);
    let days_left: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - now())::float8 / 86400 FROM sessions",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        days_left > 29.0,
        "expiry moved to 30 days from now, got {days_left}"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_users_session_is_a_404_not_a_403() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let john = app.register("john").await;
    let janes: Value = app
        .get_as(&jane.token, "/api/v1/sessions")
        .await
        .json()
        .await
        .unwrap();
    let jane_session = janes[0]["id"].as_str().unwrap();

    let response = app
        .client
        .delete(app.url(&format!("/api/v1/sessions/{jane_session}")))
        .bearer_auth(&john.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(app.get_as(&jane.token, "/api/v1/me").await.status(), 200);
    let not_a_uuid = app
        .client
        .delete(app.url("/api/v1/sessions/not-a-uuid"))
        .bearer_auth(&john.token)
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_uuid.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_unsafe_methods() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let cookie = format!("weft_session={}", jane.token);

    let read = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        200,
        "safe methods work with the cookie alone"
    );

    let forged = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_failed");

    let wrong = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);

    let genuine = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &jane.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(genuine.status(), 204);
    app.stop().await;
}

#[tokio::test]
async fn login_sets_an_http_only_lax_session_cookie() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let response = app.login("jane", &jane.password).await;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("weft_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("weft_csrf="))
        .expect("csrf cookie");
    assert!(
        !csrf.contains("HttpOnly"),
        "the page must be able to read it: {csrf}"
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| {
        let mut auth = common::test_auth();
        auth.throttle.per_account = 3;
        weft::api::ApiContext {
            auth: std::sync::Arc::new(auth),
            ..context
        }
    })
    .await;
    let jane = app.register("jane").await;
    for _ in 0..3 {
        assert_eq!(app.login("jane", "wrong password").await.status(), 401);
    }
    let throttled = app.login("jane", &jane.password).await;
    assert_eq!(throttled.status(), 429, "even the right password waits");
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");

    // Another account from elsewhere is not affected by Jane's counter.
    let john = app.register("john").await;
    assert_eq!(app.login("john", &john.password).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn failures_from_one_address_are_throttled_across_accounts() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| {
        let mut auth = common::test_auth();
        auth.throttle.per_address = 4;
        weft::api::ApiContext {
            auth: std::sync::Arc::new(auth),
            ..context
        }
    })
    .await;
    for name in ["a1", "a2", "a3", "a4"] {
        assert_eq!(app.login(name, "whatever password").await.status(), 401);
    }
    assert_eq!(app.login("a5", "whatever password").await.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn closed_registration_refuses_with_403() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| {
        let auth = weft::accounts::AuthConfig {
            registration_open: false,
            ..common::test_auth()
        };
        weft::api::ApiContext {
            auth: std::sync::Arc::new(auth),
            ..context
        }
    })
    .await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(
            &json!({ "username": "jane", "email": "jane@example.com", "password": "long enough" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "registration_closed");
    app.stop().await;
}

#[tokio::test]
async fn changing_username_and_email_needs_the_password_and_respects_uniqueness() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    app.register("john").await;

    let patch = |body: Value| {
        app.client
            .patch(app.url("/api/v1/me"))
            .bearer_auth(&jane.token)
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(json!({ "username": "janet", "password": "wrong password" }))
            .await
            .unwrap()
            .status(),
        422
    );
    let taken = patch(json!({ "username": "John", "password": jane.password }))
        .await
        .unwrap();
    assert_eq!(taken.status(), 409);
    let ok = patch(
        json!({ "username": "janet", "email": "janet@example.org", "password": jane.password }),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    let me: Value = ok.json().await.unwrap();
    assert_eq!(me["username"], "janet");
    assert_eq!(me["email"], "janet@example.org");
    assert_eq!(
        app.login("janet@example.org", &jane.password)
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn deleting_the_account_removes_every_row_of_it() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let john = app.register("john").await;
    for account in [&jane, &john] {
        let id: uuid::Uuid = account.id.parse().unwrap();
        let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, id)
            .await
            .unwrap();
        let journal: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO journals (user_id, title, video_path, duration) VALUES ($1, 'day', 'k', 3) RETURNING id",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query("INSERT INTO transcripts (journal_id, text) VALUES ($1, 'hello')")
            .bind(journal)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO tags (journal_id, tag) VALUES ($1, 'x')")
            .bind(journal)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    let wrong = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&jane.token)
        .json(&json!({ "password": "not it at all" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);

    let deleted = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&jane.token)
        .json(&json!({ "password": jane.password }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_as(&jane.token, "/api/v1/me").await.status(), 401);

    // Count as a superuser would: through each owner's scope, and in the sessions table.
    let jane_id: uuid::Uuid = jane.id.parse().unwrap();
    let john_id: uuid::Uuid = john.id.parse().unwrap();
    for (id, expected) in [(jane_id, 0i64), (john_id, 1)] {
        let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, id)
            .await
            .unwrap();
        for table in ["journals", "transcripts", "tags"] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            assert_eq!(n, expected, "{table} rows of {id}");
        }
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(users, expected);
        let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(sessions, expected);
    }
    app.stop().await;
}
