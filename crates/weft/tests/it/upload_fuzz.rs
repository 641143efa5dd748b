//! Hostile input on the upload path: arbitrary and malformed multipart bodies (boundaries,
//! field names, part headers, truncation), odd content types and large or strange request
//! headers, sent as raw bytes over TCP to the real router. Every answer is a 4xx with the JSON
//! error shape (or, for a body cut short, possibly no answer at all), never a 5xx; and no row,
//! stored object or scratch file is left behind.

use std::time::{Duration, Instant};

use crate::common;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One part of a form as sent, before serialising.
#[derive(Debug, Clone)]
struct Part {
    name: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
    extra_header: Option<(String, String)>,
    body: Vec<u8>,
}

/// One hostile upload.
#[derive(Debug, Clone)]
struct Upload {
    content_type: String,
    /// The boundary the body really uses (sometimes not the declared one).
    body_boundary: String,
    parts: Vec<Part>,
    line_end: &'static str,
    closed: bool,
    /// Cut the body after this share (in 1/1000ths) of its length.
    cut: Option<u16>,
    extra_headers: Vec<(String, String)>,
}

fn field_name() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => prop::sample::select(vec!["video", "title", "location", "notes", "tags"])
            .prop_map(|s| Some(s.to_string())),
        1 => Just(None),
        1 => Just(Some(String::new())),
        1 => "[ -~]{0,40}".prop_map(Some),
        1 => any::<String>().prop_map(Some),
        1 => "[a-z]{200,2000}".prop_map(Some),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    (
        field_name(),
        prop::option::of("[ -~]{0,60}"),
        prop::option::of(prop_oneof![
            Just("video/mp4".to_string()),
            Just("text/plain; charset=utf-8".to_string()),
            "[ -~]{0,80}",
        ]),
        prop::option::of(("[A-Za-z-]{1,20}", "[ -~]{0,200}")),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2048),
            "[ -~]{0,300}".prop_map(String::into_bytes),
            // A text field over the 64 KiB limit.
            Just(vec![b'x'; 70 * 1024]),
        ],
    )
        .prop_map(|(name, filename, content_type, extra_header, body)| Part {
            name,
            filename,
            content_type,
            extra_header,
            body,
        })
}

fn boundary() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9'()+_,./:=?-]{1,70}",
        1 => Just(String::new()),
        1 => "[ -~]{1,100}",
        1 => "[a-z]{71,400}",
    ]
}

fn upload() -> impl Strategy<Value = Upload> {
    (
        boundary(),
        prop::bool::weighted(0.85),
        boundary(),
        prop_oneof![
            // Mostly forms the multipart parser takes on, so that their insides get tested.
            6 => prop::sample::select(vec![
                "multipart/form-data; boundary={b}",
                "multipart/form-data; boundary=\"{b}\"",
                "multipart/form-data; charset=utf-8; boundary={b}",
                "MULTIPART/FORM-DATA; BOUNDARY={b}",
            ]),
            1 => prop::sample::select(vec![
                "multipart/form-data",
                "multipart/mixed; boundary={b}",
                "text/plain",
                "application/json",
                "multipart/form-data; boundary={b}; boundary=other",
            ]),
        ],
        prop::collection::vec(part(), 0..5),
        prop::sample::select(vec!["\r\n", "\n"]),
        prop::bool::weighted(0.8),
        prop::option::weighted(0.3, 0u16..1000),
        prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,30}", "[ -~]{0,4000}"), 0..8),
    )
        .prop_map(
            |(boundary, same, other, template, parts, line_end, closed, cut, extra_headers)| {
                Upload {
                    content_type: template.replace("{b}", &boundary),
                    body_boundary: if same { boundary } else { other },
                    parts,
                    line_end,
                    closed,
                    cut,
                    extra_headers,
                }
            },
        )
}

impl Upload {
    fn body(&self) -> Vec<u8> {
        let nl = self.line_end;
        let mut body = Vec::new();
        for part in &self.parts {
            body.extend(format!("--{}{nl}", self.body_boundary).as_bytes());
            let mut disposition = "Content-Disposition: form-data".to_string();
            if let Some(name) = &part.name {
                disposition.push_str(&format!("; name=\"{name}\""));
            }
            if let Some(filename) = &part.filename {
                disposition.push_str(&format!("; filename=\"{filename}\""));
            }
            body.extend(disposition.as_bytes());
            body.extend(nl.as_bytes());
            if let Some(content_type) = &part.content_type {
                body.extend(format!("Content-Type: {content_type}{nl}").as_bytes());
            }
            if let Some((name, value)) = &part.extra_header {
                body.extend(format!("{name}: {value}{nl}").as_bytes());
            }
            body.extend(nl.as_bytes());
            body.extend(&part.body);
            body.extend(nl.as_bytes());
        }
        if self.closed {
            body.extend(format!("--{}--{nl}", self.body_boundary).as_bytes());
        }
        if let Some(cut) = self.cut {
            body.truncate(body.len() * usize::from(cut) / 1000);
        }
        body
    }
}

