//! Migrations: applying, refusing changed or unknown ones, concurrency, rebuilding, and the
//! `weft db` commands that drive them.

use std::path::Path;
use std::process::Output;

use crate::common::cli::{self, assert_success, stderr, stdout};
use crate::common::{self, empty_db, fresh_db, TestDb};
use sqlx::PgPool;
use weft::db::migrate::{self, MigrateError, State, MIGRATIONS};

fn all_migrations() -> Vec<String> {
    MIGRATIONS.iter().map(|m| m.file_stem()).collect()
}

async fn applied_rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM weft_schema_migrations")
        .fetch_one(pool)
        .await
        .expect("count weft_schema_migrations")
}

async fn user_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(pool)
        .await
        .expect("count users")
}

async fn add_user(pool: &PgPool) {
    sqlx::query("INSERT INTO users (username, email, password_hash) VALUES ('kept', 'kept@example.com', $1)")
        .bind(common::PASSWORD_HASH)
        .execute(pool)
        .await
        .expect("insert a user");
}

async fn change_checksum(pool: &PgPool) {
    sqlx::query("UPDATE weft_schema_migrations SET checksum = '\\x00' WHERE version = 1")
        .execute(pool)
        .await
        .expect("alter the recorded checksum");
}

/// Runs `weft ARGS` against the test database in development (unless `env` says otherwise).
fn weft(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all = vec![("WEFT_ENV", "development")];
    all.extend_from_slice(env);
    cli::weft(db, args, &all)
}

#[tokio::test]
async fn migrate_applies_every_migration_once_and_then_nothing() {
    let db = empty_db().await;
    let before = migrate::status(&db.pool).await.expect("status before");
    assert!(
        before.iter().all(|line| line.state == State::Pending),
        "{before:?}"
    );
    assert!(!migrate::is_current(&db.pool)
        .await
        .expect("is_current before"));

    let first = migrate::migrate(&db.pool).await.expect("the first migrate");
    let second = migrate::migrate(&db.pool)
        .await
        .expect("the second migrate");

    assert_eq!(first.first().map(String::as_str), Some("0001_initial"));
    assert_eq!(first, all_migrations());
    assert!(second.is_empty(), "{second:?}");
    let status = migrate::status(&db.pool).await.expect("status after");
    assert_eq!(status.len(), MIGRATIONS.len());
    for line in &status {
        assert_eq!(line.state, State::Applied, "{line:?}");
        assert!(line.applied_at.is_some(), "{line:?}");
    }
    assert!(migrate::is_current(&db.pool)
        .await
        .expect("is_current after"));
    assert_eq!(applied_rows(&db.pool).await, MIGRATIONS.len() as i64);
}

/// Migrations that rewrite every search row leave dead row versions behind; migrating ends
/// by vacuuming and analyzing the tables they rewrite, so searches do not wait for
/// autovacuum.
#[tokio::test]
async fn migrating_vacuums_and_analyzes_the_tables_migrations_rewrite() {
    let db = empty_db().await;

    migrate::migrate(&db.pool).await.expect("migrate");

    let tidied: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT relname::text, last_vacuum IS NOT NULL, last_analyze IS NOT NULL \
         FROM pg_stat_user_tables \
         WHERE relname IN ('journals', 'transcripts', 'tags', 'journal_search', 'search_words', \
                           'passages_00', 'passages_15', 'tagged_journals') \
         ORDER BY relname",
    )
    .fetch_all(&db.pool)
    .await
    .expect("read pg_stat_user_tables");
    assert_eq!(tidied.len(), 8, "{tidied:?}");
    for (table, vacuumed, analyzed) in tidied {
        assert!(
            vacuumed && analyzed,
            "{table}: vacuumed={vacuumed} analyzed={analyzed}"
        );
    }
}

