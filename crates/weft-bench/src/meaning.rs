//! Search by meaning at scale: passages with vectors for every journal of a generated
//! dataset, and the latency of searches by meaning at the API.
//!
//! **The passages** are cut from each journal exactly as the server cuts them
//! (`weft::semantic::passages`). Embedding every one of them with the model would take
//! hours on two cores (the dataset's transcripts are word lists, and there are about six
//! passages a journal), so only the first `pool` passages are embedded for real, and every
//! passage gets one of those vectors with a little noise added (then made of length 1
//! again): the index holds as many distinct vectors as the real thing would, spread like
//! real ones. The query side is never faked: each query is embedded by the server.
//!
//! **The timings** send natural-language queries, each different (the server keeps a
//! query's vector for ten minutes, so a repeated query would skip the embedding), as the
//! heaviest and the median user, by meaning and by both, with a search by words of the same
//! queries as the baseline in the same run.

use std::time::Instant;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;
use weft::domain::Segment;
use weft::semantic::passages::passages;
use weft::semantic::Embedder;

use crate::measure::percentile;
use crate::run::{login, median_user, user_at};

/// Journals read at a time.
const BATCH: i64 = 2_000;
/// The noise added to each coordinate of a pooled vector (before it is normalised again):
/// about 0.93 cosine to the vector it came from.
const NOISE: f32 = 0.02;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    title: String,
    notes: Option<String>,
    text: Option<String>,
    segments: Option<sqlx::types::Json<Vec<Segment>>>,
}

