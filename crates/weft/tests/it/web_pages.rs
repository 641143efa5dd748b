//! The web UI's pages as a browser without JavaScript sees them: the real router, a real
//! PostgreSQL, forms posted with the session cookie and the CSRF field.

use crate::common::{spawn_app, TestApp};
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use uuid::Uuid;
use weft::db::journals::{self, NewJournal};
use weft::db::scoped::begin_for_user;
use weft::db::transcripts::{self, NewVersion, TranscriptSource};
use weft::domain::Segment;

use crate::common::forms::NoScript as Browser;

fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_string()
}

/// Signs `username` up through the sign-up form.
async fn signed_up(app: &TestApp, username: &str) -> (Browser, Uuid) {
    let mut browser = Browser::new(app);
    let email = format!("{username}@example.com");
    let password = format!("password-of-{username}");
    let response = browser
        .post(
            "/signup",
            &[
                ("username", username),
                ("email", &email),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    (browser, id)
}

/// A journal written straight to the database (the pages only read it).
async fn journal(app: &TestApp, user: Uuid, title: &str, tags: &[&str]) -> Uuid {
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    let row = journals::insert(
        &mut tx,
        &NewJournal {
            title,
            media: weft::domain::Media::Video,
            video_path: "videos/none.mp4",
            duration: 75,
            location: Some("Lisbon"),
            notes: Some("a note"),
        },
    )
    .await
    .unwrap();
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    weft::db::tags::add(&mut tx, row.id, &tags).await.unwrap();
    tx.commit().await.unwrap();
    row.id
}

/// A transcript of `lines` (start, end, text) for `journal`, written straight to the
/// database as the engine would.
pub(crate) async fn transcript(
    app: &TestApp,
    user: Uuid,
    journal: Uuid,
    lines: &[(f64, f64, &str)],
) {
    let segments: Vec<Segment> = lines
        .iter()
        .map(|(start, end, text)| Segment {
            start: *start,
            end: *end,
            text: text.to_string(),
            confidence: None,
            ..Segment::default()
        })
        .collect();
    let text = lines.iter().map(|l| l.2).collect::<Vec<_>>().join(" ");
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    transcripts::insert_version(
        &mut tx,
        journal,
        NewVersion {
            text: &text,
            segments: &segments,
            source: TranscriptSource::Engine,
            language: Some("en"),
            language_probability: None,
            model: Some("whisper tiny.en"),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_sign_in_page_is_a_plain_form_and_a_wrong_password_is_explained_on_it() {
    let app = spawn_app().await;
    app.register("jane").await;
    let mut browser = Browser::new(&app);

    let html = browser.page("/signin", StatusCode::OK).await;
    assert!(html.contains(r#"<form method="post" action="/signin">"#));
    assert!(html.contains(r#"<label for="login">"#) && html.contains(r#"<label for="password">"#));

    let refused = browser
        .post(
            "/signin",
            &[("login", "jane"), ("password", "not her password")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Wrong username, email or password"), "{html}");
    assert!(html.contains(r#"value="jane""#), "the login is kept");

    let accepted = browser
        .post(
            "/signin",
            &[
                ("login", "jane"),
                ("password", "password-of-jane"),
                ("next", "/search"),
            ],
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&accepted), "/search");
    assert!(!browser.csrf().is_empty(), "the session cookies are set");
    app.stop().await;
}

#[tokio::test]
async fn pages_send_a_visitor_who_is_not_signed_in_to_sign_in_and_back() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    for path in ["/", "/new", "/account", "/search?q=x"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            location(&response).starts_with("/signin?next=%2F"),
            "{path}"
        );
    }
    let html = browser.page("/signup", StatusCode::OK).await;
    assert!(html.contains(r#"<form method="post" action="/signup">"#));
    app.stop().await;
}

#[tokio::test]
async fn a_sign_up_with_a_taken_username_shows_why_on_the_form() {
    let app = spawn_app().await;
    app.register("jane").await;
    let mut browser = Browser::new(&app);
    let response = browser
        .post(
            "/signup",
            &[
                ("username", "jane"),
                ("email", "other@example.com"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("That username is already taken."), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn the_timeline_lists_entries_newest_first_and_filters_by_tag() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;

    let empty = browser.page("/", StatusCode::OK).await;
    assert!(empty.contains("Your journal is empty") && empty.contains(r#"href="/new""#));

    let walk = journal(&app, jane, "A walk by the river", &["outside", "family"]).await;
    let work = journal(&app, jane, "Notes on the work week", &["work"]).await;
    let html = browser.page("/", StatusCode::OK).await;
    let (walk_at, work_at) = (
        html.find("A walk by the river").unwrap(),
        html.find("Notes on the work week").unwrap(),
    );
    assert!(work_at < walk_at, "the newest entry comes first");
    assert!(html.contains(&format!(r#"href="/entries/{walk}""#)));
    assert!(html.contains(&format!("/api/v1/journals/{work}/thumbnail")));
    assert!(html.contains("1:15"), "the duration");
    assert!(
        html.contains(r#"href="/?tag=family""#),
        "tags link to the filter"
    );
    assert!(html.contains("No transcript"), "the transcription status");

    let filtered = browser.page("/?tag=Family", StatusCode::OK).await;
    assert!(filtered.contains("A walk by the river"));
    assert!(!filtered.contains("Notes on the work week"));

    let bad = browser
        .page("/?cursor=garbage", StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    assert!(bad.contains("not one this server gave out") && !bad.contains("panicked"));
    app.stop().await;
}

#[tokio::test]
async fn an_entry_page_has_the_player_captions_and_a_transcript_of_seek_links() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;
    let id = journal(&app, jane, "The lighthouse", &["sea"]).await;
    transcript(
        &app,
        jane,
        id,
        &[
            (0.0, 4.5, "The keeper painted the door."),
            (4.5, 9.0, "It was <green> & bright."),
        ],
    )
    .await;

    let html = browser
        .page(&format!("/entries/{id}?t=4.5"), StatusCode::OK)
        .await;
    assert!(html.contains(&format!(r#"src="/api/v1/journals/{id}/video#t=4.5""#)));
    assert!(html.contains(&format!(
        r#"<track kind="captions" srclang="en" label="Transcript" default src="/api/v1/journals/{id}/transcript.vtt">"#
    )));
    assert!(html.contains(r#"href="?t=4.5" data-start="4.5" data-end="9""#));
    assert!(
        html.contains("It was &lt;green&gt; &amp; bright."),
        "transcript text is escaped"
    );
    assert!(html.contains(r#"<form method="post" action="/entries/"#));
    assert!(html.contains(r#"name="csrf""#));
    assert!(html.contains(r#"<meta name="csrf-token""#));
    assert!(html.contains("Transcribed"));
    let odd = browser
        .page(&format!("/entries/{id}?t=soon"), StatusCode::OK)
        .await;
    assert!(
        odd.contains(&format!(r#"src="/api/v1/journals/{id}/video""#)),
        "a bad ?t= is ignored"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_users_entry_is_a_friendly_404_page() {
    let app = spawn_app().await;
    let (_, jane) = signed_up(&app, "jane").await;
    let (mut john, _) = signed_up(&app, "john").await;
    let hers = journal(&app, jane, "Jane's private day", &[]).await;

    for path in [
        format!("/entries/{hers}"),
        format!("/entries/{}", Uuid::new_v4()),
        "/entries/not-an-id".to_string(),
    ] {
        let html = john.page(&path, StatusCode::NOT_FOUND).await;
        assert!(html.contains("Nothing here"), "{path}");
        assert!(!html.contains("Jane's private day"));
    }
    let edit = john
        .submit(&format!("/entries/{hers}"), &[("title", "mine now")])
        .await;
    assert_eq!(edit.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_field_is_refused_and_with_it_is_saved() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;
    let id = journal(&app, jane, "Before", &["old"]).await;
    let path = format!("/entries/{id}");

    let forged = browser
        .post(
            &path,
            &[
                ("title", "Forged"),
                ("tags", "x"),
                ("location", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged
        .text()
        .await
        .unwrap()
        .contains("did not come from your open Weft page"));
    let wrong = browser
        .post(&path, &[("csrf", "guess"), ("title", "Forged")])
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

    let saved = browser
        .submit(
            &path,
            &[
                ("title", "After"),
                ("location", "Porto"),
                ("notes", ""),
                ("tags", "Sea, walk"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), format!("/entries/{id}?saved=1"));
    let html = browser.page(&location(&saved), StatusCode::OK).await;
    assert!(html.contains("Saved.") && html.contains("After") && html.contains("Porto"));
    assert!(html.contains(r#"href="/?tag=sea""#) && html.contains(r#"href="/?tag=walk""#));
    assert!(!html.contains(r#"href="/?tag=old""#));
    assert!(!html.contains("a note"), "emptied notes are cleared");

    let invalid = browser
        .submit(&path, &[("title", "  "), ("tags", "kept, typed")])
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = invalid.text().await.unwrap();
    assert!(html.contains("A journal needs a title") && html.contains("kept, typed"));
    app.stop().await;
}

#[tokio::test]
async fn deleting_an_entry_needs_the_box_ticked() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;
    let id = journal(&app, jane, "Short-lived", &[]).await;
    let path = format!("/entries/{id}/delete");

    let unconfirmed = browser.submit(&path, &[]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = browser.submit(&path, &[("confirm", "yes")]).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    browser
        .page(&format!("/entries/{id}"), StatusCode::NOT_FOUND)
        .await;
    app.stop().await;
}

#[tokio::test]
async fn the_new_entry_page_has_the_recorder_the_file_chooser_and_the_details() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_up(&app, "jane").await;
    let html = browser.page("/new", StatusCode::OK).await;
    for needle in [
        r#"id="camera-on""#,
        r#"id="record""#,
        r#"id="video-file""#,
        r#"<label for="title">"#,
        r#"<label for="tags">"#,
        "<progress",
        "<noscript>",
        "/assets/record.js?v=",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let script = browser.get("/assets/record.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.text().await.unwrap().contains("MediaRecorder"));
    app.stop().await;
}

#[tokio::test]
async fn the_account_page_changes_the_password_and_signs_other_sessions_out() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_up(&app, "jane").await;
    let phone = app.login("jane", "password-of-jane").await;
    assert_eq!(phone.status(), 200);

    let html = browser.page("/account", StatusCode::OK).await;
    for action in ["/account/identity", "/account/password", "/account/delete"] {
        assert!(html.contains(&format!(r#"action="{action}""#)), "{action}");
    }
    assert!(html.contains("This device"));
    assert_eq!(
        html.matches("/revoke").count(),
        1,
        "the other session can be revoked"
    );

    let mismatch = browser
        .submit(
            "/account/password",
            &[
                ("current", "password-of-jane"),
                ("new", "a new secret"),
                ("repeat", "another"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.text().await.unwrap().contains("not the same"));

    let changed = browser
        .submit(
            "/account/password",
            &[
                ("current", "password-of-jane"),
                ("new", "a new secret"),
                ("repeat", "a new secret"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let html = browser.page("/account?done=password", StatusCode::OK).await;
    assert!(html.contains("Password changed"));
    assert_eq!(
        html.matches("/revoke").count(),
        0,
        "the other session is gone"
    );
    app.stop().await;
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_up(&app, "jane").await;
    let kept = browser.cookies.clone();
    let out = browser.submit("/signout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/signin?done=signedout");
    browser.cookies = kept;
    let after = browser.get("/").await;
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
    app.stop().await;
}

#[tokio::test]
async fn search_results_show_the_snippet_and_link_each_moment_to_its_second() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;
    let id = journal(&app, jane, "Tuesday", &[]).await;
    transcript(
        &app,
        jane,
        id,
        &[
            (0.0, 3.0, "Good morning."),
            (12.5, 15.0, "The lighthouse keeper waved at us."),
        ],
    )
    .await;
    journal(&app, jane, "Wednesday", &[]).await;

    let html = browser.page("/search", StatusCode::OK).await;
    assert!(html.contains(r#"<form class="search-box" method="get" action="/search""#));

    let html = browser.page("/search?q=lighthouse", StatusCode::OK).await;
    assert!(html.contains("Tuesday") && !html.contains("Wednesday"));
    assert!(html.contains("<mark>"), "{html}");
    assert!(
        html.contains(&format!(r#"href="/entries/{id}?t=12.5""#)),
        "the moment links to its second: {html}"
    );

    let nothing = browser.page("/search?q=zeppelin", StatusCode::OK).await;
    assert!(nothing.contains("Nothing found"));
    app.stop().await;
}

#[tokio::test]
async fn the_transcription_language_is_chosen_on_the_account_page_and_for_one_entry() {
    let app = spawn_app().await;
    let (mut browser, user) = signed_up(&app, "lena").await;
    let html = browser.page("/account", StatusCode::OK).await;
    assert!(html.contains(r#"action="/account/language""#));
    assert!(
        html.contains(r#"<option value="auto" selected>Detect</option>"#),
        "detect by default"
    );
    assert!(html.contains(r#"<option value="sv">Swedish</option>"#));

    let saved = browser
        .submit("/account/language", &[("language", "sv")])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let html = browser.page("/account?done=language", StatusCode::OK).await;
    assert!(html.contains(r#"<option value="sv" selected>Swedish</option>"#));
    assert!(html.contains("New recordings are transcribed in this language"));

    for bad in ["klingon", "e\u{0}s"] {
        let refused = browser
            .submit("/account/language", &[("language", bad)])
            .await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("auto to detect it") || page.contains("NUL"),
            "{bad:?}: says what to do"
        );
    }
    let html = browser.page("/account", StatusCode::OK).await;
    assert!(
        html.contains(r#"<option value="sv" selected>Swedish</option>"#),
        "unchanged"
    );

    // An entry offers to transcribe again in another language; one that is not a language
    // is refused with a page that says so, and nothing is queued.
    let id = journal(&app, user, "Fika", &[]).await;
    let page = browser
        .page(&format!("/entries/{id}"), StatusCode::OK)
        .await;
    assert!(
        !page.contains("retry-language"),
        "no engine on this server, no retry form"
    );
    let refused = browser
        .submit(&format!("/entries/{id}/retry"), &[("language", "zz")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM transcription_jobs")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(jobs, 0);

    // A transcript in two languages: each line's words are marked for highlighting, and the
    // line in the other language says which it is.
    let word = |w: &str, start: f64| weft::domain::Word {
        word: w.to_string(),
        start,
        end: start + 0.4,
        probability: Some(0.9),
    };
    let segments = vec![
        Segment {
            start: 0.0,
            end: 1.0,
            text: "Hej allihop".into(),
            words: vec![word("Hej", 0.1), word("allihop", 0.5)],
            ..Segment::default()
        },
        Segment {
            start: 1.0,
            end: 2.0,
            text: "Hola amigos".into(),
            words: vec![word("Hola", 1.1), word("amigos", 1.5)],
            language: Some("es".into()),
            ..Segment::default()
        },
    ];
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    transcripts::insert_version(
        &mut tx,
        id,
        NewVersion {
            text: "Hej allihop Hola amigos",
            segments: &segments,
            source: TranscriptSource::Engine,
            language: Some("sv"),
            language_probability: Some(0.91),
            model: Some("whisper base"),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = browser
        .page(&format!("/entries/{id}"), StatusCode::OK)
        .await;
    assert!(
        page.contains("Swedish, detected (91 % sure)"),
        "the language heard"
    );
    assert!(page.contains(r#"<span class="w" data-start="1.5" data-end="1.9">amigos</span>"#));
    assert!(
        page.contains(r#"lang="es""#),
        "the Spanish line is marked as Spanish"
    );
    assert!(page.contains(r#"<span class="lang" title="Spanish">es</span>"#));
}

#[tokio::test]
async fn private_pages_are_never_stored_by_the_browser_but_assets_are_cached() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_up(&app, "pia").await;
    for path in ["/", "/account", "/search?q=x", "/new", "/signin"] {
        let response = browser.get(path).await;
        let cache = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
    }
    let css = browser.get("/assets/app.css").await;
    let cache = css.headers().get(reqwest::header::CACHE_CONTROL).unwrap();
    assert_ne!(cache, "no-store", "assets stay cacheable");
}

#[tokio::test]
async fn every_signed_in_page_has_a_sign_out_button_in_its_header() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;
    let id = journal(&app, jane, "Tuesday", &[]).await;
    let csrf = browser.csrf();
    for path in [
        "/",
        "/new",
        "/search",
        "/account",
        &format!("/entries/{id}"),
    ] {
        let html = browser.page(path, StatusCode::OK).await;
        let header = &html[html.find("<header").unwrap()..html.find("</header>").unwrap()];
        assert!(
            header.contains(r#"<form class="inline nav-signout" method="post" action="/signout">"#)
                && header.contains(&format!(r#"name="csrf" value="{csrf}""#))
                && header.contains(r#"<button class="link" type="submit">Sign out</button>"#),
            "{path}: {header}"
        );
    }
    let out = browser.submit("/signout", &[]).await;
    assert_eq!(location(&out), "/signin?done=signedout");
    let html = browser.page("/signin", StatusCode::OK).await;
    assert!(!html.contains("nav-signout"), "no sign-out once signed out");
    app.stop().await;
}

#[tokio::test]
async fn uploading_a_file_that_is_not_a_video_says_what_to_try_instead() {
    let app = spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("holiday.mp4");
    // Bytes ffprobe cannot make sense of ("Invalid data found when processing input").
    std::fs::write(&fake, vec![0x5a_u8; 64 * 1024]).unwrap();
    let response = app
        .upload(&jane.token, &fake, &[("title", "Holiday")])
        .await;
    assert_eq!(response.status(), 415);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    assert_eq!(body["error"]["field"], "video");
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "This file is not a video or audio recording Weft can read. \
         Try an MP4, WebM or MOV video, or an M4A, MP3, Opus, WAV or FLAC recording."
    );
    app.stop().await;
}

#[tokio::test]
async fn only_cards_that_need_attention_carry_a_transcription_badge() {
    let app = spawn_app().await;
    let (mut browser, jane) = signed_up(&app, "jane").await;
    let done = journal(&app, jane, "Transcribed one", &[]).await;
    transcript(&app, jane, done, &[(0.0, 2.0, "Hello there.")]).await;
    journal(&app, jane, "Never transcribed", &[]).await;
    let html = browser.page("/", StatusCode::OK).await;
    assert_eq!(html.matches(r#"class="badge"#).count(), 1, "{html}");
    assert!(html.contains(r#"data-status="none">No transcript</span>"#));
    assert!(
        !html.contains("Transcribed</span>"),
        "no badge for the usual case"
    );
    app.stop().await;
}

#[tokio::test]
async fn error_pages_speak_in_sentences_and_hide_the_bare_number() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_up(&app, "jane").await;
    let html = browser.page("/no-such-page", StatusCode::NOT_FOUND).await;
    assert!(
        html.contains(r#"<p class="code" aria-hidden="true">404</p>"#),
        "{html}"
    );
    assert!(html.contains("This page does not exist, or it belongs to someone else."));
    let html = browser
        .page("/?cursor=garbage", StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    let message = &html[html.find("<h1>").unwrap()..];
    let message = &message[message.find("<p>").unwrap() + 3..message.find("</p>").unwrap()];
    assert!(message.starts_with(char::is_uppercase), "{message}");
    assert!(message.ends_with('.'), "{message}");
    app.stop().await;
}
