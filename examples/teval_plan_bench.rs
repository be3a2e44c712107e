//! Times T-Eval's PLAN metric on the 553-sample `plan_json_v1.json` with pred = gold (the
//! oracle), model loading included, next to the reference's recorded 19 minutes (T-Eval's
//! Python evaluator, sentence-transformers on 2 CPU cores).
//!
//! `cargo run --release --example teval_plan_bench [-- MODEL_DIR [FILE]]`
//! (default model: the cache `scripts/fetch-mpnet.sh` fills; default file:
//! `../shared/eval/teval/data/plan_json_v1.json`).

use std::path::PathBuf;
use std::time::Instant;
use wfc::eval::plan::{self, mpnet::MpnetEncoder, Evaluator};

const REFERENCE_SECONDS: f64 = 19.0 * 60.0;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(plan::mpnet::default_model_dir);
    let file = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/eval/teval/data/plan_json_v1.json")
    });
    let t0 = Instant::now();
    let enc = MpnetEncoder::load(&model)?;
    let t_load = t0.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&file)?;
    let samples: Vec<_> = plan::read_records(&text, true)
        .into_iter()
        .filter_map(|r| r.ok().map(|r| r.sample))
        .collect();
    let prepared: Vec<_> = samples.iter().map(plan::prepare).collect();
    let t1 = Instant::now();
    let mut ev = Evaluator::new(enc, 0.8);
    let outcomes = ev.evaluate_prepared(&prepared)?;
    let t_score = t1.elapsed().as_secs_f64();
    let total = t0.elapsed().as_secs_f64();
    let mean = plan::aggregate(&outcomes.iter().map(|o| o.scores).collect::<Vec<_>>());
    println!(
        "{} samples, {} distinct texts embedded, threads {}",
        samples.len(),
        ev.table.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("model load  {t_load:8.2} s");
    println!("embed+score {t_score:8.2} s");
    println!(
        "total       {total:8.2} s   (reference: {REFERENCE_SECONDS:.0} s, {:.0}× faster)",
        REFERENCE_SECONDS / total
    );
    println!(
        "F1 {:.6}  precision {:.6}  recall {:.6}",
        mean.f1_score, mean.precision, mean.recall
    );
    Ok(())
}
