//! `weft import`: bring entries in from elsewhere. `weft import --user NAME FILE…` takes
//! video files; `weft import dayone --user NAME EXPORT.zip` takes a Day One export;
//! `weft import weft-export --user NAME DIR|FILE.zip` brings back what `weft export` wrote.

mod dayone;
mod files;
mod weft_export;

use clap::{Args, Subcommand};

use crate::config::GlobalArgs;

/// Options of `weft import`: video files, or a source named by a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: Option<Source>,
    #[command(flatten)]
    pub files: files::FilesArgs,
}

/// Where entries come from, besides plain video files.
#[derive(Debug, Subcommand)]
pub enum Source {
    /// Import a Day One export (the .zip of Day One's JSON export): entries with a video or
    /// audio recording become journals, entries of text become journals of notes.
    Dayone(dayone::DayOneArgs),
    /// Import a journal exported by `weft export` or "Download my journal" (its folder or
    /// zip): the same entries, tags, transcripts and recordings. Importing it again adds
    /// nothing.
    WeftExport(weft_export::Args),
}

/// Runs `weft import`.
pub async fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<()> {
    match args.source {
        None => files::run(global, args.files).await,
        Some(Source::Dayone(args)) => dayone::run(global, args).await,
        Some(Source::WeftExport(args)) => weft_export::run(global, args).await,
    }
}
