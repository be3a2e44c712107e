//! `wfc expand`: the LLM-backed data pipeline. `annotate` documents real shortcuts,
//! `queries` invents requests over sampled APIs, `generate` writes (and repairs) programs
//! for them. Every stage reads and writes JSONL records of the shared schema
//! ([`record::Record`]), appends its output record by record, and skips on restart the
//! ids its output already holds. See `docs/expand.md`.

pub mod annotate;
pub mod apply;
pub mod generate;
pub mod minhash;
pub mod queries;
pub mod record;
pub mod verify;

use crate::catalog::Catalog;
use crate::llm::{Client, LlmError, Message, Request, Response};
use futures_util::StreamExt;
use record::Record;
use serde_json::Value;
use std::cell::Cell;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExpandError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("template {0}: {1}")]
    Template(String, String),
    #[error(transparent)]
    Llm(#[from] LlmError),
}

/// The built-in templates, one per stage (and one per stage's repair turn).
pub const BUILTIN_TEMPLATES: [(&str, &str); 6] = [
    ("annotate", include_str!("../../templates/annotate.j2")),
    (
        "annotate_repair",
        include_str!("../../templates/annotate_repair.j2"),
    ),
    ("queries", include_str!("../../templates/queries.j2")),
    ("generate", include_str!("../../templates/generate.j2")),
    (
        "generate_repair",
        include_str!("../../templates/generate_repair.j2"),
    ),
    ("refine", include_str!("../../templates/refine.j2")),
];

/// The stage's templates, with overrides from files.
pub struct Templates {
    env: minijinja::Environment<'static>,
    hashes: std::collections::HashMap<String, String>,
}

fn short_hash(s: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(s.as_bytes());
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

impl Templates {
    /// The built-ins, with `overrides` (name → file) replacing some.
    pub fn load(overrides: &[(String, PathBuf)]) -> Result<Self, ExpandError> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        let mut hashes = std::collections::HashMap::new();
        for (name, src) in BUILTIN_TEMPLATES {
            let src = match overrides.iter().find(|(n, _)| n == name) {
                Some((_, path)) => std::fs::read_to_string(path)
                    .map_err(|e| ExpandError::Io(path.display().to_string(), e))?,
                None => src.to_string(),
            };
            hashes.insert(name.to_string(), short_hash(&src));
            env.add_template_owned(name.to_string(), src)
                .map_err(|e| ExpandError::Template(name.into(), e.to_string()))?;
        }
        Ok(Templates { env, hashes })
    }

    pub fn hash(&self, name: &str) -> Option<String> {
        self.hashes.get(name).cloned()
    }

    /// Renders a template into messages: a line `@@system` or `@@user` starts a message
    /// of that role (text before any marker is a user message).
    pub fn messages(&self, name: &str, ctx: &Value) -> Result<Vec<Message>, String> {
        let t = self.env.get_template(name).map_err(|e| e.to_string())?;
        let text = t.render(ctx).map_err(|e| e.to_string())?;
        let mut out: Vec<Message> = Vec::new();
        let mut role = "user";
        let mut buf = String::new();
        let flush = |role: &str, buf: &mut String, out: &mut Vec<Message>| {
            let t = buf.trim();
            if !t.is_empty() {
                out.push(Message {
                    role: role.into(),
                    content: t.to_string(),
                });
            }
            buf.clear();
        };
        for line in text.split_inclusive('\n') {
            match line.trim_end() {
                "@@system" | "@@user" => {
                    flush(role, &mut buf, &mut out);
                    role = if line.trim_end() == "@@system" {
                        "system"
                    } else {
                        "user"
                    };
                }
                _ => buf.push_str(line),
            }
        }
        flush(role, &mut buf, &mut out);
        Ok(out)
    }
}

/// Documentation of one API as models see it: the catalog's Python stub (types, real
/// defaults, enum values, description), or a note that the catalog does not know it.
pub fn api_doc(catalog: &Catalog, id: &str) -> String {
    match catalog.lookup_action(id) {
        Some(a) => crate::catalog::export::python_stub(&a),
        None => format!(
            "def {}(**kwargs) -> Any:\n    \"\"\"{id} (not in the catalog)\"\"\"\n",
            crate::catalog::python_name(id)
        ),
    }
}

pub fn api_docs(catalog: &Catalog, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .map(|id| serde_json::json!({"id": id, "doc": api_doc(catalog, id)}))
        .collect()
}

/// What a stage does with one record.
pub enum Outcome {
    Write(Box<Record>),
    /// Its request went to the batch file; the record is finished by a later run.
    Deferred,
    /// `--dry-run`: the prompt was printed.
    Printed,
    /// Dropped on purpose (a near-duplicate query), with why.
    Dropped(String),
}

