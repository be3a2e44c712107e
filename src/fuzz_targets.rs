//! The bodies of the fuzz targets in `fuzz/`, shared with the stable smoke test
//! (`tests/fuzz_smoke.rs`) so that both exercise exactly the same code.
//!
//! Each function takes arbitrary bytes and must return without panicking, overflowing the
//! stack, hanging or allocating without bound. A broken invariant (a round trip that does
//! not agree) is a panic, which libFuzzer reports as a crash.

use crate::dsl::{self, ParseOptions};
use crate::ir::Workflow;
use crate::limits::Limits;
use crate::shortcut::{self, Loaded};

/// Limits used by every target: the defaults, with a smaller input cap so that a run
/// stays within libFuzzer's memory limit.
pub fn limits() -> Limits {
    Limits {
        max_input_bytes: 4 << 20,
        max_decompressed_bytes: 64 << 20,
        ..Limits::default()
    }
}

/// `read`: container sniffing and every container reader, both the `plist` crate's way
/// and the fast way the converter uses.
pub fn read(data: &[u8]) {
    let _ = shortcut::sniff(data);
    let _ = shortcut::read_bytes(data, &limits());
    let mut scratch = shortcut::Scratch::default();
    let _ = shortcut::read_tree(data, &mut scratch, &limits());
}

/// `fast_plist`: the fast XML and binary plist readers against the `plist` crate. Where
/// the fast readers answer, the crate must read the same value (they may decline anything).
pub fn fast_plist(data: &[u8]) {
    let limits = limits();
    let arena = shortcut::Bump::new();
    let Some(fast) = shortcut::parse_fast(data, &arena, &limits) else {
        return;
    };
    let slow = plist::Value::from_reader(std::io::Cursor::new(data)).unwrap_or_else(|e| {
        panic!("the fast reader read what the plist crate refuses ({e}): {fast:?}")
    });
    // Debug text, so that NaN reals compare equal.
    assert_eq!(
        format!("{:?}", fast.to_plist()),
        format!("{slow:?}"),
        "fast reader differs"
    );
}

/// `aea`: the signed-file reader (header, auth data, clusters, LZFSE, Apple Archive).
pub fn aea(data: &[u8]) {
    let _ = shortcut::aea::read(data, &limits());
    // Most random bytes fail at the magic; also try them behind a valid one.
    if !data.starts_with(b"AEA1") {
        let mut v = b"AEA1".to_vec();
        v.extend_from_slice(data);
        let _ = shortcut::aea::read(&v, &limits());
    }
}

/// `lift`: bytes → container → IR, and any plist (whatever its top level) → IR.
pub fn lift(data: &[u8]) {
    let limits = limits();
    let mut scratch = shortcut::Scratch::default();
    if let Ok(tree) = shortcut::read_tree(data, &mut scratch, &limits) {
        let _ = crate::lift::lift_tree(tree, &limits);
    }
    if let Ok(plist::Value::Dictionary(d)) = shortcut::parse_plist(data, &limits) {
        let loaded = Loaded {
            plist: d,
            provenance: Default::default(),
        };
        let _ = crate::lift::lift(loaded, &limits);
    }
}

/// `dsl_parse`: UTF-8 text → IR.
pub fn dsl_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = dsl::parse(text, det());
    }
}

fn det() -> ParseOptions {
    ParseOptions {
        deterministic_uuids: true,
        ..Default::default()
    }
}

/// `roundtrip`: text → parse → print → parse gives the same printed text and the same
/// IR; and for bytes that read and lift, IR → compile → lift gives the same IR.
pub fn roundtrip(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        dsl_roundtrip(text);
    }
    let limits = limits();
    if let Ok(loaded) = shortcut::read_bytes(data, &limits) {
        if let Ok(wf) = crate::lift::lift(loaded, &limits) {
            plist_roundtrip(&wf, &limits);
        }
    }
}

