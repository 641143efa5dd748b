//! Search: one query over a user's titles, tags, notes, locations and current transcripts,
//! ranked title > tags > notes and location > transcript and then newest first (or by date
//! alone, or in titles or transcripts only), with a highlighted snippet, the moments
//! (transcript segments) where the words were said with the words marked, and a count of
//! the matches up to [`COUNT_CAP`]. A word is also looked for in its other spelling
//! ([`spelling`]); when nothing is found, the closest words of the user's own journals are
//! suggested ("did you mean") and searched.
//!
//! The matching runs on `journal_search` (migrations/0004_search.sql): one weighted
//! tsvector per journal behind a GIN index on (user_id, document). When whole words find
//! nothing, the query is run again with each word expanded to the words containing it
//! (`ligh` finds `flight`), so partial words still find something. A query made only of
//! words that full-text search leaves out (`that`, `"to be or not to be"`) is matched as
//! written against the texts themselves: slower, as it reads all of the user's journals,
//! but it finds what was said.
//!
//! The statements are built at run time (their shape follows the query) with numbered
//! parameters rather than `sqlx::QueryBuilder`: one tsquery expression is written several
//! times in a statement and must name the same parameters each time, where QueryBuilder
//! would bind every text again at each mention. Every value is still a bound parameter.

mod details;
mod find;
pub mod kept;
pub mod query;
pub mod spelling;
mod suggest;
mod words;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::journals::{self, JournalView};
use crate::db::scoped::UserTx;
// Public for the test that checks its keys on a whole dictionary.
pub use details::tsquery_keys_sql;
use details::{details, literal_details};
pub use find::explain;
use find::{count, find, Hit};
pub use query::{Matching, Query, QueryError};
use words::{name_partial_lexemes, name_prefix_lexemes, only_ignored_words};

/// A search as asked.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// Journals carrying every one of these tags (normalised).
    pub tags: Vec<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Results per page.
    pub limit: i64,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// What to search in.
    pub scope: Scope,
    /// The order of the results.
    pub sort: Sort,
    /// Search again even when the page is kept (a client's `Cache-Control: no-cache`).
    pub fresh: bool,
}

/// What a search looks in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// Titles, tags, notes, location and transcripts.
    #[default]
    Everything,
    /// The current transcripts only.
    Transcripts,
    /// The titles only.
    Titles,
}

impl Scope {
    /// Every scope, with its name in URLs.
    pub const ALL: [(Scope, &'static str); 3] = [
        (Scope::Everything, "all"),
        (Scope::Transcripts, "transcripts"),
        (Scope::Titles, "titles"),
    ];

    /// The scope named `name` in a URL.
    pub fn parse(name: &str) -> Option<Self> {
        named(&Self::ALL, name)
    }

    /// Its name in URLs.
    pub fn name(self) -> &'static str {
        name_of(&Self::ALL, self)
    }
}

/// The order of a search's results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Title matches first, then tags, notes and location, then transcripts; newest first
    /// within each.
    #[default]
    Best,
    Newest,
    Oldest,
}

impl Sort {
    /// Every order, with its name in URLs.
    pub const ALL: [(Sort, &'static str); 3] = [
        (Sort::Best, "best"),
        (Sort::Newest, "newest"),
        (Sort::Oldest, "oldest"),
    ];

    /// The order named `name` in a URL.
    pub fn parse(name: &str) -> Option<Self> {
        named(&Self::ALL, name)
    }

    /// Its name in URLs.
    pub fn name(self) -> &'static str {
        name_of(&Self::ALL, self)
    }
}

