//! Every page of the web UI in a real browser (Debian's Chromium through chromedriver), at a
//! laptop's and a phone's size, in the light and the dark colour scheme: axe-core finds no
//! serious or critical accessibility problem, and nothing scrolls sideways on the phone.
//! Screenshots go to `target/screenshots/page-NAME-{laptop,phone}-{light,dark}.png`.
//!
//! To look at another page, add it to [`SIGNED_OUT`] or [`SIGNED_IN`].

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::browser::{click, prefer_dark, screenshot, sign_up, wait_until, Browser, SIZES};
use crate::common::media::{self, Container};
use crate::common::{self, TestApp};
use crate::web_pages::transcript;

/// Pages for a visitor who is not signed in: (name, path).
const SIGNED_OUT: &[(&str, &str)] = &[
    ("signin", "/signin"),
    ("signup", "/signup"),
    ("not-found", "/no-such-page"),
];

/// Pages for someone signed in with a few entries; `{entry}` is the entry with a transcript.
const SIGNED_IN: &[(&str, &str)] = &[
    ("timeline", "/"),
    ("timeline-tag", "/?tag=walk"),
    ("new", "/new"),
    ("entry", "/entries/{entry}"),
    ("search", "/search"),
    ("search-results", "/search?q=lighthouse"),
    ("search-nothing", "/search?q=zeppelin"),
    ("account", "/account"),
    ("tags", "/tags"),
    ("tags-by-name", "/tags?sort=name"),
    ("calendar", "/calendar"),
    ("error", "/?cursor=garbage"),
];

/// axe-core's script, where scripts/install-deps unpacks it.
pub(crate) fn axe_script() -> String {
    let path: PathBuf = common::tools_dir().join("axe-core/axe-core-4.14.1/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no axe-core at {} ({e}): run scripts/install-deps --test",
            path.display()
        )
    })
}

/// Runs axe-core on the page as it is; the serious and critical violations, one line each.
async fn serious_violations(browser: &Client, axe: &str) -> Vec<String> {
    browser.execute(axe, vec![]).await.expect("axe-core loads");
    let run = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document)
            .then((r) => done({ violations: r.violations, passed: r.passes.map((p) => p.id) }))
            .catch((e) => done({ error: String(e) }));
    "#;
    let answer = browser.execute_async(run, vec![]).await.expect("axe runs");
    let (Value::Array(violations), Value::Array(passed)) =
        (&answer["violations"], &answer["passed"])
    else {
        panic!("axe answered {answer}")
    };
    // The contrast rule really looked at the page's text (it can only pass if it ran).
    assert!(
        passed.contains(&json!("color-contrast")),
        "axe checked no contrast: {passed:?}"
    );
    violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| format!("{} ({})", n["target"], n["failureSummary"]))
                .collect();
            format!(
                "{} [{}] {}: {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                nodes.join("; ")
            )
        })
        .collect()
}

/// Looks at the current page, `reload` brings it back (a navigation or a step such as
/// choosing a file), at both sizes and in both schemes; every problem found, one line each.
pub(crate) async fn check<F, Fut>(browser: &Client, axe: &str, name: &str, reload: F) -> Vec<String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut problems = Vec::new();
    for (scheme, dark) in [("light", false), ("dark", true)] {
        prefer_dark(browser, dark).await;
        for (size, width, height) in SIZES {
            browser.set_window_size(width, height).await.unwrap();
            reload().await;
            let seen = browser
                .execute(
                    "return matchMedia('(prefers-color-scheme: dark)').matches",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(seen, json!(dark), "{name}: the {scheme} scheme is in force");
            let at = format!("{name} at {size} in {scheme}");
            for violation in serious_violations(browser, axe).await {
                problems.push(format!("{at}: {violation}"));
            }
            if size == "phone" {
                let widths = browser
                    .execute(
                        "return [document.documentElement.scrollWidth, window.innerWidth]",
                        vec![],
                    )
                    .await
                    .unwrap();
                let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
                if scroll > inner {
                    problems.push(format!("{at}: {scroll} px wide in a {inner} px window"));
                }
            }
            screenshot(browser, &format!("page-{name}-{size}-{scheme}.png")).await;
        }
    }
    problems
}

/// Opens `path` and waits for its scripts to have run.
pub(crate) async fn open(browser: &Client, app: &TestApp, path: &str) {
    browser.goto(&app.url(path)).await.unwrap();
    wait_until(
        browser,
        "return document.readyState === 'complete'",
        Duration::from_secs(10),
        path,
    )
    .await;
}

pub(crate) async fn check_path(
    browser: &Client,
    app: &TestApp,
    axe: &str,
    name: &str,
    path: &str,
) -> Vec<String> {
    check(browser, axe, name, || open(browser, app, path)).await
}

