//! The crate's error type.

use std::path::{Path, PathBuf};

/// What can go wrong loading a model or transcribing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model directory is missing, incomplete or not a Whisper model.
    #[error("Whisper model at {path}: {message}")]
    Model {
        /// The model directory.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The compute type is not one CTranslate2 knows.
    #[error(
        "unknown compute type {0:?}: use int8, int8_float32, int8_float16, int8_bfloat16, \
         int16, float16, bfloat16, float32, auto or default"
    )]
    ComputeType(String),
    /// The language is not one the model knows.
    #[error("language {language:?} is not supported by this model ({reason})")]
    Language {
        /// The language asked for.
        language: String,
        /// Why not.
        reason: String,
    },
    /// A GPU was asked for but this build cannot use one.
    #[error("this build of weft-whisper has no CUDA support: rebuild it with the `cuda` feature")]
    NoCuda,
    /// CTranslate2 failed while running the model.
    #[error("Whisper inference failed: {0}")]
    Inference(String),
}

impl Error {
    pub(crate) fn model(path: &Path, message: impl std::fmt::Display) -> Self {
        Self::Model {
            path: path.to_owned(),
            message: message.to_string(),
        }
    }

    pub(crate) fn inference(error: impl std::fmt::Display) -> Self {
        Self::Inference(format!("{error:#}"))
    }
}
