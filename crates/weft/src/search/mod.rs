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

pub mod query;
pub mod spelling;
mod suggest;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::journals::{self, JournalView};
use crate::db::scoped::UserTx;
pub use query::{Matching, Query, QueryError};

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

/// Highlight markers that ts_headline puts around matches; stripped from the texts first,
/// so that only PostgreSQL's own markers become `<mark>`.
const START_MARK: char = '\u{1}';
const STOP_MARK: char = '\u{2}';

/// Searches the journals of the transaction's user. Begin it with
/// `db::scoped::begin_for_user_planning_each`, so that PostgreSQL plans for how common the
/// words are; row-level security keeps every other user's rows out.
#[tracing::instrument(skip(tx, request), fields(user_id = %tx.user_id(), q = %request.q))]
pub async fn search(tx: &mut UserTx, request: &SearchRequest) -> Result<SearchPage, SearchError> {
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
    let mut views = journals::views(tx, &ids).await?;
    let mut details = if matching == Matching::Literal {
        literal_details(tx, &ids, &query).await?
    } else {
        details(tx, &ids, &query, matching).await?
    };
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
    // Matching as written reads the texts themselves: it has nothing to name.
    if matching != Matching::Literal {
        name_prefix_lexemes(tx, &mut query).await?;
    }
    if matching == Matching::Partial {
        name_partial_lexemes(tx, &mut query).await?;
    }
    let mut hits = find(tx, user_id, request, &query, matching, cursor, limit).await?;
    if hits.is_empty() && cursor.is_none() {
        let fallback = if only_ignored_words(tx, &query).await? {
            Some(Matching::Literal)
        } else {
            // A query of phrases and prefixes has no word to expand: trying it again would
            // run the same search twice.
            query.expands_partially().then_some(Matching::Partial)
        };
        if let Some(fallback) = fallback {
            matching = fallback;
            if matching == Matching::Partial {
                name_partial_lexemes(tx, &mut query).await?;
            }
            hits = find(tx, user_id, request, &query, matching, None, limit).await?;
        }
    }
    Ok(Found {
        query,
        matching,
        hits,
    })
}

/// How many journals match, up to [`COUNT_CAP`]; none for [`Matching::Literal`], which
/// would read every text of the user.
async fn count(
    conn: &mut UserTx,
    request: &SearchRequest,
    query: &Query,
    matching: Matching,
) -> Result<Option<Count>, sqlx::Error> {
    if matching == Matching::Literal {
        return Ok(None);
    }
    let (expr, wanted) = query.to_sql_and_wanted(COUNT_FIXED + 1, matching);
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM journal_search s \
         WHERE s.user_id = $1 AND {} {FILTERS} LIMIT $5) c",
        scope_condition(request.scope, &expr.sql, wanted.as_deref())
    );
    let mut statement = sqlx::query_scalar::<_, i64>(&sql)
        .bind(conn.user_id())
        .bind(request.from)
        .bind(request.to)
        .bind(&request.tags)
        .bind(COUNT_CAP + 1);
    for text in &expr.binds {
        statement = statement.bind(text);
    }
    let counted = statement.fetch_one(&mut **conn).await?;
    Ok(Some(Count {
        value: counted.min(COUNT_CAP),
        more: counted > COUNT_CAP,
    }))
}

/// Parameters $1 to $5 of the count's statement; the query's texts follow.
const COUNT_FIXED: usize = 5;

/// The condition on `journal_search s` that the tsquery expression `q` matches in `scope`.
/// Titles and transcripts are filtered by weight after an index found the journals that
/// hold the `wanted` groups of `q` anywhere ([`Query::to_sql_and_wanted`]): the index
/// cannot apply the exclusions, which are about the one field.
fn scope_condition(scope: Scope, q: &str, wanted: Option<&str>) -> String {
    let field = |column: &str, weight: char| {
        let found = wanted.map_or(String::new(), |w| format!("s.{column} @@ {w} AND "));
        format!("{found}ts_filter(s.{column}, '{{{weight}}}') @@ {q}")
    };
    match scope {
        Scope::Everything => format!("s.document @@ {q}"),
        Scope::Titles => field("head", 'a'),
        Scope::Transcripts => field("document", 'd'),
    }
}

