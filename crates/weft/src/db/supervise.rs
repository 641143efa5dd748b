//! Keeping the embedded PostgreSQL running. The cluster is Weft's own: when its server dies
//! (killed, out of memory, crashed), the supervisor of each `weft serve` using it notices
//! within a second, marks the database down (requests get 503 at once instead of waiting for
//! a connection), and starts the server again, retrying with backoff, with a log line for each
//! step. Where Weft is PID 1 (a container), it also reaps the PostgreSQL processes that end
//! up its children, so that their zombies cannot hold the cluster's locks.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether the database is known to be down (set by the supervisor).
#[derive(Debug, Clone, Default)]
pub struct DatabaseHealth {
    down: Arc<AtomicBool>,
    went_down: Arc<tokio::sync::Notify>,
}

impl DatabaseHealth {
    /// True while the supervisor knows the database is down.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Completes when the database is known to be down (at once if it is).
    pub async fn down(&self) {
        let notified = self.went_down.notified();
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();
        if self.is_down() {
            return;
        }
        notified.await;
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Relaxed);
        if down {
            self.went_down.notify_waiters();
        }
    }
}

/// How often the server's PID is looked at.
const CHECK_EVERY: Duration = Duration::from_millis(500);
/// The first wait before another try after a failed start, doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Watches the embedded cluster of `data_dir` until the task is aborted, starting its
/// server again whenever it is gone; then drops the connections of `pool` that died with it.
pub async fn embedded(data_dir: PathBuf, pool: sqlx::PgPool, health: DatabaseHealth) {
    let mut known_pid = super::embedded::postmaster_pid(&data_dir);
    let mut every = tokio::time::interval(CHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Some(pid) = super::embedded::postmaster_pid(&data_dir) {
            known_pid = Some(pid);
            continue;
        }
        health.set_down(true);
        let down_since = Instant::now();
        tracing::error!(
            pid = known_pid,
            "the embedded PostgreSQL is not running (it was killed or crashed); starting it again"
        );
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1u32;
        loop {
            let dir = data_dir.clone();
            let started = tokio::task::spawn_blocking(move || super::embedded::restart(&dir)).await;
            match started {
                Ok(Ok(_)) => break,
                Ok(Err(error)) => tracing::warn!(
                    attempt,
                    retry_in_ms = backoff.as_millis() as u64,
                    %error,
                    "the embedded PostgreSQL did not start; trying again"
                ),
                Err(error) => tracing::warn!(%error, "starting the embedded PostgreSQL panicked"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
        known_pid = super::embedded::postmaster_pid(&data_dir);
        let dropped = drop_dead_connections(&pool).await;
        health.set_down(false);
        tracing::warn!(
            pid = known_pid,
            down_ms = down_since.elapsed().as_millis() as u64,
            dropped_connections = dropped,
            "the embedded PostgreSQL is running again"
        );
    }
}

/// Takes every idle connection of `pool` once and closes those that no longer answer
/// (their server was killed), so that requests after a restart do not meet them. Returns
/// how many were closed.
async fn drop_dead_connections(pool: &sqlx::PgPool) -> usize {
    use sqlx::Connection;
    let mut alive = Vec::new();
    let mut dropped = 0;
    while let Some(mut connection) = pool.try_acquire() {
        if connection.ping().await.is_ok() {
            alive.push(connection);
        } else {
            connection.close_on_drop();
            dropped += 1;
        }
    }
    drop(alive);
    dropped
}

/// Where Weft is PID 1, reaps the zombies among its children that it does not wait for
/// itself: PostgreSQL processes (a server it started, orphaned backends). Children Weft waits
/// for (ffmpeg, ffprobe, psql, pg_dump) are left to their waiters. Does nothing elsewhere.
pub async fn reap_orphans_as_init() {
    if std::process::id() != 1 {
        return;
    }
    tracing::info!("running as PID 1: orphaned PostgreSQL processes are reaped");
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        for pid in zombie_postgres_children() {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG);
            }
        }
    }
}

/// Zombie children of this process whose command is `postgres`, from /proc.
fn zombie_postgres_children() -> Vec<i32> {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "PID (comm) STATE PPID ..."
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            let mut fields = rest.split(' ');
            comm.ends_with("(postgres")
                && fields.next() == Some("Z")
                && fields.next() == Some(me.as_str())
        })
        .collect()
}
