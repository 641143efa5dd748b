//! Search pages kept in memory, answered again while nothing they show has changed: a page
//! of results asked again (a client that searches as it is typed, twenty people reloading)
//! costs a lookup of the user's timeline version instead of the search.
//!
//! Every change to a user's journals, tags, transcripts or transcription jobs bumps their
//! timeline version in the same transaction (migrations/0007_timeline_versions.sql), and
//! a search reads only those. The version is read in the search's own transaction, before
//! the search: a page read after it is at least as new as the version it is kept under, so
//! a page kept under the version a search sees is what that search would find. Pages also
//! expire after [`MAX_AGE`] (a change that reached the database without its triggers), and
//! at most [`CAPACITY`] are kept, the least used dropped first.
//!
//! The pages are kept per process, not per server context: a page is named by its user's
//! id, which no two databases share, and by that user's version, so two servers of one
//! process cannot answer each other's pages wrongly.

use std::sync::OnceLock;
use std::time::Duration;

use moka::sync::Cache;
use uuid::Uuid;

use super::{SearchPage, SearchRequest};
use crate::db::scoped::UserTx;

/// How long a page is kept at most, even unchanged.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// The most pages kept.
pub const CAPACITY: u64 = 2048;

/// A kept page and the version it was read at.
type Kept = (i64, SearchPage);

fn pages() -> &'static Cache<(Uuid, String), Kept> {
    static PAGES: OnceLock<Cache<(Uuid, String), Kept>> = OnceLock::new();
    PAGES.get_or_init(|| {
        Cache::builder()
            .max_capacity(CAPACITY)
            .time_to_live(MAX_AGE)
            .build()
    })
}

/// What names a request among a user's: every field of it (its `Debug` form, which
/// prints them all) but whether it asked for a fresh page, which it gets kept all the same.
pub fn key(request: &SearchRequest) -> String {
    let request = SearchRequest {
        fresh: false,
        ..request.clone()
    };
    format!("{request:?}")
}

/// The transaction's user's timeline version, as the transaction sees it.
pub async fn version(tx: &mut UserTx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce((SELECT v.version FROM timeline_versions v WHERE v.user_id = $1), 0)",
    )
    .bind(tx.user_id())
    .fetch_one(&mut **tx)
    .await
}

/// The page kept for this user and request at this version.
pub fn get(user_id: Uuid, key: &str, version: i64) -> Option<SearchPage> {
    let (kept_at, page) = pages().get(&(user_id, key.to_string()))?;
    (kept_at == version).then_some(page)
}

/// Keeps a page read at `version`.
pub fn put(user_id: Uuid, key: String, version: i64, page: SearchPage) {
    pages().insert((user_id, key), (version, page));
}
