//! Shared by the tests and the speed example: the real model, loaded once.

use std::path::PathBuf;
use std::sync::OnceLock;

use weft_embed::Embedder;

/// The model directory, as Weft finds it; a missing model fails with what to run.
pub fn model_dir() -> PathBuf {
    let dir = weft_embed::default_model_dir().unwrap_or_else(|| {
        panic!(
            "no embedding model: run scripts/install-deps (or crates/weft-embed/fetch-model.sh), \
             or set WEFT_EMBEDDING_MODEL to its directory"
        )
    });
    assert!(
        weft_embed::is_complete(&dir),
        "the embedding model at {} is incomplete: run crates/weft-embed/fetch-model.sh",
        dir.display()
    );
    dir
}

/// One model for all the tests of a binary: it is `Sync`, and loading it once saves time.
pub fn embedder() -> &'static Embedder {
    static MODEL: OnceLock<Embedder> = OnceLock::new();
    MODEL.get_or_init(|| {
        Embedder::load(&model_dir()).unwrap_or_else(|e| panic!("loading the model failed: {e}"))
    })
}

/// The cosine similarity of two L2-normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The largest difference between two sets of vectors.
pub fn max_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}
