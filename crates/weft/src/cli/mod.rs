//! The `weft` command line: one binary with subcommands.

mod backup;
mod db;
mod embed;
mod export;
mod import;
mod jobs;
mod reels;
mod serve;
mod studio;
mod transcribe;
pub mod transcriber;
mod user;
mod worker;

use clap::{Parser, Subcommand};

use crate::config::{GlobalArgs, LogFormat};

/// Weft: a self-hosted video journal. Keep short videos, transcribe them, and find any
/// moment by the words spoken.
#[derive(Debug, Parser)]
#[command(name = "weft", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (and the embedded database when DATABASE_URL is unset).
    Serve(serve::ServeArgs),
    /// Manage the database: migrations, seed data, backups.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Manage accounts: create, list, delete, set a password.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Run transcription workers only (on this or another machine).
    Worker(worker::WorkerArgs),
    /// Transcribe a local video or audio file and print the transcript.
    Transcribe(transcribe::TranscribeArgs),
    /// Import entries into an account: video files, a Day One export, or a Weft export.
    Import(import::ImportArgs),
    /// Export one account's whole journal to a folder or a .zip: recordings, transcripts,
    /// notes and a page that plays it all offline.
    Export(export::ExportArgs),
    /// Write the whole instance (database and every media object) into one archive.
    Backup(backup::BackupArgs),
    /// Bring an empty instance (new database, empty storage) to the state of a backup.
    Restore(backup::RestoreArgs),
    /// The transcription queue: list jobs with their errors, retry failed ones.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Search by meaning: embed the journals that have no passages yet, and the queue.
    #[command(subcommand)]
    Embed(embed::EmbedCommand),
    /// Print the HTTP API's OpenAPI 3.1 document (as served at /api/v1/openapi.json).
    Openapi,
}

/// Parses the command line (after reading `.env`), runs the command, and returns the exit
/// code.
pub fn main() -> std::process::ExitCode {
    // Variables already in the environment win over `.env`; flags win over both.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    init_logging(&cli.global);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(&cli.global, args).await,
            Command::Db(command) => db::run(&cli.global, command).await,
            Command::User(command) => user::run(&cli.global, command).await,
            Command::Transcribe(args) => transcribe::run(args).await,
            Command::Worker(args) => worker::run(&cli.global, args).await,
            Command::Import(args) => import::run(&cli.global, args).await,
            Command::Jobs(command) => jobs::run(&cli.global, command).await,
            Command::Embed(command) => embed::run(&cli.global, command).await,
            Command::Export(args) => export::run(&cli.global, args).await,
            Command::Backup(args) => backup::backup(&cli.global, args).await,
            Command::Restore(args) => backup::restore(&cli.global, args).await,
            Command::Openapi => {
                println!("{}", crate::routes::openapi().to_pretty_json()?);
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(global: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&global.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match global.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
