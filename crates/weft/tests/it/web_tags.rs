//! The tags page (`/tags`) as a browser without JavaScript sees it: the real router, a real
//! PostgreSQL, forms posted with the session cookie and the CSRF field. Every tag with its
//! count, renaming, merging after a confirmation, refusals that change nothing, and no tag
//! of another person's ever shown. Also the tag fields that the chip editor enhances.

use crate::common::forms::NoScript;
use crate::common::{spawn_app, TestApp};
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use uuid::Uuid;
use weft::db::journals::{self, NewJournal};
use weft::db::scoped::begin_for_user;

/// A browser with JavaScript off, signed up through the sign-up form, and its user.
struct Page {
    browser: NoScript,
    user: Uuid,
}

impl std::ops::Deref for Page {
    type Target = NoScript;
    fn deref(&self) -> &NoScript {
        &self.browser
    }
}

impl std::ops::DerefMut for Page {
    fn deref_mut(&mut self) -> &mut NoScript {
        &mut self.browser
    }
}

impl Page {
    async fn signed_up(app: &TestApp, username: &str) -> Page {
        let (browser, user) = NoScript::signed_up(app, username).await;
        Page { browser, user }
    }

    /// Posts the rename form with its CSRF field, as the page's own form does.
    async fn rename(&mut self, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post("/tags/rename", &all).await
    }

    /// A page's HTML, after checking its status.
    async fn html(&mut self, path: &str, status: StatusCode) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        response.text().await.unwrap()
    }
}

fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_string()
}

/// A journal with `tags`, written straight to the database (the pages only read it).
async fn journal(app: &TestApp, user: Uuid, title: &str, tags: &[&str]) -> Uuid {
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    let row = journals::insert(
        &mut tx,
        &NewJournal {
            title,
            media: weft::domain::Media::Video,
            video_path: "videos/none.mp4",
            duration: 30,
            location: None,
            notes: None,
        },
    )
    .await
    .unwrap();
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    weft::db::tags::add(&mut tx, row.id, &tags).await.unwrap();
    tx.commit().await.unwrap();
    row.id
}

/// A user's tags and counts as stored, by name.
async fn stored(app: &TestApp, user: Uuid) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT t.tag, count(*) FROM tags t JOIN journals j ON j.id = t.journal_id
         WHERE j.user_id = $1 GROUP BY t.tag ORDER BY t.tag",
    )
    .bind(user)
    .fetch_all(&app.db.admin)
    .await
    .unwrap()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

