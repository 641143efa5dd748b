//! `weft worker`: transcription, embedding and reel render workers without the web server.

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
    #[command(flatten)]
    pub reels: super::reels::ReelArgs,
}

pub async fn run(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<()> {
    let engine = args.transcriber.engine()?;
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let semantic = args.embedding.semantic(db.pool()).await;
    let embedding = args.embedding.embedding_workers > 0 && semantic.embedder().is_ok();
    if engine.is_none() && !embedding && args.reels.reel_workers == 0 {
        db.close().await;
        bail!(
            "nothing to do: a worker needs a transcription engine (WEFT_TRANSCRIBER=whisper \
             with a model in WEFT_WHISPER_MODEL, or openai), the embedding model \
             (scripts/install-deps) or a reel render worker (WEFT_REEL_WORKERS=1)"
        );
    }
    // Held until the worker stops; what a killed earlier run left is removed here.
    let scratch = crate::scratch::Scratch::claim(&config.data_dir.join("tmp"), "worker")
        .context("claiming the scratch folder")?;
    let shutdown = stop_on_signal();
    // Saved reels become journals here as they would in the server: transcribed when
    // transcription is on.
    let ingest = crate::ingest::Ingest {
        pool: db.pool().clone(),
        storage: storage.clone(),
        scratch: scratch.dir().to_path_buf(),
        transcription: (args.transcriber.chosen() != super::transcriber::Transcriber::None)
            .then_some(args.transcriber.job_max_attempts),
    };
    let reels = args.reels.spawn(ingest, shutdown.clone());
    let Some(engine) = engine else {
        tracing::info!(
            embedding,
            reels = reels.is_some(),
            "worker started (transcription is off)"
        );
        if embedding {
            crate::semantic::worker::run(db.pool().clone(), semantic, shutdown).await;
        }
        if let Some(reels) = reels {
            let _ = reels.await;
        }
        db.close().await;
        return Ok(());
    };
    let pipeline = Pipeline {
        pool: db.pool().clone(),
        storage,
        scratch: scratch.dir().to_path_buf(),
        engine,
    };
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
    if let Some(reels) = reels {
        let _ = reels.await;
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
