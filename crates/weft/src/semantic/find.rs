//! Finding journals by meaning, and the blend of meaning with words.
//!
//! **Meaning.** The query's vector is compared with the user's passages (pgvector; cosine
//! distance): every one of them for a user with few ([`super::EXACT_UP_TO`]), else through
//! the HNSW index of the user's partition of `passages` (migration 0018). The nearest
//! [`candidates`] passages are read, those below [`MIN_SCORE`] dropped, and the rest grouped
//! by journal: a journal ranks by its best passage, its snippet is that passage, and its
//! moments are the passages of what was said among the candidates, in time order.
//! Row-level security keeps every other user's passages out, as everywhere. pgvector 0.8
//! continues an index scan past passages the filters remove (`hnsw.iterative_scan`), so a
//! user with a small share of a partition still gets their nearest ones.
//!
//! **Both.** The first [`BLEND_DEPTH`] journals of a keyword search and of a meaning search
//! are merged by reciprocal rank fusion (each list adds 1/(60 + rank)): a journal found
//! both ways rises, and one found either way stays. Snippets and moments come from the
//! keyword search where it found the journal (its words are marked), else from meaning.
//!
//! Pages of either are cut from that ranking by position; the cursor carries the position.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{MeaningError, Semantic, Vectors};
use crate::db::journals;
use crate::db::scoped::UserTx;
use crate::search::{
    self, Count, Moment, Scope, SearchError, SearchHit, SearchPage, SearchRequest, Sort,
};
use crate::util::escape_html;

/// Passages less similar than this to the query are not results: unrelated sentences score
/// under about 0.15 with this model, a paraphrase alone 0.4 and more, and a paraphrase
/// inside a passage that also says other things less.
pub const MIN_SCORE: f64 = 0.2;
/// Journals taken from each list for a blend.
pub const BLEND_DEPTH: usize = 100;
/// Moments shown per journal.
const MOMENTS: usize = 5;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 300;

/// How a search matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Words (full-text search).
    #[default]
    Words,
    /// Meaning (vectors).
    Meaning,
    /// Both, ranked together.
    Both,
}

impl Mode {
    /// Every mode, with its name in URLs.
    pub const ALL: [(Mode, &'static str); 3] = [
        (Mode::Words, "words"),
        (Mode::Meaning, "meaning"),
        (Mode::Both, "both"),
    ];

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Mode> {
        Mode::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(mode, _)| *mode)
    }

    /// Its name in URLs.
    pub fn name(self) -> &'static str {
        Mode::ALL
            .iter()
            .find(|(mode, _)| *mode == self)
            .map_or("words", |(_, name)| name)
    }
}

/// Where the next page starts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Position {
    /// The mode, so that a cursor is not used with another one.
    m: u8,
    o: usize,
}

fn decode(raw: Option<&str>, mode: Mode) -> Result<usize, SearchError> {
    let Some(raw) = raw else { return Ok(0) };
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| SearchError::BadCursor)?;
    let position: Position = serde_json::from_slice(&bytes).map_err(|_| SearchError::BadCursor)?;
    if position.m != mode as u8 {
        return Err(SearchError::CursorOfAnotherOrder);
    }
    Ok(position.o)
}

fn encode(mode: Mode, offset: usize) -> String {
    let position = Position {
        m: mode as u8,
        o: offset,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&position).unwrap_or_default())
}

/// A passage near the query.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Near {
    journal_id: Uuid,
    created_at: DateTime<Utc>,
    kind: String,
    start_s: Option<f64>,
    end_s: Option<f64>,
    text: String,
    score: f64,
}

/// A journal found by meaning: its passages near the query, best first.
#[derive(Debug, Clone)]
struct Found {
    journal_id: Uuid,
    passages: Vec<Near>,
}

/// How many passages to read for a page ending at `end` journals.
fn candidates(end: usize) -> i64 {
    (end * 4).clamp(100, 1_000) as i64
}

/// Searches in `mode`: by words ([`search::search`]), by meaning, or both.
pub async fn search(
    tx: &mut UserTx,
    semantic: &Semantic,
    mode: Mode,
    request: &SearchRequest,
) -> Result<SearchPage, MeaningError> {
    match mode {
        Mode::Words => Ok(search::search(tx, request).await?),
        Mode::Meaning => meaning(tx, semantic, request).await,
        Mode::Both => both(tx, semantic, request).await,
    }
}

