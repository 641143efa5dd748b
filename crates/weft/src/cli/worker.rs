//! `weft worker`: transcription workers without the web server.

use anyhow::{bail, Context};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::transcriber::TranscriberArgs;
use crate::config::GlobalArgs;
use crate::db::Database;
use crate::jobs::transcribe::Pipeline;
use crate::jobs::worker;

/// Options of `weft worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub transcriber: TranscriberArgs,
}

pub async fn run(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<()> {
    let Some(engine) = args.transcriber.engine()? else {
        bail!(
            "transcription is off: a worker needs an engine (WEFT_TRANSCRIBER=whisper with a \
             model in WEFT_WHISPER_MODEL, or openai)"
        );
    };
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    // Held until the worker stops; what a killed earlier run left is removed here.
    let scratch = crate::scratch::Scratch::claim(&config.data_dir.join("tmp"), "worker")
        .context("claiming the scratch folder")?;
    let pipeline = Pipeline {
        pool: db.pool().clone(),
        storage,
        scratch: scratch.dir().to_path_buf(),
        engine,
    };
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        crate::server::shutdown_signal().await;
        stop.cancel();
    });
    tracing::info!(
        engine = pipeline.engine.name(),
        workers = args.transcriber.workers,
        "worker started"
    );
    worker::run(pipeline, args.transcriber.worker_config(), shutdown).await;
    db.close().await;
    tracing::info!("worker stopped");
    Ok(())
}
