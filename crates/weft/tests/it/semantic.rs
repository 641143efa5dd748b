//! Search by meaning with the real model (all-MiniLM-L6-v2 from PyPI) and the real pgvector:
//! paraphrases find the right journals on a labelled set (recall@5), another user's
//! passages never appear, a corrected transcript is embedded again, both modes blend, and a
//! server without the extension says so while search by words goes on.

use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};
use uuid::Uuid;
use weft::semantic::find::Mode;
use weft::semantic::{self, Embedder, Semantic, Vectors};

use crate::common::db::fresh_db;
use crate::common::{spawn_app_with, tools_dir, Account, TestApp};
use crate::search::{entry, Entry};

/// The model, loaded once for every test of this binary.
fn embedder() -> Arc<Embedder> {
    static MODEL: OnceLock<Arc<Embedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = std::env::var_os("WEFT_EMBEDDING_MODEL")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| tools_dir().join("models/minilm"));
            let model = Embedder::load(&dir).unwrap_or_else(|error| {
                panic!(
                    "no embedding model in {}: run scripts/install-deps ({error})",
                    dir.display()
                )
            });
            Arc::new(model)
        })
        .clone()
}

/// A server whose search by meaning has the model and the database's pgvector.
async fn app() -> TestApp {
    let db = fresh_db().await;
    let vectors = semantic::index::ensure(&db.admin).await;
    assert!(
        matches!(vectors, Vectors::Ready { .. }),
        "pgvector is missing from the test database server: run scripts/install-deps ({vectors:?})"
    );
    spawn_app_with(db, |context| weft::api::ApiContext {
        semantic: Semantic::with(Ok(embedder()), vectors),
        ..context
    })
    .await
}

/// Embeds everything queued, as the server's worker would.
async fn embed_all(app: &TestApp) {
    let semantic = Semantic::with(Ok(embedder()), Vectors::Missing("not needed".into()));
    loop {
        let pass = semantic::worker::one_pass(&app.db.admin, &semantic)
            .await
            .expect("an embedding pass");
        assert_eq!(pass.failed, 0, "an embedding failed");
        if pass.journals == 0 {
            break;
        }
    }
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM embedding_queue")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(waiting, 0, "the queue is empty after the passes");
}

async fn search(app: &TestApp, who: &Account, params: &[(&str, &str)]) -> reqwest::Response {
    let url = reqwest::Url::parse_with_params(&app.url("/api/v1/search"), params).unwrap();
    app.client
        .get(url)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

async fn found(app: &TestApp, who: &Account, q: &str, mode: &str) -> Vec<String> {
    let response = search(app, who, &[("q", q), ("mode", mode), ("limit", "5")]).await;
    assert_eq!(response.status(), 200, "{q}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mode"], mode);
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["journal"]["title"].as_str().unwrap().to_string())
        .collect()
}

