//! T-Eval's PLAN metric (`PlanningEvaluator`, `match_strategy='bertscore'`), number for number.
//!
//! The steps and their quirks are in `../shared/spec/TEVAL.md`; in short: parse the prediction
//! ([`parse_json_plan`] / [`parse_str_plan`]), normalise steps with Python's `str()`
//! ([`pyvalue`]), sort by id, drop a trailing `FinishAction`, score every pred×gold pair as
//! `0.75·max(0, cos(names)) + 0.25·max(0, cos(args))`, keep pairs above the threshold, match
//! them with networkx's blossom algorithm ([`matching`]), count the longest increasing run of
//! matched gold indices (never below 1), and take precision, recall and F1 from it.
//!
//! One deliberate difference: a prediction that is empty once its trailing `FinishAction` is
//! dropped makes the reference crash (`encode([])`); here it scores 0 (parse rate 1) and the
//! outcome says so ([`Outcome::note`]).

pub mod encoder;
pub mod matching;
pub mod mpnet;
pub mod pyvalue;
pub mod remote;
pub mod workflow;

use encoder::{EmbeddingTable, Encoder, EncoderError};
use matching::Graph;
use pyvalue::{json_loads, literal_eval, py_strip, PyValue};

pub use workflow::{teval_layout, workflow_plan};

/// T-Eval's weights of the name and the args similarity.
pub const NAME_WEIGHT: f64 = 0.75;
pub const ARGS_WEIGHT: f64 = 0.25;
/// T-Eval's threshold since its v2 code; 0.7 gives the paper's and OpenCompass's numbers.
pub const DEFAULT_THRESHOLD: f64 = 0.8;

/// One normalised plan step: `{name: str(name), id: int(id), args: str(args)}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: i128,
    pub name: String,
    pub args: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptType {
    Json,
    Str,
}

/// One sample as the evaluator receives it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub id: String,
    pub prompt_type: PromptType,
    pub api_list: Vec<String>,
    pub ground_truth: PyValue,
    pub prediction: PyValue,
}

/// The evaluator's per-sample result.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1_score: f64,
    pub parse_rate: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub scores: Scores,
    /// Set where the reference has no defined score (it crashes) and 0 was given instead.
    pub note: Option<&'static str>,
}

pub const NOTE_EMPTY_AFTER_FINISH: &str =
    "plan is empty after dropping FinishAction: the reference crashes here; scored 0";
