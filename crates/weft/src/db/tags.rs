//! A journal's tags. Stored trimmed and lower-case (the database normalises them too).

use uuid::Uuid;

use super::scoped::UserTx;

/// Adds tags to a journal; ones it already has are left alone.
pub async fn add(tx: &mut UserTx, journal_id: Uuid, tags: &[String]) -> Result<(), sqlx::Error> {
    if tags.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "INSERT INTO tags (journal_id, tag) SELECT $1, t FROM unnest($2::text[]) AS t
         ON CONFLICT (journal_id, tag) DO NOTHING",
        journal_id,
        tags,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes `tags` exactly the journal's tags: the others are removed, new ones added.
pub async fn replace(
    tx: &mut UserTx,
    journal_id: Uuid,
    tags: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM tags WHERE journal_id = $1 AND NOT (tag = ANY($2::text[]))",
        journal_id,
        tags,
    )
    .execute(&mut **tx)
    .await?;
    add(tx, journal_id, tags).await
}

/// Removes one tag from a journal; false when it did not carry it.
pub async fn remove(tx: &mut UserTx, journal_id: Uuid, tag: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM tags WHERE journal_id = $1 AND tag = $2",
        journal_id,
        tag,
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A journal's tags, alphabetical.
pub async fn for_journal(tx: &mut UserTx, journal_id: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT tag FROM tags WHERE journal_id = $1 ORDER BY tag",
        journal_id,
    )
    .fetch_all(&mut **tx)
    .await
}

/// A tag and how many of the user's journals carry it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TagCount {
    pub tag: String,
    pub count: i64,
}

/// A user's tags with counts, most used first.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn counts_for_user(tx: &mut UserTx) -> Result<Vec<TagCount>, sqlx::Error> {
    sqlx::query_as!(
        TagCount,
        r#"SELECT t.tag, count(*) AS "count!" FROM tags t JOIN journals j ON j.id = t.journal_id
           WHERE j.user_id = $1 GROUP BY t.tag ORDER BY count(*) DESC, t.tag"#,
        tx.user_id(),
    )
    .fetch_all(&mut **tx)
    .await
}

/// Renames a tag on all of a user's journals; where a journal already carries `to`, the
/// two merge. Returns how many journals carried `from` (0: no such tag).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn rename(tx: &mut UserTx, from: &str, to: &str) -> Result<u64, sqlx::Error> {
    if from == to {
        let count = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM tags t JOIN journals j ON j.id = t.journal_id
               WHERE j.user_id = $1 AND t.tag = $2"#,
            tx.user_id(),
            from,
        )
        .fetch_one(&mut **tx)
        .await?;
        return Ok(count.unsigned_abs());
    }
    let merged = sqlx::query!(
        "DELETE FROM tags t USING journals j
         WHERE j.id = t.journal_id AND j.user_id = $1 AND t.tag = $2
           AND EXISTS (SELECT 1 FROM tags o WHERE o.journal_id = t.journal_id AND o.tag = $3)",
        tx.user_id(),
        from,
        to,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let renamed = sqlx::query!(
        "UPDATE tags t SET tag = $3 FROM journals j
         WHERE j.id = t.journal_id AND j.user_id = $1 AND t.tag = $2",
        tx.user_id(),
        from,
        to,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(merged + renamed)
}