/// The most words a prefix is matched as; a prefix that starts more words is matched as a
/// prefix of lexemes.
const MAX_PREFIX_WORDS: i64 = 200;

/// Names the lexemes of each prefix term of `query` ([`query::Term::lexemes`]): those of
/// the words in the word list that start with it, when there are at most
/// [`MAX_PREFIX_WORDS`], with the prefix's own when it is shorter than the list's words.
async fn name_prefix_lexemes(
    conn: &mut PgConnection,
    query: &mut Query,
) -> Result<(), sqlx::Error> {
    for term in query.prefixes_mut() {
        let short = if term.text.chars().count() < 3 {
            term.text.as_str()
        } else {
            ""
        };
        let (words, lexemes) = word_list_lexemes(
            conn,
            "lower($1) || '%'",
            "word",
            &term.text,
            MAX_PREFIX_WORDS + 1,
            short,
        )
        .await?;
        if words <= MAX_PREFIX_WORDS {
            term.lexemes = Some(lexemes);
        }
    }
    Ok(())
}

/// The most words a partial word is expanded to, shortest first.
const MAX_PARTIAL_WORDS: i64 = 64;

/// Names the lexemes of the words that contain each word of `query` that
/// [`Matching::Partial`] expands ([`query::Term::lexemes`]), found through the word
/// list's trigram index.
async fn name_partial_lexemes(
    conn: &mut PgConnection,
    query: &mut Query,
) -> Result<(), sqlx::Error> {
    for (letters, term) in query.partial_words_mut() {
        let (_, lexemes) = word_list_lexemes(
            conn,
            "'%' || $1 || '%'",
            "length(word), word",
            &letters,
            MAX_PARTIAL_WORDS,
            "",
        )
        .await?;
        term.lexemes = Some(lexemes);
    }
    Ok(())
}

/// How many words of the word list match `LIKE pattern` (SQL of `$1`, bound to `letters`:
/// letters and digits only, so no wildcard of their own) up to `limit` in `order`, and
/// the distinct lexemes of those words and of `also`. Each lexeme once: a word's forms
/// share one (`retire`, `retired`, `retiring`), and a query naming it once is planned for
/// how common it is, not for that many times as common. The search's transaction plans
/// each statement for its values, so the word list's indexes answer the LIKE.
async fn word_list_lexemes(
    conn: &mut PgConnection,
    pattern: &str,
    order: &str,
    letters: &str,
    limit: i64,
    also: &str,
) -> Result<(i64, Vec<String>), sqlx::Error> {
    let sql = format!(
        "WITH w AS MATERIALIZED (SELECT word FROM search_words WHERE word LIKE {pattern} \
                                 ORDER BY {order} LIMIT $2) \
         SELECT (SELECT count(*) FROM w), \
                coalesce((SELECT array_agg(l.lexeme ORDER BY l.lexeme) \
                          FROM unnest(to_tsvector('english', \
                              concat_ws(' ', (SELECT string_agg(word, ' ') FROM w), $3))) AS l), \
                         '{{}}')"
    );
    sqlx::query_as(&sql)
        .bind(letters)
        .bind(limit)
        .bind(also)
        .fetch_one(conn)
        .await
}

/// Whether full-text search ignores every word of the query (stop words such as `that`),
/// so that the document index cannot find it.
async fn only_ignored_words(conn: &mut PgConnection, query: &Query) -> Result<bool, sqlx::Error> {
    let expr = query.english_sql(1);
    let sql = format!("SELECT numnode({}) = 0", expr.sql);
    let mut statement = sqlx::query_scalar::<_, bool>(&sql);
    for text in &expr.binds {
        statement = statement.bind(text);
    }
    statement.fetch_one(conn).await
}

#[derive(Debug, sqlx::FromRow)]
struct Hit {
    journal_id: Uuid,
    created_at: DateTime<Utc>,
    class: i32,
}

