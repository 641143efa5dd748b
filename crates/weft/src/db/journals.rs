//! Journals: the documented queries (a user's journals newest first, journals by tag, and
//! full-text search over titles and transcripts).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::jobs::TranscriptStatus;
use super::scoped::{self, UserTx};
use crate::domain::Media;

/// A row of `journals`.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    /// What the entry's recording is; `video_path` names its file, empty for `none`.
    pub media: Media,
    pub video_path: String,
    /// Whole seconds (0 for an entry without a recording).
    pub duration: i32,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields of a journal the application supplies (its user is the transaction's).
#[derive(Debug, Clone)]
pub struct NewJournal<'a> {
    pub title: &'a str,
    pub media: Media,
    pub video_path: &'a str,
    pub duration: i32,
    pub location: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// Inserts a journal (with a new id).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn insert(tx: &mut UserTx, new: &NewJournal<'_>) -> Result<Journal, sqlx::Error> {
    insert_with_id(tx, Uuid::new_v4(), new).await
}

/// Inserts a journal with an id chosen beforehand (its storage keys contain it).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn insert_with_id(
    tx: &mut UserTx,
    id: Uuid,
    new: &NewJournal<'_>,
) -> Result<Journal, sqlx::Error> {
    sqlx::query_as!(
        Journal,
        r#"INSERT INTO journals (id, user_id, title, media, video_path, duration, location, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, user_id, title, media AS "media: Media", video_path, duration, location,
                   notes, created_at, updated_at"#,
        id,
        tx.user_id(),
        new.title,
        new.media as Media,
        new.video_path,
        new.duration,
        new.location,
        new.notes,
    )
    .fetch_one(&mut **tx)
    .await
}

/// The unique index that keeps one import of a source entry per user (migration 0011).
pub const IMPORT_SOURCE_INDEX: &str = "journal_imports_source_idx";

/// Records where an imported journal came from. A second journal with the same key for the
/// same user violates [`IMPORT_SOURCE_INDEX`], which fails the caller's transaction.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn record_import(
    tx: &mut UserTx,
    journal_id: Uuid,
    source_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO journal_imports (journal_id, user_id, source_key) VALUES ($1, $2, $3)",
        journal_id,
        tx.user_id(),
        source_key,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
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

/// Where a [`JournalView`] is read from: the view `journal_views` (migrations/0019), which
/// PostgreSQL expands into the statement. Its tags come from the journal's search row, which
/// triggers keep equal to its `tags` rows (sorted) in the same transaction
/// (migrations/0004_search.sql): one lookup instead of a lookup per tag, each checked
/// against its journal's owner (about a third of a timeline page's time).
const VIEWS: &str = "SELECT j.* FROM journal_views j";

/// A [`JournalView`] as the flat row of its checked query (`query_as!` fills fields by
/// column name and cannot fill the nested `journal`).
struct ViewRow {
    id: Uuid,
    user_id: Uuid,
    title: String,
    media: Media,
    video_path: String,
    duration: i32,
    location: Option<String>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    tags: Vec<String>,
    transcript_status: TranscriptStatus,
}

impl From<ViewRow> for JournalView {
    fn from(row: ViewRow) -> Self {
        JournalView {
            journal: Journal {
                id: row.id,
                user_id: row.user_id,
                title: row.title,
                media: row.media,
                video_path: row.video_path,
                duration: row.duration,
                location: row.location,
                notes: row.notes,
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            tags: row.tags,
            transcript_status: row.transcript_status,
        }
    }
}

/// One of a user's journals.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn view(tx: &mut UserTx, id: Uuid) -> Result<Option<JournalView>, sqlx::Error> {
    // Its own statement rather than `views` of one id: `id = $1` has one plan whatever the
    // id, which PostgreSQL keeps, where `id = ANY($1)` is planned again on every call (five
    // times the cost of running it), and its generic plan walks all of the user's journals.
    static VIEW: LazyLock<String> =
        LazyLock::new(|| format!("{VIEWS} WHERE j.id = $1 AND j.user_id = $2"));
    sqlx::query_as(VIEW.as_str())
        .bind(id)
        .bind(tx.user_id())
        .fetch_optional(&mut **tx)
        .await
}