#[tokio::test]
async fn the_tags_page_lists_every_tag_with_its_count_linking_to_the_filtered_timeline() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    journal(&app, jane.user, "Harbour", &["walk", "sea"]).await;
    journal(&app, jane.user, "Cliffs", &["walk", "sea"]).await;
    journal(&app, jane.user, "Beach", &["walk", "family trip"]).await;

    let html = jane.html("/tags", StatusCode::OK).await;
    assert!(html.contains("<h1>Tags</h1>"));
    assert!(html.contains(r#"<a href="/tags" aria-current="page">Tags</a>"#));
    assert!(html.contains(r#"<a class="tag" href="/?tag=family+trip">family trip</a>"#));
    assert!(!html.contains(r#">#</span>"#), "a chip, without a #");
    for (tag, count) in [
        ("walk", "3 entries"),
        ("sea", "2 entries"),
        ("family trip", "1 entry"),
    ] {
        let link = format!(r#"{count}<span class="visually-hidden"> tagged {tag}</span>"#);
        assert!(html.contains(&link), "{tag}: {count}");
    }
    let order = |html: &str| {
        let mut tags = ["walk", "sea", "family trip"];
        tags.sort_by_key(|tag| html.find(&format!(">{tag}</a>")).unwrap());
        tags
    };
    assert_eq!(
        order(&html),
        ["walk", "sea", "family trip"],
        "most used first"
    );
    assert!(
        html.contains("merge the two"),
        "the page says renaming can merge"
    );

    let by_name = jane.html("/tags?sort=name", StatusCode::OK).await;
    assert_eq!(order(&by_name), ["family trip", "sea", "walk"], "by name");
    assert!(by_name.contains(r#"<a href="/tags?sort=name" aria-current="page">Name</a>"#));

    // The link of a tag opens the timeline filtered by it.
    let timeline = jane.html("/?tag=family+trip", StatusCode::OK).await;
    assert!(timeline.contains("Beach") && !timeline.contains("Cliffs"));
    app.stop().await;
}

#[tokio::test]
async fn with_no_tags_the_page_says_where_tags_come_from() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    journal(&app, jane.user, "Untagged", &[]).await;

    let html = jane.html("/tags", StatusCode::OK).await;
    assert!(html.contains("No tags yet") && html.contains("Edit details"));
    assert!(!html.contains(r#"action="/tags/rename""#));
    app.stop().await;
}

#[tokio::test]
async fn renaming_a_tag_changes_it_on_every_entry() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    let one = journal(&app, jane.user, "One", &["walk"]).await;
    journal(&app, jane.user, "Two", &["walk", "sea"]).await;

    let renamed = jane
        .rename(&[("from", "walk"), ("to", "  Long Walk "), ("sort", "name")])
        .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&renamed), "/tags?sort=name&renamed=long+walk");
    assert_eq!(
        stored(&app, jane.user).await,
        pairs(&[("long walk", 2), ("sea", 1)])
    );
    let html = jane.html(&location(&renamed), StatusCode::OK).await;
    assert!(html.contains("Renamed. The tag is now “long walk”."));
    let entry = jane.html(&format!("/entries/{one}"), StatusCode::OK).await;
    assert!(entry.contains(r#"<a class="tag" href="/?tag=long+walk">long walk</a>"#));
    app.stop().await;
}

#[tokio::test]
async fn renaming_onto_an_existing_tag_asks_first_and_then_merges() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    journal(&app, jane.user, "Both", &["walk", "hike"]).await;
    journal(&app, jane.user, "Walk only", &["walk"]).await;
    journal(&app, jane.user, "Hike only", &["hike"]).await;
    let before = stored(&app, jane.user).await;

    let asked = jane.rename(&[("from", "walk"), ("to", "Hike")]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let html = asked.text().await.unwrap();
    assert!(html.contains("Merge “walk” into “hike”?"), "{html}");
    assert!(
        html.contains("2 entries tagged “walk” are tagged “hike”")
            && html.contains("cannot be undone")
    );
    assert!(html.contains("(2 entries carry it now)"), "{html}");
    assert!(html.contains(r#"name="confirm" value="yes""#));
    assert_eq!(stored(&app, jane.user).await, before, "nothing merged yet");

    let merged = jane
        .rename(&[("from", "walk"), ("to", "hike"), ("confirm", "yes")])
        .await;
    assert_eq!(merged.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&merged), "/tags?sort=count&merged=hike");
    assert_eq!(stored(&app, jane.user).await, pairs(&[("hike", 3)]));
    let html = jane.html(&location(&merged), StatusCode::OK).await;
    assert!(html.contains("Merged into “hike”.") && html.contains("3 entries"));
    app.stop().await;
}

#[tokio::test]
async fn bad_names_and_unknown_tags_are_refused_on_the_page_and_nothing_changes() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    journal(&app, jane.user, "Walking", &["walk", "sea"]).await;
    let before = stored(&app, jane.user).await;
    let too_long = "x".repeat(51);

    let cases: [(&str, &str, StatusCode, &str); 6] = [
        (
            "walk",
            "   ",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Type a new name for “walk”.",
        ),
        (
            "walk",
            &too_long,
            StatusCode::UNPROCESSABLE_ENTITY,
            "A tag has at most 50 characters",
        ),
        (
            "walk",
            "a, b",
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot contain a comma",
        ),
        (
            "walk",
            "WALK",
            StatusCode::UNPROCESSABLE_ENTITY,
            "already called “walk”",
        ),
        (
            "swim",
            "sea",
            StatusCode::NOT_FOUND,
            "None of your entries carries the tag “swim”",
        ),
        ("", "sea", StatusCode::NOT_FOUND, "Pick a tag from the list"),
    ];
    for (from, to, status, message) in cases {
        let response = jane
            .rename(&[("from", from), ("to", to), ("confirm", "yes")])
            .await;
        assert_eq!(response.status(), status, "{from} → {to}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{from} → {to}: {html}");
        assert!(html.contains(r#"role="alert""#), "{from} → {to}: announced");
        assert!(
            html.contains("<h1>Tags</h1>"),
            "{from} → {to}: the tags page again"
        );
        assert_eq!(stored(&app, jane.user).await, before, "{from} → {to}");
    }

    for (from, to) in [("walk", "se\0a"), ("wa\0lk", "sea")] {
        let response = jane.rename(&[("from", from), ("to", to)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("NUL character"), "{html}");
        assert_eq!(stored(&app, jane.user).await, before, "{from:?} → {to:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn another_persons_tags_are_never_shown_nor_renamed() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    let john = Page::signed_up(&app, "john").await;
    journal(&app, jane.user, "Hers", &["garden"]).await;
    journal(&app, john.user, "His", &["secret plans", "garden"]).await;

    let html = jane.html("/tags", StatusCode::OK).await;
    assert!(!html.contains("secret plans"));
    assert!(
        html.contains("1 entry") && !html.contains("2 entries"),
        "only her count"
    );

    let refused = jane
        .rename(&[("from", "secret plans"), ("to", "mine")])
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let merged = jane
        .rename(&[("from", "garden"), ("to", "yard"), ("confirm", "yes")])
        .await;
    assert_eq!(merged.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app, john.user).await,
        pairs(&[("garden", 1), ("secret plans", 1)]),
        "his tags are his"
    );
    app.stop().await;
}

#[tokio::test]
async fn renaming_needs_the_forms_csrf_field_and_a_session() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    journal(&app, jane.user, "Walking", &["walk"]).await;

    let forged = jane
        .post("/tags/rename", &[("from", "walk"), ("to", "forged")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = jane
        .post(
            "/tags/rename",
            &[("csrf", "guess"), ("from", "walk"), ("to", "forged")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app, jane.user).await, pairs(&[("walk", 1)]));

    let stranger = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(app.url("/tags"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&stranger), "/signin?next=%2Ftags");
    app.stop().await;
}

#[tokio::test]
async fn the_tag_fields_are_marked_for_the_chip_editor_which_every_page_can_load() {
    let app = spawn_app().await;
    let mut jane = Page::signed_up(&app, "jane").await;
    let id = journal(&app, jane.user, "Tagged", &["family trip", "sea"]).await;

    let entry = jane.html(&format!("/entries/{id}"), StatusCode::OK).await;
    assert!(entry.contains(r#"name="tags" type="text" value="family trip, sea""#));
    assert!(entry.contains("data-tags"));
    assert!(entry.contains(r#"<a class="tag" href="/?tag=family+trip">family trip</a>"#));
    let new = jane.html("/new", StatusCode::OK).await;
    assert!(new.contains(r#"name="tags""#) && new.contains("data-tags"));

    let app_js = jane.html("/assets/app.js", StatusCode::OK).await;
    assert!(app_js.contains(r#"import("./tags.js")"#));
    let script = jane.get("/assets/tags.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let script = script.text().await.unwrap();
    for needle in [r#"role: "combobox""#, "aria-activedescendant", "Remove tag"] {
        assert!(script.contains(needle), "{needle}");
    }
    app.stop().await;
}