/// DSL text that parses must print to text that parses back to the same IR and prints
/// the same again.
pub fn dsl_roundtrip(text: &str) {
    let Ok(first) = dsl::parse(text, det()) else {
        return;
    };
    let printed = dsl::print(&first);
    let second = match dsl::parse(&printed, det()) {
        Ok(wf) => wf,
        Err(d) => panic!(
            "printed program does not parse: {}\n--- source\n{text}\n--- printed\n{printed}",
            d[0].render("printed.py", &printed)
        ),
    };
    let reprinted = dsl::print(&second);
    assert_eq!(
        printed, reprinted,
        "printing is not a fixed point\n--- source\n{text}"
    );
    // New UUIDs are derived from the source text, which differs: compare the compiled
    // plists with UUIDs renamed in order of appearance.
    // The printer leaves out names nothing uses, so UUIDs nothing references are dropped.
    let canon = |wf: &Workflow| {
        let mut v = plist::Value::Dictionary(crate::compile::compile(wf));
        let mut used = std::collections::HashSet::new();
        referenced(&v, &mut used);
        drop_unreferenced(&mut v, &used);
        rename_uuids(&mut v, &mut std::collections::HashMap::new());
        format!("{v:?}")
    };
    assert!(
        canon(&first) == canon(&second),
        "parse(print(parse(x))) != parse(x)\n--- source\n{text}\n--- printed\n{printed}"
    );
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn referenced(v: &plist::Value, used: &mut std::collections::HashSet<String>) {
    match v {
        plist::Value::Array(a) => a.iter().for_each(|x| referenced(x, used)),
        plist::Value::Dictionary(d) => {
            for (k, x) in d {
                if let (true, plist::Value::String(s)) = (k == "OutputUUID", x) {
                    used.insert(s.clone());
                }
                referenced(x, used);
            }
        }
        _ => {}
    }
}

/// Removes action `UUID`s nothing references.
fn drop_unreferenced(v: &mut plist::Value, used: &std::collections::HashSet<String>) {
    if let Some(plist::Value::Array(actions)) = v
        .as_dictionary_mut()
        .and_then(|d| d.get_mut("WFWorkflowActions"))
    {
        for a in actions {
            if let Some(plist::Value::Dictionary(p)) = a
                .as_dictionary_mut()
                .and_then(|d| d.get_mut("WFWorkflowActionParameters"))
            {
                if p.get("UUID")
                    .and_then(|u| u.as_string())
                    .is_some_and(|u| !used.contains(u))
                {
                    p.remove("UUID");
                }
            }
        }
    }
}

fn rename_uuids(v: &mut plist::Value, seen: &mut std::collections::HashMap<String, usize>) {
    match v {
        plist::Value::String(s) if is_uuid(s) => {
            let n = seen.len();
            let id = *seen.entry(s.clone()).or_insert(n);
            *s = format!("uuid-{id}");
        }
        plist::Value::Array(a) => a.iter_mut().for_each(|x| rename_uuids(x, seen)),
        plist::Value::Dictionary(d) => {
            for (_, x) in d.iter_mut() {
                rename_uuids(x, seen);
            }
        }
        _ => {}
    }
}

/// A lifted workflow compiles to a plist that lifts back to the same IR.
pub fn plist_roundtrip(wf: &Workflow, limits: &Limits) {
    let compiled = crate::compile::compile(wf);
    let loaded = Loaded {
        plist: compiled,
        provenance: wf.provenance.clone(),
    };
    let back = crate::lift::lift(loaded, limits).expect("a compiled workflow lifts");
    assert!(same_ir(wf, &back), "lift(compile(ir)) != ir");
}

/// IR equality on the body and metadata (warnings and provenance aside). Reals compare
/// through their printed form so that NaN equals itself.
fn same_ir(a: &Workflow, b: &Workflow) -> bool {
    (a.body == b.body && a.meta == b.meta)
        || (format!("{:?}", a.body) == format!("{:?}", b.body)
            && format!("{:?}", a.meta) == format!("{:?}", b.meta))
}

// ---------------------------------------------------------------------------------------
// Seed corpora

/// The fuzz targets, in the order `fuzz/` lists them.
pub const TARGETS: &[&str] = &[
    "read",
    "aea",
    "lift",
    "dsl_parse",
    "roundtrip",
    "fast_plist",
];

/// Seed inputs for every target, generated from the project's own `corpus/` directory:
/// each workflow as XML, binary and JSON plist, wrapped in a signed (AEA) container
/// stored and LZFSE-compressed, as action clips in a zip, and as printed DSL.
/// Returns `(target, file name, bytes)`.
pub fn seeds(corpus_dir: &std::path::Path) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let limits = Limits::default();
    for path in files {
        let Ok(xml) = std::fs::read(&path) else {
            continue;
        };
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let Ok(loaded) = shortcut::read_bytes(&xml, &limits) else {
            continue;
        };
        let value = plist::Value::Dictionary(loaded.plist.clone());
        let mut binary = Vec::new();
        value
            .to_writer_binary(&mut binary)
            .expect("writing to a Vec");
        let json = plist_to_json(&value).to_string().into_bytes();
        let stored = aea_file(&binary, false);
        let compressed = aea_file(&binary, true);
        let clips = action_clips(&loaded.plist);
        let mut containers = vec![
            (format!("{stem}.xml"), xml.clone()),
            (format!("{stem}.bplist"), binary.clone()),
            (format!("{stem}.json"), json),
            (format!("{stem}.stored.aea"), stored.clone()),
            (format!("{stem}.lzfse.aea"), compressed.clone()),
        ];
        if let Some(z) = clips {
            containers.push((format!("{stem}.zip"), z));
        }
        out.push(("fast_plist", format!("{stem}.xml"), xml.clone()));
        out.push(("fast_plist", format!("{stem}.bplist"), binary.clone()));
        for (name, bytes) in &containers {
            out.push(("read", name.clone(), bytes.clone()));
            out.push(("lift", name.clone(), bytes.clone()));
            out.push(("roundtrip", name.clone(), bytes.clone()));
        }
        out.push(("aea", format!("{stem}.stored.aea"), stored));
        out.push(("aea", format!("{stem}.lzfse.aea"), compressed));
        if let Ok(wf) = crate::lift::lift(loaded, &limits) {
            let code = dsl::print(&wf).into_bytes();
            out.push(("dsl_parse", format!("{stem}.py"), code.clone()));
            out.push(("roundtrip", format!("{stem}.py"), code));
        }
    }
    out
}

