//! Where conversion time goes, per container and phase, on one thread.
//!
//! `cargo run --release --example phase_times`
mod common;

use std::time::Instant;
use wfc::limits::Limits;

fn main() {
    let Some(converted) = common::converted() else {
        return;
    };
    let limits = Limits::default();
    let mut arena = wfc::shortcut::Bump::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for c in &converted {
        let bytes = common::read(&c.relpath);
        let kind = wfc::shortcut::sniff(&bytes)
            .map_or("?", |c| c.name())
            .to_string();
        files.push((kind, bytes));
    }
    let rounds = 7;
    for kind in ["xml-plist", "bplist", "aea1"] {
        let set: Vec<&Vec<u8>> = files.iter().filter(|f| f.0 == kind).map(|f| &f.1).collect();
        // The least over the rounds of each phase's total: the least disturbed run.
        let mut t = [f64::MAX; 4];
        for _ in 0..rounds {
            let mut round = [0f64; 4];
            for b in &set {
                arena.reset();
                let s = Instant::now();
                let inner: Vec<u8> = if kind == "aea1" {
                    wfc::shortcut::aea::read(b, &limits).unwrap().wflow
                } else {
                    Vec::new()
                };
                let t0 = s.elapsed().as_secs_f64();
                let s = Instant::now();
                let loaded = if kind == "aea1" {
                    wfc::shortcut::parse_tree(&inner, &arena, &limits).ok()
                } else {
                    wfc::shortcut::parse_tree(b, &arena, &limits).ok()
                };
                let t1 = s.elapsed().as_secs_f64();
                let Some(wfc::shortcut::PValue::Dictionary(d)) = loaded else {
                    continue;
                };
                let s = Instant::now();
                let tree = wfc::shortcut::LoadedTree {
                    plist: d,
                    provenance: Default::default(),
                };
                let Ok(wf) = wfc::lift::lift_tree(tree, &limits) else {
                    continue;
                };
                let t2 = s.elapsed().as_secs_f64();
                let s = Instant::now();
                std::hint::black_box(wfc::dsl::print(&wf));
                let t3 = s.elapsed().as_secs_f64();
                for (a, b) in round.iter_mut().zip([t0, t1, t2, t3]) {
                    *a += b;
                }
            }
            for (a, b) in t.iter_mut().zip(round) {
                *a = a.min(b);
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
