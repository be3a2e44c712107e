//! One pass of full conversion (read + lift + print) over the reference's 1,345 files, for
//! instruction-count profiling, whose counts do not move with this VM's noise:
//!
//! `valgrind --tool=callgrind target/release/examples/prof_convert [relpath|converted_from]`
//!
//! `converted_from` (the default) reads the reference's own inputs, `relpath` the corpus
//! files themselves (signed files decoded by wfc).

mod common;

use wfc::limits::Limits;

fn main() {
    let Some(converted) = common::converted() else {
        return;
    };
    let corpus_files = std::env::args().nth(1).as_deref() == Some("relpath");
    let files: Vec<Vec<u8>> = converted
        .iter()
        .map(|c| match corpus_files {
            true => common::read(&c.relpath),
            false => common::read(&c.converted_from),
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
