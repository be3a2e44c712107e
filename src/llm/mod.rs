//! A client for OpenAI-compatible chat completions (vLLM, Ollama, llama.cpp's server,
//! hosted APIs), with a response cache, retries, usage accounting and batch files.
//!
//! ```no_run
//! # async fn f() -> Result<(), wfc::llm::LlmError> {
//! use wfc::llm::{Client, Config, Message, Request};
//! let client = Client::new(Config::new("http://127.0.0.1:8000/v1", "my-model"))?;
//! let r = client.chat(Request::new("rec-1", vec![Message::user("Hello")])).await?;
//! println!("{}", r.content);
//! # Ok(()) }
//! ```
//!
//! Every stage that talks to a model (expand, and later eval's judge) goes through
//! [`Client::chat`]: the cache, the batch files and the retry policy are inside it, so a
//! stage only builds requests and reads answers.

pub mod batch;
pub mod cache;
pub mod json;
pub mod mock;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a chat request gave no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("malformed response: {0}")]
    Malformed(String),
    #[error("response has no choices")]
    EmptyChoices,
    /// The answer hit `max_tokens` (`finish_reason: length`); the partial text is kept.
    #[error("answer truncated (finish_reason: length) after {} characters", .0.len())]
    Truncated(String),
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted { attempts: u32, last: Box<LlmError> },
    /// The request went to the batch file (`--emit-batch`) instead of a server.
    #[error("deferred to the batch file")]
    Deferred,
    #[error("no server configured and the answer is neither cached nor in the batch results")]
    Offline,
    #[error("cache: {0}")]
    Cache(String),
    #[error("client setup: {0}")]
    Setup(String),
    #[error("batch file: {0}")]
    Batch(String),
}

impl LlmError {
    /// Worth another attempt: rate limits, server errors, timeouts, dropped connections and
    /// garbled bodies (a proxy hiccup), but not client errors or a truncated answer.
    pub fn retryable(&self) -> bool {
        match self {
            LlmError::Http { status, .. } => *status == 429 || *status == 408 || *status >= 500,
            LlmError::Timeout(_)
            | LlmError::Connection(_)
            | LlmError::Malformed(_)
            | LlmError::EmptyChoices => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn system(s: impl Into<String>) -> Self {
        Message {
            role: "system".into(),
            content: s.into(),
        }
    }
    pub fn user(s: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: s.into(),
        }
    }
    pub fn assistant(s: impl Into<String>) -> Self {
        Message {
            role: "assistant".into(),
            content: s.into(),
        }
    }
}

/// How to ask for JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    /// `response_format: {type: json_schema, ...}` (vLLM, llama.cpp, Ollama, OpenAI).
    #[default]
    Schema,
    /// `response_format: {type: json_object}`.
    Json,
    /// Nothing: the answer is parsed from text (fenced JSON fallback).
    None,
}

/// Everything about the endpoint and sampling. The API key is read by the caller (from
/// `OPENAI_API_KEY`) and is never logged, hashed into cache keys, or written anywhere.
#[derive(Clone)]
pub struct Config {
    /// Base URL up to and including `/v1` (`/chat/completions` is appended). `None`: no
    /// server, answers come only from the cache or batch results.
    pub base_url: Option<String>,
    pub model: String,
    pub api_key: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
    pub response_format: ResponseFormat,
    /// Per HTTP attempt.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Attempts after the first.
    pub max_retries: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// SQLite response cache; `None` disables it.
    pub cache: Option<std::path::PathBuf>,
    /// Write uncached requests here instead of calling (`--emit-batch`).
    pub emit_batch: Option<std::path::PathBuf>,
    /// Answers from a Batch API results file (`--ingest-batch`).
    pub ingest_batch: Option<std::path::PathBuf>,
    /// Dollars per million prompt / completion tokens.
    pub price_in: f64,
    pub price_out: f64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("temperature", &self.temperature)
            .field("seed", &self.seed)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn new(base_url: &str, model: &str) -> Self {
        Config {
            base_url: Some(base_url.trim_end_matches('/').to_string()),
            model: model.to_string(),
            api_key: None,
            temperature: None,
            top_p: None,
            max_tokens: None,
            seed: None,
            response_format: ResponseFormat::default(),
            timeout: Duration::from_secs(120),
            concurrency: 8,
            max_retries: 6,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            cache: None,
            emit_batch: None,
            ingest_batch: None,
            price_in: 0.0,
            price_out: 0.0,
        }
    }
}

/// One chat request. `tag` names it in batch files (`custom_id`) and must be unique within
/// a run: stages use the record id, with `~N` for the record's N-th follow-up request.
#[derive(Debug, Clone)]
pub struct Request {
    pub tag: String,
    pub messages: Vec<Message>,
    /// A JSON schema the answer must follow (sent as `response_format` per the config).
    pub schema: Option<(String, Value)>,
}

