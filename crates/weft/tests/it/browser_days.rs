//! The calendar and "On this day" in a real browser (Debian's Chromium): the account's time
//! zone filled from the browser and saved, the timeline opening with "On this day" and its
//! days, the calendar reached from the header and leading to a day's entries; each page at
//! 1280 and 390 px, light and dark, with no serious or critical axe-core violation and
//! nothing scrolling sideways on the phone. Screenshots go to
//! `target/screenshots/page-days-*.png`.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::browser_pages::{axe_script, check_path, open};
use crate::common::browser::{fill, sign_up, wait_until, Browser};
use crate::common::media::{self, Container};
use crate::common::{self, TestApp};

/// Moves journal `id` to noon of today's date `years` years back, in `zone`.
async fn years_back(app: &TestApp, user: Uuid, id: &str, years: i32, zone: &str) {
    let mut tx = weft::db::scoped::begin_for_user(&app.db.admin, user)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE journals SET created_at =
             (((now() AT TIME ZONE $3)::date - make_interval(years => $2))::date + time '12:00')
             AT TIME ZONE $3
         WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(years)
    .bind(zone)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_and_on_this_day_work_in_a_browser_and_pass_axe_at_both_sizes() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let page = &browser.client;
    sign_up(page, &app, "jane").await;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'jane'")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();

    // The account page fills the time zone in from the browser; saving it is the person's.
    open(page, &app, "/account").await;
    let filled = page
        .execute(
            "return [document.getElementById('time-zone').value, \
                     Intl.DateTimeFormat().resolvedOptions().timeZone, \
                     document.getElementById('time-zone-browser').hidden]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(filled[0], filled[1], "the browser's zone: {filled}");
    assert_eq!(
        filled[2],
        json!(false),
        "and the page says where it came from"
    );
    fill(page, "time-zone", "Asia/Tokyo").await;
    page.find(Locator::Css(
        "form[action='/account/time-zone'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_until(
        page,
        "return location.search === '?done=time-zone' && document.readyState === 'complete'",
        Duration::from_secs(10),
        "the account page after saving the zone",
    )
    .await;

    // Three entries with real thumbnails: today, and today's date one and three years ago.
    let login = app.login("jane", "password-of-jane").await;
    let body: Value = login.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 2);
    let mut ids = Vec::new();
    for title in [
        "Today by the harbour",
        "A year ago at the lighthouse, a title long enough to wrap",
        "Three years ago",
    ] {
        let journal = app.upload_journal(token, &video, &[("title", title)]).await;
        ids.push(journal["id"].as_str().unwrap().to_string());
    }
    // Tokyo keeps no summer time: its date is UTC's nine hours on.
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let (near, far) = common::years_shown_on(today);
    years_back(&app, user, &ids[1], near, "Asia/Tokyo").await;
    years_back(&app, user, &ids[2], far, "Asia/Tokyo").await;

    open(page, &app, "/").await;
    let strip = page
        .execute(
            "const s = document.querySelector('.on-this-day'); \
             return s && [s.innerText, s.querySelectorAll('img').length]",
            vec![],
        )
        .await
        .unwrap();
    let text = strip[0].as_str().expect("an On this day strip");
    assert!(
        text.contains(&common::years_ago(near)) && text.contains(&common::years_ago(far)),
        "{text}"
    );
    assert_eq!(strip[1], json!(2), "a thumbnail each");
    let days = page
        .execute(
            "return [...document.querySelectorAll('.timeline-day h3')].map((h) => h.textContent)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(days.as_array().unwrap().len(), 3, "three days: {days}");
    // The cards' times follow the account's zone, as the days do, and name it, since the
    // browser's is another.
    assert_ne!(filled[1], json!("Asia/Tokyo"));
    let shown = page
        .execute(
            "return [...document.querySelectorAll('.timeline-day time[data-local]')].map((t) => t.textContent)",
            vec![],
        )
        .await
        .unwrap();
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(
        shown.iter().all(|t| t.as_str().unwrap().contains("GMT+9")),
        "in Tokyo's time: {shown:?}"
    );

    // The header leads to the calendar; a marked day leads to its entries.
    click_css(page, "a.nav-calendar").await;
    wait_until(
        page,
        "return location.pathname === '/calendar' && document.querySelector('table.calendar caption')",
        Duration::from_secs(10),
        "the calendar",
    )
    .await;
    let marked = page
        .execute(
            "return [...document.querySelectorAll('a.cal-day')].map((a) => a.getAttribute('href'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(marked.as_array().unwrap().len(), 1, "today: {marked}");
    click_css(page, "a.cal-day").await;
    wait_until(
        page,
        "return location.search.startsWith('?day=') \
            && document.body.innerText.includes('Today by the harbour')",
        Duration::from_secs(10),
        "the day's entries",
    )
    .await;

    let three_years_ago: String = sqlx::query_scalar(
        "SELECT to_char(created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') FROM journals WHERE id = $1::uuid",
    )
    .bind(&ids[2])
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    let mut problems = Vec::new();
    for (name, path) in [
        ("days-timeline", "/".to_string()),
        ("days-calendar", "/calendar".to_string()),
        (
            "days-calendar-earlier",
            format!("/calendar?month={three_years_ago}"),
        ),
        ("days-account", "/account".to_string()),
    ] {
        problems.extend(check_path(page, &app, &axe, name, &path).await);
    }
    browser.close().await;
    app.stop().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

async fn click_css(page: &fantoccini::Client, css: &str) {
    page.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}
