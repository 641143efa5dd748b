//! The load of many people at once (`weft-bench run --users-rotating`): wrk with 2 threads
//! and 20 connections, each request signed in as the next of all the users in turn (a
//! server has many people, not one), on the timeline, journals by id, the tag filter and
//! search; and single-query latencies of searches made of stop words only.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::measure::{percentile, wrk, Target};

/// A common word of the generated speech that full-text search keeps (not a stop word).
const COMMON_WORD: &str = "morning";
/// A common tag of the generated journals.
const COMMON_TAG: &str = "beach";
/// Queries of stop words only, which full-text search ignores entirely: six words anywhere
/// in a journal, one word, and the six as a phrase (which the generated speech never says,
/// so every transcript of the user is read).
const STOP_WORD_QUERIES: [&str; 3] = ["to be or not to be", "there", "\"to be or not to be\""];
/// How long the sessions made for the run live.
const SESSION_HOURS: i64 = 2;

/// Requests as (path, token), taken in turn.
type Requests<'a> = Vec<(String, &'a str)>;

/// A signed-in user of the run.
struct Person {
    id: Uuid,
    token: String,
}

/// Runs the rotating-users load and returns its figures.
pub async fn run(target: &Target, db: &PgPool) -> anyhow::Result<Value> {
    let people = sign_in_everyone(db).await?;
    let heavy = heaviest(db).await?;
    let heavy = people
        .iter()
        .find(|p| p.id == heavy)
        .context("the heaviest user has no session")?;
    eprintln!("{} users signed in", people.len());
    let owned = journals_of_owners(db, &people).await?;
    let everyone: Requests = people
        .iter()
        .map(|p| ("/api/v1/journals?limit=20".to_string(), p.token.as_str()))
        .collect();
    let by_id: Requests = owned
        .iter()
        .map(|(id, token)| (format!("/api/v1/journals/{id}"), token.as_str()))
        .collect();
    let one = |path: String| vec![(path, heavy.token.as_str())];
    let search = |q: &str| {
        let url = reqwest::Url::parse_with_params("http://x/api/v1/search", &[("q", q)])
            .expect("a search URL");
        format!("{}?{}", url.path(), url.query().unwrap_or(""))
    };
    let cases: Vec<(&str, Requests, bool)> = vec![
        ("timeline, page kept", everyone.clone(), false),
        ("timeline, every page read", everyone, true),
        ("journal by id (300 journals of their owners)", by_id, false),
        (
            "tag filter, heaviest user, every page read",
            one(format!("/api/v1/journals?limit=20&tag={COMMON_TAG}")),
            true,
        ),
        (
            "search, one common word, heaviest user",
            one(search(COMMON_WORD)),
            false,
        ),
        (
            "search, one common word, heaviest user, every page read",
            one(search(COMMON_WORD)),
            true,
        ),
        (
            "search, stop words only, heaviest user",
            one(search(STOP_WORD_QUERIES[0])),
            false,
        ),
        (
            "search, stop words only, heaviest user, every page read",
            one(search(STOP_WORD_QUERIES[0])),
            true,
        ),
    ];
    let mut load = Vec::new();
    for (name, requests, fresh) in cases {
        let script = tempfile::NamedTempFile::new()?;
        std::fs::write(script.path(), lua(&requests, fresh))?;
        let mut runs = Vec::new();
        for _ in 0..3 {
            // The URL only names the server: the script gives every request its path.
            let url = format!("{}/", target.server);
            runs.push(wrk(&url, None, target.wrk_seconds, Some(script.path()))?);
        }
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rps, p50, p99) = runs[1];
        let row = json!({
            "what": name, "requests_per_s_median": rps, "p50_ms": p50, "p99_ms": p99,
            "users": if requests.len() > 1 { people.len() } else { 1 },
            "runs_rps": runs.iter().map(|r| r.0).collect::<Vec<_>>(),
            "runs_p99_ms": runs.iter().map(|r| r.2).collect::<Vec<_>>(),
        });
        eprintln!("rotating: {row}");
        load.push(row);
    }
    let stop_words = stop_word_latency(target, &heavy.token).await?;
    sqlx::query("DELETE FROM sessions WHERE user_agent = 'weft-bench rotating'")
        .execute(db)
        .await?;
    Ok(json!({"users": people.len(), "load": load, "stop_words": stop_words}))
}