/// Three entries through the API, tagged; the first has a transcript. Its id.
async fn entries(app: &TestApp, dir: &std::path::Path, user: Uuid) -> Uuid {
    let login = app.login("jane", "password-of-jane").await;
    let body: Value = login.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let video = media::test_video(dir, Container::Mp4, 3);
    let mut ids = Vec::new();
    for (title, tags) in [
        ("A walk by the lighthouse", "walk, sea"),
        (
            "Notes on the work week, a long title that has to wrap on a phone",
            "work",
        ),
        ("Sunday", "walk, family"),
    ] {
        let journal = app
            .upload_journal(token, &video, &[("title", title), ("tags", tags)])
            .await;
        ids.push(journal["id"].as_str().unwrap().parse::<Uuid>().unwrap());
    }
    transcript(
        app,
        user,
        ids[0],
        &[
            (0.0, 1.2, "Good morning."),
            (1.2, 2.9, "The lighthouse keeper painted the door green."),
        ],
    )
    .await;
    ids[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_and_fits_a_phone_in_light_and_dark() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let client = &browser.client;
    let mut problems = Vec::new();

    for (name, path) in SIGNED_OUT {
        problems.extend(check_path(client, &app, &axe, name, path).await);
    }

    sign_up(client, &app, "jane").await;
    problems.extend(check_path(client, &app, &axe, "timeline-empty", "/").await);
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'jane'")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    let entry = entries(&app, dir.path(), user).await;
    for (name, path) in SIGNED_IN {
        let path = path.replace("{entry}", &entry.to_string());
        problems.extend(check_path(client, &app, &axe, name, &path).await);
    }

    // A reel saved as a video (`/reels/{id}`), made, then one that failed. A queued one's
    // page reloads itself every few seconds, which would cut axe's run short; it differs
    // only by its sentence.
    let render: Uuid = sqlx::query_scalar(
        "INSERT INTO reel_renders (user_id, q, mode, scope, sort, clips, state, journal_id, attempts, finished_at)
         VALUES ($1, 'lighthouse', 'words', 'all', 'best', $2, 'done', $3, 1, now()) RETURNING id",
    )
    .bind(user)
    .bind(sqlx::types::Json(json!([{ "journal": entry, "from": 0.0, "to": 4.0 }])))
    .bind(entry)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    let path = format!("/reels/{render}");
    problems.extend(check_path(client, &app, &axe, "reel-saved", &path).await);
    sqlx::query(
        "UPDATE reel_renders SET state = 'failed', journal_id = NULL, attempts = 3,
             last_error = 'ffmpeg did not finish within 160 s' WHERE id = $1",
    )
    .bind(render)
    .execute(&app.db.admin)
    .await
    .unwrap();
    problems.extend(check_path(client, &app, &axe, "reel-failed", &path).await);

    // The new-entry page once a file is chosen: the preview shows it with its length.
    let video = media::test_video(dir.path(), Container::WebM, 4);
    let choose = || async {
        open(client, &app, "/new").await;
        let input = client.find(Locator::Id("video-file")).await.unwrap();
        input.send_keys(&video.display().to_string()).await.unwrap();
        wait_until(
            client,
            "const c = document.getElementById('chosen'); return !c.hidden && c.textContent.includes('0:04')",
            Duration::from_secs(10),
            "the chosen file's name and length",
        )
        .await;
    };
    problems.extend(check(client, &axe, "new-chosen", choose).await);
    let ready = client
        .execute("return !document.getElementById('save').disabled", vec![])
        .await
        .unwrap();
    assert_eq!(ready, json!(true), "a chosen file can be saved");
    click(client, "record-instead").await;
    let back = client
        .execute(
            "return [document.getElementById('stage-empty').hidden, \
                     document.getElementById('chosen').hidden, \
                     document.getElementById('save').disabled]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        back,
        json!([false, true, true]),
        "back to the camera's step"
    );

    browser.close().await;
    app.stop().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// After signing out, Back must not show the private page that was open (its email): pages
/// are sent with `Cache-Control: no-store`, so the browser asks the server again, which
/// answers with the sign-in page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_after_signing_out_shows_nothing_private() {
    let app = common::spawn_app().await;
    let browser = Browser::start(None).await;
    let page = &browser.client;
    sign_up(page, &app, "carmen").await;
    open(page, &app, "/account").await;
    let email = "carmen@example.com";
    let shown: String = page
        .execute("return document.documentElement.outerHTML", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(shown.contains(email), "the account page holds the email");

    page.find(Locator::Css("form.nav-signout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        page,
        "return !location.pathname.startsWith('/account') && document.readyState === 'complete'",
        Duration::from_secs(10),
        "the page after signing out",
    )
    .await;
    page.back().await.unwrap();
    let after = wait_until(
        page,
        "return document.readyState === 'complete' \
         && [location.pathname, document.documentElement.outerHTML]",
        Duration::from_secs(10),
        "the page Back leads to",
    )
    .await;
    let (path, text) = (after[0].as_str().unwrap(), after[1].as_str().unwrap());
    assert!(
        !text.contains(email),
        "Back after signing out showed {path} with the email"
    );
    println!("Back after signing out shows {path}");
    browser.close().await;
    app.stop().await;
}