/// Settings every stage shares.
pub struct Ctx<'c> {
    pub client: Client,
    pub catalog: &'c Catalog,
    pub checker: crate::check::Checker<'c>,
    pub templates: Templates,
    pub max_repairs: u32,
    pub dry_run: bool,
    pub model: String,
    pub seed: Option<u64>,
    pub repairs: Cell<u64>,
    pub repaired_ok: Cell<u64>,
    pub failures: Cell<u64>,
    /// Verdicts of first answers and of final programs (generate).
    pub verdicts: std::cell::RefCell<std::collections::BTreeMap<String, u64>>,
}

impl Ctx<'_> {
    pub fn count_verdict(&self, first: bool, v: &str) {
        let k = format!("{}:{v}", if first { "first" } else { "final" });
        *self.verdicts.borrow_mut().entry(k).or_insert(0) += 1;
    }

    /// One model call for record `id`'s `n`-th request (tags: `id`, `id~1`, ...).
    pub async fn call(
        &self,
        id: &str,
        n: u32,
        messages: &[Message],
        schema: Option<(&str, Value)>,
    ) -> Result<Response, LlmError> {
        let tag = if n == 0 {
            id.to_string()
        } else {
            format!("{id}~{n}")
        };
        let mut req = Request::new(tag, messages.to_vec());
        req.schema = schema.map(|(n, s)| (n.to_string(), s));
        self.client.chat(req).await
    }

    /// Prints rendered messages (`--dry-run`).
    pub fn print_prompt(&self, id: &str, messages: &[Message]) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "=== {id}");
        for m in messages {
            let _ = writeln!(out, "--- {}\n{}", m.role, m.content);
        }
    }
}

/// The output of a stage, appended to record by record.
pub struct Output {
    file: std::fs::File,
    pub done: HashSet<String>,
    /// Records the output held when the stage started.
    pub existing: usize,
    /// Bytes of a torn last line that were cut off.
    pub torn: usize,
}

impl Output {
    /// Opens `path` for appending, reading the ids it already holds (each existing record
    /// is also passed to `seen`). A trailing partial line (a run killed mid-write) is cut
    /// off, so its record is done again.
    pub fn open(path: &Path, mut seen: impl FnMut(&Record)) -> Result<Self, ExpandError> {
        let io = |e| ExpandError::Io(path.display().to_string(), e);
        let mut done = HashSet::new();
        let mut existing = 0;
        let mut torn = 0;
        if path.exists() {
            let f = std::fs::File::open(path).map_err(io)?;
            let mut r = std::io::BufReader::new(f);
            let mut good: u64 = 0;
            let mut line = String::new();
            loop {
                line.clear();
                let n = r.read_line(&mut line).map_err(io)?;
                if n == 0 {
                    break;
                }
                if !line.ends_with('\n') {
                    torn = n;
                    break;
                }
                good += n as u64;
                if let Ok(rec) = serde_json::from_str::<Record>(&line) {
                    seen(&rec);
                    done.insert(rec.id);
                    existing += 1;
                }
            }
            if torn > 0 {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(io)?;
                f.set_len(good).map_err(io)?;
            }
        } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(Output {
            file,
            done,
            existing,
            torn,
        })
    }

    /// Appends one record as one `write` of a whole line.
    pub fn write(&mut self, rec: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_string(rec).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.done.insert(rec.id.clone());
        Ok(())
    }
}

/// `--shard I/N`: is this id in shard `i` of `n`?
pub fn in_shard(id: &str, shard: Option<(u64, u64)>) -> bool {
    match shard {
        Some((i, n)) if n > 0 => record::fnv64(id.as_bytes()) % n == i,
        _ => true,
    }
}

/// Input records, streamed: each line read when the stage asks for the next one. A line
/// that is not a record becomes a record holding the reason.
pub fn read_records(path: &Path) -> Result<impl Iterator<Item = Record>, ExpandError> {
    let f =
        std::fs::File::open(path).map_err(|e| ExpandError::Io(path.display().to_string(), e))?;
    let src = path.display().to_string();
    Ok(std::io::BufReader::new(f)
        .lines()
        .enumerate()
        .filter_map(move |(i, l)| match l {
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(Record::from_input(&l, i + 1).unwrap_or_else(|e| Record {
                id: format!("line-{}", i + 1),
                error: Some(format!("{src}:{}: {e}", i + 1)),
                ..Record::default()
            })),
            Err(e) => Some(Record {
                id: format!("line-{}", i + 1),
                error: Some(format!("{src}:{}: {e}", i + 1)),
                ..Record::default()
            }),
        }))
}

