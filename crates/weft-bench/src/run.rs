//! The measurements, in one run on one dataset: search latency at the API for words,
//! phrases, prefixes and partial words; the original design's ILIKE query on the same data
//! as the baseline; a check that search finds every journal that query finds for whole
//! words and phrases; the timeline page and the tag filter under load (wrk); and the plans
//! PostgreSQL uses for them.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::generate::PASSWORD;
use crate::measure::{percentile, wrk, Target};

/// The kind of the misspelled words, which search answers with its "did you mean".
const MISSPELLED: &str = "misspelled word (did you mean)";

/// A kind of query and the queries of that kind.
struct QuerySet {
    kind: &'static str,
    queries: Vec<String>,
}

/// Runs everything and returns the figures as JSON.
pub async fn run(target: &Target) -> anyhow::Result<Value> {
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&target.superuser)
        .await?;
    let journals: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&db)
        .await?;
    if target.users_rotating {
        let load = crate::rotating::run(target, &db).await?;
        return Ok(json!({"journals": journals, "users_rotating": load}));
    }
    let (heavy, heavy_name, heavy_count) = user_at(&db, "DESC").await?;
    let (_, median_name, median_count) = median_user(&db).await?;
    eprintln!("{journals} journals; heaviest user {heavy_name} has {heavy_count}, median user {median_name} {median_count}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .build()?;
    let heavy_token = login(&client, &target.server, &heavy_name).await?;
    let median_token = login(&client, &target.server, &median_name).await?;

    let mut rng = StdRng::seed_from_u64(42);
    let sets = query_sets(&db, heavy, &mut rng).await?;
    let mut search = Vec::new();
    for (who, token) in [
        ("heaviest user", &heavy_token),
        ("median user", &median_token),
    ] {
        for set in &sets {
            let (times, results) =
                time_searches(&client, &target.server, token, &set.queries, target.runs).await?;
            let row = json!({
                "user": who, "kind": set.kind, "queries": set.queries.len(),
                "p50_ms": percentile(&times, 0.50), "p95_ms": percentile(&times, 0.95),
                "max_ms": percentile(&times, 1.0), "mean_results_first_page": results,
            });
            eprintln!("search {who} {}: {row}", set.kind);
            search.push(row);
        }
    }

    if target.search_only {
        return Ok(json!({
            "journals": journals,
            "heaviest_user_journals": heavy_count,
            "median_user_journals": median_count,
            "search": search,
        }));
    }
    let baseline = baseline(&db, &client, target, &heavy_token, heavy, &sets).await?;
    let completeness =
        completeness(&db, &client, &target.server, &heavy_token, heavy, &sets).await?;
    let timeline = wrk_load(target, &heavy_token, &sets).await?;
    let plans = plans(&db, heavy).await?;
    Ok(json!({
        "journals": journals,
        "heaviest_user_journals": heavy_count,
        "median_user_journals": median_count,
        "search": search,
        "baseline": baseline,
        "completeness": completeness,
        "timeline": timeline,
        "plans": plans,
    }))
}

pub(crate) async fn user_at(db: &PgPool, order: &str) -> anyhow::Result<(Uuid, String, i64)> {
    let row: (Uuid, String, i64) = sqlx::query_as(&format!(
        "SELECT u.id, u.username, count(j.id) FROM users u JOIN journals j ON j.user_id = u.id \
         GROUP BY u.id ORDER BY count(j.id) {order}, u.username LIMIT 1"
    ))
    .fetch_one(db)
    .await?;
    Ok(row)
}

