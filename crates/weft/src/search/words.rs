//! The word list (`search_words`): the words that prefixes and partial words stand for,
//! named before a search so that PostgreSQL plans for them.

use std::sync::LazyLock;

use sqlx::PgConnection;

use super::Query;

/// The most words a prefix is matched as; a prefix that starts more words is matched as a
/// prefix of lexemes.
pub(super) const MAX_PREFIX_WORDS: i64 = 200;

/// Names the lexemes of each prefix term of `query` ([`query::Term::lexemes`]): those of
/// the words in the word list that start with it, when there are at most
/// [`MAX_PREFIX_WORDS`], with the prefix's own when it is shorter than the list's words.
pub(super) async fn name_prefix_lexemes(
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
pub(super) const MAX_PARTIAL_WORDS: i64 = 64;

/// Names the lexemes of the words that contain each word of `query` that
/// [`Matching::Partial`] expands ([`query::Term::lexemes`]), found through the word
/// list's trigram index.
pub(super) async fn name_partial_lexemes(
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
pub(super) async fn word_list_lexemes(
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

/// Whether full-text search ignores every wanted word of the query (stop words such as
/// `that`), so that the document index cannot find it. Words left out do not count: `"to
/// be or not to be" -question` has nothing to look up in the index either.
///
/// The answer depends only on the query's words and PostgreSQL's English configuration,
/// so it is kept per query for [`IGNORED_AGE`]: a search asked again, by anyone, saves the
/// round trip (a statement of its own before every first page).
pub(super) async fn only_ignored_words(
    conn: &mut PgConnection,
    query: &Query,
) -> Result<bool, sqlx::Error> {
    static IGNORED: LazyLock<moka::sync::Cache<(String, Vec<String>), bool>> =
        LazyLock::new(|| {
            moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(IGNORED_AGE)
                .build()
        });
    let expr = query.without_exclusions().english_sql(1);
    let sql = format!("SELECT numnode({}) = 0", expr.sql);
    let key = (sql, expr.binds);
    if let Some(ignored) = IGNORED.get(&key) {
        return Ok(ignored);
    }
    let mut statement = sqlx::query_scalar::<_, bool>(&key.0);
    for text in &key.1 {
        statement = statement.bind(text);
    }
    let ignored = statement.fetch_one(conn).await?;
    IGNORED.insert(key, ignored);
    Ok(ignored)
}

/// How long whether a query's words are all ignored is kept: PostgreSQL's English
/// configuration changes only with an administrator's hand, and an hour bounds how long a
/// changed one goes unnoticed.
const IGNORED_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