/// Writes the passages of every journal (replacing any) and builds the vector index.
pub async fn generate(superuser: &str, model: &std::path::Path, pool: usize) -> anyhow::Result<()> {
    let embedder = Embedder::load(model)
        .with_context(|| format!("loading the embedding model from {}", model.display()))?;
    let db = PgPoolOptions::new()
        .max_connections(2)
        .connect(superuser)
        .await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS vector")
        .execute(&db)
        .await
        .context("pgvector is needed (scripts/install-deps builds it)")?;
    sqlx::query("DROP INDEX IF EXISTS passages_embedding_hnsw_idx")
        .execute(&db)
        .await?;
    sqlx::query("TRUNCATE passages, embedding_queue")
        .execute(&db)
        .await?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(7);
    let mut vectors: Vec<Vec<f32>> = Vec::new();
    let (mut after, mut journals, mut written) = (Uuid::nil(), 0u64, 0u64);
    loop {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT j.id, j.user_id, j.title, j.notes, t.text, t.segments
             FROM journals j
             LEFT JOIN LATERAL (SELECT text, segments FROM transcripts WHERE journal_id = j.id
                                ORDER BY created_at DESC, id DESC LIMIT 1) t ON true
             WHERE j.id > $1 ORDER BY j.id LIMIT $2",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(&db)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let mut copy = String::new();
        for row in &rows {
            let segments = row
                .segments
                .as_ref()
                .map(|json| json.0.clone())
                .unwrap_or_default();
            let cut = passages(
                &row.title,
                row.notes.as_deref(),
                &segments,
                row.text.as_deref(),
            );
            if vectors.len() < pool {
                let texts: Vec<&str> = cut.iter().map(|p| p.text.as_str()).collect();
                vectors.extend(embedder.embed(&texts)?);
            }
            for (ordinal, passage) in cut.iter().enumerate() {
                let base = &vectors[(written as usize + ordinal) % vectors.len()];
                let vector = jitter(base, &mut rng);
                copy.push_str(&format!(
                    "{}\t{ordinal}\t{}\t{}\t{}\t{}\t{}\t{{{}}}\n",
                    row.id,
                    row.user_id,
                    passage.kind.as_str(),
                    passage.start.map_or("\\N".into(), |s| s.to_string()),
                    passage.end.map_or("\\N".into(), |s| s.to_string()),
                    escape_copy(&passage.text),
                    vector
                        .iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                ));
            }
            written += cut.len() as u64;
        }
        let mut conn = db.acquire().await?;
        let mut sink = conn
            .copy_in_raw("COPY passages (journal_id, ordinal, user_id, kind, start_s, end_s, text, embedding) FROM STDIN")
            .await?;
        sink.send(copy.as_bytes()).await?;
        sink.finish().await?;
        journals += rows.len() as u64;
        eprintln!(
            "passages: {journals} journals, {written} passages, {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let built = Instant::now();
    let mut conn = db.acquire().await?;
    sqlx::query("SET maintenance_work_mem = '2GB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "CREATE INDEX passages_embedding_hnsw_idx ON passages
         USING hnsw ((embedding::vector(384)) vector_cosine_ops)",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("ANALYZE passages").execute(&mut *conn).await?;
    eprintln!(
        "passages: {written} passages of {journals} journals ({} embedded for real) in {:.0} s; index in {:.0} s",
        vectors.len(),
        built.duration_since(started).as_secs_f64(),
        built.elapsed().as_secs_f64()
    );
    Ok(())
}

fn jitter(base: &[f32], rng: &mut StdRng) -> Vec<f32> {
    let mut out: Vec<f32> = base
        .iter()
        .map(|x| x + rng.random_range(-NOISE..NOISE) * 1.7)
        .collect();
    let norm = out
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    out.iter_mut().for_each(|x| *x /= norm);
    out
}

fn escape_copy(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// What people ask a journal by meaning; each is sent once per mode and user.
const QUERIES: [&str; 40] = [
    "when did I talk about feeling tired",
    "days I was worried about money",
    "times I argued with my family",
    "holidays by the sea",
    "when I was sick",
    "learning something new",
    "moving house",
    "my first day at a new job",
    "walks with the dog",
    "cooking dinner for friends",
    "feeling anxious before a big day",
    "a birthday party",
    "the weather was terrible",
    "thinking about my childhood",
    "when the car broke down",
    "plans for next year",
    "a book I could not put down",
    "missing someone who is far away",
    "a good run in the morning",
    "problems at work",
    "a quiet sunday at home",
    "going to a concert",
    "visiting my grandparents",
    "trouble sleeping",
    "a trip to the mountains",
    "feeling proud of myself",
    "fixing things around the house",
    "the kids made me laugh",
    "a long train journey",
    "saving for something big",
    "a day in the garden",
    "meeting an old friend",
    "a doctor's appointment",
    "celebrating good news",
    "a rainy afternoon inside",
    "feeling lonely",
    "starting a new hobby",
    "the end of a relationship",
    "a wedding",
    "what I am grateful for",
];

/// Times searches by meaning, by both, and by words, for the heaviest and the median user.
pub async fn run(server: &str, superuser: &str) -> anyhow::Result<Value> {
    let db: PgPool = PgPoolOptions::new()
        .max_connections(2)
        .connect(superuser)
        .await?;
    let passages: i64 = sqlx::query_scalar("SELECT count(*) FROM passages")
        .fetch_one(&db)
        .await?;
    let journals: i64 = sqlx::query_scalar("SELECT count(*) FROM journals")
        .fetch_one(&db)
        .await?;
    let (_, heavy, heavy_count) = user_at(&db, "DESC").await?;
    let (_, median, median_count) = median_user(&db).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .build()?;
    let mut rows = Vec::new();
    for (who, name, asked) in [
        ("heaviest user", &heavy, ""),
        ("median user", &median, " lately"),
    ] {
        let token = login(&client, server, name).await?;
        // One request first, so that the connection and the model's first call are warm.
        let _ = search(
            &client,
            server,
            &token,
            &format!("warming up{asked}"),
            "meaning",
        )
        .await?;
        for (mode, suffix) in [("words", ""), ("meaning", ""), ("both", " today")] {
            let mut times = Vec::new();
            let mut results = 0usize;
            for q in QUERIES {
                // Each query text differs from every other sent by meaning to this server
                // (by user and by mode), so that none is answered from its cache of query
                // vectors.
                let q = format!("{q}{asked}{suffix}");
                let started = Instant::now();
                results += search(&client, server, &token, &q, mode).await?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            let row = json!({
                "user": who, "mode": mode, "queries": QUERIES.len(),
                "p50_ms": percentile(&times, 0.50), "p95_ms": percentile(&times, 0.95),
                "max_ms": percentile(&times, 1.0),
                "mean_results": results as f64 / QUERIES.len() as f64,
            });
            eprintln!("meaning {who} {mode}: {row}");
            rows.push(row);
        }
    }
    Ok(json!({
        "journals": journals, "passages": passages,
        "heaviest_user_journals": heavy_count, "median_user_journals": median_count,
        "search": rows,
    }))
}

async fn search(
    client: &reqwest::Client,
    server: &str,
    token: &str,
    q: &str,
    mode: &str,
) -> anyhow::Result<usize> {
    let body: Value = client
        .get(format!("{server}/api/v1/search"))
        .query(&[("q", q), ("mode", mode)])
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(body["items"].as_array().map_or(0, Vec::len))
}
