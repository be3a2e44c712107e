//! A sentence-transformers MPNet encoder (`all-mpnet-base-v2`, the model T-Eval uses) on
//! candle: WordPiece tokens → MPNet (post-norm transformer with a shared T5-style relative
//! position bias) → mean pooling → L2 normalisation, all in f32 as PyTorch does it.
//!
//! Texts are grouped by token length and each group runs as one unpadded batch, so no
//! attention mask is needed and a text gets the same vector alone or among others.

use super::encoder::{Encoder, EncoderError};
use candle_core::{DType, Device, Tensor, D};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const HEADS: usize = 12;
const BUCKETS: usize = 32;
const MAX_DISTANCE: usize = 128;
/// Tokens per forward batch: bounds memory (attention scores are heads × len² per text).
const BATCH_TOKENS: usize = 4096;

fn err(e: impl std::fmt::Display) -> EncoderError {
    EncoderError::Model(e.to_string())
}

struct Layer {
    q: (Tensor, Tensor),
    k: (Tensor, Tensor),
    v: (Tensor, Tensor),
    o: (Tensor, Tensor),
    attn_ln: (Tensor, Tensor),
    inter: (Tensor, Tensor),
    out: (Tensor, Tensor),
    out_ln: (Tensor, Tensor),
}

pub struct MpnetEncoder {
    tokenizer: tokenizers::Tokenizer,
    word: Tensor,
    position: Tensor,
    emb_ln: (Tensor, Tensor),
    rel_bias: Vec<f32>,
    layers: Vec<Layer>,
    hidden: usize,
    eps: f32,
    pad_id: u32,
    pooling: Pooling,
    normalize: bool,
    device: Device,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pooling {
    Mean,
    Cls,
}

/// The cache folder `scripts/fetch-mpnet.sh` fills.
pub fn default_model_dir() -> PathBuf {
    let base = match std::env::var_os("WFC_CACHE") {
        Some(c) => PathBuf::from(c),
        None => match std::env::var_os("XDG_CACHE_HOME") {
            Some(x) => PathBuf::from(x).join("wfc"),
            None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache")
                .join("wfc"),
        },
    };
    base.join("models").join("all-mpnet-base-v2")
}

fn read_json(path: &Path) -> Result<serde_json::Value, EncoderError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| err(format!("{}: {e}", path.display())))
}

