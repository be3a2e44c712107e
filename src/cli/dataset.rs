//! `wfc dataset`: build, describe and export WorkflowBench-format datasets.

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use wfc::dataset::build::{self, BuildConfig, CatalogSource, CheckLevel};
use wfc::dataset::export::{self, TokenCounter};
use wfc::dataset::stats;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RepairKind {
    /// WorkflowBench's known defects (see docs/dataset.md).
    Workflowbench,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    /// `messages` with system, user and assistant turns.
    Chat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StatsFormat {
    Markdown,
    Json,
}

#[derive(Subcommand)]
pub enum DatasetCmd {
    /// Filter, repair, deduplicate and split records into a dataset directory.
    Build {
        /// Record files: wfc JSONL, `wfc convert --format jsonl` output, WorkflowBench's
        /// `data_samples.json` or released files, split key files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// API catalog (default: catalog.sqlite here, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Output directory (split files, rejected.jsonl, stats, plots, report.html).
        #[arg(short, long)]
        output: PathBuf,
        /// Seed of the ID and OOD splits.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Undo known defects of the given source's programs.
        #[arg(long, value_enum)]
        repair: Option<RepairKind>,
        /// Also write WorkflowBench's field names (`key`, `workflow_code`, `annotated_code`).
        #[arg(long)]
        workflowbench_names: bool,
        /// Checker findings that reject a record.
        #[arg(long, value_enum, default_value_t = CheckLevel::Error)]
        check_level: CheckLevel,
        /// Fewest actions a kept program may have.
        #[arg(long, default_value_t = 1)]
        min_actions: u32,
        /// Most actions a kept program may have.
        #[arg(long, default_value_t = 1000)]
        max_actions: u32,
        /// Most characters a kept program may have.
        #[arg(long, default_value_t = 100_000)]
        max_chars: usize,
        /// Share of each category's (non-OOD) records in test_id.
        #[arg(long, default_value_t = 0.1)]
        test_fraction: f64,
        /// Most records test_ood may take, as a share of all kept records.
        #[arg(long, default_value_t = 0.1)]
        ood_fraction: f64,
        /// Worker threads (default: all cores).
        #[arg(short, long)]
        jobs: Option<usize>,
    },
    /// Print Table 1 statistics of a dataset directory or any record file.
    Stats {
        /// A dataset directory or a record file.
        path: PathBuf,
        /// API catalog (default: catalog.sqlite here, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Undo known defects of the given source's programs first.
        #[arg(long, value_enum)]
        repair: Option<RepairKind>,
        /// Markdown table or JSON.
        #[arg(long, value_enum, default_value_t = StatsFormat::Markdown)]
        format: StatsFormat,
    },
    /// Write training records (chat format) from a dataset directory or a record file.
    Export {
        /// A dataset directory (its `--split` file is read) or a JSONL record file.
        path: PathBuf,
        /// Layout of the training records.
        #[arg(long, value_enum, default_value_t = ExportFormat::Chat)]
        format: ExportFormat,
        /// Which split file of a dataset directory to export (train, test_id, test_ood).
        #[arg(long, default_value = "train")]
        split: String,
        /// Output JSONL file.
        #[arg(short, long)]
        output: PathBuf,
        /// API catalog (default: catalog.sqlite here, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Drop (and count) records whose prompt + answer exceed N tokens.
        #[arg(long)]
        max_tokens: Option<usize>,
        /// A Hugging Face `tokenizer.json` to count tokens with (default: characters / 4).
        #[arg(long)]
        tokenizer: Option<PathBuf>,
    },
}

fn catalog_source(path: Option<&Path>) -> CatalogSource {
    let default = Path::new("catalog.sqlite");
    match path {
        Some(p) => CatalogSource::Path(p.to_path_buf()),
        None if default.exists() => CatalogSource::Path(default.to_path_buf()),
        None => CatalogSource::Embedded,
    }
}

pub(crate) fn dataset_cmd(cmd: DatasetCmd) -> Result<i32> {
    match cmd {
        DatasetCmd::Build {
            inputs,
            catalog,
            output,
            seed,
            repair,
            workflowbench_names,
            check_level,
            min_actions,
            max_actions,
            max_chars,
            test_fraction,
            ood_fraction,
            jobs,
        } => {
            for p in &inputs {
                if !p.exists() {
                    bail!("{}: no such file", p.display());
                }
            }
            let mut cfg = BuildConfig::default();
            cfg.filter.check_level = check_level;
            cfg.filter.min_actions = min_actions;
            cfg.filter.max_actions = max_actions;
            cfg.filter.max_chars = max_chars;
            cfg.split.seed = seed;
            cfg.split.test_fraction = test_fraction;
            cfg.split.ood_fraction = ood_fraction;
            cfg.repair_workflowbench = repair == Some(RepairKind::Workflowbench);
            cfg.workflowbench_names = workflowbench_names;
            cfg.jobs = jobs.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
            });
            let src = catalog_source(catalog.as_deref());
            let report = build::build(&inputs, &src, &output, &cfg)?;
            build::write_reports(&report, &output)?;
            print!("{}", build::summary_markdown(&report));
            eprintln!(
                "wrote {} (train/test_id/test_ood .jsonl, rejected.jsonl, split keys, stats.json, stats.md, report.html, plots/)",
                output.display()
            );
            Ok(0)
        }
        DatasetCmd::Stats {
            path,
            catalog,
            repair,
            format,
        } => {
            let cat = super::open_catalog(catalog.as_deref())?;
            let st = stats::stats_of_path(&path, &cat, repair.is_some())
                .with_context(|| format!("reading {}", path.display()))?;
            let mut out = std::io::stdout().lock();
            match format {
                StatsFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&st)?)?,
                StatsFormat::Markdown => {
                    writeln!(
                        out,
                        "{} records: {} parsed ({} after repair), {} do not parse, {} unreadable.\n",
                        st.records, st.parsed, st.repaired, st.unparsed, st.unreadable
                    )?;
                    let cols: Vec<(&str, &stats::Table1)> = st
                        .splits
                        .iter()
                        .map(|(k, v)| (k.as_str(), &v.table))
                        .collect();
                    write!(out, "{}", stats::markdown_table(&cols))?;
                }
            }
            Ok(i32::from(st.unreadable > 0))
        }
        DatasetCmd::Export {
            path,
            format: ExportFormat::Chat,
            split,
            output,
            catalog,
            max_tokens,
            tokenizer,
        } => {
            let cat = super::open_catalog(catalog.as_deref())?;
            let input = if path.is_dir() {
                path.join(format!("{split}.jsonl"))
            } else {
                path.clone()
            };
            let counter = match &tokenizer {
                Some(t) => TokenCounter::from_file(t).map_err(anyhow::Error::msg)?,
                None => TokenCounter::Chars,
            };
            let f = std::fs::File::create(&output)
                .with_context(|| format!("creating {}", output.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let rep = export::export_chat(&input, &cat, &counter, max_tokens, &mut w)
                .with_context(|| format!("exporting {}", input.display()))?;
            w.flush()?;
            eprintln!(
                "{} records read: {} written, {} over the token budget ({}), {} without query/plan/code, {} unreadable; longest {} tokens",
                rep.read, rep.written, rep.over_budget, rep.counter, rep.incomplete, rep.unreadable, rep.max_tokens_seen
            );
            Ok(i32::from(rep.unreadable > 0))
        }
    }
}
