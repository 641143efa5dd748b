//! Journals: the documented queries (a user's journals newest first, journals by tag, and
//! full-text search over titles and transcripts).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::jobs::TranscriptStatus;
use super::scoped;

/// A row of `journals`.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
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

/// Inserts a journal (with a new id).
#[tracing::instrument(skip(executor))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    new: &NewJournal<'_>,
) -> Result<Journal, sqlx::Error> {
    insert_with_id(executor, Uuid::new_v4(), new).await
}

/// Inserts a journal with an id chosen beforehand (its storage keys contain it).
#[tracing::instrument(skip(executor))]
pub async fn insert_with_id(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    new: &NewJournal<'_>,
) -> Result<Journal, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO journals (id, user_id, title, video_path, duration, location, notes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(id)
    .bind(new.user_id)
    .bind(new.title)
    .bind(new.video_path)
    .bind(new.duration)
    .bind(new.location)
    .bind(new.notes)
    .fetch_one(executor)
    .await
}

/// A journal as the API shows it: its row, its tags and its transcription status.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JournalView {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub journal: Journal,
    /// Alphabetical.
    pub tags: Vec<String>,
    /// none, queued, running, done or failed.
    pub transcript_status: TranscriptStatus,
}

/// The columns of a [`JournalView`] over `journals j`.
const VIEW_COLUMNS: &str = "j.*, \
    array(SELECT t.tag FROM tags t WHERE t.journal_id = j.id ORDER BY t.tag) AS tags, \
    coalesce((SELECT q.state FROM transcription_jobs q WHERE q.journal_id = j.id \
              ORDER BY q.created_at DESC LIMIT 1), \
             CASE WHEN EXISTS (SELECT 1 FROM transcripts tr WHERE tr.journal_id = j.id) \
                  THEN 'done' ELSE 'none' END) AS transcript_status";

/// One of a user's journals.
#[tracing::instrument(skip(executor))]
pub async fn view(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<JournalView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {VIEW_COLUMNS} FROM journals j WHERE j.id = $1 AND j.user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(executor)
    .await
}

/// Some of a user's journals, in no particular order (missing ones are left out).
#[tracing::instrument(skip(executor, ids), fields(count = ids.len()))]
pub async fn views(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<JournalView>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(&format!(
        "SELECT {VIEW_COLUMNS} FROM journals j WHERE j.id = ANY($1) AND j.user_id = $2"
    ))
    .bind(ids)
    .bind(user_id)
    .fetch_all(executor)
    .await
}

