//! Text PostgreSQL refuses, sent to every route of the OpenAPI document and every form of
//! the web UI: NUL (U+0000) in each path parameter, each query parameter, each string of a
//! JSON body (found by walking the operation's schema) and each text field of a multipart
//! form, at positions and amid text chosen by proptest. Every one must be answered 422
//! `invalid_text` naming the field, before anything is written. A lone surrogate (JSON's
//! `\ud800`) must be refused as malformed JSON. Against the real router and PostgreSQL.

use crate::common::{self, assert_invalid_text, TestApp};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{json, Map, Value};

/// Cases per field: each a new position of the NUL and new text around it.
const CASES: usize = 3;

/// Text around the NUL: any characters but NUL, up to 12 of them on each side.
fn around() -> impl Strategy<Value = (String, String)> {
    let side = proptest::collection::vec(
        proptest::char::any().prop_filter("not NUL", |c| *c != '\0'),
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>());
    (side.clone(), side)
}

/// `CASES` strings, each holding one NUL somewhere.
fn nul_texts(runner: &mut TestRunner) -> Vec<String> {
    (0..CASES)
        .map(|_| {
            let (before, after) = around().new_tree(runner).unwrap().current();
            format!("{before}\u{0}{after}")
        })
        .collect()
}

/// Percent-encodes every byte that is not unreserved (for a path segment or query value).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Follows `$ref`s to `#/components/schemas/...`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A value of the schema's shape with every property present, and the paths (as Weft names
/// fields: `segments[0].text`) of its strings.
fn shaped(doc: &Value, schema: &Value, path: &str, strings: &mut Vec<String>) -> Value {
    let schema = resolve(doc, schema);
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|options| {
            options
                .iter()
                .find(|o| resolve(doc, o)["type"] != "null")
                .or(options.first())
        }) {
            return shaped(doc, first, path, strings);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("object") => {
            let mut object = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    let child = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    object.insert(name.clone(), shaped(doc, property, &child, strings));
                }
            }
            Value::Object(object)
        }
        Some("array") => {
            let item = shaped(doc, &schema["items"], &format!("{path}[0]"), strings);
            Value::Array(vec![item])
        }
        Some("string") => {
            strings.push(path.to_string());
            json!("fine")
        }
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        _ => Value::Null,
    }
}

/// Replaces the string at a Weft field path (`segments[0].text`) in `value`.
fn replace(value: &mut Value, path: &str, text: &str) {
    let mut at = value;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        at = &mut at[name];
        if let Some(index) = index {
            at = &mut at[index];
        }
    }
    *at = json!(text);
}

/// Rows of every table a request could write to, to check that none was.
async fn written(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "sessions",
        "journals",
        "tags",
        "transcripts",
        "transcription_jobs",
    ] {
        counts.push(
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&app.db.admin)
                .await
                .unwrap(),
        );
    }
    counts
}

