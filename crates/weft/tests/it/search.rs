//! Search and tags through the real API: each query form finds what it should in titles,
//! notes, tags and transcripts, ranked, with moments, and never another user's journals.

use crate::common::{fresh_db, spawn_app, Account, TestApp};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use uuid::Uuid;
use weft::db::journals::{self, NewJournal};
use weft::db::scoped::begin_for_user;
use weft::db::tags;
use weft::db::transcripts;
use weft::domain::Segment;

/// What a test journal holds.
#[derive(Default)]
pub(crate) struct Entry<'a> {
    pub(crate) title: &'a str,
    pub(crate) notes: Option<&'a str>,
    pub(crate) tags: &'a [&'a str],
    /// Transcript segments, ten seconds each.
    pub(crate) said: &'a [&'a str],
    /// Days after 2026-01-01.
    pub(crate) day: i64,
    pub(crate) location: Option<&'a str>,
}

/// Writes a journal for `owner` straight into the database (as the admin role).
pub(crate) async fn entry(app: &TestApp, owner: &Account, entry: Entry<'_>) -> Uuid {
    let user_id: Uuid = owner.id.parse().unwrap();
    let mut tx = begin_for_user(&app.db.admin, user_id).await.unwrap();
    let id = journals::insert(
        &mut tx,
        &NewJournal {
            title: entry.title,
            media: weft::domain::Media::Video,
            video_path: "test/video.mp4",
            duration: 10 * entry.said.len() as i32,
            location: entry.location,
            notes: entry.notes,
        },
    )
    .await
    .unwrap()
    .id;
    let created: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().unwrap();
    sqlx::query("UPDATE journals SET created_at = $2 WHERE id = $1")
        .bind(id)
        .bind(created + TimeDelta::days(entry.day))
        .execute(&mut *tx)
        .await
        .unwrap();
    let tag_list: Vec<String> = entry.tags.iter().map(|t| t.to_string()).collect();
    tags::add(&mut tx, id, &tag_list).await.unwrap();
    if !entry.said.is_empty() {
        let segments: Vec<Segment> = entry
            .said
            .iter()
            .enumerate()
            .map(|(i, text)| Segment {
                start: 10.0 * i as f64,
                end: 10.0 * i as f64 + 9.5,
                text: text.to_string(),
                confidence: Some(0.9),
                ..Segment::default()
            })
            .collect();
        transcripts::insert(&mut tx, id, &entry.said.join(" "), Some(&segments))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    id
}

async fn search(app: &TestApp, who: &Account, query: &str) -> Value {
    search_with(app, who, &[("q", query)]).await
}

/// The starts of a result's moments, in order; a result without moments is a failure that
/// shows the result.
fn moment_starts(item: &Value) -> Vec<f64> {
    item["moments"]
        .as_array()
        .unwrap_or_else(|| panic!("no moments: {item}"))
        .iter()
        .map(|m| m["start"].as_f64().unwrap())
        .collect()
}

/// The titles of the results, in order.
async fn titles(app: &TestApp, who: &Account, query: &str) -> Vec<String> {
    result_titles(&search(app, who, query).await)
}

/// The titles of the results in the order `sort` asks for.
async fn titles_sorted(app: &TestApp, who: &Account, query: &str, sort: &str) -> Vec<String> {
    result_titles(&search_with(app, who, &[("q", query), ("sort", sort)]).await)
}

#[tokio::test]
async fn a_word_is_found_in_the_title_tags_notes_and_transcript() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Harbour walk",
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            tags: &["harbour"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Wednesday",
            notes: Some("Past the harbour wall"),
            day: 2,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Thursday",
            said: &["we sat by the harbour all morning"],
            day: 3,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Friday",
            said: &["nothing to report"],
            day: 4,
            ..Default::default()
        },
    )
    .await;

    let found = titles(&app, &alice, "harbour").await;

    // Ranked title, then tags, then notes, then transcript.
    assert_eq!(
        found,
        vec!["Harbour walk", "Tuesday", "Wednesday", "Thursday"]
    );
}

#[tokio::test]
async fn another_users_journals_are_never_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Lighthouse keeper",
            said: &["the lighthouse at dusk"],
            ..Default::default()
        },
    )
    .await;

    assert!(titles(&app, &bob, "lighthouse").await.is_empty());
    assert!(titles(&app, &bob, "lightho").await.is_empty());
    assert!(titles(&app, &bob, "light*").await.is_empty());
    assert_eq!(
        titles(&app, &alice, "lighthouse").await,
        vec!["Lighthouse keeper"]
    );
}

#[tokio::test]
async fn a_phrase_needs_its_words_side_by_side_and_separate_words_do_not() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "One",
            said: &["we saw a red kite over the hill"],
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Two",
            said: &["the kite was red and blue"],
            day: 1,
            ..Default::default()
        },
    )
    .await;

    assert_eq!(titles(&app, &alice, "\"red kite\"").await, vec!["One"]);
    assert_eq!(titles(&app, &alice, "red kite").await, vec!["Two", "One"]);
}

#[tokio::test]
async fn excluded_words_or_and_prefixes_work_as_in_a_web_search() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Beach day",
            said: &["the sunrise at the beach"],
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Beach after work",
            said: &["the sunset after work"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Garden",
            said: &["lightning over the garden"],
            day: 2,
            ..Default::default()
        },
    )
    .await;

    assert_eq!(titles(&app, &alice, "beach -work").await, vec!["Beach day"]);
    // The title matches, and the word left out is said in the transcript only: still out.
    assert_eq!(
        titles(&app, &alice, "beach -sunrise").await,
        vec!["Beach after work"]
    );
    assert_eq!(
        titles(&app, &alice, "sunrise OR sunset").await,
        vec!["Beach after work", "Beach day"]
    );
    assert_eq!(titles(&app, &alice, "lightn*").await, vec!["Garden"]);
    assert!(!search(&app, &alice, "lightn*").await["partial"]
        .as_bool()
        .unwrap());
}

