//! `weft embed …`: search by meaning from the operator's side: the settings the server and
//! workers share, embedding the journals that have no passages yet (those made before
//! search by meaning, or while the model was missing) with progress, and the queue's state.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::config::GlobalArgs;
use crate::db::passages as db;
use crate::db::{scoped, users, Database};
use crate::semantic::{self, worker, Semantic, Vectors};

/// The embedding settings of `weft serve` and `weft worker`.
#[derive(Debug, Clone, Args)]
pub struct EmbeddingArgs {
    /// The embedding model's folder (all-MiniLM-L6-v2, fetched by scripts/install-deps)
    /// [default: the tools folder's models/minilm].
    #[arg(long, env = "WEFT_EMBEDDING_MODEL")]
    pub embedding_model: Option<PathBuf>,

    /// Embedding workers in this process: 1 embeds new and changed journals here, 0 leaves
    /// them to another process (`weft worker`). The model is loaded either way, to embed
    /// search queries.
    #[arg(long, env = "WEFT_EMBEDDING_WORKERS", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(0..=1))]
    pub embedding_workers: u8,
}

impl EmbeddingArgs {
    /// The model and the database's vector support; the extension is set up here when the
    /// server has it, and its index is built in the background (minutes on a large
    /// instance, which must not hold up serving).
    pub async fn semantic(&self, pool: &sqlx::PgPool) -> Semantic {
        let vectors = semantic::index::extension(pool).await;
        if matches!(vectors, Vectors::Ready { .. }) {
            let pool = pool.clone();
            tokio::spawn(async move {
                if let Err(error) = semantic::index::build_index(&pool).await {
                    tracing::warn!(%error, "the index of passage vectors could not be made");
                }
            });
        }
        match &vectors {
            Vectors::Ready { version } => tracing::info!(%version, "pgvector ready"),
            Vectors::Missing(reason) => {
                tracing::warn!(%reason, "search by meaning is off: no pgvector")
            }
        }
        Semantic::new(self.embedding_model.as_deref(), vectors)
    }
}

/// The embed subcommands.
#[derive(Debug, Subcommand)]
pub enum EmbedCommand {
    /// Embed every journal that has no passages yet (or, with --again, every journal),
    /// showing progress; returns when the queue is empty.
    Backfill {
        /// Embed every journal again, not only those without passages.
        #[arg(long)]
        again: bool,
        #[command(flatten)]
        embedding: EmbeddingArgs,
    },
    /// How many journals wait to be embedded, and the last failures.
    Status,
}

pub async fn run(global: &GlobalArgs, command: EmbedCommand) -> anyhow::Result<()> {
    let config = global.db_config()?;
    let db = Database::open_migrated(&config).await?;
    let result = match command {
        EmbedCommand::Backfill { again, embedding } => backfill(db.pool(), again, &embedding).await,
        EmbedCommand::Status => status(db.pool()).await,
    };
    db.close().await;
    result
}

async fn backfill(pool: &sqlx::PgPool, again: bool, args: &EmbeddingArgs) -> anyhow::Result<()> {
    let semantic = args.semantic(pool).await;
    if let Err(error) = semantic.embedder() {
        bail!("{error}");
    }
    if let Vectors::Missing(reason) = semantic.vectors() {
        eprintln!("note: {reason}; passages are made anyway, and searched once it is there");
    }
    let mut queued = 0;
    for user in users::list(pool).await.context("listing the accounts")? {
        let mut tx = scoped::begin_for_user(pool, user.id).await?;
        queued += db::queue_missing(&mut tx, again).await?;
        tx.commit().await?;
    }
    let total = db::queue_counts(pool).await?.waiting.max(queued as i64);
    eprintln!("{total} journals to embed");
    let started = Instant::now();
    let (mut journals, mut passages, mut shown) = (0usize, 0usize, Instant::now());
    loop {
        let pass = worker::one_pass(pool, &semantic).await?;
        journals += pass.journals;
        passages += pass.passages;
        let waiting = db::queue_counts(pool).await?.waiting;
        if shown.elapsed() >= Duration::from_secs(2) || waiting == 0 {
            shown = Instant::now();
            let rate = journals as f64 / started.elapsed().as_secs_f64().max(0.001);
            let left = if rate > 0.0 {
                format!(", about {} left", seconds(waiting as f64 / rate))
            } else {
                String::new()
            };
            eprintln!(
                "embedded {journals} journals ({passages} passages), {waiting} waiting, \
                 {rate:.1} journals/s{left}"
            );
        }
        if waiting == 0 {
            break;
        }
        if pass.journals + pass.failed == 0 {
            // What waits is held by another worker or backing off after a failure.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let counts = db::queue_counts(pool).await?;
    println!(
        "done: {journals} journals embedded ({passages} passages) in {}",
        seconds(started.elapsed().as_secs_f64())
    );
    if counts.failed > 0 {
        println!(
            "{} journals failed; `weft embed status` shows why",
            counts.failed
        );
    }
    Ok(())
}

async fn status(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let counts = db::queue_counts(pool).await?;
    println!("waiting: {}", counts.waiting);
    println!("failed:  {}", counts.failed);
    for (journal, user, error) in db::failures(pool, 20).await? {
        println!(
            "  journal {journal} (user {user}): {}",
            error.as_deref().unwrap_or("no error recorded")
        );
    }
    Ok(())
}

fn seconds(value: f64) -> String {
    if value < 90.0 {
        format!("{value:.0} s")
    } else {
        format!("{:.0} min", value / 60.0)
    }
}
