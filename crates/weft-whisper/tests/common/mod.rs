//! Shared by the tests: the real model, and speech made with espeak-ng and ffmpeg.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use weft_whisper::{Options, Whisper, SAMPLE_RATE};

/// The model directory: `WEFT_WHISPER_MODEL`, else where `fetch-model.sh` puts it.
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("WEFT_WHISPER_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let tools = std::env::var_os("WEFT_TOOLS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    let home = std::env::var_os("HOME")
                        .map(PathBuf::from)
                        .unwrap_or_default();
                    home.join(".cache/weft/tools")
                });
            tools.join("models/tiny.en")
        });
    assert!(
        dir.join("model.bin").is_file(),
        "no Whisper model at {}: run crates/weft-whisper/fetch-model.sh (or set \
         WEFT_WHISPER_MODEL to a faster-whisper model directory)",
        dir.display()
    );
    dir
}

/// One model for all the tests of a binary: it is `Sync`, and loading it once saves time.
pub fn whisper() -> &'static Whisper {
    static MODEL: OnceLock<Whisper> = OnceLock::new();
    MODEL.get_or_init(|| {
        Whisper::load(&model_dir(), Options::default())
            .unwrap_or_else(|e| panic!("loading the model failed: {e}"))
    })
}

/// `text` spoken by espeak-ng, as 16 kHz mono samples (through ffmpeg, as the product does).
pub fn speak(text: &str) -> Vec<f32> {
    let dir = tempdir();
    let wav = dir.join("speech.wav");
    run(Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&wav)
        .arg(text));
    let raw = run(Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-i"])
        .arg(&wav)
        .args(["-ar", "16000", "-ac", "1", "-f", "f32le", "-"]));
    let _ = std::fs::remove_dir_all(&dir);
    raw.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// `seconds` of silence.
pub fn silence(seconds: f64) -> Vec<f32> {
    vec![0.0; (seconds * SAMPLE_RATE as f64) as usize]
}

/// Audio length in seconds.
pub fn seconds(pcm: &[f32]) -> f64 {
    pcm.len() as f64 / SAMPLE_RATE as f64
}

/// Lower-case words without punctuation, for matching key words.
pub fn words(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect()
}

fn run(command: &mut Command) -> Vec<u8> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}): install it (scripts/install-deps installs espeak-ng and ffmpeg)")
    });
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn tempdir() -> PathBuf {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("weft-whisper-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir {}: {e}", dir.display()));
    dir
}