#[tokio::test]
async fn a_prefix_finds_every_word_it_starts_however_many_there_are() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Notes",
            // `possib` stems to `possib`, `possibilities` to `possibl`: a prefix of the
            // word, not of the stem, finds it.
            said: &[
                "so many possibilities",
                "the quixotic zqueue",
                "a Lighthouse",
            ],
            ..Default::default()
        },
    )
    .await;
    // Matched as the few words that start them.
    assert_eq!(titles(&app, &alice, "possib*").await, vec!["Notes"]);
    assert_eq!(titles(&app, &alice, "LIGHTH*").await, vec!["Notes"]);
    assert_eq!(titles(&app, &alice, "lighthouse*").await, vec!["Notes"]);
    assert!(titles(&app, &alice, "lighthousekeeper*").await.is_empty());
    assert_eq!(titles(&app, &alice, "zq*").await, vec!["Notes"]);
    assert_eq!(
        titles(&app, &alice, "-zq* lighth*").await,
        Vec::<String>::new()
    );

    // A prefix that starts more words than are named is matched as a prefix of lexemes.
    sqlx::query(
        "INSERT INTO search_words (word) SELECT 'zq' || n FROM generate_series(1000, 1400) AS n",
    )
    .execute(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(titles(&app, &alice, "zq*").await, vec!["Notes"]);
    assert_eq!(titles(&app, &alice, "zqu*").await, vec!["Notes"]);
    assert!(titles(&app, &alice, "zqx*").await.is_empty());
}

#[tokio::test]
async fn part_of_a_word_still_finds_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Travel",
            said: &["our flight was delayed"],
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Home",
            said: &["a quiet evening"],
            day: 1,
            ..Default::default()
        },
    )
    .await;

    let results = search(&app, &alice, "ligh").await;

    assert!(results["partial"].as_bool().unwrap());
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["journal"]["title"], "Travel");
    assert_eq!(items[0]["moments"][0]["text"], "our flight was delayed");
}

