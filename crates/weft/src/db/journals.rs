//! Journals: the documented queries (a user's journals newest first, journals by tag, and
//! full-text search over titles and transcripts).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A row of `journals`.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub video_path: String,
    /// Whole seconds.
    pub duration: i32,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields of a journal the application supplies.
#[derive(Debug, Clone)]
pub struct NewJournal<'a> {
    pub user_id: Uuid,
    pub title: &'a str,
    pub video_path: &'a str,
    pub duration: i32,
    pub location: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// Inserts a journal.
#[tracing::instrument(skip(executor))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    new: &NewJournal<'_>,
) -> Result<Journal, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO journals (user_id, title, video_path, duration, location, notes) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    )
    .bind(new.user_id)
    .bind(new.title)
    .bind(new.video_path)
    .bind(new.duration)
    .bind(new.location)
    .bind(new.notes)
    .fetch_one(executor)
    .await
}

/// A user's journals, newest first (one walk of journals_user_id_idx, no sort).
#[tracing::instrument(skip(executor))]
pub async fn list_for_user(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM journals WHERE user_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// A user's journals carrying a tag, newest first. The tag is normalised like stored tags.
#[tracing::instrument(skip(executor))]
pub async fn list_by_tag(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    tag: &str,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT j.* FROM journals j \
         JOIN tags t ON t.journal_id = j.id \
         WHERE j.user_id = $1 AND t.tag = lower(btrim($2, E' \\t\\r\\n')) \
         ORDER BY j.created_at DESC, j.id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(tag)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// Full-text search over a user's journal titles and transcripts, newest first. The query
/// is read as a web search (`words`, `"a phrase"`, `-not`, `or`). Each half uses its GIN
/// index (journals_title_text_search_idx, transcripts_text_search_idx).
#[tracing::instrument(skip(executor))]
pub async fn search_text(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    query: &str,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    sqlx::query_as(
        "WITH q AS (SELECT websearch_to_tsquery('english', $2) AS q), \
         hits AS ( \
             SELECT j.id FROM journals j, q \
             WHERE to_tsvector('english', j.title) @@ q.q AND j.user_id = $1 \
             UNION \
             SELECT t.journal_id FROM transcripts t JOIN journals j ON j.id = t.journal_id, q \
             WHERE to_tsvector('english', t.text) @@ q.q AND j.user_id = $1 \
         ) \
         SELECT j.* FROM journals j JOIN hits ON hits.id = j.id \
         ORDER BY j.created_at DESC, j.id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(query)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// Substring search (the original design's `ILIKE '%term%'`) over a user's titles and
/// transcripts, served by the trigram indexes. `%`, `_` and `\` in the term match literally.
#[tracing::instrument(skip(executor))]
pub async fn search_substring(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    term: &str,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    let pattern = format!("%{}%", escape_like(term));
    sqlx::query_as(
        "WITH hits AS ( \
             SELECT j.id FROM journals j WHERE j.title ILIKE $2 AND j.user_id = $1 \
             UNION \
             SELECT t.journal_id FROM transcripts t JOIN journals j ON j.id = t.journal_id \
             WHERE t.text ILIKE $2 AND j.user_id = $1 \
         ) \
         SELECT j.* FROM journals j JOIN hits ON hits.id = j.id \
         ORDER BY j.created_at DESC, j.id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(pattern)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// Escapes LIKE's wildcards so user input is matched as written.
pub fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain words"), "plain words");
    }
}
