//! Parse + compile throughput (lines/s) on the printed corpus: every corpus file is
//! converted to DSL first, then the DSL programs are parsed and compiled, single-threaded.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use wfc::dsl::{parse, ParseOptions};
use wfc::limits::Limits;

fn programs() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    if !dir.is_dir() {
        eprintln!("skipping: ../shared not found");
        return Vec::new();
    }
    let (inputs, _, _) = wfc::convert::collect_inputs(&[dir.display().to_string()]);
    let limits = Limits::default();
    inputs
        .iter()
        .filter_map(|i| wfc::convert::load(i, &limits).ok())
        .map(|wf| wfc::dsl::print(&wf))
        .collect()
}

fn bench(c: &mut Criterion) {
    let progs = programs();
    if progs.is_empty() {
        return;
    }
    let lines: u64 = progs.iter().map(|p| p.lines().count() as u64).sum();
    let opts = ParseOptions {
        deterministic_uuids: true,
        ..Default::default()
    };
    let mut g = c.benchmark_group("dsl");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines));
    g.bench_function("parse lines", |b| {
        b.iter(|| progs.iter().filter(|p| parse(p, opts).is_ok()).count())
    });
    g.bench_function("parse+compile lines", |b| {
        b.iter(|| {
            progs
                .iter()
                .filter_map(|p| parse(p, opts).ok())
                .map(|wf| wfc::compile::compile(&wf).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
