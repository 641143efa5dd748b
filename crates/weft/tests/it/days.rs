//! Days in the user's time zone, in the API: the time zone setting, "On this day" and the
//! calendar (at year and month boundaries, in Asia/Tokyo and America/Los_Angeles, on 29
//! February, at midnight exactly, never counting another user's entries), and the plans of
//! their statements for a user with 10,000 entries. The pages are `web_days.rs`.

use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use weft::db::scoped::begin_for_user;

use crate::common::forms::NoScript;
use crate::common::{spawn_app, Account, TestApp};

/// A journal of `user`'s created at `at` (RFC 3339), written straight to the database;
/// `media` is `video` (a thumbnail) or `none` (notes only).
pub(crate) async fn entry_at(
    app: &TestApp,
    user: Uuid,
    title: &str,
    at: &str,
    media: &str,
) -> Uuid {
    let mut tx = begin_for_user(&app.db.admin, user).await.unwrap();
    let path = if media == "none" {
        ""
    } else {
        "videos/none.mp4"
    };
    let id = sqlx::query_scalar(
        "INSERT INTO journals (user_id, title, video_path, duration, media, created_at)
         VALUES ($1, $2, $3, 5, $4, $5::timestamptz) RETURNING id",
    )
    .bind(user)
    .bind(title)
    .bind(path)
    .bind(media)
    .bind(at)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn user_id(account: &Account) -> Uuid {
    account.id.parse().unwrap()
}

/// Sets the account's time zone through the API; the answer's body.
async fn set_zone(app: &TestApp, account: &Account, zone: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url("/api/v1/me/settings"))
        .bearer_auth(&account.token)
        .json(&json!({ "timeZone": zone }))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn get_json(app: &TestApp, account: &Account, path: &str) -> (StatusCode, Value) {
    let response = app.get_as(&account.token, path).await;
    (response.status(), response.json().await.unwrap())
}

/// The (title, yearsAgo) of an "On this day" answer, in its order.
async fn on_this_day(app: &TestApp, account: &Account, date: &str) -> Vec<(String, i64)> {
    let path = format!("/api/v1/journals/on-this-day?date={date}");
    let (status, body) = get_json(app, account, &path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(body["date"], date);
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_string(),
                i["yearsAgo"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The (date, count) of a calendar answer.
async fn calendar(app: &TestApp, account: &Account, month: &str) -> Vec<(String, i64)> {
    let (status, body) = get_json(app, account, &format!("/api/v1/calendar?month={month}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["month"], month);
    body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

/// A refusal: 422 on `field`, with a sentence that says what to do (NUL is refused at the
/// edge for every field alike, `invalid_text`).
fn assert_refused(status: StatusCode, body: &Value, field: &str, what: &str) {
    assert_eq!(status, 422, "{what}: {body}");
    assert_eq!(body["error"]["field"], field, "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    if what.contains('\0') || what.contains("%00") {
        assert_eq!(body["error"]["code"], "invalid_text", "{what}: {body}");
        assert!(message.contains("NUL"), "{what}: {message}");
        return;
    }
    assert_eq!(body["error"]["code"], "invalid_field", "{what}: {body}");
    assert!(
        message.starts_with(char::is_uppercase) && message.ends_with('.'),
        "{what}: a sentence: {message}"
    );
    assert!(!message.contains('\0'), "{what}: no NUL echoed");
}

#[tokio::test]
async fn the_time_zone_is_a_setting_checked_against_the_names_postgresql_knows() {
    let app = spawn_app().await;
    let eva = app.register("eva").await;
    let (_, settings) = get_json(&app, &eva, "/api/v1/me/settings").await;
    assert_eq!(
        settings,
        json!({ "transcriptionLanguage": null, "timeZone": null })
    );
    let (_, me) = get_json(&app, &eva, "/api/v1/me").await;
    assert_eq!(me["timeZone"], Value::Null);
    assert_eq!(me["username"], "eva");

    // Stored as PostgreSQL spells it.
    let (status, body) = set_zone(&app, &eva, " asia/tokyo ").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["timeZone"], "Asia/Tokyo");
    let (_, me) = get_json(&app, &eva, "/api/v1/me").await;
    assert_eq!(me["timeZone"], "Asia/Tokyo");

    for bad in [
        "Mars/Olympus_Mons",
        "PST",
        "posix/Asia/Tokyo",
        "Asia/To\0kyo",
        "../../etc/passwd",
        "Asia/Tokyo; DROP TABLE users",
        &"A".repeat(65),
    ] {
        let (status, body) = set_zone(&app, &eva, bad).await;
        assert_refused(status, &body, "timeZone", bad);
    }
    // A refused request changes nothing, not even the setting beside it.
    let response = app
        .client
        .put(app.url("/api/v1/me/settings"))
        .bearer_auth(&eva.token)
        .json(&json!({ "transcriptionLanguage": "es", "timeZone": "Nowhere/Land" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let (_, settings) = get_json(&app, &eva, "/api/v1/me/settings").await;
    assert_eq!(
        settings,
        json!({ "transcriptionLanguage": null, "timeZone": "Asia/Tokyo" })
    );

    // Empty is UTC again.
    let (status, body) = set_zone(&app, &eva, "").await;
    assert_eq!((status, &body["timeZone"]), (StatusCode::OK, &Value::Null));
    app.stop().await;
}

#[tokio::test]
async fn on_this_day_is_the_same_day_of_earlier_years_in_the_user_s_zone() {
    let app = spawn_app().await;
    let (ana, bob) = (app.register("ana").await, app.register("bob").await);
    let user = user_id(&ana);
    // 00:30 on 3 December in Tokyo, 07:30 on 2 December in Los Angeles.
    entry_at(
        &app,
        user,
        "Tokyo just after midnight",
        "2025-12-02T15:30:00Z",
        "video",
    )
    .await;
    // A second before midnight in Tokyo, still the 3rd; 06:59:59 on the 3rd in LA.
    entry_at(&app, user, "Last second", "2023-12-03T14:59:59Z", "video").await;
    // Midnight exactly in Tokyo: the 4th begins. 07:00 on the 3rd in LA.
    entry_at(&app, user, "Midnight", "2023-12-03T15:00:00Z", "video").await;
    // This year: not an earlier year.
    entry_at(&app, user, "This year", "2026-12-03T03:00:00Z", "video").await;
    // Another user's entry on the same day is never shown.
    entry_at(
        &app,
        user_id(&bob),
        "Bob's",
        "2025-12-03T03:00:00Z",
        "video",
    )
    .await;

    set_zone(&app, &ana, "Asia/Tokyo").await;
    assert_eq!(
        on_this_day(&app, &ana, "2026-12-03").await,
        pairs(&[("Tokyo just after midnight", 1), ("Last second", 3)])
    );
    assert_eq!(
        on_this_day(&app, &ana, "2026-12-04").await,
        pairs(&[("Midnight", 3)])
    );

    set_zone(&app, &ana, "America/Los_Angeles").await;
    assert_eq!(
        on_this_day(&app, &ana, "2026-12-03").await,
        pairs(&[("Midnight", 3), ("Last second", 3)])
    );
    assert_eq!(
        on_this_day(&app, &ana, "2026-12-02").await,
        pairs(&[("Tokyo just after midnight", 1)])
    );
    // Bob sees only his own.
    assert_eq!(
        on_this_day(&app, &bob, "2026-12-03").await,
        pairs(&[("Bob's", 1)])
    );

    // Without a date: today in the user's zone.
    let (_, body) = get_json(&app, &ana, "/api/v1/journals/on-this-day").await;
    assert_eq!(body["timeZone"], "America/Los_Angeles");
    let today: String = sqlx::query_scalar(
        "SELECT to_char(now() AT TIME ZONE 'America/Los_Angeles', 'YYYY-MM-DD')",
    )
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(body["date"], today.as_str());
    app.stop().await;
}

#[tokio::test]
async fn a_new_year_s_eve_entry_belongs_to_the_year_of_the_user_s_zone() {
    let app = spawn_app().await;
    let ana = app.register("ana").await;
    let user = user_id(&ana);
    // 23:30 UTC on 31 December: 08:30 on 1 January in Tokyo, 15:30 on the 31st in LA.
    entry_at(&app, user, "New Year", "2025-12-31T23:30:00Z", "video").await;

    set_zone(&app, &ana, "Asia/Tokyo").await;
    assert_eq!(
        calendar(&app, &ana, "2026-01").await,
        pairs(&[("2026-01-01", 1)])
    );
    assert!(calendar(&app, &ana, "2025-12").await.is_empty());
    assert!(
        on_this_day(&app, &ana, "2026-01-01").await.is_empty(),
        "the same year"
    );
    assert_eq!(
        on_this_day(&app, &ana, "2027-01-01").await,
        pairs(&[("New Year", 1)])
    );
    assert!(on_this_day(&app, &ana, "2026-12-31").await.is_empty());

    set_zone(&app, &ana, "America/Los_Angeles").await;
    assert!(calendar(&app, &ana, "2026-01").await.is_empty());
    assert_eq!(
        calendar(&app, &ana, "2025-12").await,
        pairs(&[("2025-12-31", 1)])
    );
    assert_eq!(
        on_this_day(&app, &ana, "2026-12-31").await,
        pairs(&[("New Year", 1)])
    );
    app.stop().await;
}

#[tokio::test]
async fn the_29th_of_february_is_shown_on_the_28th_in_years_without_one() {
    let app = spawn_app().await;
    let ana = app.register("ana").await;
    let user = user_id(&ana);
    entry_at(&app, user, "Leap day", "2024-02-29T12:00:00Z", "video").await;
    entry_at(&app, user, "28th 2024", "2024-02-28T12:00:00Z", "video").await;
    entry_at(&app, user, "28th 2023", "2023-02-28T12:00:00Z", "video").await;
    entry_at(&app, user, "1 March", "2024-03-01T00:00:00Z", "video").await;

    assert_eq!(
        on_this_day(&app, &ana, "2025-02-28").await,
        pairs(&[("Leap day", 1), ("28th 2024", 1), ("28th 2023", 2)])
    );
    assert_eq!(
        on_this_day(&app, &ana, "2025-03-01").await,
        pairs(&[("1 March", 1)])
    );
    // A leap year's 28th is one day; its 29th shows only earlier 29ths.
    assert_eq!(
        on_this_day(&app, &ana, "2028-02-28").await,
        pairs(&[("28th 2024", 4), ("28th 2023", 5)])
    );
    assert_eq!(
        on_this_day(&app, &ana, "2028-02-29").await,
        pairs(&[("Leap day", 4)])
    );
    assert_eq!(
        calendar(&app, &ana, "2024-02").await,
        pairs(&[("2024-02-28", 1), ("2024-02-29", 1)])
    );
    app.stop().await;
}

#[tokio::test]
async fn the_calendar_counts_a_month_s_days_in_the_user_s_zone_and_names_a_thumbnail() {
    let app = spawn_app().await;
    let (ana, bob) = (app.register("ana").await, app.register("bob").await);
    let user = user_id(&ana);
    // Tokyo: 1 December 05:00; LA: 30 November 12:00.
    let notes = entry_at(&app, user, "Notes", "2026-11-30T20:00:00Z", "none").await;
    // Tokyo: 1 December 12:00; LA: 30 November 19:00.
    let video = entry_at(&app, user, "Video", "2026-12-01T03:00:00Z", "video").await;
    // Tokyo: 21:00 and 22:00 on the 15th; LA: 04:00 and 05:00 on the 15th.
    entry_at(&app, user, "Mid 1", "2026-12-15T12:00:00Z", "video").await;
    entry_at(&app, user, "Mid 2", "2026-12-15T13:00:00Z", "video").await;
    // Tokyo: 1 January 01:00; LA: 31 December 08:00.
    entry_at(&app, user, "Late", "2026-12-31T16:00:00Z", "video").await;
    entry_at(
        &app,
        user_id(&bob),
        "Bob's",
        "2026-12-15T12:00:00Z",
        "video",
    )
    .await;

    set_zone(&app, &ana, "Asia/Tokyo").await;
    assert_eq!(
        calendar(&app, &ana, "2026-12").await,
        pairs(&[("2026-12-01", 2), ("2026-12-15", 2)])
    );
    let (_, body) = get_json(&app, &ana, "/api/v1/calendar?month=2026-12").await;
    assert_eq!(body["timeZone"], "Asia/Tokyo");
    let first = &body["days"][0];
    assert_eq!(first["firstJournalId"], notes.to_string(), "the earliest");
    assert_eq!(
        first["thumbnailJournalId"],
        video.to_string(),
        "the first with a video"
    );
    assert_eq!(
        calendar(&app, &ana, "2027-01").await,
        pairs(&[("2027-01-01", 1)])
    );

    set_zone(&app, &ana, "America/Los_Angeles").await;
    assert_eq!(
        calendar(&app, &ana, "2026-12").await,
        pairs(&[("2026-12-15", 2), ("2026-12-31", 1)])
    );
    let (_, body) = get_json(&app, &ana, "/api/v1/calendar?month=2026-11").await;
    assert_eq!(body["days"][0]["date"], "2026-11-30");
    assert_eq!(body["days"][0]["count"], 2);
    assert_eq!(body["days"][0]["thumbnailJournalId"], video.to_string());
    assert_eq!(
        calendar(&app, &bob, "2026-12").await,
        pairs(&[("2026-12-15", 1)])
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_dates_and_months_are_refused_with_a_sentence() {
    let app = spawn_app().await;
    let ana = app.register("ana").await;
    for bad in [
        "",
        "2024-13-01",
        "2024-02-30",
        "2023-02-29",
        "2024-02-2%00",
        "%00",
        "yesterday",
        "2024-2-1",
        "0000-01-01",
    ] {
        let path = format!("/api/v1/journals/on-this-day?date={bad}");
        let (status, body) = get_json(&app, &ana, &path).await;
        assert_refused(status, &body, "date", bad);
    }
    for bad in [
        "",
        "2024-13",
        "2024-00",
        "2024-1",
        "2024-01-01",
        "2024-0%00",
        "december",
    ] {
        let path = format!("/api/v1/calendar?month={bad}");
        let (status, body) = get_json(&app, &ana, &path).await;
        assert_refused(status, &body, "month", bad);
    }
    let unauthorized = app
        .client
        .get(app.url("/api/v1/calendar"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    app.stop().await;
}

/// The plans of the two statements, as db/days.rs writes them, for a user with 10,000
/// entries over ten years among another user's 10,000: each reads journals_user_id_idx in
/// ranges, never the whole table or all the user's entries; the answers are timed.
#[tokio::test]
async fn on_this_day_and_the_calendar_read_index_ranges_for_a_user_with_10000_entries() {
    let app = spawn_app().await;
    let (ana, bob) = (app.register("ana").await, app.register("bob").await);
    for account in [&ana, &bob] {
        let mut tx = begin_for_user(&app.db.admin, user_id(account))
            .await
            .unwrap();
        // One entry every 8 hours 45 minutes, back from 1 December 2026: ten years.
        sqlx::query(
            "INSERT INTO journals (user_id, title, video_path, duration, created_at)
             SELECT $1, 'entry ' || n, 'videos/none.mp4', 5,
                    timestamptz '2026-12-01 00:00Z' - n * interval '8 hours 45 minutes'
             FROM generate_series(1, 10000) AS n",
        )
        .bind(user_id(account))
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    sqlx::query("ANALYZE journals")
        .execute(&app.db.admin)
        .await
        .unwrap();
    set_zone(&app, &ana, "Asia/Tokyo").await;

    let started = Instant::now();
    let found = on_this_day(&app, &ana, "2026-11-20").await;
    let on_this_day_time = started.elapsed();
    assert!(
        found.len() >= 18,
        "two or three a day for nine years: {}",
        found.len()
    );
    assert!(found.iter().all(|(_, ago)| (1..=10).contains(ago)));
    let started = Instant::now();
    let days = calendar(&app, &ana, "2025-06").await;
    let calendar_time = started.elapsed();
    assert_eq!(days.len(), 30);
    let entries: i64 = days.iter().map(|d| d.1).sum();
    assert!(
        (82..=83).contains(&entries),
        "720 hours at one entry in 8.75: {entries}"
    );
    // The timeline page, with On this day and the months to jump to (120 of them).
    let mut browser = NoScript::new(&app);
    let signed_in = browser
        .post(
            "/signin",
            &[("login", "ana"), ("password", "password-of-ana")],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let started = Instant::now();
    let html = browser.page("/", StatusCode::OK).await;
    let timeline_time = started.elapsed();
    let months = html.matches("href=\"/?month=").count();
    assert!(
        (120..=121).contains(&months),
        "ten years of months: {months}"
    );
    println!(
        "on this day: {on_this_day_time:?}; calendar: {calendar_time:?}; \
         timeline page: {timeline_time:?}"
    );

    let mut tx = begin_for_user(&app.db.admin, user_id(&ana)).await.unwrap();
    let plans = [
        (
            "on this day",
            "EXPLAIN (ANALYZE, BUFFERS) SELECT j.id, r.years_ago, j.media = 'video'
             FROM unnest($2::date[], $3::date[], $4::int[]) AS r(first, stop, years_ago)
             CROSS JOIN LATERAL (
                 SELECT j.id, j.media, j.created_at FROM journals j
                 WHERE j.user_id = $1
                   AND j.created_at >= (r.first::timestamp AT TIME ZONE $5)
                   AND j.created_at < (r.stop::timestamp AT TIME ZONE $5)
                 ORDER BY j.created_at DESC, j.id DESC LIMIT 50
             ) j
             ORDER BY j.created_at DESC, j.id DESC LIMIT 50",
        ),
        (
            "calendar",
            "EXPLAIN (ANALYZE, BUFFERS) SELECT (j.created_at AT TIME ZONE $5)::date, count(*),
                    (array_agg(j.id ORDER BY j.created_at, j.id))[1],
                    (array_agg(j.id ORDER BY j.created_at, j.id)
                         FILTER (WHERE j.media = 'video'))[1]
             FROM journals j
             WHERE j.user_id = $1
               AND j.created_at >= ($2::date[])[1]::timestamp AT TIME ZONE $5
               AND j.created_at < ($3::date[])[1]::timestamp AT TIME ZONE $5
               AND cardinality($4::int[]) > 0
             GROUP BY 1 ORDER BY 1",
        ),
    ];
    let firsts: Vec<NaiveDate> = (2017..2026)
        .rev()
        .map(|y| NaiveDate::from_ymd_opt(y, 11, 20).unwrap())
        .collect();
    let ends: Vec<NaiveDate> = firsts.iter().map(|d| d.succ_opt().unwrap()).collect();
    let years: Vec<i32> = firsts.iter().map(|d| 2026 - d.year()).collect();
    let (june, july) = (
        vec![NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()],
        vec![NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()],
    );
    for (name, sql) in plans {
        let (first, stop) = if name == "calendar" {
            (&june, &july)
        } else {
            (&firsts, &ends)
        };
        let lines: Vec<String> = sqlx::query_scalar(sql)
            .bind(user_id(&ana))
            .bind(first)
            .bind(stop)
            .bind(&years)
            .bind("Asia/Tokyo")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let plan = lines.join("\n");
        println!("{name}:\n{plan}");
        assert!(plan.contains("journals_user_id_idx"), "{name}: {plan}");
        assert!(!plan.contains("Seq Scan on journals"), "{name}: {plan}");
        // Rows read from the index: the days' entries, not the user's 10,000.
        let most = plan
            .lines()
            .filter(|l| l.contains("Index Scan") || l.contains("Index Only Scan"))
            .filter_map(|l| l.split("rows=").nth(2))
            .filter_map(|r| r.split_whitespace().next()?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        assert!(most < 200, "{name}: {most} rows from the index:\n{plan}");
    }
    // The user's oldest entry, where "On this day" stops looking.
    let lines: Vec<String> = sqlx::query_scalar(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT (created_at AT TIME ZONE $2)::date FROM journals
         WHERE user_id = $1 ORDER BY created_at, id LIMIT 1",
    )
    .bind(user_id(&ana))
    .bind("Asia/Tokyo")
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = lines.join("\n");
    assert!(plan.contains("journals_user_id_idx"), "{plan}");
    assert!(!plan.contains("journals_created_at_idx"), "{plan}");
    // The months that have entries: one probe of the index a month, 121 in all.
    let lines: Vec<String> = sqlx::query_scalar(
        "EXPLAIN (ANALYZE, BUFFERS) WITH RECURSIVE months(first) AS (
             SELECT date_trunc('month',
                        (SELECT created_at FROM journals WHERE user_id = $1
                         ORDER BY created_at DESC, id DESC LIMIT 1)
                            AT TIME ZONE $2)
             UNION ALL
             SELECT date_trunc('month',
                        (SELECT j.created_at FROM journals j
                         WHERE j.user_id = $1 AND j.created_at < (m.first AT TIME ZONE $2)
                         ORDER BY j.created_at DESC, j.id DESC LIMIT 1)
                            AT TIME ZONE $2)
             FROM months m WHERE m.first IS NOT NULL
         )
         SELECT first::date FROM months WHERE first IS NOT NULL",
    )
    .bind(user_id(&ana))
    .bind("Asia/Tokyo")
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = lines.join("\n");
    println!("months with entries:\n{plan}");
    assert!(plan.contains("journals_user_id_idx"), "{plan}");
    assert!(!plan.contains("journals_created_at_idx"), "{plan}");
    assert!(!plan.contains("Seq Scan on journals"), "{plan}");
    tx.rollback().await.unwrap();
    app.stop().await;
}
