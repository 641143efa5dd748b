//! The model: tokenizer, the BERT encoder (`bert.rs`), mean pooling and normalisation.

use std::path::Path;

use candle_core::{Device, Tensor};
use tokenizers::{Tokenizer, TruncationParams};

use crate::bert::{self, Bert};
use crate::files::read_json;
use crate::{EmbedError, DIMENSIONS, REQUIRED_FILES};

/// The longest input in tokens (special tokens included); longer texts are truncated, as
/// sentence-transformers does (`max_seq_length` of all-MiniLM-L6-v2).
pub const MAX_TOKENS: usize = 256;

/// Texts per forward pass. Texts are sorted by length first, so that a batch pads to a
/// length close to each of its texts; 16 keeps one pass short (a query waiting behind a
/// batch waits for one pass, not for the whole call).
pub const BATCH_SIZE: usize = 16;

/// A loaded model. `Send + Sync`: load it once and share it behind an `Arc`. `embed` blocks
/// and keeps its threads busy: call it from `spawn_blocking` or a thread of its own.
pub struct Embedder {
    model: Bert,
    tokenizer: Tokenizer,
    /// The threads every forward pass runs on (see `Embedder::load_with_threads`).
    pool: rayon::ThreadPool,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("threads", &self.pool.current_num_threads())
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model in `dir` with one thread per embedding (see `load_with_threads`).
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with_threads(dir, 1)
    }

    /// Loads the model in `dir`; every `embed` call runs on a pool of `threads` threads of
    /// its own (0 means 1), so that concurrent calls share them rather than each taking
    /// every core.
    pub fn load_with_threads(dir: &Path, threads: usize) -> Result<Embedder, EmbedError> {
        for file in REQUIRED_FILES {
            if !dir.join(file).is_file() {
                return Err(EmbedError::model(dir, format!("{file} is missing")));
            }
        }
        check_pooling(dir)?;
        let config = bert::Config::read(dir)?;
        if config.hidden_size != DIMENSIONS {
            return Err(EmbedError::model(
                dir,
                format!(
                    "config.json says hidden_size {}, not all-MiniLM-L6-v2's {DIMENSIONS}",
                    config.hidden_size
                ),
            ));
        }
        let tokenizer = load_tokenizer(dir, MAX_TOKENS.min(config.max_position_embeddings))?;
        let model = bert::load(dir, &config)?;
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("weft-embed-{i}"))
            .build()
            .map_err(|e| EmbedError::Threads {
                threads,
                message: e.to_string(),
            })?;
        Ok(Embedder {
            model,
            tokenizer,
            pool,
        })
    }

    /// L2-normalised vectors of `DIMENSIONS`, one per text, in order. Batches internally.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut ids = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .tokenizer
                .encode_fast(*text, true)
                .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
            ids.push(encoding.get_ids().to_vec());
        }
        // Shortest first, so that each batch pads little; the results go back in input order.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut vectors = vec![Vec::new(); texts.len()];
        self.pool.install(|| {
            for chunk in order.chunks(BATCH_SIZE) {
                let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
                for (&i, vector) in chunk.iter().zip(self.forward(&batch)?) {
                    vectors[i] = vector;
                }
            }
            Ok::<_, EmbedError>(())
        })?;
        Ok(vectors)
    }

    /// One forward pass: the batch padded to its longest, mean-pooled over the real tokens
    /// only (the attention mask), then L2-normalised.
    fn forward(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0);
        let mut input = Vec::with_capacity(batch.len() * len);
        let mut mask = Vec::with_capacity(batch.len() * len);
        for ids in batch {
            input.extend_from_slice(ids);
            input.resize(input.len() + len - ids.len(), 0);
            mask.extend(std::iter::repeat_n(1f32, ids.len()));
            mask.resize(mask.len() + len - ids.len(), 0.0);
        }
        let input = Tensor::from_vec(input, (batch.len(), len), &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, (batch.len(), len), &Device::Cpu)?;
        let hidden = self.model.forward(&input, &mask)?;
        let mask = mask.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

/// The packaged tokenizer pads every input to 128 tokens and truncates at 128: padding off
/// (`forward` pads a batch to its own longest), truncation at the model's `max_tokens`.
fn load_tokenizer(dir: &Path, max_tokens: usize) -> Result<Tokenizer, EmbedError> {
    let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
        .map_err(|e| EmbedError::model(dir, format!("tokenizer.json: {e}")))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            ..TruncationParams::default()
        }))
        .map_err(|e| EmbedError::model(dir, format!("tokenizer.json: {e}")))?;
    Ok(tokenizer)
}

/// The pooling sentence-transformers applies, when the directory says: only mean pooling is
/// implemented, so another model's CLS or max pooling is refused rather than run wrongly.
fn check_pooling(dir: &Path) -> Result<(), EmbedError> {
    #[derive(serde::Deserialize)]
    struct Pooling {
        #[serde(default)]
        pooling_mode_mean_tokens: bool,
    }
    if !dir.join("1_Pooling/config.json").is_file() {
        return Ok(());
    }
    let pooling: Pooling = read_json(dir, "1_Pooling/config.json")?;
    if pooling.pooling_mode_mean_tokens {
        Ok(())
    } else {
        Err(EmbedError::model(
            dir,
            "1_Pooling/config.json asks for a pooling other than mean pooling",
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedder_is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<super::Embedder>();
    }
}
