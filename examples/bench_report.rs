//! Single-core throughput of `wfc` against the WorkflowLLM converter's recorded times.
//!
//! `cargo run --release --example bench_report`
//!
//! Reads the files listed in `../shared/reference/workflowllm_convert.jsonl` (field `secs`:
//! the reference's time per file) and converts them on one thread, in two ways:
//! - the corpus files themselves (wfc decodes the signed ones: AEA, LZFSE,
//!   Apple Archive);
//! - the reference's own inputs (`converted_from`): for a signed file, the reference was
//!   timed on the already-decoded `.wflow` plist, so this is the like-for-like comparison.
//!
//! Each is timed for full conversion (read + lift + print) and for reading only, with wfc's
//! readers and with the `plist` crate ("merely parsing"). Each figure is the least of 25
//! rounds, all in one run.

mod common;

use std::time::Instant;
use wfc::limits::Limits;

fn main() {
    let Some(converted) = common::converted() else {
        return;
    };
    let files: Vec<Vec<u8>> = converted.iter().map(|c| common::read(&c.relpath)).collect();
    let inputs: Vec<Vec<u8>> = converted
        .iter()
        .map(|c| common::read(&c.converted_from))
        .collect();
    let ref_secs: f64 = converted.iter().map(|c| c.secs).sum();
    let n = files.len();
    let limits = Limits::default();

    let time = |f: &dyn Fn() -> usize| {
        f(); // warm up
        (0..25)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let convert = |set: &[Vec<u8>]| {
        let mut scratch = wfc::shortcut::Scratch::default();
        set.iter()
            .filter_map(|f| {
                let tree = wfc::shortcut::read_tree(f, &mut scratch, &limits).ok()?;
                wfc::lift::lift_tree(tree, &limits).ok()
            })
            .map(|wf| wfc::dsl::print(&wf).len())
            .sum()
    };
    let read = |set: &[Vec<u8>]| {
        let mut scratch = wfc::shortcut::Scratch::default();
        set.iter()
            .filter(|f| wfc::shortcut::read_tree(f, &mut scratch, &limits).is_ok())
            .count()
    };
    let read_crate = |set: &[Vec<u8>]| {
        set.iter()
            .filter(|f| wfc::shortcut::read_bytes(f, &limits).is_ok())
            .count()
    };

    let ref_fps = n as f64 / ref_secs;
    println!("{n} files; reference (WorkflowLLM): {ref_fps:.0} files/s");
    println!(
        "{:<44} {:>10} {:>9} {:>11}",
        "", "files/s", "MB/s", "vs ref"
    );
    for (label, set) in [
        ("corpus files (wfc decodes signed files)", &files),
        ("reference's inputs (like for like)", &inputs),
    ] {
        let mb = set.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        println!("{label} ({mb:.1} MB)");
        let convert = time(&|| convert(set));
        for (what, secs) in [
            ("  wfc convert (read + lift + print)", convert),
            ("  wfc read only", time(&|| read(set))),
            ("  plist crate read only", time(&|| read_crate(set))),
        ] {
            println!(
                "{what:<44} {:>10.0} {:>9.1} {:>10.1}x",
                n as f64 / secs,
                mb / secs,
                ref_secs / secs
            );
        }
    }
}
