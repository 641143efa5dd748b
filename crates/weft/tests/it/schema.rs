//! The schema as PostgreSQL itself reports it (columns, indexes, foreign keys), and the
//! behaviour the migration promises (cascades, triggers, uniqueness, checks) exercised with
//! real rows.

use crate::common::{self, fresh_db, PASSWORD_HASH};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;
use weft::db::journals::{self, NewJournal};
use weft::db::scoped::{begin_for_user, UserTx};
use weft::db::transcripts;
use weft::db::users::{self, UniqueField, UserError};
use weft::domain::Segment;

/// The timestamp type as information_schema names it.
const TIMESTAMPTZ: &str = "timestamp with time zone";

/// The columns of the four documented tables, each table's in their order: table, column,
/// data type (as information_schema names it), nullable, default. `source` and `language` of
/// transcripts come from migration 0003 (versioned transcripts), their `model` and the
/// journals' `media` (entries without a video) from 0011; see docs/schema.md for why they
/// are columns.
#[rustfmt::skip]
const COLUMNS: &[(&str, &str, &str, bool, Option<&str>)] = &[
    ("users", "id", "uuid", false, Some("gen_random_uuid()")),
    ("users", "username", "text", false, None),
    ("users", "email", "text", false, None),
    ("users", "password_hash", "text", false, None),
    ("users", "created_at", TIMESTAMPTZ, false, Some("now()")),
    ("users", "updated_at", TIMESTAMPTZ, false, Some("now()")),
    ("journals", "id", "uuid", false, Some("gen_random_uuid()")),
    ("journals", "user_id", "uuid", false, None),
    ("journals", "title", "text", false, None),
    ("journals", "video_path", "text", false, None),
    ("journals", "duration", "integer", false, None),
    ("journals", "location", "text", true, None),
    ("journals", "notes", "text", true, None),
    ("journals", "created_at", TIMESTAMPTZ, false, Some("now()")),
    ("journals", "updated_at", TIMESTAMPTZ, false, Some("now()")),
    ("journals", "media", "text", false, Some("'video'::text")),
    ("transcripts", "id", "uuid", false, Some("gen_random_uuid()")),
    ("transcripts", "journal_id", "uuid", false, None),
    ("transcripts", "text", "text", false, None),
    ("transcripts", "segments", "jsonb", true, None),
    ("transcripts", "created_at", TIMESTAMPTZ, false, Some("now()")),
    ("transcripts", "source", "text", false, Some("'engine'::text")),
    ("transcripts", "language", "text", true, None),
    ("transcripts", "language_probability", "real", true, None),
    ("transcripts", "model", "text", true, None),
    ("tags", "id", "uuid", false, Some("gen_random_uuid()")),
    ("tags", "journal_id", "uuid", false, None),
    ("tags", "tag", "text", false, None),
    ("tags", "created_at", TIMESTAMPTZ, false, Some("now()")),
];

/// Every secondary index of the four documented tables, as `pg_get_indexdef` prints it (which
/// names its table, kind, uniqueness and keys): the eleven of docs/schema.md, then the two
/// trigram indexes of substring search.
#[rustfmt::skip]
const INDEXES: [(&str, &str); 13] = [
    ("users_username_idx", "CREATE UNIQUE INDEX users_username_idx ON public.users USING btree (lower(username))"),
    ("users_email_idx", "CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (lower(email))"),
    ("users_created_at_idx", "CREATE INDEX users_created_at_idx ON public.users USING btree (created_at)"),
    ("journals_user_id_idx", "CREATE INDEX journals_user_id_idx ON public.journals USING btree (user_id, created_at DESC, id DESC)"),
    ("journals_created_at_idx", "CREATE INDEX journals_created_at_idx ON public.journals USING btree (created_at)"),
    ("transcripts_journal_id_idx", "CREATE INDEX transcripts_journal_id_idx ON public.transcripts USING btree (journal_id)"),
    ("tags_journal_id_idx", "CREATE INDEX tags_journal_id_idx ON public.tags USING btree (journal_id)"),
    ("tags_tag_idx", "CREATE INDEX tags_tag_idx ON public.tags USING btree (tag)"),
    ("tags_journal_tag_idx", "CREATE UNIQUE INDEX tags_journal_tag_idx ON public.tags USING btree (journal_id, tag)"),
    ("journals_title_text_search_idx", "CREATE INDEX journals_title_text_search_idx ON public.journals USING gin (to_tsvector('english'::regconfig, title))"),
    ("transcripts_text_search_idx", "CREATE INDEX transcripts_text_search_idx ON public.transcripts USING gin (to_tsvector('english'::regconfig, text))"),
    ("journals_title_trgm_idx", "CREATE INDEX journals_title_trgm_idx ON public.journals USING gin (title gin_trgm_ops)"),
    ("transcripts_text_trgm_idx", "CREATE INDEX transcripts_text_trgm_idx ON public.transcripts USING gin (text gin_trgm_ops)"),
];

