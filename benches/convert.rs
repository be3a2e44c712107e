//! Throughput of `wfc` on the shared corpus (`../shared/corpus`), single-threaded:
//! (a) full conversion (read + lift + print) and (b) reading the plists only.
//! Every file is loaded into memory before timing.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use wfc::limits::Limits;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    if !dir.is_dir() {
        eprintln!("skipping: ../shared not found");
        return Vec::new();
    }
    let mut files: Vec<_> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read(e.path()).expect("read corpus file"))
        .collect();
    files.retain(|b| wfc::shortcut::sniff(b).is_some());
    files
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    if files.is_empty() {
        return;
    }
    let limits = Limits::default();
    let bytes: u64 = files.iter().map(|f| f.len() as u64).sum();
    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);

    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function("convert files", |b| {
        b.iter(|| {
            let mut n = 0;
            for f in &files {
                if let Ok(l) = wfc::shortcut::read_bytes(f, &limits) {
                    if let Ok(wf) = wfc::lift::lift(l, &limits) {
                        n += wfc::dsl::print(&wf).len();
                    }
                }
            }
            n
        })
    });
    g.bench_function("read_bytes files", |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| wfc::shortcut::read_bytes(f, &limits).is_ok())
                .count()
        })
    });

    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("convert bytes", |b| {
        b.iter(|| {
            for f in &files {
                if let Ok(l) = wfc::shortcut::read_bytes(f, &limits) {
                    if let Ok(wf) = wfc::lift::lift(l, &limits) {
                        std::hint::black_box(wfc::dsl::print(&wf));
                    }
                }
            }
        })
    });
    g.bench_function("read_bytes bytes", |b| {
        b.iter(|| {
            for f in &files {
                let _ = std::hint::black_box(wfc::shortcut::read_bytes(f, &limits));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
