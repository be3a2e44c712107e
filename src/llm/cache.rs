//! The response cache: SQLite in WAL mode, one row per request hash. Only complete answers
//! are stored, and only what the model said (never the API key, never the URL).

use super::{LlmError, Response, Usage};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

pub struct Cache {
    conn: Mutex<Connection>,
}

fn err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Cache(e.to_string())
}

impl Cache {
    pub fn open(path: &Path) -> Result<Self, LlmError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let conn = Connection::open(path).map_err(err)?;
        // WAL: several processes (a sharded job array on one disk) can share the cache.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS responses (
                key TEXT PRIMARY KEY,
                content TEXT NOT NULL,
                finish_reason TEXT,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL
            )",
        )
        .map_err(err)?;
        Ok(Cache {
            conn: Mutex::new(conn),
        })
    }

    pub fn get(&self, key: &str) -> Result<Option<Response>, LlmError> {
        let c = self.conn.lock().map_err(err)?;
        let mut stmt = c
            .prepare_cached(
                "SELECT content, finish_reason, prompt_tokens, completion_tokens
             FROM responses WHERE key = ?1",
            )
            .map_err(err)?;
        let r = stmt
            .query_row(params![key], |r| {
                Ok(Response {
                    content: r.get(0)?,
                    finish_reason: r.get(1)?,
                    usage: Usage {
                        prompt_tokens: r.get::<_, i64>(2)? as u64,
                        completion_tokens: r.get::<_, i64>(3)? as u64,
                    },
                    cached: true,
                })
            })
            .optional()
            .map_err(err);
        drop(stmt);
        r
    }

    pub fn put(&self, key: &str, r: &Response) -> Result<(), LlmError> {
        let c = self.conn.lock().map_err(err)?;
        c.prepare_cached(
            "INSERT OR REPLACE INTO responses
             (key, content, finish_reason, prompt_tokens, completion_tokens)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err)?
        .execute(params![
            key,
            r.content,
            r.finish_reason,
            r.usage.prompt_tokens as i64,
            r.usage.completion_tokens as i64
        ])
        .map_err(err)?;
        Ok(())
    }

    pub fn len(&self) -> Result<usize, LlmError> {
        let c = self.conn.lock().map_err(err)?;
        c.query_row("SELECT count(*) FROM responses", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(err)
    }

    pub fn is_empty(&self) -> Result<bool, LlmError> {
        Ok(self.len()? == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(&dir.path().join("sub/c.sqlite")).unwrap();
        assert!(c.get("k").unwrap().is_none());
        let r = Response {
            content: "answer".into(),
            finish_reason: Some("stop".into()),
            usage: Usage {
                prompt_tokens: 5,
                completion_tokens: 2,
            },
            cached: false,
        };
        c.put("k", &r).unwrap();
        let back = c.get("k").unwrap().unwrap();
        assert_eq!(back.content, "answer");
        assert_eq!(back.usage, r.usage);
        assert_eq!(c.len().unwrap(), 1);
    }
}
