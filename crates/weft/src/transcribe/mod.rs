//! Speech to text: the engines Weft can use, chosen by `WEFT_TRANSCRIBER`.

pub mod audio;
pub mod captions;
pub mod openai;
#[cfg(feature = "whisper")]
pub mod whisper;

use std::path::Path;

use crate::domain::Segment;

/// Hears how many seconds of the audio are transcribed so far (engines that can tell call it
/// after each 30-second window). Called from the engine's own thread: keep it quick.
pub type Progress = std::sync::Arc<dyn Fn(f64) + Send + Sync>;

/// What an engine heard.
#[derive(Debug, Clone, Default)]
pub struct EngineOutput {
    pub language: Option<String>,
    /// How sure the engine was of a language it detected, 0..1 (`None` when the language
    /// was given, or the engine does not say).
    pub language_probability: Option<f64>,
    pub segments: Vec<Segment>,
}

impl EngineOutput {
    /// The whole transcript as one text.
    pub fn text(&self) -> String {
        join_segments(&self.segments)
    }
}

/// Joins segment texts into the transcript's text.
pub fn join_segments(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| s.text.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why an engine failed, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub message: String,
    /// A network blip or an overloaded service: try again later. A file the engine cannot
    /// read: do not.
    pub retryable: bool,
}

impl EngineError {
    /// A failure worth retrying.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure that will not go away by itself.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
        }
    }
}

/// A configured engine.
#[derive(Debug, Clone)]
pub enum Engine {
    /// Any OpenAI-compatible `/v1/audio/transcriptions` service.
    OpenAi(openai::OpenAiEngine),
    /// Whisper through CTranslate2 in this process.
    #[cfg(feature = "whisper")]
    Whisper(whisper::WhisperEngine),
}

impl Engine {
    /// A short name for logs and the API.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::OpenAi(_) => "openai",
            #[cfg(feature = "whisper")]
            Engine::Whisper(_) => "whisper",
        }
    }

    /// The engine and model, as kept with each version it makes (`whisper base.en`,
    /// `openai whisper-1`).
    pub fn model_name(&self) -> String {
        match self {
            Engine::OpenAi(engine) => format!("openai {}", engine.model()),
            #[cfg(feature = "whisper")]
            Engine::Whisper(engine) => format!("whisper {}", engine.model_name()),
        }
    }

    /// Transcribes a 16 kHz mono WAV file of `duration` seconds.
    pub async fn transcribe(&self, wav: &Path, duration: f64) -> Result<EngineOutput, EngineError> {
        self.transcribe_with_progress(wav, duration, None).await
    }

    /// Transcribes as [`Engine::transcribe`] does, telling `progress` how far it got. The
    /// OpenAI-compatible API answers only at the end, so that engine never calls it.
    pub async fn transcribe_with_progress(
        &self,
        wav: &Path,
        duration: f64,
        progress: Option<Progress>,
    ) -> Result<EngineOutput, EngineError> {
        self.transcribe_in(wav, duration, None, progress).await
    }

    /// Transcribes as [`Engine::transcribe_with_progress`] does, in `language` (a code such
    /// as `es`; `auto` detects it; `None` keeps the engine's configured language).
    pub async fn transcribe_in(
        &self,
        wav: &Path,
        duration: f64,
        language: Option<&str>,
        progress: Option<Progress>,
    ) -> Result<EngineOutput, EngineError> {
        match self {
            Engine::OpenAi(engine) => {
                let _ = progress;
                engine.transcribe(wav, duration, language).await
            }
            #[cfg(feature = "whisper")]
            Engine::Whisper(engine) => engine.transcribe(wav, duration, language, progress).await,
        }
    }

    /// Whether [`Engine::transcribe_with_progress`] reports progress.
    pub fn reports_progress(&self) -> bool {
        !matches!(self, Engine::OpenAi(_))
    }
}