#[tokio::test]
async fn words_that_full_text_search_ignores_are_found_as_written() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Theatre",
            said: &[
                "we saw a play",
                "to be, or not to be: that was the line",
                "then dinner",
            ],
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "What was that",
            notes: Some("a <strange> noise"),
            day: 1,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Thatcher's garden",
            said: &["nothing of note"],
            day: 2,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &bob,
        Entry {
            title: "That is mine",
            said: &["to be or not to be"],
            ..Default::default()
        },
    )
    .await;

    // "that" is a whole word: not in "Thatcher"; the title match ranks first.
    let results = search(&app, &alice, "that").await;
    assert!(results["partial"].as_bool().unwrap());
    let found: Vec<&str> = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["journal"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(found, vec!["What was that", "Theatre"]);
    assert_eq!(
        results["items"][0]["snippet"],
        "What was <mark>that</mark> — a &lt;strange&gt; noise"
    );
    let moment = &results["items"][1]["moments"][0];
    assert_eq!(moment["start"], 10.0);
    assert!(
        moment["highlighted"]
            .as_str()
            .unwrap()
            .contains("<mark>that</mark> was the line"),
        "{results}"
    );
    // Only the transcript has the word: no snippet repeats the moment.
    assert_eq!(results["items"][1]["snippet"], "", "{results}");

    // A phrase of stop words, punctuation between them; and its exclusion.
    assert_eq!(
        titles(&app, &alice, "\"to be or not to be\"").await,
        vec!["Theatre"]
    );
    assert_eq!(
        titles(&app, &alice, "that -\"not to be\"").await,
        vec!["What was that"]
    );
    assert_eq!(
        titles(&app, &alice, "THAT OR what").await,
        vec!["What was that", "Theatre"]
    );
    // Symbols in such a query are only ever text.
    assert!(titles(&app, &alice, "(the|that)").await.is_empty());
    // A title that matches, with the excluded words said in the transcript: left out, as
    // the head alone decides nothing when something is excluded.
    entry(
        &app,
        &alice,
        Entry {
            title: "That old song",
            said: &["it was not to be"],
            day: 3,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        titles(&app, &alice, "that -\"not to be\"").await,
        vec!["What was that"]
    );
    assert_eq!(
        titles(&app, &alice, "that").await,
        vec!["That old song", "What was that", "Theatre"]
    );
    // Never another user's.
    assert_eq!(titles(&app, &bob, "that").await, vec!["That is mine"]);
}

/// A stop word alone is found as a whole word wherever it is said, in any letter case, in
/// the title, the notes or the transcript, and not inside another word; the transcripts
/// read are only those of the journals whose search row says the word
/// (journal_search.said_pairs, migration 0023): a row that says none is passed over.
#[tokio::test]
async fn a_stop_word_alone_is_found_through_the_words_said_however_it_is_written() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ids = Vec::new();
    for (day, (title, notes, said)) in [
        ("Letters", None, "the book was HERS."),
        ("Hers", None, "nothing"),
        ("Walk", Some("hers, she said"), "a walk"),
        ("Herself", None, "she did it herself"),
        ("Underscored", None, "it was hers_ truly"),
        ("Kept", None, "that one is hers"),
    ]
    .into_iter()
    .enumerate()
    {
        let said = [said];
        let entry_of = Entry {
            title,
            notes,
            said: &said,
            day: day as i64,
            ..Default::default()
        };
        ids.push(entry(&app, &alice, entry_of).await);
    }
    assert_eq!(
        titles(&app, &alice, "hers").await,
        vec!["Hers", "Walk", "Kept", "Letters"]
    );
    let hers: Vec<i16> =
        sqlx::query_scalar("SELECT s.said_pairs FROM journal_search s WHERE s.journal_id = $1")
            .bind(ids[5])
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    let number: i16 = sqlx::query_scalar("SELECT array_position(weft_stop_words(), 'hers')::int2")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert!(hers.contains(&number), "{hers:?}");

    // A row that says no stop word: its transcript is not read, so it is not found.
    sqlx::query("UPDATE journal_search SET said_pairs = '{}' WHERE journal_id = $1")
        .bind(ids[5])
        .execute(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(
        titles(&app, &alice, "HERS").await,
        vec!["Hers", "Walk", "Letters"]
    );
}

/// A phrase of stop words is found wherever it is said, however it is written, across
/// segments and from the notes into the transcript, and after a correction; a text that
/// says its words but not one after the other is passed over through its word pairs
/// (journal_search.said_pairs), and so is one that no longer says it.
#[tokio::test]
async fn stop_word_phrases_are_found_through_their_word_pairs_however_they_are_said() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let said = |title: &'static str, said: &'static [&'static str], day: i64| Entry {
        title,
        said,
        day,
        ..Default::default()
    };
    for (day, (title, words)) in [
        ("Hamlet", &["To be, or NOT to be: that is the question"][..]),
        ("Muddled", &["not to be or to be, it is all the same"][..]),
        ("Two segments", &["it was to be or", "not to be at all"][..]),
        ("Underscored", &["to_be or not to be"][..]),
        ("Scattered", &["to be sure, or not, to be honest"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        entry(&app, &alice, said(title, words, day as i64)).await;
    }
    let noted = entry(
        &app,
        &alice,
        Entry {
            title: "Noted",
            notes: Some("we said: to be or"),
            said: &["not to be"],
            day: 10,
            ..Default::default()
        },
    )
    .await;
    entry(&app, &bob, said("Bob's Hamlet", &["to be or not to be"], 0)).await;

    let found = vec!["Noted", "Underscored", "Two segments", "Hamlet"];
    assert_eq!(titles(&app, &alice, "\"to be or not to be\"").await, found);
    assert_eq!(
        titles(&app, &alice, "\"TO BE; OR NOT TO BE!\"").await,
        found
    );
    let oldest = titles_sorted(&app, &alice, "\"to be or not to be\"", "oldest").await;
    assert_eq!(oldest, found.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(
        titles(&app, &alice, "\"or not to\" OR \"is all the\"").await,
        vec![
            "Noted",
            "Scattered",
            "Underscored",
            "Two segments",
            "Muddled",
            "Hamlet"
        ]
    );
    assert_eq!(
        titles(&app, &alice, "\"to be or not to be\" -question").await,
        vec!["Noted", "Underscored", "Two segments"]
    );

    // A correction that no longer says it, and one that says it again.
    let correct = |text: &'static str| {
        app.client
            .put(app.url(&format!("/api/v1/journals/{noted}/transcript")))
            .bearer_auth(&alice.token)
            .json(&json!({"text": text, "segments": [{"start": 0.0, "end": 3.0, "text": text}]}))
            .send()
    };
    assert_eq!(correct("nothing to see").await.unwrap().status(), 200);
    assert_eq!(
        titles(&app, &alice, "\"to be or not to be\"").await,
        vec!["Underscored", "Two segments", "Hamlet"]
    );
    assert_eq!(correct("not to be").await.unwrap().status(), 200);
    assert_eq!(titles(&app, &alice, "\"to be or not to be\"").await, found);

    // What the search rows hold: the pairs of the whole text, head and transcript.
    let pairs: Vec<i16> =
        sqlx::query_scalar("SELECT said_pairs FROM journal_search WHERE journal_id = $1")
            .bind(noted)
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    let expected: Vec<i16> = sqlx::query_scalar(
        "SELECT weft_stop_word_pairs('Noted' || E'\\n' || 'we said: to be or' || E'\\n' || 'not to be')",
    )
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(pairs, expected);
    let or_not: i16 = sqlx::query_scalar(
        "SELECT (array_position(weft_stop_words(), 'or') * 128 \
                 + array_position(weft_stop_words(), 'not'))::int2",
    )
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert!(pairs.contains(&or_not), "{pairs:?}");
}

/// Stop words in a head are found through the head's words (journal_search.head_words),
/// whatever their case and the punctuation around them, in each field, and after the head
/// changes; a word inside a longer one, or joined to it by an underscore, is not.
#[tokio::test]
async fn stop_words_are_found_in_titles_tags_notes_and_places_however_they_are_written() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Over THERE, by the sea",
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            tags: &["there-and-back"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Wednesday",
            notes: Some("We went.\nThere!"),
            day: 2,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Thursday",
            location: Some("(there)"),
            day: 3,
            ..Default::default()
        },
    )
    .await;
    let thereabouts = entry(
        &app,
        &alice,
        Entry {
            title: "Thereabouts",
            notes: Some("out_there"),
            tags: &["nowhere"],
            day: 4,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &bob,
        Entry {
            title: "there",
            ..Default::default()
        },
    )
    .await;

    // Title, then tags, then notes and place (newest first).
    assert_eq!(
        titles(&app, &alice, "there").await,
        vec!["Over THERE, by the sea", "Tuesday", "Thursday", "Wednesday"]
    );
    assert_eq!(
        titles(&app, &alice, "\"over there\" OR we").await,
        vec!["Over THERE, by the sea", "Wednesday"]
    );
    // Every word must be there, in any field; one word alone finds nothing.
    assert_eq!(
        titles(&app, &alice, "the there").await,
        vec!["Over THERE, by the sea"]
    );
    assert!(titles(&app, &alice, "there then").await.is_empty());

    // The words follow a new title and a new tag, and a removed tag.
    let path = format!("/api/v1/journals/{thereabouts}");
    let response = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&alice.token)
        .json(&json!({"title": "Here and there"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        titles(&app, &alice, "here").await,
        vec!["Here and there"],
        "a title's new words are found"
    );
    assert_eq!(titles(&app, &alice, "there").await[0], "Here and there");
    let response = app
        .client
        .post(app.url(&format!("{path}/tags")))
        .bearer_auth(&alice.token)
        .json(&json!({"tag": "Once"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(titles(&app, &alice, "once").await, vec!["Here and there"]);
    let response = app
        .client
        .delete(app.url(&format!("{path}/tags/once")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert!(titles(&app, &alice, "once").await.is_empty());

    // Never another user's.
    assert_eq!(titles(&app, &bob, "there").await, vec!["there"]);
}

#[tokio::test]
async fn moments_point_at_the_segments_where_the_word_was_said() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Long talk",
            said: &[
                "good morning",
                "I walked to the bakery",
                "then home again",
                "the bakery was closed",
            ],
            ..Default::default()
        },
    )
    .await;

    let results = search(&app, &alice, "bakery").await;

    let item = &results["items"][0];
    assert_eq!(moment_starts(item), vec![10.0, 30.0]);
    assert_eq!(item["moments"][0]["end"], 19.5);
    assert_eq!(
        item["moments"][0]["highlighted"],
        "I walked to the <mark>bakery</mark>"
    );
    // The moments show the words; a snippet would only repeat them.
    assert_eq!(item["snippet"], "", "{item}");
}

/// Segments of the wrong shape (written by other tools, or restored from old backups) give
/// no moment and no error, whether their text matches or not: a start that is not a
/// number, an end that is null, a text that is an array, an element that is not an
/// object. Searched by its stems and, for a word full-text search ignores, as written.
#[tokio::test]
async fn segments_of_the_wrong_shape_give_no_moment_and_no_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let id = entry(
        &app,
        &alice,
        Entry {
            title: "Errands",
            said: &["there was the bakery"],
            ..Default::default()
        },
    )
    .await;
    sqlx::query("UPDATE transcripts SET segments = $2 WHERE journal_id = $1")
        .bind(id)
        .bind(json!([
            {"start": "ten", "end": 12.0, "text": "there was a bakery"},
            {"start": 1.0, "end": null, "text": "there was a bakery"},
            {"start": 2.0, "end": 3.0, "text": ["there", "bakery"]},
            "there was a bakery",
            {"start": 20.0, "end": 25.0, "text": "there was the bakery", "words": "bakery"},
        ]))
        .execute(&app.db.admin)
        .await
        .unwrap();

    for query in ["bakery", "there"] {
        let results = search(&app, &alice, query).await;
        let item = &results["items"][0];
        assert_eq!(moment_starts(item), vec![20.0], "{query}: {item}");
        // Words that are not a list: the moment points at its start.
        assert_eq!(item["moments"][0]["at"], 20.0, "{query}: {item}");
    }
}

#[tokio::test]
async fn moments_are_found_for_every_form_of_a_word_and_each_marks_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Forms",
            said: &[
                "The plant was DYING slowly",
                "grey skies over the harbour",
                "so many possibilities today",
                "my well-being matters",
                "see HTTP://Example.com/Notes later",
                "a die was cast",
                "the sky again, the sky",
                "another sky at dusk",
            ],
            ..Default::default()
        },
    )
    .await;

    // Each query's stem differs from what was said (dying → die, skies → sky,
    // possibilities → possibl); the moments are still the segments that say it.
    for (q, expected) in [
        ("dies", vec![0.0, 50.0]),
        ("sky", vec![10.0, 60.0, 70.0]),
        ("possibility", vec![20.0]),
        ("possi*", vec![20.0]),
        ("well-being", vec![30.0]),
        ("example.com/notes", vec![40.0]),
    ] {
        let results = search(&app, &alice, q).await;
        let item = &results["items"][0];
        assert_eq!(moment_starts(item), expected, "{q}: {item}");
    }

    let results = search(&app, &alice, "sky").await;
    let marked: Vec<&str> = results["items"][0]["moments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["highlighted"].as_str().unwrap())
        .collect();
    assert_eq!(
        marked,
        vec![
            "grey <mark>skies</mark> over the harbour",
            "the <mark>sky</mark> again, the <mark>sky</mark>",
            "another <mark>sky</mark> at dusk",
        ]
    );
}

/// The keys a segment must contain to be stemmed at all (`search::tsquery_keys_sql`) are
/// in every word that stems to a lexeme of the query, or to one that a prefix of the query
/// begins: checked on every word of the system's English dictionary and every prefix of
/// its stem. A word the keys missed would lose its moments.
#[tokio::test]
async fn every_word_of_a_dictionary_contains_the_key_of_its_stem() {
    let path = "/usr/share/dict/words";
    let words = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; scripts/install-deps --test installs it"));
    let words: Vec<&str> = words.lines().collect();
    assert!(words.len() > 50_000, "{path} has {} words", words.len());
    let db = fresh_db().await;
    let keys = weft::search::tsquery_keys_sql("k.q");
    let sql = format!(
        "WITH stems AS ( \
             SELECT w.word, l.lexeme FROM unnest($1::text[]) AS w(word) \
             CROSS JOIN LATERAL unnest(to_tsvector('english', w.word)) AS l), \
         asked AS ( \
             SELECT s.word, quote_literal(s.lexeme)::tsquery AS q FROM stems s \
             UNION ALL \
             SELECT s.word, (quote_literal(left(s.lexeme, n)) || ':*')::tsquery \
             FROM stems s CROSS JOIN LATERAL generate_series(1, length(s.lexeme) - 1) AS n) \
         SELECT count(*), \
                array_agg(k.word || ' ' || k.q::text) FILTER (WHERE NOT lower(k.word) LIKE ANY (kk.keys)) \
         FROM asked k CROSS JOIN LATERAL (SELECT {keys} AS keys) kk"
    );
    let (asked, missed): (i64, Option<Vec<String>>) = sqlx::query_as(&sql)
        .bind(&words)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(asked > 500_000, "{asked} stems and prefixes");
    assert_eq!(missed, None, "words without the key of their stem");
}

#[tokio::test]
async fn a_snippet_is_escaped_html() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Code",
            notes: Some("<script>alert(1)</script> tea & cake"),
            ..Default::default()
        },
    )
    .await;

    let results = search(&app, &alice, "cake").await;

    let snippet = results["items"][0]["snippet"].as_str().unwrap();
    // PostgreSQL's headline drops markup; what is left is escaped.
    assert!(!snippet.contains("<script>"), "{snippet}");
    assert!(snippet.contains("tea &amp; <mark>cake</mark>"), "{snippet}");
}