/// How many of [`INDEXES`] docs/schema.md documents (the first ones).
const DOCUMENTED_INDEXES: usize = 11;

/// One column: its place in its table (from 1), data type, nullability and default.
#[derive(Debug, PartialEq)]
struct Column {
    position: usize,
    data_type: String,
    nullable: bool,
    default: Option<String>,
}

/// The columns of `table` as information_schema reports them, by name, in their order.
async fn columns(pool: &PgPool, table: &str) -> Vec<(String, Column)> {
    let rows: Vec<(String, String, bool, Option<String>)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable = 'YES', column_default::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = $1 \
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .expect("read information_schema.columns");
    rows.into_iter()
        .enumerate()
        .map(|(n, (name, data_type, nullable, default))| {
            let column = Column {
                position: n + 1,
                data_type,
                nullable,
                default,
            };
            (name, column)
        })
        .collect()
}

/// The columns [`COLUMNS`] documents for `table`, by name.
fn documented_columns(table: &str) -> Vec<(String, Column)> {
    COLUMNS
        .iter()
        .filter(|row| row.0 == table)
        .enumerate()
        .map(|(n, &(_, name, data_type, nullable, default))| {
            let column = Column {
                position: n + 1,
                data_type: data_type.to_string(),
                nullable,
                default: default.map(str::to_string),
            };
            (name.to_string(), column)
        })
        .collect()
}

/// Asserts that `table` has exactly the documented columns, reporting every difference.
async fn assert_documented_columns(pool: &PgPool, table: &str) {
    let found = columns(pool, table).await;
    let expected = documented_columns(table);
    assert!(!expected.is_empty(), "no documented columns for {table}");
    assert_same(&format!("the columns of {table}"), &expected, &found, true);
}

/// One secondary index: its access method, whether it is unique, and its definition.
#[derive(Debug, PartialEq)]
struct Index {
    method: String,
    unique: bool,
    definition: String,
}

/// The secondary indexes of the four documented tables as the catalog reports them, by name.
async fn indexes(pool: &PgPool) -> Vec<(String, Index)> {
    let rows: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT i.relname::text, am.amname::text, ix.indisunique, pg_get_indexdef(ix.indexrelid) \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_am am ON am.oid = i.relam \
         WHERE t.relnamespace = 'public'::regnamespace \
           AND t.relname IN ('users', 'journals', 'transcripts', 'tags') \
           AND NOT ix.indisprimary \
         ORDER BY i.relname",
    )
    .fetch_all(pool)
    .await
    .expect("read pg_index");
    rows.into_iter()
        .map(|(name, method, unique, definition)| {
            let index = Index {
                method,
                unique,
                definition,
            };
            (name, index)
        })
        .collect()
}