/// The matching journals after `cursor`, best first, one more than `limit`.
async fn find(
    conn: &mut PgConnection,
    user_id: Uuid,
    request: &SearchRequest,
    query: &Query,
    matching: Matching,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    let ranked = request.sort == Sort::Best && request.scope == Scope::Everything;
    let (sql, binds) = if matching == Matching::Literal {
        let condition = |text: &str| query.literal_sql(FIND_FIXED + 1, text);
        let sql = if ranked {
            literal_find_sql(condition)
        } else {
            literal_dated_sql(request.scope, request.sort, condition)
        };
        (sql, query.literal_patterns())
    } else {
        let (expr, wanted) = query.to_sql_and_wanted(FIND_FIXED + 1, matching);
        let sql = if ranked {
            find_sql(&expr.sql)
        } else {
            dated_sql(request.scope, request.sort, &expr.sql, wanted.as_deref())
        };
        (sql, expr.binds)
    };
    let mut statement = sqlx::query_as::<_, Hit>(&sql)
        .bind(user_id)
        .bind(request.from)
        .bind(request.to)
        .bind(&request.tags)
        .bind(cursor.map(|c| c.c))
        .bind(cursor.map(|c| c.t))
        .bind(cursor.map(|c| c.i))
        .bind(limit + 1);
    for text in &binds {
        statement = statement.bind(text);
    }
    statement.fetch_all(conn).await
}

/// Parameters $1 to $8 of [`find_sql`]; the query's texts follow.
const FIND_FIXED: usize = 8;

/// The conditions of the tag and date filters on `journal_search s`.
const FILTERS: &str = "AND ($2::timestamptz IS NULL OR s.created_at >= $2) \
     AND ($3::timestamptz IS NULL OR s.created_at < $3) \
     AND (cardinality($4::text[]) = 0 OR s.tags @> $4::text[])";

/// The statement that finds a page of journals matching whole words (or the named words of
/// prefixes and partial words), for the tsquery expression: the journals whose head (title, tags, notes) matches, ranked, found through
/// journal_search_head_idx; then those that only the transcript matches, newest first.
/// The second part never ranks all of its matches: PostgreSQL either reads the user's
/// journals newest first until the page is full (a common word) or the few matches from
/// journal_search_document_idx (a rare one), choosing by the word's statistics when the
/// statement is planned for its parameters (`begin_for_user_planning_each`), where the
/// expression (immutable functions of constants) is computed once, at planning.
fn find_sql(tsquery: &str) -> String {
    let q = tsquery;
    format!(
        "SELECT h.journal_id, h.created_at, h.class FROM ( \
             (SELECT a.journal_id, a.created_at, a.class FROM ( \
                 SELECT s.journal_id, s.created_at, \
                        CASE WHEN ts_filter(s.head, '{{a}}') @@ {q} THEN 0 \
                             WHEN ts_filter(s.head, '{{a,b}}') @@ {q} THEN 1 ELSE 2 END AS class \
                 FROM journal_search s \
                 WHERE s.user_id = $1 AND s.head @@ {q} AND s.document @@ {q} {FILTERS} \
                   AND ($5::int IS NULL OR $5 < 3) \
             ) a \
             WHERE $5::int IS NULL OR a.class > $5 \
                OR (a.class = $5 AND (a.created_at, a.journal_id) < ($6, $7)) \
             ORDER BY a.class, a.created_at DESC, a.journal_id DESC LIMIT $8) \
             UNION ALL \
             (SELECT s.journal_id, s.created_at, 3 FROM journal_search s \
              WHERE s.user_id = $1 AND s.document @@ {q} AND NOT (s.head @@ {q}) {FILTERS} \
                AND ($5::int IS NULL OR $5 < 3 OR (s.created_at, s.journal_id) < ($6, $7)) \
              ORDER BY s.created_at DESC, s.journal_id DESC LIMIT $8) \
         ) h \
         ORDER BY h.class, h.created_at DESC, h.journal_id DESC LIMIT $8"
    )
}

/// The direction of the date order and the comparison that pages along it.
fn date_order(sort: Sort) -> (&'static str, &'static str) {
    match sort {
        Sort::Oldest => ("ASC", ">"),
        Sort::Best | Sort::Newest => ("DESC", "<"),
    }
}