fn plist_to_json(v: &plist::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        plist::Value::Array(a) => J::Array(a.iter().map(plist_to_json).collect()),
        plist::Value::Dictionary(d) => J::Object(
            d.iter()
                .map(|(k, v)| (k.clone(), plist_to_json(v)))
                .collect(),
        ),
        plist::Value::Boolean(b) => J::Bool(*b),
        plist::Value::Integer(i) => i
            .as_signed()
            .map(J::from)
            .or_else(|| i.as_unsigned().map(J::from))
            .unwrap_or(J::Null),
        plist::Value::Real(r) => serde_json::Number::from_f64(*r).map_or(J::Null, J::Number),
        plist::Value::String(s) => J::String(s.clone()),
        _ => J::String(String::new()),
    }
}

/// A zip whose members are the workflow's actions, one binary plist each.
fn action_clips(d: &plist::Dictionary) -> Option<Vec<u8>> {
    use std::io::Write;
    let actions = d.get("WFWorkflowActions")?.as_array()?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (i, a) in actions.iter().take(8).enumerate() {
        let mut b = Vec::new();
        a.to_writer_binary(&mut b).ok()?;
        zip.start_file(format!("{i:03}.plist"), opts).ok()?;
        zip.write_all(&b).ok()?;
    }
    Some(zip.finish().ok()?.into_inner())
}

/// One Apple Archive entry holding `Shortcut.wflow`.
pub fn apple_archive(wflow: &[u8]) -> Vec<u8> {
    let mut h = b"AA01\0\0".to_vec();
    h.extend_from_slice(b"TYP1F");
    h.extend_from_slice(b"PATP");
    h.extend_from_slice(&14u16.to_le_bytes());
    h.extend_from_slice(b"Shortcut.wflow");
    h.extend_from_slice(b"DATB");
    h.extend_from_slice(&(wflow.len() as u32).to_le_bytes());
    let n = h.len() as u16;
    h[4..6].copy_from_slice(&n.to_le_bytes());
    h.extend_from_slice(wflow);
    h
}

/// A profile-0 (signed, unencrypted) AEA file around `wflow`, one segment per cluster,
/// no checksums; signatures and MACs are filler, as wfc does not verify them.
pub fn aea_file(wflow: &[u8], lzfse: bool) -> Vec<u8> {
    let payload = apple_archive(wflow);
    let segment_size: u32 = 1 << 20;
    let mut f = b"AEA1\0\0\0\0".to_vec();
    f.extend_from_slice(&0u32.to_le_bytes()); // no auth data
    f.extend_from_slice(&[0xAB; 128 + 32 + 32 + 32]);
    f.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&segment_size.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.push(if lzfse { b'e' } else { b'-' });
    f.push(0);
    f.extend_from_slice(&[0; 48 - 26]);
    f.extend_from_slice(&[0xCD; 32]);
    for chunk in payload.chunks(segment_size as usize) {
        let mut stored = chunk.to_vec();
        if lzfse {
            let mut c = Vec::new();
            if lzfse_rust::encode_bytes(chunk, &mut c).is_ok() && c.len() < chunk.len() {
                stored = c;
            }
        }
        f.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        f.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        f.extend_from_slice(&[0xEF; 32]); // next cluster MAC
        f.extend_from_slice(&[0x12; 32]); // segment MAC
        f.extend_from_slice(&stored);
    }
    f
}