/// Journals on two dozen subjects, each told in three sentences that mostly avoid the words
/// of the queries below.
const JOURNALS: [(&str, [&str; 3]); 24] = [
    (
        "Monday",
        [
            "I barely slept last night.",
            "I have been exhausted all day and had no energy at work.",
            "Going to bed early tonight.",
        ],
    ),
    (
        "Morning",
        [
            "Took Biscuit to the park before breakfast.",
            "He chased the ducks by the pond and would not come back.",
            "The leash snapped on the way home.",
        ],
    ),
    (
        "Sunday lunch",
        [
            "Made fresh pasta from scratch for the first time.",
            "Rolled the dough really thin on the counter.",
            "Tomato sauce with basil from the window box.",
        ],
    ),
    (
        "The bank",
        [
            "Had the interview at the bank this afternoon.",
            "They asked a lot about my previous role and why I left.",
            "I think it went well, fingers crossed they call me.",
        ],
    ),
    (
        "Ninety",
        [
            "Grandma turned ninety today.",
            "The whole family came over, even the cousins from Leeds.",
            "We sang to her and she cried a little.",
        ],
    ),
    (
        "Eighteen k",
        [
            "Ran eighteen kilometres before work.",
            "My knees are sore and my legs feel heavy.",
            "The race is in three weeks and I need more hills.",
        ],
    ),
    (
        "Stuck",
        [
            "The car would not start this morning.",
            "Waited two hours on the hard shoulder for the tow truck.",
            "The mechanic says it is the alternator.",
        ],
    ),
    (
        "Loud night",
        [
            "Thunder kept me up until three.",
            "The street outside flooded and the drains overflowed.",
            "The power went out for an hour.",
        ],
    ),
    (
        "Chords",
        [
            "Practised chords for an hour after dinner.",
            "My fingertips hurt from pressing the strings.",
            "Finally played a whole song without stopping.",
        ],
    ),
    (
        "Boxes",
        [
            "Packed the last boxes and handed back the keys.",
            "The new flat has a balcony and more light.",
            "The removal men broke a lamp but were very sorry.",
        ],
    ),
    (
        "Anna",
        [
            "Anna and I had a fight about the money she owes.",
            "She hung up on me halfway through.",
            "I should call her tomorrow and apologise.",
        ],
    ),
    (
        "Cough",
        [
            "Went to see the doctor about this cough.",
            "She prescribed antibiotics and told me to rest.",
            "I have to stay home for three days.",
        ],
    ),
    (
        "Harbour",
        [
            "Swam in the sea at sunset.",
            "The sand was burning hot at noon.",
            "We ate grilled fish at a little place by the harbour.",
        ],
    ),
    (
        "Allotment",
        [
            "Planted tomatoes and courgettes in the raised beds.",
            "The slugs ate half of the lettuce again.",
            "Watered everything twice because it was so dry.",
        ],
    ),
    (
        "Rent",
        [
            "The rent went up again this month.",
            "I honestly do not know how we will pay all the bills.",
            "We are cutting back on eating out and takeaways.",
        ],
    ),
    (
        "Welcome",
        [
            "My nephew was born at six this morning.",
            "He has the tiniest fingers I have ever seen.",
            "My brother looks completely terrified and happy.",
        ],
    ),
    (
        "The lighthouse",
        [
            "Finished the novel about the lighthouse keeper.",
            "The ending made me cry on the train.",
            "Starting the sequel tonight.",
        ],
    ),
    (
        "Presentation",
        [
            "My heart was racing before the presentation.",
            "I did the slow breathing exercise in the bathroom.",
            "Felt much calmer once I started talking.",
        ],
    ),
    (
        "Miso",
        [
            "Miso stopped eating her food two days ago.",
            "The vet found a bad tooth and took it out.",
            "She is purring on my lap again.",
        ],
    ),
    (
        "Slopes",
        [
            "First time on skis in the Alps.",
            "Fell over about twenty times on the beginner run.",
            "The views from the top were incredible.",
        ],
    ),
    (
        "Smoke",
        [
            "Burnt the bread completely.",
            "The smoke alarm went off and woke the neighbours.",
            "We ordered a pizza instead.",
        ],
    ),
    (
        "Arena",
        [
            "Saw the band play at the arena.",
            "The whole crowd sang every word of the last song.",
            "My ears are still ringing.",
        ],
    ),
    (
        "Saturday",
        [
            "Sorted tins and packets at the food bank.",
            "Met some lovely people who have done it for years.",
            "Going back next Saturday to help again.",
        ],
    ),
    (
        "Bus",
        [
            "I lost my wallet on the bus home.",
            "Spent the evening cancelling all my cards.",
            "Someone handed it in at the station, nothing missing.",
        ],
    ),
];

/// Paraphrases, each with the journal that should come first.
const QUERIES: [(&str, &str); 24] = [
    ("when did I talk about feeling tired", "Monday"),
    ("walking my pet", "Morning"),
    ("homemade Italian food", "Sunday lunch"),
    ("applying for a new job", "The bank"),
    ("a celebration for an elderly relative", "Ninety"),
    ("training for a long distance run", "Eighteen k"),
    ("my vehicle broke down", "Stuck"),
    ("a storm in the night", "Loud night"),
    ("learning to play an instrument", "Chords"),
    ("moving to a new apartment", "Boxes"),
    ("an argument with my sister", "Anna"),
    ("being ill", "Cough"),
    ("a day at the beach", "Harbour"),
    ("growing vegetables", "Allotment"),
    ("worried about money", "Rent"),
    ("a new baby in the family", "Welcome"),
    ("a book that moved me", "The lighthouse"),
    ("feeling anxious and nervous", "Presentation"),
    ("my cat was unwell", "Miso"),
    ("winter sports holiday", "Slopes"),
    ("a cooking disaster", "Smoke"),
    ("going to a concert", "Arena"),
    ("volunteering for charity", "Saturday"),
    ("losing something important", "Bus"),
];