/// Counts of a stage run.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub stage: String,
    pub skipped_done: usize,
    pub written: usize,
    pub failed: usize,
    pub deferred: usize,
    pub dropped: usize,
    pub printed: usize,
    pub repairs: u64,
    pub repaired_ok: u64,
    pub torn_lines_redone: usize,
    pub verdicts: std::collections::BTreeMap<String, u64>,
    pub llm: crate::llm::StatsSnapshot,
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = &self.llm;
        write!(
            f,
            "{}: {} written ({} with errors), {} already done, {} deferred to batch, {} dropped; \
             {} requests ({} cache hits, {} batch answers, {} retries, {} failed), {} repair rounds \
             ({} records fixed), {} + {} tokens, ${:.4}, {:.1}s",
            self.stage,
            self.written,
            self.failed,
            self.skipped_done,
            self.deferred,
            self.dropped,
            l.requests,
            l.cache_hits,
            l.batch_hits,
            l.retries,
            l.failures,
            self.repairs,
            self.repaired_ok,
            l.prompt_tokens,
            l.completion_tokens,
            l.cost,
            self.seconds
        )
    }
}

/// Runs `f` over `inputs` with `concurrency` records in flight, writing each outcome as it
/// comes. `ordered`: write in input order (the queries stage, whose duplicate filter must
/// see records in a fixed order); otherwise in completion order. `on_write` may veto a
/// record (returns why).
#[allow(clippy::too_many_arguments)]
pub async fn drive<I, F, Fut>(
    ctx: &Ctx<'_>,
    stage: &str,
    inputs: I,
    total: Option<u64>,
    concurrency: usize,
    ordered: bool,
    out: &mut Output,
    mut on_write: impl FnMut(&Record) -> Option<String>,
    f: F,
) -> Result<Summary, ExpandError>
where
    I: Iterator<Item = Record>,
    F: Fn(Record) -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let t0 = std::time::Instant::now();
    let mut sum = Summary {
        stage: stage.to_string(),
        torn_lines_redone: usize::from(out.torn > 0),
        ..Summary::default()
    };
    let done = out.done.clone();
    let skipped = Cell::new(0usize);
    let todo = inputs.filter(|r| {
        let d = done.contains(&r.id);
        skipped.set(skipped.get() + usize::from(d));
        !d
    });
    let bar = progress(total, ctx.dry_run);
    let futs = futures_util::stream::iter(todo.map(&f));
    let mut consume = |o: Outcome| -> Result<(), ExpandError> {
        match o {
            Outcome::Write(rec) => {
                if on_write(&rec).is_some() {
                    sum.dropped += 1;
                } else {
                    if rec.error.is_some() {
                        sum.failed += 1;
                    }
                    out.write(&rec)
                        .map_err(|e| ExpandError::Io("output".into(), e))?;
                    sum.written += 1;
                }
            }
            Outcome::Deferred => sum.deferred += 1,
            Outcome::Printed => sum.printed += 1,
            Outcome::Dropped(_) => sum.dropped += 1,
        }
        bar.inc(1);
        let s = ctx.client.snapshot();
        let secs = t0.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "{:.0} tok/s | hits {} | fail {} | repairs {} | ${:.4}",
            (s.prompt_tokens + s.completion_tokens) as f64 / secs,
            s.cache_hits,
            sum.failed,
            ctx.repairs.get(),
            s.cost
        ));
        Ok(())
    };
    if ordered {
        let mut st = std::pin::pin!(futs.buffered(concurrency.max(1)));
        while let Some(o) = st.next().await {
            consume(o)?;
        }
    } else {
        let mut st = std::pin::pin!(futs.buffer_unordered(concurrency.max(1)));
        while let Some(o) = st.next().await {
            consume(o)?;
        }
    }
    bar.finish_and_clear();
    sum.skipped_done = skipped.get();
    sum.repairs = ctx.repairs.get();
    sum.repaired_ok = ctx.repaired_ok.get();
    sum.llm = ctx.client.snapshot();
    sum.verdicts = ctx.verdicts.borrow().clone();
    sum.seconds = t0.elapsed().as_secs_f64();
    Ok(sum)
}

fn progress(total: Option<u64>, dry_run: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if dry_run || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} | {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// A failed record: the input's fields kept, the stage and reason set.
pub fn failed(mut rec: Record, stage: &str, ctx: &Ctx<'_>, reason: impl Into<String>) -> Outcome {
    ctx.failures.set(ctx.failures.get() + 1);
    rec.provenance.stage = stage.into();
    rec.provenance.model = Some(ctx.model.clone());
    rec.error = Some(reason.into());
    Outcome::Write(Box::new(rec))
}

/// What an LLM error means for the record: deferred, or a failure reason.
pub fn llm_outcome(e: LlmError) -> Result<Outcome, String> {
    match e {
        LlmError::Deferred => Ok(Outcome::Deferred),
        other => Err(format!("model call failed: {other}")),
    }
}