/// The rows of [`INDEXES`] named `names`, with the method and uniqueness their definitions
/// state.
fn documented_indexes(names: &[&str]) -> Vec<(String, Index)> {
    names
        .iter()
        .map(|name| {
            let definition = INDEXES
                .iter()
                .find(|row| row.0 == *name)
                .unwrap_or_else(|| panic!("{name} is not in INDEXES"))
                .1;
            let method = definition
                .split_once(" USING ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("no access method in {definition}"));
            let index = Index {
                method: method.to_string(),
                unique: definition.starts_with("CREATE UNIQUE INDEX "),
                definition: definition.to_string(),
            };
            (name.to_string(), index)
        })
        .collect()
}

/// Asserts that `found` has every row of `expected`, equal, and with `exactly` nothing else;
/// on failure it lists every missing, different and unexpected row at once.
fn assert_same<T: PartialEq + std::fmt::Debug>(
    what: &str,
    expected: &[(String, T)],
    found: &[(String, T)],
    exactly: bool,
) {
    let mut mismatches = Vec::new();
    for (name, want) in expected {
        match found.iter().find(|(key, _)| key == name) {
            None => mismatches.push(format!("missing {name}: {want:?}")),
            Some((_, got)) if got != want => {
                mismatches.push(format!("{name}: expected {want:?}, found {got:?}"))
            }
            Some(_) => {}
        }
    }
    if exactly {
        for (name, got) in found {
            if !expected.iter().any(|(key, _)| key == name) {
                mismatches.push(format!("unexpected {name}: {got:?}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{what}: {} difference(s) from the documentation:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

async fn count(pool: &PgPool, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("count rows")
}

async fn new_journal(pool: &PgPool, user_id: Uuid, title: &str) -> Uuid {
    let new = NewJournal {
        title,
        media: weft::domain::Media::Video,
        video_path: "test/video.mp4",
        duration: 30,
        location: None,
        notes: None,
    };
    let mut tx = begin_for_user(pool, user_id).await.expect("begin");
    let id = journals::insert(&mut tx, &new)
        .await
        .expect("insert a journal")
        .id;
    tx.commit().await.expect("commit");
    id
}

/// A transaction acting for the owner of a journal: these tests write as a superuser, whom
/// row-level security lets through, but the db functions still take a user's transaction.
async fn as_owner_of(pool: &PgPool, journal_id: Uuid) -> UserTx {
    let owner: Uuid = sqlx::query_scalar("SELECT user_id FROM journals WHERE id = $1")
        .bind(journal_id)
        .fetch_one(pool)
        .await
        .expect("the journal's owner");
    begin_for_user(pool, owner).await.expect("begin")
}

async fn new_transcript(pool: &PgPool, journal_id: Uuid, text: &str) -> Uuid {
    let mut tx = as_owner_of(pool, journal_id).await;
    let id = transcripts::insert(&mut tx, journal_id, text, None)
        .await
        .expect("insert a transcript")
        .id;
    tx.commit().await.expect("commit");
    id
}

async fn insert_tag(pool: &PgPool, journal_id: Uuid, tag: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO tags (journal_id, tag) VALUES ($1, $2) RETURNING tag")
        .bind(journal_id)
        .bind(tag)
        .fetch_one(pool)
        .await
}

/// The SQLSTATE and constraint name of a database error.
fn violation(error: sqlx::Error) -> (String, Option<String>) {
    let db = error
        .as_database_error()
        .unwrap_or_else(|| panic!("expected a database error, got {error:?}"));
    (
        db.code().map(|code| code.into_owned()).unwrap_or_default(),
        db.constraint().map(str::to_string),
    )
}

const UNIQUE_VIOLATION: &str = "23505";
const CHECK_VIOLATION: &str = "23514";

#[tokio::test]
async fn users_has_exactly_the_documented_columns_types_and_defaults() {
    let db = fresh_db().await;

    assert_documented_columns(&db.admin, "users").await;
}

#[tokio::test]
async fn journals_has_the_documented_columns_plus_its_kind_of_media() {
    let db = fresh_db().await;

    assert_documented_columns(&db.admin, "journals").await;
}

#[tokio::test]
async fn transcripts_has_the_documented_columns_plus_its_version_source_language_and_model() {
    let db = fresh_db().await;

    assert_documented_columns(&db.admin, "transcripts").await;
}

#[tokio::test]
async fn tags_has_exactly_the_documented_columns_types_and_defaults() {
    let db = fresh_db().await;

    assert_documented_columns(&db.admin, "tags").await;
}

/// The checker of the tables above: one failure lists every difference, not the first.
#[test]
fn every_difference_from_the_documentation_is_reported_at_once() {
    let expected = documented_columns("tags");
    let mut found = documented_columns("tags");
    found[1].1.data_type = "bigint".to_string();
    found.remove(2);
    found.push((
        "colour".to_string(),
        Column {
            position: 5,
            data_type: "text".to_string(),
            nullable: true,
            default: None,
        },
    ));

    let failure = std::panic::catch_unwind(|| {
        assert_same("the columns of tags", &expected, &found, true);
    })
    .expect_err("the differences are a failure");

    let report = failure.downcast_ref::<String>().expect("a message");
    assert!(report.contains("3 difference(s)"), "{report}");
    for line in ["journal_id: expected", "missing tag:", "unexpected colour:"] {
        assert!(report.contains(line), "{line:?} missing from {report}");
    }
}

#[tokio::test]
async fn every_documented_table_has_its_id_as_primary_key() {
    let db = fresh_db().await;

    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE contype = 'p' AND conrelid::regclass::text IN ('users', 'journals', 'transcripts', 'tags') \
         ORDER BY 1",
    )
    .fetch_all(&db.admin)
    .await
    .expect("read pg_constraint");

    let expected: Vec<(String, String)> = ["journals", "tags", "transcripts", "users"]
        .iter()
        .map(|table| (table.to_string(), "PRIMARY KEY (id)".to_string()))
        .collect();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn all_eleven_documented_indexes_exist_with_their_documented_kinds() {
    let db = fresh_db().await;

    let all = indexes(&db.admin).await;

    let names: Vec<&str> = INDEXES[..DOCUMENTED_INDEXES]
        .iter()
        .map(|row| row.0)
        .collect();
    assert_eq!(names.len(), 11);
    let documented = documented_indexes(&names);
    let kinds = |rows: &[(String, Index)], method: &str| {
        rows.iter()
            .filter(|(_, index)| index.method == method)
            .count()
    };
    assert_eq!(
        (kinds(&documented, "btree"), kinds(&documented, "gin")),
        (9, 2),
        "nine B-tree and two GIN indexes are documented"
    );
    assert_same("the documented indexes", &documented, &all, false);
}

#[tokio::test]
async fn the_full_text_indexes_cover_the_english_text_search_of_titles_and_transcripts() {
    let db = fresh_db().await;

    let all = indexes(&db.admin).await;

    let full_text = documented_indexes(&[
        "journals_title_text_search_idx",
        "transcripts_text_search_idx",
    ]);
    assert_same("the full-text indexes", &full_text, &all, false);
}

#[tokio::test]
async fn trigram_gin_indexes_serve_substring_search_of_titles_and_transcripts() {
    let db = fresh_db().await;

    let all = indexes(&db.admin).await;

    let trigram = documented_indexes(&["journals_title_trgm_idx", "transcripts_text_trgm_idx"]);
    assert!(trigram.iter().all(|(_, index)| index.method == "gin"));
    assert_same("the trigram indexes", &trigram, &all, false);
}

#[tokio::test]
async fn the_documented_tables_have_no_secondary_indexes_beyond_the_documented_and_trigram_ones() {
    let db = fresh_db().await;

    let all = indexes(&db.admin).await;

    let names: Vec<&str> = INDEXES.iter().map(|row| row.0).collect();
    assert_same(
        "the secondary indexes",
        &documented_indexes(&names),
        &all,
        true,
    );
}

#[tokio::test]
async fn only_the_username_email_and_journal_tag_indexes_are_unique() {
    let db = fresh_db().await;

    let all = indexes(&db.admin).await;

    let unique: Vec<&str> = all
        .iter()
        .filter(|(_, index)| index.unique)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        unique,
        vec![
            "tags_journal_tag_idx",
            "users_email_idx",
            "users_username_idx"
        ]
    );
    // On lower(username), lower(email) and (journal_id, tag).
    let documented = documented_indexes(&unique);
    assert!(documented.iter().all(|(_, index)| index.unique));
    assert_same("the unique indexes", &documented, &all, false);
}

#[tokio::test]
async fn the_three_foreign_keys_cascade_on_delete() {
    let db = fresh_db().await;

    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid), confdeltype::text \
         FROM pg_constraint \
         WHERE contype = 'f' AND conrelid::regclass::text IN ('users', 'journals', 'transcripts', 'tags') \
         ORDER BY 1",
    )
    .fetch_all(&db.admin)
    .await
    .expect("read pg_constraint");

    let fk = |table: &str, def: &str| (table.to_string(), def.to_string(), "c".to_string());
    assert_eq!(
        keys,
        vec![
            fk(
                "journals",
                "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"
            ),
            fk(
                "tags",
                "FOREIGN KEY (journal_id) REFERENCES journals(id) ON DELETE CASCADE"
            ),
            fk(
                "transcripts",
                "FOREIGN KEY (journal_id) REFERENCES journals(id) ON DELETE CASCADE"
            ),
        ]
    );
}

#[tokio::test]
async fn deleting_a_user_cascades_to_journals_transcripts_and_tags() {
    let db = fresh_db().await;
    let pool = &db.admin;
    let gone = common::insert_user(pool, "gone").await;
    let kept = common::insert_user(pool, "kept").await;
    let gone_journal = new_journal(pool, gone, "Leaving").await;
    let kept_journal = new_journal(pool, kept, "Staying").await;
    for journal in [gone_journal, kept_journal] {
        new_transcript(pool, journal, "some words").await;
        insert_tag(pool, journal, "one").await.expect("tag");
        insert_tag(pool, journal, "two").await.expect("tag");
    }

    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(gone)
        .execute(pool)
        .await
        .expect("delete the user");

    let journals_of = "SELECT count(*) FROM journals WHERE user_id = $1";
    let transcripts_of = "SELECT count(*) FROM transcripts WHERE journal_id = $1";
    let tags_of = "SELECT count(*) FROM tags WHERE journal_id = $1";
    assert_eq!(count(pool, journals_of, gone).await, 0);
    assert_eq!(count(pool, transcripts_of, gone_journal).await, 0);
    assert_eq!(count(pool, tags_of, gone_journal).await, 0);
    assert_eq!(count(pool, journals_of, kept).await, 1);
    assert_eq!(count(pool, transcripts_of, kept_journal).await, 1);
    assert_eq!(count(pool, tags_of, kept_journal).await, 2);
}

#[tokio::test]
async fn deleting_a_journal_cascades_to_its_transcripts_and_tags_only() {
    let db = fresh_db().await;
    let pool = &db.admin;
    let owner = common::insert_user(pool, "owner").await;
    let deleted = new_journal(pool, owner, "Deleted").await;
    let other = new_journal(pool, owner, "Other").await;
    for journal in [deleted, other] {
        new_transcript(pool, journal, "first").await;
        new_transcript(pool, journal, "second").await;
        insert_tag(pool, journal, "tag").await.expect("tag");
    }

    sqlx::query("DELETE FROM journals WHERE id = $1")
        .bind(deleted)
        .execute(pool)
        .await
        .expect("delete the journal");

    let transcripts_of = "SELECT count(*) FROM transcripts WHERE journal_id = $1";
    let tags_of = "SELECT count(*) FROM tags WHERE journal_id = $1";
    assert_eq!(count(pool, transcripts_of, deleted).await, 0);
    assert_eq!(count(pool, tags_of, deleted).await, 0);
    assert_eq!(count(pool, transcripts_of, other).await, 2);
    assert_eq!(count(pool, tags_of, other).await, 1);
    assert_eq!(
        count(pool, "SELECT count(*) FROM users WHERE id = $1", owner).await,
        1
    );
}

/// Runs an UPDATE that returns (created_at, updated_at), and the transaction's now().
async fn update_and_now(
    pool: &PgPool,
    sql: &str,
    id: Uuid,
) -> ((DateTime<Utc>, DateTime<Utc>), DateTime<Utc>) {
    let mut tx = pool.begin().await.expect("begin");
    let stamps: (DateTime<Utc>, DateTime<Utc>) = sqlx::query_as(sql)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .expect("update");
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await
        .expect("now()");
    tx.commit().await.expect("commit");
    (stamps, now)
}

fn long_ago() -> DateTime<Utc> {
    "2020-01-01T00:00:00Z".parse().expect("a timestamp")
}

#[tokio::test]
async fn updating_a_user_moves_updated_at_to_now_and_keeps_created_at() {
    // An UPDATE cannot age updated_at (the trigger would overwrite it), so the row is
    // inserted with old timestamps instead.
    let db = fresh_db().await;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash, created_at, updated_at) \
         VALUES ('aged', 'aged@example.com', $1, $2, $2) RETURNING id",
    )
    .bind(PASSWORD_HASH)
    .bind(long_ago())
    .fetch_one(&db.admin)
    .await
    .expect("insert an old user");

    let ((created_at, updated_at), now) = update_and_now(
        &db.admin,
        "UPDATE users SET email = 'renewed@example.com' WHERE id = $1 \
         RETURNING created_at, updated_at",
        id,
    )
    .await;

    assert_eq!(updated_at, now);
    assert_eq!(created_at, long_ago());
}

#[tokio::test]
async fn updating_a_journal_moves_updated_at_to_now_and_keeps_created_at() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO journals (user_id, title, video_path, duration, created_at, updated_at) \
         VALUES ($1, 'Old', 'v.mp4', 5, $2, $2) RETURNING id",
    )
    .bind(owner)
    .bind(long_ago())
    .fetch_one(&db.admin)
    .await
    .expect("insert an old journal");

    let ((created_at, updated_at), now) = update_and_now(
        &db.admin,
        "UPDATE journals SET title = 'New' WHERE id = $1 RETURNING created_at, updated_at",
        id,
    )
    .await;

    assert_eq!(updated_at, now);
    assert_eq!(created_at, long_ago());
}

