//! `weft export --user NAME DIR|FILE.zip`: a user's whole journal, in a folder or a zip
//! (see `export` for the layout and `docs/export.md`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::runtime::Handle;

use crate::config::GlobalArgs;
use crate::db::{users, Database};
use crate::export::sink::{Folder, Zip};
use crate::export::{Exporter, Step};

/// Options of `weft export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The account (username or email) whose journal is exported.
    #[arg(long)]
    pub user: String,
    /// A new or empty folder, or a file ending in `.zip`.
    pub target: PathBuf,
}

/// Whether `path` names a zip (by its suffix, in any case).
fn is_zip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Runs `weft export`.
pub async fn run(global: &GlobalArgs, args: ExportArgs) -> anyhow::Result<()> {
    if is_zip(&args.target) && args.target.exists() {
        bail!(
            "{} already exists: name a new zip file, or remove it first",
            args.target.display()
        );
    }
    let occupied = |dir: &Path| std::fs::read_dir(dir).map_or(true, |mut e| e.next().is_some());
    if !is_zip(&args.target) && args.target.exists() && occupied(&args.target) {
        bail!(
            "{} is not an empty folder: export into a new or empty folder, or a .zip file",
            args.target.display()
        );
    }
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let exporter = Exporter {
        pool: db.pool().clone(),
        storage,
    };
    let result = export(&exporter, &args).await;
    db.close().await;
    result
}

async fn export(exporter: &Exporter, args: &ExportArgs) -> anyhow::Result<()> {
    let user = users::find_by_login(&exporter.pool, &args.user)
        .await?
        .with_context(|| format!("no account with the username or email {}", args.user))?;
    let plan = exporter.plan(&user).await?;
    // Drawn on stderr when it is a terminal, hidden otherwise (logs, tests).
    let bar = ProgressBar::new(plan.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut on_step = {
        let bar = bar.clone();
        move |step: Step<'_>| {
            bar.set_position(step.number as u64 - 1);
            bar.set_message(step.folder.to_string());
        }
    };
    let (exporter, target, handle) = (exporter.clone(), args.target.clone(), Handle::current());
    let manifest = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        if is_zip(&target) {
            // Written beside the target and renamed when whole: a zip cut short by a failure
            // never stands under the name asked for.
            let partial = target.with_extension("zip.partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let mut zip = Zip::new(std::io::BufWriter::new(file));
            let written = exporter
                .write(&handle, plan, &mut zip, &mut on_step)
                .map_err(anyhow::Error::from)
                .and_then(|manifest| {
                    let file = zip.finish()?.into_inner().map_err(|e| e.into_error())?;
                    file.sync_all()?;
                    Ok(manifest)
                });
            match written {
                Ok(manifest) => {
                    std::fs::rename(&partial, &target)
                        .with_context(|| format!("moving the zip to {}", target.display()))?;
                    Ok(manifest)
                }
                Err(error) => {
                    let _ = std::fs::remove_file(&partial);
                    Err(error)
                }
            }
        } else {
            let mut folder = Folder::create(&target)
                .with_context(|| format!("exporting into {}", target.display()))?;
            match exporter.write(&handle, plan, &mut folder, &mut on_step) {
                Ok(manifest) => Ok(manifest),
                Err(error) => {
                    folder.discard();
                    Err(error.into())
                }
            }
        }
    })
    .await??;
    bar.finish_and_clear();
    let bytes: u64 = manifest
        .entries
        .iter()
        .filter_map(|e| e.recording_bytes)
        .sum();
    println!(
        "exported {} entries of {} ({bytes} bytes of recordings) to {}",
        manifest.entries.len(),
        user.username,
        args.target.display()
    );
    let missing: Vec<&str> = manifest
        .entries
        .iter()
        .filter(|e| e.recording_missing.is_some())
        .map(|e| e.folder.as_str())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "warning: {} entries were exported without their recording, which storage no longer has: {}. \
             Restore them from a backup (weft backup) and export again to have them.",
            missing.len(),
            missing.join(", ")
        );
    }
    Ok(())
}
