//! Per-container read/lift/print times over the corpus (a profiling aid).
use std::collections::BTreeMap;
use std::time::Instant;
use wfc::limits::Limits;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    let (inputs, _, _) = wfc::convert::collect_inputs(&[dir.display().to_string()]);
    let limits = Limits::default();
    let mut files = Vec::new();
    for i in inputs {
        if let wfc::convert::Input::File { path, .. } = i {
            let b = std::fs::read(path).unwrap();
            let k = wfc::shortcut::sniff(&b).map_or("?", |c| c.name());
            files.push((k, b));
        }
    }
    let mut t: BTreeMap<&str, [f64; 4]> = BTreeMap::new();
    for _ in 0..3 {
        for (k, b) in &files {
            let e = t.entry(k).or_default();
            let s = Instant::now();
            let Ok(l) = wfc::shortcut::read_bytes(b, &limits) else {
                continue;
            };
            let r = s.elapsed().as_secs_f64();
            let s = Instant::now();
            let Ok(wf) = wfc::lift::lift(l, &limits) else {
                continue;
            };
            let li = s.elapsed().as_secs_f64();
            let s = Instant::now();
            let code = wfc::dsl::print(&wf);
            let p = s.elapsed().as_secs_f64();
            std::hint::black_box(code);
            e[0] += r / 3.0;
            e[1] += li / 3.0;
            e[2] += p / 3.0;
            e[3] += b.len() as f64 / 3.0;
        }
    }
    for (k, [r, l, p, bytes]) in t {
        println!(
            "{k:16} read {:.3}s lift {:.3}s print {:.3}s  ({:.1} MB)",
            r,
            l,
            p,
            bytes / 1e6
        );
    }
}
