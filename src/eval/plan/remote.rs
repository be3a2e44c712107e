//! An OpenAI-compatible `/v1/embeddings` backend (text-embeddings-inference, vLLM, Ollama…).

use super::encoder::{Encoder, EncoderError};
use std::time::Duration;

/// Texts per request: servers cap batch sizes (TEI's default is 32).
const BATCH: usize = 32;

pub struct RemoteEncoder {
    endpoint: String,
    model: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

fn err(e: impl std::fmt::Display) -> EncoderError {
    EncoderError::Remote(e.to_string())
}

/// `http://host:8080` and `http://host:8080/v1` mean `http://host:8080/v1/embeddings`; a URL
/// already ending in `/embeddings` is used as given.
pub fn endpoint_of(url: &str) -> String {
    let u = url.trim_end_matches('/');
    if u.ends_with("/embeddings") {
        u.to_string()
    } else if u.ends_with("/v1") {
        format!("{u}/embeddings")
    } else {
        format!("{u}/v1/embeddings")
    }
}

impl RemoteEncoder {
    pub fn new(url: &str, model: &str) -> Result<RemoteEncoder, EncoderError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(err)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(err)?;
        Ok(RemoteEncoder {
            endpoint: endpoint_of(url),
            model: model.to_string(),
            client,
            runtime,
        })
    }

    async fn batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let body = serde_json::json!({ "model": self.model, "input": texts });
        let resp = self
            .client
            .post(&self.endpoint)
            .json(&body)
            .send()
            .await
            .map_err(|e| err(format!("{}: {e}", self.endpoint)))?;
        let status = resp.status();
        let text = resp.text().await.map_err(err)?;
        if !status.is_success() {
            let snippet: String = text.chars().take(300).collect();
            return Err(err(format!("{}: HTTP {status}: {snippet}", self.endpoint)));
        }
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(format!("{}: {e}", self.endpoint)))?;
        let data = v["data"]
            .as_array()
            .ok_or_else(|| err(format!("{}: response has no `data` array", self.endpoint)))?;
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for (n, item) in data.iter().enumerate() {
            let idx = item["index"].as_u64().map_or(n, |i| i as usize);
            let emb = item["embedding"]
                .as_array()
                .ok_or_else(|| err("an item has no `embedding` array"))?
                .iter()
                .map(|x| x.as_f64().map(|f| f as f32))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| err("an embedding holds a non-number"))?;
            let slot = out
                .get_mut(idx)
                .ok_or_else(|| err(format!("index {idx} out of range")))?;
            *slot = Some(emb);
        }
        out.into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| err(format!("no embedding for input {i}"))))
            .collect()
    }
}

impl Encoder for RemoteEncoder {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            let v = self.runtime.block_on(self.batch(chunk))?;
            out.extend(v);
        }
        Ok(out)
    }
}
