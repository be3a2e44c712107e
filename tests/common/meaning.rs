//! What "the same shortcut" means when a workflow plist goes through the DSL and back.
//!
//! [`normalize`] maps a workflow plist to a canonical value; two plists mean the same
//! program exactly when their canonical values are equal. The rules:
//! - an action's `UUID` (in `WFWorkflowActionParameters`) is replaced by the action's
//!   position, `@N`, when some reference reaches that action, and dropped otherwise;
//! - each `OutputUUID` (anywhere, typed or raw) is replaced by `@N`, the position of the
//!   action it reaches at run time: the nearest earlier action with that UUID, else the
//!   first later one (a reference outside the actions reaches the last one); a UUID that
//!   no action defines stays as it is (`?UUID`), so dangling references must keep it;
//! - `GroupingIdentifier` and `VariableUUID` values are renamed in order of first
//!   occurrence (one numbering each): equal up to a consistent renaming is equal;
//! - dictionary key order is ignored (keys sorted); integers and reals stay apart, as
//!   `plist::Value` keeps them.

use plist::Value as P;
use std::collections::{BTreeMap, HashMap};

/// The canonical form of a workflow plist (see the module comment).
pub fn normalize(d: &plist::Dictionary) -> P {
    let actions: &[P] = d
        .get("WFWorkflowActions")
        .and_then(P::as_array)
        .map_or(&[], Vec::as_slice);
    // Positions of the actions defining each UUID, in order.
    let mut defs: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, a) in actions.iter().enumerate() {
        if let Some(u) = action_uuid(a) {
            defs.entry(u).or_default().push(i);
        }
    }
    let mut n = Norm {
        defs,
        reached: vec![false; actions.len()],
        groups: HashMap::new(),
        var_uuids: HashMap::new(),
    };
    // First every reference, so that each action knows whether something reaches it.
    for (i, a) in actions.iter().enumerate() {
        n.mark(a, i);
    }
    for (k, v) in d {
        if k != "WFWorkflowActions" {
            n.mark(v, usize::MAX);
        }
    }
    let mut out = BTreeMap::new();
    for (k, v) in sorted(d) {
        let v = if k == "WFWorkflowActions" {
            P::Array(
                actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| n.action(a, i))
                    .collect(),
            )
        } else {
            n.value(v, usize::MAX)
        };
        out.insert(k.clone(), v);
    }
    P::Dictionary(out.into_iter().collect())
}

fn sorted(d: &plist::Dictionary) -> Vec<(&String, &P)> {
    let mut v: Vec<_> = d.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

fn action_uuid(a: &P) -> Option<&str> {
    a.as_dictionary()?
        .get("WFWorkflowActionParameters")?
        .as_dictionary()?
        .get("UUID")?
        .as_string()
}

struct Norm<'a> {
    defs: HashMap<&'a str, Vec<usize>>,
    reached: Vec<bool>,
    groups: HashMap<String, usize>,
    var_uuids: HashMap<String, usize>,
}

