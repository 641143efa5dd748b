//! `weft import dayone --user NAME EXPORT.zip`: a Day One export's entries become journals,
//! with a progress bar and a summary: imported, already there, skipped with reasons.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::GlobalArgs;
use crate::db::{users, Database};
use crate::imports::dayone::Export;
use crate::imports::importer::{self, Report, Step};
use crate::ingest::Ingest;

/// Options of `weft import dayone`.
#[derive(Debug, Args)]
pub struct DayOneArgs {
    /// The account (username or email) the journals go to.
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub transcriber: crate::cli::transcriber::TranscriberArgs,
    /// The zip made by Day One's export (JSON).
    pub export: PathBuf,
}

/// Runs the import; fails only when nothing of the export could be read.
pub async fn run(global: &GlobalArgs, args: DayOneArgs) -> anyhow::Result<()> {
    // Refused before the database is opened: a damaged zip says so at once.
    let export = Export::open(&args.export)
        .with_context(|| format!("{} cannot be imported", args.export.display()))?;
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let result = import(&db, storage, &config.data_dir, &args, export).await;
    db.close().await;
    let report = result?;
    println!(
        "{} imported, {} already imported, {} skipped, for {}",
        report.imported,
        report.already,
        report.skipped.len(),
        args.user
    );
    for problem in &report.skipped {
        println!("skipped {}: {}", problem.what, problem.reason);
    }
    if report.total > 0 && report.skipped.len() == report.total {
        bail!("no entry of the export could be read");
    }
    Ok(())
}

async fn import(
    db: &Database,
    storage: crate::storage::Storage,
    data_dir: &std::path::Path,
    args: &DayOneArgs,
    export: Export,
) -> anyhow::Result<Report> {
    let user = users::find_by_login(db.pool(), &args.user)
        .await?
        .with_context(|| format!("no account with the username or email {}", args.user))?;
    let scratch = crate::scratch::Scratch::claim(&data_dir.join("tmp"), "import")
        .context("claiming the scratch folder")?;
    let ingest = Ingest {
        pool: db.pool().clone(),
        storage,
        scratch: scratch.dir().to_path_buf(),
        transcription: (args.transcriber.chosen() != crate::cli::transcriber::Transcriber::None)
            .then_some(args.transcriber.job_max_attempts),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} entries {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = importer::import_dayone(&ingest, user.id, export, |report, step| {
        bar.set_length(report.total as u64);
        bar.set_position(report.done as u64);
        match step {
            Step::Imported(entry, _) => bar.set_message(entry.title.clone()),
            Step::Already(entry) => bar.set_message(format!("{} (already imported)", entry.title)),
            Step::Skipped(problem) => bar.set_message(format!("skipped {}", problem.what)),
        }
    })
    .await
    .context("importing the entries")?;
    bar.finish_and_clear();
    Ok(report)
}