/// The statement that finds a page of journals matching the tsquery expression in
/// `scope`, by date: every order but the ranked one of everything (titles alone, or
/// transcripts alone, have no rank classes to order). Parameters as [`find_sql`].
fn dated_sql(scope: Scope, sort: Sort, tsquery: &str, wanted: Option<&str>) -> String {
    let (direction, after) = date_order(sort);
    format!(
        "SELECT s.journal_id, s.created_at, 0 AS class FROM journal_search s \
         WHERE s.user_id = $1 AND {condition} {FILTERS} \
           AND ($5::int IS NULL OR (s.created_at, s.journal_id) {after} ($6, $7)) \
         ORDER BY s.created_at {direction}, s.journal_id {direction} LIMIT $8",
        condition = scope_condition(scope, tsquery, wanted),
    )
}

/// [`dated_sql`] for [`Matching::Literal`]: the user's journals in date order, each
/// tested with `condition` on the texts of `scope` until the page is full.
fn literal_dated_sql(scope: Scope, sort: Sort, condition: impl Fn(&str) -> String) -> String {
    let (direction, after) = date_order(sort);
    let text = match scope {
        Scope::Everything => document(&literal_head("j", "o.tags"), "o"),
        Scope::Titles => "j.title".to_string(),
        Scope::Transcripts => {
            "coalesce(weft_current_transcript_text(o.journal_id), '')".to_string()
        }
    };
    format!(
        "SELECT o.journal_id, o.created_at, 0 AS class FROM ( \
             SELECT s.journal_id, s.created_at, s.tags FROM journal_search s \
             WHERE s.user_id = $1 {FILTERS} \
               AND ($5::int IS NULL OR (s.created_at, s.journal_id) {after} ($6, $7)) \
             ORDER BY s.created_at {direction}, s.journal_id {direction} OFFSET 0) o \
         WHERE (SELECT {test} FROM journals j WHERE j.id = o.journal_id AND j.user_id = $1) \
         ORDER BY o.created_at {direction}, o.journal_id {direction} LIMIT $8",
        test = condition(&text),
    )
}

/// The head (title, tags, notes, location) of journal `j` as one text, as written.
fn literal_head(j: &str, tags: &str) -> String {
    format!(
        "concat_ws(E'\\n', {j}.title, array_to_string({tags}, E'\\n'), {j}.notes, {j}.location)"
    )
}

/// The statement that finds a page for [`Matching::Literal`], its texts tested with
/// `condition` (which gives the SQL test of the query on a text expression). As
/// [`find_sql`]: the journals whose head (title, tags, notes) matches, ranked; then those
/// that only the transcript matches, newest first, reading transcripts only until the
/// page is full (a common word such as `there` fills it within a few journals). The
/// transcript test is a subquery for each journal in date order (`OFFSET 0` keeps the
/// order apart), so PostgreSQL, which cannot know how common the words are, cannot choose
/// to test them all first.
fn literal_find_sql(condition: impl Fn(&str) -> String) -> String {
    // The texts grow as the rank classes do: title, + tags, + notes, + transcript.
    // journals is read under row-level security as well as by user_id.
    let texts = |s: &str| {
        format!(
            "FROM journals j \
             CROSS JOIN LATERAL (SELECT j.title || E'\\n' || array_to_string({s}.tags, E'\\n') AS tagged) t1 \
             CROSS JOIN LATERAL (SELECT concat_ws(E'\\n', t1.tagged, j.notes, j.location) AS head) t2 \
             WHERE j.id = {s}.journal_id AND j.user_id = $1"
        )
    };
    format!(
        "SELECT h.journal_id, h.created_at, h.class FROM ( \
             (SELECT a.journal_id, a.created_at, a.class FROM ( \
                 SELECT s.journal_id, s.created_at, \
                        CASE WHEN {title} THEN 0 WHEN {tagged} THEN 1 ELSE 2 END AS class \
                 FROM journal_search s, LATERAL (SELECT j.title, t1.tagged, t2.head {s_texts}) x \
                 WHERE s.user_id = $1 {FILTERS} AND ($5::int IS NULL OR $5 < 3) \
                   AND {x_head} AND {x_document} \
             ) a \
             WHERE $5::int IS NULL OR a.class > $5 \
                OR (a.class = $5 AND (a.created_at, a.journal_id) < ($6, $7)) \
             ORDER BY a.class, a.created_at DESC, a.journal_id DESC LIMIT $8) \
             UNION ALL \
             (SELECT o.journal_id, o.created_at, 3 FROM ( \
                  SELECT s.journal_id, s.created_at, s.tags FROM journal_search s \
                  WHERE s.user_id = $1 {FILTERS} \
                    AND ($5::int IS NULL OR $5 < 3 OR (s.created_at, s.journal_id) < ($6, $7)) \
                  ORDER BY s.created_at DESC, s.journal_id DESC OFFSET 0) o \
              WHERE (SELECT NOT {head} AND {document} {o_texts}) \
              ORDER BY o.created_at DESC, o.journal_id DESC LIMIT $8) \
         ) h \
         ORDER BY h.class, h.created_at DESC, h.journal_id DESC LIMIT $8",
        s_texts = texts("s"),
        o_texts = texts("o"),
        title = condition("x.title"),
        tagged = condition("x.tagged"),
        x_head = condition("x.head"),
        x_document = condition(&document("x.head", "s")),
        head = condition("t2.head"),
        document = condition(&document("t2.head", "o")),
    )
}

