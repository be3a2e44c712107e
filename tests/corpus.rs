//! Corpus-wide checks over `../shared/corpus` (1,963 real files). Each test prints what it
//! counted; run with `cargo test --release --test corpus -- --nocapture` to see the counts.
//! Every test skips (with a message) when `../shared` is absent.

mod common;

use common::Row;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use wfc::limits::Limits;

struct Converted {
    relpath: String,
    format: String,
    group: String,
    n_actions: Option<usize>,
    /// The workflow plist as read from the container.
    plist: plist::Dictionary,
    wf: wfc::ir::Workflow,
    code: String,
}

/// Reads, lifts and prints one file; `Err` carries the error message.
fn convert_file(path: &Path) -> Result<(plist::Dictionary, wfc::ir::Workflow, String), String> {
    let limits = Limits::default();
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    // The plist as the `plist` crate reads it; the IR the way the converter builds it.
    let plist = wfc::shortcut::read_bytes(&bytes, &limits)
        .map_err(|e| e.to_string())?
        .plist;
    let mut scratch = wfc::shortcut::Scratch::default();
    let tree =
        wfc::shortcut::read_tree(&bytes, &mut scratch, &limits).map_err(|e| e.to_string())?;
    let wf = wfc::lift::lift_tree(tree, &limits).map_err(|e| e.to_string())?;
    let code = wfc::dsl::print(&wf);
    Ok((plist, wf, code))
}

/// Converts every manifest file; panics are caught and returned as failures.
fn convert_all(shared: &Path) -> (Vec<Converted>, Vec<(String, String)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    let mut panics = Vec::new();
    for row in common::manifest(shared) {
        let relpath = row.get("relpath").to_string();
        let path = shared.join("corpus").join(&relpath);
        match catch_unwind(AssertUnwindSafe(|| convert_file(&path))) {
            Ok(Ok((plist, wf, code))) => ok.push(converted(&row, plist, wf, code)),
            Ok(Err(e)) => errors.push((relpath, e)),
            Err(_) => panics.push(relpath),
        }
    }
    (ok, errors, panics)
}

fn converted(
    row: &Row,
    plist: plist::Dictionary,
    wf: wfc::ir::Workflow,
    code: String,
) -> Converted {
    Converted {
        relpath: row.get("relpath").to_string(),
        format: row.get("format").to_string(),
        group: row.get("shortcut_group").to_string(),
        n_actions: row.get("n_actions").parse().ok(),
        plist,
        wf,
        code,
    }
}

#[test]
fn every_file_converts_or_fails_cleanly() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (ok, errors, panics) = convert_all(&shared);
    println!(
        "{} files: {} converted, {} errors, {} panics",
        ok.len() + errors.len() + panics.len(),
        ok.len(),
        errors.len(),
        panics.len()
    );
    for (p, e) in &errors {
        println!("error: {p}: {e}");
        assert!(!e.trim().is_empty(), "{p}: empty error message");
    }
    assert!(panics.is_empty(), "panicked on: {panics:#?}");
    let warned = ok.iter().filter(|c| !c.wf.warnings.is_empty()).count();
    println!("{warned} converted files carry warnings");
}

#[test]
fn every_program_is_python() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    if !common::have_python() {
        eprintln!("skipping: python3 not found");
        return;
    }
    let (ok, _, _) = convert_all(&shared);
    let progs: Vec<&str> = ok.iter().map(|c| c.code.as_str()).collect();
    let bad = common::python_parse_failures(&progs);
    println!(
        "{} programs parsed by ast.parse, {} rejected",
        progs.len() - bad.len(),
        bad.len()
    );
    for (i, e) in bad.iter().take(10) {
        println!("not Python: {}: {e}", ok[*i].relpath);
    }
    assert!(bad.is_empty());
}

