//! The command groups of `wfc`, one file each; `main.rs` only parses and dispatches.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use wfc::catalog::Catalog;

pub mod catalog;
pub mod check;
pub mod convert;
pub mod dataset;
pub mod eval;
pub mod eval_plan;
pub mod expand;
pub mod program;

#[derive(Parser)]
#[command(
    name = "wfc",
    version,
    about = "Apple Shortcuts as WorkflowBench-style Python"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Read shortcuts (any container, a directory, `-`, or an iCloud link) and print them.
    Convert {
        /// Files, directories (walked recursively), `-` for stdin, or iCloud share links.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Output: a directory for py/json (one file per input, mirroring the tree), a file
        /// for jsonl.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// `py`: the program; `json`: the IR; `jsonl`: one record per shortcut.
        #[arg(long, value_enum, default_value_t = convert::Format::Py)]
        format: convert::Format,
        /// Worker threads (default: all cores).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// Convert only the I-th of N shares of the inputs (0-based), chosen by a stable
        /// hash of each input's path below its root: N runs cover every input exactly once.
        #[arg(long, value_name = "I/N")]
        shard: Option<convert::Shard>,
        /// Name every file of a directory walk that is skipped as not a shortcut.
        #[arg(short, long)]
        verbose: bool,
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
    /// Re-print DSL files canonically, in place (each rewritten file is named on stderr).
    Fmt {
        /// `.py` files, directories (walked for `.py` files), or `-` (stdin to stdout).
        #[arg(required = true)]
        files: Vec<String>,
        /// Only check: exit 1 if a file is not canonical.
        #[arg(long)]
        check: bool,
        /// Print what would change as a diff, without writing; exit 1 if anything would.
        #[arg(long, conflicts_with = "check")]
        diff: bool,
    },
    /// Check programs against the API catalog (exit 0 clean, 1 findings, 2 could not run).
    Check {
        /// A `.py` program; a `.jsonl` file or a `.json` array of records holding programs
        /// (`annotated_code`, `code` or `workflow_code`); or a directory walked for all three.
        path: PathBuf,
        /// Catalog database (default: catalog.sqlite if present, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// `text`: findings as diagnostics and a summary; `json`: one report per program.
        #[arg(long, value_enum, default_value_t = check::CheckFormat::Text)]
        format: check::CheckFormat,
        /// The record field holding the program (default: the first of `annotated_code`,
        /// `code`, `workflow_code`).
        #[arg(long, value_name = "NAME")]
        field: Option<String>,
    },
    /// Build, query and export the API catalog.
    Catalog {
        #[command(subcommand)]
        cmd: catalog::CatalogCmd,
    },
    /// Evaluate programs and plans: CodeBLEU, pass verdicts, scoring reports, T-Eval PLAN F1.
    Eval {
        #[command(subcommand)]
        cmd: eval::EvalCmd,
    },
    /// The LLM-backed data pipeline: annotate real shortcuts, invent queries, generate
    /// and repair workflows (any OpenAI-compatible server; cached and resumable).
    Expand {
        #[command(subcommand)]
        cmd: Box<expand::ExpandCmd>,
    },
    /// Build WorkflowBench-format datasets: filter, deduplicate, split, statistics, export.
    Dataset {
        #[command(subcommand)]
        cmd: dataset::DatasetCmd,
    },
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Convert {
            paths,
            output,
            format,
            jobs,
            shard,
            verbose,
        } => convert::convert_cmd(convert::ConvertArgs {
            paths: &paths,
            output: output.as_deref(),
            format,
            jobs,
            shard,
            verbose,
        }),
        Command::Compile {
            file,
            output,
            xml,
            deterministic_uuids,
        } => program::compile_cmd(&file, output.as_deref(), xml, deterministic_uuids),
        Command::Fmt { files, check, diff } => program::fmt_cmd(&files, check, diff),
        Command::Check {
            path,
            catalog,
            format,
            field,
        } => check::check_cmd(&path, catalog.as_deref(), format, field.as_deref()),
        Command::Catalog { cmd } => catalog::catalog_cmd(cmd),
        Command::Eval { cmd } => eval::eval_cmd(cmd),
        Command::Expand { cmd } => expand::expand_cmd(*cmd),
        Command::Dataset { cmd } => dataset::dataset_cmd(cmd),
    }
}

pub(crate) fn read_source(file: &str) -> Result<String> {
    let bytes = if file == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).context("reading stdin")?;
        b
    } else {
        std::fs::read(file).with_context(|| format!("reading {file}"))?
    };
    String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!(utf8_error(file, e.as_bytes(), e.utf8_error())))
}

/// Where a source file stops being UTF-8, as `file:line:col`.
pub(crate) fn utf8_error(file: &str, bytes: &[u8], e: std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    let good = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let (line, col) = wfc::dsl::diag::line_col(good, good.len());
    format!(
        "{file}:{line}:{col}: not valid UTF-8 (byte 0x{:02X} at offset {at}); DSL sources must be UTF-8",
        bytes[at]
    )
}

/// `--catalog PATH`, else `catalog.sqlite` in the current directory, else the embedded one.
pub(crate) fn open_catalog(path: Option<&Path>) -> Result<Catalog> {
    let default = Path::new("catalog.sqlite");
    match path {
        Some(p) => Catalog::open(p).with_context(|| format!("opening {}", p.display())),
        None if default.exists() => Catalog::open(default).context("opening catalog.sqlite"),
        None => Ok(Catalog::embedded()?),
    }
}

pub(crate) fn progress_bar(n: usize) -> indicatif::ProgressBar {
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every argument of every command says what it is for in `--help`.
    #[test]
    fn every_flag_has_help_text() {
        let mut missing = Vec::new();
        let mut stack = vec![(String::from("wfc"), super::Cli::command())];
        while let Some((path, cmd)) = stack.pop() {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id != "help" && id != "version" && a.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                stack.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
        }
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