#[tokio::test]
async fn paraphrases_find_the_journals_that_mean_them_recall_at_5() {
    let app = app().await;
    let alice = app.register("alice").await;
    for (day, (title, said)) in JOURNALS.iter().enumerate() {
        entry(
            &app,
            &alice,
            Entry {
                title,
                said,
                day: day as i64,
                ..Entry::default()
            },
        )
        .await;
    }
    embed_all(&app).await;

    let (mut at_1, mut at_5) = (0, 0);
    let mut misses = Vec::new();
    for (q, wanted) in QUERIES {
        let titles = found(&app, &alice, q, "meaning").await;
        match titles.iter().position(|title| title == wanted) {
            Some(0) => {
                at_1 += 1;
                at_5 += 1;
            }
            Some(_) => at_5 += 1,
            None => misses.push(format!("{q:?} wanted {wanted:?}, found {titles:?}")),
        }
    }
    let recall = at_5 as f64 / QUERIES.len() as f64;
    println!(
        "recall@5 {recall:.2} ({at_5}/{n}), first {at_1}/{n}; misses: {misses:#?}",
        n = QUERIES.len()
    );
    assert!(recall >= 0.9, "recall@5 {recall:.2}: {misses:#?}");
    // Search by words finds none of these: the queries share no words with the answers.
    let by_words = found(&app, &alice, "homemade Italian food", "words").await;
    assert!(by_words.is_empty(), "{by_words:?}");

    // Alice has few passages, so the server compared every one of them. Through the HNSW
    // index (what a user with many gets) the same journals come first.
    let exact = Semantic::with(Ok(embedder()), vectors(&app).await);
    let indexed = exact.clone().exact_up_to(0);
    let user_id: Uuid = alice.id.parse().unwrap();
    let mut agree = 0;
    for (q, _) in QUERIES {
        let first_5 = |semantic: Semantic| {
            let pool = app.db.pool.clone();
            async move {
                let mut tx = weft::db::scoped::begin_for_user(&pool, user_id)
                    .await
                    .unwrap();
                let request = weft::search::SearchRequest {
                    q: q.to_string(),
                    limit: 5,
                    ..Default::default()
                };
                let page = semantic::find::search(&mut tx, &semantic, Mode::Meaning, &request)
                    .await
                    .unwrap();
                page.items
                    .into_iter()
                    .map(|hit| hit.journal.journal.title)
                    .collect::<Vec<_>>()
            }
        };
        let (by_index, by_all) = (first_5(indexed.clone()).await, first_5(exact.clone()).await);
        assert_eq!(by_index.first(), by_all.first(), "{q:?}");
        agree += usize::from(by_index == by_all);
    }
    // The index is approximate: on 24 journals it may swap a neighbour, never the first.
    assert!(
        agree >= QUERIES.len() - 2,
        "{agree} of {} agree",
        QUERIES.len()
    );
    app.stop().await;
}

/// The database's pgvector, as the server found it.
async fn vectors(app: &TestApp) -> Vectors {
    semantic::index::ensure(&app.db.admin).await
}

