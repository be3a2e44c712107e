//! `wfc eval plan`: T-Eval's PLAN metric, for T-Eval's plan files and for workflows.

use super::eval::Format;

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use wfc::eval::plan::{
    self, encoder::Encoder, mpnet::MpnetEncoder, remote::RemoteEncoder, workflow, Evaluator,
    Outcome, Prepared, PromptType, Scores,
};

#[derive(clap::Args)]
pub struct PlanArgs {
    /// T-Eval plan files (an object of id → {meta, ground_truth, prediction}) or JSONL with
    /// one such record per line (with `id`). Given a json and a str file, PLAN is their mean F1.
    files: Vec<PathBuf>,
    /// Pairs must score strictly above this (0.8: T-Eval now; 0.7: the paper, OpenCompass).
    #[arg(long, default_value_t = plan::DEFAULT_THRESHOLD)]
    threshold: f64,
    /// A sentence-transformers MPNet folder (default: the cache `scripts/fetch-mpnet.sh` fills).
    #[arg(long, conflicts_with = "embeddings")]
    model: Option<PathBuf>,
    /// An OpenAI-compatible embeddings endpoint instead of the local model.
    #[arg(long)]
    embeddings: Option<String>,
    /// Model name sent to the embeddings endpoint.
    #[arg(long, default_value = "sentence-transformers/all-mpnet-base-v2")]
    embeddings_model: String,
    /// Also write each sample's scores.
    #[arg(long)]
    per_sample: bool,
    /// Output: one JSON object, JSON lines, or a table.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Score the gold plans as predictions (a sanity check of the metric itself).
    #[arg(long)]
    oracle: bool,
    /// Predicted workflows (JSONL records with `id` and `code`) …
    #[arg(long, requires = "gold")]
    workflows: Option<PathBuf>,
    /// … scored against these gold workflows (matched by `id`).
    #[arg(long, requires = "workflows")]
    gold: Option<PathBuf>,
    /// Write here instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

fn encoder(a: &PlanArgs) -> Result<Box<dyn Encoder>> {
    if let Some(url) = &a.embeddings {
        return Ok(Box::new(RemoteEncoder::new(url, &a.embeddings_model)?));
    }
    let dir = a
        .model
        .clone()
        .unwrap_or_else(plan::mpnet::default_model_dir);
    if !dir.join("model.safetensors").exists() {
        bail!(
            "no model in {} (run scripts/fetch-mpnet.sh, or pass --model DIR or --embeddings URL)",
            dir.display()
        );
    }
    Ok(Box::new(MpnetEncoder::load(&dir)?))
}

/// One scored input: its name, prompt type (for PLAN) and outcomes.
struct Scored {
    name: String,
    prompt_type: Option<PromptType>,
    outcomes: Vec<Outcome>,
    bad: usize,
}

pub(crate) fn plan_cmd(a: PlanArgs) -> Result<i32> {
    if a.files.is_empty() && a.workflows.is_none() {
        bail!("give plan files, or --workflows PRED.jsonl --gold GOLD.jsonl");
    }
    let mut ev = Evaluator::new(encoder(&a)?, a.threshold);
    let mut scored = Vec::new();
    for f in &a.files {
        scored.push(score_file(&mut ev, f, a.oracle)?);
    }
    if let (Some(p), Some(g)) = (&a.workflows, &a.gold) {
        scored.push(score_workflows(&mut ev, p, g)?);
    }
    let mut out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    write_report(&mut out, &scored, &a)?;
    out.flush()?;
    let notes: usize = scored
        .iter()
        .flat_map(|s| &s.outcomes)
        .filter(|o| o.note.is_some())
        .count();
    if notes > 0 {
        eprintln!(
            "note: {notes} sample(s) have no score in the reference (it crashes on them); \
             they scored 0 (see `note` with --per-sample)"
        );
    }
    Ok(if scored.iter().any(|s| s.bad > 0) {
        1
    } else {
        0
    })
}

fn score_file<E: Encoder>(ev: &mut Evaluator<E>, path: &Path, oracle: bool) -> Result<Scored> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut samples = Vec::new();
    let mut bad = 0;
    for r in plan::read_records(&text, oracle) {
        match r {
            Ok(rec) => samples.push(rec.sample),
            Err(e) => {
                bad += 1;
                eprintln!("{}: {e}", path.display());
            }
        }
    }
    let types: Vec<PromptType> = samples.iter().map(|s| s.prompt_type).collect();
    let prompt_type = match types.first() {
        Some(t) if types.iter().all(|x| x == t) => Some(*t),
        _ => None,
    };
    let outcomes = ev.evaluate(&samples)?;
    Ok(Scored {
        name: path.display().to_string(),
        prompt_type,
        outcomes,
        bad,
    })
}

fn read_jsonl(path: &Path) -> Result<Vec<(usize, serde_json::Value)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(v) => out.push((n + 1, v)),
            Err(e) => eprintln!("{}:{}: {e}", path.display(), n + 1),
        }
    }
    Ok(out)
}

