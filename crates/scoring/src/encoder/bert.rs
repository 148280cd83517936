//! The BERT forward pass in candle: embeddings, six post-norm transformer layers, mean pooling
//! over real tokens and a linear head. Weights arrive as f32 (dequantised at load).

use candle_core::{DType, Device, Tensor};
use candle_nn::ops::{layer_norm, softmax_last_dim};

use super::EncoderError;
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

    /// Logits for a batch of token-id sequences, padded here to the longest one; padding is
    /// masked out of attention and of the mean pool, so each row's result does not depend on
    /// what it was batched with.
    pub fn logits(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let b = batch.len();
        if b == 0 {
            return Ok(Vec::new());
        }
        let n = batch.iter().map(Vec::len).max().unwrap_or(0).clamp(1, self.dims.max_positions);
        let (h, heads) = (self.dims.hidden, self.dims.heads);
        let head_dim = h / heads;
        let device = Device::Cpu;

        let mut ids = Vec::with_capacity(b * n);
        let mut mask = Vec::with_capacity(b * n);
        for seq in batch {
            for pos in 0..n {
                match seq.get(pos) {
                    Some(&id) if (id as usize) < self.dims.vocab => {
                        ids.push(id);
                        mask.push(1f32);
                    }
                    // Out-of-vocabulary ids cannot come from our tokenizer; treat as padding.
                    Some(_) | None => {
                        ids.push(0);
                        mask.push(0f32);
                    }
                }
            }
        }
        let ids = Tensor::from_vec(ids, b * n, &device)?;
        let mask = Tensor::from_vec(mask, (b, n), &device)?;

        let words = self.word_embeddings.index_select(&ids, 0)?.reshape((b, n, h))?;
        let positions = self.position_embeddings.narrow(0, 0, n)?;
        let x = words.broadcast_add(&positions)?.broadcast_add(&self.token_type_row)?.reshape((b * n, h))?;
        let mut x = self.embedding_norm.forward(&x)?;

        // 0 for real tokens, a large negative number for padding keys.
        let key_bias = mask.affine(1e9, -1e9)?.reshape((b, 1, 1, n))?;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((b, n, heads, head_dim))?.transpose(1, 2)?.contiguous()
        };
        for layer in &self.layers {
            let q = split(layer.query.forward(&x)?)?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let scores = q.matmul(&k.transpose(2, 3)?.contiguous()?)?.affine(scale, 0.0)?;
            let attention = softmax_last_dim(&scores.broadcast_add(&key_bias)?)?;
            let context = attention.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b * n, h))?;
            let attended = layer.attention_norm.forward(&(layer.attention_out.forward(&context)? + &x)?)?;
            let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
            x = layer.output_norm.forward(&(layer.output.forward(&inner)? + &attended)?)?;
        }

        let x = x.reshape((b, n, h))?;
        let weights = mask.reshape((b, n, 1))?;
        let summed = x.broadcast_mul(&weights)?.sum(1)?;
        let counts = mask.sum_keepdim(1)?.clamp(1e-9f32, f32::MAX)?;
        let pooled = summed.broadcast_div(&counts)?;
        let logits = self.head.forward(&pooled)?;
        logits.to_dtype(DType::F32)?.to_vec2::<f32>()
    }
}
