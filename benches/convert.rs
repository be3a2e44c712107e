//! Throughput of `wfc` on the shared corpus (`../shared/corpus`), single-threaded:
//! (a) full conversion (read + lift + print) and (b) reading the plists only.
//! Every file is loaded into memory before timing.

// The allocator of the `wfc` binary, so that timings are what users get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

    let convert = |f: &[u8]| -> usize {
        let mut scratch = wfc::shortcut::Scratch::default();
        let Ok(tree) = wfc::shortcut::read_tree(f, &mut scratch, &limits) else {
            return 0;
        };
        wfc::lift::lift_tree(tree, &limits).map_or(0, |wf| wfc::dsl::print(&wf).len())
    };
    let read = |f: &[u8]| -> bool {
        let mut scratch = wfc::shortcut::Scratch::default();
        wfc::shortcut::read_tree(f, &mut scratch, &limits).is_ok()
    };

    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function("convert files", |b| {
        b.iter(|| files.iter().map(|f| convert(f)).sum::<usize>())
    });
    g.bench_function("read files", |b| {
        b.iter(|| files.iter().filter(|f| read(f)).count())
    });
    // The plist crate behind the same container readers: what "merely parsing" costs
    // without wfc's fast readers.
    g.bench_function("read with the plist crate files", |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| wfc::shortcut::read_bytes(f, &limits).is_ok())
                .count()
        })
    });

    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("convert bytes", |b| {
        b.iter(|| files.iter().map(|f| convert(f)).sum::<usize>())
    });
    g.bench_function("read bytes", |b| {
        b.iter(|| files.iter().filter(|f| read(f)).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
