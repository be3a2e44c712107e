//! CodeBLEU as the `codebleu` PyPI package 0.7.0 computes it for Python (with tree-sitter 0.22
//! and tree-sitter-python 0.21.0): BLEU, keyword-weighted n-gram match, AST subtree match and
//! data-flow match, combined with the package's `dataflow or 1` rule. Each pair is reduced to
//! summable counts ([`PairStats`]); a corpus score sums them as `calc_codebleu` does over all
//! pairs at once, a per-sample score finishes each pair alone.
//!
//! See `docs/eval.md` for what is fixed where the reference is not deterministic.

pub mod bleu;
pub mod dataflow;
pub mod pyset;
pub mod pytok;
pub mod syntax;

use rayon::prelude::*;
use serde::Serialize;

pub use bleu::{split_ws, NgramStats, PYTHON_KEYWORDS};

/// Weights of BLEU, weighted n-gram, AST and data-flow match (alpha, beta, gamma, theta).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights(pub [f64; 4]);

impl Default for Weights {
    fn default() -> Self {
        Weights([0.25; 4])
    }
}

impl Weights {
    /// WorkflowLLM's weights.
    pub const WORKFLOWLLM: Weights = Weights([0.1, 0.1, 0.4, 0.4]);

    /// Parses `a,b,c,d`.
    pub fn parse(s: &str) -> Result<Weights, String> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>().map_err(|e| format!("{x:?}: {e}")))
            .collect::<Result<_, _>>()?;
        let w: [f64; 4] = v
            .try_into()
            .map_err(|_| "weights: expected four numbers a,b,c,d".to_string())?;
        if w.iter().any(|x| !x.is_finite()) {
            return Err("weights must be finite".into());
        }
        Ok(Weights(w))
    }
}

/// How comments are removed from both sides before scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StripComments {
    /// Score the text as given (the package itself still drops comments for AST and data flow).
    #[default]
    None,
    /// WorkflowLLM's: every line cut at its first `#`, even inside a string; blank lines dropped.
    Workflowllm,
    /// Real comments only, found by Python's tokenizer (strings keep their `#`).
    Python,
}

