//! What `wfc check` reads: DSL files, and datasets of records holding programs (JSONL,
//! JSON arrays, directories of either), one program per record.

use super::{verdict, Finding};
use std::io::BufRead;
use std::path::Path;

/// One program to check: its name (`file`, `file:line` for a JSONL record, `file[i]` for
/// an element of a JSON array) and source.
#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub src: String,
}

/// One thing a path holds: a program, or a record that could not be read as one.
#[derive(Debug, Clone)]
pub enum Entry {
    Program {
        program: Program,
        /// The record's place in its file (0-based), for records.
        index: Option<usize>,
        /// The record's `id` (or WorkflowBench's `key`), when it has one.
        id: Option<String>,
    },
    /// A malformed line, a record whose code is not a string, an unreadable file: this
    /// record's error; the others are still checked.
    Malformed {
        name: String,
        index: Option<usize>,
        error: String,
    },
}

/// Counts of a walk over inputs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Walk {
    /// Records without a program (no code field, or `null` there, as in `wfc convert`'s
    /// records of failed inputs).
    pub skipped: usize,
}

/// Record fields that hold a program, in order of preference.
const CODE_FIELDS: &[&str] = &["annotated_code", "code", "workflow_code"];

/// Calls `f` on every program `path` holds, in order, reading one file at a time (and a
/// JSONL file one line at a time):
/// - a `.jsonl` file holds one record per line;
/// - a `.json` file holds an array of records or one record;
/// - any other file is one DSL program;
/// - a directory is walked for `.py`, `.jsonl` and `.json` files.
///
/// A record's program is its `field`, else the first of `annotated_code`, `code` and
/// `workflow_code` it has. An error reading `path` itself is returned (the run could not
/// start); errors below it are `Entry::Malformed`.
pub fn for_each_program(
    path: &Path,
    field: Option<&str>,
    f: &mut dyn FnMut(Entry) -> std::io::Result<()>,
) -> std::io::Result<Walk> {
    let mut walk = Walk::default();
    if !path.is_dir() {
        read_file(path, field, &mut walk, f, true)?;
        return Ok(walk);
    }
    for e in walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
    {
        match e {
            Ok(e) => {
                let ext = e.path().extension().and_then(|x| x.to_str());
                if e.file_type().is_file() && matches!(ext, Some("py" | "jsonl" | "json")) {
                    read_file(e.path(), field, &mut walk, f, false)?;
                }
            }
            Err(e) => f(Entry::Malformed {
                name: e.path().unwrap_or(path).display().to_string(),
                index: None,
                error: e.to_string(),
            })?,
        }
    }
    Ok(walk)
}

/// All programs of `path` (see [`for_each_program`]) and the number of records skipped;
/// a malformed record is an error here.
pub fn collect_programs(path: &Path) -> std::io::Result<(Vec<Program>, usize)> {
    let mut out = Vec::new();
    let walk = for_each_program(path, None, &mut |e| match e {
        Entry::Program { program, .. } => {
            out.push(program);
            Ok(())
        }
        Entry::Malformed { name, error, .. } => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{name}: {error}"),
        )),
    })?;
    Ok((out, walk.skipped))
}

