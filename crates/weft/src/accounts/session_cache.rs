//! Sessions and timeline versions kept in memory, so that a request needs no round trip to
//! the database to know who is asking and whether a kept timeline page is still right.
//!
//! Every change that ends what is kept here is announced by PostgreSQL on the channel
//! `weft_changed` when its transaction commits (migrations/0019_fewer_round_trips.sql): a
//! session deleted (sign-out, revocation, an expired one swept, its user deleted), a user's
//! row changed, a timeline version grown. Each server listens ([`listen`]) and drops what
//! the notice names, so a sign-out on one server takes effect on the others as soon as
//! they hear of it (milliseconds on one network).
//!
//! Nothing is kept or answered while the server is not listening: until the first `LISTEN`
//! succeeds, and from a lost connection until the next one succeeds (notices sent in
//! between are lost, so everything is dropped again then). A request that changes
//! something (any method but GET, HEAD and OPTIONS) drops its user's entries when it ends
//! ([`SessionCache::forget_after`]), so the same client's next request never waits for
//! the notice of its own change. Entries also expire after [`MAX_AGE`] (a change that
//! reached the database without its triggers, an operator's hand) and at their session's
//! expiry.
//!
//! A lookup that read the database while a notice arrived might have read what the notice
//! ends; it is not kept ([`Generation`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use moka::sync::Cache;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::sessions::Authenticated;

/// The channel of the notices.
pub const CHANNEL: &str = "weft_changed";
/// How long an entry is kept at most, even with no notice.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// The most sessions kept (and as many timeline versions).
pub const CAPACITY: u64 = 20_000;

/// Where the cache stood when a lookup began: what the lookup reads may be kept only if
/// nothing was dropped since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// Sessions by token hash, and timeline versions by user.
pub struct SessionCache {
    sessions: Cache<Vec<u8>, Authenticated>,
    versions: Cache<Uuid, i64>,
    /// Whether notices are being heard.
    listening: AtomicBool,
    /// Grows with every drop (a notice, a change made here, listening begun or lost).
    generation: AtomicU64,
}

impl Default for SessionCache {
    fn default() -> Self {
        Self {
            sessions: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(MAX_AGE)
                .support_invalidation_closures()
                .build(),
            versions: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(MAX_AGE)
                .build(),
            listening: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }
}

/// The counts only: moka's own `Debug` would print every session.
impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("sessions", &self.sessions.entry_count())
            .field("versions", &self.versions.entry_count())
            .field("listening", &self.listening.load(Ordering::SeqCst))
            .finish()
    }
}

