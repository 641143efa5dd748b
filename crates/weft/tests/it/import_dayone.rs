//! `weft import dayone` and the web import page: a Day One export, generated with real
//! media, becomes journals (videos, audio, notes); a second run adds nothing; a broken entry
//! is reported and skips only itself; a damaged zip is refused.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::common;
use crate::common::cli::{output_text, stdout, weft};
use crate::common::dayone::{self, uuids};
use crate::common::forms::NoScript;

/// One journal as the import left it.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Row {
    title: String,
    created_at: String,
    location: Option<String>,
    notes: Option<String>,
    media: String,
    duration: i32,
    tags: String,
}

async fn rows(db: &common::TestDb, user: uuid::Uuid) -> Vec<Row> {
    let mut tx = weft::db::scoped::begin_for_user(&db.pool, user)
        .await
        .unwrap();
    sqlx::query_as(
        "SELECT title, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created_at,
                location, notes, media, duration,
                coalesce((SELECT string_agg(tag, ',' ORDER BY tag) FROM tags WHERE journal_id = j.id), '') AS tags
         FROM journals j ORDER BY created_at, title",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap()
}

fn row(
    title: &str,
    created_at: &str,
    location: Option<&str>,
    notes: Option<&str>,
    media: &str,
    duration: i32,
    tags: &str,
) -> Row {
    Row {
        title: title.into(),
        created_at: created_at.into(),
        location: location.map(Into::into),
        notes: notes.map(Into::into),
        media: media.into(),
        duration,
        tags: tags.into(),
    }
}

#[tokio::test]
async fn a_day_one_export_becomes_journals_once_and_its_broken_entries_are_reported() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let export = dayone::realistic_export(dir.path());
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("WEFT_DATA_DIR", data.path().to_str().unwrap()),
        ("WEFT_TRANSCRIBER", "none"),
    ];
    let args = [
        "import",
        "dayone",
        "--user",
        "jane",
        export.to_str().unwrap(),
    ];

    let first = weft(&db, &args, &env);

    let text = output_text(&first);
    assert!(first.status.success(), "{text}");
    assert!(
        stdout(&first).contains("7 imported, 0 already imported, 3 skipped, for jane"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "skipped Journal, entry {}: its video videos/0123456789abcdef0123456789abcdef.mp4 is missing from the export",
            uuids::BROKEN
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "skipped Travel, entry {}: its video videos/",
            uuids::UNREADABLE_VIDEO
        )) && text
            .contains(".mp4 could not be imported: the file is not a video or audio recording"),
        "{text}"
    );
    assert!(
        text.contains("skipped Dreams.json: the journal file is not valid Day One JSON"),
        "{text}"
    );
    assert_eq!(
        rows(&db, user).await,
        vec![
            row(
                "Last day of the year",
                "2018-12-31 10:59",
                None,
                Some("Resolutions: 1. read more 2. walk *every* day"),
                "none",
                0,
                "resolutions"
            ),
            row(
                "Fireworks over the river!",
                "2019-07-04 23:30",
                Some("Pier 25, New York, NY, United States"),
                Some("We watched from the pier - loud & bright. Cost: $0.00"),
                "video",
                2,
                "family,starred,summer"
            ),
            row(
                "Day One, 15 June 2020",
                "2020-06-15 10:00",
                None,
                None,
                "none",
                0,
                ""
            ),
            row(
                "New year, said aloud",
                "2021-01-01 08:15",
                Some("Lisbon, Portugal"),
                Some("A quiet morning - coffee and rain."),
                "audio",
                2,
                "voice"
            ),
            row(
                "Cherry blossoms in Ueno",
                "2022-03-30 03:00",
                Some("Ueno Park, Tokyo, Japan"),
                None,
                "video",
                1,
                "japan,travel"
            ),
            row(
                "Surf lesson",
                "2023-08-20 16:45",
                None,
                None,
                "video",
                1,
                "travel"
            ),
            row(
                "Surf lesson (2)",
                "2023-08-20 16:45",
                None,
                None,
                "video",
                3,
                "travel"
            ),
        ]
    );

    let second = weft(&db, &args, &env);

    let text = output_text(&second);
    assert!(second.status.success(), "{text}");
    assert!(
        stdout(&second).contains("0 imported, 6 already imported, 3 skipped, for jane"),
        "{text}"
    );
    assert_eq!(rows(&db, user).await.len(), 7, "nothing is imported twice");
}

