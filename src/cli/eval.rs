//! `wfc eval`: CodeBLEU of program pairs, and the scoring report of predictions against gold.

use super::open_catalog;
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use wfc::check::Severity;
use wfc::eval::codebleu::{self, PairStats, Scores, StripComments, Weights};
use wfc::eval::pass::PassRules;
use wfc::eval::score::{self, Metric, Record, Settings};

#[derive(Subcommand)]
pub enum EvalCmd {
    /// T-Eval's PLAN F1 (precision, recall, F1, parse rate) of plan predictions, or of
    /// predicted workflows against gold workflows (`--workflows PRED --gold GOLD`).
    Plan(super::eval_plan::PlanArgs),
    /// CodeBLEU as the `codebleu` package (0.7.0) computes it for Python.
    Codebleu {
        /// JSONL with `reference` and `prediction` per line (omit with --gold/--pred).
        pairs: Option<PathBuf>,
        /// Gold records (JSONL with `id` and `code`, `annotated_code` or `workflow_code`).
        #[arg(long, requires = "pred", conflicts_with = "pairs")]
        gold: Option<PathBuf>,
        /// Predicted records, matched to the gold ones by `id`.
        #[arg(long, requires = "gold")]
        pred: Option<PathBuf>,
        /// Weights of BLEU, weighted n-gram, AST and data flow: `a,b,c,d`.
        #[arg(long)]
        weights: Option<String>,
        /// `workflowllm`: weights 0.1,0.1,0.4,0.4, per-sample mean, WorkflowLLM's comment cut.
        #[arg(long, value_enum)]
        preset: Option<Preset>,
        /// Comment removal before scoring (default none; the preset's with --preset).
        #[arg(long, value_enum)]
        strip_comments: Option<StripComments>,
        /// Average per-pair scores instead of one corpus-level score.
        #[arg(long)]
        per_sample_mean: bool,
        /// One JSON line per pair (the package's five fields) before the total.
        #[arg(long)]
        per_pair: bool,
        /// Output: one JSON object, JSON lines, or a table.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Score predictions against gold splits: JSON report, Markdown table, SVG breakdowns.
    Score {
        /// Predictions (JSONL records with `id` and `code`).
        pred: PathBuf,
        /// Gold split, `FILE` or `LABEL=FILE` (repeat for ID and OOD).
        #[arg(long, required = true)]
        gold: Vec<String>,
        /// Metrics to compute.
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Metric::Codebleu, Metric::Pass])]
        metrics: Vec<Metric>,
        /// Output directory (report.json, report.md, samples.jsonl, breakdown-*.svg).
        #[arg(short, long)]
        output: PathBuf,
        /// Model name for the table row (default: the prediction file's stem).
        #[arg(long)]
        model: Option<String>,
        /// CodeBLEU weights (default WorkflowLLM's 0.1,0.1,0.4,0.4).
        #[arg(long)]
        weights: Option<String>,
        /// Comment removal before CodeBLEU (default WorkflowLLM's).
        #[arg(long, value_enum, default_value_t = StripComments::Workflowllm)]
        strip_comments: StripComments,
        /// `check-clean` fails on findings at this severity or worse.
        #[arg(long, value_enum, default_value_t = PassSeverity::Error)]
        severity: PassSeverity,
        /// API catalog (default: catalog.sqlite here, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Bootstrap resamples for the 95% intervals.
        #[arg(long, default_value_t = 1000)]
        bootstrap: usize,
        /// Seed of the bootstrap resampling.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Preset {
    Workflowllm,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Json,
    Jsonl,
    Table,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PassSeverity {
    Error,
    Warning,
}

