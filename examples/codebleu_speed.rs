//! CodeBLEU throughput on the parity fixture, side by side with the `codebleu` package.
//!
//!   cargo run --release --example codebleu_speed [PAIRS.jsonl] [--reference PYTHON]
//!
//! Scores every pair (reference and prediction prepared per pair, as `calc_codebleu` does for
//! one pair at a time) in parallel on all cores, several rounds, and prints pairs per second.
//! With `--reference PYTHON` (a venv's python with codebleu 0.7.0) it also times the package
//! once on the same pairs through `scripts/codebleu-reference.py --time`. Without it, the
//! package's rate recorded in the fixture's `corpus.json` is shown.

use std::path::{Path, PathBuf};
use std::time::Instant;
use wfc::eval::codebleu::{pair_stats, StripComments};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pairs_path = args
        .iter()
        .find(|a| a.ends_with(".jsonl"))
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/eval/codebleu/pairs.jsonl"));
    let text = match std::fs::read_to_string(&pairs_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", pairs_path.display());
            std::process::exit(2);
        }
    };
    let pairs: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v["reference"].as_str()?.to_string(),
                v["prediction"].as_str()?.to_string(),
            ))
        })
        .collect();
    let threads = rayon::current_num_threads();
    // Warm-up (parser set-up per thread), then timed rounds.
    let _ = pair_stats(&pairs, StripComments::None);
    let rounds = 5;
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(pair_stats(&pairs, StripComments::None));
    }
    let secs = t.elapsed().as_secs_f64();
    let ours = (rounds * pairs.len()) as f64 / secs;
    println!(
        "wfc:       {} pairs x {rounds} rounds in {secs:.2}s on {threads} threads = {ours:.1} pairs/s",
        pairs.len()
    );
    let reference = match args.iter().position(|a| a == "--reference") {
        Some(i) => {
            let py = args.get(i + 1).expect("--reference PYTHON");
            let out = std::process::Command::new(py)
                .arg(manifest.join("scripts/codebleu-reference.py"))
                .arg(&pairs_path)
                .arg("--time")
                .env("PYTHONHASHSEED", "0")
                .output()
                .expect("running the reference");
            let last = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            serde_json::from_str::<serde_json::Value>(&last)
                .ok()
                .and_then(|v| v["pairs_per_second"].as_f64())
                .map(|r| (r, "measured now, one process"))
        }
        None => std::fs::read_to_string(pairs_path.with_file_name("corpus.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["reference_pairs_per_second"].as_f64())
            .map(|r| (r, "recorded in corpus.json")),
    };
    if let Some((r, how)) = reference {
        println!("codebleu:  {r:.2} pairs/s ({how})");
        println!("speed-up:  {:.0}x", ours / r);
    }
}
