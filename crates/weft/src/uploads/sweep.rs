//! Removing abandoned uploads: every little while, the uploads whose expiry has passed lose
//! their row and their bytes (those being written to right now are left for the next
//! round), and bytes whose row is gone (a server stopped between the two, or the account was
//! deleted, which removes the rows) are removed too.

use std::collections::HashSet;
use std::time::Duration;

use uuid::Uuid;

use super::{UploadError, Uploads};
use crate::db::scoped;
use crate::db::uploads::{self as rows, Lease};

/// What one round removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    /// Expired uploads (and finished records) removed.
    pub expired: usize,
    /// Bytes removed whose upload had no row.
    pub orphans: usize,
}

/// How often the sweep runs for an expiry of `expiry`: often enough that an upload is gone
/// soon after it expires, at most every 5 minutes, at least every second.
pub fn interval(expiry: Duration) -> Duration {
    (expiry / 2).clamp(Duration::from_secs(1), Duration::from_secs(300))
}

impl Uploads {
    /// One round: removes expired uploads with their bytes; with `orphans`, also bytes
    /// without a row.
    pub async fn sweep(&self, orphans: bool) -> Result<Removed, UploadError> {
        let mut removed = Removed::default();
        let pool = &self.ingest.pool;
        // Row-level security shows one user's uploads at a time.
        for user_id in rows::user_ids(pool).await? {
            let mut tx = scoped::begin_for_user(pool, user_id).await?;
            let expired = rows::expired(&mut tx).await?;
            tx.commit().await?;
            for upload in expired {
                // One being written to now is not abandoned; the next round sees it again.
                let Some(mut lease) = Lease::acquire(pool, user_id, upload.id).await? else {
                    continue;
                };
                let still = lease.upload().expired();
                let deleted = if still { lease.delete().await } else { Ok(()) };
                lease.release().await;
                deleted?;
                if still {
                    self.place.remove(&upload).await?;
                    removed.expired += 1;
                }
            }
        }
        if orphans {
            removed.orphans = self.remove_orphans().await?;
        }
        Ok(removed)
    }

    async fn remove_orphans(&self) -> Result<usize, UploadError> {
        let pool = &self.ingest.pool;
        let present = self.place.present().await?;
        let users: HashSet<Uuid> = present.iter().map(|(user, _)| *user).collect();
        let mut removed = 0;
        for user_id in users {
            let mut tx = scoped::begin_for_user(pool, user_id).await?;
            let known: HashSet<Uuid> = rows::ids(&mut tx).await?.into_iter().collect();
            tx.commit().await?;
            for (_, id) in present.iter().filter(|(user, _)| *user == user_id) {
                // The row is written before the first byte: bytes without one are left over.
                if !known.contains(id) {
                    self.place.remove_orphan(user_id, *id).await?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Sweeps now, then every [`interval`], logging what it did; runs until aborted.
    pub async fn sweep_forever(self) {
        let mut every = tokio::time::interval(interval(self.settings.expiry));
        loop {
            every.tick().await;
            match self.sweep(true).await {
                Ok(Removed {
                    expired: 0,
                    orphans: 0,
                }) => {}
                Ok(removed) => tracing::info!(
                    expired = removed.expired,
                    orphans = removed.orphans,
                    "removed abandoned uploads and their bytes"
                ),
                Err(error) => tracing::warn!(%error, "sweeping abandoned uploads failed"),
            }
        }
    }
}
