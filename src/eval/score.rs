//! `wfc eval score`: predictions against gold records, per split, with the numbers of
//! WorkflowLLM's main table (BLEU, weighted n-gram, AST, data flow, CodeBLEU, pass rate),
//! seeded bootstrap confidence intervals and the breakdown by program structure.
//!
//! Metrics are a closed list ([`Metric`]); each fills named per-sample columns, and every
//! headline number is the mean of one column over the split's samples. A new metric (the LLM
//! judge) adds a variant, its columns and a `score_*` step; nothing else changes.

use super::codebleu::{self, PairStats, Prepared, Scores, StripComments, Weights};
use super::pass::{PassRules, Verdict};
use crate::ir::Stmt;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// CodeBLEU and its four components, per sample.
    Codebleu,
    /// The deterministic pass verdict (`eval::pass`).
    Pass,
}

impl Metric {
    /// The per-sample columns the metric fills, with their table headings.
    pub fn columns(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Metric::Codebleu => &[
                ("bleu", "BLEU"),
                ("weighted_ngram", "Weighted N-Gram"),
                ("ast", "AST"),
                ("dataflow", "Data-Flow"),
                ("codebleu", "CodeBLEU"),
            ],
            Metric::Pass => &[("pass_rate", "Pass Rate")],
        }
    }
}

/// One record from a gold or prediction file, in any of the namings the project reads.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub id: String,
    pub code: Option<String>,
    pub apis: Option<Vec<String>>,
}

impl Record {
    /// Reads `id` (or `key`), code (`code`, `annotated_code`, `workflow_code`, `prediction`)
    /// and `apis` from one JSON object.
    pub fn from_json(v: &Value, line: usize) -> Record {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let id = s("id")
            .or_else(|| s("key"))
            .or_else(|| v.get("id").filter(|x| x.is_number()).map(|x| x.to_string()))
            .unwrap_or_else(|| format!("line{line}"));
        let code = s("code")
            .or_else(|| s("annotated_code"))
            .or_else(|| s("workflow_code"))
            .or_else(|| s("prediction"));
        let apis = v.get("apis").and_then(|a| a.as_array()).map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        });
        Record { id, code, apis }
    }
}

/// Reads a JSONL file of records; a line that is not JSON is skipped and reported (with its
/// number) in the second value, and the rest are read.
pub fn read_records(text: &str) -> (Vec<Record>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(l) {
            Ok(v) => out.push(Record::from_json(&v, i + 1)),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    (out, errors)
}

/// Structure of a gold program, for the breakdown.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Shape {
    pub actions: usize,
    pub branches_loops: usize,
    pub depth: usize,
}

/// Counts actions, if/menu/repeat blocks and their deepest nesting; from wfc's parse when the
/// code is wfc's DSL, else from tree-sitter-python (calls, if/for/while, their nesting).
pub fn shape(code: &str) -> Shape {
    if let Ok(wf) = crate::dsl::parse(code, Default::default()) {
        let mut s = Shape {
            actions: wf.action_count(),
            ..Default::default()
        };
        fn walk(body: &[Stmt], d: usize, s: &mut Shape) {
            for st in body {
                let blocks: Vec<&[Stmt]> = match st {
                    Stmt::If {
                        then, otherwise, ..
                    } => {
                        let mut v = vec![then.as_slice()];
                        if let Some((_, b)) = otherwise {
                            v.push(b);
                        }
                        v
                    }
                    Stmt::Menu { cases, .. } => cases.iter().map(|c| c.body.as_slice()).collect(),
                    Stmt::RepeatCount { body, .. } | Stmt::RepeatEach { body, .. } => {
                        vec![body.as_slice()]
                    }
                    _ => continue,
                };
                s.branches_loops += 1;
                s.depth = s.depth.max(d + 1);
                for b in blocks {
                    walk(b, d + 1, s);
                }
            }
        }
        walk(&wf.body, 0, &mut s);
        return s;
    }
    let mut s = Shape::default();
    if let Some(tree) = codebleu::syntax::parse(code) {
        let mut stack = vec![(tree.root_node(), 0usize)];
        while let Some((n, d)) = stack.pop() {
            let block = matches!(
                n.kind(),
                "if_statement" | "for_statement" | "while_statement" | "match_statement"
            );
            if n.kind() == "call" {
                s.actions += 1;
            }
            if block {
                s.branches_loops += 1;
                s.depth = s.depth.max(d + 1);
            }
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                stack.push((ch, d + usize::from(block)));
            }
        }
    }
    s
}

