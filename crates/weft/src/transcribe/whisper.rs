//! Whisper through CTranslate2 (the `weft-whisper` crate), on the machine's own CPU (or GPU
//! when built with `cuda`). Inference runs on the blocking thread pool, never on the async
//! threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{audio, EngineError, EngineOutput, Progress};
use crate::domain::{Segment, Word};

/// A loaded model.
#[derive(Clone)]
pub struct WhisperEngine {
    model: Arc<weft_whisper::Whisper>,
    model_dir: PathBuf,
}

impl std::fmt::Debug for WhisperEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperEngine")
            .field("model_dir", &self.model_dir)
            .finish()
    }
}

impl WhisperEngine {
    /// Loads a faster-whisper model directory.
    pub fn load(model_dir: &Path, options: weft_whisper::Options) -> Result<Self, EngineError> {
        let model = weft_whisper::Whisper::load(model_dir, options).map_err(|e| {
            EngineError::permanent(format!(
                "loading the Whisper model in {}: {e}",
                model_dir.display()
            ))
        })?;
        Ok(Self {
            model: Arc::new(model),
            model_dir: model_dir.to_path_buf(),
        })
    }

    /// The model's name: its folder's (`tiny.en`, `base`).
    pub fn model_name(&self) -> String {
        self.model_dir.file_name().map_or_else(
            || "model".to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// Transcribes a 16 kHz mono WAV file in `language` (`auto` detects it; `None` keeps
    /// the configured one), telling `progress` after each window.
    pub async fn transcribe(
        &self,
        wav: &Path,
        duration: f64,
        language: Option<&str>,
        progress: Option<Progress>,
    ) -> Result<EngineOutput, EngineError> {
        let language = language.map(str::to_owned);
        let bytes = tokio::fs::read(wav)
            .await
            .map_err(|e| EngineError::retryable(format!("reading the audio: {e}")))?;
        let model = self.model.clone();
        let transcript = tokio::task::spawn_blocking(move || {
            let pcm = audio::read_wav_f32(&bytes).map_err(EngineError::permanent)?;
            // The samples are all that is needed from here on: half the memory of a long
            // recording (30 minutes: 58 MB of WAV beside 115 MB of samples).
            drop(bytes);
            model
                .transcribe_in(&pcm, language.as_deref(), &mut |done| {
                    if let Some(progress) = &progress {
                        progress(done);
                    }
                })
                .map_err(|e| match e {
                    weft_whisper::Error::Language { .. } => EngineError::permanent(e.to_string()),
                    e => EngineError::permanent(format!("Whisper failed: {e}")),
                })
        })
        .await
        .map_err(|e| EngineError::retryable(format!("the transcription thread stopped: {e}")))??;
        let segments = transcript
            .segments
            .into_iter()
            .map(|s| {
                let mut segment = Segment {
                    start: s.start.min(duration.max(s.start)),
                    end: s.end.min(duration.max(s.end)),
                    text: s.text,
                    confidence: Some(s.confidence.clamp(0.0, 1.0)),
                    words: s
                        .words
                        .into_iter()
                        .map(|w| Word {
                            word: w.text,
                            start: w.start,
                            end: w.end,
                            probability: Some(w.probability),
                        })
                        .collect(),
                    language: s.language,
                };
                segment.fit_words();
                segment
            })
            .collect();
        Ok(EngineOutput {
            language: Some(transcript.language),
            language_probability: transcript.language_probability,
            segments,
        })
    }
}