/// One of a user's journals, read in one statement that acts for the user and is its own
/// transaction (weft_journal_view, migrations/0019): one round trip instead of three.
#[tracing::instrument(skip(pool))]
pub async fn view_alone(
    pool: &sqlx::PgPool,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<JournalView>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM weft_journal_view($1, $2)")
        .bind(user_id)
        .bind(id)
        .fetch_optional(&mut *scoped::acquire(pool).await?)
        .await
}

/// Some of a user's journals, in no particular order (missing ones are left out).
#[tracing::instrument(skip(tx, ids), fields(user_id = %tx.user_id(), count = ids.len()))]
pub async fn views(tx: &mut UserTx, ids: &[Uuid]) -> Result<Vec<JournalView>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query_as!(
        ViewRow,
        r#"SELECT j.id AS "id!", j.user_id AS "user_id!", j.title AS "title!",
                  j.media AS "media!: Media", j.video_path AS "video_path!",
                  j.duration AS "duration!", j.location, j.notes, j.created_at AS "created_at!",
                  j.updated_at AS "updated_at!", j.tags AS "tags!",
                  j.transcript_status AS "transcript_status!: TranscriptStatus"
           FROM journal_views j WHERE j.id = ANY($1) AND j.user_id = $2"#,
        ids,
        tx.user_id(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(JournalView::from).collect())
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
    // A page without filters is one statement acting for the user (weft_timeline_page,
    // migrations/0019): one round trip instead of BEGIN, the page and ROLLBACK.
    if filter.tags_all.is_empty()
        && filter.tags_any.is_empty()
        && filter.from.is_none()
        && filter.to.is_none()
    {
        return sqlx::query_as("SELECT * FROM weft_timeline_page($1, $2, $3, $4)")
            .bind(user_id)
            .bind(cursor.map(|c| c.created_at))
            .bind(cursor.map(|c| c.id))
            .bind(limit)
            .fetch_all(&mut *scoped::acquire(pool).await?)
            .await;
    }
    // So is a page of one tag, the web page's tag filter (weft_tag_page, migrations/0022),
    // read from tagged_journals_page_idx in the page's order.
    if let (Some(tag), None, None) = (one_tag(filter), filter.from, filter.to) {
        return sqlx::query_as("SELECT * FROM weft_tag_page($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(tag)
            .bind(cursor.map(|c| c.created_at))
            .bind(cursor.map(|c| c.id))
            .bind(limit)
            .fetch_all(&mut *scoped::acquire(pool).await?)
            .await;
    }
    // And a page of several tags that must all be there.
    if filter.tags_any.is_empty() && filter.from.is_none() && filter.to.is_none() {
        let way = tag_way(pool, user_id, filter, limit).await?;
        return sqlx::query_as("SELECT * FROM weft_tagged_page($1, $2, $3, $4, $5, $6)")
            .bind(user_id)
            .bind(&filter.tags_all)
            .bind(way == TagWay::Newest)
            .bind(cursor.map(|c| c.created_at))
            .bind(cursor.map(|c| c.id))
            .bind(limit)
            .fetch_all(&mut *scoped::acquire(pool).await?)
            .await;
    }
    // Every page runs on its statement's generic plan: planning it each time would cost more
    // than the page itself (PostgreSQL would keep planning: it finds a custom plan for
    // `LIMIT 20` cheaper than the generic one for an unknown limit). A tag filter has two
    // statements, one for each way a page is best found, chosen by how common the tags are.
    let way = tag_way(pool, user_id, filter, limit).await?;
    let mut tx = scoped::begin_for_user_reusing_plans(pool, user_id).await?;
    let items = timeline_query("", user_id, filter, cursor, limit, way)
        .build_query_as()
        .fetch_all(&mut *tx)
        .await?;
    scoped::end_reading(tx);
    Ok(items)
}

/// The filter's one tag, when it has exactly one (wanted as `all` or as `any`, which is
/// the same).
fn one_tag(filter: &TimelineFilter) -> Option<&str> {
    match (filter.tags_all.as_slice(), filter.tags_any.as_slice()) {
        ([tag], []) | ([], [tag]) => Some(tag),
        _ => None,
    }
}

/// How the journals of a tag filter's page are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagWay {
    /// The user's journals newest first, each tested, until the page is full: quick when
    /// the tags are common.
    Newest,
    /// All the journals with the tags from journal_search_tags_idx, sorted: quick when
    /// they are few.
    Index,
}

