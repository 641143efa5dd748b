//! Start-up sweep of media a crash left behind: stored objects that no journal references
//! (an upload stores its files before the row commits; a crash in between, or during an
//! account's deletion, leaves objects without a row). Only objects older than a grace
//! period are touched, so uploads in flight on this or another server are safe.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use uuid::Uuid;

use crate::db::scoped;
use crate::storage::Storage;

/// Objects younger than this are left alone (the default of `WEFT_ORPHAN_GRACE_SECONDS`).
pub const GRACE: Duration = Duration::from_secs(3600);

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Objects old enough to judge.
    pub examined: usize,
    /// Orphans deleted.
    pub removed: usize,
}

/// Deletes objects under `videos/`, `audio/` and `thumbnails/` older than `grace` whose journal row
/// does not exist. Keys of another shape are left alone. A database error stops the sweep
/// before anything is deleted for the user concerned.
pub async fn orphan_objects(
    pool: &sqlx::PgPool,
    storage: &Storage,
    grace: Duration,
) -> anyhow::Result<Swept> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(grace)?;
    // user → [(key, journal id)]
    let mut by_user: HashMap<Uuid, Vec<(String, Uuid)>> = HashMap::new();
    let mut swept = Swept::default();
    for prefix in crate::ingest::MEDIA_PREFIXES {
        for (key, info) in storage.list_with_info(prefix).await? {
            if info.last_modified > cutoff {
                continue;
            }
            if let Some((user, journal)) = parse_key(&key) {
                swept.examined += 1;
                by_user.entry(user).or_default().push((key, journal));
            }
        }
    }
    for (user, objects) in by_user {
        // Row-level security shows a user's journals only when acting for them.
        let mut tx = scoped::begin_for_user(pool, user).await?;
        let rows = sqlx::query!(
            "SELECT id, video_path FROM journals WHERE user_id = $1",
            user
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let ids: HashSet<Uuid> = rows.iter().map(|row| row.id).collect();
        let videos: HashSet<&str> = rows.iter().map(|row| row.video_path.as_str()).collect();
        for (key, journal) in objects {
            let referenced = if !key.starts_with("thumbnails/") {
                videos.contains(key.as_str())
            } else {
                ids.contains(&journal)
            };
            if !referenced {
                storage.delete(&key).await?;
                swept.removed += 1;
            }
        }
    }
    Ok(swept)
}

/// `videos/USER/JOURNAL.ext`, `audio/USER/JOURNAL.ext` or `thumbnails/USER/JOURNAL.jpg` →
/// (user, journal).
fn parse_key(key: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = key.split('/');
    let (_kind, user, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let stem = file.split('.').next()?;
    Some((Uuid::parse_str(user).ok()?, Uuid::parse_str(stem).ok()?))
}

/// Runs the sweep and logs what it did (for `weft serve`'s start-up).
pub async fn at_start_up(pool: sqlx::PgPool, storage: Storage, grace: Duration) {
    match orphan_objects(&pool, &storage, grace).await {
        Ok(Swept { removed: 0, .. }) => {}
        Ok(swept) => tracing::info!(
            removed = swept.removed,
            examined = swept.examined,
            "removed stored media that no journal references (left by a crash)"
        ),
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "sweeping orphaned media failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_key;

    #[test]
    fn only_server_shaped_keys_are_understood() {
        let user = "0b7c3f8e-1111-4222-8333-444455556666";
        let journal = "1b7c3f8e-1111-4222-8333-444455556666";
        assert!(parse_key(&format!("videos/{user}/{journal}.mp4")).is_some());
        assert!(parse_key(&format!("thumbnails/{user}/{journal}.jpg")).is_some());
        assert!(parse_key(&format!("audio/{user}/{journal}.m4a")).is_some());
        assert!(parse_key(&format!("videos/{user}/{journal}.mp4/extra")).is_none());
        assert!(parse_key("videos/not-a-uuid/x.mp4").is_none());
        assert!(parse_key("README").is_none());
    }
}
