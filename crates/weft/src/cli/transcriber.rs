//! Options that choose and configure the transcription engine (shared by `serve`, `worker`
//! and `transcribe`).

use clap::{Args, ValueEnum};

use crate::jobs::worker::WorkerConfig;
use crate::transcribe::openai::OpenAiEngine;
use crate::transcribe::Engine;

/// Which engine transcribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transcriber {
    /// Whisper through CTranslate2 on this machine, with the model in WEFT_WHISPER_MODEL.
    Whisper,
    /// Any OpenAI-compatible /v1/audio/transcriptions service.
    Openai,
    /// Transcription off: journals say so.
    None,
}

/// Transcription options.
#[derive(Debug, Clone, Args)]
pub struct TranscriberArgs {
    /// The engine: whisper, openai or none [default: whisper when its model is present,
    /// else none].
    #[arg(long, env = "WEFT_TRANSCRIBER", value_enum)]
    pub transcriber: Option<Transcriber>,

    /// A faster-whisper (CTranslate2) model: a directory, or the name of one that
    /// scripts/install-deps fetches (`base`, multilingual; `tiny.en`, English only, faster)
    /// [default: base when it is there, else tiny.en].
    #[arg(long, env = "WEFT_WHISPER_MODEL")]
    pub whisper_model: Option<std::path::PathBuf>,

    /// CTranslate2 compute type for Whisper (int8, int8_float32, float32, float16, ...).
    #[arg(long, env = "WEFT_WHISPER_COMPUTE_TYPE", default_value = "int8")]
    pub whisper_compute_type: String,

    /// Threads one Whisper transcription uses [default: 1].
    #[arg(long, env = "WEFT_WHISPER_THREADS")]
    pub whisper_threads: Option<usize>,

    /// Beam size for Whisper's decoding.
    #[arg(long, env = "WEFT_WHISPER_BEAM_SIZE", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub whisper_beam_size: u16,

    /// Run Whisper on the GPU (needs a build with the cuda feature).
    #[arg(long, env = "WEFT_WHISPER_CUDA", default_value_t = false)]
    pub whisper_cuda: bool,

    /// Base URL of the OpenAI-compatible service (without /v1).
    #[arg(
        long,
        env = "WEFT_OPENAI_BASE_URL",
        default_value = "https://api.openai.com"
    )]
    pub openai_base_url: String,

    /// API key of that service (also read from OPENAI_API_KEY).
    #[arg(long, env = "WEFT_OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,

    /// Model name to ask the service for.
    #[arg(long, env = "WEFT_OPENAI_MODEL", default_value = "whisper-1")]
    pub openai_model: String,

    /// Spoken language (e.g. en); detected when unset.
    #[arg(long, env = "WEFT_LANGUAGE")]
    pub language: Option<String>,

    /// Transcriptions run at once by this process; 0 in `weft serve` queues jobs for
    /// `weft worker` processes elsewhere without transcribing here.
    #[arg(long, env = "WEFT_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..=64))]
    pub workers: u16,

    /// Attempts before a job that keeps failing is marked failed.
    #[arg(long, env = "WEFT_JOB_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(i32).range(1..=50))]
    pub job_max_attempts: i32,

    /// Seconds without a heartbeat after which a running job counts as abandoned (its
    /// worker died) and is queued again.
    #[arg(long, env = "WEFT_JOB_STALE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(2..))]
    pub job_stale_seconds: u64,
}