impl MpnetEncoder {
    /// Loads a sentence-transformers folder holding an MPNet model (`config.json`,
    /// `model.safetensors`, `tokenizer.json`, optionally `sentence_bert_config.json`,
    /// `modules.json` and `1_Pooling/config.json`).
    pub fn load(dir: &Path) -> Result<MpnetEncoder, EncoderError> {
        let config = read_json(&dir.join("config.json"))?;
        let model_type = config["model_type"].as_str().unwrap_or("");
        if model_type != "mpnet" {
            return Err(err(format!(
                "{}: model_type {model_type:?} is not supported (only mpnet)",
                dir.display()
            )));
        }
        let usize_of = |k: &str, d: usize| config[k].as_u64().map_or(d, |v| v as usize);
        let hidden = usize_of("hidden_size", 768);
        let n_layers = usize_of("num_hidden_layers", 12);
        if usize_of("num_attention_heads", HEADS) != HEADS
            || usize_of("relative_attention_num_buckets", BUCKETS) != BUCKETS
            || hidden % HEADS != 0
        {
            return Err(err(
                "unsupported MPNet shape (12 heads, 32 buckets expected)",
            ));
        }
        let eps = config["layer_norm_eps"].as_f64().unwrap_or(1e-5) as f32;
        let pad_id = usize_of("pad_token_id", 1) as u32;

        // sentence-transformers' own settings override the tokenizer file's: truncation at
        // max_seq_length (384 here, the file says 128) and no fixed padding.
        let max_len = read_json(&dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|c| c["max_seq_length"].as_u64())
            .unwrap_or(512) as usize;
        let max_len = max_len.min(usize_of("max_position_embeddings", 514) - 2);
        let mut tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| err(format!("{}: {e}", dir.join("tokenizer.json").display())))?;
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_len,
                ..Default::default()
            }))
            .map_err(err)?;
        tokenizer.with_padding(None);

        let (pooling, normalize) = pooling_of(dir)?;

        let device = Device::Cpu;
        let path = dir.join("model.safetensors");
        let mut t: HashMap<String, Tensor> = candle_core::safetensors::load(&path, &device)
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        // Some exports prefix the tensors with `mpnet.`.
        if t.keys().all(|k| k.starts_with("mpnet.")) {
            t = t
                .into_iter()
                .map(|(k, v)| (k["mpnet.".len()..].to_string(), v))
                .collect();
        }
        let path_s = path.display().to_string();
        let mut take = |name: &str| -> Result<Tensor, EncoderError> {
            let v = t
                .remove(name)
                .ok_or_else(|| err(format!("{path_s}: missing tensor {name}")))?;
            v.to_dtype(DType::F32).map_err(err)
        };
        let word = take("embeddings.word_embeddings.weight")?;
        let position = take("embeddings.position_embeddings.weight")?;
        let emb_ln = (
            take("embeddings.LayerNorm.weight")?,
            take("embeddings.LayerNorm.bias")?,
        );
        let mut layers = Vec::with_capacity(n_layers);
        for n in 0..n_layers {
            let mut wb = |s: &str| -> Result<(Tensor, Tensor), EncoderError> {
                Ok((
                    take(&format!("encoder.layer.{n}.{s}.weight"))?,
                    take(&format!("encoder.layer.{n}.{s}.bias"))?,
                ))
            };
            layers.push(Layer {
                q: wb("attention.attn.q")?,
                k: wb("attention.attn.k")?,
                v: wb("attention.attn.v")?,
                o: wb("attention.attn.o")?,
                attn_ln: wb("attention.LayerNorm")?,
                inter: wb("intermediate.dense")?,
                out: wb("output.dense")?,
                out_ln: wb("output.LayerNorm")?,
            });
        }
        let rel = take("encoder.relative_attention_bias.weight")?;
        let rel_bias: Vec<f32> = rel.flatten_all().map_err(err)?.to_vec1().map_err(err)?;
        if rel_bias.len() != BUCKETS * HEADS {
            return Err(err("relative_attention_bias must be [32, 12]"));
        }
        Ok(MpnetEncoder {
            tokenizer,
            word,
            position,
            emb_ln,
            rel_bias,
            layers,
            hidden,
            eps,
            pad_id,
            pooling,
            normalize,
            device,
        })
    }

    /// Token ids as the model sees them (with `<s>` … `</s>`).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EncoderError> {
        let enc = self.tokenizer.encode(text, true).map_err(err)?;
        Ok(enc.get_ids().to_vec())
    }

    /// One forward pass over `batch` sequences of equal length (no padding).
    fn forward(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let b = ids.len();
        let len = ids[0].len();
        let h = self.hidden;
        let dh = h / HEADS;
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        let ids_t = Tensor::from_vec(flat, b * len, &self.device).map_err(err)?;
        // Position ids count real tokens from pad_id + 1; a batch here has no padding.
        let pos: Vec<u32> = (0..b)
            .flat_map(|_| (0..len as u32).map(|n| n + 1 + self.pad_id))
            .collect();
        let pos_t = Tensor::from_vec(pos, b * len, &self.device).map_err(err)?;
        let x = (self.word.index_select(&ids_t, 0).map_err(err)?
            + self.position.index_select(&pos_t, 0).map_err(err)?)
        .map_err(err)?;
        let mut x = candle_nn::ops::layer_norm(&x, &self.emb_ln.0, &self.emb_ln.1, self.eps)
            .map_err(err)?;
        let bias = Tensor::from_vec(self.position_bias(len), (1, HEADS, len, len), &self.device)
            .map_err(err)?;
        let linear = |x: &Tensor, (w, bb): &(Tensor, Tensor)| -> candle_core::Result<Tensor> {
            x.matmul(&w.t()?)?.broadcast_add(bb)
        };
        let heads = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((b, len, HEADS, dh))?
                .transpose(1, 2)?
                .contiguous()
        };
        for l in &self.layers {
            let step = || -> candle_core::Result<Tensor> {
                let q = heads(linear(&x, &l.q)?)?;
                let k = heads(linear(&x, &l.k)?)?;
                let v = heads(linear(&x, &l.v)?)?;
                let scores = q.matmul(&k.t()?.contiguous()?)?;
                let scores = (scores / (dh as f64).sqrt())?.broadcast_add(&bias)?;
                let probs = candle_nn::ops::softmax_last_dim(&scores)?;
                let ctx = probs
                    .matmul(&v)?
                    .transpose(1, 2)?
                    .contiguous()?
                    .reshape((b * len, h))?;
                let a = (linear(&ctx, &l.o)? + &x)?;
                let a = candle_nn::ops::layer_norm(&a, &l.attn_ln.0, &l.attn_ln.1, self.eps)?;
                let i = linear(&a, &l.inter)?.gelu_erf()?;
                let o = (linear(&i, &l.out)? + &a)?;
                candle_nn::ops::layer_norm(&o, &l.out_ln.0, &l.out_ln.1, self.eps)
            };
            x = step().map_err(err)?;
        }
        let x = x.reshape((b, len, h)).map_err(err)?;
        let pooled = match self.pooling {
            Pooling::Mean => (x.sum(1).map_err(err)? / len as f64).map_err(err)?,
            Pooling::Cls => x.narrow(1, 0, 1).and_then(|t| t.squeeze(1)).map_err(err)?,
        };
        let pooled = if self.normalize {
            let norm = pooled
                .sqr()
                .and_then(|s| s.sum_keepdim(D::Minus1))
                .and_then(|s| s.sqrt())
                .and_then(|s| s.clamp(1e-12f32, f32::MAX))
                .map_err(err)?;
            pooled.broadcast_div(&norm).map_err(err)?
        } else {
            pooled
        };
        pooled.to_vec2::<f32>().map_err(err)
    }

    /// The bias added to every layer's scores, `[heads, len, len]`, from `j − i` buckets.
    fn position_bias(&self, len: usize) -> Vec<f32> {
        let mut out = vec![0f32; HEADS * len * len];
        for i in 0..len {
            for j in 0..len {
                let bucket = relative_position_bucket(j as i64 - i as i64);
                for hd in 0..HEADS {
                    out[(hd * len + i) * len + j] = self.rel_bias[bucket * HEADS + hd];
                }
            }
        }
        out
    }
}