/// Where a timeline page starts: after this (created_at, id), going back in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// Filters of the timeline.
#[derive(Debug, Clone, Default)]
pub struct TimelineFilter {
    /// Journals carrying every one of these tags (normalised).
    pub tags_all: Vec<String>,
    /// Journals carrying at least one of these tags (normalised).
    pub tags_any: Vec<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

/// A page of a user's timeline, newest first, after `cursor`, in a read-only transaction
/// of its own acting for the user. Keyset paging on (created_at, id) walks
/// journals_user_id_idx without a sort or an offset.
pub async fn timeline_page(
    pool: &sqlx::PgPool,
    user_id: Uuid,
    filter: &TimelineFilter,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<JournalView>, sqlx::Error> {
    // With tags, a generic plan cannot see how few journals carry them, and reads every one
    // of the user's search rows (50 ms at 5,000 journals instead of 1 ms): plan the page for
    // its actual tags. Without, the generic plan is right and planning each time would
    // cost more than the page itself.
    let mut tx = if filter.tags_all.is_empty() && filter.tags_any.is_empty() {
        scoped::begin_for_user(pool, user_id).await?
    } else {
        scoped::begin_for_user_planning_each(pool, user_id).await?
    };
    let items = timeline(&mut tx, user_id, filter, cursor, limit).await?;
    scoped::end_reading(tx);
    Ok(items)
}

/// A page of a user's timeline, in the caller's transaction (see [`timeline_page`] for
/// the plans a tag filter needs).
#[tracing::instrument(skip(conn))]
pub async fn timeline(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    filter: &TimelineFilter,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<JournalView>, sqlx::Error> {
    sqlx::query_as(&timeline_sql(filter))
        .bind(user_id)
        .bind(cursor.map(|c| c.created_at))
        .bind(cursor.map(|c| c.id))
        .bind(filter.from)
        .bind(filter.to)
        .bind(&filter.tags_all)
        .bind(&filter.tags_any)
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// The timeline statement for a filter.
fn timeline_sql(filter: &TimelineFilter) -> String {
    // (Each parameter is mentioned at least once, so that each has a type.)
    let typed = "cardinality($6::text[]) >= 0 AND cardinality($7::text[]) >= 0";
    if filter.tags_all.is_empty() && filter.tags_any.is_empty() {
        return format!(
            "SELECT {VIEW_COLUMNS} FROM journals j \
             WHERE j.user_id = $1 \
               AND ($2::timestamptz IS NULL OR (j.created_at, j.id) < ($2, $3)) \
               AND ($4::timestamptz IS NULL OR j.created_at >= $4) \
               AND ($5::timestamptz IS NULL OR j.created_at < $5) \
               AND {typed} \
             ORDER BY j.created_at DESC, j.id DESC LIMIT $8"
        );
    }
    // With a tag filter, the page's ids come from journal_search (one row per journal with
    // its tags as an array and a copy of created_at), planned for the actual tags: a common
    // tag walks journal_search_user_created_idx newest first until the page is full, a
    // rare one takes its few journals from journal_search_tags_idx. Only the conditions
    // that apply are written out, so that no `OR` hides the index from the planner.
    let mut tags = String::new();
    if !filter.tags_all.is_empty() {
        tags.push_str(" AND s.tags @> $6::text[]");
    }
    if !filter.tags_any.is_empty() {
        tags.push_str(" AND s.tags && $7::text[]");
    }
    format!(
        "SELECT {VIEW_COLUMNS} FROM journals j \
         WHERE j.user_id = $1 AND j.id IN ( \
             SELECT s.journal_id FROM journal_search s \
             WHERE s.user_id = $1 {tags} \
               AND ($2::timestamptz IS NULL OR (s.created_at, s.journal_id) < ($2, $3)) \
               AND ($4::timestamptz IS NULL OR s.created_at >= $4) \
               AND ($5::timestamptz IS NULL OR s.created_at < $5) \
               AND {typed} \
             ORDER BY s.created_at DESC, s.journal_id DESC LIMIT $8) \
         ORDER BY j.created_at DESC, j.id DESC"
    )
}

/// How PostgreSQL runs the first timeline page, with every one of `tags` (EXPLAIN
/// ANALYZE), one line a row: for benchmarks and for operators.
pub async fn explain_timeline(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    tags: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let filter = TimelineFilter {
        tags_all: tags.to_vec(),
        ..TimelineFilter::default()
    };
    let no_time: Option<DateTime<Utc>> = None;
    sqlx::query_scalar(&format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        timeline_sql(&filter)
    ))
    .bind(user_id)
    .bind(no_time)
    .bind(None::<Uuid>)
    .bind(no_time)
    .bind(no_time)
    .bind(&filter.tags_all)
    .bind(&filter.tags_any)
    .bind(20_i64)
    .fetch_all(executor)
    .await
}

/// Changes to a journal's text fields; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct JournalChanges {
    pub title: Option<String>,
    pub location: Option<Option<String>>,
    pub notes: Option<Option<String>>,
}

/// Applies changes to one of a user's journals; `None` when there is no such journal.
#[tracing::instrument(skip(executor))]
pub async fn update(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    changes: &JournalChanges,
) -> Result<Option<Journal>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE journals SET \
             title = coalesce($3, title), \
             location = CASE WHEN $4 THEN $5 ELSE location END, \
             notes = CASE WHEN $6 THEN $7 ELSE notes END \
         WHERE id = $1 AND user_id = $2 RETURNING *",
    )
    .bind(id)
    .bind(user_id)
    .bind(changes.title.as_deref())
    .bind(changes.location.is_some())
    .bind(changes.location.clone().flatten())
    .bind(changes.notes.is_some())
    .bind(changes.notes.clone().flatten())
    .fetch_optional(executor)
    .await
}

/// Locks one of a user's journals for the rest of the transaction (against concurrent
/// changes of its tags); false when the user has no such journal.
#[tracing::instrument(skip(executor))]
pub async fn lock_for_update(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM journals WHERE id = $1 AND user_id = $2 FOR UPDATE")
            .bind(id)
            .bind(user_id)
            .fetch_optional(executor)
            .await?;
    Ok(found.is_some())
}

/// Deletes one of a user's journals (its transcripts and tags go with it) and returns it.
#[tracing::instrument(skip(executor))]
pub async fn delete(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Journal>, sqlx::Error> {
    sqlx::query_as("DELETE FROM journals WHERE id = $1 AND user_id = $2 RETURNING *")
        .bind(id)
        .bind(user_id)
        .fetch_optional(executor)
        .await
}

/// The storage keys of every journal of a user (to remove their files with the account).
pub async fn video_keys_of_user(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT video_path FROM journals WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(executor)
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