#[tokio::test]
async fn an_update_cannot_set_updated_at_to_anything_but_now() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Title").await;

    let ((_, updated_at), now) = update_and_now(
        &db.admin,
        "UPDATE journals SET notes = 'n', updated_at = '2020-01-01T00:00:00Z' WHERE id = $1 \
         RETURNING created_at, updated_at",
        journal,
    )
    .await;

    assert_eq!(updated_at, now);
}

#[tokio::test]
async fn usernames_are_unique_regardless_of_case() {
    let db = fresh_db().await;
    let insert = "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3)";
    sqlx::query(insert)
        .bind("johndoe")
        .bind("john@example.com")
        .bind(PASSWORD_HASH)
        .execute(&db.admin)
        .await
        .expect("the first johndoe");

    let error = sqlx::query(insert)
        .bind("JohnDoe")
        .bind("other@example.com")
        .bind(PASSWORD_HASH)
        .execute(&db.admin)
        .await
        .expect_err("JohnDoe is the same username as johndoe");

    assert_eq!(
        violation(error),
        (
            UNIQUE_VIOLATION.to_string(),
            Some("users_username_idx".to_string())
        )
    );
}

#[tokio::test]
async fn emails_are_unique_regardless_of_case() {
    let db = fresh_db().await;
    let insert = "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3)";
    sqlx::query(insert)
        .bind("john")
        .bind("john@example.com")
        .bind(PASSWORD_HASH)
        .execute(&db.admin)
        .await
        .expect("the first john@example.com");

    let error = sqlx::query(insert)
        .bind("other")
        .bind("John@Example.COM")
        .bind(PASSWORD_HASH)
        .execute(&db.admin)
        .await
        .expect_err("John@Example.COM is the same email as john@example.com");

    assert_eq!(
        violation(error),
        (
            UNIQUE_VIOLATION.to_string(),
            Some("users_email_idx".to_string())
        )
    );
}

