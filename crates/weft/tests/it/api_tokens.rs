//! Personal API tokens: made on the account page or by the API, shown once, stored hashed,
//! read-only ones refused a write, expiry, revocation, and the usual probes (another user's
//! token id, CSRF, NUL in the name).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::forms::NoScript;
use crate::common::{spawn_app, Account, TestApp};

/// Makes a token by the API with `account`'s session; the answer.
async fn make(app: &TestApp, account: &Account, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&account.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn list(app: &TestApp, bearer: &str) -> Vec<Value> {
    let response = app.get_as(bearer, "/api/v1/tokens").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_signs_requests_in() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let made = make(&app, &jane, json!({ "name": "Backup script" })).await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("weft_pat_"), "{secret}");
    assert_eq!(made["readOnly"], false);
    assert!(made["expiresAt"].is_null());
    assert!(made["lastUsedAt"].is_null());

    // Listed without the secret; not in the database either.
    let tokens = list(&app, &jane.token).await;
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].get("secret").is_none());
    assert!(!tokens[0].to_string().contains(&secret));
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash = convert_to($1, 'UTF8')",
    )
    .bind(&secret)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(stored, 0, "only a hash is kept");

    // It works as a Bearer token, and its use is recorded.
    let me = app.get_as(&secret, "/api/v1/me").await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "jane");
    let journal = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(journal.status(), 204, "a full-access token may write");
    let tokens = list(&app, &jane.token).await;
    assert!(tokens[0]["lastUsedAt"].is_string(), "{}", tokens[0]);

    // But it cannot manage tokens, and pages want a session.
    let by_token = app.get_as(&secret, "/api/v1/tokens").await;
    assert_eq!(by_token.status(), 403);
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/account"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "to the sign-in page");
    app.stop().await;
}

#[tokio::test]
async fn a_read_only_token_reads_but_is_refused_a_write() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let made: Value = make(&app, &jane, json!({ "name": "Shortcut", "readOnly": true }))
        .await
        .json()
        .await
        .unwrap();
    let secret = made["secret"].as_str().unwrap();
    assert_eq!(app.get_as(secret, "/api/v1/journals").await.status(), 200);
    let write = app
        .client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(secret)
        .json(&json!({ "title": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);
    let error: Value = write.json().await.unwrap();
    assert_eq!(error["error"]["code"], "read_only_token");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("read-only"));
    let delete = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_or_revoked_token_no_longer_works() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let made: Value = make(&app, &jane, json!({ "name": "Month", "expiresInDays": 30 }))
        .await
        .json()
        .await
        .unwrap();
    assert!(made["expiresAt"].is_string());
    let secret = made["secret"].as_str().unwrap();
    assert_eq!(app.get_as(secret, "/api/v1/me").await.status(), 200);
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(app.get_as(secret, "/api/v1/me").await.status(), 401);

    let other: Value = make(&app, &jane, json!({ "name": "Other" }))
        .await
        .json()
        .await
        .unwrap();
    let id = other["id"].as_str().unwrap();
    let revoke = |bearer: String, id: String| {
        let request = app
            .client
            .delete(app.url(&format!("/api/v1/tokens/{id}")))
            .bearer_auth(bearer);
        async move { request.send().await.unwrap() }
    };
    // Another user's token id is 404, and the token keeps working.
    let mallory = app.register("mallory").await;
    assert_eq!(revoke(mallory.token.clone(), id.into()).await.status(), 404);
    assert_eq!(
        revoke(mallory.token.clone(), "not-an-id".into())
            .await
            .status(),
        404
    );
    let secret = other["secret"].as_str().unwrap();
    assert_eq!(app.get_as(secret, "/api/v1/me").await.status(), 200);
    assert!(list(&app, &mallory.token).await.is_empty());

    assert_eq!(revoke(jane.token.clone(), id.into()).await.status(), 204);
    assert_eq!(app.get_as(secret, "/api/v1/me").await.status(), 401);
    assert_eq!(revoke(jane.token.clone(), id.into()).await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn bad_names_and_expiries_are_refused_with_a_sentence() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "a".repeat(101) }), "name"),
        (json!({ "name": "two\nlines" }), "name"),
        (json!({ "name": "ok", "expiresInDays": 0 }), "expiresInDays"),
        (
            json!({ "name": "ok", "expiresInDays": 99999 }),
            "expiresInDays",
        ),
    ] {
        let response = make(&app, &jane, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{body}");
    }
    let nul = make(&app, &jane, json!({ "name": "a\u{0}b" })).await;
    crate::common::assert_invalid_text(nul, "name", "NUL").await;
    assert!(
        list(&app, &jane.token).await.is_empty(),
        "nothing half-made"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_account_page_makes_lists_and_revokes_tokens() {
    let app = spawn_app().await;
    let (mut browser, id) = NoScript::signed_up(&app, "page").await;
    let made = browser
        .submit(
            "/account/tokens",
            &[("name", "Phone"), ("access", "read"), ("expires", "90")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::OK);
    let html = made.text().await.unwrap();
    let secret = html
        .split_once(r#"id="new-token">"#)
        .unwrap()
        .1
        .split_once('<')
        .unwrap()
        .0
        .to_string();
    assert!(secret.starts_with("weft_pat_"));
    assert!(html.contains("shown only this once"));

    let account = browser.page("/account", StatusCode::OK).await;
    assert!(account.contains("Phone"));
    assert!(account.contains("Read-only"));
    assert!(!account.contains(&secret), "never shown again");

    // Forms without the CSRF field change nothing.
    let forged = browser
        .post(
            "/account/tokens",
            &[("name", "Forged"), ("access", "full"), ("expires", "never")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let token_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    let revoke_path = format!("/account/tokens/{token_id}/revoke");
    let forged = browser.post(&revoke_path, &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // NUL in the name, and an unknown choice, are refused on the page.
    let nul = browser
        .submit(
            "/account/tokens",
            &[("name", "a\u{0}b"), ("access", "read"), ("expires", "90")],
        )
        .await;
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let odd = browser
        .submit(
            "/account/tokens",
            &[("name", "x"), ("access", "root"), ("expires", "90")],
        )
        .await;
    assert_eq!(odd.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(odd
        .text()
        .await
        .unwrap()
        .contains("read-only or full access"));

    // Another user cannot revoke it.
    let (mut other, _) = NoScript::signed_up(&app, "other").await;
    let theirs = other.submit(&revoke_path, &[]).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&secret, "/api/v1/me").await.status(), 200);

    let revoked = browser.submit(&revoke_path, &[]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_as(&secret, "/api/v1/me").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn cookie_requests_to_the_token_routes_need_the_csrf_header_and_tokens_no_cookie() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let cookie = format!("weft_session={}", jane.token);
    let forged = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("cookie", &cookie)
        .json(&json!({ "name": "forged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_failed");
    let with_header = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &jane.csrf)
        .json(&json!({ "name": "made by the page's script" }))
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), 201);
    let made: Value = with_header.json().await.unwrap();
    let id = made["id"].as_str().unwrap();
    let forged_delete = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged_delete.status(), 403);
    assert_eq!(list(&app, &jane.token).await.len(), 1);

    // A personal token is taken only as a Bearer token, never as the session cookie.
    let secret = made["secret"].as_str().unwrap();
    let as_cookie = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("weft_session={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_cookie.status(), 401);
    app.stop().await;
}
