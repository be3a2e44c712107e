//! Where conversion time goes, per container and phase, on one thread.
//!
//! `cargo run --release --example phase_times`
use std::path::Path;
use std::time::Instant;
use wfc::limits::Limits;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let Ok(text) = std::fs::read_to_string(shared.join("reference/workflowllm_convert.jsonl"))
    else {
        eprintln!("skipping: ../shared not found");
        return;
    };
    let limits = Limits::default();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let rel = r["relpath"].as_str().unwrap();
        let bytes = std::fs::read(shared.join("corpus").join(rel)).unwrap();
        let kind = wfc::shortcut::sniff(&bytes)
            .map_or("?", |c| c.name())
            .to_string();
        files.push((kind, bytes));
    }
    let rounds = 5;
    for kind in ["xml-plist", "bplist", "aea1"] {
        let set: Vec<&Vec<u8>> = files.iter().filter(|f| f.0 == kind).map(|f| &f.1).collect();
        let mut t = [0f64; 4];
        for _ in 0..rounds {
            for b in &set {
                let s = Instant::now();
                let inner: Vec<u8> = if kind == "aea1" {
                    wfc::shortcut::aea::read(b, &limits).unwrap().wflow
                } else {
                    Vec::new()
                };
                let t0 = s.elapsed().as_secs_f64();
                let s = Instant::now();
                let loaded = if kind == "aea1" {
                    wfc::shortcut::parse_plist(&inner, &limits).ok()
                } else {
                    wfc::shortcut::parse_plist(b, &limits).ok()
                };
                let t1 = s.elapsed().as_secs_f64();
                let Some(plist::Value::Dictionary(d)) = loaded else {
                    continue;
                };
                let s = Instant::now();
                let Ok(wf) = wfc::lift::lift(
                    wfc::shortcut::Loaded {
                        plist: d,
                        provenance: Default::default(),
                    },
                    &limits,
                ) else {
                    continue;
                };
                let t2 = s.elapsed().as_secs_f64();
                let s = Instant::now();
                std::hint::black_box(wfc::dsl::print(&wf));
                let t3 = s.elapsed().as_secs_f64();
                for (a, b) in t.iter_mut().zip([t0, t1, t2, t3]) {
                    *a += b / rounds as f64;
                }
            }
        }
        println!(
            "{kind:10} {:4} files  container {:.4}s  plist {:.4}s  lift {:.4}s  print {:.4}s",
            set.len(),
            t[0],
            t[1],
            t[2],
            t[3]
        );
    }
}
