//! Throughput of `wfc check` (parse + check) over every corpus shortcut, printed as DSL,
//! with the full catalog built from ../shared/catalogs. Skipped when ../shared is absent.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use wfc::catalog::Catalog;
use wfc::check::Checker;

fn bench(c: &mut Criterion) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !shared.join("catalogs").is_dir() || !shared.join("corpus/files").is_dir() {
        eprintln!("skipping check bench: ../shared not found");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("catalog.sqlite");
    Catalog::build(&shared.join("catalogs"), Some(&db)).expect("catalog builds");
    let catalog = Catalog::open(&db).expect("catalog opens");
    let (inputs, _, _) =
        wfc::convert::collect_inputs(&[shared.join("corpus/files").display().to_string()]);
    let limits = wfc::limits::Limits::default();
    let programs: Vec<String> = inputs
        .iter()
        .filter_map(|i| wfc::convert::load(i, &limits).ok())
        .map(|wf| wfc::dsl::print(&wf))
        .collect();
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    g.throughput(Throughput::Elements(programs.len() as u64));
    g.bench_function("corpus_parse_and_check", |b| {
        b.iter(|| {
            // A fresh checker per pass: its lookup cache warms up within the pass, as in
            // one `wfc check DIR` run.
            let checker = Checker::new(&catalog);
            programs
                .iter()
                .map(|p| checker.check_source(p).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
