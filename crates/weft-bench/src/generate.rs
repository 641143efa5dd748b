//! The dataset: users with a skewed number of journals each (a few keep a journal every
//! day for decades, most for a year or two), every journal with a title, sometimes notes
//! and a location, a few tags, a finished transcription job and a transcript of hundreds
//! of words in timed segments. Loaded with COPY, triggers off; the search rows are then
//! built by the database's own weft_search_rebuild_user, one user at a time on two
//! connections. The secondary indexes of the tables being filled are dropped first and
//! built again afterwards, in bulk, which is several times faster than keeping them up to
//! date row by row (the GIN indexes above all).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::words::Vocabulary;

/// The password of every generated user.
pub const PASSWORD: &str = "weft-bench-password";

const TAGS: [&str; 40] = [
    "family",
    "work",
    "travel",
    "kids",
    "health",
    "running",
    "food",
    "friends",
    "garden",
    "books",
    "music",
    "weekend",
    "school",
    "home",
    "dog",
    "gratitude",
    "ideas",
    "money",
    "cycling",
    "holiday",
    "birthday",
    "cooking",
    "reading",
    "sleep",
    "walks",
    "weather",
    "hiking",
    "movies",
    "projects",
    "parents",
    "moving",
    "learning",
    "coffee",
    "city",
    "beach",
    "winter",
    "summer",
    "spring",
    "autumn",
    "goals",
];

const PLACES: [&str; 12] = [
    "Lisbon",
    "Leeds",
    "Toronto",
    "Osaka",
    "Nairobi",
    "Denver",
    "Porto",
    "Utrecht",
    "Hobart",
    "Tampere",
    "Cork",
    "Valparaíso",
];

/// What to make.
pub struct Plan {
    pub journals: u64,
    pub users: u64,
    pub seed: u64,
}

/// How many journals each user gets: user k about 1/sqrt(k) of the first user's.
pub fn journals_per_user(plan: &Plan) -> Vec<u64> {
    let weights: Vec<f64> = (1..=plan.users).map(|k| 1.0 / (k as f64).sqrt()).collect();
    let total: f64 = weights.iter().sum();
    let mut counts: Vec<u64> = weights
        .iter()
        .map(|w| ((w / total) * plan.journals as f64).floor() as u64)
        .collect();
    let mut missing = plan.journals - counts.iter().sum::<u64>();
    for count in counts.iter_mut() {
        if missing == 0 {
            break;
        }
        *count += 1;
        missing -= 1;
    }
    counts
}

/// Makes the dataset in an empty, migrated database. `superuser` may switch triggers off.
pub async fn generate(superuser: &str, plan: &Plan, vocabulary: &Vocabulary) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect(superuser)
        .await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await?;
    if existing > 0 {
        bail!("the database already has {existing} users: generate into an empty instance");
    }
    let started = Instant::now();
    let hash = bcrypt::hash(PASSWORD, 10)?;
    let counts = journals_per_user(plan);
    let users: Vec<Uuid> = {
        let mut rng = StdRng::seed_from_u64(plan.seed);
        (0..plan.users).map(|_| random_uuid(&mut rng)).collect()
    };
    let mut rows = String::new();
    for (n, id) in users.iter().enumerate() {
        writeln!(rows, "{id}\tbench{n:05}\tbench{n:05}@example.com\t{hash}\t2020-01-01 00:00:00+00\t2020-01-01 00:00:00+00")?;
    }
    let mut conn = pool.acquire().await?;
    copy(
        &mut conn,
        "COPY users (id, username, email, password_hash, created_at, updated_at) FROM STDIN",
        rows,
    )
    .await?;
    drop(conn);

    let loaded_tables = ["journals", "tags", "transcripts", "transcription_jobs"];
    let indexes = drop_indexes(&pool, &loaded_tables).await?;

    // Two loaders, each with every other user.
    let mut tasks = Vec::new();
    for part in 0..2usize {
        let mine: Vec<(usize, Uuid, u64)> = users
            .iter()
            .enumerate()
            .filter(|(n, _)| n % 2 == part)
            .map(|(n, id)| (n, *id, counts[n]))
            .collect();
        let pool = pool.clone();
        let words = vocabulary.words.clone();
        let seed = plan.seed;
        tasks.push(tokio::spawn(
            async move { load(pool, mine, words, seed).await },
        ));
    }
    for task in tasks {
        task.await??;
    }
    eprintln!(
        "loaded {} journals in {:.0} s; building their indexes",
        plan.journals,
        started.elapsed().as_secs_f64()
    );
    let indexed = Instant::now();
    create_indexes(&pool, indexes).await?;
    eprintln!(
        "indexes built in {:.0} s; building search rows",
        indexed.elapsed().as_secs_f64()
    );

    let built = Instant::now();
    let indexes = drop_indexes(&pool, &["journal_search", "search_words"]).await?;
    let mut tasks = Vec::new();
    for part in 0..2usize {
        let mine: Vec<Uuid> = users
            .iter()
            .enumerate()
            .filter(|(n, _)| n % 2 == part)
            .map(|(_, id)| *id)
            .collect();
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for id in mine {
                sqlx::query("SELECT weft_search_rebuild_user($1)")
                    .bind(id)
                    .execute(&pool)
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    create_indexes(&pool, indexes).await?;
    eprintln!(
        "search rows and their indexes built in {:.0} s; analysing",
        built.elapsed().as_secs_f64()
    );
    sqlx::query("ANALYZE").execute(&pool).await?;
    eprintln!("dataset ready in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Drops the secondary indexes (neither primary keys nor unique) of `tables`, returning
/// the statements that make them again.
async fn drop_indexes(pool: &PgPool, tables: &[&str]) -> anyhow::Result<Vec<String>> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
         WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace \
           AND NOT i.indisunique AND NOT i.indisprimary",
    )
    .bind(tables)
    .fetch_all(pool)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(pool)
            .await
            .with_context(|| format!("dropping {name}"))?;
    }
    Ok(indexes
        .into_iter()
        .map(|(_, statement)| statement)
        .collect())
}

