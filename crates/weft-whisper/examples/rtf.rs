//! Measures the real-time factor (audio seconds per wall-clock second) of a transcription.
//!
//! ```text
//! cargo run -p weft-whisper --release --example rtf -- AUDIO [MODEL_DIR]
//!     [--compute-type int8] [--threads N] [--beam 5] [--runs 3] [--print]
//! ```
//! AUDIO is raw 16 kHz mono f32le (`.f32`, `.raw`, `.pcm`) or anything ffmpeg reads. MODEL_DIR
//! defaults to `WEFT_WHISPER_MODEL`, else the directory `fetch-model.sh` fills. Loading the
//! model is not timed; each run transcribes the whole file and the median is reported.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use weft_whisper::{Options, Whisper, SAMPLE_RATE};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rtf: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut positional = Vec::new();
    let mut options = Options::default();
    let mut runs = 3usize;
    let mut print = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--compute-type" => options.compute_type = value(&arg)?,
            "--threads" => options.threads = number(&value(&arg)?)?,
            "--beam" => options.beam_size = number(&value(&arg)?)?,
            "--runs" => runs = number::<usize>(&value(&arg)?)?.max(1),
            "--print" => print = true,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => positional.push(arg),
        }
    }
    let audio = positional
        .first()
        .ok_or("usage: rtf AUDIO [MODEL_DIR] [options]")?;
    let model = positional
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(default_model);

    let pcm = read_audio(Path::new(audio))?;
    let audio_seconds = pcm.len() as f64 / SAMPLE_RATE as f64;
    let settings = format!(
        "{} threads, {}, beam {}",
        options.threads, options.compute_type, options.beam_size
    );
    let whisper = Whisper::load(&model, options).map_err(|e| e.to_string())?;

    let mut walls = Vec::new();
    for run in 1..=runs {
        let started = Instant::now();
        let transcript = whisper
            .transcribe(&pcm, &mut |_| {})
            .map_err(|e| e.to_string())?;
        let wall = started.elapsed().as_secs_f64();
        println!(
            "run {run}: {wall:.2} s wall, RTF {:.1}x, {} segments",
            audio_seconds / wall,
            transcript.segments.len()
        );
        if print && run == 1 {
            for s in &transcript.segments {
                println!("  [{:7.2} -> {:7.2}] {}", s.start, s.end, s.text);
            }
        }
        walls.push(wall);
    }
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    println!(
        "audio {audio_seconds:.1} s, {settings}: median {median:.2} s wall, RTF {:.1}x real time",
        audio_seconds / median
    );
    Ok(())
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn default_model() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEFT_WHISPER_MODEL") {
        return dir.into();
    }
    let tools = std::env::var_os("WEFT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/weft/tools")
        });
    tools.join("models/tiny.en")
}

fn read_audio(path: &Path) -> Result<Vec<f32>, String> {
    let raw = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("f32" | "raw" | "pcm")
    );
    let bytes = if raw {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        let output = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(path)
            .args(["-ar", "16000", "-ac", "1", "-f", "f32le", "-"])
            .output()
            .map_err(|e| format!("cannot run ffmpeg: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "ffmpeg: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        output.stdout
    };
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}
