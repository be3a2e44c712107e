//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod meaning;

use plist::Value as P;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `../shared`, or `None` (after printing why) when it is absent.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.join("corpus/manifest.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared not found");
        None
    }
}

/// Splits one manifest line. Fields containing quotes are quoted CSV-style (`"a ""b"""`).
pub fn split_tsv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if at_start && c == '"' {
            quoted = true;
            at_start = false;
            continue;
        }
        at_start = false;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '\t' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
        }
    }
    fields.push(cur);
    fields
}

/// One manifest row, by column name.
pub struct Row(pub HashMap<String, String>);

impl Row {
    pub fn get(&self, col: &str) -> &str {
        self.0
            .get(col)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("manifest has no {col} column"))
    }
}

pub fn manifest(shared: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(shared.join("corpus/manifest.tsv")).expect("read manifest");
    let mut lines = text.lines();
    let header = split_tsv(lines.next().expect("manifest header"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f = split_tsv(l);
            assert_eq!(f.len(), header.len(), "manifest row with wrong arity: {l}");
            Row(header.iter().cloned().zip(f).collect())
        })
        .collect()
}

/// The first difference between two plist values, dictionaries compared without regard to
/// key order; `None` when equal. The result names the key path, e.g.
/// `WFWorkflowActions[3].WFWorkflowActionParameters.UUID: missing`.
pub fn plist_diff(a: &P, b: &P) -> Option<String> {
    plist_diff_with(a, b, &|a, b| match (a, b) {
        // Reals compare by bits so that NaN equals itself and -0.0 differs from 0.0.
        (P::Real(x), P::Real(y)) => x.to_bits() == y.to_bits(),
        (P::Real(_), _) | (_, P::Real(_)) => false,
        _ => a == b,
    })
}

/// [`plist_diff`] with the equality of leaves (anything but arrays and dictionaries) given.
pub fn plist_diff_with(a: &P, b: &P, leaf_eq: &dyn Fn(&P, &P) -> bool) -> Option<String> {
    fn go(a: &P, b: &P, path: &mut String, leaf_eq: &dyn Fn(&P, &P) -> bool) -> Option<String> {
        match (a, b) {
            (P::Dictionary(x), P::Dictionary(y)) => {
                for (k, va) in x {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    let r = match y.get(k) {
                        None => Some(format!("{path}: only in the first")),
                        Some(vb) => go(va, vb, path, leaf_eq),
                    };
                    path.truncate(len);
                    if r.is_some() {
                        return r;
                    }
                }
                y.keys()
                    .find(|k| !x.contains_key(k))
                    .map(|k| format!("{path}.{k}: only in the second"))
            }
            (P::Array(x), P::Array(y)) => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let r = go(va, vb, path, leaf_eq);
                    path.truncate(len);
                    if r.is_some() {
                        return r;
                    }
                }
                (x.len() != y.len())
                    .then(|| format!("{path}: array length {} vs {}", x.len(), y.len()))
            }
            (P::Array(_) | P::Dictionary(_), _) | (_, P::Array(_) | P::Dictionary(_)) => {
                Some(format!("{path}: {} vs {}", short(a), short(b)))
            }
            _ if leaf_eq(a, b) => None,
            _ => Some(format!("{path}: {} vs {}", short(a), short(b))),
        }
    }
    go(a, b, &mut String::new(), leaf_eq)
}

/// A value's debug form, cut to a readable length.
fn short(v: &P) -> String {
    let s = format!("{v:?}");
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// Whether `python3` can be run.
pub fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Parses every program with CPython's `ast.parse` in one process. Returns, for each program
/// that fails, its index and the error.
pub fn python_parse_failures(programs: &[&str]) -> Vec<(usize, String)> {
    const SCRIPT: &str = r#"
import ast, json, sys
progs = json.load(sys.stdin)
bad = []
for i, p in enumerate(progs):
    try:
        ast.parse(p)
    except Exception as e:
        bad.append([i, f"{type(e).__name__}: {e}"])
json.dump(bad, sys.stdout)
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let input = serde_json::to_vec(programs).expect("programs serialize");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&input).expect("write to python3");
    }
    let out = child.wait_with_output().expect("python3 output");
    assert!(out.status.success(), "python3 failed");
    serde_json::from_slice(&out.stdout).expect("python3 printed JSON")
}
