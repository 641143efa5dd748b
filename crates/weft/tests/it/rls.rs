//! Row-level security: the second wall around each user's journals, transcripts and tags.

use crate::common;
use uuid::Uuid;
use weft::db::scoped::begin_for_user;

async fn journal_with_children(pool: &sqlx::PgPool, owner: Uuid, title: &str) -> Uuid {
    let mut tx = begin_for_user(pool, owner).await.unwrap();
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO journals (user_id, title, video_path, duration) VALUES ($1, $2, 'key', 10) RETURNING id",
    )
    .bind(owner)
    .bind(title)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO transcripts (journal_id, text) VALUES ($1, $2)")
        .bind(id)
        .bind(format!("transcript of {title}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO tags (journal_id, tag) VALUES ($1, 'mine')")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn an_unscoped_select_inside_a_users_transaction_sees_only_that_users_rows() {
    let db = common::fresh_db().await;
    let jane = common::insert_user(&db.pool, "jane").await;
    let john = common::insert_user(&db.pool, "john").await;
    journal_with_children(&db.pool, jane, "jane one").await;
    journal_with_children(&db.pool, jane, "jane two").await;
    journal_with_children(&db.pool, john, "john one").await;

    let mut tx = begin_for_user(&db.pool, jane).await.unwrap();
    let owners: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM journals")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(owners, vec![jane, jane]);
    let transcripts: Vec<String> = sqlx::query_scalar("SELECT text FROM transcripts ORDER BY text")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        transcripts,
        vec!["transcript of jane one", "transcript of jane two"]
    );
    let tags: i64 = sqlx::query_scalar("SELECT count(*) FROM tags")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(tags, 2);
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn without_a_user_the_tables_show_and_accept_nothing() {
    let db = common::fresh_db().await;
    let jane = common::insert_user(&db.pool, "jane").await;
    journal_with_children(&db.pool, jane, "jane one").await;

    for table in ["journals", "transcripts", "tags"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} without a user");
    }
    let insert = sqlx::query(
        "INSERT INTO journals (user_id, title, video_path, duration) VALUES ($1, 't', 'k', 1)",
    )
    .bind(jane)
    .execute(&db.pool)
    .await;
    assert!(
        insert.is_err(),
        "an insert outside a user's scope is refused"
    );
}

#[tokio::test]
async fn acting_as_one_user_cannot_write_or_change_anothers_rows() {
    let db = common::fresh_db().await;
    let jane = common::insert_user(&db.pool, "jane").await;
    let john = common::insert_user(&db.pool, "john").await;
    let johns = journal_with_children(&db.pool, john, "john one").await;

    let mut tx = begin_for_user(&db.pool, jane).await.unwrap();
    let forged = sqlx::query(
        "INSERT INTO journals (user_id, title, video_path, duration) VALUES ($1, 't', 'k', 1)",
    )
    .bind(john)
    .execute(&mut *tx)
    .await;
    assert!(forged.is_err(), "WITH CHECK refuses rows for someone else");
    tx.rollback().await.unwrap();

    let mut tx = begin_for_user(&db.pool, jane).await.unwrap();
    let updated = sqlx::query("UPDATE journals SET title = 'mine now' WHERE id = $1")
        .bind(johns)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM tags")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    let tagged = sqlx::query("INSERT INTO tags (journal_id, tag) VALUES ($1, 'graffiti')")
        .bind(johns)
        .execute(&mut *tx)
        .await;
    assert!(tagged.is_err(), "no tags on someone else's journal");
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn the_application_role_cannot_bypass_row_level_security() {
    let db = common::fresh_db().await;
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(
        !superuser && !bypass,
        "the test connects as the application role"
    );
    let forced: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT relname::text, relrowsecurity, relforcerowsecurity FROM pg_class \
         WHERE relname IN ('journals', 'transcripts', 'tags') ORDER BY relname",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(forced.len(), 3);
    for (table, enabled, force) in forced {
        assert!(
            enabled && force,
            "{table}: enabled={enabled} forced={force}"
        );
    }
}

#[tokio::test]
async fn uploads_are_seen_and_written_only_by_their_owner() {
    let db = common::fresh_db().await;
    let jane = common::insert_user(&db.pool, "jane").await;
    let john = common::insert_user(&db.pool, "john").await;
    let insert = "INSERT INTO uploads (id, user_id, length, bytes_in, expires_at)
                  VALUES (gen_random_uuid(), $1, 100, 'file', now() + interval '1 day')";
    let mut tx = begin_for_user(&db.pool, john).await.unwrap();
    sqlx::query(insert)
        .bind(john)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = begin_for_user(&db.pool, jane).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0, "jane sees none of john's uploads");
    let moved = sqlx::query("UPDATE uploads SET \"offset\" = 50")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 0);
    let forged = sqlx::query(insert).bind(john).execute(&mut *tx).await;
    assert!(
        forged.is_err(),
        "WITH CHECK refuses an upload for someone else"
    );
    tx.rollback().await.unwrap();

    let outside: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(outside, 0, "without a user, no upload is visible");
}
