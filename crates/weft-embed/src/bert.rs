//! A BERT encoder, the architecture of all-MiniLM-L6-v2, on candle-nn's layers: the one model
//! this crate runs, written here rather than taken from candle-transformers, whose hundreds
//! of models were most of a fresh machine's build time.
//!
//! It follows Hugging Face's `BertModel` without the pooler: embeddings (word + position +
//! token type, LayerNorm), then layers of self-attention and a feed-forward block, each
//! closed by a residual LayerNorm. Inference only: dropout is the identity.

use std::path::Path;

use candle_core::{DType, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, Module, VarBuilder};

use crate::EmbedError;

/// The sizes and choices `config.json` names (Hugging Face's `BertConfig`), as far as they
/// matter to inference; `Config::read` refuses what this encoder does not implement.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
    #[serde(default)]
    pub is_decoder: bool,
}

impl Config {
    /// Reads `config.json` in `dir`, refusing a model this encoder would run wrongly.
    pub fn read(dir: &Path) -> Result<Config, EmbedError> {
        let config: Config = crate::files::read_json(dir, "config.json")?;
        config.activation().map_err(|e| EmbedError::model(dir, e))?;
        let refusal = if config.model_type.as_deref().is_some_and(|t| t != "bert") {
            Some("config.json names a model type other than \"bert\"".to_owned())
        } else if config
            .position_embedding_type
            .as_deref()
            .is_some_and(|t| t != "absolute")
        {
            Some("config.json asks for position embeddings other than \"absolute\"".to_owned())
        } else if config.is_decoder {
            Some("config.json describes a decoder, not an encoder".to_owned())
        } else if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            Some(format!(
                "config.json's hidden_size {} does not split into {} attention heads",
                config.hidden_size, config.num_attention_heads
            ))
        } else {
            None
        };
        match refusal {
            Some(message) => Err(EmbedError::model(dir, message)),
            None => Ok(config),
        }
    }

    /// The feed-forward activation `hidden_act` names, in Hugging Face's spelling.
    fn activation(&self) -> Result<Activation, String> {
        match self.hidden_act.as_str() {
            // Hugging Face's "gelu" is the exact one, through erf (all-MiniLM-L6-v2's).
            "gelu" => Ok(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(format!(
                "config.json's hidden_act {other:?} is not implemented (only \"gelu\", \
                 \"gelu_new\", \"gelu_pytorch_tanh\" and \"relu\" are)"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl Activation {
    fn apply(self, xs: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Activation::GeluErf => xs.gelu_erf(),
            Activation::GeluTanh => xs.gelu(),
            Activation::Relu => xs.relu(),
        }
    }
}

/// The encoder with its weights. Its `forward` gives the last hidden states.
pub(crate) struct Bert {
    embeddings: Embeddings,
    layers: Vec<Layer>,
}

impl Bert {
    /// The weights under Hugging Face's names (`embeddings.*`, `encoder.layer.N.*`); a
    /// missing tensor or a wrong shape is an error naming it.
    pub fn load(vb: &VarBuilder, config: &Config) -> candle_core::Result<Bert> {
        let activation = config.activation().map_err(candle_core::Error::Msg)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&vb.pp(format!("encoder.layer.{i}")), config, activation))
            .collect::<candle_core::Result<_>>()?;
        Ok(Bert {
            embeddings: Embeddings::load(&vb.pp("embeddings"), config)?,
            layers,
        })
    }

    /// The last hidden states `(batch, len, hidden)` of token ids `(batch, len)`, all of
    /// segment A. `mask` `(batch, len)` is 1.0 for a real token and 0.0 for padding, which
    /// no token attends to.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        // Added to the attention scores before the softmax: 0 for a real token, the lowest
        // f32 for padding, whose weight then comes out as exactly 0 (Hugging Face's
        // extended attention mask). Shaped to broadcast over heads and query positions.
        let (batch, len) = mask.dims2()?;
        let bias = (mask.ones_like()? - mask)?
            .affine(f64::from(f32::MIN), 0.0)?
            .reshape((batch, 1, 1, len))?;
        let mut hidden = self.embeddings.forward(ids)?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &bias)?;
        }
        Ok(hidden)
    }
}

