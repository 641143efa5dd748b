//! Tags in a real browser (Chromium through chromedriver): the chip editor on an entry's
//! "Edit details" form, driven by the keyboard alone (Enter and a comma add a chip,
//! Backspace removes the last, the arrow keys pick one of the person's own tags from the
//! suggestions), saved and shown as chips; then the tags page renames one tag and merges
//! another, and the entry carries the new names. Both pages are checked for sideways
//! scrolling at phone width; screenshots `tags` and `entry-tags` go to `target/screenshots/`.

use std::time::Duration;

use crate::common::browser::{fill, screenshots, wait_until, Browser};
use crate::common::{self, media, TestApp};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

/// The chips of the editor, in order.
const CHIPS: &str = "return Array.from(document.querySelectorAll('.tag-editor .tag-chip > span')) \
                     .map(s => s.textContent)";

async fn chips(browser: &Client) -> Value {
    browser.execute(CHIPS, vec![]).await.unwrap()
}

/// Types into the box of the chip editor, which keeps the focus between calls.
async fn type_tags(browser: &Client, keys: &str) {
    browser
        .find(Locator::Id("tags-entry"))
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

/// Whether the page scrolls sideways at phone width (390×844); back to a laptop after.
async fn fits_a_phone(browser: &Client, what: &str) {
    browser.set_window_size(390, 844).await.unwrap();
    let fits = wait_until(
        browser,
        "return innerWidth <= 400 && [document.documentElement.scrollWidth, innerWidth]",
        Duration::from_secs(5),
        "the phone width",
    )
    .await;
    assert!(
        fits[0].as_f64().unwrap() <= fits[1].as_f64().unwrap(),
        "{what} scrolls sideways at 390 px: {fits}"
    );
    browser.set_window_size(1280, 800).await.unwrap();
}

async fn sign_in(browser: &Client, app: &TestApp, username: &str) {
    browser.goto(&app.url("/signin")).await.unwrap();
    fill(browser, "login", username).await;
    fill(browser, "password", &format!("password-of-{username}")).await;
    browser
        .find(Locator::Css("form[action='/signin'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        browser,
        "return location.pathname === '/'",
        Duration::from_secs(10),
        "the timeline after signing in",
    )
    .await;
}

/// Renames `from` to `to` with the row's own form on the tags page.
async fn rename_on_page(browser: &Client, from: &str, to: &str) {
    let row = format!("form.tag-rename:has(input[name=from][value='{from}'])");
    let field = browser
        .find(Locator::Css(&format!("{row} input[name=to]")))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(to).await.unwrap();
    browser
        .find(Locator::Css(&format!("{row} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_chips_typed_with_the_keyboard_picked_from_suggestions_and_renamed_on_the_tags_page(
) {
    let app = common::spawn_app().await;
    let jane = app.register("jane").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), media::Container::Mp4, 2);
    let entry = app
        .upload_journal(
            &jane.token,
            &video,
            &[("title", "Harbour at dawn"), ("tags", "sea")],
        )
        .await;
    let entry_path = format!("/entries/{}", entry["id"].as_str().unwrap());
    // Another entry, so that the suggestions have tags to offer.
    let other = app.insert_journal(&jane, "Sunday").await;
    let mut tx = weft::db::scoped::begin_for_user(&app.db.admin, jane.id.parse().unwrap())
        .await
        .unwrap();
    weft::db::tags::add(
        &mut tx,
        other.parse().unwrap(),
        &["family trip".to_string(), "walking".to_string()],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let browser = Browser::start(None).await;
    let b = &browser.client;
    sign_in(b, &app, "jane").await;

    // The new-entry page has the editor too; its form field follows the chips and the box.
    b.goto(&app.url("/new")).await.unwrap();
    wait_until(
        b,
        "return document.getElementById('tags-entry') !== null",
        Duration::from_secs(10),
        "the chip editor on the new-entry page",
    )
    .await;
    type_tags(b, "Morning, walk").await;
    let new_entry = b
        .execute(
            "return [document.getElementById('tags').value, \
                     document.getElementById('tags-entry').getAttribute('role')]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(new_entry, json!(["morning, walk", "combobox"]));
    assert_eq!(chips(b).await, json!(["morning"]));

    b.goto(&app.url(&entry_path)).await.unwrap();
    // The panel may be open already; either way it is open now.
    b.execute("document.getElementById('edit').open = true", vec![])
        .await
        .unwrap();
    wait_until(
        b,
        "return document.getElementById('tags-entry') !== null",
        Duration::from_secs(10),
        "the chip editor",
    )
    .await;
    assert_eq!(chips(b).await, json!(["sea"]));
    let labelled = b
        .execute(
            "const l = document.querySelector('label[for=tags-entry]'); \
             return [l && l.textContent, document.getElementById('tags').type]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        labelled,
        json!(["Tags", "hidden"]),
        "the label names the box"
    );

    // Enter and a comma add a chip; Backspace in the empty box removes the last.
    b.find(Locator::Id("tags-entry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_tags(b, "Harbour").await;
    type_tags(b, &Key::Enter).await;
    type_tags(b, "lighthouse,").await;
    assert_eq!(chips(b).await, json!(["sea", "harbour", "lighthouse"]));
    type_tags(b, &Key::Backspace).await;
    assert_eq!(chips(b).await, json!(["sea", "harbour"]));

    // Typing suggests her own tags; the arrow keys move through them, Enter picks one.
    type_tags(b, "fam").await;
    let listed = wait_until(
        b,
        "const box = document.getElementById('tags-entry'); \
         const list = document.getElementById(box.getAttribute('aria-controls')); \
         return box.getAttribute('aria-expanded') === 'true' && list.getAttribute('role') === 'listbox' \
             && Array.from(list.querySelectorAll('[role=option]')).map(o => o.textContent)",
        Duration::from_secs(5),
        "the suggestions",
    )
    .await;
    assert_eq!(listed, json!(["family trip"]));
    type_tags(b, &Key::Down).await;
    let active = b
        .execute(
            "const box = document.getElementById('tags-entry'); \
             const o = document.getElementById(box.getAttribute('aria-activedescendant')); \
             return [box.getAttribute('role'), o.getAttribute('aria-selected'), o.textContent]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(active, json!(["combobox", "true", "family trip"]));
    type_tags(b, &Key::Enter).await;
    assert_eq!(chips(b).await, json!(["sea", "harbour", "family trip"]));

    // A chip's remove button, by its name.
    b.find(Locator::Css("button[aria-label='Remove tag sea']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_tags(b, "wa").await;
    wait_until(
        b,
        "return document.getElementById('tags-entry').getAttribute('aria-expanded') === 'true'",
        Duration::from_secs(5),
        "the suggestions for “wa”",
    )
    .await;
    screenshots(b, "entry-tags").await;
    b.find(Locator::Id("tags-entry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_tags(b, &Key::Down).await;
    type_tags(b, &Key::Enter).await;
    assert_eq!(chips(b).await, json!(["harbour", "family trip", "walking"]));
    let field = b
        .execute("return document.getElementById('tags').value", vec![])
        .await
        .unwrap();
    assert_eq!(
        field,
        json!("harbour, family trip, walking"),
        "the form's field"
    );

    // Saved, the entry shows its tags as chips (no "#").
    b.find(Locator::Css("#edit button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        b,
        "return location.search === '?saved=1'",
        Duration::from_secs(10),
        "the saved entry",
    )
    .await;
    let shown =
        "return Array.from(document.querySelectorAll('.entry-head a.tag')).map(a => a.textContent)";
    assert_eq!(
        b.execute(shown, vec![]).await.unwrap(),
        json!(["family trip", "harbour", "walking"])
    );
    fits_a_phone(b, "the entry page").await;

    // The tags page: counts; rename one, merge another after the confirmation.
    b.goto(&app.url("/tags")).await.unwrap();
    let counts = b
        .execute(
            "return Array.from(document.querySelectorAll('.tag-row')).map(r => \
                 [r.querySelector('a.tag').textContent, r.querySelector('.tag-count').firstChild.textContent])",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        counts,
        json!([
            ["family trip", "2 entries"],
            ["walking", "2 entries"],
            ["harbour", "1 entry"]
        ])
    );
    fits_a_phone(b, "the tags page").await;
    screenshots(b, "tags").await;

    rename_on_page(b, "harbour", "Port").await;
    wait_until(
        b,
        "return location.search.includes('renamed=port') && document.querySelector('[role=status]').textContent",
        Duration::from_secs(10),
        "the renamed tag",
    )
    .await;
    rename_on_page(b, "walking", "family trip").await;
    let asked = wait_until(
        b,
        "return location.pathname === '/tags/rename' && document.querySelector('h1').textContent",
        Duration::from_secs(10),
        "the merge confirmation",
    )
    .await;
    assert_eq!(asked, json!("Merge “walking” into “family trip”?"));
    fits_a_phone(b, "the merge confirmation").await;
    b.find(Locator::Css(
        "form[action='/tags/rename'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_until(
        b,
        "return location.search.includes('merged=family+trip')",
        Duration::from_secs(10),
        "the merged tags",
    )
    .await;

    b.goto(&app.url(&entry_path)).await.unwrap();
    assert_eq!(
        b.execute(shown, vec![]).await.unwrap(),
        json!(["family trip", "port"]),
        "the entry carries the new names"
    );
    browser.close().await;
    app.stop().await;
}
