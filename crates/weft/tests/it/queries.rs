//! The documented queries: creating a user and logging in, a user's journals newest first,
//! journals by tag, full-text and substring search. Each returns the right rows and only the
//! caller's; at thirty thousand journals each is answered through its index.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{self, fresh_db};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use weft::db::journals::{self, Journal, NewJournal};
use weft::db::scoped::{begin_for_user, UserTx};
use weft::db::{transcripts, users};

fn base_time() -> DateTime<Utc> {
    "2026-01-01T12:00:00Z".parse().expect("a timestamp")
}

/// Inserts a journal created `minutes` after the base time, with an optional transcript.
async fn journal(
    pool: &PgPool,
    user_id: Uuid,
    minutes: i64,
    title: &str,
    transcript: Option<&str>,
) -> Uuid {
    let new = NewJournal {
        title,
        media: weft::domain::Media::Video,
        video_path: "test/video.mp4",
        duration: 60,
        location: None,
        notes: None,
    };
    let mut tx = as_user(pool, user_id).await;
    let id = journals::insert(&mut tx, &new)
        .await
        .expect("insert a journal")
        .id;
    sqlx::query("UPDATE journals SET created_at = $2 WHERE id = $1")
        .bind(id)
        .bind(base_time() + TimeDelta::minutes(minutes))
        .execute(&mut *tx)
        .await
        .expect("date the journal");
    if let Some(text) = transcript {
        transcripts::insert(&mut tx, id, text, None)
            .await
            .expect("insert a transcript");
    }
    tx.commit().await.expect("commit the journal");
    id
}

/// A transaction acting for `user` (one that only reads is dropped, which rolls it back).
async fn as_user(pool: &PgPool, user: Uuid) -> UserTx {
    begin_for_user(pool, user).await.expect("begin")
}

async fn tag(pool: &PgPool, journal_id: Uuid, tag: &str) {
    sqlx::query("INSERT INTO tags (journal_id, tag) VALUES ($1, $2)")
        .bind(journal_id)
        .bind(tag)
        .execute(pool)
        .await
        .expect("tag a journal");
}

fn ids(journals: &[Journal]) -> Vec<Uuid> {
    journals.iter().map(|journal| journal.id).collect()
}

#[tokio::test]
async fn a_created_user_is_found_by_username_or_email_in_any_letter_case() {
    let db = fresh_db().await;
    let hash = weft::domain::password::hash(
        "correct horse".to_string(),
        weft::domain::password::MIN_BCRYPT_COST,
    )
    .await
    .expect("hash a password");

    let created = users::create(&db.admin, "JaneDoe", "Jane.Doe@Example.com", &hash)
        .await
        .expect("create a user");

    assert_eq!(created.username, "JaneDoe", "the username is kept as typed");
    assert!(
        created.password_hash.starts_with("$2b$10$"),
        "{}",
        created.password_hash
    );
    assert!(weft::domain::password::verify(
        "correct horse".to_string(),
        created.password_hash.clone()
    )
    .await
    .expect("verify"));
    for login in [
        "janedoe",
        "JANEDOE",
        "jane.doe@example.com",
        "JANE.DOE@EXAMPLE.COM",
    ] {
        let found = users::find_by_login(&db.admin, login)
            .await
            .expect("look up");
        assert_eq!(found.map(|user| user.id), Some(created.id), "{login}");
    }
    for stranger in ["jane", "doe@example.com", ""] {
        let found = users::find_by_login(&db.admin, stranger)
            .await
            .expect("look up");
        assert!(found.is_none(), "{stranger:?} found {found:?}");
    }
}

#[tokio::test]
async fn a_users_journals_come_newest_first_up_to_the_limit_and_only_their_own() {
    let db = fresh_db().await;
    let pool = &db.admin;
    let alice = common::insert_user(pool, "alice").await;
    let bob = common::insert_user(pool, "bob").await;
    let oldest = journal(pool, alice, 0, "one", None).await;
    let newest = journal(pool, alice, 40, "five", None).await;
    let middle = journal(pool, alice, 20, "three", None).await;
    let second = journal(pool, alice, 30, "four", None).await;
    let fourth = journal(pool, alice, 10, "two", None).await;
    journal(pool, bob, 50, "bob's newest", None).await;

    let page = journals::list_for_user(&mut as_user(pool, alice).await, 3)
        .await
        .expect("list");
    let all = journals::list_for_user(&mut as_user(pool, alice).await, 100)
        .await
        .expect("list");

    assert_eq!(ids(&page), vec![newest, second, middle]);
    assert_eq!(ids(&all), vec![newest, second, middle, fourth, oldest]);
    assert!(all.iter().all(|journal| journal.user_id == alice));
}