/// The value named `name` in a table of (value, name in URLs).
fn named<T: Copy>(table: &[(T, &'static str)], name: &str) -> Option<T> {
    table
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(value, _)| *value)
}

/// The name in URLs of `value` in a table of (value, name); the first name when the table
/// lacks it (every value is in its table).
fn name_of<T: PartialEq>(table: &[(T, &'static str)], value: T) -> &'static str {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .or(table.first())
        .map_or("", |(_, n)| n)
}

/// The most matches a search counts: counting every journal that contains a common word
/// would cost more than finding the page.
pub const COUNT_CAP: i64 = 1000;

/// How many journals match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The journals counted, at most [`COUNT_CAP`].
    pub value: i64,
    /// Whether more match than were counted.
    pub more: bool,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    pub next_cursor: Option<String>,
    /// Whether the results come from partial-word or as-written matching (whole words
    /// found nothing).
    pub partial: bool,
    /// How many journals match, when known (not for words that full-text search ignores,
    /// which are read from the texts themselves, unless every match is on this page).
    pub count: Option<Count>,
    /// The query with each misspelled word replaced by the closest word of the user's
    /// own journals, when whole words found nothing and such a word exists.
    pub suggestion: Option<String>,
    /// Whether these are the results of [`SearchPage::suggestion`], because the query as
    /// typed found nothing at all. Their next page is the suggestion's.
    pub corrected: bool,
}

/// Which matching produced a page, as its cursor records it.
fn matching_code(matching: Matching) -> u8 {
    match matching {
        Matching::Exact => 0,
        Matching::Partial => 1,
        Matching::Literal => 2,
    }
}

/// One journal that matched.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub journal: JournalView,
    /// HTML: the text escaped, matching words wrapped in `<mark>…</mark>`.
    pub snippet: String,
    /// The transcript segments that contain a searched word, in time order.
    pub moments: Vec<Moment>,
}

/// A transcript segment where a searched word was said.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Moment {
    /// Seconds from the start of the video.
    pub start: f64,
    pub end: f64,
    /// Where the first word that matched starts, when the transcript times its words;
    /// else the segment's start. Play from here.
    pub at: f64,
    /// The segment's text.
    pub text: String,
    /// HTML: the segment's text escaped, the words that matched in `<mark>` elements.
    pub highlighted: String,
}

/// Why a search is refused.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("the cursor is not one this server gave out")]
    BadCursor,
    #[error("the cursor belongs to a search in another order or scope")]
    CursorOfAnotherOrder,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where the next page starts: after (rank class, created_at, id) in result order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// How the results were matched: 0 exact, 1 partial words, 2 as written.
    p: u8,
    /// The order and scope it was given for ([`order_code`]); 0 in cursors made before
    /// there was a choice, which were for the default.
    #[serde(default)]
    s: u8,
    c: i32,
    t: DateTime<Utc>,
    i: Uuid,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(raw: &str) -> Result<Self, SearchError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| SearchError::BadCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| SearchError::BadCursor)
    }
}

/// The order and scope of a search, as its cursors record them.
fn order_code(request: &SearchRequest) -> u8 {
    let sort = Sort::ALL.iter().position(|(s, _)| *s == request.sort);
    let scope = Scope::ALL.iter().position(|(s, _)| *s == request.scope);
    (sort.unwrap_or(0) * 3 + scope.unwrap_or(0)) as u8
}

/// Searches the journals of the transaction's user. Begin it with
/// `db::scoped::begin_for_user_planning_each`, so that PostgreSQL plans for how common the
/// words are; row-level security keeps every other user's rows out.
///
/// A page asked again while nothing of the user's changed is answered from [`kept`].
#[tracing::instrument(skip(tx, request), fields(user_id = %tx.user_id(), q = %request.q))]
pub async fn search(tx: &mut UserTx, request: &SearchRequest) -> Result<SearchPage, SearchError> {
    let version = kept::version(tx).await?;
    let key = kept::key(request);
    if let Some(page) = kept::get(tx.user_id(), &key, version).filter(|_| !request.fresh) {
        return Ok(page);
    }
    let page = search_now(tx, request).await?;
    kept::put(tx.user_id(), key, version, page.clone());
    Ok(page)
}

