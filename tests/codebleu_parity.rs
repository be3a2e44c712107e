//! CodeBLEU against the `codebleu` package's own numbers (`../shared/eval/codebleu`, made with
//! `PYTHONHASHSEED=0`): all five equal to 1e-9, and the data flow also inside the range the
//! package gives over other hash seeds.

mod common;

use serde_json::Value;
use wfc::eval::codebleu::{corpus_scores, pair_stats, StripComments, Weights};

const EXACT: f64 = 1e-9;

/// Per-pair and corpus data-flow range of the reference over the `PYTHONHASHSEED` values listed in
/// the file, made by
/// `scripts/codebleu-spread.py` (its data flow depends on the hash seed).
fn spread() -> Value {
    serde_json::from_str(include_str!("data/codebleu_dataflow_spread.json")).unwrap()
}

fn fixture() -> Option<(Vec<Value>, Value)> {
    let dir = common::shared_dir()?.join("eval/codebleu");
    let pairs = std::fs::read_to_string(dir.join("pairs.jsonl")).ok()?;
    let corpus = std::fs::read_to_string(dir.join("corpus.json")).ok()?;
    Some((
        pairs
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        serde_json::from_str(&corpus).unwrap(),
    ))
}

fn within(x: f64, range: &Value) -> bool {
    let (lo, hi) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
    x >= lo - EXACT && x <= hi + EXACT
}

#[test]
fn every_fixture_pair_matches_the_package() {
    let Some((pairs, _)) = fixture() else { return };
    let spread = spread();
    let input: Vec<(String, String)> = pairs
        .iter()
        .map(|p| {
            (
                p["reference"].as_str().unwrap().to_string(),
                p["prediction"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let stats = pair_stats(&input, StripComments::None);
    let mut bad = Vec::new();
    for (i, (p, st)) in pairs.iter().zip(&stats).enumerate() {
        let s = st.scores(Weights::default());
        let want = &p["scores"];
        for (name, got) in [
            ("ngram_match_score", s.ngram_match_score),
            ("weighted_ngram_match_score", s.weighted_ngram_match_score),
            ("syntax_match_score", s.syntax_match_score),
            ("dataflow_match_score", s.dataflow_match_score),
            ("codebleu", s.codebleu),
        ] {
            let w = want[name].as_f64().unwrap();
            if (got - w).abs() > EXACT {
                bad.push(format!("pair {i} ({}): {name} {got} != {w}", p["kind"]));
            }
        }
        if !within(s.dataflow_match_score, &spread["pairs"][i]) {
            bad.push(format!(
                "pair {i} ({}): dataflow {} outside {}",
                p["kind"], s.dataflow_match_score, spread["pairs"][i]
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn corpus_score_matches_the_package() {
    let Some((pairs, corpus)) = fixture() else {
        return;
    };
    let input: Vec<(String, String)> = pairs
        .iter()
        .filter(|p| !p["prediction"].as_str().unwrap().is_empty())
        .map(|p| {
            (
                p["reference"].as_str().unwrap().to_string(),
                p["prediction"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(input.len() as u64, corpus["pairs"].as_u64().unwrap());
    let s = corpus_scores(&pair_stats(&input, StripComments::None), Weights::default());
    let want = &corpus["scores"];
    for (name, got) in [
        ("ngram_match_score", s.ngram_match_score),
        ("weighted_ngram_match_score", s.weighted_ngram_match_score),
        ("syntax_match_score", s.syntax_match_score),
        ("dataflow_match_score", s.dataflow_match_score),
        ("codebleu", s.codebleu),
    ] {
        let w = want[name].as_f64().unwrap();
        assert!((got - w).abs() <= EXACT, "{name}: {got} != {w}");
    }
    assert!(
        within(s.dataflow_match_score, &spread()["corpus"]),
        "corpus dataflow {} outside {}",
        s.dataflow_match_score,
        spread()["corpus"]
    );
}