impl Request {
    pub fn new(tag: impl Into<String>, messages: Vec<Message>) -> Self {
        Request {
            tag: tag.into(),
            messages,
            schema: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub content: String,
    pub finish_reason: Option<String>,
    pub usage: Usage,
    /// Answered from the cache or a batch results file, not the server.
    pub cached: bool,
}

/// Counters over a run; read any time (the progress bar does).
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub http_attempts: AtomicU64,
    pub retries: AtomicU64,
    pub failures: AtomicU64,
    pub cache_hits: AtomicU64,
    pub batch_hits: AtomicU64,
    pub deferred: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub completion_tokens: AtomicU64,
}

/// A snapshot of [`Stats`] with the cost worked out.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub http_attempts: u64,
    pub retries: u64,
    pub failures: u64,
    pub cache_hits: u64,
    pub batch_hits: u64,
    pub deferred: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost: f64,
}

pub struct Client {
    cfg: Config,
    http: reqwest::Client,
    url: Option<String>,
    cache: Option<cache::Cache>,
    batch_out: Option<Mutex<batch::Emitter>>,
    batch_in: Option<batch::Results>,
    sem: tokio::sync::Semaphore,
    pub stats: Arc<Stats>,
}

impl Client {
    pub fn new(cfg: Config) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .pool_max_idle_per_host(cfg.concurrency.max(1))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| LlmError::Setup(e.to_string()))?;
        let cache = match &cfg.cache {
            Some(p) => Some(cache::Cache::open(p)?),
            None => None,
        };
        let batch_out = match &cfg.emit_batch {
            Some(p) => Some(Mutex::new(batch::Emitter::open(p)?)),
            None => None,
        };
        let batch_in = match &cfg.ingest_batch {
            Some(p) => Some(batch::Results::read(p)?),
            None => None,
        };
        let url = cfg
            .base_url
            .as_ref()
            .map(|b| format!("{}/chat/completions", b.trim_end_matches('/')));
        Ok(Client {
            sem: tokio::sync::Semaphore::new(cfg.concurrency.max(1)),
            cfg,
            http,
            url,
            cache,
            batch_out,
            batch_in,
            stats: Arc::new(Stats::default()),
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The request body as sent (also the body of a batch line).
    pub fn body(&self, req: &Request) -> Value {
        let mut b = json!({ "model": self.cfg.model, "messages": req.messages });
        let m = b.as_object_mut().expect("object");
        if let Some(t) = self.cfg.temperature {
            m.insert("temperature".into(), json!(t));
        }
        if let Some(t) = self.cfg.top_p {
            m.insert("top_p".into(), json!(t));
        }
        if let Some(t) = self.cfg.max_tokens {
            m.insert("max_tokens".into(), json!(t));
        }
        if let Some(s) = self.cfg.seed {
            m.insert("seed".into(), json!(s));
        }
        if let Some((name, schema)) = &req.schema {
            match self.cfg.response_format {
                ResponseFormat::Schema => {
                    m.insert(
                        "response_format".into(),
                        json!({"type": "json_schema",
                               "json_schema": {"name": name, "schema": schema}}),
                    );
                }
                ResponseFormat::Json => {
                    m.insert("response_format".into(), json!({"type": "json_object"}));
                }
                ResponseFormat::None => {}
            }
        }
        b
    }

    /// The cache key: a hash of everything that decides the answer (model, messages,
    /// sampling, seed, response format) and nothing else (no URL, no key).
    pub fn cache_key(&self, body: &Value) -> String {
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(body).unwrap_or_default());
        let d = h.finalize();
        d.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let s = &self.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (pi, po) = (g(&s.prompt_tokens), g(&s.completion_tokens));
        StatsSnapshot {
            requests: g(&s.requests),
            http_attempts: g(&s.http_attempts),
            retries: g(&s.retries),
            failures: g(&s.failures),
            cache_hits: g(&s.cache_hits),
            batch_hits: g(&s.batch_hits),
            deferred: g(&s.deferred),
            prompt_tokens: pi,
            completion_tokens: po,
            cost: (pi as f64 * self.cfg.price_in + po as f64 * self.cfg.price_out) / 1e6,
        }
    }

    /// One chat completion: from the cache, else the batch results, else the batch file
    /// (deferred), else the server with retries. Answers are cached only when complete.
    pub async fn chat(&self, req: Request) -> Result<Response, LlmError> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let body = self.body(&req);
        let key = self.cache_key(&body);
        let out = self.answer(&req, &body, &key).await;
        match &out {
            Ok(r) => {
                self.stats
                    .prompt_tokens
                    .fetch_add(r.usage.prompt_tokens, Ordering::Relaxed);
                self.stats
                    .completion_tokens
                    .fetch_add(r.usage.completion_tokens, Ordering::Relaxed);
            }
            Err(LlmError::Deferred) => {}
            Err(_) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        out
    }

    async fn answer(&self, req: &Request, body: &Value, key: &str) -> Result<Response, LlmError> {
        if let Some(c) = &self.cache {
            if let Some(mut r) = c.get(key)? {
                self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                r.cached = true;
                // Cached answers cost nothing now.
                r.usage = Usage::default();
                return Ok(r);
            }
        }
        if let Some(b) = &self.batch_in {
            if let Some(res) = b.get(&req.tag) {
                self.stats.batch_hits.fetch_add(1, Ordering::Relaxed);
                let r = parse_completion(res).map(|mut r| {
                    r.cached = true;
                    r
                });
                return self.finish(key, r);
            }
        }
        if let Some(e) = &self.batch_out {
            e.lock()
                .map_err(|_| LlmError::Batch("emitter poisoned".into()))?
                .emit(&req.tag, body)?;
            self.stats.deferred.fetch_add(1, Ordering::Relaxed);
            return Err(LlmError::Deferred);
        }
        let Some(url) = &self.url else {
            return Err(LlmError::Offline);
        };
        let mut attempt = 0u32;
        loop {
            let (res, retry_after) = {
                let _permit = self
                    .sem
                    .acquire()
                    .await
                    .map_err(|_| LlmError::Setup("client closed".into()))?;
                self.stats.http_attempts.fetch_add(1, Ordering::Relaxed);
                self.attempt(url, body).await
            };
            let res = match res {
                Ok(v) => parse_completion(&v),
                Err(e) => Err(e),
            };
            match res {
                Err(e) if e.retryable() && attempt < self.cfg.max_retries => {
                    attempt += 1;
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(self.backoff(attempt, retry_after)).await;
                }
                Err(e) if e.retryable() => {
                    return Err(LlmError::Exhausted {
                        attempts: attempt + 1,
                        last: Box::new(e),
                    })
                }
                other => return self.finish(key, other),
            }
        }
    }

    fn finish(&self, key: &str, r: Result<Response, LlmError>) -> Result<Response, LlmError> {
        let r = r?;
        if r.finish_reason.as_deref() == Some("length") {
            return Err(LlmError::Truncated(r.content));
        }
        if let Some(c) = &self.cache {
            c.put(key, &r)?;
        }
        Ok(r)
    }

    /// Full jitter: a random wait up to `base·2^attempt` (capped); a server's
    /// `Retry-After` is a floor.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .cfg
            .backoff_base
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.cfg.backoff_max);
        let jitter = exp.mul_f64(fastrand::f64());
        match retry_after {
            Some(ra) => ra.min(Duration::from_secs(600)) + jitter / 4,
            None => jitter.max(Duration::from_millis(1)),
        }
    }

    async fn attempt(
        &self,
        url: &str,
        body: &Value,
    ) -> (Result<Value, LlmError>, Option<Duration>) {
        let mut rb = self.http.post(url).json(body);
        if let Some(k) = &self.cfg.api_key {
            rb = rb.bearer_auth(k);
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => return (Err(self.transport(e)), None),
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return (Err(self.transport(e)), retry_after),
        };
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            return (
                Err(LlmError::Http {
                    status: status.as_u16(),
                    body,
                }),
                retry_after,
            );
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => (Ok(v), None),
            Err(e) => (
                Err(LlmError::Malformed(format!("body is not JSON: {e}"))),
                None,
            ),
        }
    }

    fn transport(&self, e: reqwest::Error) -> LlmError {
        if e.is_timeout() {
            LlmError::Timeout(self.cfg.timeout)
        } else {
            // Never include the URL's credentials or headers: only the error's kind chain.
            let e = e.without_url();
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            LlmError::Connection(msg)
        }
    }
}

