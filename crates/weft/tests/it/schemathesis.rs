//! The OpenAPI document exercised by a property-based API fuzzer: schemathesis (from PyPI,
//! pinned; `scripts/install-deps` puts it in `$WEFT_TOOLS_DIR/venv`, default
//! `~/.cache/weft/tools/venv`) generates valid and invalid requests for every operation of
//! /api/v1/openapi.json against the real server, signed in with a bearer token, and checks
//! that no answer is a 5xx and every answer (status, content type, body) is as documented.
//!
//! Operations that end the session they are called with (log-out, account deletion, password
//! change, revoking a session) run in a second pass with a user of their own, so that they
//! cannot sign the first pass out. A fixed seed keeps the run the same from one time to the
//! next; WEFT_SCHEMATHESIS_SEED and WEFT_SCHEMATHESIS_EXAMPLES change it. Without the tool the
//! test fails and says how to install it; it never skips.

use std::process::{Command, Stdio};

use crate::common::media::{self, Container};
use crate::common::{self, processes};

/// Operations that can sign out the token they are called with.
const SESSION_ENDING: [&str; 4] = ["logout", "delete_me", "change_password", "revoke_session"];

/// What every response is checked for.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance";

fn setting(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Runs schemathesis against the server at `base` as `token`, on the operations that
/// `selection` (a list of CLI arguments) picks; returns whether it passed and its report.
fn schemathesis(base: &str, token: &str, config: &str, selection: &[String]) -> (bool, String) {
    let program = common::tools_dir().join("venv/bin/schemathesis");
    assert!(
        program.is_file(),
        "schemathesis is not installed ({} does not exist): run scripts/install-deps, which \
         installs it into that virtual environment (WEFT_TOOLS_DIR chooses another folder, for \
         the script and this test alike)",
        program.display()
    );
    // A scratch working folder: no schemathesis.toml or .env of the checkout is read, and
    // nothing is written into the checkout.
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("schemathesis.toml"), config).unwrap();
    // The bytes of a tus PATCH (`application/offset+octet-stream`) are sent as any binary
    // body; schemathesis knows no serializer for that media type by itself.
    std::fs::write(
        scratch.path().join("weft_hooks.py"),
        "import schemathesis\n\
         schemathesis.serializer.alias(\"application/offset+octet-stream\", \"application/octet-stream\")\n",
    )
    .unwrap();
    let output = Command::new(&program)
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args([
            "--max-examples",
            &setting("WEFT_SCHEMATHESIS_EXAMPLES", "25"),
        ])
        .args(["--seed", &setting("WEFT_SCHEMATHESIS_SEED", "20261124")])
        // Two cores on a busy machine: two workers, and patience per request.
        .args(["--workers", "2", "--request-timeout", "60"])
        // The bearer header above is the credential; generating others only signs out.
        .args(["--generation-with-security-parameters", "false"])
        .args(["--generation-database", "none", "--no-color"])
        // Strings with NUL, which PostgreSQL refuses in text: answered 422, never 500.
        .args(["--generation-allow-x00", "true"])
        .args(selection)
        .current_dir(scratch.path())
        .env("SCHEMATHESIS_HOOKS", "weft_hooks")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}

/// The summary at the end of a report (operations, test cases, failures).
fn summary(report: &str) -> &str {
    report.find("SUMMARY").map_or(report, |at| {
        &report[report[..at].rfind('\n').unwrap_or(0)..]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    // Transcription on, as on a server with an engine (jobs are queued; nothing runs them).
    let db = common::fresh_db().await;
    let app = common::spawn_app_with(db, |context| weft::api::ApiContext {
        transcription: Some(3),
        ..context
    })
    .await;
    let first = app.register("fuzzer").await;
    let second = app.register("fuzzer2").await;
    let base = app.address.clone();
    // Real journals for the `{id}` of the journal routes half of the time (random ids the
    // other half), so that their handlers run on data and not only answer 404.
    let dir = tempfile::tempdir().unwrap();
    let video = std::fs::read(media::test_video(dir.path(), Container::Mp4, 2)).unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let response =
            processes::upload(&app.client, &base, &first.token, &video, &format!("j{n}"))
                .await
                .unwrap();
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(format!("{}", body["id"]));
    }
    let config = format!(
        "[dictionaries.journals]\nvalues = [{}]\n\n[parameters]\n\
         \"path.id\" = {{ dictionary = \"journals\", probability = 0.5 }}\n",
        ids.join(", ")
    );

    let mut everything_else = Vec::new();
    for id in SESSION_ENDING {
        everything_else.extend(["--exclude-operation-id".to_string(), id.to_string()]);
    }
    let mut session_ending = Vec::new();
    for id in SESSION_ENDING {
        session_ending.extend(["--include-operation-id".to_string(), id.to_string()]);
    }
    let (base2, token, config2) = (base.clone(), first.token.clone(), config.clone());
    let (passed, report) = tokio::task::spawn_blocking(move || {
        schemathesis(&base2, &token, &config2, &everything_else)
    })
    .await
    .unwrap();
    eprintln!(
        "schemathesis, all operations but the session-ending ones:\n{}",
        summary(&report)
    );
    assert!(passed, "schemathesis found problems:\n{report}");

    let token = second.token.clone();
    let (passed, report) =
        tokio::task::spawn_blocking(move || schemathesis(&base, &token, &config, &session_ending))
            .await
            .unwrap();
    eprintln!(
        "schemathesis, the session-ending operations:\n{}",
        summary(&report)
    );
    assert!(passed, "schemathesis found problems:\n{report}");
    app.stop().await;
}

/// What schemathesis found first: axum's query-string rejection answered in plain text.
#[tokio::test]
async fn a_query_string_that_does_not_parse_gets_the_json_error_shape() {
    let app = common::spawn_app().await;
    let account = app.register("quinn").await;

    let response = app
        .get_as(&account.token, "/api/v1/journals?limit=9223372036854775808")
        .await;

    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("query string"));
    app.stop().await;
}
