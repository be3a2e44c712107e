//! Does an annotated program still do what the original did? Both are compiled to plists
//! and compared by meaning: comment actions are left out, UUIDs and variable names are
//! replaced by their order of first appearance (so a consistent renaming is equal, a
//! merge of two variables is not), and `OutputName`s are ignored.

use crate::dsl::{parse, ParseOptions};
use crate::ir::Workflow;
use plist::Value as P;
use std::collections::HashMap;

const UUID_KEYS: [&str; 4] = ["UUID", "OutputUUID", "GroupingIdentifier", "VariableUUID"];
const VAR_KEYS: [&str; 2] = ["VariableName", "WFVariableName"];
const COMMENT: &str = "is.workflow.actions.comment";

#[derive(Default)]
struct Canon {
    uuids: HashMap<String, usize>,
    vars: HashMap<String, usize>,
}

fn is_magic(name: &str) -> bool {
    name.starts_with("Repeat Item") || name.starts_with("Repeat Index")
}

impl Canon {
    fn value(&mut self, key: Option<&str>, v: &P) -> P {
        match v {
            P::Dictionary(d) => {
                let mut out = plist::Dictionary::new();
                for (k, x) in d {
                    if k == "OutputName" {
                        continue;
                    }
                    out.insert(k.clone(), self.value(Some(k), x));
                }
                P::Dictionary(out)
            }
            P::Array(a) => P::Array(a.iter().map(|x| self.value(None, x)).collect()),
            P::String(s) => {
                if key.is_some_and(|k| UUID_KEYS.contains(&k)) {
                    let n = self.uuids.len();
                    P::String(format!("uuid#{}", self.uuids.entry(s.clone()).or_insert(n)))
                } else if key.is_some_and(|k| VAR_KEYS.contains(&k)) && !is_magic(s) {
                    let n = self.vars.len();
                    P::String(format!("var#{}", self.vars.entry(s.clone()).or_insert(n)))
                } else if let Some(i) = self.uuids.get(s) {
                    P::String(format!("uuid#{i}"))
                } else {
                    v.clone()
                }
            }
            _ => v.clone(),
        }
    }
}

fn action_id(a: &P) -> &str {
    a.as_dictionary()
        .and_then(|d| d.get("WFWorkflowActionIdentifier"))
        .and_then(P::as_string)
        .unwrap_or("?")
}

/// The compiled workflow in canonical form: metadata and the non-comment actions.
fn canonical(wf: &Workflow) -> (P, Vec<P>) {
    let mut dict = crate::compile::compile(wf);
    let mut c = Canon::default();
    // Import questions name actions by index: count only the non-comment ones.
    let mut index = Vec::new();
    let mut k = 0u64;
    if let Some(P::Array(a)) = dict.get("WFWorkflowActions") {
        for x in a {
            index.push(k);
            k += u64::from(action_id(x) != COMMENT);
        }
    }
    if let Some(P::Array(qs)) = dict.get_mut("WFWorkflowImportQuestions") {
        for q in qs {
            if let Some(d) = q.as_dictionary_mut() {
                if let Some(i) = d.get("ActionIndex").and_then(P::as_unsigned_integer) {
                    let n = usize::try_from(i)
                        .ok()
                        .and_then(|i| index.get(i).copied())
                        .unwrap_or(k + (i - (index.len() as u64).min(i)));
                    d.insert("ActionIndex".into(), P::Integer(n.into()));
                }
            }
        }
    }
    let actions: Vec<P> = dict
        .get("WFWorkflowActions")
        .and_then(P::as_array)
        .map(|a| {
            a.iter()
                .filter(|x| action_id(x) != COMMENT)
                .map(|x| c.value(None, x))
                .collect()
        })
        .unwrap_or_default();
    let mut meta = plist::Dictionary::new();
    for (k, v) in &dict {
        if k != "WFWorkflowActions" {
            meta.insert(k.clone(), c.value(Some(k), v));
        }
    }
    (P::Dictionary(meta), actions)
}

/// Parses `annotated` and checks it compiles to the same workflow as `original`. The error
/// says what differs, in words a model can act on.
pub fn same_workflow(original: &Workflow, annotated: &str) -> Result<Workflow, String> {
    let wf = parse(
        annotated,
        ParseOptions {
            deterministic_uuids: true,
            ..ParseOptions::default()
        },
    )
    .map_err(|diags| {
        let d = &diags[0];
        let (line, col) = d.position(annotated);
        format!(
            "the program does not parse: {} at line {line}, column {col} ({} error(s) in all)",
            d.message,
            diags.len()
        )
    })?;
    let (m0, a0) = canonical(original);
    let (m1, a1) = canonical(&wf);
    for (i, (x, y)) in a0.iter().zip(&a1).enumerate() {
        if x != y {
            let (ix, iy) = (action_id(x), action_id(y));
            return Err(if ix != iy {
                format!("action {} is {iy} but the original has {ix} there", i + 1)
            } else {
                format!(
                    "action {} ({ix}) has other parameters or variables than the original's",
                    i + 1
                )
            });
        }
    }
    if a0.len() != a1.len() {
        return Err(format!(
            "the program has {} actions (comments aside) but the original has {}",
            a1.len(),
            a0.len()
        ));
    }
    if m0 != m1 {
        return Err("the workflow's settings (the __workflow__ header) changed".into());
    }
    Ok(wf)
}
