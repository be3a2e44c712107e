//! Parses every printed corpus program repeatedly (a profiling aid for the DSL parser).
fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    let (inputs, _, _) = wfc::convert::collect_inputs(&[dir.display().to_string()]);
    let limits = wfc::limits::Limits::default();
    let progs: Vec<String> = inputs
        .iter()
        .filter_map(|i| wfc::convert::load(i, &limits).ok())
        .map(|wf| wfc::dsl::print(&wf))
        .collect();
    let lines: usize = progs.iter().map(|p| p.lines().count()).sum();
    let t = std::time::Instant::now();
    let opts = wfc::dsl::ParseOptions {
        deterministic_uuids: true,
        ..Default::default()
    };
    let ok = progs
        .iter()
        .filter(|p| wfc::dsl::parse(p, opts).is_ok())
        .count();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{ok} programs, {lines} lines in {s:.3}s: {:.0} lines/s",
        lines as f64 / s
    );
}