/// A session for every user, made in the database (signing in 100 people through the API
/// would meet its throttle and bcrypt's cost, neither of which is measured here).
async fn sign_in_everyone(db: &PgPool) -> anyhow::Result<Vec<Person>> {
    let users: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM users ORDER BY username")
        .fetch_all(db)
        .await?;
    if users.is_empty() {
        bail!("the instance has no users: run `weft-bench generate` first");
    }
    let mut people = Vec::new();
    for id in users {
        let token = weft::accounts::token::generate();
        weft::db::sessions::create(
            db,
            id,
            &weft::accounts::token::hash(&token),
            chrono::Duration::hours(SESSION_HOURS),
            Some("weft-bench rotating"),
            Some("127.0.0.1"),
        )
        .await?;
        people.push(Person { id, token });
    }
    Ok(people)
}

async fn heaviest(db: &PgPool) -> anyhow::Result<Uuid> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM journals GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1",
    )
    .fetch_one(db)
    .await?)
}

/// 300 journals, each with its owner's token, spread over the users (3 each for 100).
async fn journals_of_owners<'a>(
    db: &PgPool,
    people: &'a [Person],
) -> anyhow::Result<Vec<(Uuid, &'a String)>> {
    let per_user = 300 / people.len().max(1) + 1;
    let mut out = Vec::new();
    for person in people {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM journals WHERE user_id = $1 ORDER BY md5(id::text) LIMIT $2",
        )
        .bind(person.id)
        .bind(per_user as i64)
        .fetch_all(db)
        .await?;
        out.extend(ids.into_iter().map(|id| (id, &person.token)));
    }
    out.truncate(300);
    Ok(out)
}

/// A wrk script that gives each request the next (path, token) of `requests`, the two
/// threads starting at different places; with `fresh`, every path also gets a query
/// parameter of its own, so that no kept timeline page is ever asked again, and every
/// request says `Cache-Control: no-cache`, which a search answers by searching again.
fn lua(requests: &[(String, &str)], fresh: bool) -> String {
    let mut script = String::from("local requests = {\n");
    for (path, token) in requests {
        // Paths and tokens are URL-safe characters: no quoting needed inside "…".
        let _ = writeln!(script, "  {{\"{path}\", \"Bearer {token}\"}},");
    }
    script.push_str("}\n");
    let _ = writeln!(script, "local fresh = {fresh}");
    script.push_str(
        r#"
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end
local n = 0
function request()
    n = n + 1
    local r = requests[((n + id * 7919) % #requests) + 1]
    local path = r[1]
    if fresh then
        local sep = "&"
        if not string.find(path, "?", 1, true) then sep = "?" end
        path = path .. sep .. "fresh=" .. id .. "-" .. n
    end
    local headers = {["Authorization"] = r[2]}
    if fresh then headers["Cache-Control"] = "no-cache" end
    return wrk.format("GET", path, headers)
end
"#,
    );
    script
}

/// Each stop-word query 20 times in a row (after one untimed), one client: p50 and p95,
/// asked plainly (the page kept after the first) and with `Cache-Control: no-cache`
/// (searched every time).
async fn stop_word_latency(target: &Target, token: &str) -> anyhow::Result<Value> {
    let client = reqwest::Client::new();
    let mut rows = Vec::new();
    for (query, fresh) in STOP_WORD_QUERIES
        .iter()
        .flat_map(|query| [(*query, false), (*query, true)])
    {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/search", target.server),
            &[("q", query)],
        )?;
        let mut times = Vec::new();
        for run in 0..=20 {
            let started = Instant::now();
            let mut asked = client.get(url.clone()).bearer_auth(token);
            if fresh {
                asked = asked.header("Cache-Control", "no-cache");
            }
            let response = asked.send().await?;
            let status = response.status();
            response.bytes().await?;
            if !status.is_success() {
                bail!("search {query:?} answered {status}");
            }
            if run > 0 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let row = json!({"query": query, "every_page_read": fresh,
                         "p50_ms": percentile(&times, 0.5),
                         "p95_ms": percentile(&times, 0.95)});
        eprintln!("stop words: {row}");
        rows.push(row);
    }
    Ok(Value::Array(rows))
}