/// Reads a chat-completions response body.
pub fn parse_completion(v: &Value) -> Result<Response, LlmError> {
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(LlmError::Malformed(format!("server error object: {err}")));
    }
    let choices = v
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(|| LlmError::Malformed("no `choices` array".into()))?;
    let first = choices.first().ok_or(LlmError::EmptyChoices)?;
    let content = first
        .pointer("/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| LlmError::Malformed("choice has no message content".into()))?
        .to_string();
    let finish_reason = first
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    let usage = v
        .get("usage")
        .and_then(|u| serde_json::from_value::<Usage>(u.clone()).ok())
        .unwrap_or_default();
    Ok(Response {
        content,
        finish_reason,
        usage,
        cached: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_bodies() {
        let ok = json!({"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
                        "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}});
        let r = parse_completion(&ok).unwrap();
        assert_eq!(r.content, "hi");
        assert_eq!(r.usage.prompt_tokens, 3);
        assert!(matches!(
            parse_completion(&json!({"choices": []})),
            Err(LlmError::EmptyChoices)
        ));
        assert!(matches!(
            parse_completion(&json!({"foo": 1})),
            Err(LlmError::Malformed(_))
        ));
    }

    #[test]
    fn key_is_never_in_debug_output_or_cache_key() {
        let mut c = Config::new("http://127.0.0.1:1/v1", "m");
        c.api_key = Some("sk-secret-123".into());
        assert!(!format!("{c:?}").contains("sk-secret"));
        let client = Client::new(c).unwrap();
        let body = client.body(&Request::new("x", vec![Message::user("q")]));
        assert!(!body.to_string().contains("sk-secret"));
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let mut c = Config::new("http://127.0.0.1:1/v1", "m");
        c.backoff_base = Duration::from_millis(100);
        c.backoff_max = Duration::from_secs(2);
        let client = Client::new(c).unwrap();
        for a in 1..10 {
            assert!(client.backoff(a, None) <= Duration::from_secs(2));
        }
        assert!(client.backoff(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }
}