/// Builds indexes from their statements, on two connections (one per core of the
/// reference machine), with room to sort in memory.
async fn create_indexes(pool: &PgPool, statements: Vec<String>) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for part in 0..2usize {
        let mine: Vec<String> = statements.iter().skip(part).step_by(2).cloned().collect();
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            sqlx::query("SET maintenance_work_mem = '1GB'")
                .execute(&mut *conn)
                .await?;
            for statement in mine {
                sqlx::query(&statement)
                    .execute(&mut *conn)
                    .await
                    .with_context(|| statement.clone())?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Writes the journals of some users, a batch at a time.
async fn load(
    pool: PgPool,
    users: Vec<(usize, Uuid, u64)>,
    words: Vec<String>,
    seed: u64,
) -> anyhow::Result<()> {
    let vocabulary = Vocabulary::from_words(words);
    let mut conn = pool.acquire().await?;
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    let mut batch = Batch::default();
    for (n, user, count) in users {
        let mut rng = StdRng::seed_from_u64(seed ^ ((n as u64 + 1) * 0x9E37_79B9_7F4A_7C15));
        // Entries spread over the user's years of journaling, newest now.
        let years = (count as f64 / 365.0).clamp(0.5, 6.0);
        let span = TimeDelta::seconds((years * 365.0 * 86_400.0) as i64);
        let start = Utc::now() - span;
        for _ in 0..count {
            let at = start + TimeDelta::seconds(rng.random_range(0..span.num_seconds().max(1)));
            batch.journal(&mut rng, &vocabulary, user, at)?;
            if batch.journals >= 2_000 {
                batch.flush(&mut conn).await?;
            }
        }
    }
    batch.flush(&mut conn).await?;
    Ok(())
}

/// Rows waiting to be copied.
#[derive(Default)]
struct Batch {
    journals: usize,
    journal_rows: String,
    tag_rows: String,
    transcript_rows: String,
    job_rows: String,
}

impl Batch {
    fn journal(
        &mut self,
        rng: &mut StdRng,
        vocabulary: &Vocabulary,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let id = random_uuid(rng);
        let title = title(rng, vocabulary);
        let location = if rng.random_bool(0.4) {
            PLACES[rng.random_range(0..PLACES.len())]
        } else {
            "\\N"
        };
        let notes = if rng.random_bool(0.3) {
            {
                let words = rng.random_range(10..40);
                sentence(rng, vocabulary, words)
            }
        } else {
            "\\N".to_string()
        };
        let (text, segments, seconds) = transcript(rng, vocabulary);
        let time = at.format("%Y-%m-%d %H:%M:%S%.6f+00");
        writeln!(
            self.journal_rows,
            "{id}\t{user}\t{title}\tbench/{id}.mp4\t{seconds}\t{location}\t{notes}\t{time}\t{time}"
        )?;
        let mut chosen: Vec<&str> = Vec::new();
        for _ in 0..rng.random_range(0..4) {
            // Earlier tags are used more often.
            let tag = TAGS[(rng.random::<f64>().powi(2) * TAGS.len() as f64) as usize];
            if !chosen.contains(&tag) {
                chosen.push(tag);
                writeln!(self.tag_rows, "{}\t{id}\t{tag}\t{time}", random_uuid(rng))?;
            }
        }
        writeln!(
            self.transcript_rows,
            "{}\t{id}\t{text}\t{segments}\t{time}",
            random_uuid(rng)
        )?;
        writeln!(
            self.job_rows,
            "{}\t{id}\t{user}\tdone\t1\t{time}\t{time}\t{time}\t{time}",
            random_uuid(rng)
        )?;
        self.journals += 1;
        Ok(())
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> anyhow::Result<()> {
        if self.journals == 0 {
            return Ok(());
        }
        let mut tx = conn.begin().await?;
        copy(&mut tx, "COPY journals (id, user_id, title, video_path, duration, location, notes, created_at, updated_at) FROM STDIN", std::mem::take(&mut self.journal_rows)).await?;
        copy(
            &mut tx,
            "COPY tags (id, journal_id, tag, created_at) FROM STDIN",
            std::mem::take(&mut self.tag_rows),
        )
        .await?;
        copy(
            &mut tx,
            "COPY transcripts (id, journal_id, text, segments, created_at) FROM STDIN",
            std::mem::take(&mut self.transcript_rows),
        )
        .await?;
        copy(&mut tx, "COPY transcription_jobs (id, journal_id, user_id, state, attempts, started_at, finished_at, created_at, updated_at) FROM STDIN", std::mem::take(&mut self.job_rows)).await?;
        tx.commit().await?;
        self.journals = 0;
        Ok(())
    }
}

async fn copy(conn: &mut PgConnection, statement: &str, rows: String) -> anyhow::Result<()> {
    let mut sink = conn
        .copy_in_raw(statement)
        .await
        .with_context(|| statement.to_string())?;
    sink.send(rows.into_bytes()).await?;
    sink.finish().await?;
    Ok(())
}

fn random_uuid(rng: &mut impl Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Two to four naming words, the first capitalised.
fn title(rng: &mut StdRng, vocabulary: &Vocabulary) -> String {
    let count = rng.random_range(2..=4);
    let mut out = String::new();
    for n in 0..count {
        let word = vocabulary.pick_between(rng, 150, 6_000);
        if n == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out
}

fn sentence(rng: &mut StdRng, vocabulary: &Vocabulary, words: usize) -> String {
    let mut out = String::new();
    for n in 0..words {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(vocabulary.pick(rng));
    }
    out
}

/// A transcript of 150 to 400 words in segments of 8 to 16 words, spoken at about two and a
/// half words a second: (text, segments as JSON, whole seconds).
fn transcript(rng: &mut StdRng, vocabulary: &Vocabulary) -> (String, String, u32) {
    let total = rng.random_range(150..400);
    let mut text = String::new();
    let mut segments = String::from("[");
    let mut said = 0;
    let mut clock = rng.random_range(0.0..1.5);
    while said < total {
        let words = rng.random_range(8..=16).min(total - said);
        let line = sentence(rng, vocabulary, words);
        let length = words as f64 / rng.random_range(2.0..3.0);
        if said > 0 {
            text.push(' ');
            segments.push(',');
        }
        text.push_str(&line);
        let _ = write!(
            segments,
            r#"{{"start":{:.2},"end":{:.2},"text":"{}","confidence":{:.2}}}"#,
            clock,
            clock + length,
            line,
            rng.random_range(0.6..0.99)
        );
        clock += length + rng.random_range(0.1..0.8);
        said += words;
    }
    segments.push(']');
    (text, segments, clock.ceil() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_journal_is_given_to_a_user_and_the_first_users_write_most() {
        let counts = journals_per_user(&Plan {
            journals: 1_000_000,
            users: 1_000,
            seed: 1,
        });
        assert_eq!(counts.iter().sum::<u64>(), 1_000_000);
        assert!(counts[0] > 10 * counts[999]);
    }
}
