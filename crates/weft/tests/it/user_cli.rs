//! `weft user …` against a real database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common;

fn weft(db: &common::TestDb, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(common::weft_bin())
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("WEFT_BCRYPT_COST", "10")
        .env("WEFT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn an_operator_creates_lists_resets_and_deletes_users() {
    let db = common::fresh_db().await;

    let created = weft(
        &db,
        &[
            "user",
            "create",
            "jane",
            "jane@example.com",
            "--password-stdin",
        ],
        "a good password\n",
    );
    assert!(created.status.success(), "{}", text(&created));
    assert!(text(&created).contains("created jane"));

    let duplicate = weft(
        &db,
        &[
            "user",
            "create",
            "JANE",
            "x@example.com",
            "--password-stdin",
        ],
        "a good password\n",
    );
    assert!(!duplicate.status.success());
    assert!(
        text(&duplicate).contains("already taken"),
        "{}",
        text(&duplicate)
    );

    let weak = weft(
        &db,
        &[
            "user",
            "create",
            "john",
            "john@example.com",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!weak.status.success());
    assert!(
        text(&weak).contains("at least 8 characters"),
        "{}",
        text(&weak)
    );

    let listed = weft(&db, &["user", "list"], "");
    assert!(listed.status.success());
    assert!(
        text(&listed).contains("jane@example.com") && text(&listed).contains("1 account(s)"),
        "{}",
        text(&listed)
    );

    let hash_before: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let reset = weft(
        &db,
        &[
            "user",
            "set-password",
            "jane@example.com",
            "--password-stdin",
        ],
        "another password\n",
    );
    assert!(reset.status.success(), "{}", text(&reset));
    let hash_after: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_ne!(hash_before, hash_after);
    assert!(
        weft::db::users::verify_password("another password".into(), hash_after)
            .await
            .unwrap()
    );

    let unconfirmed = weft(&db, &["user", "delete", "jane"], "");
    assert!(
        !unconfirmed.status.success(),
        "no terminal, no --yes: nothing deleted"
    );
    let deleted = weft(&db, &["user", "delete", "jane", "--yes"], "");
    assert!(deleted.status.success(), "{}", text(&deleted));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    let missing = weft(&db, &["user", "delete", "nobody", "--yes"], "");
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no account"), "{}", text(&missing));
}