#[tokio::test]
async fn creating_a_user_reports_which_field_is_taken() {
    let db = fresh_db().await;
    users::create(&db.admin, "johndoe", "john@example.com", PASSWORD_HASH)
        .await
        .expect("the first user");

    let same_name = users::create(&db.admin, "JOHNDOE", "someone@example.com", PASSWORD_HASH).await;
    let same_email = users::create(&db.admin, "someone", "JOHN@example.com", PASSWORD_HASH).await;

    assert!(
        matches!(same_name, Err(UserError::Taken(UniqueField::Username))),
        "{same_name:?}"
    );
    assert!(
        matches!(same_email, Err(UserError::Taken(UniqueField::Email))),
        "{same_email:?}"
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db.admin)
        .await
        .expect("count users");
    assert_eq!(users, 1);
}

#[tokio::test]
async fn tags_are_trimmed_and_lower_cased_on_insert() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Trip").await;

    let travel = insert_tag(&db.admin, journal, " Travel ")
        .await
        .expect("insert ' Travel '");
    let hiking = insert_tag(&db.admin, journal, "\tHIKING\r\n")
        .await
        .expect("insert a tag");

    assert_eq!(travel, "travel");
    assert_eq!(hiking, "hiking");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT tag FROM tags WHERE journal_id = $1 ORDER BY tag")
            .bind(journal)
            .fetch_all(&db.admin)
            .await
            .expect("read tags");
    assert_eq!(stored, vec!["hiking", "travel"]);
}