impl TranscriberArgs {
    /// The configured engine, or None when transcription is off.
    /// The model directory: the setting, else the default location.
    pub fn model_dir(&self) -> std::path::PathBuf {
        let tools = std::env::var_os("WEFT_TOOLS_DIR")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| std::path::PathBuf::from(h).join(".cache/weft/tools"))
            })
            .unwrap_or_else(|| std::path::PathBuf::from(".cache/weft/tools"));
        resolve_model(self.whisper_model.as_deref(), &tools.join("models"))
    }

    /// The engine chosen (the default depends on whether a model is present).
    pub fn chosen(&self) -> Transcriber {
        self.transcriber.unwrap_or_else(|| {
            if cfg!(feature = "whisper") && self.model_dir().join("model.bin").is_file() {
                Transcriber::Whisper
            } else {
                Transcriber::None
            }
        })
    }

    /// The configured engine, or None when transcription is off.
    pub fn engine(&self) -> anyhow::Result<Option<Engine>> {
        Ok(match self.chosen() {
            Transcriber::None => None,
            Transcriber::Whisper => Some(self.whisper()?),
            Transcriber::Openai => {
                let key = self
                    .openai_api_key
                    .clone()
                    .or_else(|| std::env::var("OPENAI_API_KEY").ok())
                    .filter(|k| !k.is_empty());
                url::Url::parse(&self.openai_base_url)
                    .map_err(|e| anyhow::anyhow!("WEFT_OPENAI_BASE_URL is not a URL: {e}"))?;
                Some(Engine::OpenAi(OpenAiEngine::new(
                    &self.openai_base_url,
                    key,
                    &self.openai_model,
                    self.language.clone(),
                )))
            }
        })
    }

    #[cfg(feature = "whisper")]
    fn whisper(&self) -> anyhow::Result<Engine> {
        let dir = self.model_dir();
        anyhow::ensure!(
            dir.join("model.bin").is_file(),
            "no Whisper model in {}: run scripts/install-deps (it fetches base and tiny.en), or set \
             WEFT_WHISPER_MODEL to a faster-whisper model directory",
            dir.display()
        );
        let options = weft_whisper::Options {
            compute_type: self.whisper_compute_type.clone(),
            threads: self
                .whisper_threads
                .unwrap_or(weft_whisper::DEFAULT_THREADS),
            beam_size: self.whisper_beam_size as usize,
            language: self.language.clone(),
            word_timestamps: true,
            device: if self.whisper_cuda {
                weft_whisper::Device::Cuda
            } else {
                weft_whisper::Device::Cpu
            },
        };
        Ok(Engine::Whisper(
            crate::transcribe::whisper::WhisperEngine::load(&dir, options)?,
        ))
    }

    #[cfg(not(feature = "whisper"))]
    fn whisper(&self) -> anyhow::Result<Engine> {
        anyhow::bail!(
            "this weft was built without the whisper feature; use WEFT_TRANSCRIBER=openai"
        )
    }

    /// Worker settings from these options.
    pub fn worker_config(&self) -> WorkerConfig {
        let stale_after = std::time::Duration::from_secs(self.job_stale_seconds);
        WorkerConfig {
            concurrency: self.workers as usize,
            stale_after,
            // Often enough for the progress a person watches (it is written with the
            // heartbeat), and well inside the time after which a job counts as abandoned.
            heartbeat: (stale_after / 5).clamp(
                std::time::Duration::from_millis(500),
                std::time::Duration::from_secs(3),
            ),
            ..WorkerConfig::default()
        }
    }
}

/// The model directory for `--whisper-model`: a name such as `base` or `tiny.en` (a folder
/// of `models`) unless it is a path to a directory; by default `base` (multilingual) when
/// it is installed, else `tiny.en`.
fn resolve_model(chosen: Option<&std::path::Path>, models: &std::path::Path) -> std::path::PathBuf {
    match chosen {
        Some(path) if path.is_dir() || path.components().count() > 1 => path.to_path_buf(),
        Some(name) => models.join(name),
        None if models.join("base/model.bin").is_file() => models.join("base"),
        None => models.join("tiny.en"),
    }
}

#[cfg(test)]
mod model_tests {
    use super::resolve_model;
    use std::path::Path;

    #[test]
    fn a_model_is_a_directory_or_the_name_of_an_installed_one() {
        let models = std::env::temp_dir().join(format!("weft-models-{}", std::process::id()));
        std::fs::create_dir_all(models.join("base")).unwrap();
        assert_eq!(resolve_model(None, &models), models.join("tiny.en"));
        std::fs::write(models.join("base/model.bin"), b"x").unwrap();
        assert_eq!(resolve_model(None, &models), models.join("base"));
        assert_eq!(
            resolve_model(Some(Path::new("tiny.en")), &models),
            models.join("tiny.en")
        );
        assert_eq!(
            resolve_model(Some(Path::new("/srv/models/large")), &models),
            Path::new("/srv/models/large")
        );
        let _ = std::fs::remove_dir_all(&models);
    }
}