fn score_workflows<E: Encoder>(ev: &mut Evaluator<E>, pred: &Path, gold: &Path) -> Result<Scored> {
    let gold_recs = read_jsonl(gold)?;
    let mut gold_by_id: HashMap<String, &serde_json::Value> = HashMap::new();
    for (n, r) in &gold_recs {
        gold_by_id.insert(workflow::record_id(r, *n), r);
    }
    let mut prepared: Vec<Prepared> = Vec::new();
    let mut bad = 0;
    for (n, r) in read_jsonl(pred)? {
        let id = workflow::record_id(&r, n);
        let Some(g) = gold_by_id.get(&id) else {
            eprintln!("{}:{n}: no gold record with id {id:?}", pred.display());
            bad += 1;
            continue;
        };
        let gold_plan = match workflow::record_code(g).map(workflow::workflow_plan) {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                eprintln!("{}: gold {id:?} does not parse: {e}", gold.display());
                bad += 1;
                continue;
            }
            None => {
                eprintln!("{}: gold {id:?} has no code", gold.display());
                bad += 1;
                continue;
            }
        };
        // A prediction that does not parse is an empty plan (parse rate 0), as in T-Eval.
        let pred_plan = workflow::record_code(&r)
            .and_then(|c| workflow::workflow_plan(c).ok())
            .unwrap_or_default();
        prepared.push(plan::prepare_steps(id, pred_plan, gold_plan, None));
    }
    let outcomes = ev.evaluate_prepared(&prepared)?;
    Ok(Scored {
        name: pred.display().to_string(),
        prompt_type: None,
        outcomes,
        bad,
    })
}

fn sample_json(file: &str, o: &Outcome) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": o.id,
        "precision": o.scores.precision,
        "recall": o.scores.recall,
        "f1_score": o.scores.f1_score,
        "parse_rate": o.scores.parse_rate,
    });
    if let Some(n) = o.note {
        v["note"] = n.into();
    }
    v["file"] = file.into();
    v
}

fn summary_json(s: &Scored, agg: &Scores, threshold: f64) -> serde_json::Value {
    serde_json::json!({
        "file": s.name,
        "prompt_type": s.prompt_type.map(|t| match t { PromptType::Json => "json", PromptType::Str => "str" }),
        "n": s.outcomes.len(),
        "threshold": threshold,
        "precision": agg.precision,
        "recall": agg.recall,
        "f1_score": agg.f1_score,
        "parse_rate": agg.parse_rate,
        "bad_records": s.bad,
    })
}

fn write_report(out: &mut dyn Write, scored: &[Scored], a: &PlanArgs) -> Result<()> {
    let aggs: Vec<Scores> = scored
        .iter()
        .map(|s| plan::aggregate(&s.outcomes.iter().map(|o| o.scores).collect::<Vec<_>>()))
        .collect();
    // PLAN needs one str file and one json file.
    let f1_of = |t: PromptType| {
        let hits: Vec<f64> = scored
            .iter()
            .zip(&aggs)
            .filter(|(s, _)| s.prompt_type == Some(t))
            .map(|(_, g)| g.f1_score)
            .collect();
        (hits.len() == 1).then(|| hits[0])
    };
    let plan_score = match (f1_of(PromptType::Str), f1_of(PromptType::Json)) {
        (Some(s), Some(j)) => Some(plan::plan_score(s, j)),
        _ => None,
    };
    match a.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "files": scored.iter().zip(&aggs).map(|(s, g)| summary_json(s, g, a.threshold)).collect::<Vec<_>>(),
                "plan": plan_score,
            });
            if a.per_sample {
                v["samples"] = scored
                    .iter()
                    .flat_map(|s| s.outcomes.iter().map(|o| sample_json(&s.name, o)))
                    .collect();
            }
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for (s, g) in scored.iter().zip(&aggs) {
                if a.per_sample {
                    for o in &s.outcomes {
                        writeln!(out, "{}", sample_json(&s.name, o))?;
                    }
                }
                writeln!(out, "{}", summary_json(s, g, a.threshold))?;
            }
            if let Some(p) = plan_score {
                writeln!(out, "{}", serde_json::json!({ "plan": p }))?;
            }
        }
        Format::Table => {
            for (s, g) in scored.iter().zip(&aggs) {
                if a.per_sample {
                    writeln!(
                        out,
                        "{:<32} {:>9} {:>9} {:>9} {:>6}",
                        "id", "precision", "recall", "f1", "parsed"
                    )?;
                    for o in &s.outcomes {
                        writeln!(
                            out,
                            "{:<32} {:>9.4} {:>9.4} {:>9.4} {:>6}{}",
                            o.id,
                            o.scores.precision,
                            o.scores.recall,
                            o.scores.f1_score,
                            o.scores.parse_rate,
                            if o.note.is_some() {
                                "  (no reference score)"
                            } else {
                                ""
                            }
                        )?;
                    }
                }
                writeln!(
                    out,
                    "{}: n {}  threshold {}  precision {:.6}  recall {:.6}  F1 {:.6}  parse rate {:.6}",
                    s.name, s.outcomes.len(), a.threshold, g.precision, g.recall, g.f1_score, g.parse_rate
                )?;
            }
            if let Some(p) = plan_score {
                writeln!(
                    out,
                    "PLAN (mean F1 of the str and json files): {:.2}",
                    p * 100.0
                )?;
            }
        }
    }
    Ok(())
}