#[tokio::test]
async fn moments_point_at_the_passage_and_both_modes_blend() {
    let app = app().await;
    let alice = app.register("alice").await;
    let said = [
        "We drove to the coast early.",
        "Nothing much happened on the road.",
        "Traffic was fine.",
        "Lunch was sandwiches in the car.",
        "Then in the afternoon I was exhausted and had no energy at all.",
        "I slept in the passenger seat all the way home.",
    ];
    entry(
        &app,
        &alice,
        Entry {
            title: "Road trip",
            said: &said,
            ..Entry::default()
        },
    )
    .await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Feeling tired",
            notes: Some("a note"),
            ..Entry::default()
        },
    )
    .await;
    embed_all(&app).await;

    let response = search(
        &app,
        &alice,
        &[("q", "when was I worn out"), ("mode", "meaning")],
    )
    .await;
    let body: Value = response.json().await.unwrap();
    let trip = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["journal"]["title"] == "Road trip")
        .expect("the road trip is found by meaning");
    assert!(
        trip["snippet"].as_str().unwrap().contains("exhausted"),
        "{trip}"
    );
    let moments = trip["moments"].as_array().unwrap();
    assert!(
        moments.iter().any(
            |moment| moment["text"].as_str().unwrap().contains("exhausted")
                && moment["start"].as_f64().unwrap() >= 20.0
        ),
        "a moment is the passage that says it, not the start: {moments:?}"
    );

    // Both: the title found by its words and the trip by its meaning.
    let both = found(&app, &alice, "tired", "both").await;
    assert!(both.contains(&"Feeling tired".to_string()), "{both:?}");
    assert!(both.contains(&"Road trip".to_string()), "{both:?}");
    let words = found(&app, &alice, "tired", "words").await;
    assert_eq!(words, ["Feeling tired"]);

    // The cursor of one mode is refused by another.
    let response = search(
        &app,
        &alice,
        &[("q", "tired"), ("mode", "meaning"), ("limit", "1")],
    )
    .await;
    let body: Value = response.json().await.unwrap();
    let cursor = body["nextCursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let response = search(
        &app,
        &alice,
        &[("q", "tired"), ("mode", "both"), ("cursor", &cursor)],
    )
    .await;
    assert_eq!(response.status(), 422);
    let response = search(
        &app,
        &alice,
        &[("q", "tired"), ("mode", "meaning"), ("cursor", &cursor)],
    )
    .await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn another_users_passages_never_appear() {
    let app = app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Garden",
            said: &["Planted some bulbs."],
            ..Entry::default()
        },
    )
    .await;
    let bobs = entry(
        &app,
        &bob,
        Entry {
            title: "Bob's tired day",
            said: &["I was exhausted and had no energy."],
            ..Entry::default()
        },
    )
    .await;
    embed_all(&app).await;

    for mode in ["meaning", "both"] {
        let titles = found(&app, &alice, "feeling tired", mode).await;
        assert!(
            !titles.iter().any(|t| t.contains("Bob")),
            "{mode}: {titles:?}"
        );
    }
    assert_eq!(
        found(&app, &bob, "feeling tired", "meaning").await,
        ["Bob's tired day"]
    );
    // Row-level security holds in the database itself: as Alice, on the server's own role (the
    // superuser is above it), Bob's passages do not exist.
    let alice_id: Uuid = alice.id.parse().unwrap();
    let mut tx = weft::db::scoped::begin_for_user(&app.db.pool, alice_id)
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM passages WHERE journal_id = $1")
        .bind(bobs)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_corrected_transcript_is_embedded_again() {
    let app = app().await;
    let alice = app.register("alice").await;
    let id = entry(
        &app,
        &alice,
        Entry {
            title: "Evening",
            said: &["We talked about the garden and the roses."],
            ..Entry::default()
        },
    )
    .await;
    embed_all(&app).await;
    assert!(found(&app, &alice, "the stock market", "meaning")
        .await
        .is_empty());

    let response = app
        .client
        .put(app.url(&format!("/api/v1/journals/{id}/transcript")))
        .bearer_auth(&alice.token)
        .json(&json!({"text": "We talked about shares falling and the stock market crash.",
                      "segments": [{"start": 0.0, "end": 6.0, "text": "We talked about shares falling and the stock market crash."}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM embedding_queue WHERE journal_id = $1")
            .bind(id)
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
    assert_eq!(queued, 1, "the correction queued the journal");
    embed_all(&app).await;
    assert_eq!(
        found(&app, &alice, "financial news", "meaning").await,
        ["Evening"]
    );
    assert!(found(&app, &alice, "flowers in the garden", "meaning")
        .await
        .is_empty());

    // A new title is embedded too.
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/journals/{id}")))
        .bearer_auth(&alice.token)
        .json(&json!({"title": "Dinner with my accountant"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    embed_all(&app).await;
    let titles = found(&app, &alice, "meeting about taxes", "meaning").await;
    assert_eq!(titles, ["Dinner with my accountant"]);
    app.stop().await;
}

#[tokio::test]
async fn without_pgvector_meaning_answers_503_and_words_still_work() {
    let db = fresh_db().await;
    let app = spawn_app_with(db, |context| weft::api::ApiContext {
        semantic: Semantic::with(
            Ok(embedder()),
            Vectors::Missing("the database server has no pgvector extension".into()),
        ),
        ..context
    })
    .await;
    let alice = app.register("alice").await;
    entry(
        &app,
        &alice,
        Entry {
            title: "Tired",
            ..Entry::default()
        },
    )
    .await;
    for mode in ["meaning", "both"] {
        let response = search(&app, &alice, &[("q", "tired"), ("mode", mode)]).await;
        assert_eq!(response.status(), 503, "{mode}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.contains("pgvector") && message.contains("mode=words"),
            "{body}"
        );
    }
    assert_eq!(found(&app, &alice, "tired", "words").await, ["Tired"]);

    // The default server of ApiContext::new has neither model nor extension, and says so.
    let response = search(&app, &alice, &[("q", "tired"), ("mode", "nonsense")]).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "mode", "{body}");
    let response = search(&app, &alice, &[("q", "   "), ("mode", "meaning")]).await;
    assert_eq!(response.status(), 422);
    let long = "word ".repeat(60);
    let response = search(&app, &alice, &[("q", &long), ("mode", "meaning")]).await;
    assert_eq!(response.status(), 422);
    let response = search(&app, &alice, &[("q", "tired\0"), ("mode", "meaning")]).await;
    assert_eq!(response.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn weft_embed_backfill_embeds_journals_made_before_with_progress_and_status_says_so() {
    use crate::common::cli;
    let app = app().await;
    let alice = app.register("alice").await;
    for (title, said) in &JOURNALS[..3] {
        entry(
            &app,
            &alice,
            Entry {
                title,
                said,
                ..Entry::default()
            },
        )
        .await;
    }
    // Journals from before search by meaning: nothing queued, no passages.
    sqlx::query("TRUNCATE embedding_queue")
        .execute(&app.db.admin)
        .await
        .unwrap();
    let model = std::env::var("WEFT_EMBEDDING_MODEL")
        .unwrap_or_else(|_| tools_dir().join("models/minilm").display().to_string());

    let status = cli::weft(&app.db, &["embed", "status"], &[]);
    cli::assert_success(&status);
    assert!(
        cli::output_text(&status).contains("waiting: 0"),
        "{}",
        cli::output_text(&status)
    );

    let backfill = cli::weft(
        &app.db,
        &["embed", "backfill"],
        &[("WEFT_EMBEDDING_MODEL", &model)],
    );
    cli::assert_success(&backfill);
    let text = cli::output_text(&backfill);
    assert!(text.contains("3 journals to embed"), "{text}");
    assert!(text.contains("done: 3 journals embedded"), "{text}");
    let journals: i64 = sqlx::query_scalar("SELECT count(DISTINCT journal_id) FROM passages")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(journals, 3);
    assert_eq!(
        found(&app, &alice, "walking my pet", "meaning").await[0],
        "Morning"
    );

    // Again: nothing is missing, so nothing is done; --again embeds all three anew.
    let again = cli::weft(
        &app.db,
        &["embed", "backfill"],
        &[("WEFT_EMBEDDING_MODEL", &model)],
    );
    assert!(
        cli::output_text(&again).contains("done: 0 journals"),
        "{}",
        cli::output_text(&again)
    );
    let all = cli::weft(
        &app.db,
        &["embed", "backfill", "--again"],
        &[("WEFT_EMBEDDING_MODEL", &model)],
    );
    assert!(
        cli::output_text(&all).contains("done: 3 journals"),
        "{}",
        cli::output_text(&all)
    );

    // Without the model the command says what to do and fails.
    let missing = cli::weft(
        &app.db,
        &["embed", "backfill"],
        &[("WEFT_EMBEDDING_MODEL", "/nonexistent/minilm")],
    );
    assert!(!missing.status.success());
    assert!(
        cli::output_text(&missing).contains("/nonexistent/minilm"),
        "{}",
        cli::output_text(&missing)
    );
    app.stop().await;
}