pub(crate) async fn median_user(db: &PgPool) -> anyhow::Result<(Uuid, String, i64)> {
    let row: (Uuid, String, i64) = sqlx::query_as(
        "WITH c AS (SELECT u.id, u.username, count(j.id) AS n FROM users u \
                    JOIN journals j ON j.user_id = u.id GROUP BY u.id) \
         SELECT id, username, n FROM c ORDER BY n, username \
         OFFSET (SELECT count(*) / 2 FROM c) LIMIT 1",
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}

pub(crate) async fn login(
    client: &reqwest::Client,
    server: &str,
    username: &str,
) -> anyhow::Result<String> {
    let response: Value = client
        .post(format!("{server}/api/v1/auth/login"))
        .json(&json!({"login": username, "password": PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    response["token"]
        .as_str()
        .map(str::to_string)
        .context("no token in the login answer")
}

/// Queries drawn from the heaviest user's own transcripts, so that they are words people
/// said, at their natural frequencies. The same ones on the same data every time (no
/// `random()`), so that two builds can be compared.
async fn query_sets(db: &PgPool, user: Uuid, rng: &mut StdRng) -> anyhow::Result<Vec<QuerySet>> {
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT t.text FROM transcripts t JOIN journals j ON j.id = t.journal_id \
         WHERE j.user_id = $1 ORDER BY md5(t.id::text) LIMIT 200",
    )
    .bind(user)
    .fetch_all(db)
    .await?;
    if texts.is_empty() {
        bail!("the heaviest user has no transcripts");
    }
    let mut words = Vec::new();
    let mut phrases = Vec::new();
    let mut long_words = Vec::new();
    for text in &texts {
        let tokens: Vec<&str> = text.split(' ').collect();
        let word = tokens[rng.random_range(0..tokens.len())];
        if word.len() >= 4 {
            words.push(word.to_string());
        }
        let at = rng.random_range(0..tokens.len() - 1);
        if tokens[at].len() >= 4 && tokens[at + 1].len() >= 4 {
            phrases.push(format!("\"{} {}\"", tokens[at], tokens[at + 1]));
        }
        if let Some(long) = tokens
            .iter()
            .filter(|w| w.len() >= 8)
            .collect::<Vec<_>>()
            .choose(rng)
        {
            long_words.push(long.to_string());
        }
    }
    let take = |mut items: Vec<String>| {
        items.dedup();
        items.truncate(30);
        items
    };
    // Words that full-text search ignores (`that`, `just`) are found by reading the texts
    // as written, a different and slower path: timed as a kind of their own.
    let ignored: Vec<bool> = sqlx::query_scalar(
        "SELECT numnode(plainto_tsquery('english', w)) = 0 FROM unnest($1::text[]) AS w",
    )
    .bind(&words)
    .fetch_all(db)
    .await?;
    let mut stop_words = Vec::new();
    let mut kept = Vec::new();
    for (word, ignored) in words.into_iter().zip(ignored) {
        if ignored {
            stop_words.push(word);
        } else {
            kept.push(word);
        }
    }
    let words = kept;
    stop_words.sort();
    stop_words.dedup();
    let stop_phrases = stop_word_phrases(db, &texts, rng).await?;
    let prefixes = long_words.iter().map(|w| format!("{}*", &w[..5])).collect();
    let substrings = long_words.iter().map(|w| w[2..7].to_string()).collect();
    // A long word with a letter of its middle left out ("harbur"): whole and partial words
    // find nothing, and the search suggests the user's closest word and runs it.
    let misspelled = long_words
        .iter()
        .map(|w| {
            let mut letters: Vec<char> = w.chars().collect();
            letters.remove(letters.len() / 2);
            letters.into_iter().collect()
        })
        .collect();
    Ok(vec![
        QuerySet {
            kind: "word",
            queries: take(words),
        },
        QuerySet {
            kind: "phrase",
            queries: take(phrases),
        },
        QuerySet {
            kind: "prefix",
            queries: take(prefixes),
        },
        QuerySet {
            kind: "partial word",
            queries: take(substrings),
        },
        QuerySet {
            kind: "ignored word (read as written)",
            queries: take(stop_words),
        },
        QuerySet {
            kind: "phrase of ignored words (read as written)",
            queries: take(stop_phrases),
        },
        QuerySet {
            kind: MISSPELLED,
            queries: take(misspelled),
        },
    ])
}

/// Two words that full-text search ignores, said one after the other, from each text
/// that has such a pair after a random place in it, quoted (`"of the"`): a phrase only
/// the texts as written can find, through the pairs of words each journal says.
async fn stop_word_phrases(
    db: &PgPool,
    texts: &[String],
    rng: &mut StdRng,
) -> anyhow::Result<Vec<String>> {
    let plain = |word: &str| !word.is_empty() && word.chars().all(char::is_alphabetic);
    let mut candidates: Vec<&str> = texts
        .iter()
        .flat_map(|text| text.split(' '))
        .filter(|word| plain(word))
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let ignored: std::collections::HashSet<String> = sqlx::query_scalar(
        "SELECT w FROM unnest($1::text[]) AS w WHERE numnode(plainto_tsquery('english', w)) = 0",
    )
    .bind(&candidates)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect();
    let mut phrases = Vec::new();
    for text in texts {
        let tokens: Vec<&str> = text.split(' ').collect();
        let start = rng.random_range(0..tokens.len());
        let pair = tokens[start..].windows(2).find(|pair| {
            pair.iter()
                .all(|word| plain(word) && ignored.contains(*word))
        });
        if let Some(pair) = pair {
            phrases.push(format!("\"{} {}\"", pair[0], pair[1]));
        }
    }
    phrases.sort();
    phrases.dedup();
    phrases.shuffle(rng);
    Ok(phrases)
}

/// Times each query `runs` times at the API (after one untimed run); milliseconds. Every
/// request says `Cache-Control: no-cache`, so each timed run searches again: asked plainly,
/// the runs after the first would time the server's kept page, not the search.
async fn time_searches(
    client: &reqwest::Client,
    server: &str,
    token: &str,
    queries: &[String],
    runs: usize,
) -> anyhow::Result<(Vec<f64>, f64)> {
    let mut times = Vec::new();
    let mut results = 0usize;
    for query in queries {
        let url = reqwest::Url::parse_with_params(
            &format!("{server}/api/v1/search"),
            &[("q", query.as_str())],
        )?;
        for run in 0..=runs {
            let started = Instant::now();
            let response = client
                .get(url.clone())
                .bearer_auth(token)
                .header("Cache-Control", "no-cache")
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await?;
            let elapsed = started.elapsed();
            if !status.is_success() {
                bail!("search {query:?} answered {status}: {body}");
            }
            if run > 0 {
                times.push(ms(elapsed));
            } else {
                results += body["items"].as_array().map_or(0, Vec::len);
            }
        }
    }
    Ok((times, results as f64 / queries.len().max(1) as f64))
}

/// The original design's search (its "Full-Text Search" example: journals joined to
/// transcripts, `ILIKE '%term%'` on title or text, over every journal), and the same query
/// narrowed to one user, against Weft's search for the same terms.
async fn baseline(
    db: &PgPool,
    client: &reqwest::Client,
    target: &Target,
    token: &str,
    heavy: Uuid,
    sets: &[QuerySet],
) -> anyhow::Result<Value> {
    let terms: Vec<String> = sets
        .iter()
        .filter(|set| set.kind == "word" || set.kind == "phrase")
        .flat_map(|set| set.queries.iter().take(4).cloned())
        .collect();
    let mut original = Vec::new();
    let mut scoped = Vec::new();
    for term in &terms {
        let pattern = format!("%{}%", term.trim_matches('"'));
        let started = Instant::now();
        sqlx::query("SELECT j.*, t.* FROM journals j JOIN transcripts t ON j.id = t.journal_id WHERE j.title ILIKE $1 OR t.text ILIKE $1")
            .bind(&pattern)
            .fetch_all(db)
            .await?;
        original.push(ms(started.elapsed()));
        let started = Instant::now();
        sqlx::query("SELECT j.*, t.* FROM journals j JOIN transcripts t ON j.id = t.journal_id WHERE j.user_id = $2 AND (j.title ILIKE $1 OR t.text ILIKE $1)")
            .bind(&pattern)
            .bind(heavy)
            .fetch_all(db)
            .await?;
        scoped.push(ms(started.elapsed()));
    }
    let (weft, _) = time_searches(client, &target.server, token, &terms, target.runs).await?;
    let weft_median = percentile(&weft, 0.5);
    let original_median = percentile(&original, 0.5);
    let row = json!({
        "terms": terms,
        "original_ms_median": original_median,
        "original_ms_max": percentile(&original, 1.0),
        "original_for_one_user_ms_median": percentile(&scoped, 0.5),
        "weft_api_ms_median": weft_median,
        "weft_api_ms_p95": percentile(&weft, 0.95),
        "speedup_median": original_median / weft_median,
        "speedup_over_user_scoped_median": percentile(&scoped, 0.5) / weft_median,
    });
    eprintln!("baseline: {row}");
    Ok(row)
}

/// For whole words (those that full-text search ignores too) and phrases: every journal
/// of the user whose title or transcript has the term as whole words (what ILIKE finds,
/// less its matches inside longer words) must be among the search results.
async fn completeness(
    db: &PgPool,
    client: &reqwest::Client,
    server: &str,
    token: &str,
    user: Uuid,
    sets: &[QuerySet],
) -> anyhow::Result<Value> {
    let mut checked = 0;
    let mut expected_total = 0;
    let mut missing_total = 0;
    for set in sets
        .iter()
        .filter(|set| !["prefix", "partial word", MISSPELLED].contains(&set.kind))
    {
        for term in set.queries.iter().take(10) {
            let words = term.trim_matches('"');
            let pattern = format!("\\m{}\\M", words.replace(' ', "\\s+"));
            let expected: BTreeSet<Uuid> = sqlx::query_scalar(
                "SELECT j.id FROM journals j LEFT JOIN transcripts t ON t.journal_id = j.id \
                 WHERE j.user_id = $1 AND (j.title ~* $2 OR t.text ~* $2)",
            )
            .bind(user)
            .bind(&pattern)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
            let found = all_results(client, server, token, term).await?;
            let missing = expected.difference(&found).count();
            checked += 1;
            expected_total += expected.len();
            missing_total += missing;
            if missing > 0 {
                eprintln!(
                    "search {term:?} misses {missing} of {} journals",
                    expected.len()
                );
            }
        }
    }
    let row =
        json!({"terms": checked, "journals_expected": expected_total, "missing": missing_total});
    eprintln!("completeness: {row}");
    Ok(row)
}

async fn all_results(
    client: &reqwest::Client,
    server: &str,
    token: &str,
    query: &str,
) -> anyhow::Result<BTreeSet<Uuid>> {
    let mut found = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = reqwest::Url::parse_with_params(
            &format!("{server}/api/v1/search"),
            &[("q", query), ("limit", "100")],
        )?;
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let page: Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for item in page["items"].as_array().into_iter().flatten() {
            if let Some(id) = item["journal"]["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
            {
                found.insert(id);
            }
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return Ok(found),
        }
    }
}

/// wrk against the timeline's first page, tag-filtered pages and searches, three runs each.
async fn wrk_load(target: &Target, token: &str, sets: &[QuerySet]) -> anyhow::Result<Value> {
    let mut out = Vec::new();
    let word = |kind: &str| {
        sets.iter()
            .find(|set| set.kind == kind)
            .and_then(|set| set.queries.first())
            .map(|q| {
                reqwest::Url::parse_with_params("http://x/api/v1/search", &[("q", q.as_str())])
                    .map(|url| format!("{}?{}", url.path(), url.query().unwrap_or("")))
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    };
    let search_word = word("word");
    let search_phrase = word("phrase");
    // The server answers a timeline page it has kept while nothing on it changed; with a
    // query string of its own for every request (an extra parameter, which the server
    // ignores) every page is read from the database.
    let fresh = tempfile::NamedTempFile::new()?;
    std::fs::write(fresh.path(), FRESH_PAGES_LUA)?;
    let fresh = Some(fresh.path());
    for (name, path, script) in [
        (
            "timeline page (20 entries)",
            "/api/v1/journals?limit=20",
            None,
        ),
        (
            "timeline page (20 entries), every page read",
            "/api/v1/journals?limit=20",
            fresh,
        ),
        (
            "tag filter (20 entries)",
            "/api/v1/journals?limit=20&tag=beach",
            None,
        ),
        (
            "tag filter (20 entries), every page read",
            "/api/v1/journals?limit=20&tag=beach",
            fresh,
        ),
        (
            "two tags, any (20 entries), every page read",
            "/api/v1/journals?limit=20&tag=beach,coffee&match=any",
            fresh,
        ),
        ("search, one word (20 results)", search_word.as_str(), None),
        (
            "search, a phrase (20 results)",
            search_phrase.as_str(),
            None,
        ),
    ] {
        if path.is_empty() {
            continue;
        }
        let mut runs = Vec::new();
        for _ in 0..3 {
            runs.push(wrk(
                &format!("{}{path}", target.server),
                Some(token),
                target.wrk_seconds,
                script,
            )?);
        }
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rps, p50, p99) = runs[1];
        let row = json!({"what": name, "path": path, "requests_per_s_median": rps, "p50_ms": p50, "p99_ms": p99, "user": "heaviest",
                         "runs_rps": runs.iter().map(|r| r.0).collect::<Vec<_>>()});
        eprintln!("load: {row}");
        out.push(row);
    }
    Ok(Value::Array(out))
}

/// A wrk script: every request's query string its own (`&fresh=THREAD-N`).
const FRESH_PAGES_LUA: &str = r#"
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end
local n = 0
function request()
    n = n + 1
    return wrk.format(nil, wrk.path .. "&fresh=" .. id .. "-" .. n)
end
"#;

/// The plans of a search, the timeline page and the tag filter, for the heaviest user.
async fn plans(db: &PgPool, user: Uuid) -> anyhow::Result<Value> {
    let mut tx = weft::db::scoped::begin_for_user(db, user).await?;
    let search = weft::search::explain(&mut tx, "morning").await?;
    let timeline = weft::db::journals::explain_timeline(&mut tx, &[]).await?;
    let tagged = weft::db::journals::explain_timeline(&mut tx, &["beach".to_string()]).await?;
    tx.rollback().await?;
    Ok(json!({"search": search, "timeline": timeline, "tag_filter": tagged}))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