/// What came back: the status and the body, or None when the connection closed unanswered.
async fn send(address: &str, token: &str, upload: &Upload) -> Option<(u16, Vec<u8>)> {
    let body = upload.body();
    let full = upload.body().len();
    let declared = if upload.cut.is_some() {
        // The header promises the whole body; the client stops early and hangs up.
        full.max(body.len() + 1)
    } else {
        body.len()
    };
    let mut head = format!(
        "POST /api/v1/journals HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {}\r\nContent-Length: {declared}\r\nConnection: close\r\n",
        upload.content_type
    );
    for (name, value) in &upload.extra_headers {
        let name = name.to_ascii_lowercase();
        // Headers that change the framing or the identity of the request are not the point.
        if [
            "content-length",
            "content-type",
            "transfer-encoding",
            "authorization",
            "host",
            "connection",
            "expect",
            "cookie",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        head.push_str(&format!("x-fuzz-{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may answer (and close) before it has read everything: write errors are fine.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    if upload.cut.is_some() {
        // The rest never comes. (Hyper treats a half-closed connection as gone, so only a
        // cut-short request may go unanswered.)
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server answered within 30s");
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1)?.parse::<u16>().ok()?;
    let start = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some((status, answer[start..].to_vec()))
}

fn check(upload: &Upload, answer: Option<(u16, Vec<u8>)>) -> Result<(), TestCaseError> {
    let Some((status, body)) = answer else {
        // Only a body cut short may go unanswered: the server saw the connection end.
        prop_assert!(upload.cut.is_some(), "no answer to a complete request");
        return Ok(());
    };
    prop_assert!(
        (400..500).contains(&status),
        "status {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        TestCaseError::fail(format!("{status} without a JSON body ({e}): {body:?}"))
    })?;
    prop_assert!(json["error"]["code"].is_string(), "error shape: {json}");
    prop_assert!(json["error"]["message"].is_string(), "error shape: {json}");
    Ok(())
}

#[test]
fn hostile_multipart_uploads_get_a_json_4xx_and_leave_nothing_behind() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(common::spawn_app());
    let account = runtime.block_on(app.register("mallory"));
    let address = app.address.trim_start_matches("http://").to_string();

    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    runner
        .run(&upload(), |upload| {
            let answer = runtime.block_on(send(&address, &account.token, &upload));
            let status = answer.as_ref().map_or(0, |(status, _)| *status);
            *seen.lock().unwrap().entry(status).or_default() += 1;
            check(&upload, answer)
        })
        .unwrap();
    eprintln!("answers by status (0: none): {:?}", seen.lock().unwrap());

    runtime.block_on(async {
        let journals: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
        assert_eq!(journals, 0, "no journal came of a hostile upload");
        // Scratch files of refused uploads go when their request ends; give that a moment.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut stored = app.storage.list("videos").await.unwrap();
            stored.extend(app.storage.list("thumbnails").await.unwrap());
            let scratch: Vec<_> = std::fs::read_dir(&app.scratch)
                .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if stored.is_empty() && scratch.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "left behind: {stored:?} {scratch:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.stop().await;
    });
}

#[tokio::test]
async fn request_headers_beyond_the_server_limits_are_refused_without_a_5xx() {
    let app = common::spawn_app().await;
    let account = app.register("mallory").await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut head = format!(
        "POST /api/v1/journals HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 0\r\nConnection: close\r\n",
        account.token
    );
    for n in 0..200 {
        head.push_str(&format!("x-huge-{n}: {}\r\n", "h".repeat(4096)));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    // HTTP/1.1's parser answers 431 (or hangs up) before any handler runs.
    if let Some(status) = text.split(' ').nth(1) {
        let status: u16 = status.parse().unwrap();
        assert!((400..500).contains(&status), "status {status}");
    }
    let journals: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(journals, 0);
    app.stop().await;
}