impl Norm<'_> {
    /// The action a reference from the action at `at` reaches.
    fn reach(&self, uuid: &str, at: usize) -> Option<usize> {
        let defs = self.defs.get(uuid)?;
        defs.iter()
            .rev()
            .find(|&&p| p < at)
            .or_else(|| defs.iter().find(|&&p| p >= at))
            .copied()
    }

    fn mark(&mut self, v: &P, at: usize) {
        match v {
            P::Dictionary(d) => {
                for (k, x) in d {
                    match (k.as_str(), x) {
                        ("OutputUUID", P::String(u)) => {
                            if let Some(p) = self.reach(u, at) {
                                self.reached[p] = true;
                            }
                        }
                        _ => self.mark(x, at),
                    }
                }
            }
            P::Array(a) => a.iter().for_each(|x| self.mark(x, at)),
            _ => {}
        }
    }

    fn action(&mut self, a: &P, at: usize) -> P {
        let Some(d) = a.as_dictionary() else {
            return self.value(a, at);
        };
        let mut out = BTreeMap::new();
        for (k, v) in sorted(d) {
            let v = match (k.as_str(), v) {
                ("WFWorkflowActionParameters", P::Dictionary(p)) => {
                    let mut params = BTreeMap::new();
                    for (pk, pv) in sorted(p) {
                        if let ("UUID", P::String(_)) = (pk.as_str(), pv) {
                            if self.reached[at] {
                                params.insert(pk.clone(), P::String(format!("@{at}")));
                            }
                            continue;
                        }
                        params.insert(pk.clone(), self.keyed(pk, pv, at));
                    }
                    P::Dictionary(params.into_iter().collect())
                }
                _ => self.keyed(k, v, at),
            };
            out.insert(k.clone(), v);
        }
        P::Dictionary(out.into_iter().collect())
    }

    /// A value under key `k`.
    fn keyed(&mut self, k: &str, v: &P, at: usize) -> P {
        let P::String(s) = v else {
            return self.value(v, at);
        };
        let renamed = |names: &mut HashMap<String, usize>, tag: &str| {
            let next = names.len();
            let i = *names.entry(s.clone()).or_insert(next);
            P::String(format!("{tag}{i}"))
        };
        match k {
            "OutputUUID" => P::String(match self.reach(s, at) {
                Some(p) => format!("@{p}"),
                None => format!("?{s}"),
            }),
            "GroupingIdentifier" => renamed(&mut self.groups, "G"),
            "VariableUUID" => renamed(&mut self.var_uuids, "V"),
            _ => v.clone(),
        }
    }

    fn value(&mut self, v: &P, at: usize) -> P {
        match v {
            P::Dictionary(d) => {
                // Renamings number first occurrences in key order, not the file's order.
                let mut out = BTreeMap::new();
                for (k, x) in sorted(d) {
                    out.insert(k.clone(), self.keyed(k, x, at));
                }
                P::Dictionary(out.into_iter().collect())
            }
            P::Array(a) => P::Array(a.iter().map(|x| self.value(x, at)).collect()),
            other => other.clone(),
        }
    }
}

/// The first place two normalized plists differ, as a key path.
pub fn first_difference(a: &P, b: &P, path: &str) -> Option<String> {
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

/// plist → DSL → plist → DSL for one workflow plist: `Err` names the first way it is not
/// lossless by meaning ([`normalize`]) or not a byte fixed point (the second DSL is printed
/// from the compiled plist, lifted again). Returns the first print.
pub fn round_trip(original: &plist::Dictionary, wf: &wfc::ir::Workflow) -> Result<String, String> {
    use wfc::dsl::{parse, print, ParseOptions};
    let limits = wfc::limits::Limits::default();
    let code = print(wf);
    let wf2 = parse(&code, ParseOptions::default()).map_err(|d| {
        format!(
            "printed text does not parse: {}",
            d[0].render("p.py", &code)
        )
    })?;
    let compiled = wfc::compile::compile(&wf2);
    if let Some(d) = first_difference(&normalize(original), &normalize(&compiled), "") {
        return Err(format!("not lossless: {d}"));
    }
    let loaded = wfc::shortcut::Loaded {
        plist: compiled,
        provenance: wf.provenance.clone(),
    };
    let wf3 = wfc::lift::lift(loaded, &limits).map_err(|e| format!("compiled plist: {e}"))?;
    let code2 = print(&wf3);
    if code2 != code {
        let line = code
            .lines()
            .zip(code2.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| code.lines().count().min(code2.lines().count()));
        return Err(format!(
            "not a fixed point at line {}:\n  - {}\n  + {}",
            line + 1,
            code.lines().nth(line).unwrap_or(""),
            code2.lines().nth(line).unwrap_or("")
        ));
    }
    Ok(code)
}
