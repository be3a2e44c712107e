//! One pass of full conversion (read + lift + print) over the reference's 1,345 files, for
//! instruction-count profiling, whose counts do not move with this VM's noise:
//!
//! `valgrind --tool=callgrind target/release/examples/prof_convert [relpath|converted_from]`
//!
//! `converted_from` (the default) reads the reference's own inputs, `relpath` the corpus
//! files themselves (signed files decoded by wfc).

// The allocator of the `wfc` binary, so that counts are what users get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use wfc::limits::Limits;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let Ok(text) = std::fs::read_to_string(shared.join("reference/workflowllm_convert.jsonl"))
    else {
        eprintln!("skipping: ../shared not found");
        return;
    };
    let field = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "converted_from".into());
    let files: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let r: serde_json::Value = serde_json::from_str(line).expect("reference line");
            let rel = r[&field].as_str().expect("path field");
            std::fs::read(shared.join("corpus").join(rel)).expect("corpus file")
        })
        .collect();
    let limits = Limits::default();
    let mut scratch = wfc::shortcut::Scratch::default();
    let mut total = 0;
    for f in &files {
        let Ok(tree) = wfc::shortcut::read_tree(f, &mut scratch, &limits) else {
            continue;
        };
        let Ok(wf) = wfc::lift::lift_tree(tree, &limits) else {
            continue;
        };
        total += wfc::dsl::print(&wf).len();
    }
    println!("{} files, {total} bytes of DSL", files.len());
}