#[tokio::test]
async fn renaming_a_tag_normalises_it_too() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Trip").await;
    insert_tag(&db.admin, journal, "food")
        .await
        .expect("insert a tag");

    let renamed: String = sqlx::query_scalar(
        "UPDATE tags SET tag = '  Street Food ' WHERE journal_id = $1 RETURNING tag",
    )
    .bind(journal)
    .fetch_one(&db.admin)
    .await
    .expect("rename the tag");

    assert_eq!(renamed, "street food");
}

#[tokio::test]
async fn a_tag_is_unique_per_journal_but_not_across_journals() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let first = new_journal(&db.admin, owner, "First").await;
    let second = new_journal(&db.admin, owner, "Second").await;
    insert_tag(&db.admin, first, " Travel ")
        .await
        .expect("the first tag");

    let again = insert_tag(&db.admin, first, " TRAVEL").await;
    let elsewhere = insert_tag(&db.admin, second, " TRAVEL").await;

    assert_eq!(
        violation(again.expect_err("the same tag twice on one journal")),
        (
            UNIQUE_VIOLATION.to_string(),
            Some("tags_journal_tag_idx".to_string())
        )
    );
    assert_eq!(
        elsewhere.expect("the same tag on another journal"),
        "travel"
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM tags WHERE tag = 'travel'")
        .fetch_one(&db.admin)
        .await
        .expect("count tags");
    assert_eq!(total, 2);
}