/// The breakdown dimensions and their bucket edges (inclusive lower bounds; the last bucket is
/// open). WorkflowLLM's Figure 5 plots by these three measures; its exact bin edges are not
/// published in text, so these are wfc's.
pub const DIMENSIONS: [(&str, &str, &[usize]); 3] = [
    ("actions", "Number of actions", &[0, 11, 21, 31, 41, 51]),
    ("branches_loops", "Branches + loops", &[0, 1, 2, 3, 4, 5]),
    ("depth", "Nesting depth", &[0, 1, 2, 3, 4]),
];

fn bucket_label(edges: &[usize], i: usize) -> String {
    let lo = edges[i];
    match edges.get(i + 1) {
        None => format!("≥{lo}"),
        Some(&hi) if hi == lo + 1 => format!("{lo}"),
        Some(&hi) => format!("{lo}–{}", hi - 1),
    }
}

fn bucket_of(edges: &[usize], x: usize) -> usize {
    edges.iter().rposition(|&e| x >= e).unwrap_or(0)
}

/// Settings of a scoring run.
pub struct Settings {
    pub metrics: Vec<Metric>,
    pub weights: Weights,
    pub strip: StripComments,
    pub bootstrap: usize,
    pub seed: u64,
}

/// One scored sample.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub split: String,
    pub id: String,
    /// No prediction had this id (scored as an empty program).
    pub missing: bool,
    pub shape: Shape,
    pub values: std::collections::BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codebleu: Option<Scores>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// A headline number: mean over samples and its bootstrap 95% interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: [f64; 2],
}