pub const NOTE_STR_NOT_TEXT: &str =
    "str-mode prediction is not a string: the reference crashes here; scored as unparsed";

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Encoder(#[from] EncoderError),
    #[error("line {line}: {msg}")]
    Input { line: usize, msg: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// T-Eval's `format_load(text, '[', ']')`: the fenced-block cut, the `[`…`]` slicing, then
/// `ast.literal_eval`, `json.loads`, and `json.loads` with every `'` made `"`.
pub fn format_load(text: &str) -> Option<PyValue> {
    let mut raw = text;
    if let Some(i) = raw.find("```json") {
        raw = raw[i + "```json".len()..].trim_matches('`');
    }
    // `raw[raw.find('['):]`: without a '[' find gives -1 and only the last character is kept.
    raw = match raw.find('[') {
        Some(i) => &raw[i..],
        None => match raw.char_indices().last() {
            Some((i, _)) => &raw[i..],
            None => raw,
        },
    };
    // `raw[:raw.rfind(']') + 1]`: without a ']' the text becomes empty.
    raw = match raw.rfind(']') {
        Some(i) => &raw[..i + 1],
        None => "",
    };
    if let Ok(v) = literal_eval(raw) {
        return Some(v);
    }
    if let Ok(v) = json_loads(raw) {
        return Some(v);
    }
    json_loads(&raw.replace('\'', "\"")).ok()
}

/// T-Eval's `PlanningEvaluator.format_load`: a list whose every element is a mapping with
/// `name`, `id`, `args`; one bad step empties the whole plan.
pub fn plan_from_value(v: &PyValue) -> Vec<Step> {
    let PyValue::List(items) = v else {
        return Vec::new();
    };
    let mut steps = Vec::with_capacity(items.len());
    for item in items {
        let step = (|| {
            let name = item.get("name")?.to_py_str().ok()?;
            let id = item.get("id")?.to_py_int()?;
            let args = item.get("args")?.to_py_str().ok()?;
            Some(Step { id, name, args })
        })();
        match step {
            Some(s) => steps.push(s),
            None => return Vec::new(),
        }
    }
    steps
}

/// A json-mode prediction (or any gold plan): a list passes through, text goes through
/// [`format_load`].
pub fn parse_json_plan(v: &PyValue) -> Vec<Step> {
    match v {
        PyValue::Str(text) => format_load(text).map_or_else(Vec::new, |v| plan_from_value(&v)),
        other => plan_from_value(other),
    }
}

/// A str-mode prediction: `". "` becomes a line break; per line the API of `api_list` found
/// leftmost (first listed on equal positions) names the step and the whole line is its args.
pub fn parse_str_plan(text: &str, api_list: &[String]) -> Vec<Step> {
    let text = text.replace(". ", "\n");
    let mut steps = Vec::new();
    for line in text.split('\n') {
        let mut best: Option<(usize, &String)> = None;
        for api in api_list {
            if let Some(pos) = line.find(api.as_str()) {
                if best.is_none_or(|(b, _)| pos < b) {
                    best = Some((pos, api));
                }
            }
        }
        if let Some((_, api)) = best {
            // An empty API name is found at 0 in Python too, but `pred_action != ""` drops it.
            if api.is_empty() {
                continue;
            }
            steps.push(Step {
                id: steps.len() as i128,
                name: api.clone(),
                args: line.to_string(),
            });
        }
    }
    steps
}

/// Both plans of a sample, parsed, sorted and trimmed, ready for embedding.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub pred: Vec<Step>,
    pub gold: Vec<Step>,
    /// Both plans parsed non-empty.
    pub parsed: bool,
    pub note: Option<&'static str>,
}

pub fn prepare(sample: &Sample) -> Prepared {
    let gold = parse_json_plan(&sample.ground_truth);
    let mut note = None;
    let pred = match sample.prompt_type {
        PromptType::Json => parse_json_plan(&sample.prediction),
        PromptType::Str => match &sample.prediction {
            PyValue::Str(t) => parse_str_plan(t, &sample.api_list),
            _ => {
                note = Some(NOTE_STR_NOT_TEXT);
                Vec::new()
            }
        },
    };
    prepare_steps(sample.id.clone(), pred, gold, note)
}

/// Sorting by id (stable) and dropping a trailing `FinishAction` from each plan.
pub fn prepare_steps(
    id: String,
    mut pred: Vec<Step>,
    mut gold: Vec<Step>,
    mut note: Option<&'static str>,
) -> Prepared {
    let parsed = !pred.is_empty() && !gold.is_empty();
    if parsed {
        for plan in [&mut pred, &mut gold] {
            plan.sort_by_key(|s| s.id);
            if plan.last().is_some_and(|s| s.name == "FinishAction") {
                plan.pop();
            }
        }
        if pred.is_empty() || gold.is_empty() {
            note = Some(NOTE_EMPTY_AFTER_FINISH);
        }
    }
    Prepared {
        id,
        pred,
        gold,
        parsed,
        note,
    }
}

impl Prepared {
    /// The texts the encoder sees (stripped names and args of both plans).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.pred
            .iter()
            .chain(&self.gold)
            .flat_map(|s| [py_strip(&s.name), py_strip(&s.args)])
    }
}

// ---------------------------------------------------------------------------------------------
// Scoring

/// The pair scores `S[i][j]`: cosines in f32 clipped at 0, weighted in f64.
pub fn similarity(p: &Prepared, table: &EmbeddingTable) -> Vec<Vec<f64>> {
    let emb = |t: &str| table.get(py_strip(t));
    p.pred
        .iter()
        .map(|ps| {
            let (pn, pa) = (emb(&ps.name), emb(&ps.args));
            p.gold
                .iter()
                .map(|gs| {
                    let cn = encoder::cosine(pn, emb(&gs.name)).max(0.0) as f64;
                    let ca = encoder::cosine(pa, emb(&gs.args)).max(0.0) as f64;
                    NAME_WEIGHT * cn + ARGS_WEIGHT * ca
                })
                .collect()
        })
        .collect()
}