impl StripComments {
    pub fn apply(self, code: &str) -> String {
        match self {
            StripComments::None => code.to_string(),
            StripComments::Workflowllm => code
                .split('\n')
                .map(|l| l.split('#').next().unwrap_or(""))
                .filter(|l| !pytok::py_strip(l).is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
            StripComments::Python => {
                pytok::strip_python_comments(code).unwrap_or_else(|_| strip_lexically(code))
            }
        }
    }
}

/// Comment removal for text Python's tokenizer gives up on: `#` outside string quotes (single,
/// double, triple, with backslash escapes) starts a comment; blank lines are dropped.
fn strip_lexically(code: &str) -> String {
    let cs: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let mut quote: Option<(char, bool)> = None;
    while i < cs.len() {
        let c = cs[i];
        match quote {
            Some((q, triple)) => {
                out.push(c);
                if c == '\\' && i + 1 < cs.len() {
                    out.push(cs[i + 1]);
                    i += 2;
                    continue;
                }
                if c == '\n' && !triple {
                    quote = None;
                } else if c == q {
                    if !triple {
                        quote = None;
                    } else if cs.get(i + 1) == Some(&q) && cs.get(i + 2) == Some(&q) {
                        out.push(q);
                        out.push(q);
                        i += 2;
                        quote = None;
                    }
                }
            }
            None => {
                if c == '#' {
                    while i < cs.len() && cs[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                out.push(c);
                if c == '\'' || c == '"' {
                    if cs.get(i + 1) == Some(&c) && cs.get(i + 2) == Some(&c) {
                        out.push(c);
                        out.push(c);
                        i += 2;
                        quote = Some((c, true));
                    } else {
                        quote = Some((c, false));
                    }
                }
            }
        }
        i += 1;
    }
    out.split('\n')
        .filter(|l| !pytok::py_strip(l).is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One program made ready for scoring against any other: stripped text, AST subtrees,
/// normalized data flow.
pub struct Prepared {
    text: String,
    subtrees: syntax::Subtrees,
    dataflow: Vec<dataflow::Edge>,
}

impl Prepared {
    pub fn new(code: &str) -> Prepared {
        let text = pytok::py_strip(code).to_string();
        let src = pytok::remove_comments_and_docstrings(&text);
        match syntax::parse(&src) {
            Some(tree) => Prepared {
                subtrees: syntax::subtrees(&tree),
                dataflow: dataflow::normalized_dataflow(&src, &tree),
                text,
            },
            None => Prepared {
                text,
                subtrees: syntax::Subtrees {
                    counts: Default::default(),
                    total: 1,
                },
                dataflow: Vec::new(),
            },
        }
    }
}

/// The summable counts of one pair.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairStats {
    pub ngram: NgramStats,
    pub syntax_match: u64,
    pub syntax_total: u64,
    pub dataflow_match: u64,
    pub dataflow_total: u64,
}

impl PairStats {
    pub fn new(reference: &Prepared, prediction: &Prepared) -> PairStats {
        let r: Vec<&str> = split_ws(&reference.text).collect();
        let h: Vec<&str> = split_ws(&prediction.text).collect();
        let (sm, st) = syntax::syntax_counts(&reference.subtrees, &prediction.subtrees);
        let (dm, dt) = dataflow::dataflow_counts(&reference.dataflow, &prediction.dataflow);
        PairStats {
            ngram: bleu::ngram_stats(&r, &h),
            syntax_match: sm,
            syntax_total: st,
            dataflow_match: dm,
            dataflow_total: dt,
        }
    }

    pub fn add(&mut self, o: &PairStats) {
        self.ngram.add(&o.ngram);
        self.syntax_match += o.syntax_match;
        self.syntax_total += o.syntax_total;
        self.dataflow_match += o.dataflow_match;
        self.dataflow_total += o.dataflow_total;
    }

    /// The five numbers, as `calc_codebleu` returns them for the pairs summed here.
    pub fn scores(&self, w: Weights) -> Scores {
        let ngram = self.ngram.bleu();
        let weighted = self.ngram.weighted();
        let syntax = if self.syntax_total == 0 {
            0.0
        } else {
            self.syntax_match as f64 / self.syntax_total as f64
        };
        let dataflow = if self.dataflow_total == 0 {
            0.0
        } else {
            self.dataflow_match as f64 / self.dataflow_total as f64
        };
        // The package's `theta * (dataflow_match_score or 1)`: a data-flow score of 0 counts 1.
        let df_term = if dataflow == 0.0 { 1.0 } else { dataflow };
        let [a, b, c, d] = w.0;
        Scores {
            codebleu: a * ngram + b * weighted + c * syntax + d * df_term,
            ngram_match_score: ngram,
            weighted_ngram_match_score: weighted,
            syntax_match_score: syntax,
            dataflow_match_score: dataflow,
        }
    }
}

/// The package's five fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize, Default)]
pub struct Scores {
    pub codebleu: f64,
    pub ngram_match_score: f64,
    pub weighted_ngram_match_score: f64,
    pub syntax_match_score: f64,
    pub dataflow_match_score: f64,
}

impl Scores {
    /// The mean of each field over `all` (WorkflowLLM's per-sample average).
    pub fn mean(all: &[Scores]) -> Scores {
        let n = all.len().max(1) as f64;
        let mut m = Scores::default();
        for s in all {
            m.codebleu += s.codebleu;
            m.ngram_match_score += s.ngram_match_score;
            m.weighted_ngram_match_score += s.weighted_ngram_match_score;
            m.syntax_match_score += s.syntax_match_score;
            m.dataflow_match_score += s.dataflow_match_score;
        }
        m.codebleu /= n;
        m.ngram_match_score /= n;
        m.weighted_ngram_match_score /= n;
        m.syntax_match_score /= n;
        m.dataflow_match_score /= n;
        m
    }
}

/// Counts for every (reference, prediction) pair, in parallel on all cores, after `strip`.
pub fn pair_stats<S: AsRef<str> + Sync>(pairs: &[(S, S)], strip: StripComments) -> Vec<PairStats> {
    pairs
        .par_iter()
        .map(|(r, p)| {
            let (r, p) = (strip.apply(r.as_ref()), strip.apply(p.as_ref()));
            PairStats::new(&Prepared::new(&r), &Prepared::new(&p))
        })
        .collect()
}

/// `calc_codebleu(references, predictions)` over all pairs at once (counts summed in order).
pub fn corpus_scores(stats: &[PairStats], w: Weights) -> Scores {
    let mut total = PairStats::default();
    for s in stats {
        total.add(s);
    }
    total.scores(w)
}

/// One pair's `calc_codebleu([reference], [prediction])`.
pub fn codebleu(reference: &str, prediction: &str, w: Weights) -> Scores {
    PairStats::new(&Prepared::new(reference), &Prepared::new(prediction)).scores(w)
}
