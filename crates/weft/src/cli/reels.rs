//! The reel render worker's setting, shared by `weft serve` and `weft worker`.

use clap::Args;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::ingest::Ingest;
use crate::media::reel::Frame;
use crate::reels::render::Renderer;
use crate::reels::worker::{self, RenderWorker};

/// Options of the reel render worker.
#[derive(Debug, Args)]
pub struct ReelArgs {
    /// Reel render workers in this process ("Save as video"): 1 cuts saved reels here, 0
    /// leaves them to another process (`weft worker`). Encoding takes every core it gets.
    #[arg(long, env = "WEFT_REEL_WORKERS", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(0..=1))]
    pub reel_workers: u8,
}

impl ReelArgs {
    /// Starts the worker, when this process has one, over `ingest`'s database, storage and
    /// scratch space.
    pub fn spawn(&self, ingest: Ingest, shutdown: CancellationToken) -> Option<JoinHandle<()>> {
        (self.reel_workers > 0).then(|| {
            let worker = RenderWorker {
                pool: ingest.pool.clone(),
                renderer: Renderer {
                    storage: ingest.storage.clone(),
                    scratch: ingest.scratch.clone(),
                    frame: Frame::default(),
                },
                ingest,
            };
            tokio::spawn(worker::run(worker, shutdown))
        })
    }
}