/// Searches by meaning.
pub async fn meaning(
    tx: &mut UserTx,
    semantic: &Semantic,
    request: &SearchRequest,
) -> Result<SearchPage, MeaningError> {
    check(&request.q)?;
    let offset = decode(request.cursor.as_deref(), Mode::Meaning)?;
    let limit = request.limit.clamp(1, 100) as usize;
    let (mut found, capped) = nearest(tx, semantic, request, offset + limit + 1).await?;
    by_date(&mut found, request.sort, |found| {
        found.passages[0].created_at
    });
    let total = found.len();
    let page: Vec<&Found> = found.iter().skip(offset).take(limit).collect();
    let ids: Vec<Uuid> = page.iter().map(|found| found.journal_id).collect();
    let mut views = views_by_id(tx, &ids).await?;
    let items = page
        .into_iter()
        .filter_map(|found| {
            let journal = views.remove(&found.journal_id)?;
            let (snippet, moments) = shown(found);
            Some(SearchHit {
                journal,
                snippet,
                moments,
            })
        })
        .collect();
    let end = offset + limit;
    Ok(SearchPage {
        items,
        next_cursor: (total > end).then(|| encode(Mode::Meaning, end)),
        partial: false,
        count: Some(Count {
            value: total as i64,
            more: capped,
        }),
        suggestion: None,
        corrected: false,
    })
}

/// A query by meaning is any text, short enough; text with NUL reaches no database, but
/// is refused as everywhere else.
fn check(q: &str) -> Result<(), SearchError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(search::QueryError::Empty.into());
    }
    if q.chars().count() > search::query::MAX_QUERY_CHARS {
        return Err(search::QueryError::TooLong.into());
    }
    Ok(())
}

/// Searches by words and by meaning, and ranks the two together.
pub async fn both(
    tx: &mut UserTx,
    semantic: &Semantic,
    request: &SearchRequest,
) -> Result<SearchPage, MeaningError> {
    let offset = decode(request.cursor.as_deref(), Mode::Both)?;
    let limit = request.limit.clamp(1, 100) as usize;
    let by_words = search::search(
        tx,
        &SearchRequest {
            limit: BLEND_DEPTH as i64,
            cursor: None,
            ..request.clone()
        },
    )
    .await?;
    let (by_meaning, _) = nearest(tx, semantic, request, BLEND_DEPTH).await?;
    let mut score: HashMap<Uuid, f64> = HashMap::new();
    for (rank, hit) in by_words.items.iter().enumerate() {
        *score.entry(hit.journal.journal.id).or_default() += 1.0 / (60.0 + rank as f64);
    }
    for (rank, found) in by_meaning.iter().enumerate() {
        *score.entry(found.journal_id).or_default() += 1.0 / (60.0 + rank as f64);
    }
    let mut order: Vec<(Uuid, f64)> = score.into_iter().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let created: HashMap<Uuid, DateTime<Utc>> = by_words
        .items
        .iter()
        .map(|hit| (hit.journal.journal.id, hit.journal.journal.created_at))
        .chain(
            by_meaning
                .iter()
                .map(|found| (found.journal_id, found.passages[0].created_at)),
        )
        .collect();
    by_date(&mut order, request.sort, |(id, _)| created[id]);
    let total = order.len();
    let page: Vec<Uuid> = order
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, _)| *id)
        .collect();
    let mut worded: HashMap<Uuid, SearchHit> = by_words
        .items
        .into_iter()
        .map(|hit| (hit.journal.journal.id, hit))
        .collect();
    let meant: HashMap<Uuid, &Found> = by_meaning
        .iter()
        .map(|found| (found.journal_id, found))
        .collect();
    let missing: Vec<Uuid> = page
        .iter()
        .filter(|id| !worded.contains_key(id))
        .copied()
        .collect();
    let mut views = views_by_id(tx, &missing).await?;
    let items = page
        .iter()
        .filter_map(|id| {
            if let Some(hit) = worded.remove(id) {
                return Some(hit);
            }
            let (snippet, moments) = shown(meant.get(id)?);
            Some(SearchHit {
                journal: views.remove(id)?,
                snippet,
                moments,
            })
        })
        .collect();
    let end = offset + limit;
    Ok(SearchPage {
        items,
        next_cursor: (total > end).then(|| encode(Mode::Both, end)),
        partial: by_words.partial,
        count: Some(Count {
            value: total as i64,
            more: by_words.next_cursor.is_some() || by_meaning.len() >= BLEND_DEPTH,
        }),
        suggestion: by_words.suggestion,
        corrected: by_words.corrected,
    })
}

