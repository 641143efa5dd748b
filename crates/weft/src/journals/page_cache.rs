//! Timeline pages kept in memory, answered again while nothing they show has changed.
//!
//! Every change to a user's journals, tags, transcripts or transcription jobs bumps their
//! timeline version in the same transaction (migrations/0007_timeline_versions.sql), as does
//! a change of their time zone (`db::users::set_time_zone`: a page grouped by day in the old
//! zone is never answered again), and
//! the version comes with the session lookup that every request makes. A page read after
//! that lookup is at least as new as the version it is kept under, so a page kept under
//! the version a request sees shows everything that request could see: reading it again
//! would give the same answer. An entry also expires [`MAX_AGE`] after it was kept, and
//! the cache holds at most [`CAPACITY`] pages; when full, moka drops the pages least used.

use std::time::Duration;

use bytes::Bytes;
use moka::sync::Cache;
use uuid::Uuid;

/// How long a page is kept at most, even unchanged: a bound on any change that reached
/// the database without its triggers (a restore, an operator's hand).
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// The most pages kept.
pub const CAPACITY: u64 = 4096;

/// Pages by user and request (its query string), with the version they were read at.
pub struct PageCache {
    pages: Cache<(Uuid, String), Page>,
}

#[derive(Debug, Clone)]
struct Page {
    version: i64,
    body: Bytes,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::with_limits(CAPACITY, MAX_AGE)
    }
}

/// The pages' count only: moka's own `Debug` would print every page.
impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("pages", &self.pages.entry_count())
            .finish()
    }
}

impl PageCache {
    /// A cache of at most `capacity` pages, each kept at most `max_age`.
    fn with_limits(capacity: u64, max_age: Duration) -> Self {
        Self {
            pages: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(max_age)
                .build(),
        }
    }

    /// The page kept for this user and request at this version, if it is fresh.
    pub fn get(&self, user_id: Uuid, request: &str, version: i64) -> Option<Bytes> {
        let page = self.pages.get(&(user_id, request.to_string()))?;
        (page.version == version).then_some(page.body)
    }

    /// Keeps a page read at `version` (after the session lookup that gave it).
    pub fn put(&self, user_id: Uuid, request: &str, version: i64, body: Bytes) {
        self.pages
            .insert((user_id, request.to_string()), Page { version, body });
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
    fn a_full_cache_drops_only_the_least_used_pages() {
        let cache = PageCache::with_limits(4, MAX_AGE);
        let user = Uuid::new_v4();
        for page in ["a", "b", "c", "d"] {
            cache.put(user, page, 1, Bytes::new());
        }
        // a and b are read often; c and d never again.
        for _ in 0..10 {
            assert!(cache.get(user, "a", 1).is_some());
            assert!(cache.get(user, "b", 1).is_some());
        }

        for page in ["e", "f", "g", "h"] {
            cache.put(user, page, 1, Bytes::new());
        }
        cache.pages.run_pending_tasks();

        assert!(cache.pages.entry_count() <= 4, "{:?}", cache);
        assert!(cache.get(user, "a", 1).is_some(), "a was used the most");
        assert!(cache.get(user, "b", 1).is_some(), "b was used the most");
    }

    #[test]
    fn a_page_expires_after_its_max_age_even_unchanged() {
        let cache = PageCache::with_limits(CAPACITY, Duration::from_millis(50));
        let user = Uuid::new_v4();
        cache.put(user, "", 1, Bytes::new());
        assert!(cache.get(user, "", 1).is_some());

        std::thread::sleep(Duration::from_millis(120));

        assert_eq!(cache.get(user, "", 1), None);
    }
}
