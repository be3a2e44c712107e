//! OpenAI Batch API files (also what `vllm run-batch` reads and writes).
//!
//! Requests: one line each, `{"custom_id", "method": "POST", "url": "/v1/chat/completions",
//! "body"}`. Results: `{"custom_id", "response": {"status_code", "body"}, "error"}`.

use super::LlmError;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::Path;

fn err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Batch(e.to_string())
}

/// Appends request lines; a request already in the file (by `custom_id`) is not written
/// twice, so a stage rerun with the same `--emit-batch` file only adds what is missing.
pub struct Emitter {
    file: std::fs::File,
    seen: HashSet<String>,
}

impl Emitter {
    pub fn open(path: &Path) -> Result<Self, LlmError> {
        let mut seen = HashSet::new();
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(err)?;
            let complete = text.rfind('\n').map_or(0, |i| i + 1);
            for line in text[..complete].lines() {
                if let Some(id) = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|v| v.get("custom_id")?.as_str().map(str::to_string))
                {
                    seen.insert(id);
                }
            }
            if complete < text.len() {
                // A torn last line from a killed run: cut it off.
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(err)?;
                f.set_len(complete as u64).map_err(err)?;
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        Ok(Emitter { file, seen })
    }

    pub fn emit(&mut self, custom_id: &str, body: &Value) -> Result<(), LlmError> {
        if !self.seen.insert(custom_id.to_string()) {
            return Ok(());
        }
        let line = json!({
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": body,
        });
        let mut s = line.to_string();
        s.push('\n');
        self.file.write_all(s.as_bytes()).map_err(err)
    }
}

/// The successful answers of a results file, by `custom_id`. Failed lines are left out, so
/// their requests are asked again (online, or into the next batch).
pub struct Results {
    by_id: HashMap<String, Value>,
    pub failed: usize,
}

impl Results {
    pub fn read(path: &Path) -> Result<Self, LlmError> {
        let f = std::fs::File::open(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        let mut by_id = HashMap::new();
        let mut failed = 0;
        for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(err)?;
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&line)
                .map_err(|e| err(format!("{}:{}: {e}", path.display(), n + 1)))?;
            let Some(id) = v.get("custom_id").and_then(Value::as_str) else {
                return Err(err(format!("{}:{}: no custom_id", path.display(), n + 1)));
            };
            let status = v.pointer("/response/status_code").and_then(Value::as_u64);
            let has_error = v.get("error").is_some_and(|e| !e.is_null());
            match v.pointer("/response/body") {
                Some(body) if !has_error && status.unwrap_or(200) == 200 => {
                    by_id.insert(id.to_string(), body.clone());
                }
                _ => failed += 1,
            }
        }
        Ok(Results { by_id, failed })
    }

    pub fn get(&self, custom_id: &str) -> Option<&Value> {
        self.by_id.get(custom_id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Answers a requests file with `answer` (request body → response body) into a results
/// file: what a batch endpoint does, for tests and for offline runs through any function.
pub fn answer_file(
    requests: &Path,
    results: &Path,
    mut answer: impl FnMut(&Value) -> Value,
) -> Result<usize, LlmError> {
    let text = std::fs::read_to_string(requests).map_err(err)?;
    let mut out = String::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).map_err(err)?;
        let id = v.get("custom_id").cloned().unwrap_or(Value::Null);
        let body = answer(v.get("body").unwrap_or(&Value::Null));
        out.push_str(
            &json!({"id": format!("batch_req_{n}"), "custom_id": id,
                    "response": {"status_code": 200, "body": body}, "error": null})
            .to_string(),
        );
        out.push('\n');
        n += 1;
    }
    std::fs::write(results, out).map_err(err)?;
    Ok(n)
}