struct Embeddings {
    words: Embedding,
    /// The position table `(max_position_embeddings, hidden)`; position i is row i.
    positions: Tensor,
    /// Token type 0's row: every text is one segment, so the type table is one vector.
    segment: Tensor,
    norm: LayerNorm,
}

impl Embeddings {
    fn load(vb: &VarBuilder, config: &Config) -> candle_core::Result<Embeddings> {
        let hidden = config.hidden_size;
        let words = candle_nn::embedding(config.vocab_size, hidden, vb.pp("word_embeddings"))?;
        let positions = vb.get(
            (config.max_position_embeddings, hidden),
            "position_embeddings.weight",
        )?;
        let segment = vb
            .get(
                (config.type_vocab_size, hidden),
                "token_type_embeddings.weight",
            )?
            .get(0)?;
        Ok(Embeddings {
            words,
            positions,
            segment,
            norm: layer_norm(&vb.pp("LayerNorm"), config)?,
        })
    }

    fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let summed = self
            .words
            .forward(ids)?
            .broadcast_add(&self.segment)?
            .broadcast_add(&self.positions.narrow(0, 0, len)?)?;
        self.norm.forward(&summed)
    }
}

/// One encoder layer: multi-head self-attention and the feed-forward block, each added to
/// its input and normalised (post-LayerNorm, as BERT has it).
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    activation: Activation,
    output: Linear,
    output_norm: LayerNorm,
    heads: usize,
}

impl Layer {
    fn load(
        vb: &VarBuilder,
        config: &Config,
        activation: Activation,
    ) -> candle_core::Result<Layer> {
        let hidden = config.hidden_size;
        let inner = config.intermediate_size;
        let linear = |path: &str, from: usize, to: usize| candle_nn::linear(from, to, vb.pp(path));
        Ok(Layer {
            query: linear("attention.self.query", hidden, hidden)?,
            key: linear("attention.self.key", hidden, hidden)?,
            value: linear("attention.self.value", hidden, hidden)?,
            attention_out: linear("attention.output.dense", hidden, hidden)?,
            attention_norm: layer_norm(&vb.pp("attention.output.LayerNorm"), config)?,
            intermediate: linear("intermediate.dense", hidden, inner)?,
            activation,
            output: linear("output.dense", inner, hidden)?,
            output_norm: layer_norm(&vb.pp("output.LayerNorm"), config)?,
            heads: config.num_attention_heads,
        })
    }

    fn forward(&self, hidden: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let attended = self.attention(hidden, bias)?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_out.forward(&attended)? + hidden)?)?;
        let inner = self
            .activation
            .apply(&self.intermediate.forward(&attended)?)?;
        self.output_norm
            .forward(&(self.output.forward(&inner)? + &attended)?)
    }

    /// Scaled dot-product attention over `heads` heads, concatenated back to `hidden`.
    fn attention(&self, hidden: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, len, width) = hidden.dims3()?;
        let head_size = width / self.heads;
        // (batch, len, width) to (batch, heads, len, head_size).
        let split = |xs: Tensor| {
            xs.reshape((batch, len, self.heads, head_size))?
                .transpose(1, 2)?
                .contiguous()
        };
        let query = split(self.query.forward(hidden)?)?;
        let key = split(self.key.forward(hidden)?)?;
        let value = split(self.value.forward(hidden)?)?;
        let scores = (query.matmul(&key.t()?)? / (head_size as f64).sqrt())?;
        let weights = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(bias)?)?;
        weights
            .matmul(&value)?
            .transpose(1, 2)?
            .reshape((batch, len, width))
    }
}

fn layer_norm(vb: &VarBuilder, config: &Config) -> candle_core::Result<LayerNorm> {
    candle_nn::layer_norm(config.hidden_size, config.layer_norm_eps, vb.clone())
}

/// Reads the weights of `model.safetensors` in `dir` as f32 tensors on the CPU.
pub(crate) fn load(dir: &Path, config: &Config) -> Result<Bert, EmbedError> {
    let device = candle_core::Device::Cpu;
    let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &device)
        .map_err(|e| EmbedError::model(dir, format!("model.safetensors: {e}")))?;
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
    Bert::load(&vb, config).map_err(|e| EmbedError::model(dir, format!("not a BERT model: {e}")))
}