/// Matching and counting on a similarity matrix (rows: predicted steps, columns: gold steps).
pub fn score_matrix(sim: &[Vec<f64>], len_gold: usize, threshold: f64) -> Scores {
    let len_pred = sim.len();
    if len_pred == 0 || len_gold == 0 {
        return Scores {
            parse_rate: 1.0,
            ..Scores::default()
        };
    }
    // networkx's graph: `add_edge(i, str(j))` row by row, vertices created on first use.
    let mut g = Graph::new();
    let mut pred_v = vec![None; len_pred];
    let mut gold_v = vec![None; len_gold];
    let mut gold_of = Vec::new();
    for (i, row) in sim.iter().enumerate() {
        for (j, &w) in row.iter().enumerate() {
            if w > threshold {
                let a = *pred_v[i].get_or_insert_with(|| {
                    gold_of.push(usize::MAX);
                    g.add_vertex()
                });
                let b = *gold_v[j].get_or_insert_with(|| {
                    gold_of.push(j);
                    g.add_vertex()
                });
                g.add_edge(a, b, w);
            }
        }
    }
    // The graph is bipartite by construction, so the matcher cannot fail; an empty matching
    // is the safe answer if it ever did.
    let mate = g
        .max_weight_matching()
        .unwrap_or_else(|_| vec![None; g.len()]);
    let mapped: Vec<Option<usize>> = pred_v
        .iter()
        .map(|v| v.and_then(|v| mate[v]).map(|m| gold_of[m]))
        .collect();
    // Longest strictly increasing run of matched gold indices; every entry starts at 1, so the
    // count is at least 1 even when nothing matched (T-Eval's quirk).
    let mut dp = vec![1usize; len_pred];
    for i in 0..len_pred {
        for j in 0..i {
            if let (Some(mi), Some(mj)) = (mapped[i], mapped[j]) {
                if mi > mj {
                    dp[i] = dp[i].max(dp[j] + 1);
                }
            }
        }
    }
    let count = dp.iter().copied().max().unwrap_or(0) as f64;
    let recall = count / len_gold as f64;
    let precision = count / len_pred as f64;
    Scores {
        precision,
        recall,
        f1_score: 2.0 * recall * precision / (recall + precision),
        parse_rate: 1.0,
    }
}

/// The score of a prepared sample whose texts are all in `table`.
pub fn score(p: &Prepared, table: &EmbeddingTable, threshold: f64) -> Outcome {
    let scores = if !p.parsed {
        Scores::default()
    } else if p.pred.is_empty() || p.gold.is_empty() {
        Scores {
            parse_rate: 1.0,
            ..Scores::default()
        }
    } else {
        score_matrix(&similarity(p, table), p.gold.len(), threshold)
    };
    Outcome {
        id: p.id.clone(),
        scores,
        note: p.note,
    }
}

/// Scores samples, embedding every distinct text once (the table is kept across calls).
pub struct Evaluator<E: Encoder> {
    pub encoder: E,
    pub table: EmbeddingTable,
    pub threshold: f64,
}

impl<E: Encoder> Evaluator<E> {
    pub fn new(encoder: E, threshold: f64) -> Self {
        Evaluator {
            encoder,
            table: EmbeddingTable::default(),
            threshold,
        }
    }

    pub fn evaluate(&mut self, samples: &[Sample]) -> Result<Vec<Outcome>, PlanError> {
        let prepared: Vec<Prepared> = samples.iter().map(prepare).collect();
        self.evaluate_prepared(&prepared)
    }