#[tokio::test]
async fn journals_by_tag_match_a_tag_typed_in_any_case_with_spaces_around_it() {
    let db = fresh_db().await;
    let pool = &db.admin;
    let alice = common::insert_user(pool, "alice").await;
    let bob = common::insert_user(pool, "bob").await;
    let ridge = journal(pool, alice, 0, "Ridge", None).await;
    let lake = journal(pool, alice, 10, "Lake", None).await;
    let market = journal(pool, alice, 20, "Market", None).await;
    let bobs = journal(pool, bob, 30, "Bob's hike", None).await;
    tag(pool, ridge, "hiking").await;
    tag(pool, lake, "Hiking").await;
    tag(pool, lake, "water").await;
    tag(pool, market, "food").await;
    tag(pool, bobs, "hiking").await;

    let found = journals::list_by_tag(&mut as_user(pool, alice).await, " Hiking ", 10)
        .await
        .expect("by tag");
    let limited = journals::list_by_tag(&mut as_user(pool, alice).await, "HIKING", 1)
        .await
        .expect("by tag");
    let none = journals::list_by_tag(&mut as_user(pool, alice).await, "hik", 10)
        .await
        .expect("by tag");

    assert_eq!(ids(&found), vec![lake, ridge], "newest first, only alice's");
    assert_eq!(ids(&limited), vec![lake]);
    assert!(none.is_empty(), "a tag matches whole, not by prefix");
}

/// Every page of a tag filter, by cursor, `limit` at a time: the ids in order.
async fn all_pages(
    pool: &PgPool,
    user: Uuid,
    filter: &journals::TimelineFilter,
    limit: i64,
) -> Vec<Uuid> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let page = journals::timeline_page(pool, user, filter, cursor, limit)
            .await
            .expect("a timeline page");
        found.extend(page.iter().map(|view| view.journal.id));
        if (page.len() as i64) < limit {
            return found;
        }
        let last = &page.last().expect("a full page").journal;
        cursor = Some(journals::Cursor {
            created_at: last.created_at,
            id: last.id,
        });
    }
}

#[tokio::test]
async fn a_tag_filter_pages_alike_whether_its_tags_are_common_or_rare() {
    let db = fresh_db().await;
    let alice = common::insert_user(&db.admin, "alice").await;
    let bob = common::insert_user(&db.admin, "bob").await;
    // 40 journals: `daily` on 36 of them (walked newest first), `rare` on 3 (taken from
    // the tag index), `both` where they meet; bob's carry the same tags.
    let mut daily = Vec::new();
    let mut rare = Vec::new();
    let mut newest_first = Vec::new();
    for minute in 0..40 {
        let id = journal(&db.admin, alice, minute, &format!("entry {minute}"), None).await;
        newest_first.insert(0, id);
        if minute % 10 != 3 {
            tag(&db.admin, id, "daily").await;
            daily.push(id);
        }
        if minute % 13 == 1 {
            tag(&db.admin, id, "rare").await;
            rare.push(id);
        }
    }
    for minute in 0..5 {
        let id = journal(&db.admin, bob, minute, "bob's", None).await;
        tag(&db.admin, id, "daily").await;
        tag(&db.admin, id, "rare").await;
    }
    daily.reverse();
    rare.reverse();
    let both: Vec<Uuid> = rare
        .iter()
        .filter(|id| daily.contains(id))
        .copied()
        .collect();
    let either: Vec<Uuid> = newest_first
        .iter()
        .filter(|id| daily.contains(id) || rare.contains(id))
        .copied()
        .collect();
    let filter = |all: &[&str], any: &[&str]| journals::TimelineFilter {
        tags_all: all.iter().map(|t| t.to_string()).collect(),
        tags_any: any.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };

    let cases = [
        (filter(&["daily"], &[]), daily.clone()),
        (filter(&["rare"], &[]), rare.clone()),
        (filter(&["daily", "rare"], &[]), both),
        (filter(&[], &["daily", "rare"]), either),
        (filter(&["none"], &[]), Vec::new()),
    ];
    for limit in [1, 5, 7, 100] {
        for (tags, expected) in &cases {
            let found = all_pages(&db.pool, alice, tags, limit).await;
            assert_eq!(&found, expected, "{tags:?}, limit {limit}");
        }
    }
}

