//! The crate's error type.

use std::path::{Path, PathBuf};

/// What can go wrong loading the model or embedding text.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model directory is missing, incomplete or not a model this crate runs.
    #[error(
        "embedding model at {path}: {message}. Run scripts/install-deps (or \
         crates/weft-embed/fetch-model.sh), or set WEFT_EMBEDDING_MODEL to a directory holding \
         all-MiniLM-L6-v2's model.safetensors, config.json and tokenizer.json"
    )]
    Model {
        /// The model directory.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The thread pool for the model could not be started.
    #[error("could not start {threads} embedding thread(s): {message}")]
    Threads {
        /// The number of threads asked for.
        threads: usize,
        /// Why not.
        message: String,
    },
    /// The tokenizer rejected a text.
    #[error("could not tokenize the text: {0}")]
    Tokenize(String),
    /// candle failed while running the model.
    #[error("embedding inference failed: {0}")]
    Inference(String),
}

impl EmbedError {
    pub(crate) fn model(path: &Path, message: impl std::fmt::Display) -> Self {
        Self::Model {
            path: path.to_owned(),
            message: message.to_string(),
        }
    }
}

impl From<candle_core::Error> for EmbedError {
    fn from(error: candle_core::Error) -> Self {
        Self::Inference(error.to_string())
    }
}
