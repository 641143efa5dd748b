//! The import page in a real browser (Chromium through chromedriver): a person picks a Day
//! One export with the file field, the import runs in the background while its page reloads
//! by itself, and ends with its counts and the skipped entries with their reasons; the
//! entries are then on the timeline. axe-core on the form and on the result, at a laptop's
//! and a phone's size, light and dark. Screenshots: `page-import-*.png`,
//! `page-import-done-*.png`.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;

use crate::browser_pages::{axe_script, check, check_path, open};
use crate::common::browser::{sign_up, wait_until, Browser};
use crate::common::{self, dayone};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_one_export_imported_from_the_page_shows_its_progress_and_result() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = dayone::realistic_export(dir.path());
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let page = &browser.client;
    sign_up(page, &app, "jane").await;

    let mut problems = check_path(page, &app, &axe, "import", "/import").await;

    open(page, &app, "/import").await;
    page.find(Locator::Id("export"))
        .await
        .unwrap()
        .send_keys(&zip.display().to_string())
        .await
        .unwrap();
    page.find(Locator::Css("form[action='/import'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The run's page reloads itself every two seconds until the import is done.
    let done = wait_until(
        page,
        "const h = document.getElementById('run-heading'); \
         return location.pathname.startsWith('/import/') && h && h.textContent.startsWith('Done') \
             ? [h.textContent, location.pathname, \
                [...document.querySelectorAll('.import-skipped li')].map((li) => li.textContent)] \
             : null",
        Duration::from_secs(120),
        "the import to finish",
    )
    .await;
    assert_eq!(
        done[0], "Done: 7 imported, 0 already imported, 3 skipped",
        "{done}"
    );
    let skipped: Vec<&str> = done[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("is missing from the export")),
        "each with its reason: {skipped:?}"
    );
    let run_path = done[1].as_str().unwrap().to_string();
    problems.extend(check(page, &axe, "import-done", || open(page, &app, &run_path)).await);

    // The entries are on the timeline, and the import page lists the run.
    open(page, &app, "/").await;
    let cards: Value = page
        .execute(
            "return document.querySelectorAll('.timeline-day ol.timeline > li').length",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        cards.as_u64().unwrap() >= 7,
        "the imported entries: {cards}"
    );
    open(page, &app, "/import").await;
    let listed: Value = page
        .execute(
            "return [...document.querySelectorAll('.import-runs li')].map((li) => li.textContent)",
            vec![],
        )
        .await
        .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0].as_str().unwrap().contains("Done: 7 imported"),
        "{listed:?}"
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