/// T5's bidirectional bucket of a relative position (32 buckets, max distance 128), computed
/// in f32 as the reference does (`log(n / 8) / log(16) * 8`, truncated).
pub fn relative_position_bucket(rel: i64) -> usize {
    let half = BUCKETS / 2;
    let mut ret = if rel > 0 { half } else { 0 };
    let n = rel.unsigned_abs() as usize;
    let max_exact = half / 2;
    if n < max_exact {
        ret += n;
    } else {
        let ratio = (n as f32 / max_exact as f32).ln()
            / ((MAX_DISTANCE as f64 / max_exact as f64).ln() as f32);
        let large = max_exact + (ratio * (half - max_exact) as f32) as usize;
        ret += large.min(half - 1);
    }
    ret
}

fn pooling_of(dir: &Path) -> Result<(Pooling, bool), EncoderError> {
    let modules = read_json(&dir.join("modules.json")).ok();
    let mut normalize = true;
    let mut pool_dir = dir.join("1_Pooling");
    if let Some(serde_json::Value::Array(mods)) = &modules {
        normalize = mods
            .iter()
            .any(|m| m["type"].as_str().is_some_and(|t| t.ends_with("Normalize")));
        if let Some(p) = mods
            .iter()
            .find(|m| m["type"].as_str().is_some_and(|t| t.ends_with("Pooling")))
        {
            pool_dir = dir.join(p["path"].as_str().unwrap_or("1_Pooling"));
        }
    }
    let pooling = match read_json(&pool_dir.join("config.json")) {
        Ok(c) if c["pooling_mode_cls_token"].as_bool() == Some(true) => Pooling::Cls,
        Ok(c) if c["pooling_mode_mean_tokens"].as_bool() == Some(false) => {
            return Err(err(format!(
                "{}: only mean or CLS pooling is supported",
                pool_dir.display()
            )))
        }
        _ => Pooling::Mean,
    };
    Ok((pooling, normalize))
}

impl Encoder for MpnetEncoder {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<_, _>>()?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); ids.len()];
        let mut start = 0;
        while start < order.len() {
            let len = ids[order[start]].len().max(1);
            let per_batch = (BATCH_TOKENS / len).max(1);
            let mut end = start;
            while end < order.len() && ids[order[end]].len() == len && end - start < per_batch {
                end += 1;
            }
            let end = end.max(start + 1);
            let batch: Vec<Vec<u32>> = order[start..end].iter().map(|&i| ids[i].clone()).collect();
            let vecs = self.forward(&batch)?;
            for (&i, v) in order[start..end].iter().zip(vecs) {
                out[i] = v;
            }
            start = end;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::relative_position_bucket as bucket;

    #[test]
    fn buckets_match_the_reference_table() {
        let table: &[(i64, i64, usize)] = &[
            (-1000, -91, 15),
            (-90, -64, 14),
            (-63, -46, 13),
            (-45, -32, 12),
            (-31, -23, 11),
            (-22, -16, 10),
            (-15, -12, 9),
            (-11, -8, 8),
            (0, 0, 0),
            (8, 11, 24),
            (12, 15, 25),
            (16, 22, 26),
            (23, 31, 27),
            (32, 45, 28),
            (46, 63, 29),
            (64, 90, 30),
            (91, 1000, 31),
        ];
        for &(lo, hi, b) in table {
            for r in lo..=hi {
                assert_eq!(bucket(r), b, "relative position {r}");
            }
        }
        for r in 1..=7 {
            assert_eq!(bucket(-r), r as usize);
            assert_eq!(bucket(r), 16 + r as usize);
        }
    }
}
