//! `weft import weft-export --user NAME DIR|FILE.zip`: a journal exported by `weft export`
//! (or downloaded from the account page) brought back into an account.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::runtime::Handle;

use crate::config::GlobalArgs;
use crate::db::{users, Database};
use crate::ingest::Ingest;

/// Options of `weft import weft-export`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The account (username or email) the entries go to.
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub transcriber: super::super::transcriber::TranscriberArgs,
    /// The export: its folder, or the zip.
    pub export: PathBuf,
}

/// Runs `weft import weft-export`.
pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<()> {
    if !args.export.exists() {
        bail!("{} does not exist", args.export.display());
    }
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let result = import(&db, storage, &config.data_dir, &args).await;
    db.close().await;
    result
}

async fn import(
    db: &Database,
    storage: crate::storage::Storage,
    data_dir: &std::path::Path,
    args: &Args,
) -> anyhow::Result<()> {
    let user = users::find_by_login(db.pool(), &args.user)
        .await?
        .with_context(|| format!("no account with the username or email {}", args.user))?;
    let scratch = crate::scratch::Scratch::claim(&data_dir.join("tmp"), "import")
        .context("claiming the scratch folder")?;
    let ingest = Ingest {
        pool: db.pool().clone(),
        storage,
        scratch: scratch.dir().to_path_buf(),
        transcription: (args.transcriber.chosen() != super::super::transcriber::Transcriber::None)
            .then_some(args.transcriber.job_max_attempts),
    };
    // Drawn on stderr when it is a terminal, hidden otherwise (logs, tests).
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (path, handle, user_id) = (args.export.clone(), Handle::current(), user.id);
    let report = tokio::task::spawn_blocking({
        let bar = bar.clone();
        move || {
            let mut progress = |number: usize, total: usize, folder: &str| {
                bar.set_length(total as u64);
                bar.set_position(number as u64 - 1);
                bar.set_message(folder.to_string());
            };
            crate::export::import::import(&handle, &ingest, user_id, &path, &mut progress)
        }
    })
    .await??;
    bar.finish_and_clear();
    for (folder, reason) in &report.skipped {
        println!("skipped {folder}: {reason}");
    }
    println!(
        "{} imported, {} already there, {} skipped, for {}",
        report.imported,
        report.already,
        report.skipped.len(),
        user.username
    );
    drop(scratch);
    if report.imported == 0 && report.already == 0 && !report.skipped.is_empty() {
        bail!("nothing was imported");
    }
    Ok(())
}