/// The IR's action count equals the plist's `WFWorkflowActions` length (always) and the
/// manifest's `n_actions` (where set). The manifest was counted by a different tool on the
/// same plists, so for every format, including the zip action clips (one action per member)
/// and the signed files (counted on `decoded_wflow`), the counts agree.
#[test]
fn action_counts_agree() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (ok, _, _) = convert_all(&shared);
    let mut vs_plist = Vec::new();
    let mut vs_manifest = Vec::new();
    let mut with_manifest = 0;
    for c in &ok {
        let n = c.wf.action_count();
        let in_plist = c.plist["WFWorkflowActions"].as_array().map_or(0, Vec::len);
        if n != in_plist {
            vs_plist.push(format!("{}: IR {n}, plist {in_plist}", c.relpath));
        }
        if let Some(m) = c.n_actions {
            with_manifest += 1;
            if m != in_plist {
                vs_manifest.push(format!(
                    "{} ({}): plist {in_plist}, manifest {m}",
                    c.relpath, c.format
                ));
            }
        }
    }
    println!(
        "{} files: {} IR/plist disagreements; {} with a manifest count, {} disagreements",
        ok.len(),
        vs_plist.len(),
        with_manifest,
        vs_manifest.len()
    );
    for d in vs_plist.iter().chain(&vs_manifest).take(20) {
        println!("  {d}");
    }
    assert!(vs_plist.is_empty(), "IR and plist disagree");
    assert!(vs_manifest.is_empty(), "plist and manifest disagree");
}

/// What a JSON dump loses, undone on printed text so that a JSON member of a group can be
/// compared with its plist siblings:
/// - a real with no fraction (`0.0`, `20.0`) is written as the integer `0`, `20`;
/// - a date becomes its ISO-8601 string and data becomes base64 text, so the printers'
///   `date('…')` / `data('…')` / `b'…'` forms differ — those lines are compared only by
///   what precedes the first such literal.
///
/// Literals are rewritten only outside string literals would be ideal; number literals
/// inside strings are rare enough that the simple rewrite below is exact on this corpus.
fn normalize_json_typing(line: &str) -> String {
    // A count that was a real prints as `range(int(3.0))`; as an integer, `range(3)`.
    let line = &collapse_int_calls(line);
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let prev_ident = i > 0 && {
            let p = bytes[i - 1] as char;
            p.is_ascii_alphanumeric() || p == '_' || p == '.'
        };
        if c.is_ascii_digit() && !prev_ident {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            // `N.0`, `N.00`… → `N` (a real without fraction became an integer).
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1] == b'0' {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] == b'0' {
                    j += 1;
                }
                let next_ident = j < bytes.len()
                    && ((bytes[j] as char).is_ascii_alphanumeric() || bytes[j] == b'_');
                if !next_ident {
                    out.push_str(&line[start..i]);
                    i = j;
                    continue;
                }
            }
            out.push_str(&line[start..i]);
            continue;
        }
        out.push(c);
        i += c.len_utf8().max(1);
        // Keep multi-byte characters whole.
        while i < bytes.len() && !line.is_char_boundary(i) {
            i += 1;
        }
        if c as u32 >= 0x80 {
            out.pop();
            let start = line[..i].char_indices().last().map_or(0, |(p, _)| p);
            out.push_str(&line[start..i]);
        }
    }
    out
}

