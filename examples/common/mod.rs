//! What the throughput examples share: the allocator of the `wfc` binary (so that timings
//! and instruction counts are what users get) and the WorkflowLLM converter's recorded
//! run, `../shared/reference/workflowllm_convert.jsonl`, which they measure against.

// Each example reads only the fields it needs.
#![allow(dead_code)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};

/// One file the reference converted.
pub struct Converted {
    /// The corpus file (a signed one still signed).
    pub relpath: String,
    /// What the reference read: for a signed file, its decoded `.wflow`.
    pub converted_from: String,
    /// The reference's time for it.
    pub secs: f64,
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The reference's files, or `None` (with a message) when `../shared` is absent.
pub fn converted() -> Option<Vec<Converted>> {
    let path = shared().join("reference/workflowllm_convert.jsonl");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipping: ../shared not found");
        return None;
    };
    let entries = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let r: serde_json::Value = serde_json::from_str(line).expect("reference line");
            let field = |f: &str| r[f].as_str().expect("path field").to_string();
            Converted {
                relpath: field("relpath"),
                converted_from: field("converted_from"),
                secs: r["secs"].as_f64().expect("secs"),
            }
        })
        .collect();
    Some(entries)
}

/// The bytes of a corpus file named by its path in the reference.
pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(shared().join("corpus").join(rel)).expect("corpus file")
}