#[derive(Debug, Clone, Serialize)]
pub struct BucketRow {
    pub bucket: String,
    pub n: usize,
    pub values: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SplitReport {
    pub label: String,
    pub n: usize,
    pub missing: usize,
    pub headline: std::collections::BTreeMap<String, Estimate>,
    pub breakdown: std::collections::BTreeMap<String, Vec<BucketRow>>,
    /// Data-flow-aware corpus-level CodeBLEU (one `calc_codebleu` over the split), next to the
    /// per-sample mean that WorkflowLLM reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus_codebleu: Option<Scores>,
}

/// Scores one split: `gold` records against predictions found by id.
pub fn score_split(
    label: &str,
    gold: &[Record],
    preds: &HashMap<String, Record>,
    settings: &Settings,
    pass: Option<&PassRules>,
) -> (SplitReport, Vec<Sample>) {
    let pairs: Vec<(&Record, Option<&Record>)> =
        gold.iter().map(|g| (g, preds.get(&g.id))).collect();
    let want_cb = settings.metrics.contains(&Metric::Codebleu);
    // CodeBLEU and shapes in parallel; the checker is not `Sync`, so verdicts run after.
    let cb: Vec<(Shape, Option<PairStats>)> = pairs
        .par_iter()
        .map(|(g, p)| {
            let gold_code = g.code.as_deref().unwrap_or("");
            let st = want_cb.then(|| {
                let pred = p.and_then(|p| p.code.as_deref()).unwrap_or("");
                let (r, h) = (settings.strip.apply(gold_code), settings.strip.apply(pred));
                PairStats::new(&Prepared::new(&r), &Prepared::new(&h))
            });
            (shape(gold_code), st)
        })
        .collect();
    let mut samples = Vec::with_capacity(pairs.len());
    let mut all_stats = Vec::new();
    for ((g, p), (sh, st)) in pairs.iter().zip(cb) {
        let mut values = std::collections::BTreeMap::new();
        let mut scores = None;
        if let Some(st) = st {
            let s = st.scores(settings.weights);
            values.insert("bleu".into(), s.ngram_match_score);
            values.insert("weighted_ngram".into(), s.weighted_ngram_match_score);
            values.insert("ast".into(), s.syntax_match_score);
            values.insert("dataflow".into(), s.dataflow_match_score);
            values.insert("codebleu".into(), s.codebleu);
            scores = Some(s);
            all_stats.push(st);
        }
        let mut verdict = None;
        if let Some(rules) = pass {
            let v = match p.and_then(|p| p.code.as_deref()) {
                Some(code) => rules.verdict(code, g.apis.as_deref()),
                None => Verdict::missing(),
            };
            values.insert("pass_rate".into(), if v.pass { 1.0 } else { 0.0 });
            verdict = Some(v);
        }
        samples.push(Sample {
            split: label.to_string(),
            id: g.id.clone(),
            missing: p.is_none(),
            shape: sh,
            values,
            codebleu: scores,
            verdict,
        });
    }
    let columns: Vec<&str> = settings
        .metrics
        .iter()
        .flat_map(|m| m.columns().iter().map(|c| c.0))
        .collect();
    let mut rng = SplitMix(settings.seed ^ fnv(label));
    let mut headline = std::collections::BTreeMap::new();
    for c in &columns {
        let xs: Vec<f64> = samples.iter().map(|s| s.values[*c]).collect();
        headline.insert(c.to_string(), bootstrap(&xs, settings.bootstrap, &mut rng));
    }
    let mut breakdown = std::collections::BTreeMap::new();
    for (dim, _, edges) in DIMENSIONS {
        let mut rows: Vec<BucketRow> = (0..edges.len())
            .map(|i| BucketRow {
                bucket: bucket_label(edges, i),
                n: 0,
                values: Default::default(),
            })
            .collect();
        for s in &samples {
            let x = match dim {
                "actions" => s.shape.actions,
                "branches_loops" => s.shape.branches_loops,
                _ => s.shape.depth,
            };
            let row = &mut rows[bucket_of(edges, x)];
            row.n += 1;
            for c in &columns {
                *row.values.entry(c.to_string()).or_insert(0.0) += s.values[*c];
            }
        }
        for r in &mut rows {
            for v in r.values.values_mut() {
                *v /= r.n as f64;
            }
        }
        breakdown.insert(dim.to_string(), rows);
    }
    let report = SplitReport {
        label: label.to_string(),
        n: samples.len(),
        missing: samples.iter().filter(|s| s.missing).count(),
        headline,
        breakdown,
        corpus_codebleu: want_cb.then(|| codebleu::corpus_scores(&all_stats, settings.weights)),
    };
    (report, samples)
}

/// The mean of `xs` and the 2.5th/97.5th percentiles of the means of `n` resamples.
pub fn bootstrap(xs: &[f64], n: usize, rng: &mut SplitMix) -> Estimate {
    if xs.is_empty() {
        return Estimate {
            mean: f64::NAN,
            ci95: [f64::NAN, f64::NAN],
        };
    }
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    if n == 0 {
        return Estimate {
            mean,
            ci95: [mean, mean],
        };
    }
    let mut means: Vec<f64> = (0..n)
        .map(|_| {
            let mut s = 0.0;
            for _ in 0..xs.len() {
                s += xs[rng.below(xs.len())];
            }
            s / xs.len() as f64
        })
        .collect();
    means.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| means[((q * (n - 1) as f64).round() as usize).min(n - 1)];
    Estimate {
        mean,
        ci95: [at(0.025), at(0.975)],
    }
}

/// A small seeded generator (SplitMix64), so a report's intervals are reproducible.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{:.1}", 100.0 * x)
    }
}