pub(crate) fn eval_cmd(cmd: EvalCmd) -> Result<i32> {
    match cmd {
        EvalCmd::Plan(a) => super::eval_plan::plan_cmd(a),
        EvalCmd::Codebleu {
            pairs,
            gold,
            pred,
            weights,
            preset,
            strip_comments,
            per_sample_mean,
            per_pair,
            format,
        } => {
            let wl = preset == Some(Preset::Workflowllm);
            let weights = match weights {
                Some(w) => Weights::parse(&w).map_err(anyhow::Error::msg)?,
                None if wl => Weights::WORKFLOWLLM,
                None => Weights::default(),
            };
            let strip = strip_comments.unwrap_or(if wl {
                StripComments::Workflowllm
            } else {
                StripComments::None
            });
            let (input, bad) = match (&pairs, &gold, &pred) {
                (Some(p), None, None) => read_pairs(p)?,
                (None, Some(g), Some(p)) => (gold_pred_pairs(g, p)?, 0),
                _ => bail!("give PAIRS.jsonl, or --gold FILE --pred FILE"),
            };
            let code = codebleu_cmd(
                &input,
                weights,
                strip,
                wl || per_sample_mean,
                per_pair,
                format,
            )?;
            // A skipped line makes the exit code say so.
            let bad = bad + SKIPPED.load(std::sync::atomic::Ordering::Relaxed);
            Ok(if bad > 0 { 1 } else { code })
        }
        EvalCmd::Score {
            pred,
            gold,
            metrics,
            output,
            model,
            weights,
            strip_comments,
            severity,
            catalog,
            bootstrap,
            seed,
        } => {
            let weights = match weights {
                Some(w) => Weights::parse(&w).map_err(anyhow::Error::msg)?,
                None => Weights::WORKFLOWLLM,
            };
            let settings = Settings {
                metrics,
                weights,
                strip: strip_comments,
                bootstrap,
                seed,
            };
            let sev = match severity {
                PassSeverity::Error => Severity::Error,
                PassSeverity::Warning => Severity::Warning,
            };
            score_cmd(
                &pred,
                &gold,
                &settings,
                sev,
                catalog.as_deref(),
                model,
                &output,
            )
        }
    }
}

/// (label, reference, prediction).
type Triple = (String, String, String);

/// (label, reference, prediction) triples from a pairs file; a line that is not JSON or lacks
/// a field is reported and skipped, and counted in the second value.
fn read_pairs(path: &Path) -> Result<(Vec<Triple>, usize)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    let mut bad = 0;
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = match serde_json::from_str(l) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{}:{}: skipped, not JSON: {e}", path.display(), i + 1);
                bad += 1;
                continue;
            }
        };
        let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        match (get("reference"), get("prediction")) {
            (Some(r), Some(p)) => {
                out.push((get("id").unwrap_or_else(|| (i + 1).to_string()), r, p))
            }
            _ => {
                eprintln!(
                    "{}:{}: skipped, needs string `reference` and `prediction`",
                    path.display(),
                    i + 1
                );
                bad += 1;
            }
        }
    }
    Ok((out, bad))
}

/// Records of a JSONL file; lines that are not JSON are reported on stderr and skipped.
fn read_records(path: &Path) -> Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (records, errors) = score::read_records(&text);
    for e in &errors {
        eprintln!("{}: skipped {e}", path.display());
    }
    SKIPPED.fetch_add(errors.len(), std::sync::atomic::Ordering::Relaxed);
    Ok(records)
}

/// Lines skipped while reading, so the exit code can say something failed.
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Gold and prediction records paired by id; a gold record without prediction scores against
/// an empty one.
fn gold_pred_pairs(gold: &Path, pred: &Path) -> Result<Vec<(String, String, String)>> {
    let preds: HashMap<String, Record> = read_records(pred)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut missing = 0;
    let out = read_records(gold)?
        .into_iter()
        .map(|g| {
            let p = preds.get(&g.id).and_then(|p| p.code.clone());
            if p.is_none() {
                missing += 1;
            }
            (g.id, g.code.unwrap_or_default(), p.unwrap_or_default())
        })
        .collect();
    if missing > 0 {
        eprintln!("warning: {missing} gold records have no prediction; scored as empty");
    }
    Ok(out)
}

