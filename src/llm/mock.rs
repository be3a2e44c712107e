//! A chat-completions server on 127.0.0.1 for tests, benchmarks and demos: it answers from
//! a script (a function of the request body) after a fixed latency, and injects faults.
//!
//! Faults are decided by a hash of the request body, so they do not depend on timing or
//! on the order requests arrive in: a *transient* fault hits only the first attempt of a
//! body (the client's retry gets the answer), a *persistent* one (a truncated answer)
//! hits every attempt. Runs started twice against one server see the same answers.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a fault does to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// 429 with `Retry-After`.
    RateLimit,
    E500,
    E503,
    /// Answers only after [`Faults::slow_for`] (past the client's timeout).
    Slow,
    /// Closes the connection without answering.
    Drop,
    /// A 200 whose body is not JSON.
    MalformedJson,
    /// A 200 with `choices: []`.
    EmptyChoices,
}

pub const ALL_TRANSIENT: [Fault; 7] = [
    Fault::RateLimit,
    Fault::E500,
    Fault::E503,
    Fault::Slow,
    Fault::Drop,
    Fault::MalformedJson,
    Fault::EmptyChoices,
];

#[derive(Debug, Clone)]
pub struct Faults {
    /// Every answer waits this long.
    pub latency: Duration,
    /// Share of request bodies whose first attempt meets a transient fault.
    pub transient_rate: f64,
    /// The transient faults to choose from (by body hash).
    pub kinds: Vec<Fault>,
    /// Share of bodies always answered with `finish_reason: length` and half the text.
    pub truncate_rate: f64,
    /// `Retry-After` seconds sent with 429 (fractions allowed).
    pub retry_after: f64,
    pub slow_for: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency: Duration::ZERO,
            transient_rate: 0.0,
            kinds: ALL_TRANSIENT.to_vec(),
            truncate_rate: 0.0,
            retry_after: 0.05,
            slow_for: Duration::from_secs(3),
        }
    }
}

/// Counters of what the server did.
#[derive(Debug, Default)]
pub struct ServerStats {
    pub requests: AtomicU64,
    pub answered: AtomicU64,
    pub faults: AtomicU64,
    pub truncated: AtomicU64,
    by_kind: Mutex<HashMap<String, u64>>,
}

impl ServerStats {
    pub fn by_kind(&self) -> HashMap<String, u64> {
        self.by_kind.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

pub type Script = Arc<dyn Fn(&Value) -> String + Send + Sync>;

pub struct MockServer {
    pub addr: SocketAddr,
    pub stats: Arc<ServerStats>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// Starts the server on an ephemeral port in its own thread.
    pub fn start(script: Script, faults: Faults) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(ServerStats::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = stats.clone();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(_) => return,
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let shared = Arc::new(Shared {
                    script,
                    faults,
                    stats: st,
                    attempts: Mutex::new(HashMap::new()),
                });
                let accept = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = sock.set_nodelay(true);
                        tokio::spawn(serve(sock, shared.clone()));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = rx => {}
                }
            });
        });
        Ok(MockServer {
            addr,
            stats,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The base URL to give a client (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Shared {
    script: Script,
    faults: Faults,
    stats: Arc<ServerStats>,
    attempts: Mutex<HashMap<u64, u32>>,
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A uniform number in [0, 1) from a hash and a salt.
fn unit(h: u64, salt: u64) -> f64 {
    let x = fnv(&(h ^ salt.wrapping_mul(0x9e3779b97f4a7c15)).to_le_bytes());
    (x >> 11) as f64 / (1u64 << 53) as f64
}

async fn serve(mut sock: tokio::net::TcpStream, sh: Arc<Shared>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        // Headers.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 1 << 20 {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 8192];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf[head_end..head_end + len].to_vec();
        buf.drain(..head_end + len);
        sh.stats.requests.fetch_add(1, Ordering::Relaxed);
        let (status, extra, payload, close) = respond(&sh, &body).await;
        if close {
            return;
        }
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: keep-alive\r\n\r\n",
            payload.len()
        );
        if sock.write_all(resp.as_bytes()).await.is_err()
            || sock.write_all(payload.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

async fn respond(sh: &Shared, body: &[u8]) -> (&'static str, String, String, bool) {
    let f = &sh.faults;
    let h = fnv(body);
    let attempt = {
        let mut m = sh.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let a = m.entry(h).or_insert(0);
        *a += 1;
        *a
    };
    if !f.latency.is_zero() {
        tokio::time::sleep(f.latency).await;
    }
    let fault = (attempt == 1 && !f.kinds.is_empty() && unit(h, 1) < f.transient_rate)
        .then(|| f.kinds[(unit(h, 2) * f.kinds.len() as f64) as usize % f.kinds.len()]);
    if let Some(k) = fault {
        sh.stats.faults.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = sh.stats.by_kind.lock() {
            *m.entry(format!("{k:?}")).or_insert(0) += 1;
        }
        let e = |s: &'static str| {
            (
                s,
                String::new(),
                r#"{"error":{"message":"injected"}}"#.to_string(),
                false,
            )
        };
        match k {
            Fault::RateLimit => {
                return (
                    "429 Too Many Requests",
                    format!("retry-after: {}\r\n", f.retry_after),
                    r#"{"error":{"message":"rate limited"}}"#.into(),
                    false,
                )
            }
            Fault::E500 => return e("500 Internal Server Error"),
            Fault::E503 => return e("503 Service Unavailable"),
            Fault::Drop => return ("", String::new(), String::new(), true),
            Fault::MalformedJson => {
                return (
                    "200 OK",
                    String::new(),
                    r#"{"choices": [{"mess"#.into(),
                    false,
                )
            }
            Fault::EmptyChoices => {
                return (
                    "200 OK",
                    String::new(),
                    r#"{"object":"chat.completion","choices":[]}"#.into(),
                    false,
                )
            }
            Fault::Slow => tokio::time::sleep(f.slow_for).await,
        }
    }
    let req: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return (
                "400 Bad Request",
                String::new(),
                r#"{"error":{"message":"request is not JSON"}}"#.into(),
                false,
            )
        }
    };
    let (content, finish) = if f.truncate_rate > 0.0 && unit(h, 3) < f.truncate_rate {
        sh.stats.truncated.fetch_add(1, Ordering::Relaxed);
        let full = (sh.script)(&req);
        let cut: String = full.chars().take(full.chars().count() / 2).collect();
        (cut, "length")
    } else {
        ((sh.script)(&req), "stop")
    };
    sh.stats.answered.fetch_add(1, Ordering::Relaxed);
    (
        "200 OK",
        String::new(),
        completion_body(&req, &content, finish).to_string(),
        false,
    )
}

/// A chat-completions response body for `content` (usage estimated at 4 bytes a token).
pub fn completion_body(req: &Value, content: &str, finish_reason: &str) -> Value {
    let prompt_len: usize = req
        .get("messages")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("content").and_then(Value::as_str))
                .map(str::len)
                .sum()
        })
        .unwrap_or(0);
    let (pt, ct) = (prompt_len.div_ceil(4), content.len().div_ceil(4));
    json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "model": req.get("model").cloned().unwrap_or(Value::Null),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
    })
}