/// How long the way chosen for a user's tag filter is kept: tags become common or rare
/// slowly, and a stale choice only costs time.
const TAG_WAY_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// The way to find a page of journals with the filter's tags: by the newest when walking
/// the user's journals newest first would test fewer rows than the index finds (matches
/// are one in `total / matching`, so a page of `limit` takes `limit * total / matching`
/// rows), else by the index; with no tags at all, by the newest; with one, by its own
/// index, tagged_journals_page_idx (see `timeline_query`). Counted at most every
/// [`TAG_WAY_AGE`] per user and tags.
async fn tag_way(
    executor: impl sqlx::PgExecutor<'_>,
    user_id: Uuid,
    filter: &TimelineFilter,
    limit: i64,
) -> Result<TagWay, sqlx::Error> {
    if filter.tags_all.is_empty() && filter.tags_any.is_empty() {
        return Ok(TagWay::Newest);
    }
    if one_tag(filter).is_some() {
        return Ok(TagWay::Index);
    }
    type Key = (Uuid, Vec<String>, Vec<String>, i64);
    static WAYS: LazyLock<moka::sync::Cache<Key, TagWay>> = LazyLock::new(|| {
        moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(TAG_WAY_AGE)
            .build()
    });
    let key = (
        user_id,
        filter.tags_all.clone(),
        filter.tags_any.clone(),
        limit,
    );
    if let Some(way) = WAYS.get(&key) {
        return Ok(way);
    }
    let (matching, total): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE (cardinality($2::text[]) = 0 OR s.tags @> $2) \
                                   AND (cardinality($3::text[]) = 0 OR s.tags && $3)), \
                count(*) \
         FROM journal_search s WHERE s.user_id = $1",
    )
    .bind(user_id)
    .bind(&filter.tags_all)
    .bind(&filter.tags_any)
    .fetch_one(executor)
    .await?;
    let way = if matching > 0 && matching * matching > limit * total {
        TagWay::Newest
    } else {
        TagWay::Index
    };
    WAYS.insert(key, way);
    Ok(way)
}

/// The timeline statement for a filter after `prefix`, its values bound. Only the
/// conditions that apply are written out, so that no `OR` hides an index from the planner.
fn timeline_query<'a>(
    prefix: &str,
    user_id: Uuid,
    filter: &'a TimelineFilter,
    cursor: Option<Cursor>,
    limit: i64,
    way: TagWay,
) -> QueryBuilder<'a, Postgres> {
    let mut sql = QueryBuilder::new(prefix);
    sql.push(format_args!("{VIEWS} WHERE j.user_id = "))
        .push_bind(user_id);
    if filter.tags_all.is_empty() && filter.tags_any.is_empty() {
        push_page_conditions(&mut sql, ("j.created_at", "j.id"), filter, cursor);
        sql.push(" ORDER BY j.created_at DESC, j.id DESC LIMIT ")
            .push_bind(limit);
        return sql;
    }
    // With one tag, the page's ids are the next entries of tagged_journals_page_idx.
    if let Some(tag) = one_tag(filter) {
        sql.push(" AND j.id IN (SELECT g.journal_id FROM tagged_journals g WHERE g.user_id = ")
            .push_bind(user_id)
            .push(" AND g.tag = ")
            .push_bind(tag);
        push_page_conditions(&mut sql, ("g.created_at", "g.journal_id"), filter, cursor);
        sql.push(" ORDER BY g.created_at DESC, g.journal_id DESC LIMIT ")
            .push_bind(limit)
            .push(") ORDER BY j.created_at DESC, j.id DESC");
        return sql;
    }
    // With several tags, the page's ids come from journal_search (one row per journal with
    // its tags as an array and a copy of created_at). By the newest, the tag tests are
    // written so that no index can take them (`IS TRUE`): the generic plan then walks
    // journal_search_user_created_idx newest first until the page is full. By the index,
    // journal_search_tags_idx gives the few journals with the tags, which are sorted.
    let test = |operator: &str| match way {
        TagWay::Newest => format!(" AND (s.tags {operator} "),
        TagWay::Index => format!(" AND s.tags {operator} "),
    };
    let close = match way {
        TagWay::Newest => "::text[]) IS TRUE",
        TagWay::Index => "::text[]",
    };
    sql.push(" AND j.id IN (SELECT s.journal_id FROM journal_search s WHERE s.user_id = ")
        .push_bind(user_id);
    if !filter.tags_all.is_empty() {
        sql.push(test("@>")).push_bind(&filter.tags_all).push(close);
    }
    if !filter.tags_any.is_empty() {
        sql.push(test("&&")).push_bind(&filter.tags_any).push(close);
    }
    push_page_conditions(&mut sql, ("s.created_at", "s.journal_id"), filter, cursor);
    sql.push(" ORDER BY s.created_at DESC, s.journal_id DESC LIMIT ")
        .push_bind(limit)
        .push(") ORDER BY j.created_at DESC, j.id DESC");
    sql
}

