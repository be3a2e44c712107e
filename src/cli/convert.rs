//! `wfc convert`: shortcuts in, programs (or IR, or JSONL records) out.
//!
//! Inputs are converted in parallel and written as they are produced, in input order,
//! behind a bounded reorder window (`convert::ordered_map`): memory holds a few inputs'
//! results at a time, whatever the size of the batch.

use super::progress_bar;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use std::io::Write;
use std::path::{Path, PathBuf};
use wfc::convert::{self, JsonlRecord, Planned, Step};
use wfc::limits::Limits;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Py,
    Json,
    Jsonl,
}

/// `--shard I/N`: the I-th (0-based) of N shares of the inputs.
#[derive(Clone, Copy, Debug)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not I/N (for example 0/4)"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("`{i}` is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: I must be below N, and N above 0"
            ));
        }
        Ok(Shard { index, count })
    }
}

pub(crate) struct ConvertArgs<'a> {
    pub paths: &'a [String],
    pub output: Option<&'a Path>,
    pub format: Format,
    pub jobs: Option<usize>,
    pub shard: Option<Shard>,
    pub verbose: bool,
}

/// What a worker hands the writer for one entry: its text, already rendered, so that the
/// IR is dropped on the worker.
struct Rendered {
    display: String,
    kind: Kind,
    /// The output bytes (a JSONL line, a program, pretty JSON), empty when none.
    bytes: Vec<u8>,
}

enum Kind {
    Converted { warnings: Vec<String> },
    Failed { error: String },
    Skipped,
}

pub(crate) fn convert_cmd(a: ConvertArgs) -> Result<i32> {
    let threads = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    // A path named on the command line that does not exist is a usage error (exit 2); it
    // is still reported as its input's error, and the batch goes on.
    let missing = a
        .paths
        .iter()
        .filter(|p| {
            *p != "-"
                && wfc::shortcut::icloud::parse_link(p).is_none()
                && std::fs::symlink_metadata(p).is_err()
        })
        .count();
    let mut planned = convert::plan_inputs(a.paths);
    if let Some(sh) = a.shard {
        planned.retain(|p| convert::in_shard(&p.shard_key(), sh.index, sh.count));
    }
    // Output paths below `-o DIR`, decided up front from the inputs' places.
    let targets: Vec<Option<PathBuf>> = match (a.output, a.format) {
        (Some(dir), Format::Py | Format::Json) => {
            let ext = if a.format == Format::Py { "py" } else { "json" };
            let rels: Vec<PathBuf> = planned
                .iter()
                .filter_map(|p| match p {
                    Planned::Input(i) => Some(i.rel()),
                    Planned::WalkError { .. } => None,
                })
                .collect();
            let mut paths = convert::output_paths(&rels, ext).into_iter();
            planned
                .iter()
                .map(|p| match p {
                    Planned::Input(_) => paths.next().map(|r| dir.join(r)),
                    Planned::WalkError { .. } => None,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let many = planned.len() > 1;
    let limits = Limits::default();
    let format = a.format;
    let work = |i: usize| render(&planned[i], &limits, format);

    let mut out: Box<dyn Write> = match (a.output, format) {
        (Some(p), Format::Jsonl) => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        (Some(_), _) => Box::new(std::io::sink()),
        (None, _) => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        )),
    };
    let bar = progress_bar(planned.len());
    let (mut converted, mut failed, mut warnings, mut skipped) = (0usize, 0usize, 0usize, 0usize);
    let verbose = a.verbose;
    let mut sink = |i: usize, r: Rendered| -> Result<()> {
        bar.inc(1);
        match &r.kind {
            Kind::Skipped => {
                skipped += 1;
                if verbose {
                    eprintln!("skipped (not a shortcut): {}", r.display);
                }
                return Ok(());
            }
            Kind::Failed { error } => {
                failed += 1;
                eprintln!("error: {}: {error}", r.display);
            }
            Kind::Converted { warnings: w } => {
                converted += 1;
                warnings += w.len();
                for w in w {
                    eprintln!("warning: {}: {w}", r.display);
                }
            }
        }
        if r.bytes.is_empty() {
            return Ok(());
        }
        match targets.get(i) {
            Some(Some(target)) => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                std::fs::write(target, &r.bytes)
                    .with_context(|| format!("writing {}", target.display()))?;
            }
            _ => {
                if many && format == Format::Py {
                    writeln!(out, "# ==> {} <==", r.display)?;
                }
                out.write_all(&r.bytes)?;
            }
        }
        Ok(())
    };
    convert::ordered_map(planned.len(), threads, 4 * threads, &work, &mut sink)?;
    out.flush()?;
    bar.finish_and_clear();
    if converted + failed == 0 {
        bail!("no shortcut files found in {}", a.paths.join(" "));
    }
    if converted + failed > 1 || failed > 0 || skipped > 0 {
        let skipped = if skipped > 0 {
            format!(", {skipped} non-shortcut files skipped")
        } else {
            String::new()
        };
        eprintln!("{converted} converted, {failed} failed, {warnings} warnings{skipped}");
    }
    Ok(if missing > 0 {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}

/// Converts one entry and renders its output in the requested format.
fn render(p: &Planned, limits: &Limits, format: Format) -> Rendered {
    match convert::convert_planned(p, limits) {
        Step::Skipped(display) => Rendered {
            display,
            kind: Kind::Skipped,
            bytes: Vec::new(),
        },
        Step::WalkError { path, error } => {
            let mut bytes = Vec::new();
            if format == Format::Jsonl {
                let name = Path::new(&path)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let rec = JsonlRecord {
                    path: path.clone(),
                    name,
                    code: None,
                    apis: Vec::new(),
                    n_actions: 0,
                    error: Some(error.clone()),
                };
                jsonl_line(&mut bytes, &rec);
            }
            Rendered {
                display: path,
                kind: Kind::Failed { error },
                bytes,
            }
        }
        Step::Converted(o) => {
            let display = o.input.display();
            let mut bytes = Vec::new();
            if format == Format::Jsonl {
                jsonl_line(&mut bytes, &o.record());
            }
            let kind = match o.result {
                Ok((wf, code)) => {
                    match format {
                        Format::Py => bytes = code.into_bytes(),
                        Format::Json => {
                            bytes = serde_json::to_vec_pretty(&wf).expect("the IR serializes");
                            bytes.push(b'\n');
                        }
                        Format::Jsonl => {}
                    }
                    Kind::Converted {
                        warnings: wf.warnings.iter().map(|w| w.to_string()).collect(),
                    }
                }
                Err(e) => Kind::Failed {
                    error: e.to_string(),
                },
            };
            Rendered {
                display,
                kind,
                bytes,
            }
        }
    }
}

fn jsonl_line(buf: &mut Vec<u8>, rec: &JsonlRecord) {
    serde_json::to_writer(&mut *buf, rec).expect("a record serializes");
    buf.push(b'\n');
}
