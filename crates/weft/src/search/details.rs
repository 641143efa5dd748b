//! What a result shows besides its journal: a snippet of the title, notes and location with
//! the words marked, and the moments of the transcript where they were said.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Matching, Moment, Query};

/// Highlight markers that ts_headline puts around matches; stripped from the texts first,
/// so that only PostgreSQL's own markers become `<mark>`.
pub(super) const START_MARK: char = '\u{1}';
pub(super) const STOP_MARK: char = '\u{2}';

#[derive(Debug, sqlx::FromRow)]
pub(super) struct Detail {
    journal_id: Uuid,
    /// Null for the row that carries the snippet of a journal without moments.
    start: Option<f64>,
    end: Option<f64>,
    at: Option<f64>,
    text: String,
    headline: String,
}

/// The snippet and moments of each journal in `ids`.
pub(super) async fn details(
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
pub(super) async fn literal_details(
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
pub(super) fn clean_marks(text: &str) -> String {
    format!("translate({text}, E'\\x01\\x02', '')")
}

/// The statement giving the details of the journals in `$1`, ordered for
/// [`collect_details`]: for each journal a row headlined by `head_headline` (on `j`),
/// then the moments — segments of its current transcript for which `matches` holds (a
/// condition on `e.seg`), headlined by `moment_headline` (on `m.text`). With a
/// `tsquery`, it is computed once as `q.q`. Every moment is headlined: a moment is shown
/// with its words marked.
///
/// `matches` is tested first, and the types of a segment's fields only where it holds:
/// written as one `CASE`, so that the planner keeps that order. Most segments of a page
/// fail the first, cheap part of `matches`, and three type tests on each of them were
/// a sixth of the statement's time.
///
/// The segments are set out by `jsonb_array_elements` in the select list rather than a
/// lateral join: PostgreSQL put a cache (Memoize) keyed by the whole transcript above
/// the lateral function, hashing each transcript to find it once (0.4 of the 3 ms of a
/// page of `morning`).
pub(super) fn details_sql(
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
             SELECT e.journal_id, (e.seg->>'start')::float8 AS start, \
                    (e.seg->>'end')::float8 AS \"end\", {segment_text} AS text, \
                    (SELECT (w.word->>'start')::float8 \
                     FROM jsonb_array_elements(CASE jsonb_typeof(e.seg->'words') \
                              WHEN 'array' THEN e.seg->'words' ELSE '[]' END) WITH ORDINALITY AS w(word, i) \
                     WHERE jsonb_typeof(w.word->'start') = 'number' \
                       AND jsonb_typeof(w.word->'word') = 'string' AND {word_matches} \
                     ORDER BY w.i LIMIT 1) AS at \
             FROM ( \
                 SELECT ct.journal_id, jsonb_array_elements(coalesce(ct.segments, '[]')) AS seg \
                 FROM unnest($1::uuid[]) AS wanted(journal) \
                 CROSS JOIN LATERAL ( \
                     SELECT t.journal_id, t.segments FROM transcripts t \
                     WHERE t.journal_id = wanted.journal \
                     ORDER BY t.created_at DESC, t.id DESC LIMIT 1 \
                 ) ct \
             ) e{and_q} \
             WHERE CASE WHEN {matches} \
                        THEN jsonb_typeof(e.seg->'start') = 'number' \
                             AND jsonb_typeof(e.seg->'end') = 'number' \
                             AND jsonb_typeof(e.seg->'text') = 'string' \
                        ELSE false END \
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
pub(super) fn tsquery_any_sql(q: &str) -> String {
    format!(
        r"(SELECT coalesce(string_agg(DISTINCT m.found[1], ' | ')::tsquery, ''::tsquery)
          FROM regexp_matches({q}::text, '(''(?:[^'']|'''')*''(?::\*)?)', 'g') AS m(found))"
    )
}

/// The SQL for the LIKE patterns of which a text (lower-cased) must match one to contain
/// any lexeme of the tsquery `q`, one for each lexeme. The English stemmer keeps the start
/// of a word and changes at most its last letters: a stem that ends in `e`, `i`, `l` or `y`
/// may differ from its word in its last two ("possibility" is `possibl`, "dying" is `die`,
/// "skies" is `sky`, "happy" is `happi`), and its key is its letters but those two; any
/// other stem is a prefix of every word that stems to it ("mornings" is `morn`), and is its
/// own key. A prefix of a stem (`morn:*`) follows the same rule, and every other lexeme is
/// the lower-cased word itself. So a text without any key has no word that stems to a
/// lexeme of `q`, nor to one that a prefix of `q` begins: the test
/// `every_word_of_a_dictionary_contains_the_key_of_its_stem` checks it on 104,000 English
/// words and every prefix of their stems. (Keys of the last two letters off for every stem
/// let through 85 of the 469 segments of a page of `morning`, where 11 say it; the stem
/// itself lets through the 11.) Read from q's text form, where each lexeme is quoted with
/// its quotes doubled. LIKE ANY, unlike a subquery per text, costs little more than the
/// comparisons.
pub fn tsquery_keys_sql(q: &str) -> String {
    let escaped =
        format!(r"replace(replace(replace({LEXEME_KEY}, '\', '\\'), '%', '\%'), '_', '\_')");
    format!(
        "(SELECT coalesce(array_agg(DISTINCT '%' || {escaped} || '%'), '{{}}') \
          FROM regexp_matches({q}::text, '''((?:[^'']|'''')*)''', 'g') AS m(found) \
          CROSS JOIN LATERAL (SELECT replace(m.found[1], '''''', '''') AS lexeme) l)"
    )
}

/// The part of the lexeme `l.lexeme` that every word stemming to it, or to a stem it
/// begins, contains: see [`tsquery_keys_sql`].
pub(super) const LEXEME_KEY: &str = "CASE WHEN right(l.lexeme, 1) IN ('e', 'i', 'l', 'y') \
     THEN left(l.lexeme, greatest(length(l.lexeme) - 2, 1)) ELSE l.lexeme END";

/// Gathers detail rows into each journal's snippet and moments (in time order). The
/// snippet is the head (title, notes, location) where it has a matching word; where only
/// the transcript matched, the moments show the words, and a snippet would repeat them.
/// A journal with neither (a transcript without segments) shows the start of its head.
pub(super) fn collect_details(
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
}
