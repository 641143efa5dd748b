//! Days in the user's time zone on the pages, as a browser without JavaScript sees them:
//! the timeline grouped by day (and again after a change of zone), a day split across two
//! pages, its day and month filters and jumps, "On this day" on the timeline, the calendar
//! page and the account's time zone field.

use chrono::{Datelike, NaiveDate, Utc};
use reqwest::StatusCode;
use weft::db::scoped::begin_for_user;

use crate::common::forms::NoScript;
use crate::common::{self, spawn_app};
use crate::days::entry_at;

/// The day headings of a timeline page, in order.
fn day_headings(html: &str) -> Vec<String> {
    html.split("<h3 id=\"day-")
        .skip(1)
        .map(|part| {
            let text = &part[part.find('>').unwrap() + 1..part.find("</h3>").unwrap()];
            text.replace("<span class=\"continued\">", "")
                .replace("</span>", "")
        })
        .collect()
}

#[tokio::test]
async fn the_timeline_is_grouped_by_day_in_the_user_s_zone_and_follows_a_change_of_zone() {
    let app = spawn_app().await;
    let (mut browser, user) = NoScript::signed_up(&app, "ana").await;
    // Tokyo: 3 December 00:30, 3 December 23:00, 4 December 01:00; UTC: 2, 3, 3 December.
    entry_at(&app, user, "Early", "2026-12-02T15:30:00Z", "video").await;
    entry_at(&app, user, "Late", "2026-12-03T14:00:00Z", "video").await;
    entry_at(&app, user, "Next day", "2026-12-03T16:00:00Z", "video").await;
    entry_at(&app, user, "November", "2026-11-20T12:00:00Z", "video").await;

    let html = browser.page("/", StatusCode::OK).await;
    assert_eq!(
        day_headings(&html),
        [
            "Thursday 3 December 2026",
            "Wednesday 2 December 2026",
            "Friday 20 November 2026"
        ]
    );
    assert!(
        html.contains(r#"<h2 id="month-2026-12">December 2026</h2>"#),
        "{html}"
    );
    assert!(html.contains(r#"<h2 id="month-2026-11">November 2026</h2>"#));

    // The API's timeline page is cached by version; a change of zone moves the version on.
    let version = || async {
        sqlx::query_scalar::<_, i64>("SELECT version FROM timeline_versions WHERE user_id = $1")
            .bind(user)
            .fetch_one(&app.db.admin)
            .await
            .unwrap()
    };
    let before = version().await;
    let saved = browser
        .submit("/account/time-zone", &[("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(version().await > before, "the timeline version moved on");
    let html = browser.page("/", StatusCode::OK).await;
    assert_eq!(
        day_headings(&html),
        [
            "Friday 4 December 2026",
            "Thursday 3 December 2026",
            "Friday 20 November 2026"
        ]
    );
    // Two entries under the 3rd.
    let third = html.split("id=\"day-2026-12-03\"").nth(1).unwrap();
    let third = third.split("<h3").next().unwrap();
    assert!(third.contains("Early") && third.contains("Late"), "{third}");

    // A day's entries, and the timeline from the end of a month back.
    let html = browser.page("/?day=2026-12-03", StatusCode::OK).await;
    assert_eq!(day_headings(&html), ["Thursday 3 December 2026"]);
    assert!(html.contains("Entries of Thursday 3 December 2026"));
    let html = browser.page("/?month=2026-11", StatusCode::OK).await;
    assert_eq!(day_headings(&html), ["Friday 20 November 2026"]);
    assert!(html.contains("From November 2026 back"));
    // The months that have entries are links.
    let html = browser.page("/", StatusCode::OK).await;
    assert!(
        html.contains(r#"href="/?month=2026-12""#) && html.contains(r#"href="/?month=2026-11""#)
    );

    for bad in ["/?day=2026-02-30", "/?month=2026-13", "/?month=2026-13-01"] {
        let html = browser.page(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(html.contains("Give the"), "{bad}: {html}");
    }
    let nul = browser.get("/?day=2026-12-0%00").await;
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn a_day_split_across_two_pages_repeats_its_heading_as_continued() {
    let app = spawn_app().await;
    let (mut browser, user) = NoScript::signed_up(&app, "ana").await;
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    // 30 entries on 3 December 2026 (UTC), a minute apart; a page holds 24.
    sqlx::query(
        "INSERT INTO journals (user_id, title, video_path, duration, created_at)
         SELECT $1, 'minute ' || n, 'videos/none.mp4', 5,
                timestamptz '2026-12-03 10:00Z' + n * interval '1 minute'
         FROM generate_series(1, 30) AS n",
    )
    .bind(user)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let first = browser.page("/", StatusCode::OK).await;
    assert_eq!(day_headings(&first), ["Thursday 3 December 2026"]);
    let next = first
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let second = browser.page(&next, StatusCode::OK).await;
    assert_eq!(
        day_headings(&second),
        ["Thursday 3 December 2026 (continued)"]
    );
    assert!(second.contains("December 2026<span class=\"continued\"> (continued)</span>"));
    assert_eq!(second.matches("class=\"entry-card\"").count(), 6);
    app.stop().await;
}

#[tokio::test]
async fn the_timeline_opens_with_on_this_day_when_earlier_years_have_entries() {
    let app = spawn_app().await;
    let (mut browser, user) = NoScript::signed_up(&app, "ana").await;
    let html = browser.page("/", StatusCode::OK).await;
    assert!(!html.contains("On this day"), "nothing to show, no strip");

    let today = Utc::now().date_naive();
    let back = |years: i32| {
        NaiveDate::from_ymd_opt(today.year() - years, today.month(), today.day())
            .unwrap_or(today)
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339()
    };
    let (near, far) = common::years_shown_on(today);
    entry_at(&app, user, "A year before", &back(near), "video").await;
    entry_at(&app, user, "Three years before", &back(far), "none").await;
    let html = browser.page("/", StatusCode::OK).await;
    let strip = html
        .split("<section class=\"on-this-day\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the On this day strip");
    assert!(
        strip.contains(&common::years_ago(near)) && strip.contains("A year before"),
        "{strip}"
    );
    assert!(strip.contains(&common::years_ago(far)) && strip.contains("Three years before"));
    assert_eq!(
        strip.matches("<img").count(),
        1,
        "a thumbnail only for the video"
    );
    // Only on the first page, unfiltered.
    let html = browser.page("/?tag=walk", StatusCode::OK).await;
    assert!(!html.contains("class=\"on-this-day\""));
    app.stop().await;
}

#[tokio::test]
async fn the_calendar_page_is_a_table_of_the_month_that_links_each_day() {
    let app = spawn_app().await;
    let (mut browser, user) = NoScript::signed_up(&app, "ana").await;
    let video = entry_at(&app, user, "One", "2026-12-03T10:00:00Z", "video").await;
    entry_at(&app, user, "Two", "2026-12-03T11:00:00Z", "none").await;
    entry_at(&app, user, "Other month", "2026-11-03T11:00:00Z", "video").await;

    let html = browser
        .page("/calendar?month=2026-12", StatusCode::OK)
        .await;
    assert!(html.contains("<caption>December 2026</caption>"), "{html}");
    assert_eq!(html.matches("<th scope=\"col\">").count(), 7);
    assert!(html.contains("<span class=\"visually-hidden\">Monday</span>"));
    assert!(html.contains(r#"<a class="cal-day" href="/?day=2026-12-03">"#));
    assert!(html.contains(&format!("/api/v1/journals/{video}/thumbnail")));
    assert!(html
        .contains("2<span class=\"visually-hidden\"> entries on Thursday 3 December 2026</span>"));
    assert_eq!(html.matches("class=\"cal-day\"").count(), 1);
    assert!(html.contains("2 entries in December 2026"));
    for link in ["2026-11", "2027-01", "2025-12", "2027-12"] {
        assert!(
            html.contains(&format!("href=\"/calendar?month={link}\"")),
            "{link}"
        );
    }
    assert!(
        html.contains(r#"href="/calendar" aria-current="page""#),
        "in the header"
    );

    // The day's link leads to its entries.
    let day = browser.page("/?day=2026-12-03", StatusCode::OK).await;
    assert!(day.contains("One") && day.contains("Two") && !day.contains("Other month"));
    // No month: this month; an empty form field is the same.
    let html = browser.page("/calendar?month=", StatusCode::OK).await;
    assert!(html.contains("<caption>"));
    let html = browser
        .page("/calendar?month=2026-13", StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    assert!(
        html.contains("There is no month 13. Give the month"),
        "{html}"
    );
    let nul = browser.get("/calendar?month=2026-1%00").await;
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn the_account_page_sets_the_time_zone_from_a_list_and_explains_a_wrong_one() {
    let app = spawn_app().await;
    let (mut browser, _) = NoScript::signed_up(&app, "ana").await;
    let html = browser.page("/account", StatusCode::OK).await;
    assert!(
        html.contains(r#"<input id="time-zone" name="time_zone" type="text" list="time-zones""#),
        "{html}"
    );
    assert!(html.contains(r#"<option value="Asia/Tokyo"></option>"#));
    assert!(!html.contains(r#"<option value="posix/"#));

    let refused = browser
        .submit("/account/time-zone", &[("time_zone", "Mars/Base\0")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("NUL character"));
    let refused = browser
        .submit("/account/time-zone", &[("time_zone", "Mars/Base;")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("That is not the name of a time zone."),
        "{html}"
    );
    let refused = browser
        .submit("/account/time-zone", &[("time_zone", "Mars/Base")])
        .await;
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Weft knows no time zone called Mars/Base."),
        "{html}"
    );

    let saved = browser
        .submit(
            "/account/time-zone",
            &[("time_zone", "America/Los_Angeles")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let html = browser
        .page("/account?done=time-zone", StatusCode::OK)
        .await;
    assert!(html.contains(r#"value="America/Los_Angeles""#));
    assert!(html.contains("Days on your timeline and calendar follow this time zone."));
    let html = browser.page("/calendar", StatusCode::OK).await;
    assert!(html.contains("Days follow your time zone, America/Los_Angeles."));
    app.stop().await;
}