impl SessionCache {
    /// Where the cache stands now: take it before reading what will be kept.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// The live session with this token hash, if it is kept.
    pub fn session(&self, token_hash: &[u8]) -> Option<Authenticated> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        let found = self.sessions.get(token_hash)?;
        (found.expires_at > Utc::now()).then_some(found)
    }

    /// The user's timeline version, if it is kept.
    pub fn version(&self, user_id: Uuid) -> Option<i64> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        self.versions.get(&user_id)
    }

    /// Keeps a session and its user's timeline version, read after `since` was taken,
    /// unless something was dropped in between.
    pub fn keep(&self, since: Generation, token_hash: &[u8], found: &Authenticated) {
        self.keep_if_unchanged(since, || {
            self.sessions.insert(token_hash.to_vec(), found.clone());
            self.versions.insert(found.user.id, found.timeline_version);
        });
        // Dropped right after it was kept: a drop that came in between might have missed it.
        if self.generation() != since {
            self.sessions.invalidate(token_hash);
            self.versions.invalidate(&found.user.id);
        }
    }

    /// Keeps a user's timeline version read after `since` was taken, unless something was
    /// dropped in between.
    pub fn keep_version(&self, since: Generation, user_id: Uuid, version: i64) {
        self.keep_if_unchanged(since, || self.versions.insert(user_id, version));
        if self.generation() != since {
            self.versions.invalidate(&user_id);
        }
    }

    fn keep_if_unchanged(&self, since: Generation, keep: impl FnOnce()) {
        if self.listening.load(Ordering::SeqCst) && self.generation() == since {
            keep();
        }
    }

    /// Drops one session (its token hash).
    pub fn forget_session(&self, token_hash: &[u8]) {
        self.bump();
        self.sessions.invalidate(token_hash);
    }

    /// Drops a user's timeline version.
    pub fn forget_version(&self, user_id: Uuid) {
        self.bump();
        self.versions.invalidate(&user_id);
    }

    /// Drops a user's sessions and timeline version.
    pub fn forget_user(&self, user_id: Uuid) {
        self.bump();
        self.versions.invalidate(&user_id);
        // Only fails when closures are not supported, which the builder turned on.
        let _ = self
            .sessions
            .invalidate_entries_if(move |_, found| found.user.id == user_id);
    }

    /// Drops everything.
    fn forget_all(&self) {
        self.bump();
        self.sessions.invalidate_all();
        self.versions.invalidate_all();
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Starts or stops answering; everything kept is dropped either way (notices may have
    /// been missed). [`listen`] calls it; a test may, to keep entries with no notices at all.
    pub fn set_listening(&self, listening: bool) {
        self.listening.store(false, Ordering::SeqCst);
        self.forget_all();
        self.listening.store(listening, Ordering::SeqCst);
    }

    /// Whether notices are being heard (and the cache answers).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Acts on one notice's payload; an unknown one drops everything.
    fn heard(&self, payload: &str) {
        let known = match payload.split_once(' ') {
            Some(("session", hex)) => decode_hex(hex).map(|hash| self.forget_session(&hash)),
            Some(("user", id)) => id.parse().ok().map(|id| self.forget_user(id)),
            Some(("timeline", id)) => id.parse().ok().map(|id| self.forget_version(id)),
            _ => None,
        };
        if known.is_none() {
            tracing::warn!(
                payload,
                "unknown change notice; dropping every kept session"
            );
            self.forget_all();
        }
    }

    /// A slot for the user of a request that changes something: when the slot is dropped
    /// (the request answered, failed or cancelled), that user's entries are dropped, after
    /// its transaction committed.
    pub fn forget_after(self: &Arc<Self>) -> ForgetAfter {
        ForgetAfter {
            cache: Arc::clone(self),
            user: Arc::new(OnceLock::new()),
        }
    }
}

/// Drops its user's kept entries when dropped. The request's extensions carry a clone of
/// [`ForgetAfter::user`], which the sign-in lookup fills.
pub struct ForgetAfter {
    cache: Arc<SessionCache>,
    user: Arc<OnceLock<Uuid>>,
}

/// The user of a request that changes something, once known.
#[derive(Clone, Debug, Default)]
pub struct ChangingUser(pub Arc<OnceLock<Uuid>>);

impl ForgetAfter {
    /// What the request's extensions carry.
    pub fn slot(&self) -> ChangingUser {
        ChangingUser(Arc::clone(&self.user))
    }
}

impl Drop for ForgetAfter {
    fn drop(&mut self) {
        if let Some(user) = self.user.get() {
            self.cache.forget_user(*user);
        }
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Hears the change notices of `pool`'s database for `cache` until the task is dropped;
/// after a failure it says so, answers nothing from the cache, and listens again 1 s later.
/// The listening connection is its own, outside `pool`, whose connections stay for requests.
pub async fn listen(pool: PgPool, cache: Arc<SessionCache>) {
    let own = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy_with(pool.connect_options().as_ref().clone());
    loop {
        match PgListener::connect_with(&own).await {
            Ok(mut listener) => {
                // Told of a lost connection at once: by itself sqlx's listener would first
                // try to connect again, inside the wait, while the cache went on answering.
                listener.eager_reconnect(false);
                match listener.listen(CHANNEL).await {
                    Ok(()) => {
                        cache.set_listening(true);
                        hear(&mut listener, &cache).await;
                        cache.set_listening(false);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for change notices; sessions are read from the database")
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for change notices; sessions are read from the database")
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Acts on notices until the connection is lost.
async fn hear(listener: &mut PgListener, cache: &SessionCache) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notice)) => cache.heard(notice.payload()),
            Ok(None) => {
                tracing::warn!(
                    "change notices interrupted; sessions are read from the database until they resume"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "change notices interrupted; sessions are read from the database until they resume");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::users::User;

    fn session(user_id: Uuid) -> Authenticated {
        Authenticated {
            session_id: Uuid::new_v4(),
            last_seen_at: Utc::now(),
            expires_at: Utc::now() + chrono::Duration::hours(1),
            user: User {
                id: user_id,
                username: "ada".into(),
                email: "ada@example.com".into(),
                password_hash: String::new(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            timeline_version: 7,
        }
    }

    fn listening() -> SessionCache {
        let cache = SessionCache::default();
        cache.set_listening(true);
        cache
    }

    #[test]
    fn nothing_is_kept_or_answered_while_not_listening() {
        let cache = SessionCache::default();
        let user = Uuid::new_v4();
        cache.keep(cache.generation(), b"hash", &session(user));
        assert!(cache.session(b"hash").is_none());

        cache.set_listening(true);
        cache.keep(cache.generation(), b"hash", &session(user));
        assert!(cache.session(b"hash").is_some());
        assert_eq!(cache.version(user), Some(7));

        cache.set_listening(false);
        assert!(cache.session(b"hash").is_none());
        cache.set_listening(true);
        assert!(
            cache.session(b"hash").is_none(),
            "dropped when listening was lost"
        );
    }

    #[test]
    fn notices_drop_what_they_name() {
        let cache = listening();
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        cache.keep(cache.generation(), &[0xab, 0x01], &session(ada));
        cache.keep(cache.generation(), &[0xcd], &session(bob));

        cache.heard(&format!("timeline {bob}"));
        assert_eq!(cache.version(bob), None);
        assert!(
            cache.session(&[0xcd]).is_some(),
            "a new version ends no session"
        );

        cache.heard("session ab01");
        assert!(cache.session(&[0xab, 0x01]).is_none());
        assert_eq!(cache.version(ada), Some(7));

        cache.keep(cache.generation(), &[0xab, 0x01], &session(ada));
        cache.heard(&format!("user {ada}"));
        cache.sessions.run_pending_tasks();
        assert!(cache.session(&[0xab, 0x01]).is_none());
        assert_eq!(cache.version(ada), None);
        assert!(cache.session(&[0xcd]).is_some());

        cache.heard("something else");
        assert!(
            cache.session(&[0xcd]).is_none(),
            "an unknown notice drops all"
        );
    }

    #[test]
    fn a_lookup_that_overlapped_a_drop_is_not_kept() {
        let cache = listening();
        let user = Uuid::new_v4();
        let since = cache.generation();
        cache.heard(&format!("timeline {}", Uuid::new_v4()));
        cache.keep(since, b"hash", &session(user));
        assert!(cache.session(b"hash").is_none());
        cache.keep_version(since, user, 9);
        assert_eq!(cache.version(user), None);
    }

    #[test]
    fn an_expired_session_is_not_answered() {
        let cache = listening();
        let mut found = session(Uuid::new_v4());
        found.expires_at = Utc::now() - chrono::Duration::seconds(1);
        cache.keep(cache.generation(), b"hash", &found);
        assert!(cache.session(b"hash").is_none());
    }

    #[test]
    fn a_changing_request_drops_its_users_entries_when_it_ends() {
        let cache = Arc::new(listening());
        let user = Uuid::new_v4();
        cache.keep(cache.generation(), b"hash", &session(user));
        let after = cache.forget_after();
        let _ = after.slot().0.set(user);
        assert_eq!(cache.version(user), Some(7));
        drop(after);
        cache.sessions.run_pending_tasks();
        assert_eq!(cache.version(user), None);
        assert!(cache.session(b"hash").is_none());
    }

    #[test]
    fn hex_payloads_decode() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