#[tokio::test]
async fn an_empty_or_blank_tag_is_refused() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Trip").await;

    for blank in ["", "   ", "\t\r\n"] {
        let error = insert_tag(&db.admin, journal, blank)
            .await
            .expect_err("a blank tag is refused");
        assert_eq!(
            violation(error),
            (
                CHECK_VIOLATION.to_string(),
                Some("tags_tag_check".to_string())
            ),
            "{blank:?}"
        );
    }
    assert_eq!(
        count(
            &db.admin,
            "SELECT count(*) FROM tags WHERE journal_id = $1",
            journal
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_negative_duration_is_refused() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let new = NewJournal {
        title: "Backwards",
        media: weft::domain::Media::Video,
        video_path: "v.mp4",
        duration: -1,
        location: None,
        notes: None,
    };
    let mut tx = begin_for_user(&db.admin, owner).await.expect("begin");

    let error = journals::insert(&mut tx, &new)
        .await
        .expect_err("a negative duration is refused");

    assert_eq!(
        violation(error),
        (
            CHECK_VIOLATION.to_string(),
            Some("journals_duration_check".to_string())
        )
    );
}

#[tokio::test]
async fn segments_accept_a_json_array_of_timed_pieces_or_null() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Talk").await;
    let insert =
        "INSERT INTO transcripts (journal_id, text, segments) VALUES ($1, 'hi there', $2::jsonb)";

    let array = sqlx::query(insert)
        .bind(journal)
        .bind(
            r#"[{"start": 0, "end": 1.5, "text": "hi", "confidence": 0.9},
                {"start": 1.5, "end": 3, "text": "there"}]"#,
        )
        .execute(&db.admin)
        .await;
    let null = sqlx::query(insert)
        .bind(journal)
        .bind(None::<String>)
        .execute(&db.admin)
        .await;

    array.expect("an array of segments is accepted");
    null.expect("NULL segments are accepted");
    let kinds: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT jsonb_typeof(segments) FROM transcripts WHERE journal_id = $1 ORDER BY 1 NULLS LAST",
    )
    .bind(journal)
    .fetch_all(&db.admin)
    .await
    .expect("read segments");
    assert_eq!(kinds, vec![Some("array".to_string()), None]);
}

