//! The statements that find a page of matching journals, and count them: ranked by where
//! the words are (title, tags, notes and location, transcript) or by date, in one field or
//! all, through the document index, or matched as written for words full-text search
//! ignores.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Count, Cursor, Matching, Query, Scope, SearchError, SearchRequest, Sort, COUNT_CAP};
use crate::db::scoped::UserTx;

/// How many journals match, up to [`COUNT_CAP`]; none for [`Matching::Literal`], which
/// would read every text of the user.
pub(super) async fn count(
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
pub(super) const COUNT_FIXED: usize = 5;

/// The condition on `journal_search s` that the tsquery expression `q` matches in `scope`.
/// Titles and transcripts are filtered by weight after an index found the journals that
/// hold the `wanted` groups of `q` anywhere ([`Query::to_sql_and_wanted`]): the index
/// cannot apply the exclusions, which are about the one field.
pub(super) fn scope_condition(scope: Scope, q: &str, wanted: Option<&str>) -> String {
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

#[derive(Debug, sqlx::FromRow)]
pub(super) struct Hit {
    pub journal_id: Uuid,
    pub created_at: DateTime<Utc>,
    /// Where the words were: 0 title, 1 tags, 2 notes or location, 3 transcript.
    pub class: i32,
}

/// The matching journals after `cursor`, best first, one more than `limit`.
pub(super) async fn find(
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
        let mut binds = query.literal_patterns();
        let pairs = query.literal_pairs_sql(FIND_FIXED + 1 + binds.len(), "s.said_pairs");
        let said = pairs.as_ref().map(|pairs| pairs.sql.clone());
        binds.extend(pairs.into_iter().flat_map(|pairs| pairs.binds));
        let sql = if ranked {
            let lookup = query.literal_words_sql(FIND_FIXED + 1 + binds.len(), "s.head_words");
            let sql = literal_find_sql(
                condition,
                query.excludes_any(),
                lookup.as_ref().map(|words| words.sql.as_str()),
                said.as_deref(),
            );
            binds.extend(lookup.into_iter().flat_map(|words| words.binds));
            sql
        } else {
            literal_dated_sql(request.scope, request.sort, condition, said.as_deref())
        };
        (sql, binds)
    } else {
        let (expr, wanted) = query.to_sql_and_wanted(FIND_FIXED + 1, matching);
        let sql = if ranked {
            find_sql(&expr.sql, query.excludes_any())
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
pub(super) const FIND_FIXED: usize = 8;

/// The conditions of the tag and date filters on `journal_search s`.
pub(super) const FILTERS: &str = "AND ($2::timestamptz IS NULL OR s.created_at >= $2) \
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
///
/// A journal's document is its head followed by its transcript (`weft_search_refresh`),
/// the head's positions and weights unchanged; so a query that leaves nothing out
/// (`excludes` false), matching a head, matches its document too, and the first part does
/// not read the documents of the heads it finds (most of them kept out of line, in TOAST:
/// for the 60 heads of `morning`, the part now reads 65 pages where it read 328).
pub(super) fn find_sql(tsquery: &str, excludes: bool) -> String {
    let q = tsquery;
    let head_document = if excludes {
        format!("AND s.document @@ {q}")
    } else {
        String::new()
    };
    format!(
        "SELECT h.journal_id, h.created_at, h.class FROM ( \
             (SELECT a.journal_id, a.created_at, a.class FROM ( \
                 SELECT s.journal_id, s.created_at, \
                        CASE WHEN ts_filter(s.head, '{{a}}') @@ {q} THEN 0 \
                             WHEN ts_filter(s.head, '{{a,b}}') @@ {q} THEN 1 ELSE 2 END AS class \
                 FROM journal_search s \
                 WHERE s.user_id = $1 AND s.head @@ {q} {head_document} {FILTERS} \
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
pub(super) fn date_order(sort: Sort) -> (&'static str, &'static str) {
    match sort {
        Sort::Oldest => ("ASC", ">"),
        Sort::Best | Sort::Newest => ("DESC", "<"),
    }
}

/// The statement that finds a page of journals matching the tsquery expression in
/// `scope`, by date: every order but the ranked one of everything (titles alone, or
/// transcripts alone, have no rank classes to order). Parameters as [`find_sql`].
pub(super) fn dated_sql(scope: Scope, sort: Sort, tsquery: &str, wanted: Option<&str>) -> String {
    let (direction, after) = date_order(sort);
    format!(
        "SELECT s.journal_id, s.created_at, 0 AS class FROM journal_search s \
         WHERE s.user_id = $1 AND {condition} {FILTERS} \
           AND ($5::int IS NULL OR (s.created_at, s.journal_id) {after} ($6, $7)) \
         ORDER BY s.created_at {direction}, s.journal_id {direction} LIMIT $8",
        condition = scope_condition(scope, tsquery, wanted),
    )
}

/// The LIMIT of a literal search's walk through the user's journals in date order, which
/// no user reaches: a subquery with a LIMIT keeps its own order apart from the tests that
/// follow it (as `OFFSET 0` would), and PostgreSQL keeps the plan that starts soonest
/// (journal_search_user_created_idx, read in order) beside the cheapest whole one, so that
/// the page's LIMIT can take it. Without it, every journal of the user was read and sorted
/// before the first was tested (9 of the 13 ms of the transcripts' part for `there`, 5,380
/// journals).
const IN_DATE_ORDER: i64 = i32::MAX as i64;

/// [`dated_sql`] for [`Matching::Literal`]: the user's journals in date order, each
/// tested with `condition` on the texts of `scope` until the page is full, but those
/// whose text lacks a word or a pair of words the query says (`said`, as in
/// [`literal_find_sql`]):
/// every text of a journal is a part of its whole text.
pub(super) fn literal_dated_sql(
    scope: Scope,
    sort: Sort,
    condition: impl Fn(&str) -> String,
    said: Option<&str>,
) -> String {
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
             WHERE s.user_id = $1 {FILTERS} {said} \
               AND ($5::int IS NULL OR (s.created_at, s.journal_id) {after} ($6, $7)) \
             ORDER BY s.created_at {direction}, s.journal_id {direction} LIMIT {IN_DATE_ORDER}) o \
         WHERE (SELECT {test} FROM journals j {once} \
                WHERE j.id = o.journal_id AND j.user_id = $1) \
         ORDER BY o.created_at {direction}, o.journal_id {direction} LIMIT $8",
        once = once(&text, "d"),
        test = condition("d.text"),
        said = said.map_or(String::new(), |pairs| format!("AND {pairs}")),
    )
}

/// The head (title, tags, notes, location) of journal `j` as one text, as written.
pub(super) fn literal_head(j: &str, tags: &str) -> String {
    format!(
        "concat_ws(E'\\n', {j}.title, array_to_string({tags}, E'\\n'), {j}.notes, {j}.location)"
    )
}

/// The statement that finds a page for [`Matching::Literal`], its texts tested with
/// `condition` (which gives the SQL test of the query on a text expression). As
/// [`find_sql`]: the journals whose head (title, tags, notes) matches, ranked; then those
/// that only the transcript matches, newest first, reading transcripts only until the
/// page is full (a common word such as `there` fills it within a few journals). The
/// transcript test is a subquery for each journal in date order (a LIMIT,
/// [`IN_DATE_ORDER`], keeps the order apart), so PostgreSQL, which cannot know how common
/// the words are, cannot choose to test them all first.
///
/// A query that leaves nothing out (`excludes` false) and matches a journal's head matches
/// its whole text too, the head being the start of it: the transcript is then not read
/// for the journals of the first part.
///
/// `lookup`, a condition on the words of the head (`s.head_words`) that every head
/// matching the query meets ([`Query::literal_words_sql`]), finds the journals of the
/// first part in journal_search_head_words_idx, so that only they are tested with the
/// expressions; without it, every head of the user is. The search rows are chosen in a
/// subquery of their own (`OFFSET 0`) before the journals' texts are joined: in one query
/// with `journals`, whose row-level security applies to the server's role, PostgreSQL
/// did not take the index for the non-leakproof `@>` and tested the words of every head
/// instead (`to be or not to be`: 64 heads found among 5,380, 6-10 ms of walking where
/// the index takes 0.3 ms).
///
/// `said`, a condition on the stop words and pairs of them said in a journal's whole
/// text (`s.said_pairs`) that every text matching the query meets
/// ([`Query::literal_pairs_sql`]), passes over the journals of the second part whose text
/// lacks a word or a pair of the query's before their transcript is read: a phrase said
/// nowhere (`"to be or not to be"`) no longer reads every transcript of the user, nor a
/// word said in few of them (`hers`) most.
pub(super) fn literal_find_sql(
    condition: impl Fn(&str) -> String,
    excludes: bool,
    lookup: Option<&str>,
    said: Option<&str>,
) -> String {
    // The texts grow as the rank classes do: title, + tags, + notes, + transcript.
    // journals is read under row-level security as well as by user_id.
    let texts = |s: &str, then: &str| {
        format!(
            "FROM journals j \
             CROSS JOIN LATERAL (SELECT j.title || E'\\n' || array_to_string({s}.tags, E'\\n') AS tagged) t1 \
             CROSS JOIN LATERAL (SELECT concat_ws(E'\\n', t1.tagged, j.notes, j.location) AS head) t2 \
             {then} WHERE j.id = {s}.journal_id AND j.user_id = $1"
        )
    };
    format!(
        "SELECT h.journal_id, h.created_at, h.class FROM ( \
             (SELECT a.journal_id, a.created_at, a.class FROM ( \
                 SELECT s.journal_id, s.created_at, \
                        CASE WHEN {title} THEN 0 WHEN {tagged} THEN 1 ELSE 2 END AS class \
                 FROM (SELECT s.journal_id, s.created_at, s.tags FROM journal_search s \
                       WHERE s.user_id = $1 {FILTERS} AND ($5::int IS NULL OR $5 < 3) \
                         {lookup} OFFSET 0) s, \
                      LATERAL (SELECT j.title, t1.tagged, t2.head {s_texts}) x \
                 WHERE {x_head} {x_document} \
             ) a \
             WHERE $5::int IS NULL OR a.class > $5 \
                OR (a.class = $5 AND (a.created_at, a.journal_id) < ($6, $7)) \
             ORDER BY a.class, a.created_at DESC, a.journal_id DESC LIMIT $8) \
             UNION ALL \
             (SELECT o.journal_id, o.created_at, 3 FROM ( \
                  SELECT s.journal_id, s.created_at, s.tags FROM journal_search s \
                  WHERE s.user_id = $1 {FILTERS} {said} \
                    AND ($5::int IS NULL OR $5 < 3 OR (s.created_at, s.journal_id) < ($6, $7)) \
                  ORDER BY s.created_at DESC, s.journal_id DESC LIMIT {IN_DATE_ORDER}) o \
              WHERE (SELECT NOT {head} AND {document} {o_texts_once}) \
              ORDER BY o.created_at DESC, o.journal_id DESC LIMIT $8) \
         ) h \
         ORDER BY h.class, h.created_at DESC, h.journal_id DESC LIMIT $8",
        s_texts = texts("s", ""),
        o_texts_once = texts("o", &once(&document("t2.head", "o"), "d")),
        title = condition("x.title"),
        tagged = condition("x.tagged"),
        x_head = condition("x.head"),
        x_document = if excludes {
            format!("AND {}", condition(&document("x.head", "s")))
        } else {
            String::new()
        },
        lookup = lookup.map_or(String::new(), |words| format!("AND {words}")),
        said = said.map_or(String::new(), |pairs| format!("AND {pairs}")),
        head = condition("t2.head"),
        document = condition("d.text"),
    )
}

/// A lateral subquery `alias` whose one column, `text`, is `expression`, computed once for
/// each row: a condition names it once for every word of the query, and PostgreSQL would
/// write a plain lateral's expression into each of those places, so that a query of six
/// words read a journal's transcript (`weft_current_transcript_text`) five times.
/// `OFFSET 0` keeps the subquery apart.
pub(super) fn once(expression: &str, alias: &str) -> String {
    format!("CROSS JOIN LATERAL (SELECT {expression} AS text OFFSET 0) {alias}")
}

/// The whole searchable text of a journal, given its head's expression and the alias of
/// its journal_search row.
pub(super) fn document(head: &str, s: &str) -> String {
    format!("({head} || E'\\n' || coalesce(weft_current_transcript_text({s}.journal_id), ''))")
}

/// How PostgreSQL runs the first page of a search for `q` (EXPLAIN ANALYZE), one line a
/// row: for benchmarks and for operators checking that the indexes are used. It plans for
/// the parameters (`SET LOCAL`, to the end of the transaction), as a search does.
pub async fn explain(tx: &mut UserTx, q: &str) -> Result<Vec<String>, SearchError> {
    let query = Query::parse(q)?;
    let expr = query.to_sql(FIND_FIXED + 1, Matching::Exact);
    // Planned for the parameters, as a search is.
    tx.reuse_plans(false).await?;
    let sql = format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        find_sql(&expr.sql, query.excludes_any())
    );
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