#[tokio::test]
async fn a_migration_changed_after_it_was_applied_is_refused_with_what_to_do() {
    let db = fresh_db().await;
    change_checksum(&db.pool).await;

    let error = migrate::migrate(&db.pool)
        .await
        .expect_err("a changed migration is refused");

    assert!(
        matches!(&error, MigrateError::Changed(name) if name == "0001_initial"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("weft db generate"), "{message}");
    assert!(message.contains("weft db push"), "{message}");
    let status = migrate::status(&db.pool).await.expect("status");
    let initial = status
        .iter()
        .find(|line| line.version == 1)
        .expect("0001 in status");
    assert_eq!(initial.state, State::Changed);
    assert!(!migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused_naming_the_unknown_migration() {
    let db = fresh_db().await;
    sqlx::query(
        "INSERT INTO weft_schema_migrations (version, name, checksum) \
         VALUES (9999, 'from_the_future', '\\x00')",
    )
    .execute(&db.pool)
    .await
    .expect("record a migration this binary does not know");

    let error = migrate::migrate(&db.pool)
        .await
        .expect_err("an unknown migration is refused");

    assert!(matches!(&error, MigrateError::Unknown(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("9999"), "{message}");
    assert!(message.contains("newer than the binary"), "{message}");
    let status = migrate::status(&db.pool).await.expect("status");
    let future = status
        .iter()
        .find(|line| line.version == 9999)
        .expect("9999 in status");
    assert_eq!(future.state, State::Unknown);
    assert_eq!(future.name, "from_the_future");
    assert!(!migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn two_concurrent_migrations_both_succeed_and_apply_each_migration_once() {
    let db = empty_db().await;
    // Two pools, as two processes starting at once would have.
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.options.clone())
        .await
        .expect("a second pool");

    // Both run at once on their own connections; the second waits on the first's lock.
    let (first, second) = tokio::join!(migrate::migrate(&db.pool), migrate::migrate(&other));
    let first = first.expect("the first migrate");
    let second = second.expect("the second migrate");

    let mut applied = [first, second].concat();
    applied.sort();
    assert_eq!(applied, all_migrations());
    assert_eq!(applied_rows(&db.pool).await, MIGRATIONS.len() as i64);
    assert!(migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn rebuild_leaves_an_empty_database_at_the_current_schema() {
    let db = fresh_db().await;
    weft::db::seed::seed(&db.pool, 10).await.expect("seed");
    assert!(user_count(&db.pool).await > 0);

    let applied = migrate::rebuild(&db.pool).await.expect("rebuild");

    assert_eq!(applied, all_migrations());
    assert_eq!(user_count(&db.pool).await, 0);
    for table in ["journals", "transcripts", "tags"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .expect("count rows");
        assert_eq!(rows, 0, "{table}");
    }
    assert!(migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn weft_db_migrate_applies_then_says_there_is_nothing_to_apply() {
    let db = empty_db().await;

    let first = weft(&db, &["db", "migrate"], &[]);
    let second = weft(&db, &["db", "migrate"], &[]);

    assert_success(&first);
    assert!(
        stdout(&first).contains("applied 0001_initial"),
        "{}",
        stdout(&first)
    );
    assert_success(&second);
    assert!(
        stdout(&second).contains("nothing to apply"),
        "{}",
        stdout(&second)
    );
    assert!(migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn weft_db_status_lists_applied_and_changed_migrations() {
    let db = fresh_db().await;

    let current = weft(&db, &["db", "status"], &[]);
    change_checksum(&db.pool).await;
    let changed = weft(&db, &["db", "status"], &[]);

    assert_success(&current);
    let line = stdout(&current);
    assert!(line.contains("0001_initial"), "{line}");
    assert!(line.contains("applied"), "{line}");
    assert_success(&changed);
    assert!(stdout(&changed).contains("CHANGED"), "{}", stdout(&changed));
}

#[tokio::test]
async fn weft_db_status_on_an_empty_database_shows_pending() {
    let db = empty_db().await;

    let output = weft(&db, &["db", "status"], &[]);

    assert_success(&output);
    assert!(stdout(&output).contains("pending"), "{}", stdout(&output));
    assert!(!migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn weft_db_push_is_refused_in_production_and_changes_nothing() {
    let db = fresh_db().await;
    add_user(&db.pool).await;
    change_checksum(&db.pool).await;

    let output = weft(&db, &["db", "push"], &[("WEFT_ENV", "production")]);

    assert!(
        !output.status.success(),
        "push ran in production: {}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("production"),
        "{}",
        stderr(&output)
    );
    assert_eq!(user_count(&db.pool).await, 1);
    let status = migrate::status(&db.pool).await.expect("status");
    assert_eq!(status[0].state, State::Changed, "the schema was left alone");
}

#[tokio::test]
async fn weft_db_push_rebuilds_a_development_database_whose_migrations_changed() {
    let db = fresh_db().await;
    add_user(&db.pool).await;
    change_checksum(&db.pool).await;

    let output = weft(&db, &["db", "push"], &[]);

    assert_success(&output);
    assert!(
        stderr(&output).contains("rebuilding"),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("applied 0001_initial"),
        "{}",
        stdout(&output)
    );
    assert!(migrate::is_current(&db.pool).await.expect("is_current"));
    assert_eq!(user_count(&db.pool).await, 0, "a rebuild drops the data");
}

#[tokio::test]
async fn weft_db_push_on_a_current_database_keeps_its_data() {
    let db = fresh_db().await;
    add_user(&db.pool).await;

    let output = weft(&db, &["db", "push"], &[]);

    assert_success(&output);
    assert!(
        stdout(&output).contains("already at the current schema"),
        "{}",
        stdout(&output)
    );
    assert_eq!(user_count(&db.pool).await, 1);
}

#[tokio::test]
async fn weft_db_push_applies_pending_migrations_to_an_empty_database() {
    let db = empty_db().await;

    let output = weft(&db, &["db", "push"], &[]);

    assert_success(&output);
    assert!(
        stdout(&output).contains("applied 0001_initial"),
        "{}",
        stdout(&output)
    );
    assert!(migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn weft_db_reset_leaves_no_users_and_the_current_schema() {
    let db = fresh_db().await;
    weft::db::seed::seed(&db.pool, 10).await.expect("seed");

    let output = weft(&db, &["db", "reset"], &[]);

    assert_success(&output);
    assert_eq!(user_count(&db.pool).await, 0);
    assert!(migrate::is_current(&db.pool).await.expect("is_current"));
}

#[tokio::test]
async fn weft_db_reset_is_refused_in_production() {
    let db = fresh_db().await;
    add_user(&db.pool).await;

    let output = weft(&db, &["db", "reset"], &[("WEFT_ENV", "production")]);

    assert!(
        !output.status.success(),
        "reset ran in production: {}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("production"),
        "{}",
        stderr(&output)
    );
    assert_eq!(user_count(&db.pool).await, 1);
}

#[tokio::test]
async fn weft_db_generate_numbers_the_file_after_the_highest_existing_one() {
    let db = empty_db().await;
    let dir = tempfile::tempdir().expect("a migrations folder");
    std::fs::write(dir.path().join("0001_x.sql"), "-- x\n").expect("write 0001");
    std::fs::write(dir.path().join("0004_y.sql"), "-- y\n").expect("write 0004");
    let dir_arg = dir.path().to_str().expect("a UTF-8 path");

    let output = weft(
        &db,
        &["db", "generate", "add_things", "--dir", dir_arg],
        &[],
    );

    assert_success(&output);
    let created = dir.path().join("0005_add_things.sql");
    assert!(created.is_file(), "{} was not created", created.display());
    assert!(
        stdout(&output).contains("0005_add_things.sql"),
        "{}",
        stdout(&output)
    );
    let text = std::fs::read_to_string(&created).expect("read the new migration");
    assert!(text.starts_with("-- 0005_add_things:"), "{text}");
    assert_eq!(
        sql_files(dir.path()),
        vec!["0001_x.sql", "0004_y.sql", "0005_add_things.sql"]
    );
}

fn sql_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the folder")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// The words of a journal's search row that match `word` (0 or 1), read as its owner.
async fn searched(pool: &PgPool, owner: uuid::Uuid, journal: uuid::Uuid, word: &str) -> i64 {
    let mut tx = weft::db::scoped::begin_for_user(pool, owner).await.unwrap();
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM journal_search \
         WHERE journal_id = $1 AND document @@ to_tsquery('english', $2)",
    )
    .bind(journal)
    .bind(word)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    found
}

/// A database from before 0010, where a correction stayed current over a later run, gets the
/// run's words searched once 0010 is applied (the rows are refreshed for every user, under
/// row-level security); a journal whose correction is newest keeps the correction's.
#[tokio::test]
async fn migration_0010_makes_a_run_newer_than_a_correction_the_searched_text() {
    use weft::db::transcripts::{self, TranscriptSource};
    let db = fresh_db().await;
    let mut journals = Vec::new();
    for name in ["ana", "ben"] {
        let owner = common::insert_user(&db.admin, name).await;
        let (journal, _) = common::insert_journal_with_job(&db.admin, owner, 3).await;
        // ana: run, correction, run again. ben: run, then a correction (newest). Each in a
        // transaction of its own, as they are made: a version's time is its transaction's.
        let texts: &[(&str, TranscriptSource)] = if name == "ana" {
            &[
                ("lighthouse", TranscriptSource::Engine),
                ("harbour", TranscriptSource::Person),
                ("mountains", TranscriptSource::Engine),
            ]
        } else {
            &[
                ("lighthouse", TranscriptSource::Engine),
                ("harbour", TranscriptSource::Person),
            ]
        };
        for (text, source) in texts {
            let mut tx = weft::db::scoped::begin_for_user(&db.admin, owner)
                .await
                .unwrap();
            let version = transcripts::NewVersion {
                text,
                segments: &[],
                source: *source,
                language: Some("en"),
                language_probability: None,
                model: None,
            };
            transcripts::insert_version(&mut tx, journal, version)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        journals.push((owner, journal));
    }
    // Back to the rule before 0010 (a correction stays current), and rows made by it.
    sqlx::raw_sql(
        "CREATE OR REPLACE FUNCTION weft_current_transcript_text(journal uuid) RETURNS text \
         LANGUAGE sql STABLE AS $$ SELECT text FROM transcripts WHERE journal_id = journal \
         ORDER BY (source = 'person') DESC, created_at DESC, id DESC LIMIT 1; $$",
    )
    .execute(&db.admin)
    .await
    .unwrap();
    for (owner, journal) in &journals {
        let mut tx = weft::db::scoped::begin_for_user(&db.admin, *owner)
            .await
            .unwrap();
        sqlx::query("SELECT weft_search_refresh(ARRAY[$1::uuid])")
            .bind(journal)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let (ana, ana_journal) = journals[0];
    let (ben, ben_journal) = journals[1];
    assert_eq!(searched(&db.admin, ana, ana_journal, "harbour").await, 1);
    assert_eq!(searched(&db.admin, ana, ana_journal, "mountains").await, 0);

    sqlx::query("DELETE FROM weft_schema_migrations WHERE version = 10")
        .execute(&db.admin)
        .await
        .unwrap();
    // As the server's own role, which row-level security binds (the admin role is a
    // superuser, which it does not).
    let applied = migrate::migrate(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1, "0010 applied again: {applied:?}");

    assert_eq!(searched(&db.admin, ana, ana_journal, "mountains").await, 1);
    assert_eq!(searched(&db.admin, ana, ana_journal, "harbour").await, 0);
    assert_eq!(searched(&db.admin, ben, ben_journal, "harbour").await, 1);
    assert_eq!(searched(&db.admin, ben, ben_journal, "lighthouse").await, 0);
}

/// A database from before 0018, with passages of two users in the one table of 0016, keeps
/// every passage once they are split by user: the migration runs as the server's own role,
/// which row-level security binds, and must still move every user's rows.
#[tokio::test]
async fn migration_0018_moves_every_users_passages_into_the_partitions() {
    let db = fresh_db().await;
    // `passages` as 0016 made it.
    let sql = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/0016_passages.sql"),
    )
    .unwrap();
    let start = sql.find("CREATE TABLE passages").unwrap();
    let end = sql
        .find("-- Journals whose passages must be computed")
        .unwrap();
    sqlx::raw_sql("DROP TABLE passages")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::raw_sql(&sql[start..end])
        .execute(&db.pool)
        .await
        .unwrap();
    let mut owners = Vec::new();
    for (name, count) in [("ana", 3), ("ben", 2)] {
        let owner = common::insert_user(&db.admin, name).await;
        let (journal, _) = common::insert_journal_with_job(&db.admin, owner, 3).await;
        for ordinal in 0..count {
            sqlx::query(
                "INSERT INTO passages (journal_id, ordinal, user_id, kind, text, embedding) \
                 VALUES ($1, $2, $3, 'title', 'a\u{e9} text', array_fill(0.05::real, ARRAY[384]))",
            )
            .bind(journal)
            .bind(ordinal)
            .bind(owner)
            .execute(&db.admin)
            .await
            .unwrap();
        }
        owners.push((owner, count as i64));
    }
    sqlx::query("DELETE FROM weft_schema_migrations WHERE version = 18")
        .execute(&db.admin)
        .await
        .unwrap();

    let applied = migrate::migrate(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1, "0018 applied again: {applied:?}");

    let partitioned: bool =
        sqlx::query_scalar("SELECT relkind = 'p' FROM pg_class WHERE relname = 'passages'")
            .fetch_one(&db.admin)
            .await
            .unwrap();
    assert!(partitioned, "passages is split into partitions");
    for (owner, count) in owners {
        // Each user sees their own, through row-level security on the new table.
        let mut tx = weft::db::scoped::begin_for_user(&db.pool, owner)
            .await
            .unwrap();
        let (seen, text): (i64, String) =
            sqlx::query_as("SELECT count(*), min(text) FROM passages")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(seen, count, "every passage of {owner} moved");
        assert_eq!(text, "a\u{e9} text");
    }
    // Outside a user's transaction the server's role sees none, in the table or a partition.
    let (all, direct): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM passages), \
                (SELECT count(*) FROM passages_00) + (SELECT count(*) FROM passages_07)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((all, direct), (0, 0));
}

/// A database from before 0020, whose search rows have no head words, gets every user's
/// filled when 0020 is applied: title, tags, notes and place, case folded, each word once;
/// the migration runs as the server's own role, which row-level security binds.
#[tokio::test]
async fn migration_0020_gives_every_users_search_rows_the_words_of_their_heads() {
    let db = fresh_db().await;
    let mut journals = Vec::new();
    for (name, title) in [("ana", "Over THERE"), ("ben", "Tea, there and BACK")] {
        let owner = common::insert_user(&db.admin, name).await;
        let (journal, _) = common::insert_journal_with_job(&db.admin, owner, 3).await;
        let mut tx = weft::db::scoped::begin_for_user(&db.admin, owner)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE journals SET title = $2, notes = 'by the sea', location = 'Sea-Point' \
             WHERE id = $1",
        )
        .bind(journal)
        .bind(title)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("INSERT INTO tags (journal_id, tag) VALUES ($1, 'tea')")
            .bind(journal)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        journals.push((owner, journal));
    }
    // Back to the schema before 0020.
    sqlx::raw_sql(
        "DROP INDEX journal_search_head_words_idx; \
         ALTER TABLE journal_search DROP COLUMN head_words; \
         DROP FUNCTION weft_words(text); \
         DELETE FROM weft_schema_migrations WHERE version = 20;",
    )
    .execute(&db.admin)
    .await
    .unwrap();

    let applied = migrate::migrate(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1, "0020 applied again: {applied:?}");

    let words: Vec<Vec<String>> = sqlx::query_scalar(
        "SELECT head_words FROM journal_search WHERE journal_id = ANY($1) ORDER BY user_id = $2 DESC",
    )
    .bind(journals.iter().map(|(_, journal)| *journal).collect::<Vec<_>>())
    .bind(journals[0].0)
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(
        words,
        vec![
            vec!["by", "over", "point", "sea", "tea", "the", "there"],
            vec!["and", "back", "by", "point", "sea", "tea", "the", "there"],
        ]
    );
    assert!(index_exists(&db, "journal_search_head_words_idx").await);
}

/// Whether the database has an index of that name.
async fn index_exists(db: &TestDb, name: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = $1)")
        .bind(name)
        .fetch_one(&db.admin)
        .await
        .unwrap()
}

/// For each (user name, transcript) a user with one journal titled "Of it", with `notes`,
/// whose transcript says it: the journals' ids, in order.
async fn journals_saying<const N: usize>(
    db: &TestDb,
    notes: Option<&str>,
    users: [(&str, &str); N],
) -> Vec<uuid::Uuid> {
    let mut journals = Vec::new();
    for (name, said) in users {
        let owner = common::insert_user(&db.admin, name).await;
        let (journal, _) = common::insert_journal_with_job(&db.admin, owner, 3).await;
        let mut tx = weft::db::scoped::begin_for_user(&db.admin, owner)
            .await
            .unwrap();
        sqlx::query("UPDATE journals SET title = 'Of it', notes = $2 WHERE id = $1")
            .bind(journal)
            .bind(notes)
            .execute(&mut *tx)
            .await
            .unwrap();
        weft::db::transcripts::insert(&mut tx, journal, said, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        journals.push(journal);
    }
    journals
}

/// A database from before 0021, whose search rows have no word pairs, gets every user's
/// filled when 0021 is applied: the pairs of stop words said one after the other in the
/// head and the transcript, and a phrase of stop words is found through them.
#[tokio::test]
async fn migration_0021_gives_every_users_search_rows_the_stop_word_pairs_they_say() {
    let db = fresh_db().await;
    let journals = journals_saying(
        &db,
        Some("and so"),
        [("ana", "To be, or not"), ("ben", "over and over")],
    )
    .await;
    // Back to the schema before 0021 (0020's refresh, which the migration replaces, fills
    // no pairs).
    sqlx::raw_sql(
        "ALTER TABLE journal_search DROP COLUMN said_pairs CASCADE; \
         DROP FUNCTION weft_stop_word_pairs(text); \
         DROP FUNCTION weft_stop_words(); \
         DELETE FROM weft_schema_migrations WHERE version = 21;",
    )
    .execute(&db.admin)
    .await
    .unwrap();

    let applied = migrate::migrate(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1, "0021 applied again: {applied:?}");

    let said: Vec<Vec<String>> = sqlx::query_scalar(
        "SELECT ARRAY(SELECT w[p / 128] || ' ' || w[p % 128] \
                      FROM unnest(s.said_pairs) AS p, weft_stop_words() AS w ORDER BY 1) \
         FROM journal_search s WHERE s.journal_id = ANY($1) ORDER BY s.journal_id = $2 DESC",
    )
    .bind(&journals)
    .bind(journals[0])
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(
        said,
        vec![
            vec!["and so", "be or", "it and", "of it", "or not", "so to", "to be"],
            vec!["and over", "and so", "it and", "of it", "over and", "so over"],
        ]
    );
    assert!(index_exists(&db, "journal_search_said_pairs_idx").await);
}

/// A database from before 0022, without tagged_journals, gets a row for every tag of every
/// user's journals, with the journal's owner and date, and the index its pages are read
/// from.
#[tokio::test]
async fn migration_0022_gives_every_users_tagged_journals_their_rows() {
    let db = fresh_db().await;
    let mut expected = Vec::new();
    for (name, tags) in [("ana", vec!["sea", "walk"]), ("ben", vec!["walk"])] {
        let owner = common::insert_user(&db.admin, name).await;
        let (journal, _) = common::insert_journal_with_job(&db.admin, owner, 3).await;
        // An untagged journal, which has no rows.
        common::insert_journal_with_job(&db.admin, owner, 4).await;
        let mut tx = weft::db::scoped::begin_for_user(&db.admin, owner)
            .await
            .unwrap();
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        weft::db::tags::add(&mut tx, journal, &tags).await.unwrap();
        tx.commit().await.unwrap();
        for tag in tags {
            expected.push((journal, owner, tag));
        }
    }
    expected.sort();
    // Back to the schema before 0022.
    sqlx::raw_sql(
        "DROP FUNCTION weft_tag_page(uuid, text, timestamptz, uuid, bigint); \
         DROP TABLE tagged_journals; \
         DROP FUNCTION weft_tagged_journals_changed() CASCADE; \
         DELETE FROM weft_schema_migrations WHERE version = 22;",
    )
    .execute(&db.admin)
    .await
    .unwrap();

    let applied = migrate::migrate(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1, "0022 applied again: {applied:?}");

    let rows: Vec<(uuid::Uuid, uuid::Uuid, String)> = sqlx::query_as(
        "SELECT g.journal_id, g.user_id, g.tag FROM tagged_journals g \
         JOIN journals j ON j.id = g.journal_id AND j.created_at = g.created_at \
         ORDER BY 1, 2, 3",
    )
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(rows, expected);
    assert!(index_exists(&db, "tagged_journals_page_idx").await);
}

/// A database from before 0023, whose search rows hold only the pairs of stop words, gets
/// every user's rows filled with the stop words said alone as well, and the index they are
/// looked up in.
#[tokio::test]
async fn migration_0023_gives_every_users_search_rows_the_stop_words_they_say() {
    let db = fresh_db().await;
    let journals = journals_saying(
        &db,
        None,
        [("ana", "It was HERS, not theirs"), ("ben", "over and over")],
    )
    .await;
    // Back to rows before 0023: the pairs alone.
    sqlx::raw_sql(
        "UPDATE journal_search SET said_pairs = \
             ARRAY(SELECT p FROM unnest(said_pairs) AS p WHERE p >= 128); \
         DELETE FROM weft_schema_migrations WHERE version = 23;",
    )
    .execute(&db.admin)
    .await
    .unwrap();

    let applied = migrate::migrate(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1, "0023 applied again: {applied:?}");

    let said: Vec<Vec<String>> = sqlx::query_scalar(
        "SELECT ARRAY(SELECT CASE WHEN p < 128 THEN w[p] ELSE w[p / 128] || ' ' || w[p % 128] END \
                      FROM unnest(s.said_pairs) AS p, weft_stop_words() AS w ORDER BY 1) \
         FROM journal_search s WHERE s.journal_id = ANY($1) ORDER BY s.journal_id = $2 DESC",
    )
    .bind(&journals)
    .bind(journals[0])
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(
        said,
        vec![
            vec![
                "hers",
                "hers not",
                "it",
                "it it",
                "it was",
                "not",
                "not theirs",
                "of",
                "of it",
                "theirs",
                "was",
                "was hers"
            ],
            vec!["and", "and over", "it", "it over", "of", "of it", "over", "over and"],
        ]
    );
    assert!(index_exists(&db, "journal_search_said_pairs_idx").await);
}