/// The journals whose passages are nearest the query, best first, at least `wanted` of
/// them where that many pass [`MIN_SCORE`] among the candidates; and whether the candidates
/// ran out before the journals did (more may match).
async fn nearest(
    tx: &mut UserTx,
    semantic: &Semantic,
    request: &SearchRequest,
    wanted: usize,
) -> Result<(Vec<Found>, bool), MeaningError> {
    if let Vectors::Missing(reason) = semantic.vectors() {
        return Err(MeaningError::NoVectors(reason.clone()));
    }
    let vector = semantic.query_vector(request.q.trim()).await?;
    let through_index = semantic.through_index(tx).await?;
    if through_index {
        // The planner cannot tell how far the index must be walked to find this user's
        // nearest passages and, for a large user, prefers comparing them all (ten times
        // slower, measured); only the index is left to it. pgvector 0.8 continues the walk
        // past the passages that the filters remove.
        let iterate = if semantic.vectors().iterates() {
            ", set_config('hnsw.iterative_scan', 'relaxed_order', true)"
        } else {
            ""
        };
        sqlx::query(&format!(
            "SELECT set_config('hnsw.ef_search', '100', true),
                    set_config('enable_seqscan', 'off', true),
                    set_config('enable_bitmapscan', 'off', true){iterate}"
        ))
        .execute(&mut **tx)
        .await?;
    }
    let kinds: &[&str] = match request.scope {
        Scope::Everything => &["title", "notes", "said"],
        Scope::Transcripts => &["said"],
        Scope::Titles => &["title"],
    };
    let limit = candidates(wanted);
    // Ordered by the index's expression, the plan walks the index; ordered by the score,
    // the user's passages are all compared and the best kept (no index matches).
    let order = if through_index {
        "p.embedding::vector(384) <=> $1::real[]::vector(384)"
    } else {
        "score DESC"
    };
    let rows = sqlx::query_as::<_, Near>(&format!(
        "SELECT p.journal_id, p.kind, p.start_s, p.end_s, p.text,
                (SELECT j.created_at FROM journals j WHERE j.id = p.journal_id) AS created_at,
                1 - (p.embedding::vector(384) <=> $1::real[]::vector(384)) AS score
         FROM passages p
         -- The user's own partition only (row-level security says the same, but is known
         -- only when the query runs, after planning).
         WHERE p.user_id = $7
           AND p.kind = ANY($2)
           -- The filters as a condition on each passage (not a join), so that the plan stays
           -- a scan of the vector index; without filters it is never evaluated.
           AND (($3::timestamptz IS NULL AND $4::timestamptz IS NULL AND cardinality($5::text[]) = 0)
                OR EXISTS (SELECT 1 FROM journal_search s
                           WHERE s.journal_id = p.journal_id
                             AND ($3::timestamptz IS NULL OR s.created_at >= $3)
                             AND ($4::timestamptz IS NULL OR s.created_at < $4)
                             AND (cardinality($5::text[]) = 0 OR s.tags @> $5::text[])))
         ORDER BY {order}
         LIMIT $6"
    ))
    .bind(vector.as_slice())
    .bind(kinds)
    .bind(request.from)
    .bind(request.to)
    .bind(&request.tags)
    .bind(limit)
    .bind(tx.user_id())
    .fetch_all(&mut **tx)
    .await?;
    let capped = rows.len() as i64 >= limit;
    Ok((group(rows), capped))
}