/// `int(3.0)` → `3.0` (which the number rule then turns into `3`).
fn collapse_int_calls(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(p) = rest.find("int(") {
        let after = &rest[p + 4..];
        let n = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        if n > 0 && after[n..].starts_with(')') {
            out.push_str(&rest[..p]);
            out.push_str(&after[..n]);
            rest = &after[n + 1..];
        } else {
            out.push_str(&rest[..p + 4]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Reals rounded by a JSON dump differ in their last digits: cut every number with a
/// fraction to 12 significant digits.
fn round_reals(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if !c.is_ascii_digit()
            || (i > 0 && line[..i].ends_with(|p: char| p.is_alphanumeric() || p == '_'))
        {
            continue;
        }
        let start = i;
        let mut end = i + 1;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_ascii_digit() || d == '.' {
                end = j + 1;
                chars.next();
            } else {
                break;
            }
        }
        let tok = &line[start..end];
        out.pop();
        match tok.parse::<f64>() {
            Ok(f) if tok.contains('.') => out.push_str(&format!("{f:.12e}")),
            _ => out.push_str(tok),
        }
    }
    out
}

/// The part of a line that JSON can keep: everything before a date or data literal.
fn typing_prefix(line: &str) -> &str {
    ["date(", "data(", "b'", "b\""]
        .iter()
        .filter_map(|m| line.find(m))
        .min()
        .map_or(line, |p| &line[..p])
}

fn first_diff(a: &str, b: &str, norm: impl Fn(&str) -> String) -> Option<(usize, String, String)> {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    for i in 0..la.len().max(lb.len()) {
        let x = la.get(i).map(|l| norm(l)).unwrap_or_default();
        let y = lb.get(i).map(|l| norm(l)).unwrap_or_default();
        if x != y {
            return Some((i + 1, x, y));
        }
    }
    None
}

/// Equality of plist leaves up to what a JSON dump loses: a real equals the integer of the
/// same value, and a date or data value equals any string (its JSON spelling).
fn json_leaf_eq(a: &plist::Value, b: &plist::Value) -> bool {
    use plist::Value as P;
    let num = |v: &P| match v {
        P::Real(r) => Some(*r),
        P::Integer(i) => i
            .as_signed()
            .map(|i| i as f64)
            .or(i.as_unsigned().map(|u| u as f64)),
        _ => None,
    };
    match (a, b) {
        (P::Date(_) | P::Data(_), P::String(_)) | (P::String(_), P::Date(_) | P::Data(_)) => true,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// A printed program split into its metadata header (`__workflow__ = {...}`) and its body.
fn split_header(code: &str) -> (&str, &str) {
    if code.starts_with("__workflow__ = {") {
        if let Some(p) = code.find("\n}\n") {
            return (&code[..p + 3], &code[p + 3..]);
        }
    }
    ("", code)
}

/// Only the actions of a workflow plist.
fn metadata_free(v: &plist::Value) -> plist::Value {
    v.as_dictionary()
        .and_then(|d| d.get("WFWorkflowActions"))
        .cloned()
        .unwrap_or(plist::Value::Boolean(false))
}

/// The workflow metadata of a plist (every top-level key but the actions).
fn metadata(d: &plist::Dictionary) -> plist::Value {
    let mut m = d.clone();
    m.remove("WFWorkflowActions");
    plist::Value::Dictionary(m)
}

/// Members of a group are the same shortcut saved as several files. Their programs must
/// print identically; their metadata headers must print identically when the files hold the
/// same metadata (an exported signed file often lacks keys such as `WFQuickActionSurfaces`
/// that the XML beside it has; a lossless printer must show that, so such headers are only
/// counted). JSON members are compared after [`normalize_json_typing`] and [`typing_prefix`].
#[test]
fn group_members_print_the_same_program() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (ok, _, _) = convert_all(&shared);
    let mut groups: BTreeMap<&str, Vec<&Converted>> = BTreeMap::new();
    for c in &ok {
        if !c.group.is_empty() {
            groups.entry(&c.group).or_default().push(c);
        }
    }
    let mut checked = 0;
    let mut members = 0;
    let mut meta_differs_in_files = 0;
    let mut typed_fail = Vec::new();
    let mut json_checked = 0;
    let mut json_exact = 0;
    let mut json_fail = Vec::new();
    // Failures whose files hold the same plist up to key order (and, for JSON, lost typing):
    // the printed text then depends on the order of keys in the file.
    let (mut typed_order_only, mut json_order_only) = (0, 0);
    let (mut typed_real, mut json_real) = (Vec::new(), Vec::new());
    for (g, group) in &groups {
        if group.len() < 2 {
            continue;
        }
        let (json, typed): (Vec<&&Converted>, Vec<&&Converted>) =
            group.iter().partition(|c| c.wf.provenance.typing_lost);
        let Some(reference) = typed.first() else {
            continue;
        };
        checked += 1;
        let (ref_head, ref_body) = split_header(&reference.code);
        for other in &typed[1..] {
            members += 1;
            let (head, body) = split_header(&other.code);
            let same_meta =
                common::plist_diff(&metadata(&reference.plist), &metadata(&other.plist)).is_none();
            if !same_meta {
                meta_differs_in_files += 1;
            }
            let diff = first_diff(ref_body, body, str::to_string).or_else(|| {
                if same_meta {
                    first_diff(ref_head, head, str::to_string)
                } else {
                    None
                }
            });
            if let Some((n, x, y)) = diff {
                let a = plist::Value::Dictionary(reference.plist.clone());
                let b = plist::Value::Dictionary(other.plist.clone());
                match common::plist_diff(&a, &b) {
                    None => typed_order_only += 1,
                    Some(d) => typed_real.push(format!("{}: {d}", other.relpath)),
                }
                typed_fail.push(format!(
                    "{g}: {} vs {} ({}): line {n}\n    {x}\n    {y}",
                    reference.relpath, other.relpath, other.format
                ));
            }
        }
        for j in &json {
            json_checked += 1;
            let (_, body) = split_header(&j.code);
            if body == ref_body {
                json_exact += 1;
            }
            let norm = |l: &str| round_reals(&normalize_json_typing(typing_prefix(l)));
            if let Some((n, x, y)) = first_diff(ref_body, body, norm) {
                let a = plist::Value::Dictionary(reference.plist.clone());
                let b = plist::Value::Dictionary(j.plist.clone());
                let (a, b) = (metadata_free(&a), metadata_free(&b));
                match common::plist_diff_with(&a, &b, &json_leaf_eq) {
                    None => json_order_only += 1,
                    Some(d) => json_real.push(format!("{}: {d}", j.relpath)),
                }
                json_fail.push(format!(
                    "{g}: {} vs {}: line {n}\n    {x}\n    {y}",
                    reference.relpath, j.relpath
                ));
            }
        }
    }
    println!(
        "{checked} groups checked; {members} further non-JSON members: {} differ \
         ({meta_differs_in_files} hold different metadata in the files); {json_checked} JSON \
         members: {json_exact} print the same body as is, {} differ beyond lost typing",
        typed_fail.len(),
        json_fail.len()
    );
    println!(
        "of these, {typed_order_only} non-JSON and {json_order_only} JSON members hold the same \
         plist up to dictionary key order (and lost typing): their text depends on key order"
    );
    for f in typed_real.iter().chain(&json_real).take(15) {
        println!("plists really differ: {f}");
    }
    for f in typed_fail.iter().take(5).chain(json_fail.iter().take(5)) {
        println!("{f}");
    }
    assert!(typed_fail.is_empty(), "non-JSON group members differ");
    assert!(
        json_fail.is_empty(),
        "JSON group members differ beyond lost typing"
    );
}

#[test]
fn compile_inverts_lift_on_every_typed_file() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (ok, _, _) = convert_all(&shared);
    let mut total = 0;
    let mut failures = Vec::new();
    for c in ok.iter().filter(|c| !c.wf.provenance.typing_lost) {
        total += 1;
        let back = wfc::compile::compile(&c.wf);
        if let Some(d) = common::plist_diff(
            &plist::Value::Dictionary(c.plist.clone()),
            &plist::Value::Dictionary(back),
        ) {
            failures.push(format!("{} ({}): {d}", c.relpath, c.format));
        }
    }
    println!(
        "compile(lift(x)) == x for {} of {total} non-JSON files",
        total - failures.len()
    );
    for f in failures.iter().take(10) {
        println!("  {f}");
    }
    assert!(failures.is_empty());
}