/// [`search`] without the kept pages.
async fn search_now(tx: &mut UserTx, request: &SearchRequest) -> Result<SearchPage, SearchError> {
    let query = Query::parse(&request.q)?;
    let cursor = request.cursor.as_deref().map(Cursor::decode).transpose()?;
    if cursor.is_some_and(|cursor| cursor.s != order_code(request)) {
        return Err(SearchError::CursorOfAnotherOrder);
    }
    let limit = request.limit.clamp(1, 100);
    let mut found = find_matching(tx, request, query, cursor, limit).await?;
    let mut suggestion = None;
    let mut corrected = false;
    // Neither whole nor partial words found anything: perhaps a word is misspelled. (Where
    // partial words found something, they are what was typed, and looking for a
    // suggestion as well would double the cost of every partial-word search.)
    if cursor.is_none() && found.hits.is_empty() && found.matching != Matching::Literal {
        suggestion = suggest::instead(tx, &request.q, &found.query).await?;
        if let Some(suggested) = &suggestion {
            let again = find_matching(tx, request, Query::parse(suggested)?, None, limit).await?;
            if !again.hits.is_empty() {
                found = again;
                corrected = true;
            }
        }
    } else if cursor.is_none()
        && found.matching == Matching::Exact
        && found.hits.len() <= suggest::FEW_RESULTS
    {
        // A word said once or twice may be a slip ("sistr") of one said often: the results
        // stay, with the suggestion beside them.
        suggestion = suggest::beside_few(tx, &request.q, &found.query, found.hits.len()).await?;
    }
    let Found {
        query,
        matching,
        mut hits,
        ..
    } = found;
    // A first page that holds every match counts them itself (most phrases and rare words):
    // the count's statement runs only where there is more than a page.
    let more_than_a_page = hits.len() as i64 > limit;
    let count = if more_than_a_page || cursor.is_some() {
        count(tx, request, &query, matching).await?
    } else {
        None
    };
    let next_cursor = if more_than_a_page {
        hits.truncate(limit as usize);
        hits.last().map(|hit| {
            Cursor {
                p: matching_code(matching),
                s: order_code(request),
                c: hit.class,
                t: hit.created_at,
                i: hit.journal_id,
            }
            .encode()
        })
    } else {
        None
    };
    // As-written matching is not counted; a first page that holds every match counts them.
    let count = count.or_else(|| {
        (cursor.is_none() && next_cursor.is_none()).then_some(Count {
            value: hits.len() as i64,
            more: false,
        })
    });
    let ids: Vec<Uuid> = hits.iter().map(|hit| hit.journal_id).collect();
    // The page's journals and their details are read the same way whatever was searched:
    // their generic plans serve, where planning them for each search was a fifth of its
    // time in the database for a common word.
    tx.reuse_plans(true).await?;
    let mut views = journals::views(tx, &ids).await?;
    let mut details = if matching == Matching::Literal {
        literal_details(tx, &ids, &query).await?
    } else {
        details(tx, &ids, &query, matching).await?
    };
    tx.reuse_plans(false).await?;
    let items = ids
        .iter()
        .filter_map(|id| {
            let at = views.iter().position(|view| view.journal.id == *id)?;
            let journal = views.swap_remove(at);
            let (snippet, moments) = details.remove(id).unwrap_or_default();
            Some(SearchHit {
                journal,
                snippet,
                moments,
            })
        })
        .collect();
    Ok(SearchPage {
        items,
        next_cursor,
        partial: matching != Matching::Exact,
        count,
        suggestion,
        corrected,
    })
}

/// What [`find_matching`] found, and how.
struct Found {
    query: Query,
    matching: Matching,
    hits: Vec<Hit>,
}

/// A page of the journals matching `query`: whole words first; when they find nothing on
/// a first page, partial words, or the words as written when full-text search ignores
/// them all.
async fn find_matching(
    tx: &mut UserTx,
    request: &SearchRequest,
    mut query: Query,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Found, SearchError> {
    let user_id = tx.user_id();
    let mut matching = match cursor {
        Some(Cursor { p: 1, .. }) => Matching::Partial,
        Some(Cursor { p: 2, .. }) => Matching::Literal,
        _ => Matching::Exact,
    };
    // A query of only words that English full-text search leaves out (`have`, "to be or
    // not to be") is matched as written from its first page: whole-word matching would find
    // only the odd text indexed word for word (another language's, or an English word that
    // stems to it, `haves`) and take those few for the whole answer.
    if cursor.is_none() && only_ignored_words(tx, &query).await? {
        matching = Matching::Literal;
    }
    // Matching as written reads the texts themselves: it has nothing to name.
    if matching != Matching::Literal {
        name_prefix_lexemes(tx, &mut query).await?;
    }
    if matching == Matching::Partial {
        name_partial_lexemes(tx, &mut query).await?;
    }
    let mut hits = find(tx, user_id, request, &query, matching, cursor, limit).await?;
    // Whole words found nothing: words containing the letters typed. A query of phrases and
    // prefixes has no word to expand: trying it again would run the same search twice.
    if hits.is_empty()
        && cursor.is_none()
        && matching == Matching::Exact
        && query.expands_partially()
    {
        matching = Matching::Partial;
        name_partial_lexemes(tx, &mut query).await?;
        hits = find(tx, user_id, request, &query, matching, None, limit).await?;
    }
    Ok(Found {
        query,
        matching,
        hits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = Cursor {
            p: 1,
            s: 3,
            c: 2,
            t: Utc::now(),
            i: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(matches!(
            Cursor::decode("not a cursor"),
            Err(SearchError::BadCursor)
        ));
        assert!(matches!(Cursor::decode("e30"), Err(SearchError::BadCursor)));
    }
}
