//! The `wfc` command line: a thin layer over the library.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use wfc::convert::{self, Outcome};
use wfc::limits::Limits;

#[derive(Parser)]
#[command(
    name = "wfc",
    version,
    about = "Apple Shortcuts as WorkflowBench-style Python"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read shortcuts (any container, a directory, `-`, or an iCloud link) and print them.
    Convert {
        /// Files, directories (walked recursively), `-` for stdin, or iCloud share links.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Output: a directory for py/json (one file per input, mirroring the tree), a file
        /// for jsonl.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Py)]
        format: Format,
        /// Worker threads (default: all cores).
        #[arg(short, long)]
        jobs: Option<usize>,
    },
    /// Compile DSL source into a shortcut plist (binary by default).
    Compile {
        /// A `.py` file, or `-` for stdin.
        file: String,
        /// Output file (default: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write an XML plist instead of a binary one.
        #[arg(long)]
        xml: bool,
        /// Derive UUIDs from the source, so the same source gives the same bytes.
        #[arg(long)]
        deterministic_uuids: bool,
    },
    /// Re-print DSL files canonically.
    Fmt {
        #[arg(required = true)]
        files: Vec<String>,
        /// Only check: exit 1 if a file is not canonical.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Py,
    Json,
    Jsonl,
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Convert {
            paths,
            output,
            format,
            jobs,
        } => convert_cmd(&paths, output.as_deref(), format, jobs),
        Command::Compile {
            file,
            output,
            xml,
            deterministic_uuids,
        } => compile_cmd(&file, output.as_deref(), xml, deterministic_uuids),
        Command::Fmt { files, check } => fmt_cmd(&files, check),
    }
}

fn read_source(file: &str) -> Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
    }
}

/// Parses a DSL file, printing its diagnostics; `None` when it has errors.
fn parse_file(file: &str, src: &str, opts: wfc::dsl::ParseOptions) -> Option<wfc::ir::Workflow> {
    match wfc::dsl::parse(src, opts) {
        Ok(wf) => Some(wf),
        Err(diags) => {
            for d in &diags {
                eprintln!("{}", d.render(file, src));
            }
            eprintln!(
                "{file}: {} error{}",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            );
            None
        }
    }
}

fn compile_cmd(file: &str, output: Option<&Path>, xml: bool, deterministic: bool) -> Result<i32> {
    let src = read_source(file)?;
    let opts = wfc::dsl::ParseOptions {
        deterministic_uuids: deterministic,
        ..Default::default()
    };
    let Some(wf) = parse_file(file, &src, opts) else {
        return Ok(1);
    };
    let value = plist::Value::Dictionary(wfc::compile::compile(&wf));
    let mut bytes = Vec::new();
    if xml {
        value.to_writer_xml(&mut bytes)?;
    } else {
        value.to_writer_binary(&mut bytes)?;
    }
    match output {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(0)
}

fn fmt_cmd(files: &[String], check: bool) -> Result<i32> {
    let mut status = 0;
    for file in files {
        let src = read_source(file)?;
        let opts = wfc::dsl::ParseOptions {
            deterministic_uuids: true,
            ..Default::default()
        };
        let Some(wf) = parse_file(file, &src, opts) else {
            status = 1;
            continue;
        };
        let printed = wfc::dsl::print(&wf);
        if check {
            if printed != src {
                eprintln!("{file}: not canonical (run `wfc fmt {file}`)");
                status = 1;
            }
        } else if file == "-" {
            std::io::stdout().lock().write_all(printed.as_bytes())?;
        } else if printed != src {
            std::fs::write(file, printed).with_context(|| format!("writing {file}"))?;
        }
    }
    Ok(status)
}

fn convert_cmd(
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
    if outcomes.len() + walk_errors.len() > 1 || failed > 0 {
        let skipped = if skipped > 0 {
            format!(", {skipped} non-shortcut files skipped")
        } else {
            String::new()
        };
        eprintln!("{converted} converted, {failed} failed, {warnings} warnings{skipped}");
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn progress_bar(n: usize) -> indicatif::ProgressBar {
    if n < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
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
                    for o in outcomes {
                        let Some(text) = render(o) else { continue };
                        let mut target = dir.join(o.input.rel());
                        target.set_extension(ext);
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