/// The Markdown report: the main table (one row, ID/OOD column groups), then per split the
/// breakdown tables.
pub fn markdown(model: &str, splits: &[SplitReport], metrics: &[Metric]) -> String {
    let cols: Vec<(&str, &str)> = metrics.iter().flat_map(|m| m.columns().to_vec()).collect();
    let mut s = String::from(
        "# Evaluation\n\nPercent; brackets hold the seeded bootstrap 95% interval.\n\n",
    );
    let mut head = String::from("| Model |");
    let mut rule = String::from("| --- |");
    let mut row = format!("| {model} |");
    for sp in splits {
        for (key, title) in &cols {
            head.push_str(&format!(" {} {title} |", sp.label));
            rule.push_str(" ---: |");
            let e = sp.headline[*key];
            row.push_str(&format!(
                " {} [{}, {}] |",
                pct(e.mean),
                pct(e.ci95[0]),
                pct(e.ci95[1])
            ));
        }
    }
    s.push_str(&format!("{head}\n{rule}\n{row}\n"));
    for sp in splits {
        s.push_str(&format!(
            "\n## {} ({} samples, {} without a prediction)\n",
            sp.label, sp.n, sp.missing
        ));
        if let Some(c) = &sp.corpus_codebleu {
            s.push_str(&format!(
                "\nCorpus-level CodeBLEU (one `calc_codebleu` over the split): {}\n",
                pct(c.codebleu)
            ));
        }
        for (dim, title, _) in DIMENSIONS {
            s.push_str(&format!(
                "\n### By {}\n\n| {title} | n |",
                title.to_lowercase()
            ));
            for (_, t) in &cols {
                s.push_str(&format!(" {t} |"));
            }
            s.push_str("\n| --- | ---: |");
            for _ in &cols {
                s.push_str(" ---: |");
            }
            s.push('\n');
            for r in &sp.breakdown[dim] {
                s.push_str(&format!("| {} | {} |", r.bucket, r.n));
                for (k, _) in &cols {
                    let v = if r.n == 0 { f64::NAN } else { r.values[*k] };
                    s.push_str(&format!(" {} |", pct(v)));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// One SVG line chart per breakdown dimension: CodeBLEU and pass rate per bucket, per split.
pub fn breakdown_svg(
    dim: &str,
    splits: &[SplitReport],
    metrics: &[Metric],
) -> Result<String, String> {
    use plotters::prelude::*;
    let (_, title, edges) = DIMENSIONS
        .iter()
        .find(|d| d.0 == dim)
        .ok_or_else(|| format!("no dimension {dim}"))?;
    let keys: Vec<(&str, &str)> = metrics
        .iter()
        .flat_map(|m| m.columns().iter().copied())
        .filter(|(k, _)| *k == "codebleu" || *k == "pass_rate")
        .collect();
    let labels: Vec<String> = (0..edges.len()).map(|i| bucket_label(edges, i)).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("By {}", title.to_lowercase()), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5f64..(edges.len() as f64 - 0.5), 0f64..100f64)
            .map_err(|e| e.to_string())?;
        let lab = labels.clone();
        chart
            .configure_mesh()
            .x_labels(edges.len())
            .x_label_formatter(&move |x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    lab.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc(*title)
            .y_desc("percent")
            .draw()
            .map_err(|e| e.to_string())?;
        let palette = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
        let mut k = 0;
        for sp in splits {
            for (key, name) in &keys {
                let color = palette[k % palette.len()];
                k += 1;
                let pts: Vec<(f64, f64)> = sp.breakdown[dim]
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.n > 0)
                    .map(|(i, r)| (i as f64, 100.0 * r.values[*key]))
                    .collect();
                chart
                    .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(format!("{} {name}", sp.label))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| e.to_string())?;
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
