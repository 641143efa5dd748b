//! `weft import --user NAME FILE…`: bring existing video files in as journals.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::GlobalArgs;
use crate::db::{users, Database};
use crate::ingest::{Details, Ingest};
use crate::scratch::TempFile;

/// Options of `weft import FILE…`.
#[derive(Debug, Args)]
pub struct FilesArgs {
    /// The account (username or email) the journals go to.
    #[arg(long, required = true)]
    pub user: Option<String>,
    /// Comma-separated tags for every imported journal.
    #[arg(long, default_value = "")]
    pub tags: String,
    #[command(flatten)]
    pub transcriber: crate::cli::transcriber::TranscriberArgs,
    /// Video files (mp4, mov, webm, mkv).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// A title from a file name: `2024-07-04_beach-day.mp4` → `2024-07-04 beach day`.
pub fn title_from(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Imported video");
    let title: String = stem
        .chars()
        .map(|c| {
            if c == '_' || c == '-' && !stem.starts_with(char::is_numeric) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let title: String = title.chars().take(200).collect();
    if title.is_empty() {
        "Imported video".into()
    } else {
        title
    }
}

pub async fn run(global: &GlobalArgs, args: FilesArgs) -> anyhow::Result<()> {
    let tags = crate::domain::parse_tag_list(&args.tags)?;
    for file in &args.files {
        if !file.is_file() {
            bail!("{} is not a readable file", file.display());
        }
    }
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let result = import(&db, storage, &config.data_dir, &args, &tags).await;
    db.close().await;
    result
}

async fn import(
    db: &Database,
    storage: crate::storage::Storage,
    data_dir: &Path,
    args: &FilesArgs,
    tags: &[String],
) -> anyhow::Result<()> {
    let login = args.user.as_deref().unwrap_or_default();
    let user = users::find_by_login(db.pool(), login)
        .await?
        .with_context(|| format!("no account with the username or email {login}"))?;
    let scratch = crate::scratch::Scratch::claim(&data_dir.join("tmp"), "import")
        .context("claiming the scratch folder")?;
    let ingest = Ingest {
        pool: db.pool().clone(),
        storage,
        scratch: scratch.dir().to_path_buf(),
        transcription: (args.transcriber.chosen() != crate::cli::transcriber::Transcriber::None)
            .then_some(args.transcriber.job_max_attempts),
    };
    let bar = ProgressBar::new(args.files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut imported, mut refused) = (0, 0);
    for file in &args.files {
        bar.set_message(file.display().to_string());
        // The pipeline consumes its file; work on a link (or copy) so the original stays.
        let temp = TempFile::new_in(&ingest.scratch, "import")?;
        if std::fs::hard_link(file, temp.path()).is_err() {
            tokio::fs::copy(file, temp.path())
                .await
                .with_context(|| format!("copying {}", file.display()))?;
        }
        let modified = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from);
        let details = Details {
            title: title_from(file),
            tags: tags.to_vec(),
            created_at: modified,
            prefer_recorded_at: true,
            ..Details::default()
        };
        match ingest.journal(user.id, temp, details).await {
            Ok(view) => {
                imported += 1;
                bar.println(format!(
                    "imported {} ({} s) as {}",
                    file.display(),
                    view.journal.duration,
                    view.journal.id
                ));
            }
            Err(error) => {
                refused += 1;
                bar.println(format!("skipped {}: {error}", file.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "{imported} imported, {refused} skipped, for {}",
        user.username
    );
    if imported == 0 {
        bail!("nothing was imported");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::title_from;
    use std::path::Path;

    #[test]
    fn titles_come_from_file_names() {
        assert_eq!(
            title_from(Path::new("/v/beach_day-with-kids.mp4")),
            "beach day with kids"
        );
        assert_eq!(
            title_from(Path::new("2024-07-04_fireworks.mov")),
            "2024-07-04 fireworks"
        );
        assert_eq!(title_from(Path::new("___.mp4")), "Imported video");
    }
}
