//! Every signed file in the shared corpus must yield exactly the `Shortcut.wflow` that was
//! extracted from it independently (manifest column `decoded_wflow`).

use std::path::{Path, PathBuf};
use wfc::limits::Limits;

mod common;
use common::split_tsv;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.join("manifest.tsv").is_file().then_some(dir)
}

/// (file, expected wflow, format) for every row with a `decoded_wflow`.
fn signed_rows(corpus: &Path) -> Vec<(PathBuf, PathBuf, String)> {
    let manifest = std::fs::read_to_string(corpus.join("manifest.tsv")).expect("read manifest");
    let mut lines = manifest.lines();
    let header = split_tsv(lines.next().expect("manifest header"));
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("manifest has no {name} column"))
    };
    let (relpath, decoded, format) = (col("relpath"), col("decoded_wflow"), col("format"));
    lines
        .filter(|l| !l.is_empty())
        .map(split_tsv)
        .filter(|f| f.get(decoded).is_some_and(|d| !d.is_empty()))
        .map(|f| {
            let fmt = f[format].clone();
            (corpus.join(&f[relpath]), corpus.join(&f[decoded]), fmt)
        })
        .collect()
}

#[test]
fn signed_files_yield_decoded_wflow() {
    let Some(corpus) = corpus_dir() else {
        println!("skipping: ../shared not found");
        return;
    };
    let rows = signed_rows(&corpus);
    let limits = Limits::default();
    let mut ok = 0;
    let mut failures = Vec::new();
    for (file, expected, format) in &rows {
        let bytes = std::fs::read(file).expect("read signed file");
        let want = std::fs::read(expected).expect("read decoded wflow");
        match wfc::shortcut::aea::read(&bytes, &limits) {
            Ok(f) if f.wflow == want => {
                // The manifest's format says which kind of signer to expect.
                let signer = format.strip_prefix("aea1-signed-").unwrap_or("?");
                let meta = f.metadata();
                assert_eq!(
                    meta[0],
                    ("signer".into(), signer.into()),
                    "{}",
                    file.display()
                );
                assert_ne!(meta[1].1, "0", "{}: no certificates", file.display());
                ok += 1;
            }
            Ok(f) => failures.push(format!(
                "{}: wflow differs ({} bytes, expected {})",
                file.display(),
                f.wflow.len(),
                want.len()
            )),
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    println!(
        "aea: {ok} of {} signed files match decoded_wflow",
        rows.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(ok, 609);
}

#[test]
fn signed_files_read_as_workflows() {
    let Some(corpus) = corpus_dir() else {
        println!("skipping: ../shared not found");
        return;
    };
    let rows = signed_rows(&corpus);
    let limits = Limits::default();
    let mut ok = 0;
    let mut failures = Vec::new();
    for (file, _, _) in &rows {
        let bytes = std::fs::read(file).expect("read signed file");
        match wfc::shortcut::read_bytes(&bytes, &limits) {
            Ok(loaded) if loaded.plist.contains_key("WFWorkflowActions") => {
                let extra = &loaded.provenance.extra;
                assert!(
                    extra.iter().any(|(k, _)| k == "signer"),
                    "{}: no signer in provenance",
                    file.display()
                );
                ok += 1;
            }
            Ok(_) => failures.push(format!("{}: no WFWorkflowActions", file.display())),
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    println!("read_bytes: {ok} of {} signed files read", rows.len());
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(ok, 609);
}

/// Flipped payload bytes in real signed files (issue 10): every flip inside segment data is
/// an error naming the damaged segment (or a broken LZFSE stream), never a garbled program.
#[test]
fn flipped_payload_bytes_in_signed_files_are_errors() {
    let Some(corpus) = corpus_dir() else {
        println!("skipping: ../shared not found");
        return;
    };
    let limits = Limits::default();
    let mut tried = 0;
    for (file, _, _) in signed_rows(&corpus).iter().step_by(10) {
        let bytes = std::fs::read(file).expect("read signed file");
        // Where the first segment's data lies (see FORMAT.md): after the auth data, the
        // 0x130 bytes of signature, keys, MACs and root header, the segment headers
        // (raw size, stored size, SHA-256) and the cluster's MACs.
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
        let root = 12 + u32_at(8) + 224;
        let spc = u32_at(root + 20);
        let cluster = root + 48 + 32;
        let stored = u32_at(cluster + 4);
        let data = cluster + spc * 40 + 32 + spc * 32;
        for at in [data, data + stored / 2, data + stored - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 0x20;
            tried += 1;
            match wfc::shortcut::aea::read(&bad, &limits) {
                Err(e) => {
                    let m = e.to_string();
                    assert!(
                        m.contains("fails its SHA-256 checksum") || m.starts_with("LZFSE segment"),
                        "{} flip at {at}: {m}",
                        file.display()
                    );
                }
                Ok(_) => panic!("{}: flip at {at} read without an error", file.display()),
            }
        }
    }
    println!("{tried} flipped files, all refused");
}