#[tokio::test]
async fn a_damaged_zip_is_refused_with_its_reason_and_nothing_is_imported() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let export = dayone::realistic_export(dir.path());
    let bytes = std::fs::read(&export).unwrap();
    // Cut off the zip's directory at its end, as an interrupted download does.
    let damaged = dir.path().join("Damaged.zip");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let not_zip = dir.path().join("notes.zip");
    std::fs::write(&not_zip, "just some text\0").unwrap();
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("WEFT_DATA_DIR", data.path().to_str().unwrap()),
        ("WEFT_TRANSCRIBER", "none"),
    ];

    for zip in [&damaged, &not_zip] {
        let output = weft(
            &db,
            &["import", "dayone", "--user", "jane", zip.to_str().unwrap()],
            &env,
        );

        let text = output_text(&output);
        assert!(!output.status.success(), "{text}");
        assert!(
            text.contains("cannot be imported: The file is not a readable zip archive"),
            "{text}"
        );
    }
    assert!(rows(&db, user).await.is_empty());
}

#[tokio::test]
async fn video_files_are_still_imported_without_a_subcommand() {
    let db = common::fresh_db().await;
    let user = common::insert_user(&db.pool, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = common::media::test_video(dir.path(), common::media::Container::Mp4, 1);
    let data = tempfile::tempdir().unwrap();

    let output = weft(
        &db,
        &["import", "--user", "jane", video.to_str().unwrap()],
        &[
            ("WEFT_DATA_DIR", data.path().to_str().unwrap()),
            ("WEFT_TRANSCRIBER", "none"),
        ],
    );

    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        stdout(&output).contains("1 imported, 0 skipped"),
        "{}",
        output_text(&output)
    );
    assert_eq!(rows(&db, user).await.len(), 1);
}

/// The multipart form the import page sends: the token, then the zip.
fn import_form(csrf: Option<&str>, file_name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(csrf) = csrf {
        form = form.text("csrf", csrf.to_string());
    }
    form.part(
        "export",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
    )
}