fn read_file(
    path: &Path,
    field: Option<&str>,
    walk: &mut Walk,
    f: &mut dyn FnMut(Entry) -> std::io::Result<()>,
    top: bool,
) -> std::io::Result<()> {
    let name = path.display().to_string();
    let ext = path.extension().and_then(|x| x.to_str());
    let failed = |e: std::io::Error| -> std::io::Result<Entry> {
        if top {
            Err(std::io::Error::new(e.kind(), format!("{name}: {e}")))
        } else {
            Ok(Entry::Malformed {
                name: name.clone(),
                index: None,
                error: e.to_string(),
            })
        }
    };
    match ext {
        Some("jsonl") => {
            let file = match std::fs::File::open(path) {
                Ok(file) => file,
                Err(e) => return f(failed(e)?),
            };
            let mut reader = std::io::BufReader::new(file);
            let mut line = String::new();
            let mut index = 0;
            for lineno in 1.. {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        f(Entry::Malformed {
                            name: format!("{name}:{lineno}"),
                            index: Some(index),
                            error: e.to_string(),
                        })?;
                        // The reader cannot resync after invalid UTF-8 reliably: stop.
                        break;
                    }
                }
                if line.trim().is_empty() {
                    continue;
                }
                let at = format!("{name}:{lineno}");
                let entry = match serde_json::from_str::<serde_json::Value>(&line) {
                    Ok(rec) => record(at, index, &rec, field, walk),
                    Err(e) => Some(Entry::Malformed {
                        name: at,
                        index: Some(index),
                        error: format!("not a JSON record: {e}"),
                    }),
                };
                index += 1;
                if let Some(entry) = entry {
                    f(entry)?;
                }
            }
            Ok(())
        }
        Some("json") => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return f(failed(e)?),
            };
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Array(items)) => {
                    drop(text);
                    for (i, rec) in items.iter().enumerate() {
                        if let Some(entry) = record(format!("{name}[{i}]"), i, rec, field, walk) {
                            f(entry)?;
                        }
                    }
                    Ok(())
                }
                Ok(rec) => match record(name.clone(), 0, &rec, field, walk) {
                    Some(Entry::Program { program, id, .. }) => f(Entry::Program {
                        program,
                        index: None,
                        id,
                    }),
                    Some(other) => f(other),
                    None => Ok(()),
                },
                Err(e) => f(Entry::Malformed {
                    name,
                    index: None,
                    error: format!("not JSON: {e}"),
                }),
            }
        }
        _ => match std::fs::read_to_string(path) {
            Ok(src) => f(Entry::Program {
                program: Program { name, src },
                index: None,
                id: None,
            }),
            Err(e) => f(failed(e)?),
        },
    }
}

/// The program of one record, `None` when it has none (counted as skipped).
fn record(
    name: String,
    index: usize,
    rec: &serde_json::Value,
    field: Option<&str>,
    walk: &mut Walk,
) -> Option<Entry> {
    let Some(obj) = rec.as_object() else {
        return Some(Entry::Malformed {
            name,
            index: Some(index),
            error: "a record must be a JSON object".into(),
        });
    };
    let id = ["id", "key"].iter().find_map(|k| match obj.get(*k)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let found = match field {
        Some(k) => obj.get(k).map(|v| (k, v)),
        None => CODE_FIELDS
            .iter()
            .find_map(|k| obj.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v))),
    };
    match found {
        None | Some((_, serde_json::Value::Null)) => {
            walk.skipped += 1;
            None
        }
        Some((_, serde_json::Value::String(src))) => Some(Entry::Program {
            program: Program {
                name,
                src: src.clone(),
            },
            index: Some(index),
            id,
        }),
        Some((k, other)) => Some(Entry::Malformed {
            name,
            index: Some(index),
            error: format!(
                "field `{k}` holds {}, not a program's text",
                match other {
                    serde_json::Value::Bool(_) => "a boolean",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Array(_) => "an array",
                    _ => "an object",
                }
            ),
        }),
    }
}

/// One line of `wfc check --format json`: the program's name, its record's index and id
/// (for records), the verdict and every finding.
pub fn json_report(program: &Program, findings: &[Finding]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let pos = f.position(&program.src);
            serde_json::json!({
                "kind": f.kind.name(),
                "severity": f.severity.name(),
                "message": f.message,
                "line": pos.map(|p| p.0),
                "column": pos.map(|p| p.1),
                "span": f.span.as_ref().map(|s| [s.start, s.end]),
                "help": f.help,
            })
        })
        .collect();
    serde_json::json!({
        "program": program.name,
        "verdict": verdict(findings),
        "findings": items,
    })
}

impl Entry {
    /// The entry's name in reports.
    pub fn name(&self) -> &str {
        match self {
            Entry::Program { program, .. } => &program.name,
            Entry::Malformed { name, .. } => name,
        }
    }
}
