//! `weft db backup` and `weft db restore`: both dump formats round-trip through the binary,
//! restoring refuses a database that is not empty, and the dumps are read by the standard
//! `psql` and `pg_restore` as well.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::cli::{self, assert_success};
use crate::common::{empty_db, fresh_db, TestDb};
use sqlx::PgPool;
use weft::db::migrate;

const TABLES: [&str; 5] = [
    "users",
    "journals",
    "transcripts",
    "tags",
    "weft_schema_migrations",
];

/// Per table: its name, row count, and a digest of every row (ids and timestamps included).
async fn snapshot(pool: &PgPool) -> Vec<(String, i64, Option<String>)> {
    let mut tables = Vec::new();
    for table in TABLES {
        let (rows, digest): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .expect("read a table");
        tables.push((table.to_string(), rows, digest));
    }
    tables
}

/// A seeded database and a folder for its dumps.
async fn seeded() -> (TestDb, tempfile::TempDir) {
    let db = fresh_db().await;
    weft::db::seed::seed(&db.admin, 10).await.expect("seed");
    (db, tempfile::tempdir().expect("a folder for dumps"))
}

/// Runs `weft ARGS` against `db` in development, with its superuser URL for the dumps.
fn weft(db: &TestDb, args: &[&str]) -> Output {
    let env = [
        ("WEFT_ADMIN_DATABASE_URL", db.admin_url.as_str()),
        ("WEFT_ENV", "development"),
    ];
    cli::weft(db, args, &env)
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Backs `db` up into `dir/name` with the binary and returns the file's path.
fn backup(db: &TestDb, dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(name);
    let output = weft(db, &["db", "backup", path_arg(&file)]);
    assert_success(&output);
    file
}

#[tokio::test]
async fn backup_writes_a_custom_dump_for_dump_files_and_plain_sql_for_sql_files() {
    let (db, dir) = seeded().await;

    let custom = backup(&db, dir.path(), "weft.dump");
    let plain = backup(&db, dir.path(), "weft.sql");

    let custom_bytes = std::fs::read(&custom).expect("read the custom dump");
    assert!(
        custom_bytes.starts_with(b"PGDMP"),
        "the custom dump starts with PGDMP"
    );
    let plain_text = std::fs::read_to_string(&plain).expect("read the plain dump");
    assert!(
        plain_text.contains("CREATE TABLE public.journals"),
        "the plain dump is SQL"
    );
    assert!(
        plain_text.contains("johndoe"),
        "the plain dump holds the data"
    );
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list the folder")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec!["weft.dump", "weft.sql"],
        "no partial files are left behind"
    );
}

#[tokio::test]
async fn a_custom_dump_restores_into_an_empty_database_identically() {
    let (source, dir) = seeded().await;
    let file = backup(&source, dir.path(), "weft.dump");
    let target = empty_db().await;

    let output = weft(&target, &["db", "restore", path_arg(&file)]);

    assert_success(&output);
    assert_eq!(snapshot(&target.admin).await, snapshot(&source.admin).await);
    assert!(migrate::is_current(&target.admin)
        .await
        .expect("is_current"));
}

#[tokio::test]
async fn a_plain_sql_dump_restores_into_an_empty_database_identically() {
    let (source, dir) = seeded().await;
    let file = backup(&source, dir.path(), "weft.sql");
    let target = empty_db().await;

    let output = weft(&target, &["db", "restore", path_arg(&file)]);

    assert_success(&output);
    assert_eq!(snapshot(&target.admin).await, snapshot(&source.admin).await);
    assert!(migrate::is_current(&target.admin)
        .await
        .expect("is_current"));
}

#[tokio::test]
async fn restoring_into_a_database_that_is_not_empty_is_refused_and_changes_nothing() {
    let (source, dir) = seeded().await;
    let file = backup(&source, dir.path(), "weft.dump");
    let target = fresh_db().await;
    sqlx::query(
        "INSERT INTO users (username, email, password_hash) \
         VALUES ('resident', 'resident@example.com', 'x')",
    )
    .execute(&target.admin)
    .await
    .expect("a user already there");
    let before = snapshot(&target.admin).await;

    let output = weft(&target, &["db", "restore", path_arg(&file)]);

    assert!(
        !output.status.success(),
        "restore into a non-empty database ran"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs an empty one"), "{stderr}");
    assert_eq!(snapshot(&target.admin).await, before);
}

#[tokio::test]
async fn the_plain_dump_is_read_by_psql() {
    let (source, dir) = seeded().await;
    let file = backup(&source, dir.path(), "weft.sql");
    let target = empty_db().await;

    let output = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(target.url())
        .arg("-f")
        .arg(&file)
        .output()
        .expect("run psql");

    assert_success(&output);
    assert_eq!(snapshot(&target.admin).await, snapshot(&source.admin).await);
    assert!(migrate::is_current(&target.admin)
        .await
        .expect("is_current"));
}

#[tokio::test]
async fn the_custom_dump_is_read_by_pg_restore() {
    let (source, dir) = seeded().await;
    let file = backup(&source, dir.path(), "weft.dump");
    let target = empty_db().await;

    let output = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "-d"])
        .arg(target.url())
        .arg(&file)
        .output()
        .expect("run pg_restore");

    assert_success(&output);
    assert_eq!(snapshot(&target.admin).await, snapshot(&source.admin).await);
    assert!(migrate::is_current(&target.admin)
        .await
        .expect("is_current"));
}
