//! The API's conventions: one error shape, request ids, limits, and an OpenAPI document
//! that lists every route.

use crate::common::spawn_app;
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> Value {
    let body: Value = response.json().await.expect("a JSON error body");
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body["error"].clone()
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let missing = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(error_of(missing).await["code"], "not_found");

    let wrong_method = app.client.put(app.url("/health")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(error_of(wrong_method).await["code"], "method_not_allowed");
    app.stop().await;
}

#[tokio::test]
async fn malformed_bodies_get_400_415_and_422() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/auth/login");

    let syntax = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(syntax.status(), 400);
    assert_eq!(error_of(syntax).await["code"], "invalid_json");

    let no_type = app
        .client
        .post(&url)
        .body(r#"{"login":"a","password":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), 415);

    let missing = app
        .client
        .post(&url)
        .json(&serde_json::json!({ "login": "jane" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 422);
    assert_eq!(error_of(missing).await["field"], "password");
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let huge = format!(r#"{{"login":"{}","password":"x"}}"#, "a".repeat(200_000));
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(error_of(response).await["code"], "payload_too_large");
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_given_one_is_kept() {
    let app = spawn_app().await;
    let fresh = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(fresh.status(), 401);
    let id = fresh.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a uuid: {id}");

    let given = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-123");
    app.stop().await;
}

#[tokio::test]
async fn protected_routes_need_a_session() {
    let app = spawn_app().await;
    for path in ["/api/v1/me", "/api/v1/sessions"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(error_of(response).await["code"], "unauthorized");
        let bad = app.get_as("not-a-real-token", path).await;
        assert_eq!(bad.status(), 401, "{path}");
    }
    app.stop().await;
}

/// The routes the API has today, as (method, path) in OpenAPI's notation.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/second-factor"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("delete", "/api/v1/me"),
    ("put", "/api/v1/me/password"),
    ("get", "/api/v1/me/settings"),
    ("put", "/api/v1/me/settings"),
    ("get", "/api/v1/sessions"),
    ("delete", "/api/v1/sessions/{id}"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/journals"),
    ("post", "/api/v1/journals"),
    ("get", "/api/v1/journals/on-this-day"),
    ("get", "/api/v1/calendar"),
    ("get", "/api/v1/journals/{id}"),
    ("patch", "/api/v1/journals/{id}"),
    ("delete", "/api/v1/journals/{id}"),
    ("get", "/api/v1/journals/{id}/video"),
    ("get", "/api/v1/journals/{id}/thumbnail"),
    ("get", "/api/v1/journals/{id}/transcript"),
    ("put", "/api/v1/journals/{id}/transcript"),
    ("post", "/api/v1/journals/{id}/transcript/retry"),
    ("get", "/api/v1/journals/{id}/transcript/versions"),
    (
        "post",
        "/api/v1/journals/{id}/transcript/versions/{version}/restore",
    ),
    ("get", "/api/v1/journals/{id}/transcript.vtt"),
    ("get", "/api/v1/journals/{id}/transcript.srt"),
    ("put", "/api/v1/journals/{id}/tags"),
    ("post", "/api/v1/journals/{id}/tags"),
    ("delete", "/api/v1/journals/{id}/tags/{tag}"),
    ("get", "/api/v1/tags"),
    ("post", "/api/v1/tags/{tag}/rename"),
    ("get", "/api/v1/search"),
    ("post", "/api/v1/reels"),
    ("get", "/api/v1/reels/{id}"),
    ("post", "/api/v1/imports/dayone"),
    ("get", "/api/v1/imports/{id}"),
    ("get", "/api/v1/export.zip"),
    ("options", "/api/v1/uploads"),
    ("post", "/api/v1/uploads"),
    ("head", "/api/v1/uploads/{id}"),
    ("patch", "/api/v1/uploads/{id}"),
    ("delete", "/api/v1/uploads/{id}"),
];

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_nothing_else() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );

    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete", "head", "options"]
                .contains(&method.as_str())
            {
                documented.push((method.clone(), path.clone()));
            }
        }
    }
    for (method, path) in ROUTES {
        assert!(
            documented.contains(&(method.to_string(), path.to_string())),
            "{method} {path} is missing from the OpenAPI document"
        );
    }
    // And each documented operation is really served (not the router's 404/405).
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000");
        let request = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
        let status = request.send().await.unwrap().status();
        assert_ne!(status, 405, "{method} {path} is documented but not routed");
        if status == 404 {
            assert!(
                path.contains("{id}"),
                "{method} {path} is documented but not routed"
            );
        }
    }
    assert_eq!(documented.len(), ROUTES.len(), "documented: {documented:?}");
    app.stop().await;
}
