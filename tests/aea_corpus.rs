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

/// A signed corpus file rewritten to checksum kind 1 (murmur). No corpus file uses kind 1
/// (all 609 use SHA-256), so this file is constructed: the same auth data, root header
/// (with its checksum byte set to 1), segment data and MACs, with each 40-byte segment
/// header (sizes and SHA-256) replaced by a 16-byte one (sizes and MurmurHash64A of the
/// decoded segment). Its HMACs and signature no longer hold; wfc does not check them.
fn as_murmur_file(bytes: &[u8]) -> Vec<u8> {
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let root = 12 + u32_at(8) as usize + 224;
    let raw_size = u64::from_le_bytes(bytes[root..root + 8].try_into().unwrap()) as usize;
    let spc = u32_at(root + 20) as usize;
    assert_eq!(bytes[root + 25], 2, "the source file uses SHA-256");
    let mut out = bytes[..root + 48 + 32].to_vec();
    out[root + 25] = 1;
    let (mut pos, mut decoded_total) = (root + 48 + 32, 0);
    while decoded_total < raw_size {
        let headers = pos;
        let macs = headers + spc * 40;
        let mut data = macs + 32 + spc * 32;
        let mut new_headers = Vec::new();
        let mut segments = Vec::new();
        for i in 0..spc {
            let (raw, stored) = (u32_at(headers + i * 40), u32_at(headers + i * 40 + 4));
            let seg = &bytes[data..data + stored as usize];
            let decoded = if raw == stored {
                seg.to_vec()
            } else {
                let mut o = Vec::new();
                lzfse_rust::decode_bytes(seg, &mut o).expect("corpus segment decodes");
                o
            };
            decoded_total += decoded.len();
            new_headers.extend(raw.to_le_bytes());
            new_headers.extend(stored.to_le_bytes());
            let sum = if raw == 0 {
                vec![0; 8]
            } else {
                wfc::shortcut::aea::segment_checksum(1, &decoded)
            };
            new_headers.extend(sum);
            segments.extend_from_slice(seg);
            data += stored as usize;
        }
        out.extend(new_headers);
        out.extend_from_slice(&bytes[macs..macs + 32 + spc * 32]);
        out.extend(segments);
        pos = data;
    }
    out
}

#[test]
fn murmur_checksums_are_verified_on_a_constructed_file() {
    let Some(corpus) = corpus_dir() else {
        println!("skipping: ../shared not found");
        return;
    };
    let limits = Limits::default();
    let rows = signed_rows(&corpus);
    for (file, expected, _) in rows.iter().step_by(100) {
        let bytes = std::fs::read(file).expect("read signed file");
        let murmur = as_murmur_file(&bytes);
        let got = wfc::shortcut::aea::read(&murmur, &limits).expect("constructed file reads");
        assert_eq!(got.root_header.checksum_kind, 1);
        assert_eq!(
            got.wflow,
            std::fs::read(expected).unwrap(),
            "{}",
            file.display()
        );
        // A flipped bit in the first segment's checksum, then in its data.
        let u32_at = |i: usize| u32::from_le_bytes(murmur[i..i + 4].try_into().unwrap());
        let root = 12 + u32_at(8) as usize + 224;
        let spc = u32_at(root + 20) as usize;
        let cluster = root + 48 + 32;
        let data = cluster + spc * 16 + 32 + spc * 32;
        for at in [cluster + 8, data + u32_at(cluster + 4) as usize / 2] {
            let mut bad = murmur.clone();
            bad[at] ^= 0x08;
            let m = match wfc::shortcut::aea::read(&bad, &limits) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{}: flip at {at} read without an error", file.display()),
            };
            assert!(
                m.starts_with("segment 0 (cluster 0, header at offset")
                    && m.contains("fails its MurmurHash64A checksum")
                    || m.starts_with("LZFSE segment") && at != cluster + 8,
                "{} flip at {at}: {m}",
                file.display()
            );
        }
    }
}
