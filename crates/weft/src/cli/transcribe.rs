//! `weft transcribe FILE`: transcribe a local video or audio file and print the result.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::transcriber::TranscriberArgs;
use crate::media::{probe, ToolError};
use crate::scratch::TempFile;
use crate::transcribe::{audio, captions, join_segments, Progress};

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

/// Transcribes the file and prints the result in the chosen format.
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
    let bar = ProgressBar::new_spinner();
    bar.set_style(spinner_style());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("extracting audio");
    audio::extract(&args.file, wav.path(), limit)
        .await
        .map_err(|e| match e {
            ToolError::Failed { message, .. } => anyhow::anyhow!(
                "{} is not a video or audio file that ffmpeg can read ({message})",
                args.file.display()
            ),
            other => anyhow::Error::new(other)
                .context(format!("reading the audio of {}", args.file.display())),
        })?;
    let duration = match probe::probe(wav.path(), limit).await {
        Ok(info) => info.duration,
        Err(_) => std::fs::metadata(wav.path())
            .map(|m| m.len().saturating_sub(44) as f64 / 32000.0)
            .unwrap_or(0.0),
    };
    let progress = if engine.reports_progress() {
        // Whole seconds of audio done, moved on after each 30-second window.
        bar.set_length(duration.ceil() as u64);
        bar.set_style(bar_style());
        bar.set_message(format!("transcribing with {}", engine.name()));
        let bar = bar.clone();
        Some(Arc::new(move |done: f64| bar.set_position(done.round() as u64)) as Progress)
    } else {
        bar.set_message(format!(
            "transcribing {duration:.0} s with {}",
            engine.name()
        ));
        None
    };
    let started = std::time::Instant::now();
    let output = engine
        .transcribe_with_progress(wav.path(), duration, progress)
        .await?;
    bar.finish_and_clear();
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
                "language_probability": output.language_probability,
                "duration": duration,
                "text": output.text(),
                "segments": output.segments,
            }))?
        ),
    }
    Ok(())
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} s of audio, {elapsed} (eta {eta})")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
