//! `wfc convert`: shortcuts in, programs (or IR, or JSONL records) out.

use super::progress_bar;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use wfc::convert::{self, Outcome};
use wfc::limits::Limits;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Py,
    Json,
    Jsonl,
}

pub(crate) fn convert_cmd(
    paths: &[String],
    output: Option<&Path>,
    format: Format,
    jobs: Option<usize>,
) -> Result<i32> {
    if let Some(j) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
            .context("setting up worker threads")?;
    }
    let (inputs, walk_errors, skipped) = convert::collect_inputs(paths);
    for (p, e) in &walk_errors {
        eprintln!("error: {p}: {e}");
    }
    if inputs.is_empty() && walk_errors.is_empty() {
        bail!("no shortcut files found in {}", paths.join(" "));
    }
    let limits = Limits::default();
    let bar = progress_bar(inputs.len());
    let outcomes: Vec<Outcome> = inputs
        .into_par_iter()
        .map(|i| {
            let o = convert::convert(i, &limits);
            bar.inc(1);
            o
        })
        .collect();
    bar.finish_and_clear();
    let before = outcomes.len();
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .filter(|o| !o.not_a_shortcut())
        .collect();
    let skipped = skipped + before - outcomes.len();

    let mut failed = walk_errors.len();
    let mut warnings = 0;
    for o in &outcomes {
        match &o.result {
            Ok((wf, _)) => {
                warnings += wf.warnings.len();
                for w in &wf.warnings {
                    eprintln!("warning: {}: {w}", o.input.display());
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", o.input.display());
            }
        }
    }
    write_outputs(&outcomes, output, format)?;
    let converted = outcomes.iter().filter(|o| o.result.is_ok()).count();
    if outcomes.len() + walk_errors.len() > 1 || failed > 0 || skipped > 0 {
        let skipped = if skipped > 0 {
            format!(", {skipped} non-shortcut files skipped")
        } else {
            String::new()
        };
        eprintln!("{converted} converted, {failed} failed, {warnings} warnings{skipped}");
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn write_outputs(outcomes: &[Outcome], output: Option<&Path>, format: Format) -> Result<()> {
    match format {
        Format::Jsonl => {
            let mut w: Box<dyn Write> = match output {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for o in outcomes {
                serde_json::to_writer(&mut w, &o.record())?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        Format::Py | Format::Json => {
            let ext = if format == Format::Py { "py" } else { "json" };
            let render = |o: &Outcome| -> Option<String> {
                let (wf, code) = o.result.as_ref().ok()?;
                Some(if format == Format::Py {
                    code.clone()
                } else {
                    serde_json::to_string_pretty(wf).expect("the IR serializes") + "\n"
                })
            };
            match output {
                Some(dir) => {
                    let rels: Vec<PathBuf> = outcomes.iter().map(|o| o.input.rel()).collect();
                    let paths = convert::output_paths(&rels, ext);
                    for (o, rel) in outcomes.iter().zip(paths) {
                        let Some(text) = render(o) else { continue };
                        let target = dir.join(rel);
                        if let Some(parent) = target.parent() {
                            std::fs::create_dir_all(parent)
                                .with_context(|| format!("creating {}", parent.display()))?;
                        }
                        std::fs::write(&target, text)
                            .with_context(|| format!("writing {}", target.display()))?;
                    }
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let many = outcomes.len() > 1;
                    for o in outcomes {
                        let Some(text) = render(o) else { continue };
                        if many && format == Format::Py {
                            writeln!(out, "# ==> {} <==", o.input.display())?;
                        }
                        out.write_all(text.as_bytes())?;
                    }
                    out.flush()?;
                }
            }
        }
    }
    Ok(())
}