#[tokio::test]
async fn hostile_queries_answer_200_or_422_never_500() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Plain",
            said: &["it's 50% off"],
            ..Default::default()
        },
    )
    .await;
    let hostile = [
        "'",
        "\"",
        "\\",
        "%",
        "_",
        "%_%",
        "' OR 1=1 --",
        "a & b | !c",
        "(((",
        "):*",
        "!!",
        "<->",
        "a:*B",
        "\u{0}",
        "\u{202e}evil",
        "日本語",
        "🙂🙂",
        "-",
        "--",
        "OR",
        "*",
        "**a",
        "\"unclosed",
        "a\\'b",
        "x'; DROP TABLE journals; --",
        "\u{feff}",
        "a\u{301}",
        &"long ".repeat(60),
    ];
    for q in hostile {
        let url = reqwest::Url::parse_with_params(&app.url("/api/v1/search"), &[("q", q)]).unwrap();
        let response = app
            .client
            .get(url)
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 200 || status == 422, "{q:?} answered {status}");
        if status == 422 {
            let body: Value = response.json().await.unwrap();
            // NUL is refused at the edge, for every route alike.
            let code = if q.contains('\0') {
                "invalid_text"
            } else {
                "invalid_field"
            };
            assert_eq!(body["error"]["code"], code, "{q:?}: {body}");
        }
    }
    // The data is still there.
    assert_eq!(titles(&app, &alice, "50%").await, vec!["Plain"]);
}

