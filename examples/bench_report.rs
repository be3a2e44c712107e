//! Single-core throughput of `wfc` against the WorkflowLLM converter's recorded times.
//!
//! `cargo run --release --example bench_report`
//!
//! Reads the files listed in `../shared/reference/workflowllm_convert.jsonl` (field `secs`:
//! the reference's time per file), converts the same files on one thread, and prints files/s
//! for full conversion (read + lift + print), for reading only, and for the reference.

use std::path::Path;
use std::time::Instant;
use wfc::limits::Limits;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let reference = shared.join("reference/workflowllm_convert.jsonl");
    let Ok(text) = std::fs::read_to_string(&reference) else {
        eprintln!("skipping: ../shared not found");
        return;
    };
    let mut files = Vec::new();
    let mut ref_secs = 0.0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: serde_json::Value = serde_json::from_str(line).expect("reference line is JSON");
        let rel = r["relpath"].as_str().expect("relpath");
        let secs = r["secs"].as_f64().expect("secs");
        let bytes = std::fs::read(shared.join("corpus").join(rel)).expect("corpus file");
        files.push(bytes);
        ref_secs += secs;
    }
    let n = files.len();
    let mb = files.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let limits = Limits::default();

    let time = |f: &dyn Fn() -> usize| {
        f(); // warm up
        let rounds = 5;
        let t = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(f());
        }
        t.elapsed().as_secs_f64() / rounds as f64
    };
    let convert = time(&|| {
        let mut scratch = Vec::new();
        files
            .iter()
            .filter_map(|f| {
                let tree = wfc::shortcut::read_tree(f, &mut scratch, &limits).ok()?;
                wfc::lift::lift_tree(tree, &limits).ok()
            })
            .map(|wf| wfc::dsl::print(&wf).len())
            .sum()
    });
    let read = time(&|| {
        files
            .iter()
            .filter(|f| {
                let mut scratch = Vec::new();
                wfc::shortcut::read_tree(f, &mut scratch, &limits).is_ok()
            })
            .count()
    });

    let fps = |secs: f64| n as f64 / secs;
    println!("{n} files, {mb:.1} MB (the files the reference converted)");
    println!(
        "wfc convert (1 core):    {:>10.0} files/s  {:>7.1} MB/s",
        fps(convert),
        mb / convert
    );
    println!(
        "wfc read only (1 core):  {:>10.0} files/s  {:>7.1} MB/s",
        fps(read),
        mb / read
    );
    println!("reference (WorkflowLLM): {:>10.0} files/s", fps(ref_secs));
    println!("ratio wfc/reference:     {:>10.1}x", ref_secs / convert);
    println!("ratio convert/read-only: {:>10.2}", read / convert);
}
