//! plist → DSL → plist over the shared corpus: the DSL is lossless and a fixed point.

use std::path::{Path, PathBuf};
use wfc::convert::{collect_inputs, load, Input};
use wfc::dsl::{parse, print, ParseOptions};
use wfc::limits::Limits;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared not found");
        None
    }
}

#[test]
fn printed_corpus_is_a_fixed_point() {
    let Some(dir) = shared() else { return };
    let (inputs, _, _) = collect_inputs(&[dir.display().to_string()]);
    let limits = Limits::default();
    let (mut ok, mut bad) = (0, Vec::new());
    for input in &inputs {
        let Ok(wf) = load(input, &limits) else {
            continue;
        };
        let code = print(&wf);
        match parse(&code, ParseOptions::default()) {
            Ok(wf2) => {
                let code2 = print(&wf2);
                if code2 == code {
                    ok += 1;
                } else {
                    let line = code
                        .lines()
                        .zip(code2.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    bad.push(format!(
                        "{}: differs at line {}:\n  - {}\n  + {}",
                        input.display(),
                        line + 1,
                        code.lines().nth(line).unwrap_or(""),
                        code2.lines().nth(line).unwrap_or("")
                    ));
                }
            }
            Err(diags) => bad.push(format!(
                "{}: {}",
                input.display(),
                diags[0].render("printed.py", &code)
            )),
        }
    }
    eprintln!("fixed point: {ok} of {} printed programs", ok + bad.len());
    for b in bad.iter().take(10) {
        eprintln!("{b}");
    }
    assert!(
        bad.is_empty(),
        "{} programs are not a fixed point",
        bad.len()
    );
}

/// A plist with UUIDs renamed by where they first occur (actions in order, keys sorted) and
/// output UUIDs that nothing references removed: two workflows that differ only by a
/// consistent renaming normalize to the same value.
fn normalize(d: &plist::Dictionary) -> plist::Value {
    use plist::Value as P;
    use std::collections::{BTreeMap, HashMap, HashSet};
    fn referenced(v: &P, out: &mut HashSet<String>) {
        match v {
            P::Dictionary(d) => {
                for (k, x) in d {
                    if k == "OutputUUID" {
                        if let P::String(s) = x {
                            out.insert(s.clone());
                        }
                    }
                    referenced(x, out);
                }
            }
            P::Array(a) => a.iter().for_each(|x| referenced(x, out)),
            _ => {}
        }
    }
    struct Norm {
        used: HashSet<String>,
        names: HashMap<(String, String), String>,
    }
    impl Norm {
        fn rename(&mut self, kind: &str, s: &str) -> String {
            // Output UUIDs and their references share one name space.
            let space = if kind == "OutputUUID" { "UUID" } else { kind };
            let n = self.names.len();
            self.names
                .entry((space.to_string(), s.to_string()))
                .or_insert_with(|| format!("{space}-{n}"))
                .clone()
        }
        fn value(&mut self, v: &P, in_params: bool) -> P {
            match v {
                P::Dictionary(d) => {
                    let sorted: BTreeMap<&String, &P> = d.iter().collect();
                    let mut out = plist::Dictionary::new();
                    for (k, x) in sorted {
                        let key = k.as_str();
                        if let P::String(s) = x {
                            if in_params && key == "UUID" && !self.used.contains(s) {
                                continue;
                            }
                            if matches!(
                                key,
                                "UUID" | "OutputUUID" | "GroupingIdentifier" | "VariableUUID"
                            ) {
                                out.insert(k.clone(), P::String(self.rename(key, s)));
                                continue;
                            }
                        }
                        let inner = key == "WFWorkflowActionParameters";
                        out.insert(k.clone(), self.value(x, inner));
                    }
                    P::Dictionary(out)
                }
                P::Array(a) => P::Array(a.iter().map(|x| self.value(x, false)).collect()),
                other => other.clone(),
            }
        }
    }
    let mut used = HashSet::new();
    referenced(&P::Dictionary(d.clone()), &mut used);
    let mut n = Norm {
        used,
        names: HashMap::new(),
    };
    n.value(&P::Dictionary(d.clone()), false)
}

/// The first place two normalized plists differ, as a key path.
fn first_difference(a: &plist::Value, b: &plist::Value, path: &str) -> Option<String> {
    use plist::Value as P;
    match (a, b) {
        (P::Dictionary(x), P::Dictionary(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    None => return Some(format!("{path}/{k}: missing after round trip")),
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &format!("{path}/{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(k))
                .map(|k| format!("{path}/{k}: added by round trip"))
        }
        (P::Array(x), P::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} items became {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| first_difference(v, w, &format!("{path}[{i}]")))
        }
        (P::Real(x), P::Real(y)) if x.is_nan() && y.is_nan() => None,
        _ if a == b => None,
        _ => Some(format!("{path}: {a:?} became {b:?}")),
    }
}

#[test]
fn corpus_round_trips_through_the_dsl() {
    let Some(dir) = shared() else { return };
    let (inputs, _, _) = collect_inputs(&[dir.display().to_string()]);
    let limits = Limits::default();
    let (mut ok, mut bad) = (0, Vec::new());
    for input in &inputs {
        let Input::File { path, .. } = input else {
            continue;
        };
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let Ok(loaded) = wfc::shortcut::read_bytes(&bytes, &limits) else {
            continue;
        };
        let original = loaded.plist.clone();
        let Ok(wf) = wfc::lift::lift(loaded, &limits) else {
            continue;
        };
        let code = print(&wf);
        let wf2 = match parse(&code, ParseOptions::default()) {
            Ok(w) => w,
            Err(d) => {
                bad.push(format!("{}: {}", input.display(), d[0].message));
                continue;
            }
        };
        let compiled = wfc::compile::compile(&wf2);
        let (a, b) = (normalize(&original), normalize(&compiled));
        match first_difference(&a, &b, "") {
            None => ok += 1,
            Some(d) => bad.push(format!("{}: {d}", input.display())),
        }
    }
    eprintln!(
        "plist → DSL → plist: {ok} of {} files equal",
        ok + bad.len()
    );
    for b in bad.iter().take(10) {
        eprintln!("{b}");
    }
    assert!(
        bad.is_empty(),
        "{} files changed in the round trip",
        bad.len()
    );
}