/// The cursor and date conditions of a timeline page, on the `(created_at, id)` columns
/// named.
fn push_page_conditions(
    sql: &mut QueryBuilder<'_, Postgres>,
    (created_at, id): (&str, &str),
    filter: &TimelineFilter,
    cursor: Option<Cursor>,
) {
    if let Some(cursor) = cursor {
        sql.push(format_args!(" AND ({created_at}, {id}) < ("))
            .push_bind(cursor.created_at)
            .push(", ")
            .push_bind(cursor.id)
            .push(")");
    }
    if let Some(from) = filter.from {
        sql.push(format_args!(" AND {created_at} >= "))
            .push_bind(from);
    }
    if let Some(to) = filter.to {
        sql.push(format_args!(" AND {created_at} < ")).push_bind(to);
    }
}

/// How PostgreSQL runs the first timeline page, with every one of `tags` (EXPLAIN
/// ANALYZE), one line a row: for benchmarks and for operators.
pub async fn explain_timeline(
    tx: &mut UserTx,
    tags: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let filter = TimelineFilter {
        tags_all: tags.to_vec(),
        ..TimelineFilter::default()
    };
    let user_id = tx.user_id();
    let way = tag_way(&mut **tx, user_id, &filter, 20).await?;
    timeline_query(
        "EXPLAIN (ANALYZE, BUFFERS) ",
        user_id,
        &filter,
        None,
        20,
        way,
    )
    .build_query_scalar()
    .fetch_all(&mut **tx)
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
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn update(
    tx: &mut UserTx,
    id: Uuid,
    changes: &JournalChanges,
) -> Result<Option<Journal>, sqlx::Error> {
    sqlx::query_as!(
        Journal,
        r#"UPDATE journals SET
             title = coalesce($3, title),
             location = CASE WHEN $4 THEN $5 ELSE location END,
             notes = CASE WHEN $6 THEN $7 ELSE notes END
         WHERE id = $1 AND user_id = $2
         RETURNING id, user_id, title, media AS "media: Media", video_path, duration, location,
                   notes, created_at, updated_at"#,
        id,
        tx.user_id(),
        changes.title.as_deref(),
        changes.location.is_some(),
        changes.location.clone().flatten(),
        changes.notes.is_some(),
        changes.notes.clone().flatten(),
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Locks one of the user's journals for the rest of the transaction (against concurrent
/// changes of its tags); false when the user has no such journal.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn lock_for_update(tx: &mut UserTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let user_id = tx.user_id();
    let found = sqlx::query_scalar!(
        "SELECT id FROM journals WHERE id = $1 AND user_id = $2 FOR UPDATE",
        id,
        user_id,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Deletes one of a user's journals (its transcripts and tags go with it) and returns it.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn delete(tx: &mut UserTx, id: Uuid) -> Result<Option<Journal>, sqlx::Error> {
    sqlx::query_as!(
        Journal,
        r#"DELETE FROM journals WHERE id = $1 AND user_id = $2
         RETURNING id, user_id, title, media AS "media: Media", video_path, duration, location,
                   notes, created_at, updated_at"#,
        id,
        tx.user_id(),
    )
    .fetch_optional(&mut **tx)
    .await
}

/// The storage keys of every journal of a user (to remove their files with the account);
/// entries without a recording have none.
pub async fn video_keys_of_user(tx: &mut UserTx) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT video_path FROM journals WHERE user_id = $1 AND video_path <> ''",
        tx.user_id()
    )
    .fetch_all(&mut **tx)
    .await
}

/// A user's journals, newest first (one walk of journals_user_id_idx, no sort).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn list_for_user(tx: &mut UserTx, limit: i64) -> Result<Vec<Journal>, sqlx::Error> {
    sqlx::query_as!(
        Journal,
        r#"SELECT id, user_id, title, media AS "media: Media", video_path, duration, location,
                  notes, created_at, updated_at
         FROM journals WHERE user_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2"#,
        tx.user_id(),
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// A user's journals carrying a tag, newest first. The tag is normalised like stored tags.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn list_by_tag(
    tx: &mut UserTx,
    tag: &str,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    sqlx::query_as!(
        Journal,
        r#"SELECT j.id, j.user_id, j.title, j.media AS "media: Media", j.video_path, j.duration,
                  j.location, j.notes, j.created_at, j.updated_at
          FROM journals j
          JOIN tags t ON t.journal_id = j.id
          WHERE j.user_id = $1 AND t.tag = lower(btrim($2, E' \t\r\n'))
          ORDER BY j.created_at DESC, j.id DESC LIMIT $3"#,
        tx.user_id(),
        tag,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Full-text search over a user's journal titles and transcripts, newest first. The query
/// is read as a web search (`words`, `"a phrase"`, `-not`, `or`). Each half uses its GIN
/// index (journals_title_text_search_idx, transcripts_text_search_idx).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn search_text(
    tx: &mut UserTx,
    query: &str,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    sqlx::query_as!(
        Journal,
        r#"WITH q AS (SELECT websearch_to_tsquery('english', $2) AS q),
         hits AS (
             SELECT j.id FROM journals j, q
             WHERE to_tsvector('english', j.title) @@ q.q AND j.user_id = $1
             UNION
             SELECT t.journal_id FROM transcripts t JOIN journals j ON j.id = t.journal_id, q
             WHERE to_tsvector('english', t.text) @@ q.q AND j.user_id = $1
         )
         SELECT j.id, j.user_id, j.title, j.media AS "media: Media", j.video_path, j.duration,
                j.location, j.notes, j.created_at, j.updated_at
         FROM journals j JOIN hits ON hits.id = j.id
         ORDER BY j.created_at DESC, j.id DESC LIMIT $3"#,
        tx.user_id(),
        query,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Substring search (the original design's `ILIKE '%term%'`) over a user's titles and
/// transcripts, served by the trigram indexes. `%`, `_` and `\` in the term match literally.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn search_substring(
    tx: &mut UserTx,
    term: &str,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    let pattern = format!("%{}%", escape_like(term));
    sqlx::query_as!(
        Journal,
        r#"WITH hits AS (
             SELECT j.id FROM journals j WHERE j.title ILIKE $2 AND j.user_id = $1
             UNION
             SELECT t.journal_id FROM transcripts t JOIN journals j ON j.id = t.journal_id
             WHERE t.text ILIKE $2 AND j.user_id = $1
         )
         SELECT j.id, j.user_id, j.title, j.media AS "media: Media", j.video_path, j.duration,
                j.location, j.notes, j.created_at, j.updated_at
         FROM journals j JOIN hits ON hits.id = j.id
         ORDER BY j.created_at DESC, j.id DESC LIMIT $3"#,
        tx.user_id(),
        pattern,
        limit,
    )
    .fetch_all(&mut **tx)
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