/// The whole searchable text of a journal, given its head's expression and the alias of
/// its journal_search row.
fn document(head: &str, s: &str) -> String {
    format!("({head} || E'\\n' || coalesce(weft_current_transcript_text({s}.journal_id), ''))")
}

/// How PostgreSQL runs the first page of a search for `q` (EXPLAIN ANALYZE), one line a
/// row: for benchmarks and for operators checking that the indexes are used. It plans for
/// the parameters (`SET LOCAL`, to the end of the transaction), as a search does.
pub async fn explain(tx: &mut UserTx, q: &str) -> Result<Vec<String>, SearchError> {
    let query = Query::parse(q)?;
    let expr = query.to_sql(FIND_FIXED + 1, Matching::Exact);
    // Planned for the parameters, as a search is.
    sqlx::query!("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut **tx)
        .await?;
    let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {}", find_sql(&expr.sql));
    let no_time: Option<DateTime<Utc>> = None;
    let mut statement = sqlx::query_scalar::<_, String>(&sql)
        .bind(tx.user_id())
        .bind(no_time)
        .bind(no_time)
        .bind(Vec::<String>::new())
        .bind(None::<i32>)
        .bind(no_time)
        .bind(None::<Uuid>)
        .bind(21_i64);
    for text in &expr.binds {
        statement = statement.bind(text);
    }
    Ok(statement.fetch_all(&mut **tx).await?)
}

#[derive(Debug, sqlx::FromRow)]
struct Detail {
    journal_id: Uuid,
    /// Null for the row that carries the snippet of a journal without moments.
    start: Option<f64>,
    end: Option<f64>,
    at: Option<f64>,
    text: String,
    headline: String,
}

/// The snippet and moments of each journal in `ids`.
async fn details(
    conn: &mut PgConnection,
    ids: &[Uuid],
    query: &Query,
    matching: Matching,
) -> Result<std::collections::HashMap<Uuid, (String, Vec<Moment>)>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let expr = query.any_wanted_sql(2, matching);
    let options = "E'StartSel=\\x01, StopSel=\\x02, HighlightAll=true'";
    let fragments = "E'StartSel=\\x01, StopSel=\\x02, MaxWords=25, MinWords=8, MaxFragments=2'";
    let head = clean_marks("concat_ws(' — ', j.title, j.notes, j.location)");
    // Stemming every segment is most of the cost of a page (about a microsecond a word);
    // a segment that contains none of the keys cannot match and is not stemmed.
    let sql = details_sql(
        Some(&expr.sql),
        "lower(e.seg->>'text') LIKE ANY (q.keys) \
         AND to_tsvector('english', e.seg->>'text') @@ q.q",
        "lower(w.word->>'word') LIKE ANY (q.keys) \
         AND (to_tsvector('english', w.word->>'word') || to_tsvector('simple', w.word->>'word')) @@ q.any",
        &format!("ts_headline('english', m.text, q.q, {options})"),
        &format!("ts_headline('english', {head}, q.q, {fragments})"),
    );
    let mut statement = sqlx::query_as::<_, Detail>(&sql).bind(ids);
    for text in &expr.binds {
        statement = statement.bind(text);
    }
    collect_details(statement.fetch_all(conn).await?, &mut out);
    Ok(out)
}

