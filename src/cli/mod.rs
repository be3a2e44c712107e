//! The command groups of `wfc`, one file each; `main.rs` only parses and dispatches.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use wfc::catalog::Catalog;

pub mod catalog;
pub mod check;
pub mod convert;
pub mod eval;
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
        #[arg(long, value_enum, default_value_t = convert::Format::Py)]
        format: convert::Format,
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
    /// Check programs against the API catalog (exit 0 clean, 1 findings, 2 could not run).
    Check {
        /// A `.py` program, a `.jsonl` file of records (`annotated_code` or `code`), or a
        /// directory walked for both.
        path: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = check::CheckFormat::Text)]
        format: check::CheckFormat,
    },
    /// Build, query and export the API catalog.
    Catalog {
        #[command(subcommand)]
        cmd: catalog::CatalogCmd,
    },
    /// Evaluate predictions against references (T-Eval's PLAN F1, ...).
    Eval {
        #[command(subcommand)]
        cmd: eval::EvalCmd,
    },
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Convert {
            paths,
            output,
            format,
            jobs,
        } => convert::convert_cmd(&paths, output.as_deref(), format, jobs),
        Command::Compile {
            file,
            output,
            xml,
            deterministic_uuids,
        } => program::compile_cmd(&file, output.as_deref(), xml, deterministic_uuids),
        Command::Fmt { files, check } => program::fmt_cmd(&files, check),
        Command::Check {
            path,
            catalog,
            format,
        } => check::check_cmd(&path, catalog.as_deref(), format),
        Command::Catalog { cmd } => catalog::catalog_cmd(cmd),
        Command::Eval { cmd } => eval::eval_cmd(cmd),
    }
}

pub(crate) fn read_source(file: &str) -> Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
    }
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
