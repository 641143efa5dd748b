//! `weft worker`: transcription and embedding workers without the web server.

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
    #[command(flatten)]
    pub embedding: super::embed::EmbeddingArgs,
}

pub async fn run(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<()> {
    let engine = args.transcriber.engine()?;
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let semantic = args.embedding.semantic(db.pool()).await;
    let embedding = args.embedding.embedding_workers > 0 && semantic.embedder().is_ok();
    let Some(engine) = engine else {
        if !embedding {
            db.close().await;
            bail!(
                "nothing to do: a worker needs a transcription engine (WEFT_TRANSCRIBER=whisper \
                 with a model in WEFT_WHISPER_MODEL, or openai) or the embedding model \
                 (scripts/install-deps)"
            );
        }
        let shutdown = stop_on_signal();
        tracing::info!("worker started: embedding only (transcription is off)");
        crate::semantic::worker::run(db.pool().clone(), semantic, shutdown).await;
        db.close().await;
        return Ok(());
    };
    // Held until the worker stops; what a killed earlier run left is removed here.
    let scratch = crate::scratch::Scratch::claim(&config.data_dir.join("tmp"), "worker")
        .context("claiming the scratch folder")?;
    let pipeline = Pipeline {
        pool: db.pool().clone(),
        storage,
        scratch: scratch.dir().to_path_buf(),
        engine,
    };
    let shutdown = stop_on_signal();
    tracing::info!(
        engine = pipeline.engine.name(),
        workers = args.transcriber.workers,
        embedding,
        "worker started"
    );
    let embedder = embedding.then(|| {
        tokio::spawn(crate::semantic::worker::run(
            db.pool().clone(),
            semantic,
            shutdown.clone(),
        ))
    });
    worker::run(pipeline, args.transcriber.worker_config(), shutdown).await;
    if let Some(embedder) = embedder {
        let _ = embedder.await;
    }
    db.close().await;
    tracing::info!("worker stopped");
    Ok(())
}

/// A token cancelled by SIGTERM or Ctrl-C.
fn stop_on_signal() -> CancellationToken {
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        crate::server::shutdown_signal().await;
        stop.cancel();
    });
    shutdown
}