#[tokio::test]
async fn an_empty_query_a_bad_cursor_and_a_bad_limit_are_422() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for path in [
        "/api/v1/search",
        "/api/v1/search?q=",
        "/api/v1/search?q=%20%20",
        "/api/v1/search?q=-work",
        "/api/v1/search?q=tea&cursor=garbage",
        "/api/v1/search?q=tea&limit=0",
        "/api/v1/search?q=tea&from=yesterday",
    ] {
        let response = app.get_as(&alice.token, path).await;
        assert_eq!(response.status(), 422, "{path}");
    }
    let response = app
        .client
        .get(app.url("/api/v1/search?q=tea"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn paging_walks_every_result_once_in_rank_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for day in 0..7 {
        let title = if day % 3 == 0 {
            format!("Rain {day}")
        } else {
            format!("Day {day}")
        };
        entry(
            &app,
            &alice,
            Entry {
                title: &title,
                said: &["rain again today"],
                day,
                ..Default::default()
            },
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = reqwest::Url::parse_with_params(
            &app.url("/api/v1/search"),
            &[("q", "rain"), ("limit", "3")],
        )
        .unwrap();
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let page: Value = app
            .client
            .get(url)
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["journal"]["title"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec!["Rain 6", "Rain 3", "Rain 0", "Day 5", "Day 4", "Day 2", "Day 1"]
    );
}

#[tokio::test]
async fn the_tag_and_date_filters_narrow_a_search() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Swim one",
            tags: &["sport"],
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Swim two",
            tags: &["sport", "family"],
            day: 10,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Swim three",
            tags: &["family"],
            day: 20,
            ..Default::default()
        },
    )
    .await;

    let tagged = app
        .get_as(&alice.token, "/api/v1/search?q=swim&tag=sport")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(tagged["items"].as_array().unwrap().len(), 2);
    let both = app
        .get_as(&alice.token, "/api/v1/search?q=swim&tag=sport,family")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(both["items"][0]["journal"]["title"], "Swim two");
    assert_eq!(both["items"].as_array().unwrap().len(), 1);
    let dated = app
        .get_as(
            &alice.token,
            "/api/v1/search?q=swim&from=2026-01-05&to=2026-01-15",
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(dated["items"].as_array().unwrap().len(), 1);
    assert_eq!(dated["items"][0]["journal"]["title"], "Swim two");
}

#[tokio::test]
async fn search_follows_edits_corrections_tag_changes_and_deletes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let id = entry(
        &app,
        &alice,
        Entry {
            title: "Morning",
            said: &["a walk to the mill"],
            ..Default::default()
        },
    )
    .await;
    let path = format!("/api/v1/journals/{id}");

    // A corrected transcript replaces the engine's words in search.
    let response = app
        .client
        .put(app.url(&format!("{path}/transcript")))
        .bearer_auth(&alice.token)
        .json(&json!({"text": "a walk to the windmill", "segments": [{"start": 0.0, "end": 3.0, "text": "a walk to the windmill"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(titles(&app, &alice, "windmill").await, vec!["Morning"]);
    assert!(
        titles(&app, &alice, "mill").await.is_empty()
            || search(&app, &alice, "mill").await["partial"] == true
    );

    // A new title and a new tag are searchable at once.
    app.client
        .patch(app.url(&path))
        .bearer_auth(&alice.token)
        .json(&json!({"title": "Sunday stroll"}))
        .send()
        .await
        .unwrap();
    app.client
        .post(app.url(&format!("{path}/tags")))
        .bearer_auth(&alice.token)
        .json(&json!({"tag": "Outdoors"}))
        .send()
        .await
        .unwrap();
    assert_eq!(titles(&app, &alice, "stroll").await, vec!["Sunday stroll"]);
    assert_eq!(
        titles(&app, &alice, "outdoors").await,
        vec!["Sunday stroll"]
    );

    // A removed tag no longer finds it; a deleted journal is gone.
    app.client
        .delete(app.url(&format!("{path}/tags/outdoors")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert!(titles(&app, &alice, "outdoors").await.is_empty());
    app.client
        .delete(app.url(&path))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert!(titles(&app, &alice, "windmill").await.is_empty());
}

#[tokio::test]
async fn tags_are_set_added_removed_listed_renamed_and_merged() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let one = entry(
        &app,
        &alice,
        Entry {
            title: "One",
            tags: &["trip"],
            ..Default::default()
        },
    )
    .await;
    let two = entry(
        &app,
        &alice,
        Entry {
            title: "Two",
            tags: &["travel", "trip"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    let theirs = entry(
        &app,
        &bob,
        Entry {
            title: "Bob's",
            tags: &["trip"],
            ..Default::default()
        },
    )
    .await;

    // Set: normalised, repeats dropped.
    let response = app
        .client
        .put(app.url(&format!("/api/v1/journals/{one}/tags")))
        .bearer_auth(&alice.token)
        .json(&json!({"tags": [" Trip ", "TRIP", "sea"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["tags"],
        json!(["sea", "trip"])
    );

    // Counts, most used first.
    let list: Value = app
        .get_as(&alice.token, "/api/v1/tags")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"],
        json!([{"tag": "trip", "count": 2}, {"tag": "sea", "count": 1}, {"tag": "travel", "count": 1}])
    );

    // Merge "trip" into "travel": journal two carried both and keeps one.
    let response = app
        .client
        .post(app.url("/api/v1/tags/trip/rename"))
        .bearer_auth(&alice.token)
        .json(&json!({"to": "Travel"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"tag": "travel", "journals": 2})
    );
    let list: Value = app
        .get_as(&alice.token, "/api/v1/tags")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"],
        json!([{"tag": "travel", "count": 2}, {"tag": "sea", "count": 1}])
    );
    let view: Value = app
        .get_as(&alice.token, &format!("/api/v1/journals/{two}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["tags"], json!(["travel"]));

    // Bob's tags are his own.
    let view: Value = app
        .get_as(&bob.token, &format!("/api/v1/journals/{theirs}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["tags"], json!(["trip"]));
    let response = app
        .client
        .post(app.url("/api/v1/tags/sea/rename"))
        .bearer_auth(&bob.token)
        .json(&json!({"to": "ocean"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .client
        .post(app.url(&format!("/api/v1/journals/{one}/tags")))
        .bearer_auth(&bob.token)
        .json(&json!({"tag": "mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Filter the timeline by tags.
    let page: Value = app
        .get_as(&alice.token, "/api/v1/journals?tag=travel,sea")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Bad tags are 422.
    for body in [
        json!({"tag": ""}),
        json!({"tag": "a,b"}),
        json!({"tag": "x".repeat(51)}),
    ] {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/journals/{one}/tags")))
            .bearer_auth(&alice.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
    }
    let response = app
        .client
        .post(app.url("/api/v1/tags/sea/rename"))
        .bearer_auth(&alice.token)
        .json(&json!({"to": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn a_journal_carries_at_most_twenty_tags() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let names: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let id = entry(
        &app,
        &alice,
        Entry {
            title: "Full",
            tags: &refs,
            ..Default::default()
        },
    )
    .await;

    let response = app
        .client
        .post(app.url(&format!("/api/v1/journals/{id}/tags")))
        .bearer_auth(&alice.token)
        .json(&json!({"tag": "one-more"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 422);
    let view: Value = app
        .get_as(&alice.token, &format!("/api/v1/journals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["tags"].as_array().unwrap().len(), 20);
}

/// GET `path` of the API as `who`, whatever the status.
async fn api_get(
    app: &TestApp,
    who: &Account,
    path: &str,
    params: &[(&str, &str)],
) -> reqwest::Response {
    let url = reqwest::Url::parse_with_params(&app.url(path), params).unwrap();
    app.client
        .get(url)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

/// A search through the API with these parameters, answered 200.
async fn search_with(app: &TestApp, who: &Account, params: &[(&str, &str)]) -> Value {
    let response = api_get(app, who, "/api/v1/search", params).await;
    assert_eq!(response.status(), 200, "searching {params:?}");
    response.json().await.unwrap()
}

fn result_titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["journal"]["title"].as_str().unwrap().to_string())
        .collect()
}

/// The search page as `who` sees it (signed in by the session cookie): status and HTML.
async fn search_page(app: &TestApp, who: &Account, query: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(&format!("/search?{query}")))
        .header(
            reqwest::header::COOKIE,
            format!("weft_session={}", who.token),
        )
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_location_is_found_and_follows_edits() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let id = entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            location: Some("Cascais, Portugal"),
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Wednesday",
            ..Default::default()
        },
    )
    .await;

    let found = search(&app, &alice, "Cascais").await;
    assert_eq!(result_titles(&found), vec!["Tuesday"]);
    assert!(
        found["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>Cascais</mark>"),
        "{found}"
    );
    // Part of the place's name finds it too, through the word list.
    assert_eq!(titles(&app, &alice, "casca").await, vec!["Tuesday"]);

    // A new location replaces the old one in search.
    let user_id: Uuid = alice.id.parse().unwrap();
    let mut tx = begin_for_user(&app.db.admin, user_id).await.unwrap();
    sqlx::query("UPDATE journals SET location = 'Sintra' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(titles(&app, &alice, "Sintra").await, vec!["Tuesday"]);
    assert!(titles(&app, &alice, "Cascais").await.is_empty());
}

#[tokio::test]
async fn a_misspelling_suggests_the_users_own_word_and_never_another_users() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            said: &["my sister came round for tea"],
            ..Default::default()
        },
    )
    .await;
    // Closer to the misspelling than alice's word, but only bob wrote it.
    entry(
        &app,
        &bob,
        Entry {
            title: "Sistra notes",
            ..Default::default()
        },
    )
    .await;

    // Nothing contains "sistr": alice gets her own word, and its results.
    let body = search(&app, &alice, "sistr tea").await;
    assert_eq!(body["suggestion"], "sister tea", "{body}");
    assert_eq!(body["corrected"], true);
    assert_eq!(result_titles(&body), vec!["Tuesday"]);
    assert!(body["items"][0]["moments"][0]["highlighted"]
        .as_str()
        .unwrap()
        .contains("<mark>sister</mark>"));

    // bob's own word contains the letters: partial words find it, nothing to suggest.
    let body = search(&app, &bob, "sistr").await;
    assert_eq!(result_titles(&body), vec!["Sistra notes"]);
    assert_eq!(body["suggestion"], Value::Null, "{body}");
    assert_eq!(body["partial"], true);
    // A misspelling of his word gets his word, never alice's.
    let body = search(&app, &bob, "sistar").await;
    assert_eq!(body["suggestion"], "sistra", "{body}");
    assert_eq!(body["corrected"], true);

    // carol has no such word; neither alice's nor bob's is shown to her.
    let body = search(&app, &carol, "sistr").await;
    assert_eq!(body["suggestion"], Value::Null, "{body}");
    assert_eq!(body["items"], json!([]));

    // A word that is found is never "corrected".
    let body = search(&app, &alice, "sister").await;
    assert_eq!(body["suggestion"], Value::Null);

    // The page shows the suggestion's results, and the suggestion as a link that runs it.
    let (status, html) = search_page(&app, &alice, "q=sistr&scope=all").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"Showing results for “<a id="suggestion" href="/search?q=sister&amp;scope=all">sister</a>”."#),
        "{html}"
    );
    assert!(!html.contains("sistra"), "{html}");
    // With a filter that leaves the suggestion nothing, it is offered as a question.
    let (_, html) = search_page(&app, &alice, "q=sistr&scope=titles").await;
    assert!(
        html.contains(r#"Did you mean <a id="suggestion" href="/search?q=sister&amp;scope=titles"><em>sister</em></a>?"#),
        "{html}"
    );
}

/// A word found in a result or two gets "did you mean" beside its results when a word an
/// edit away is in many more of the user's journals ("sistr", a slip said once, beside
/// "sister"); a rare word that is right, with no such neighbour, gets nothing.
#[tokio::test]
async fn a_slip_found_once_gets_the_commoner_word_suggested_beside_its_result() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Monday",
            said: &["my sistr called about the tether"],
            ..Default::default()
        },
    )
    .await;
    for day in 1..=4 {
        entry(
            &app,
            &alice,
            Entry {
                title: "Visit",
                said: &["my sister came round, we were together"],
                day,
                ..Default::default()
            },
        )
        .await;
    }

    let body = search(&app, &alice, "sistr").await;
    assert_eq!(result_titles(&body), vec!["Monday"], "{body}");
    assert_eq!(body["suggestion"], "sister", "{body}");
    assert_eq!(
        body["corrected"], false,
        "the results stay the typed word's"
    );

    // "tether" is right: "together" is commoner but two letters away from a short word.
    let body = search(&app, &alice, "tether").await;
    assert_eq!(result_titles(&body), vec!["Monday"]);
    assert_eq!(body["suggestion"], Value::Null, "{body}");

    // Many results: no suggestion is looked for.
    let body = search(&app, &alice, "sister").await;
    assert_eq!(body["suggestion"], Value::Null);

    let (status, html) = search_page(&app, &alice, "q=sistr").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(
            r#"Did you mean <a id="suggestion" href="/search?q=sister"><em>sister</em></a>?"#
        ),
        "{html}"
    );
    assert!(html.contains("1 result for “sistr”"), "{html}");
}

/// A word English full-text search leaves out is matched as written from the first page,
/// even where an English word stems to it (`haves` → `have`) and would be found as a whole
/// word: "have" finds what was said with "have", every entry of it.
#[tokio::test]
async fn a_stop_word_is_matched_as_written_even_where_a_stem_would_find_something() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for day in 0..3 {
        entry(
            &app,
            &alice,
            Entry {
                title: "We have",
                said: &["we have a dog now"],
                day,
                ..Default::default()
            },
        )
        .await;
    }
    entry(
        &app,
        &alice,
        Entry {
            title: "Rich",
            said: &["the haves were rich"],
            day: 5,
            ..Default::default()
        },
    )
    .await;

    let body = search(&app, &alice, "have").await;
    assert_eq!(
        result_titles(&body),
        vec!["We have", "We have", "We have"],
        "{body}"
    );
    assert_eq!(body["partial"], true, "matched as written");
}

#[tokio::test]
async fn british_and_american_spellings_find_each_other_and_are_marked() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Harbour walk",
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            said: &["good morning", "the harbor was grey and quiet"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    for query in ["harbour", "harbor", "Harbors"] {
        assert_eq!(
            titles(&app, &alice, query).await,
            vec!["Harbour walk", "Tuesday"],
            "{query}"
        );
    }
    let body = search(&app, &alice, "harbour gray").await;
    assert_eq!(result_titles(&body), vec!["Tuesday"]);
    let moment = &body["items"][0]["moments"][0];
    assert_eq!(moment["start"], 10.0);
    assert_eq!(
        moment["highlighted"],
        "the <mark>harbor</mark> was <mark>grey</mark> and quiet"
    );
    assert_eq!(
        search(&app, &alice, "harbor").await["items"][0]["snippet"],
        "<mark>Harbour</mark> walk"
    );
}

#[tokio::test]
async fn a_moment_marks_its_words_and_the_snippet_does_not_repeat_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            notes: Some("A quiet day"),
            said: &["we flew a red kite", "then went home"],
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Kite festival",
            said: &["so many kites today"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    let body = search(&app, &alice, "kite").await;
    assert_eq!(result_titles(&body), vec!["Kite festival", "Tuesday"]);
    // Only the transcript matched: the moment shows the words, and no snippet repeats it.
    let tuesday = &body["items"][1];
    assert_eq!(tuesday["snippet"], "");
    assert_eq!(tuesday["moments"].as_array().unwrap().len(), 1);
    assert_eq!(tuesday["moments"][0]["text"], "we flew a red kite");
    assert_eq!(
        tuesday["moments"][0]["highlighted"],
        "we flew a red <mark>kite</mark>"
    );
    // The title matched: the snippet shows where, the moment what was said.
    let festival = &body["items"][0];
    assert_eq!(festival["snippet"], "<mark>Kite</mark> festival");
    assert_eq!(
        festival["moments"][0]["highlighted"],
        "so many <mark>kites</mark> today"
    );
    // The page marks the moment's words too.
    let (_, html) = search_page(&app, &alice, "q=kite").await;
    assert!(
        html.contains(r#"<span class="text">we flew a red <mark>kite</mark></span>"#),
        "{html}"
    );
}

#[tokio::test]
async fn the_count_says_how_many_journals_match_on_every_page() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for day in 0..3 {
        entry(
            &app,
            &alice,
            Entry {
                title: "Tea",
                day,
                ..Default::default()
            },
        )
        .await;
    }
    entry(
        &app,
        &alice,
        Entry {
            title: "Coffee",
            day: 5,
            ..Default::default()
        },
    )
    .await;
    let first = search_with(&app, &alice, &[("q", "tea"), ("limit", "2")]).await;
    assert_eq!(first["count"], 3);
    assert_eq!(first["countCapped"], false);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = search_with(
        &app,
        &alice,
        &[("q", "tea"), ("limit", "2"), ("cursor", cursor)],
    )
    .await;
    assert_eq!(second["count"], 3);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(search(&app, &alice, "zeppelin").await["count"], 0);

    let (status, html) = search_page(&app, &alice, "q=tea").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<h2 class="results-heading" id="results-heading" tabindex="-1">3 results for “tea”</h2>"#)
            || html.contains(r#"<h2 id="results-heading" class="results-heading" tabindex="-1">3 results for “tea”</h2>"#),
        "{html}"
    );
    assert_eq!(html.matches("<h1").count(), 1, "one h1");
    let (_, empty) = search_page(&app, &alice, "").await;
    assert!(
        empty.contains(r#"<h1 class="search-title">Search</h1>"#),
        "{empty}"
    );
}

/// Excluding a word while searching one field looks at that field: "only titles" with
/// `-rain` keeps a journal whose notes, not its title, say "rain"; "only transcripts" keeps
/// one whose title says it.
#[tokio::test]
async fn an_excluded_word_in_another_field_does_not_hide_a_match_in_the_searched_one() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Harbour walk",
            notes: Some("rain all day"),
            said: &["the harbour was busy"],
            day: 0,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Harbour in the rain",
            said: &["we walked by the harbour"],
            day: 1,
            ..Default::default()
        },
    )
    .await;
    let titles_in = |scope: &'static str| {
        let app = &app;
        let alice = &alice;
        async move {
            let found = search_with(app, alice, &[("q", "harbour -rain"), ("scope", scope)]).await;
            result_titles(&found)
        }
    };

    assert_eq!(titles_in("titles").await, vec!["Harbour walk"]);
    assert_eq!(
        titles_in("transcripts").await,
        vec!["Harbour in the rain", "Harbour walk"]
    );
    assert!(titles_in("all").await.is_empty());
}

#[tokio::test]
async fn dates_tags_scope_and_sort_narrow_and_order_the_results() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Beach in the title",
            tags: &["summer"],
            day: 0,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Monday",
            said: &["we walked on the beach"],
            day: 10,
            ..Default::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tuesday",
            notes: Some("beach again"),
            tags: &["summer"],
            day: 20,
            ..Default::default()
        },
    )
    .await;
    let titles_of = |params: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let alice = &alice;
        async move {
            let mut all = vec![("q", "beach")];
            all.extend(params);
            result_titles(&search_with(app, alice, &all).await)
        }
    };
    assert_eq!(
        titles_of(vec![]).await,
        vec!["Beach in the title", "Tuesday", "Monday"]
    );
    assert_eq!(
        titles_of(vec![("sort", "newest")]).await,
        vec!["Tuesday", "Monday", "Beach in the title"]
    );
    assert_eq!(
        titles_of(vec![("sort", "oldest")]).await,
        vec!["Beach in the title", "Monday", "Tuesday"]
    );
    assert_eq!(
        titles_of(vec![("scope", "titles")]).await,
        vec!["Beach in the title"]
    );
    assert_eq!(
        titles_of(vec![("scope", "transcripts")]).await,
        vec!["Monday"]
    );
    assert_eq!(
        titles_of(vec![("from", "2026-01-05"), ("to", "2026-01-15")]).await,
        vec!["Monday"]
    );
    assert_eq!(
        titles_of(vec![("tag", "summer"), ("sort", "oldest")]).await,
        vec!["Beach in the title", "Tuesday"]
    );
    let counted = search_with(&app, &alice, &[("q", "beach"), ("scope", "titles")]).await;
    assert_eq!(counted["count"], 1);

    // Paging keeps the order, and a cursor of another order is refused.
    let first = search_with(
        &app,
        &alice,
        &[("q", "beach"), ("sort", "oldest"), ("limit", "2")],
    )
    .await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = search_with(
        &app,
        &alice,
        &[
            ("q", "beach"),
            ("sort", "oldest"),
            ("limit", "2"),
            ("cursor", cursor),
        ],
    )
    .await;
    assert_eq!(result_titles(&second), vec!["Tuesday"]);
    let mixed = api_get(
        &app,
        &alice,
        "/api/v1/search",
        &[("q", "beach"), ("limit", "2"), ("cursor", cursor)],
    )
    .await;
    assert_eq!(mixed.status(), 422);

    // The page's form keeps the filters, and so does its pager.
    let (status, html) = search_page(
        &app,
        &alice,
        "q=beach&sort=oldest&tag=summer&scope=all&from=2026-01-01",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<option value="oldest" selected>Oldest first</option>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="summer" selected>summer</option>"#),
        "{html}"
    );
    assert!(html.contains(r#"value="2026-01-01""#), "{html}");
    assert!(html.contains("2 results for"), "{html}");
    // Words that full-text search ignores are found as written, in order too.
    assert_eq!(
        result_titles(&search_with(&app, &alice, &[("q", "the"), ("sort", "oldest")]).await),
        vec!["Beach in the title", "Monday"]
    );
    assert_eq!(
        result_titles(&search_with(&app, &alice, &[("q", "the"), ("scope", "transcripts")]).await),
        vec!["Monday"]
    );
}

#[tokio::test]
async fn bad_filters_are_refused_with_a_message_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for (params, field) in [
        (vec![("from", "2024-13-40")], "from"),
        (vec![("to", "tomorrow")], "to"),
        (vec![("from", "2026-02-01"), ("to", "2026-01-01")], "to"),
        (vec![("sort", "sideways")], "sort"),
        (vec![("scope", "everywhere")], "scope"),
    ] {
        let mut all = vec![("q", "tea")];
        all.extend(params.iter().copied());
        let response = api_get(&app, &alice, "/api/v1/search", &all).await;
        assert_eq!(response.status(), 422, "{params:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{params:?}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{body}");
    }
    let response = api_get(
        &app,
        &alice,
        "/api/v1/search",
        &[("q", "tea"), ("tag", "a\0b")],
    )
    .await;
    crate::common::assert_invalid_text(response, "tag", "a tag with NUL").await;

    let (status, html) = search_page(&app, &alice, "q=tea&from=2024-13-40").await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"class="notice error""#), "{html}");
    let (status, html) = search_page(&app, &alice, "q=tea&sort=sideways").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Choose an order: best, newest or oldest."),
        "{html}"
    );
    // Even without a query, a bad filter is said, not kept silently.
    let (status, _) = search_page(&app, &alice, "scope=everywhere").await;
    assert_eq!(status, 422);
    let (status, _) = search_page(&app, &alice, "q=tea&tag=a%00b").await;
    assert_eq!(status, 422);
}
