//! Waking a queue's workers when PostgreSQL NOTIFYs its channel. Shared by the transcription,
//! embedding and reel workers; each still polls, so a lost connection only slows them.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Wakes `wake`'s waiters on each notification of `channel` until `shutdown`; after a
/// failure it says so (naming `what`) and listens again 5 s later.
pub async fn listen(
    pool: PgPool,
    channel: &'static str,
    what: &'static str,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if listener.listen(channel).await.is_ok() {
                    loop {
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            received = listener.recv() => match received {
                                Ok(_) => wake.notify_waiters(),
                                Err(error) => {
                                    tracing::warn!(%error, "{what} notifications interrupted; polling meanwhile");
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for {what} notifications; polling meanwhile")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