/// [`details`] for [`Matching::Literal`]: moments are the segments containing a wanted
/// term as written, and the snippet marks it in them or in the title and notes.
async fn literal_details(
    conn: &mut PgConnection,
    ids: &[Uuid],
    query: &Query,
) -> Result<std::collections::HashMap<Uuid, (String, Vec<Moment>)>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mark = |text: &str| format!("regexp_replace({text}, $2, chr(1) || '\\&' || chr(2), 'gi')");
    let head = clean_marks("left(concat_ws(' — ', j.title, j.notes, j.location), 300)");
    let sql = details_sql(
        None,
        "(e.seg->>'text') ~* $2",
        "(w.word->>'word') ~* $2",
        &mark("m.text"),
        &mark(&head),
    );
    let rows = sqlx::query_as::<_, Detail>(&sql)
        .bind(ids)
        .bind(query.literal_any_pattern())
        .fetch_all(conn)
        .await?;
    collect_details(rows, &mut out);
    Ok(out)
}

/// `text` without the characters that mark highlights, so that only the database's own
/// markers become `<mark>`.
fn clean_marks(text: &str) -> String {
    format!("translate({text}, E'\\x01\\x02', '')")
}

/// The statement giving the details of the journals in `$1`, ordered for
/// [`collect_details`]: for each journal a row headlined by `head_headline` (on `j`),
/// then the moments — segments of its current transcript for which `matches` holds (a
/// condition on `e.seg`), headlined by `moment_headline` (on `m.text`). With a
/// `tsquery`, it is computed once as `q.q`. Every moment is headlined: a moment is shown
/// with its words marked.
fn details_sql(
    tsquery: Option<&str>,
    matches: &str,
    word_matches: &str,
    moment_headline: &str,
    head_headline: &str,
) -> String {
    let (with_q, and_q) = match tsquery {
        Some(tsquery) => (
            format!(
                "q AS MATERIALIZED (SELECT q.q, {keys} AS keys, {any} AS any \
                                     FROM (SELECT {tsquery} AS q) q), ",
                keys = tsquery_keys_sql("q.q"),
                any = tsquery_any_sql("q.q")
            ),
            ", q",
        ),
        None => (String::new(), ""),
    };
    let segment_text = clean_marks("e.seg->>'text'");
    format!(
        "WITH {with_q}moments AS ( \
             SELECT ct.journal_id, e.n, (e.seg->>'start')::float8 AS start, \
                    (e.seg->>'end')::float8 AS \"end\", {segment_text} AS text, \
                    (SELECT (w.word->>'start')::float8 \
                     FROM jsonb_array_elements(CASE jsonb_typeof(e.seg->'words') \
                              WHEN 'array' THEN e.seg->'words' ELSE '[]' END) WITH ORDINALITY AS w(word, i) \
                     WHERE jsonb_typeof(w.word->'start') = 'number' \
                       AND jsonb_typeof(w.word->'word') = 'string' AND {word_matches} \
                     ORDER BY w.i LIMIT 1) AS at \
             FROM unnest($1::uuid[]) AS wanted(journal) \
             CROSS JOIN LATERAL ( \
                 SELECT t.journal_id, t.segments FROM transcripts t WHERE t.journal_id = wanted.journal \
                 ORDER BY t.created_at DESC, t.id DESC LIMIT 1 \
             ) ct \
             CROSS JOIN LATERAL jsonb_array_elements(coalesce(ct.segments, '[]')) \
                 WITH ORDINALITY AS e(seg, n){and_q} \
             WHERE jsonb_typeof(e.seg->'start') = 'number' \
               AND jsonb_typeof(e.seg->'end') = 'number' \
               AND jsonb_typeof(e.seg->'text') = 'string' \
               AND {matches} \
         ) \
         SELECT m.journal_id, m.start, m.\"end\", m.at, m.text, \
                {moment_headline} AS headline \
         FROM moments m{and_q} \
         UNION ALL \
         SELECT j.id, NULL, NULL, NULL, '', {head_headline} \
         FROM journals j{and_q} \
         WHERE j.id = ANY($1) \
         ORDER BY 1, 2 NULLS FIRST"
    )
}