#[tokio::test]
async fn nul_anywhere_in_any_route_of_the_document_is_refused_with_422_invalid_text() {
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| weft::api::ApiContext {
        transcription: Some(3),
        ..context
    })
    .await;
    let jane = app.register("jane").await;
    let id = app.insert_journal(&jane, "Untouched").await;
    let before = written(&app).await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut runner = TestRunner::new(Config::default());
    let mut sent = 0;

    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !["GET", "PUT", "POST", "DELETE", "PATCH"].contains(&method.as_str()) {
                continue;
            }
            let what = |how: &str| format!("{method} {template}: {how}");
            let parameters: Vec<&Value> = operation["parameters"]
                .as_array()
                .map(|p| p.iter().collect())
                .unwrap_or_default();
            // Path parameters filled with real values: the journal's id, a tag's name.
            let fill = |name: &str| {
                if name == "id" {
                    id.clone()
                } else {
                    "fine".to_string()
                }
            };
            let real_path = parameters.iter().filter(|p| p["in"] == "path").fold(
                template.clone(),
                |path, p| {
                    let name = p["name"].as_str().unwrap();
                    path.replace(&format!("{{{name}}}"), &fill(name))
                },
            );
            let send = |path: String, body: Option<Value>| {
                let mut request = app
                    .client
                    .request(method.clone(), app.url(&path))
                    .bearer_auth(&jane.token);
                if let Some(body) = body {
                    request = request.json(&body);
                }
                request.send()
            };
            // A body of the right shape goes with the parameters, so that only the NUL is wrong.
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let mut strings = Vec::new();
            let body = (!schema.is_null()).then(|| shaped(&doc, schema, "", &mut strings));

            for parameter in &parameters {
                let name = parameter["name"].as_str().unwrap();
                for text in nul_texts(&mut runner) {
                    let (path, field) = if parameter["in"] == "path" {
                        let path = parameters.iter().filter(|p| p["in"] == "path").fold(
                            template.clone(),
                            |path, p| {
                                let other = p["name"].as_str().unwrap();
                                let value = if other == name {
                                    encode(&text)
                                } else {
                                    fill(other)
                                };
                                path.replace(&format!("{{{other}}}"), &value)
                            },
                        );
                        (path, "path".to_string())
                    } else if parameter["in"] == "query" {
                        (
                            format!("{real_path}?{name}={}", encode(&text)),
                            name.to_string(),
                        )
                    } else {
                        continue;
                    };
                    let response = send(path, body.clone()).await.unwrap();
                    assert_invalid_text(response, &field, &what(&format!("parameter {name}")))
                        .await;
                    sent += 1;
                }
            }
            if let Some(body) = &body {
                for field in &strings {
                    for text in nul_texts(&mut runner) {
                        let mut hostile = body.clone();
                        replace(&mut hostile, field, &text);
                        let response = send(real_path.clone(), Some(hostile)).await.unwrap();
                        assert_invalid_text(response, field, &what(&format!("body field {field}")))
                            .await;
                        sent += 1;
                    }
                    // A lone surrogate is no text at all: malformed JSON, never a 5xx.
                    let mut hostile = serde_json::to_string(body).unwrap();
                    hostile = hostile.replacen("\"fine\"", "\"a\\ud800b\"", 1);
                    let response = app
                        .client
                        .request(method.clone(), app.url(&real_path))
                        .bearer_auth(&jane.token)
                        .header("content-type", "application/json")
                        .body(hostile)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 400, "{}", what("lone surrogate"));
                    sent += 1;
                }
            }
            let multipart = &operation["requestBody"]["content"]["multipart/form-data"]["schema"];
            if !multipart.is_null() {
                let form_schema = resolve(&doc, multipart);
                for (name, property) in form_schema["properties"].as_object().unwrap() {
                    if resolve(&doc, property)["format"] == "binary" {
                        continue;
                    }
                    for text in nul_texts(&mut runner) {
                        let form = reqwest::multipart::Form::new()
                            .text(name.clone(), text)
                            .part(
                                "video",
                                reqwest::multipart::Part::bytes(vec![0u8; 1024])
                                    .file_name("clip.mp4"),
                            );
                        let response = app
                            .client
                            .request(method.clone(), app.url(&real_path))
                            .bearer_auth(&jane.token)
                            .multipart(form)
                            .send()
                            .await
                            .unwrap();
                        assert_invalid_text(response, name, &what(&format!("form field {name}")))
                            .await;
                        sent += 1;
                    }
                }
            }
        }
    }
    assert!(sent > 100, "only {sent} hostile requests were made");
    eprintln!("{sent} requests with NUL, every one refused with 422");
    assert_eq!(written(&app).await, before, "nothing was written");
    let view: Value = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["title"], "Untouched");
    app.stop().await;
}

#[tokio::test]
async fn nul_in_any_form_or_query_of_the_web_pages_is_refused_with_422() {
    let app = common::spawn_app().await;
    let jane = app.register("jane").await;
    let id = app.insert_journal(&jane, "Untouched").await;
    let cookie = format!("weft_session={}", jane.token);
    let before = written(&app).await;
    let mut runner = TestRunner::new(Config::default());
    let posts = [
        "/signin".to_string(),
        "/signup".to_string(),
        "/signout".to_string(),
        "/account/identity".to_string(),
        "/account/password".to_string(),
        "/account/delete".to_string(),
        format!("/account/sessions/{}/revoke", uuid::Uuid::new_v4()),
        format!("/entries/{id}"),
        format!("/entries/{id}/delete"),
        format!("/entries/{id}/retry"),
    ];
    for path in &posts {
        for field in ["csrf", "title", "login", "password", "username", "notes"] {
            for text in nul_texts(&mut runner) {
                let response = app
                    .client
                    .post(app.url(path))
                    .header("cookie", &cookie)
                    .form(&[(field, text.as_str()), ("csrf", &jane.csrf)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 422, "POST {path} with {field}");
                assert!(response.text().await.unwrap().contains("NUL"), "{path}");
            }
        }
    }
    for page in [
        "/".to_string(),
        "/search".to_string(),
        "/account".to_string(),
        "/signin".to_string(),
        format!("/entries/{id}"),
    ] {
        for text in nul_texts(&mut runner) {
            let response = app
                .client
                .get(app.url(&format!(
                    "{page}?q={}&next={}",
                    encode(&text),
                    encode(&text)
                )))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 422, "GET {page}");
        }
    }
    assert_eq!(written(&app).await, before, "nothing was written");
    app.stop().await;
}
