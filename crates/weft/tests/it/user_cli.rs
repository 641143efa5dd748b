//! `weft user …` against a real database.

use std::process::Output;

use crate::common::{self, cli, TestDb};

/// Runs `weft ARGS` against `db` with `stdin` as its input (bcrypt at its lowest cost).
fn weft(db: &TestDb, args: &[&str], stdin: &str) -> Output {
    cli::weft_with_input(db, args, &[("WEFT_BCRYPT_COST", "10")], stdin)
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
    assert!(created.status.success(), "{}", cli::output_text(&created));
    assert!(cli::output_text(&created).contains("created jane"));

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
        cli::output_text(&duplicate).contains("already taken"),
        "{}",
        cli::output_text(&duplicate)
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
        cli::output_text(&weak).contains("at least 8 characters"),
        "{}",
        cli::output_text(&weak)
    );

    let listed = weft(&db, &["user", "list"], "");
    assert!(listed.status.success());
    assert!(
        cli::output_text(&listed).contains("jane@example.com")
            && cli::output_text(&listed).contains("1 account(s)"),
        "{}",
        cli::output_text(&listed)
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
    assert!(reset.status.success(), "{}", cli::output_text(&reset));
    let hash_after: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_ne!(hash_before, hash_after);
    assert!(
        weft::domain::password::verify("another password".into(), hash_after)
            .await
            .unwrap()
    );

    let unconfirmed = weft(&db, &["user", "delete", "jane"], "");
    assert!(
        !unconfirmed.status.success(),
        "no terminal, no --yes: nothing deleted"
    );
    let deleted = weft(&db, &["user", "delete", "jane", "--yes"], "");
    assert!(deleted.status.success(), "{}", cli::output_text(&deleted));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    let missing = weft(&db, &["user", "delete", "nobody", "--yes"], "");
    assert!(!missing.status.success());
    assert!(
        cli::output_text(&missing).contains("no account"),
        "{}",
        cli::output_text(&missing)
    );
}
