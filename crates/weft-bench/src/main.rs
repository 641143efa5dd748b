//! `weft-bench`: makes a dataset of realistic journals and measures search and the
//! timeline on it. `scripts/bench-search` runs the whole benchmark with one command.

mod generate;
mod meaning;
mod measure;
mod rotating;
mod run;
mod words;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Weft's search and timeline benchmark")]
struct Cli {
    /// The embedded instance's data directory (its PostgreSQL cluster is used).
    #[arg(long, env = "WEFT_DATA_DIR")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill an empty instance with N journals of U users.
    Generate {
        #[arg(long, default_value_t = 1_000_000)]
        journals: u64,
        #[arg(long, default_value_t = 1_000)]
        users: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A word list, one word a line (Debian's wamerican).
        #[arg(long, default_value = "/usr/share/dict/words")]
        words: PathBuf,
        /// How many words the vocabulary has.
        #[arg(long, default_value_t = 50_000)]
        vocabulary: usize,
    },
    /// Write the passages (with vectors) of every journal for search by meaning, and build
    /// their index: a few thousand embedded by the model, the rest near copies of those.
    Passages {
        /// The embedding model's folder [default: where scripts/install-deps puts it].
        #[arg(long, env = "WEFT_EMBEDDING_MODEL")]
        model: Option<PathBuf>,
        /// Passages embedded for real.
        #[arg(long, default_value_t = 4_000)]
        pool: usize,
    },
    /// Time searches by meaning (and by both, and by words as the baseline) at a running
    /// `weft serve` on that instance; prints JSON.
    Meaning {
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
    },
    /// Measure a running `weft serve` on that instance; prints JSON.
    Run {
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// Timed runs per search query.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Seconds per wrk run.
        #[arg(long, default_value_t = 10)]
        wrk_seconds: u32,
        /// Only the search latencies (no baseline, completeness, wrk or plans): for a
        /// quick comparison of two builds on the same data.
        #[arg(long)]
        search_only: bool,
        /// Only the load of all users at once: wrk rotating over every user's session on
        /// the timeline, journals by id, the tag filter and search (issue 23).
        #[arg(long)]
        users_rotating: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cluster = weft::db::embedded::Cluster::start(&cli.data_dir).with_context(|| {
        format!(
            "starting the embedded PostgreSQL in {}",
            cli.data_dir.display()
        )
    })?;
    let superuser = cluster.layout().superuser_url();
    let result = match cli.command {
        Command::Generate {
            journals,
            users,
            seed,
            words,
            vocabulary,
        } => {
            let dictionary = std::fs::read_to_string(&words).with_context(|| {
                format!("reading {} (apt-get install wamerican)", words.display())
            })?;
            let vocabulary = words::Vocabulary::load(&dictionary, vocabulary, seed);
            let plan = generate::Plan {
                journals,
                users,
                seed,
            };
            generate::generate(&superuser, &plan, &vocabulary).await
        }
        Command::Passages { model, pool } => match model.or_else(weft::semantic::default_model_dir)
        {
            Some(model) => meaning::generate(&superuser, &model, pool).await,
            None => Err(anyhow::anyhow!(
                "no embedding model: run scripts/install-deps or pass --model"
            )),
        },
        Command::Meaning { server } => {
            let figures = meaning::run(&server, &superuser).await?;
            println!("{}", serde_json::to_string_pretty(&figures)?);
            Ok(())
        }
        Command::Run {
            server,
            runs,
            wrk_seconds,
            search_only,
            users_rotating,
        } => {
            let target = measure::Target {
                server,
                superuser,
                runs,
                wrk_seconds,
                search_only,
                users_rotating,
            };
            let figures = run::run(&target).await?;
            println!("{}", serde_json::to_string_pretty(&figures)?);
            Ok(())
        }
    };
    cluster.release()?;
    result
}
