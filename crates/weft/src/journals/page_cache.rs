//! Timeline pages kept in memory, answered again while nothing they show has changed.
//!
//! Every change to a user's journals, tags, transcripts or transcription jobs bumps their
//! timeline version in the same transaction (migrations/0007_timeline_versions.sql), and
//! the version comes with the session lookup that every request makes. A page read after
//! that lookup is at least as new as the version it is kept under, so a page kept under
//! the version a request sees shows everything that request could see: reading it again
//! would give the same answer. An entry also expires after [`MAX_AGE`], and the cache
//! holds at most [`CAPACITY`] pages.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use uuid::Uuid;

/// How long a page is kept at most, even unchanged: a bound on any change that reached
/// the database without its triggers (a restore, an operator's hand).
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// The most pages kept.
pub const CAPACITY: usize = 4096;

/// Pages by user and request (its query string), with the version they were read at.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: Mutex<HashMap<(Uuid, String), Page>>,
}

#[derive(Debug)]
struct Page {
    version: i64,
    read_at: Instant,
    body: Bytes,
}

impl PageCache {
    /// The page kept for this user and request at this version, if it is fresh.
    pub fn get(&self, user_id: Uuid, request: &str, version: i64) -> Option<Bytes> {
        let pages = self
            .pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let page = pages.get(&(user_id, request.to_string()))?;
        (page.version == version && page.read_at.elapsed() < MAX_AGE).then(|| page.body.clone())
    }

    /// Keeps a page read at `version` (after the session lookup that gave it).
    pub fn put(&self, user_id: Uuid, request: &str, version: i64, body: Bytes) {
        let mut pages = self
            .pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pages.len() >= CAPACITY {
            pages.retain(|_, page| page.read_at.elapsed() < MAX_AGE);
            if pages.len() >= CAPACITY {
                pages.clear();
            }
        }
        pages.insert(
            (user_id, request.to_string()),
            Page {
                version,
                read_at: Instant::now(),
                body,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_answered_again_only_at_its_version_for_its_user_and_request() {
        let cache = PageCache::default();
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(alice, "limit=5", 3, Bytes::from_static(b"page"));
        assert_eq!(
            cache.get(alice, "limit=5", 3).as_deref(),
            Some(&b"page"[..])
        );
        assert_eq!(cache.get(alice, "limit=5", 4), None);
        assert_eq!(cache.get(alice, "limit=6", 3), None);
        assert_eq!(cache.get(bob, "limit=5", 3), None);
    }

    #[test]
    fn a_full_cache_starts_again_rather_than_growing() {
        let cache = PageCache::default();
        let user = Uuid::new_v4();
        for n in 0..CAPACITY + 10 {
            cache.put(user, &n.to_string(), 1, Bytes::new());
        }
        let kept = cache.pages.lock().unwrap().len();
        assert!(kept <= CAPACITY, "{kept}");
        assert!(cache.get(user, &(CAPACITY + 9).to_string(), 1).is_some());
    }
}
