//! `weft transcribe FILE`: transcribe a local video or audio file and print the result.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::transcriber::TranscriberArgs;
use crate::ingest::TempFile;
use crate::media::probe;
use crate::transcribe::{audio, captions, join_segments};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Vtt,
    Srt,
    Text,
}

/// Options of `weft transcribe`.
#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// A video or audio file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub transcriber: TranscriberArgs,
}

pub async fn run(args: TranscribeArgs) -> anyhow::Result<()> {
    if !args.file.is_file() {
        bail!("{} is not a readable file", args.file.display());
    }
    let Some(engine) = args.transcriber.engine()? else {
        bail!("choose an engine with --transcriber (or WEFT_TRANSCRIBER)");
    };
    let limit = Duration::from_secs(30 * 60);
    let scratch = std::env::temp_dir();
    let wav = TempFile::new_in(&scratch, "wav")?;
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner.set_message("extracting audio");
    audio::extract(&args.file, wav.path(), limit)
        .await
        .with_context(|| format!("reading the audio of {}", args.file.display()))?;
    let duration = match probe::probe(wav.path(), limit).await {
        Ok(info) => info.duration,
        Err(_) => std::fs::metadata(wav.path())
            .map(|m| m.len() as f64 / 32000.0)
            .unwrap_or(0.0),
    };
    spinner.set_message(format!(
        "transcribing {duration:.0} s with {}",
        engine.name()
    ));
    let started = std::time::Instant::now();
    let output = engine.transcribe(wav.path(), duration).await?;
    spinner.finish_and_clear();
    eprintln!(
        "{} segments, {:.1} s of audio in {:.1} s ({:.1}x real time)",
        output.segments.len(),
        duration,
        started.elapsed().as_secs_f64(),
        duration / started.elapsed().as_secs_f64().max(1e-9)
    );
    match args.format {
        Format::Text => println!("{}", join_segments(&output.segments)),
        Format::Vtt => print!("{}", captions::webvtt(&output.segments)),
        Format::Srt => print!("{}", captions::srt(&output.segments)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "language": output.language,
                "duration": duration,
                "text": output.text(),
                "segments": output.segments,
            }))?
        ),
    }
    Ok(())
}