    pub fn evaluate_prepared(&mut self, prepared: &[Prepared]) -> Result<Vec<Outcome>, PlanError> {
        self.table
            .embed_missing(&mut self.encoder, prepared.iter().flat_map(|p| p.texts()))?;
        Ok(prepared
            .iter()
            .map(|p| score(p, &self.table, self.threshold))
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/// `numpy.mean`: pairwise summation (blocks of 8 accumulators up to 128 elements), then / n.
/// Plain left-to-right summation differs in the last bits from T-Eval's file scores.
pub fn np_mean(xs: &[f64]) -> f64 {
    fn pairwise(a: &[f64]) -> f64 {
        let n = a.len();
        if n < 8 {
            let mut r = -0.0;
            for &x in a {
                r += x;
            }
            r
        } else if n <= 128 {
            let mut r = [0.0f64; 8];
            r.copy_from_slice(&a[..8]);
            let mut i = 8;
            while i < n - n % 8 {
                for k in 0..8 {
                    r[k] += a[i + k];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for &x in &a[i..] {
                res += x;
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            pairwise(&a[..n2]) + pairwise(&a[n2..])
        }
    }
    if xs.is_empty() {
        return f64::NAN;
    }
    pairwise(xs) / xs.len() as f64
}

/// A file's score: the mean of each key over all samples (failures count as 0).
pub fn aggregate(scores: &[Scores]) -> Scores {
    let col = |f: fn(&Scores) -> f64| np_mean(&scores.iter().map(f).collect::<Vec<_>>());
    Scores {
        precision: col(|s| s.precision),
        recall: col(|s| s.recall),
        f1_score: col(|s| s.f1_score),
        parse_rate: col(|s| s.parse_rate),
    }
}

/// T-Eval's PLAN number: the mean of the str file's and the json file's F1 (not ×100).
pub fn plan_score(f1_str: f64, f1_json: f64) -> f64 {
    (f1_str + f1_json) / 2.0
}

// ---------------------------------------------------------------------------------------------
// Input files

/// Builds a sample from a T-Eval record (`meta`, `ground_truth`, `prediction`).
pub fn sample_from_record(id: String, rec: &PyValue) -> Result<Sample, String> {
    let meta = rec.get("meta");
    let prompt_type = match meta
        .and_then(|m| m.get("prompt_type"))
        .and_then(|v| v.as_str())
    {
        None | Some("json") => PromptType::Json,
        Some("str") => PromptType::Str,
        Some(other) => return Err(format!("unsupported prompt_type {other:?}")),
    };
    let api_list = match meta.and_then(|m| m.get("API_list")) {
        Some(PyValue::List(items)) => items
            .iter()
            .map(|v| v.to_py_str().unwrap_or_default())
            .collect(),
        _ => Vec::new(),
    };
    let ground_truth = rec
        .get("ground_truth")
        .cloned()
        .ok_or_else(|| "record has no ground_truth".to_string())?;
    let prediction = rec
        .get("prediction")
        .cloned()
        .ok_or_else(|| "record has no prediction".to_string())?;
    Ok(Sample {
        id,
        prompt_type,
        api_list,
        ground_truth,
        prediction,
    })
}

/// One input record, with the reference scores a fixture line may carry.
#[derive(Debug, Clone)]
pub struct InputRecord {
    pub sample: Sample,
    /// `expected` of the fixture layout: threshold text ("0.8") → scores.
    pub expected: Vec<(String, Scores)>,
}

/// Reads T-Eval's own file (an object: id → record) or the fixture JSONL layout (one record
/// per line with its `id`). With `oracle`, each prediction is replaced by the gold plan.
/// Bad records are returned as errors next to the good ones.
pub fn read_records(text: &str, oracle: bool) -> Vec<Result<InputRecord, PlanError>> {
    let trimmed = text.trim_start();
    let whole = if trimmed.starts_with('{') {
        json_loads(text).ok()
    } else {
        None
    };
    // A whole-file object whose values are records is T-Eval's layout; otherwise JSONL.
    if let Some(PyValue::Dict(items)) = &whole {
        if items.iter().all(|(_, v)| v.get("ground_truth").is_some()) {
            return items
                .iter()
                .enumerate()
                .map(|(n, (k, rec))| {
                    let id = k.to_py_str().unwrap_or_default();
                    record(id, rec, oracle).map_err(|msg| PlanError::Input { line: n + 1, msg })
                })
                .collect();
        }
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let err = |msg: String| PlanError::Input { line: n + 1, msg };
            let rec = json_loads(line).map_err(|e| err(e.to_string()))?;
            let id = match rec.get("id") {
                Some(v) => v.to_py_str().unwrap_or_default(),
                None => format!("line{}", n + 1),
            };
            record(id, &rec, oracle).map_err(err)
        })
        .collect()
}

fn record(id: String, rec: &PyValue, oracle: bool) -> Result<InputRecord, String> {
    let rec = if oracle {
        let mut r = rec.clone();
        if let (PyValue::Dict(items), Some(gt)) = (&mut r, rec.get("ground_truth")) {
            match items
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some("prediction"))
            {
                Some(slot) => slot.1 = gt.clone(),
                None => items.push((PyValue::Str("prediction".into()), gt.clone())),
            }
        }
        r
    } else {
        rec.clone()
    };
    let sample = sample_from_record(id, &rec)?;
    let mut expected = Vec::new();
    if let Some(PyValue::Dict(by_thr)) = rec.get("expected") {
        for (k, v) in by_thr {
            let f = |key: &str| match v.get(key) {
                Some(PyValue::Float(f)) => *f,
                Some(PyValue::Int(pyvalue::PyInt::Small(i))) => *i as f64,
                _ => f64::NAN,
            };
            expected.push((
                k.to_py_str().unwrap_or_default(),
                Scores {
                    precision: f("precision"),
                    recall: f("recall"),
                    f1_score: f("f1_score"),
                    parse_rate: f("parse_rate"),
                },
            ));
        }
    }
    Ok(InputRecord { sample, expected })
}

#[cfg(test)]
mod tests;