#[tokio::test]
async fn the_import_page_uploads_an_export_and_shows_its_progress_and_result_without_javascript() {
    let app = common::spawn_app().await;
    let (mut browser, user) = NoScript::signed_up(&app, "jane").await;
    let dir = tempfile::tempdir().unwrap();
    let export = dayone::realistic_export(dir.path());
    let account = browser.page("/account", StatusCode::OK).await;
    assert!(
        account.contains(r#"href="/import""#),
        "the account page links to the import page"
    );
    let form_page = browser.page("/import", StatusCode::OK).await;
    assert!(
        form_page.contains(r#"enctype="multipart/form-data""#),
        "{form_page}"
    );

    let form = import_form(
        Some(&browser.csrf()),
        "Export.zip",
        std::fs::read(&export).unwrap(),
    );
    let response = browser
        .send(
            browser
                .request(reqwest::Method::POST, "/import")
                .multipart(form),
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/import/"), "{location}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let page = loop {
        let response = browser.get(&location).await;
        assert_eq!(response.status(), StatusCode::OK);
        let refresh = response
            .headers()
            .get("refresh")
            .map(|v| v.to_str().unwrap().to_string());
        let page = response.text().await.unwrap();
        match refresh {
            Some(refresh) => {
                assert_eq!(refresh, format!("2; url={location}"));
                assert!(page.contains("Importing"), "{page}");
            }
            None => break page,
        }
        assert!(
            Instant::now() < deadline,
            "the import did not finish: {page}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(
        page.contains("Done: 7 imported, 0 already imported, 3 skipped"),
        "{page}"
    );
    assert!(page.contains("is missing from the export"), "{page}");
    assert!(page.contains("Dreams.json"), "{page}");
    assert_eq!(rows(&app.db, user).await.len(), 7);
    let list = browser.page("/import", StatusCode::OK).await;
    assert!(
        list.contains(&location),
        "the import page lists the run: {list}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_import_endpoints_refuse_bad_input_and_show_no_one_else_s_imports() {
    let app = common::spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut small = dayone::ExportZip::default();
    small.journal(
        "Journal",
        vec![serde_json::json!({"uuid": "AA01", "creationDate": "2024-02-29T12:00:00Z", "text": "Leap day\0 note"})],
    );
    let zip = dir.path().join("small.zip");
    small.write(&zip);
    let post = |token: &str, form: reqwest::multipart::Form| {
        app.client
            .post(app.url("/api/v1/imports/dayone"))
            .bearer_auth(token)
            .multipart(form)
            .send()
    };

    let json = app
        .client
        .post(app.url("/api/v1/imports/dayone"))
        .bearer_auth(&alice.token)
        .json(&serde_json::json!({"export": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let not_zip = post(
        &alice.token,
        import_form(None, "notes.zip", b"plain text\0".to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(not_zip.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = not_zip.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_export");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The file is not a readable zip archive"),
        "{body}"
    );
    let nul_name = post(
        &alice.token,
        import_form(None, "Ex\0port.zip", std::fs::read(&zip).unwrap()),
    )
    .await
    .unwrap();
    // The form's parser refuses a NUL in a part's header before any handler sees it.
    assert_eq!(nul_name.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = nul_name.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_form", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("Send it as multipart/form-data."),
        "{body}"
    );
    let nothing = post(
        &alice.token,
        reqwest::multipart::Form::new().text("note", "hi"),
    )
    .await
    .unwrap();
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = nothing.json().await.unwrap();
    assert_eq!(body["error"]["field"], "export");
    let mut stranger = NoScript::new(&app);
    let no_token = stranger
        .send(
            stranger
                .request(reqwest::Method::POST, "/import")
                .multipart(import_form(None, "small.zip", std::fs::read(&zip).unwrap())),
        )
        .await;
    assert_eq!(
        no_token.status(),
        StatusCode::SEE_OTHER,
        "not signed in: to the sign-in page"
    );
    let (mut jane, _) = NoScript::signed_up(&app, "jane").await;
    let wrong_token = jane
        .send(
            jane.request(reqwest::Method::POST, "/import")
                .multipart(import_form(
                    Some("not-the-token"),
                    "small.zip",
                    std::fs::read(&zip).unwrap(),
                )),
        )
        .await;
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    let page = wrong_token.text().await.unwrap();
    assert!(page.contains("reload the page and try again."), "{page}");
    let imported: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM import_runs")
        .fetch_all(&app.db.admin)
        .await
        .unwrap();
    assert!(imported.is_empty(), "no refused upload started a run");

    let started = post(
        &alice.token,
        import_form(None, "small.zip", std::fs::read(&zip).unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let run: serde_json::Value = started.json().await.unwrap();
    let path = format!("/api/v1/imports/{}", run["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let run: serde_json::Value = app.get_as(&alice.token, &path).await.json().await.unwrap();
        if run["state"] != "running" {
            break run;
        }
        assert!(Instant::now() < deadline, "{run}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["report"]["imported"], 1, "{done}");
    assert_eq!(
        app.get_as(&bob.token, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    let malformed = app.get_as(&alice.token, "/api/v1/imports/not-an-id").await;
    assert_eq!(malformed.status(), StatusCode::NOT_FOUND);
    let notes: Option<String> =
        sqlx::query_scalar("SELECT notes FROM journals WHERE title = 'Leap day note'")
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    assert_eq!(
        notes, None,
        "a NUL in the export's text is dropped, not stored"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_run_its_server_left_running_reads_as_failed_with_the_reason() {
    let app = common::spawn_app().await;
    let alice = app.register("alice").await;
    let id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO import_runs (id, user_id, source, updated_at) VALUES ($1, $2::uuid, 'dayone', now() - interval '5 minutes')",
    )
    .bind(id)
    .bind(&alice.id)
    .execute(&app.db.admin)
    .await
    .unwrap();

    let run: serde_json::Value = app
        .get_as(&alice.token, &format!("/api/v1/imports/{id}"))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(run["state"], "failed", "{run}");
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .starts_with("The import stopped when the server restarted."),
        "{run}"
    );
}
