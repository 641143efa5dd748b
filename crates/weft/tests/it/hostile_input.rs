//! What an adversarial review found, each against the real router and a real PostgreSQL:
//! text PostgreSQL refuses (NUL) on every way in, password checks and registrations that
//! were not throttled, connections that never speak, other spellings of ids, a truncated
//! video accepted as whole, and a correction's answer that disagreed with the next read.

use std::time::Duration;

use crate::common::media::{self, Container};
use crate::common::{self, assert_invalid_text, spawn_app, spawn_app_with};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn nul_in_any_text_field_query_or_path_is_refused_with_422_and_nothing_changes() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let id = app.insert_journal(&jane, "Harbour walk").await;
    let client = &app.client;

    let login = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "x\u{0}", "password": "whatever-pw"}))
        .send()
        .await
        .unwrap();
    assert_invalid_text(login, "login", "log-in").await;
    let register = client
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "nul", "email": "n@example.com", "password": "pass\u{0}word"}))
        .send()
        .await
        .unwrap();
    assert_invalid_text(register, "password", "registration").await;

    for (field, body) in [
        ("title", json!({"title": "a\u{0}b"})),
        ("location", json!({"location": "Cascais\u{0}"})),
        ("notes", json!({"notes": "\u{0}"})),
    ] {
        let edit = client
            .patch(app.url(&format!("/api/v1/journals/{id}")))
            .bearer_auth(&jane.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_invalid_text(edit, field, "journal edit").await;
    }
    let correction = client
        .put(app.url(&format!("/api/v1/journals/{id}/transcript")))
        .bearer_auth(&jane.token)
        .json(
            &json!({"segments": [{"start": 0.0, "end": 1.0, "text": "fine"},
                                   {"start": 1.0, "end": 2.0, "text": "bad\u{0}"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_invalid_text(correction, "segments[1].text", "transcript correction").await;
    let tags = client
        .put(app.url(&format!("/api/v1/journals/{id}/tags")))
        .bearer_auth(&jane.token)
        .json(&json!({"tags": ["fine", "x\u{0}y"]}))
        .send()
        .await
        .unwrap();
    assert_invalid_text(tags, "tags[1]", "tags").await;

    let search = app.get_as(&jane.token, "/api/v1/search?q=a%00b").await;
    assert_invalid_text(search, "q", "search").await;
    let rename = client
        .post(app.url("/api/v1/tags/a%00b/rename"))
        .bearer_auth(&jane.token)
        .json(&json!({"to": "c"}))
        .send()
        .await
        .unwrap();
    assert_invalid_text(rename, "path", "a tag in the path").await;

    // Pages: the search page's query and the sign-in form.
    let page = client
        .get(app.url("/search?q=a%00b"))
        .header("cookie", format!("weft_session={}", jane.token))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 422, "the search page");
    assert!(page.text().await.unwrap().contains("NUL"));
    let signin = client
        .post(app.url("/signin"))
        .form(&[("login", "jane\u{0}"), ("password", "whatever-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), 422, "the sign-in form");
    assert!(signin.text().await.unwrap().contains("NUL"));

    // Nothing was written: the journal is as it was, no account was made, no transcript.
    let view: Value = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["title"], "Harbour walk", "{view}");
    assert_eq!(view["tags"], json!([]), "{view}");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(users, 1);
    let transcripts: i64 = sqlx::query_scalar("SELECT count(*) FROM transcripts")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(transcripts, 0);
    app.stop().await;
}

#[tokio::test]
async fn nul_in_a_log_in_is_422_not_500_while_the_address_is_locked_out() {
    let app = spawn_app().await;
    app.register("jane").await;
    let mut locked = false;
    for _ in 0..25 {
        if app.login("jane", "wrong-password").await.status() == 429 {
            locked = true;
            break;
        }
    }
    assert!(locked, "the throttle locks the account out");
    let response = app.login("jane\u{0}", "wrong-password").await;
    assert_invalid_text(response, "login", "a locked-out log-in").await;
    // The lock-out still holds for the real name.
    assert_eq!(app.login("jane", "password-of-jane").await.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn a_title_with_nul_sent_before_the_video_is_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    // The video is not even a video: the title is refused before it is looked at.
    let form = Form::new().text("title", "a\u{0}b").part(
        "video",
        Part::bytes(vec![7u8; 64 * 1024]).file_name("clip.mp4"),
    );
    let response = app
        .client
        .post(app.url("/api/v1/journals"))
        .bearer_auth(&jane.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_invalid_text(response, "title", "an upload's title").await;
    let journals: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(journals, 0);
    let scratch = std::fs::read_dir(&app.scratch).map_or(0, |d| d.count());
    assert_eq!(scratch, 0, "no scratch file is left");
    app.stop().await;
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_log_ins() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let mut statuses = Vec::new();
    for n in 0..8 {
        let response = if n % 2 == 0 {
            app.client
                .put(app.url("/api/v1/me/password"))
                .bearer_auth(&jane.token)
                .json(&json!({"currentPassword": format!("guess-{n}-pw"), "newPassword": "new-password-1"}))
                .send()
                .await
                .unwrap()
        } else {
            app.client
                .delete(app.url("/api/v1/me"))
                .bearer_auth(&jane.token)
                .json(&json!({"password": format!("guess-{n}-pw")}))
                .send()
                .await
                .unwrap()
        };
        statuses.push(response.status().as_u16());
    }
    // Five wrong passwords per account (the log-in limit), whichever route tried them.
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429, 429, 429]);
    // Even the right password waits now: that is what stops a guesser who found it.
    let right = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&jane.token)
        .json(&json!({"password": jane.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 429);
    assert!(right.headers().contains_key("retry-after"));
    // And log-ins of the account count the same failures.
    assert_eq!(app.login("jane", &jane.password).await.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn registrations_from_one_address_are_limited() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, |context| weft::api::ApiContext {
        auth: std::sync::Arc::new(weft::accounts::AuthConfig {
            throttle: weft::accounts::throttle::ThrottleConfig {
                registrations_per_address: 3,
                ..Default::default()
            },
            ..common::test_auth()
        }),
        ..context
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let response = app
            .client
            .post(app.url("/api/v1/auth/register"))
            .json(
                &json!({"username": format!("user{n}"), "email": format!("user{n}@example.com"),
                          "password": "long-enough-pw"}),
            )
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(users, 3);
    app.stop().await;
}

fn with_limits(
    header_read_timeout: Duration,
    max_connections: usize,
) -> impl FnOnce(weft::api::ApiContext) -> weft::api::ApiContext {
    move |context| weft::api::ApiContext {
        limits: weft::api::Limits {
            header_read_timeout,
            max_connections,
            ..context.limits
        },
        ..context
    }
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_closed() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, with_limits(Duration::from_secs(1), 512)).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut answer = Vec::new();
    // The bound only keeps a broken server from hanging the test; the server closes sooner.
    let _ = tokio::time::timeout(Duration::from_secs(30), silent.read_to_end(&mut answer))
        .await
        .expect("the server closed the silent connection");
    assert!(answer.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn connections_past_the_limit_wait_until_one_closes() {
    let db = common::fresh_db().await;
    let app = spawn_app_with(db, with_limits(Duration::from_secs(60), 2)).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let held = [
        tokio::net::TcpStream::connect(&address).await.unwrap(),
        tokio::net::TcpStream::connect(&address).await.unwrap(),
    ];
    // Let the server take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = tokio::net::TcpStream::connect(&address).await.unwrap();
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let early =
        tokio::time::timeout(Duration::from_millis(700), third.read_to_end(&mut answer)).await;
    assert!(early.is_err(), "no answer while two connections are held");
    drop(held);
    tokio::time::timeout(Duration::from_secs(30), third.read_to_end(&mut answer))
        .await
        .expect("answered once a connection closed")
        .unwrap();
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    app.stop().await;
}

#[tokio::test]
async fn only_the_lower_case_hyphenated_id_names_a_journal() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let id = app.insert_journal(&jane, "One spelling").await;
    let ok = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}"))
        .await;
    assert_eq!(ok.status(), 200);
    let simple = id.replace('-', "");
    for other in [
        id.to_uppercase(),
        format!("%7B{id}%7D"),
        simple,
        format!("urn:uuid:{id}"),
    ] {
        let response = app
            .get_as(&jane.token, &format!("/api/v1/journals/{other}"))
            .await;
        assert_eq!(response.status(), 404, "{other}");
        let page = app
            .client
            .get(app.url(&format!("/entries/{other}")))
            .header("cookie", format!("weft_session={}", jane.token))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "the page of {other}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_corrections_answer_gives_the_status_a_read_gives_next() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let id = app.insert_journal(&jane, "No engine ran").await;
    let put: Value = app
        .client
        .put(app.url(&format!("/api/v1/journals/{id}/transcript")))
        .bearer_auth(&jane.token)
        .json(&json!({"segments": [{"start": 0.0, "end": 1.5, "text": "written by hand"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let get: Value = app
        .get_as(&jane.token, &format!("/api/v1/journals/{id}/transcript"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(put["status"], "done", "{put}");
    assert_eq!(put["status"], get["status"]);
    assert_eq!(put["transcript"]["text"], get["transcript"]["text"]);
    app.stop().await;
}

#[tokio::test]
async fn an_mp4_cut_off_after_its_index_is_refused_as_unreadable() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let clip = media::test_video(dir.path(), Container::Mp4, 5);
    // Index at the front, then keep only the first 60 %: ffprobe still reads 5 s from it.
    let faststart = dir.path().join("fs.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&clip)
        .args(["-c", "copy", "-movflags", "+faststart"])
        .arg(&faststart)
        .status()
        .unwrap();
    assert!(status.success());
    let whole = std::fs::read(&faststart).unwrap();
    let cut = whole[..whole.len() * 6 / 10].to_vec();

    let send = |bytes: Vec<u8>| {
        let form = Form::new()
            .text("title", "clip")
            .part("video", Part::bytes(bytes).file_name("clip.mp4"));
        app.client
            .post(app.url("/api/v1/journals"))
            .bearer_auth(&jane.token)
            .multipart(form)
            .send()
    };
    let response = send(cut).await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unreadable_video", "{body}");
    let journals: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(journals, 0);
    // The whole file is accepted, with its real length.
    let accepted = send(whole).await.unwrap();
    assert_eq!(accepted.status(), 201);
    let view: Value = accepted.json().await.unwrap();
    assert_eq!(view["duration"], 5, "{view}");
    app.stop().await;
}
