//! The BERT forward pass in candle: embeddings, six post-norm transformer layers, mean pooling
//! over real tokens and a linear head, with a batch's tokens packed so padding costs nothing
//! outside attention. Weights arrive as f32 (dequantised at load).

use candle_core::{DType, Device, Tensor};
use candle_nn::ops::{layer_norm, softmax_last_dim};

use super::EncoderError;
use super::gelu::gelu_erf;
use super::weights::Weights;

/// The dimensions the network is built with, read from `config.json`.
#[derive(Debug, Clone, Copy)]
pub struct Dims {
    pub vocab: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub max_positions: usize,
    pub classes: usize,
    pub eps: f32,
}

/// `y = x·Wᵀ + b` with Wᵀ stored contiguous, so each call is one plain matrix product.
struct Linear {
    weight_t: Tensor,
    bias: Tensor,
}

impl Linear {
    fn load(w: &Weights, name: &str, out: usize, inp: usize) -> Result<Self, EncoderError> {
        let weight = w.tensor(&format!("{name}.weight"), &[out, inp])?;
        let bias = w.tensor(&format!("{name}.bias"), &[out])?;
        Ok(Self { weight_t: weight.t()?.contiguous()?, bias })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.weight_t)?.broadcast_add(&self.bias)
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl Norm {
    fn load(w: &Weights, name: &str, dims: &Dims) -> Result<Self, EncoderError> {
        Ok(Self {
            weight: w.tensor(&format!("{name}.weight"), &[dims.hidden])?,
            bias: w.tensor(&format!("{name}.bias"), &[dims.hidden])?,
            eps: dims.eps,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

pub struct Bert {
    dims: Dims,
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_row: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    head: Linear,
}

impl Bert {
    pub fn load(w: &Weights, dims: Dims) -> Result<Self, EncoderError> {
        let (h, i) = (dims.hidden, dims.intermediate);
        let word_embeddings = w.tensor("embeddings.word_embeddings.weight", &[dims.vocab, h])?;
        let position_embeddings =
            w.tensor("embeddings.position_embeddings.weight", &[dims.max_positions, h])?;
        // Every token has type 0 (single-sentence input), so only the first row is used.
        let token_types = w.tensor_any_rows("embeddings.token_type_embeddings.weight", h)?;
        let token_type_row = token_types.get(0)?;
        let embedding_norm = Norm::load(w, "embeddings.LayerNorm", &dims)?;
        let mut layers = Vec::with_capacity(dims.layers);
        for l in 0..dims.layers {
            let p = format!("encoder.layer.{l}");
            layers.push(Layer {
                query: Linear::load(w, &format!("{p}.attention.self.query"), h, h)?,
                key: Linear::load(w, &format!("{p}.attention.self.key"), h, h)?,
                value: Linear::load(w, &format!("{p}.attention.self.value"), h, h)?,
                attention_out: Linear::load(w, &format!("{p}.attention.output.dense"), h, h)?,
                attention_norm: Norm::load(w, &format!("{p}.attention.output.LayerNorm"), &dims)?,
                intermediate: Linear::load(w, &format!("{p}.intermediate.dense"), i, h)?,
                output: Linear::load(w, &format!("{p}.output.dense"), h, i)?,
                output_norm: Norm::load(w, &format!("{p}.output.LayerNorm"), &dims)?,
            });
        }
        let head = Linear::load(w, "classifier", dims.classes, h)?;
        Ok(Self { dims, word_embeddings, position_embeddings, token_type_row, embedding_norm, layers, head })
    }

    pub fn dims(&self) -> &Dims {
        &self.dims
    }

    /// Logits for a batch of token-id sequences. The tokens of all sequences are packed into
    /// one matrix for the per-token work (the linear layers, norms and GELU: nearly all of the
    /// arithmetic), so no time goes to padding there; only attention, which mixes tokens within
    /// a sequence, pads each sequence to the longest one and masks the padding out. So each
    /// row's result does not depend on what it was batched with.
    pub fn logits(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let b = batch.len();
        if b == 0 {
            return Ok(Vec::new());
        }
        let (h, heads) = (self.dims.hidden, self.dims.heads);
        let head_dim = h / heads;
        let device = Device::Cpu;

        // Packed tokens: ids, their positions, and each sequence's length. Ids outside the
        // vocabulary cannot come from our tokenizer; they are skipped (their position too).
        let (mut ids, mut positions, mut lengths) = (Vec::new(), Vec::new(), vec![0usize; b]);
        for (seq, length) in batch.iter().zip(&mut lengths) {
            for (pos, &id) in seq.iter().take(self.dims.max_positions).enumerate() {
                if (id as usize) < self.dims.vocab {
                    ids.push(id);
                    positions.push(pos as u32);
                    *length += 1;
                }
            }
        }
        let tokens = ids.len();
        if tokens == 0 {
            // Nothing to read: every row gets the head's bias, as a mean over no tokens would.
            let logits = self.head.forward(&Tensor::zeros((b, h), DType::F32, &device)?)?;
            return logits.to_vec2::<f32>();
        }
        let n = lengths.iter().copied().max().unwrap_or(1).max(1);

        // Attention's padded layout: slot (s, i) reads packed row `start(s) + i` (padding
        // slots read row 0 and are masked), and packed row j goes back from its slot.
        let (mut to_padded, mut to_packed, mut mask) = (Vec::with_capacity(b * n), Vec::new(), Vec::new());
        let mut start = 0u32;
        for (s, &length) in lengths.iter().enumerate() {
            for i in 0..n {
                let real = i < length;
                to_padded.push(if real { start + i as u32 } else { 0 });
                mask.push(if real { 0f32 } else { -1e9 });
                if real {
                    to_packed.push((s * n + i) as u32);
                }
            }
            start += length as u32;
        }
        let to_padded = Tensor::from_vec(to_padded, b * n, &device)?;
        let to_packed = Tensor::from_vec(to_packed, tokens, &device)?;
        let key_bias = Tensor::from_vec(mask, (b, 1, 1, n), &device)?;

        let ids = Tensor::from_vec(ids, tokens, &device)?;
        let positions = Tensor::from_vec(positions, tokens, &device)?;
        let words = self.word_embeddings.index_select(&ids, 0)?;
        let x = (words + self.position_embeddings.index_select(&positions, 0)?)?
            .broadcast_add(&self.token_type_row)?;
        let mut x = self.embedding_norm.forward(&x)?;

        let scale = 1.0 / (head_dim as f64).sqrt();
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.index_select(&to_padded, 0)?.reshape((b, n, heads, head_dim))?.transpose(1, 2)?.contiguous()
        };
        for layer in &self.layers {
            let q = split(layer.query.forward(&x)?)?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let scores = q.matmul(&k.transpose(2, 3)?.contiguous()?)?.affine(scale, 0.0)?;
            let attention = softmax_last_dim(&scores.broadcast_add(&key_bias)?)?;
            let context = attention
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b * n, h))?
                .index_select(&to_packed, 0)?;
            let attended = layer.attention_norm.forward(&(layer.attention_out.forward(&context)? + &x)?)?;
            let inner = gelu_erf(&layer.intermediate.forward(&attended)?)?;
            x = layer.output_norm.forward(&(layer.output.forward(&inner)? + &attended)?)?;
        }

        // Mean over each sequence's tokens: a (b × tokens) 0/1 matrix times x, over the count.
        let mut membership = vec![0f32; b * tokens];
        let mut start = 0;
        for (s, &length) in lengths.iter().enumerate() {
            membership[s * tokens + start..s * tokens + start + length].fill(1.0);
            start += length;
        }
        let membership = Tensor::from_vec(membership, (b, tokens), &device)?;
        let counts: Vec<f32> = lengths.iter().map(|&l| (l as f32).max(1e-9)).collect();
        let counts = Tensor::from_vec(counts, (b, 1), &device)?;
        let pooled = membership.matmul(&x)?.broadcast_div(&counts)?;
        let logits = self.head.forward(&pooled)?;
        logits.to_dtype(DType::F32)?.to_vec2::<f32>()
    }
}