/// The SQL for one tsquery that matches any single lexeme of the tsquery `q` (the words of
/// a query, any of them, stemmed or as written): what a word of a moment must match to be
/// the one the moment points at. Read from q's text form, as [`tsquery_keys_sql`] does;
/// prefixes keep their `:*`.
fn tsquery_any_sql(q: &str) -> String {
    format!(
        r"(SELECT coalesce(string_agg(DISTINCT m.found[1], ' | ')::tsquery, ''::tsquery)
          FROM regexp_matches({q}::text, '(''(?:[^'']|'''')*''(?::\*)?)', 'g') AS m(found))"
    )
}

/// The SQL for the LIKE patterns of which a text (lower-cased) must match one to contain
/// any lexeme of the tsquery `q`, one for each lexeme: its letters but the last two. An
/// English stem differs from its word only in its last two letters ("possibility" is
/// `possibl`, "dying" is `die`, "skies" is `sky`) and every other lexeme is the lower-cased
/// word itself, so a text without any of them has no word that stems to a lexeme of `q`,
/// nor to one that a prefix of `q` begins. Read from q's text form, where each lexeme is
/// quoted with its quotes doubled. LIKE ANY, unlike a subquery per text, costs little
/// more than the comparisons.
fn tsquery_keys_sql(q: &str) -> String {
    let key = "left(l.lexeme, greatest(length(l.lexeme) - 2, 1))";
    let escaped = format!(r"replace(replace(replace({key}, '\', '\\'), '%', '\%'), '_', '\_')");
    format!(
        "(SELECT coalesce(array_agg(DISTINCT '%' || {escaped} || '%'), '{{}}') \
          FROM regexp_matches({q}::text, '''((?:[^'']|'''')*)''', 'g') AS m(found) \
          CROSS JOIN LATERAL (SELECT replace(m.found[1], '''''', '''') AS lexeme) l)"
    )
}

/// Gathers detail rows into each journal's snippet and moments (in time order). The
/// snippet is the head (title, notes, location) where it has a matching word; where only
/// the transcript matched, the moments show the words, and a snippet would repeat them.
/// A journal with neither (a transcript without segments) shows the start of its head.
fn collect_details(
    rows: Vec<Detail>,
    out: &mut std::collections::HashMap<Uuid, (String, Vec<Moment>)>,
) {
    let mut heads = std::collections::HashMap::new();
    for row in rows {
        match (row.start, row.end) {
            (Some(start), Some(end)) => {
                let entry: &mut (String, Vec<Moment>) = out.entry(row.journal_id).or_default();
                entry.1.push(Moment {
                    start,
                    end,
                    at: row
                        .at
                        .filter(|at| *at >= start && *at <= end)
                        .unwrap_or(start),
                    text: row.text,
                    highlighted: highlight(&row.headline),
                });
            }
            _ => {
                heads.insert(row.journal_id, row.headline);
            }
        }
    }
    for (journal_id, head) in heads {
        let entry = out.entry(journal_id).or_default();
        if head.contains(START_MARK) || entry.1.is_empty() {
            entry.0 = highlight(&head);
        }
    }
    for (_, moments) in out.values_mut() {
        moments.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
}

/// Escapes a ts_headline result for HTML and turns its markers into `<mark>` elements.
pub fn highlight(headline: &str) -> String {
    let mut out = String::with_capacity(headline.len() + 16);
    let mut open = false;
    for c in headline.chars() {
        match c {
            START_MARK if !open => {
                out.push_str("<mark>");
                open = true;
            }
            STOP_MARK if open => {
                out.push_str("</mark>");
                open = false;
            }
            START_MARK | STOP_MARK => {}
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_are_marked_and_everything_else_is_escaped() {
        assert_eq!(
            highlight(" a <b> & \u{1}kite\u{2} \"x\" \u{1}open"),
            "a &lt;b&gt; &amp; <mark>kite</mark> &quot;x&quot; <mark>open</mark>"
        );
    }

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