/// Reorders a ranking by date when the search asks for newest or oldest first (a stable
/// sort: equal dates keep their rank).
fn by_date<T>(items: &mut [T], sort: Sort, created: impl Fn(&T) -> DateTime<Utc>) {
    match sort {
        Sort::Best => {}
        Sort::Newest => items.sort_by_key(|item| std::cmp::Reverse(created(item))),
        Sort::Oldest => items.sort_by_key(|item| created(item)),
    }
}

/// Passages grouped by journal, journals by their best passage.
fn group(mut rows: Vec<Near>) -> Vec<Found> {
    // An iterative scan returns them nearly in order; the ranking needs them in order.
    rows.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut found: Vec<Found> = Vec::new();
    let mut at: HashMap<Uuid, usize> = HashMap::new();
    for row in rows.into_iter().filter(|row| row.score >= MIN_SCORE) {
        match at.get(&row.journal_id) {
            Some(&index) => found[index].passages.push(row),
            None => {
                at.insert(row.journal_id, found.len());
                found.push(Found {
                    journal_id: row.journal_id,
                    passages: vec![row],
                });
            }
        }
    }
    found
}

/// The snippet (the best passage) and the moments (what was said, in time order).
fn shown(found: &Found) -> (String, Vec<Moment>) {
    let snippet = found
        .passages
        .first()
        .map(|best| escape_html(&shorten(&best.text)))
        .unwrap_or_default();
    let mut said: Vec<&Near> = found
        .passages
        .iter()
        .filter(|near| near.kind == "said" && near.start_s.is_some())
        .take(MOMENTS)
        .collect();
    said.sort_by(|a, b| {
        a.start_s
            .unwrap_or(0.0)
            .total_cmp(&b.start_s.unwrap_or(0.0))
    });
    let moments = said
        .into_iter()
        .map(|near| {
            let start = near.start_s.unwrap_or(0.0);
            Moment {
                start,
                end: near.end_s.unwrap_or(start),
                at: start,
                text: near.text.clone(),
                highlighted: escape_html(&near.text),
            }
        })
        .collect();
    (snippet, moments)
}

async fn views_by_id(
    tx: &mut UserTx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, journals::JournalView>, sqlx::Error> {
    Ok(journals::views(tx, ids)
        .await?
        .into_iter()
        .map(|view| (view.journal.id, view))
        .collect())
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(SNIPPET_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut} …")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(journal: u128, kind: &str, start: Option<f64>, score: f64) -> Near {
        Near {
            journal_id: Uuid::from_u128(journal),
            created_at: DateTime::from_timestamp(journal as i64, 0).unwrap(),
            kind: kind.into(),
            start_s: start,
            end_s: start.map(|s| s + 30.0),
            text: format!("text <{journal}>"),
            score,
        }
    }

    #[test]
    fn journals_rank_by_their_best_passage_and_weak_ones_are_dropped() {
        let found = group(vec![
            near(1, "said", Some(60.0), 0.5),
            near(2, "title", None, 0.7),
            near(1, "said", Some(0.0), 0.6),
            near(3, "said", Some(0.0), 0.1),
        ]);
        let order: Vec<u128> = found.iter().map(|f| f.journal_id.as_u128()).collect();
        assert_eq!(order, [2, 1]);
        let (snippet, moments) = shown(&found[1]);
        assert_eq!(snippet, "text &lt;1&gt;");
        let starts: Vec<f64> = moments.iter().map(|m| m.start).collect();
        assert_eq!(starts, [0.0, 60.0], "moments in time order");
        assert!(shown(&found[0]).1.is_empty(), "a title is no moment");
    }

    #[test]
    fn cursors_carry_their_mode_and_position() {
        let raw = encode(Mode::Meaning, 40);
        assert_eq!(decode(Some(&raw), Mode::Meaning).unwrap(), 40);
        assert!(matches!(
            decode(Some(&raw), Mode::Both),
            Err(SearchError::CursorOfAnotherOrder)
        ));
        assert!(matches!(
            decode(Some("nonsense"), Mode::Meaning),
            Err(SearchError::BadCursor)
        ));
    }

    #[test]
    fn long_snippets_are_cut_at_a_word() {
        let long = "word ".repeat(100);
        let short = shorten(&long);
        assert!(short.ends_with(" …") && short.chars().count() <= SNIPPET_CHARS + 2);
    }
}