/// A page of one tag is read from tagged_journals (migrations/0022), which a trigger keeps
/// equal to the journals' tags and dates: it follows a tag added, renamed and removed, a
/// journal's date changed, a journal deleted and a user deleted, pages alike after a
/// cursor and within dates, and never shows another user's journals.
#[tokio::test]
async fn a_page_of_one_tag_follows_every_change_of_tags_dates_and_journals() {
    let db = fresh_db().await;
    let alice = common::insert_user(&db.admin, "alice").await;
    let bob = common::insert_user(&db.admin, "bob").await;
    let a = journal(&db.admin, alice, 0, "a", None).await;
    let b = journal(&db.admin, alice, 1, "b", None).await;
    let c = journal(&db.admin, alice, 2, "c", None).await;
    let untagged = journal(&db.admin, alice, 3, "untagged", None).await;
    let bobs = journal(&db.admin, bob, 4, "bob's", None).await;
    for id in [a, b, c, bobs] {
        tag(&db.admin, id, "walk").await;
    }
    tag(&db.admin, c, "sea").await;
    let one = |tag: &str, any: bool| journals::TimelineFilter {
        tags_all: if any {
            Vec::new()
        } else {
            vec![tag.to_string()]
        },
        tags_any: if any {
            vec![tag.to_string()]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    let pages = |tag: &'static str| {
        let pool = db.pool.clone();
        async move {
            let mut seen = Vec::new();
            for (any, limit) in [(false, 1), (false, 2), (false, 20), (true, 2)] {
                seen.push(all_pages(&pool, alice, &one(tag, any), limit).await);
            }
            assert!(seen.windows(2).all(|w| w[0] == w[1]), "{tag}: {seen:?}");
            seen.remove(0)
        }
    };
    // Every row of tagged_journals is one of a journal's tags, with its owner and date.
    let rows_match_the_journals = || async {
        let stray: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ( \
               SELECT journal_id, user_id, tag, created_at FROM tagged_journals \
               EXCEPT SELECT j.id, j.user_id, t.tag, j.created_at \
                      FROM tags t JOIN journals j ON j.id = t.journal_id) AS d",
        )
        .fetch_one(&db.admin)
        .await
        .unwrap();
        let missing: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ( \
               SELECT j.id, j.user_id, t.tag, j.created_at \
               FROM tags t JOIN journals j ON j.id = t.journal_id \
               EXCEPT SELECT journal_id, user_id, tag, created_at FROM tagged_journals) AS d",
        )
        .fetch_one(&db.admin)
        .await
        .unwrap();
        assert_eq!(
            (stray, missing),
            (0, 0),
            "rows of tagged_journals against tags"
        );
    };
    let as_alice = || as_user(&db.pool, alice);

    assert_eq!(pages("walk").await, [c, b, a]);
    assert_eq!(pages("sea").await, [c]);
    assert!(pages("none").await.is_empty());
    rows_match_the_journals().await;

    // A journal moved to the newest, a tag added to another and one removed.
    let mut tx = as_alice().await;
    sqlx::query("UPDATE journals SET created_at = $2 WHERE id = $1")
        .bind(a)
        .bind(base_time() + TimeDelta::minutes(10))
        .execute(&mut *tx)
        .await
        .unwrap();
    weft::db::tags::add(&mut tx, untagged, &["walk".to_string()])
        .await
        .unwrap();
    assert!(weft::db::tags::remove(&mut tx, b, "walk").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(pages("walk").await, [a, untagged, c]);
    rows_match_the_journals().await;

    // Within dates: the page of one tag from its own index, after a cursor too.
    let dated = journals::TimelineFilter {
        from: Some(base_time() + TimeDelta::minutes(2)),
        to: Some(base_time() + TimeDelta::minutes(10)),
        ..one("walk", false)
    };
    assert_eq!(all_pages(&db.pool, alice, &dated, 1).await, [untagged, c]);

    // A tag renamed (merged into one the journal has), then a journal deleted.
    let mut tx = as_alice().await;
    weft::db::tags::rename(&mut tx, "sea", "walk")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(pages("sea").await.is_empty());
    assert_eq!(pages("walk").await, [a, untagged, c]);
    let mut tx = as_alice().await;
    journals::delete(&mut tx, untagged)
        .await
        .unwrap()
        .expect("deleted");
    tx.commit().await.unwrap();
    assert_eq!(pages("walk").await, [a, c]);
    rows_match_the_journals().await;

    // Bob's journal was never on alice's pages, and goes with bob.
    assert_eq!(
        all_pages(&db.pool, bob, &one("walk", false), 20).await,
        [bobs]
    );
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(bob)
        .execute(&db.admin)
        .await
        .unwrap();
    rows_match_the_journals().await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM tagged_journals WHERE user_id = $1")
        .bind(bob)
        .fetch_one(&db.admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn full_text_search_finds_words_in_titles_and_transcripts_with_english_stemming() {
    let db = fresh_db().await;
    let pool = &db.admin;
    let alice = common::insert_user(pool, "alice").await;
    let bob = common::insert_user(pool, "bob").await;
    let hike = journal(
        pool,
        alice,
        0,
        "Morning hike up the ridge",
        Some("I keep hiking every weekend"),
    )
    .await;
    let lighthouse = journal(
        pool,
        alice,
        10,
        "Quiet evening",
        Some("We watched the lighthouse blink across the bay"),
    )
    .await;
    journal(pool, alice, 20, "Groceries", Some("bread and milk")).await;
    journal(
        pool,
        bob,
        30,
        "Hiking to the lighthouse",
        Some("a long hike"),
    )
    .await;

    let by_stem = journals::search_text(&mut as_user(pool, alice).await, "hiking", 10)
        .await
        .expect("search");
    let in_transcript = journals::search_text(&mut as_user(pool, alice).await, "lighthouse", 10)
        .await
        .expect("search");
    let either = journals::search_text(&mut as_user(pool, alice).await, "ridge or lighthouse", 10)
        .await
        .expect("search");
    let both = journals::search_text(&mut as_user(pool, alice).await, "ridge lighthouse", 10)
        .await
        .expect("search");
    let phrase = journals::search_text(&mut as_user(pool, alice).await, "\"hike up\"", 10)
        .await
        .expect("search");
    let excluded = journals::search_text(&mut as_user(pool, alice).await, "morning -ridge", 10)
        .await
        .expect("search");
    let kept = journals::search_text(&mut as_user(pool, alice).await, "evening -ridge", 10)
        .await
        .expect("search");

    // English stemming: "hiking" and "hike" are one lexeme ('hike'), so the title that says
    // "hike" matches; the transcript that says "hiking" matches too, and the journal is
    // returned once.
    assert_eq!(ids(&by_stem), vec![hike]);
    assert_eq!(
        ids(&in_transcript),
        vec![lighthouse],
        "a word only in a transcript"
    );
    assert_eq!(ids(&either), vec![lighthouse, hike], "newest first");
    assert!(both.is_empty(), "words are ANDed: {both:?}");
    assert_eq!(ids(&phrase), vec![hike]);
    assert!(excluded.is_empty(), "-word excludes: {excluded:?}");
    assert_eq!(ids(&kept), vec![lighthouse]);
}

#[tokio::test]
async fn substring_search_matches_inside_words_in_any_case_and_takes_wildcards_literally() {
    let db = fresh_db().await;
    let pool = &db.admin;
    let alice = common::insert_user(pool, "alice").await;
    let bob = common::insert_user(pool, "bob").await;
    let mountain = journal(pool, alice, 0, "Mountain sunrise", None).await;
    let sale = journal(pool, alice, 10, "50% off at the market", None).await;
    let offers = journal(pool, alice, 20, "500 offers", None).await;
    let biology = journal(
        pool,
        alice,
        30,
        "Class notes",
        Some("all about photosynthesis today"),
    )
    .await;
    journal(pool, bob, 40, "Mountain photosynthesis 50% off_line", None).await;

    let inside_word = journals::search_substring(&mut as_user(pool, alice).await, "OUNTAI", 10)
        .await
        .expect("search");
    let percent = journals::search_substring(&mut as_user(pool, alice).await, "0%", 10)
        .await
        .expect("search");
    let underscore = journals::search_substring(&mut as_user(pool, alice).await, "o_f", 10)
        .await
        .expect("search");
    let transcript = journals::search_substring(&mut as_user(pool, alice).await, "synth", 10)
        .await
        .expect("search");
    let digits = journals::search_substring(&mut as_user(pool, alice).await, "50", 10)
        .await
        .expect("search");

    assert_eq!(ids(&inside_word), vec![mountain]);
    assert_eq!(ids(&percent), vec![sale], "'%' is matched as a character");
    assert!(
        underscore.is_empty(),
        "'_' is matched as a character: {underscore:?}"
    );
    assert_eq!(
        ids(&transcript),
        vec![biology],
        "a substring only in a transcript"
    );
    assert_eq!(ids(&digits), vec![offers, sale]);
}

// ------------------------------------------------------------------------------------------
// The plans at scale
// ------------------------------------------------------------------------------------------

/// 300 users with 100 journals each (30,000), one transcript per journal, a tag on about a
/// third. Titles and transcripts are random words from a small vocabulary; the rare word
/// "zeppelin" is in ten titles and ten transcripts of user1 and one title of user2.
const BULK: &str = r#"
SELECT setseed(0.42);

INSERT INTO users (username, email, password_hash)
SELECT 'user' || i, 'user' || i || '@example.com',
       '$2b$10$abcdefghijklmnopqrstuuM9Qb7T3Y8rXQm0eL5m7m1e8K9b3b2Ge'
FROM generate_series(1, 300) AS i;

CREATE TEMP TABLE vocab AS SELECT ARRAY[
  'morning','evening','walk','hike','ridge','river','coffee','kitchen','garden','train',
  'office','meeting','project','friend','family','dinner','market','rain','sunshine','snow',
  'music','guitar','book','library','beach','ocean','mountain','forest','city','bridge',
  'bicycle','run','park','museum','painting','recipe','bread','travel','airport','holiday',
  'birthday','weekend','quiet','busy','tired','happy','thoughts','plans'] AS w;

-- Journal n belongs to user (n % 300) + 1 and is n * 17 minutes old.
INSERT INTO journals (user_id, title, video_path, duration, created_at, updated_at)
SELECT u.id,
       CASE WHEN g.n % 3000 IN (0, 1) THEN 'zeppelin ' ELSE '' END
         || (SELECT string_agg(v.w[1 + floor(random() * array_length(v.w, 1))::int], ' ')
               FROM vocab v, generate_series(1, 3 + g.n % 4)),
       'bulk/' || g.n || '.mp4',
       30 + g.n % 600,
       now() - g.n * interval '17 minutes',
       now() - g.n * interval '17 minutes'
FROM generate_series(0, 29999) AS g(n)
JOIN users u ON u.username = 'user' || (g.n % 300 + 1);

INSERT INTO transcripts (journal_id, text)
SELECT j.id,
       (SELECT string_agg(v.w[1 + floor(random() * array_length(v.w, 1))::int], ' ')
          FROM vocab v, generate_series(1, 20 + j.duration % 20))
         || CASE WHEN j.n % 3000 = 300 THEN ' zeppelin' ELSE '' END
FROM (SELECT id, duration, split_part(split_part(video_path, '/', 2), '.', 1)::int AS n
        FROM journals) AS j;

INSERT INTO tags (journal_id, tag)
SELECT id, (ARRAY['travel','family','work','hiking','music',
                  'food','friends','nature','sport','books'])[1 + floor(random() * 10)::int]
FROM journals WHERE random() < 1.0 / 3;
"#;

/// Every index named in a JSON plan (EXPLAIN (FORMAT JSON)).
fn plan_indexes(plan: &serde_json::Value, found: &mut BTreeSet<String>) {
    match plan {
        serde_json::Value::Object(fields) => {
            if let Some(serde_json::Value::String(name)) = fields.get("Index Name") {
                found.insert(name.clone());
            }
            fields.values().for_each(|value| plan_indexes(value, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| plan_indexes(item, found)),
        _ => {}
    }
}

/// Every table a JSON plan reads with a sequential scan.
fn plan_seq_scans(plan: &serde_json::Value, found: &mut BTreeSet<String>) {
    match plan {
        serde_json::Value::Object(fields) => {
            if fields.get("Node Type") == Some(&serde_json::json!("Seq Scan")) {
                if let Some(serde_json::Value::String(table)) = fields.get("Relation Name") {
                    found.insert(table.clone());
                }
            }
            fields
                .values()
                .for_each(|value| plan_seq_scans(value, found));
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|item| plan_seq_scans(item, found))
        }
        _ => {}
    }
}

/// Prepares `sql` as `name` (as the driver does) and explains one execution with literal
/// arguments, which gets the same custom plan the application's first executions get.
async fn explain(
    conn: &mut PgConnection,
    name: &str,
    types: &str,
    sql: &str,
    args: &str,
) -> serde_json::Value {
    sqlx::raw_sql(&format!("PREPARE {name}({types}) AS {sql}"))
        .execute(&mut *conn)
        .await
        .expect("prepare");
    sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) EXECUTE {name}({args})"))
        .fetch_one(&mut *conn)
        .await
        .expect("explain")
}

/// Index scans counted so far by this backend, per index of the public schema. Inside one
/// transaction the counts are not flushed, so a difference is what the statements between
/// two readings used.
async fn index_scans(conn: &mut PgConnection) -> BTreeMap<String, i64> {
    sqlx::query_as(
        "SELECT c.relname::text, pg_stat_get_xact_numscans(c.oid) FROM pg_class c \
         WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read index scan counts")
    .into_iter()
    .collect()
}

/// Runs one application query in its own transaction (acting for a user after `as`) and
/// returns (its result, the indexes it scanned).
macro_rules! indexes_used {
    ($pool:expr, |$conn:ident| $call:expr) => {{
        let mut tx = $pool.begin().await.expect("begin");
        indexes_used!(@measure tx, {
            let $conn = &mut *tx;
            $call
        })
    }};
    ($pool:expr, as $user:expr, |$tx:ident| $call:expr) => {{
        let mut tx = begin_for_user(&$pool, $user).await.expect("begin");
        indexes_used!(@measure tx, {
            let $tx = &mut tx;
            $call
        })
    }};
    (@measure $tx:ident, $call:block) => {{
        let before = index_scans(&mut $tx).await;
        let result = $call.await.expect("the query runs");
        let after = index_scans(&mut $tx).await;
        $tx.rollback().await.expect("rollback");
        let used: BTreeSet<String> = after
            .into_iter()
            .filter(|(name, scans)| before.get(name).copied().unwrap_or(0) < *scans)
            .map(|(name, _)| name)
            .collect();
        (result, used)
    }};
}

// The SQL below is copied from crates/weft/src/db/journals.rs and users.rs. The second half
// of the test runs the real functions and checks, from PostgreSQL's own scan counters, that
// they use the same indexes, so a copy that drifts from the code is noticed.
const TIMELINE: &str = "SELECT * FROM journals WHERE user_id = $1 \
     ORDER BY created_at DESC, id DESC LIMIT $2";
const BY_TAG: &str = "SELECT j.* FROM journals j \
     JOIN tags t ON t.journal_id = j.id \
     WHERE j.user_id = $1 AND t.tag = lower(btrim($2, E' \\t\\r\\n')) \
     ORDER BY j.created_at DESC, j.id DESC LIMIT $3";
const FULL_TEXT: &str = "WITH q AS (SELECT websearch_to_tsquery('english', $2) AS q), \
     hits AS ( \
         SELECT j.id FROM journals j, q \
         WHERE to_tsvector('english', j.title) @@ q.q AND j.user_id = $1 \
         UNION \
         SELECT t.journal_id FROM transcripts t JOIN journals j ON j.id = t.journal_id, q \
         WHERE to_tsvector('english', t.text) @@ q.q AND j.user_id = $1 \
     ) \
     SELECT j.* FROM journals j JOIN hits ON hits.id = j.id \
     ORDER BY j.created_at DESC, j.id DESC LIMIT $3";
const SUBSTRING: &str = "WITH hits AS ( \
         SELECT j.id FROM journals j WHERE j.title ILIKE $2 AND j.user_id = $1 \
         UNION \
         SELECT t.journal_id FROM transcripts t JOIN journals j ON j.id = t.journal_id \
         WHERE t.text ILIKE $2 AND j.user_id = $1 \
     ) \
     SELECT j.* FROM journals j JOIN hits ON hits.id = j.id \
     ORDER BY j.created_at DESC, j.id DESC LIMIT $3";
const LOGIN: &str = "SELECT * FROM users WHERE lower(username) = lower($1) \
     UNION ALL \
     SELECT * FROM users WHERE lower(email) = lower($1) \
     LIMIT 1";

#[tokio::test]
async fn at_thirty_thousand_journals_each_documented_query_is_answered_through_its_index() {
    let db = fresh_db().await;
    sqlx::raw_sql(BULK)
        .execute(&db.admin)
        .await
        .expect("generate the journals");
    // VACUUM as autovacuum would on a live database: it also merges the GIN indexes'
    // pending lists, which after a bulk load make every GIN scan look (and be) expensive.
    sqlx::raw_sql("VACUUM ANALYZE users, journals, transcripts, tags")
        .execute(&db.admin)
        .await
        .expect("vacuum and analyze");
    let user1: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'user1'")
        .fetch_one(&db.admin)
        .await
        .expect("user1");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&db.admin)
        .await
        .expect("count journals");
    assert_eq!(total, 30_000);

    // What the planner chooses for the documented SQL.
    let mut conn = db.admin.acquire().await.expect("a connection");
    let plans = [
        (
            "timeline",
            explain(
                &mut conn,
                "timeline",
                "uuid, bigint",
                TIMELINE,
                &format!("'{user1}', 20"),
            )
            .await,
        ),
        (
            "by_tag",
            explain(
                &mut conn,
                "by_tag",
                "uuid, text, bigint",
                BY_TAG,
                &format!("'{user1}', ' Hiking ', 20"),
            )
            .await,
        ),
        (
            "full_text",
            explain(
                &mut conn,
                "full_text",
                "uuid, text, bigint",
                FULL_TEXT,
                &format!("'{user1}', 'zeppelin', 20"),
            )
            .await,
        ),
        (
            "substring",
            explain(
                &mut conn,
                "substring",
                "uuid, text, bigint",
                SUBSTRING,
                &format!("'{user1}', '%EPPELI%', 20"),
            )
            .await,
        ),
        (
            "login",
            explain(&mut conn, "login", "text", LOGIN, "'User42'").await,
        ),
    ];
    drop(conn);
    let expected: [(&str, &[&str]); 5] = [
        ("timeline", &["journals_user_id_idx"]),
        ("by_tag", &[]),
        (
            "full_text",
            &[
                "journals_title_text_search_idx",
                "transcripts_text_search_idx",
            ],
        ),
        (
            "substring",
            &["journals_title_trgm_idx", "transcripts_text_trgm_idx"],
        ),
        ("login", &["users_username_idx", "users_email_idx"]),
    ];
    for ((name, plan), (_, wanted)) in plans.iter().zip(expected) {
        let mut used = BTreeSet::new();
        plan_indexes(plan, &mut used);
        for index in wanted {
            assert!(
                used.contains(*index),
                "{name} does not use {index}; plan: {plan:#}"
            );
        }
        if *name == "by_tag" {
            assert!(
                used.contains("tags_tag_idx") || used.contains("tags_journal_tag_idx"),
                "by_tag uses no tags index; plan: {plan:#}"
            );
        }
        let mut seq_scans = BTreeSet::new();
        plan_seq_scans(plan, &mut seq_scans);
        assert!(
            seq_scans.is_empty(),
            "{name} scans {seq_scans:?} sequentially; plan: {plan:#}"
        );
    }

    // What the application's own functions do, and that they find the right rows.
    let (timeline, used) = indexes_used!(db.admin, as user1, |tx| journals::list_for_user(tx, 20));
    assert_eq!(timeline.len(), 20);
    assert!(timeline
        .windows(2)
        .all(|pair| pair[0].created_at >= pair[1].created_at));
    assert!(used.contains("journals_user_id_idx"), "{used:?}");

    let (tagged, used) = indexes_used!(db.admin, as user1, |tx| journals::list_by_tag(
        tx, " Hiking ", 20
    ));
    assert!(!tagged.is_empty());
    assert!(
        used.contains("tags_tag_idx") || used.contains("tags_journal_tag_idx"),
        "{used:?}"
    );

    let (found, used) = indexes_used!(db.admin, as user1, |tx| journals::search_text(
        tx, "zeppelin", 50
    ));
    assert_eq!(
        found.len(),
        20,
        "ten titles and ten transcripts of user1 say zeppelin"
    );
    assert!(found.iter().all(|journal| journal.user_id == user1));
    assert!(used.contains("journals_title_text_search_idx"), "{used:?}");
    assert!(used.contains("transcripts_text_search_idx"), "{used:?}");

    let (found, used) = indexes_used!(db.admin, as user1, |tx| journals::search_substring(
        tx, "EPPELI", 50
    ));
    assert_eq!(found.len(), 20);
    assert!(found.iter().all(|journal| journal.user_id == user1));
    assert!(used.contains("journals_title_trgm_idx"), "{used:?}");
    assert!(used.contains("transcripts_text_trgm_idx"), "{used:?}");

    let (by_name, used) = indexes_used!(db.admin, |conn| users::find_by_login(conn, "USER42"));
    assert_eq!(
        by_name.map(|user| user.username),
        Some("user42".to_string())
    );
    assert!(used.contains("users_username_idx"), "{used:?}");

    let (by_email, used) = indexes_used!(db.admin, |conn| users::find_by_login(
        conn,
        "User42@Example.com"
    ));
    assert_eq!(
        by_email.map(|user| user.username),
        Some("user42".to_string())
    );
    assert!(used.contains("users_email_idx"), "{used:?}");
}

/// A search of words full-text search ignores (`there`) finds the heads that can match
/// through journal_search_head_words_idx when it runs as the application, under
/// row-level security, and not only as a superuser: in one query with `journals`, whose
/// policy applies to the application's role, PostgreSQL tested the words of every head
/// of the user instead.
#[tokio::test]
async fn a_search_of_ignored_words_finds_the_heads_through_their_words_index_as_the_application() {
    let db = fresh_db().await;
    let many = common::insert_user(&db.admin, "many").await;
    sqlx::query(
        "INSERT INTO journals (user_id, title, video_path, duration, created_at) \
         SELECT $1, CASE WHEN n % 500 = 7 THEN 'There and back ' || n ELSE 'Quiet day ' || n END, \
                'bulk/' || n || '.mp4', 30, now() - n * interval '1 hour' \
         FROM generate_series(1, 3000) AS n",
    )
    .bind(many)
    .execute(&db.admin)
    .await
    .expect("insert the journals");
    sqlx::raw_sql("VACUUM ANALYZE journals, journal_search")
        .execute(&db.admin)
        .await
        .expect("vacuum and analyze");
    let request = weft::search::SearchRequest {
        q: "there".to_string(),
        limit: 20,
        ..Default::default()
    };

    let (page, used) = indexes_used!(db.pool, as many, |tx| weft::search::search(tx, &request));

    let titles: Vec<String> = page
        .items
        .iter()
        .map(|hit| hit.journal.journal.title.clone())
        .collect();
    let expected: Vec<String> = [7, 507, 1007, 1507, 2007, 2507]
        .map(|n| format!("There and back {n}"))
        .to_vec();
    assert_eq!(titles, expected);
    assert!(used.contains("journal_search_head_words_idx"), "{used:?}");
}