#[tokio::test]
async fn segments_refuse_json_that_is_not_an_array() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Talk").await;
    let insert =
        "INSERT INTO transcripts (journal_id, text, segments) VALUES ($1, 'hi', $2::jsonb)";

    for value in [r#"{"start": 0, "end": 1, "text": "hi"}"#, r#""hi""#, "42"] {
        let error = sqlx::query(insert)
            .bind(journal)
            .bind(value)
            .execute(&db.admin)
            .await
            .expect_err("only an array (or NULL) is accepted");
        assert_eq!(
            violation(error),
            (
                CHECK_VIOLATION.to_string(),
                Some("transcripts_segments_check".to_string())
            ),
            "{value}"
        );
    }
    assert_eq!(
        count(
            &db.admin,
            "SELECT count(*) FROM transcripts WHERE journal_id = $1",
            journal
        )
        .await,
        0
    );
}

#[tokio::test]
async fn transcripts_round_trip_their_segments_through_insert_and_for_journal() {
    let db = fresh_db().await;
    let owner = common::insert_user(&db.admin, "owner").await;
    let journal = new_journal(&db.admin, owner, "Talk").await;
    let segments = vec![
        Segment {
            start: 0.0,
            end: 2.25,
            text: "Hello there.".to_string(),
            confidence: Some(0.93),
            ..Segment::default()
        },
        Segment {
            start: 2.25,
            end: 5.0,
            text: "No confidence reported here.".to_string(),
            confidence: None,
            ..Segment::default()
        },
    ];

    let mut tx = begin_for_user(&db.admin, owner).await.expect("begin");
    let with = transcripts::insert(
        &mut tx,
        journal,
        "Hello there. No confidence reported here.",
        Some(&segments),
    )
    .await
    .expect("insert with segments");
    let without = transcripts::insert(&mut tx, journal, "plain", None)
        .await
        .expect("insert without segments");
    let read = transcripts::for_journal(&mut tx, journal)
        .await
        .expect("read the journal's transcripts");
    tx.commit().await.expect("commit");

    assert_eq!(read.len(), 2);
    let found_with = read
        .iter()
        .find(|t| t.id == with.id)
        .expect("the transcript with segments");
    let found_without = read
        .iter()
        .find(|t| t.id == without.id)
        .expect("the one without");
    assert_eq!(found_with.text, "Hello there. No confidence reported here.");
    assert_eq!(
        found_with.segments.as_ref().map(|json| &json.0),
        Some(&segments)
    );
    assert!(found_without.segments.is_none());
    let stored: serde_json::Value =
        sqlx::query_scalar("SELECT segments FROM transcripts WHERE id = $1")
            .bind(with.id)
            .fetch_one(&db.admin)
            .await
            .expect("read the stored JSON");
    assert_eq!(
        stored,
        serde_json::json!([
            {"start": 0.0, "end": 2.25, "text": "Hello there.", "confidence": 0.93},
            {"start": 2.25, "end": 5.0, "text": "No confidence reported here."}
        ])
    );
}