fn codebleu_cmd(
    input: &[(String, String, String)],
    weights: Weights,
    strip: StripComments,
    per_sample_mean: bool,
    per_pair: bool,
    format: Format,
) -> Result<i32> {
    let pairs: Vec<(&str, &str)> = input
        .iter()
        .map(|(_, r, p)| (r.as_str(), p.as_str()))
        .collect();
    let stats: Vec<PairStats> = codebleu::pair_stats(&pairs, strip);
    let each: Vec<Scores> = stats.iter().map(|s| s.scores(weights)).collect();
    let total = if per_sample_mean {
        Scores::mean(&each)
    } else {
        codebleu::corpus_scores(&stats, weights)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        Format::Table => {
            writeln!(
                out,
                "| pair | CodeBLEU | BLEU | weighted n-gram | AST | data flow |"
            )?;
            writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |")?;
            let row = |name: &str, s: &Scores| {
                format!(
                    "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
                    s.codebleu,
                    s.ngram_match_score,
                    s.weighted_ngram_match_score,
                    s.syntax_match_score,
                    s.dataflow_match_score
                )
            };
            if per_pair {
                for ((id, _, _), s) in input.iter().zip(&each) {
                    writeln!(out, "{}", row(id, s))?;
                }
            }
            let name = if per_sample_mean { "mean" } else { "corpus" };
            writeln!(out, "{}", row(name, &total))?;
        }
        Format::Json | Format::Jsonl => {
            if per_pair {
                for s in &each {
                    writeln!(out, "{}", serde_json::to_string(s)?)?;
                }
            }
            let s = if format == Format::Json && !per_pair {
                serde_json::to_string_pretty(&total)?
            } else {
                serde_json::to_string(&total)?
            };
            writeln!(out, "{s}")?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn score_cmd(
    pred: &Path,
    gold: &[String],
    settings: &Settings,
    severity: Severity,
    catalog: Option<&Path>,
    model: Option<String>,
    output: &Path,
) -> Result<i32> {
    let preds: HashMap<String, Record> = read_records(pred)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let cat = if settings.metrics.contains(&Metric::Pass) {
        Some(open_catalog(catalog)?)
    } else {
        None
    };
    let rules = cat.as_ref().map(|c| PassRules::new(c, severity));
    let mut reports = Vec::new();
    let mut samples = Vec::new();
    for g in gold {
        let (label, file) = match g.split_once('=') {
            Some((l, f)) if !l.is_empty() && !Path::new(g).exists() => {
                (l.to_string(), PathBuf::from(f))
            }
            _ => {
                let p = PathBuf::from(g);
                let stem = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (stem, p)
            }
        };
        let records = read_records(&file)?;
        let (rep, s) = score::score_split(&label, &records, &preds, settings, rules.as_ref());
        reports.push(rep);
        samples.extend(s);
    }
    let model = model.unwrap_or_else(|| {
        pred.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into())
    });
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    let report = serde_json::json!({
        "model": model,
        "predictions": pred,
        "settings": {
            "metrics": settings.metrics,
            "weights": settings.weights.0,
            "strip_comments": settings.strip,
            "aggregation": "per-sample mean",
            "bootstrap": settings.bootstrap,
            "seed": settings.seed,
            "pass_severity": severity.name(),
        },
        "splits": reports,
    });
    let write = |name: &str, text: &str| -> Result<()> {
        let p = output.join(name);
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
    };
    write("report.json", &serde_json::to_string_pretty(&report)?)?;
    let md = score::markdown(&model, &reports, &settings.metrics);
    write("report.md", &md)?;
    let mut lines = String::new();
    for s in &samples {
        lines.push_str(&serde_json::to_string(s)?);
        lines.push('\n');
    }
    write("samples.jsonl", &lines)?;
    for (dim, _, _) in score::DIMENSIONS {
        let svg =
            score::breakdown_svg(dim, &reports, &settings.metrics).map_err(anyhow::Error::msg)?;
        write(&format!("breakdown-{dim}.svg"), &svg)?;
    }
    print!("{md}");
    let missing: usize = reports.iter().map(|r| r.missing).sum();
    if SKIPPED.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        return Ok(1);
    }
    if missing > 0 {
        eprintln!(
            "warning: {missing} gold records had no prediction (scored as empty, not passing)"
        );
        return Ok(1);
    }
    Ok(0)
}
