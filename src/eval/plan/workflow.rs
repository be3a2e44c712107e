//! Workflows as plans: a program's action sequence (control flow flattened, program order) is a
//! T-Eval plan whose step `name` is the action identifier and whose `args` are its parameters,
//! each written as its DSL source text. So any predicted workflow gets a T-Eval-style plan F1
//! against its gold workflow, and a WorkflowBench split can be written in T-Eval's plan layout.

use super::pyvalue::PyValue;
use super::Step;
use crate::dsl::{self, ParseOptions};
use crate::ir::{Action, Stmt};

/// One plan step of a workflow, before normalisation: identifier and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowStep {
    pub name: String,
    /// Parameter key → DSL source text of its value, in source order.
    pub args: Vec<(String, String)>,
}

impl WorkflowStep {
    fn args_value(&self) -> PyValue {
        PyValue::Dict(
            self.args
                .iter()
                .map(|(k, v)| (PyValue::Str(k.clone()), PyValue::Str(v.clone())))
                .collect(),
        )
    }
}

/// The action sequence of DSL source; an error lists the parser's diagnostics.
pub fn workflow_steps(src: &str) -> Result<Vec<WorkflowStep>, String> {
    let wf = dsl::parse(src, ParseOptions::default()).map_err(|diags| {
        diags
            .iter()
            .take(3)
            .map(|d| {
                let (line, col) = d.position(src);
                format!("{line}:{col}: {}", d.message)
            })
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let mut out = Vec::new();
    flatten(&wf.body, src, &mut out);
    Ok(out)
}

/// The plan T-Eval's evaluator would build from the workflow (ids in program order, args as
/// Python's `str()` of the parameter dict).
pub fn workflow_plan(src: &str) -> Result<Vec<Step>, String> {
    let steps = workflow_steps(src)?;
    steps
        .into_iter()
        .enumerate()
        .map(|(n, s)| {
            Ok(Step {
                id: n as i128,
                name: s.name.clone(),
                args: s.args_value().repr().map_err(|e| e.to_string())?,
            })
        })
        .collect()
}

fn span_text<'s>(src: &'s str, r: &std::ops::Range<usize>) -> Option<&'s str> {
    src.get(r.clone()).map(str::trim)
}

fn step_of(a: &Action, src: &str) -> WorkflowStep {
    let mut args: Vec<(String, String)> = a
        .param_spans
        .0
        .iter()
        .filter_map(|(k, _, v)| Some((k.clone(), span_text(src, v)?.to_string())))
        .collect();
    if args.is_empty() {
        // Statements without call syntax (assignments, block headers): their source line.
        if let Some(t) = a.span.0.as_ref().and_then(|r| span_text(src, r)) {
            if !t.is_empty() {
                args.push(("code".into(), t.to_string()));
            }
        }
    }
    WorkflowStep {
        name: a.id.clone(),
        args,
    }
}

fn flatten(body: &[Stmt], src: &str, out: &mut Vec<WorkflowStep>) {
    for s in body {
        match s {
            Stmt::Action(a) => out.push(step_of(a, src)),
            // Comments document the program; they are not steps of its plan.
            Stmt::Comment { .. } => {}
            Stmt::SetVariable { action, .. } => out.push(step_of(action, src)),
            Stmt::If {
                then,
                otherwise,
                markers,
                ..
            } => {
                out.push(step_of(&markers.start, src));
                flatten(then, src, out);
                if let Some((_, body)) = otherwise {
                    flatten(body, src, out);
                }
            }
            Stmt::Menu { cases, markers, .. } => {
                out.push(step_of(&markers.start, src));
                for c in cases {
                    flatten(&c.body, src, out);
                }
            }
            Stmt::RepeatCount { body, markers, .. } | Stmt::RepeatEach { body, markers, .. } => {
                out.push(step_of(&markers.start, src));
                flatten(body, src, out);
            }
        }
    }
}

/// The program text of a record: `code`, or WorkflowBench's `annotated_code` / `workflow_code`.
pub fn record_code(rec: &serde_json::Value) -> Option<&str> {
    ["code", "annotated_code", "workflow_code"]
        .iter()
        .find_map(|k| rec.get(*k).and_then(|v| v.as_str()))
}

/// The id of a record: `id`, or WorkflowBench's `key`.
pub fn record_id(rec: &serde_json::Value, line: usize) -> String {
    match rec.get("id").or_else(|| rec.get("key")) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => format!("line{line}"),
    }
}

/// What the system message of a T-Eval-layout record asks for (this project's wording).
const PLAN_INSTRUCTIONS: &str = "Plan how to carry out the user's request with the actions \
listed below. Answer with one JSON list and nothing else; each element is an object with \
\"id\" (0, 1, 2, ... in execution order), \"name\" (an action identifier from the list) and \
\"args\" (the action's parameters as a dictionary). Finish the list with the action \
\"FinishAction\" and empty args.\n\nActions:\n";

/// T-Eval's plan file layout for workflow records (`query` and `code`, as `wfc dataset` writes
/// them): `{id: {meta: {prompt_type: "json", API_list}, ground_truth: [{id, prev, name, args},
/// …, FinishAction], origin_prompt: [system, user]}}`. Records without a query, or whose code
/// does not parse, are left out (see [`teval_layout_with_skips`] for the reasons).
pub fn teval_layout(records: &[serde_json::Value]) -> serde_json::Value {
    teval_layout_with_skips(records).0
}

/// [`teval_layout`], plus the records left out: (id, reason).
pub fn teval_layout_with_skips(
    records: &[serde_json::Value],
) -> (serde_json::Value, Vec<(String, String)>) {
    use serde_json::{json, Map, Value};
    let mut out = Map::new();
    let mut skipped = Vec::new();
    for (n, rec) in records.iter().enumerate() {
        let id = record_id(rec, n + 1);
        let Some(query) = rec.get("query").and_then(|q| q.as_str()) else {
            skipped.push((id, "no query".to_string()));
            continue;
        };
        let Some(code) = record_code(rec) else {
            skipped.push((id, "no code".to_string()));
            continue;
        };
        let steps = match workflow_steps(code) {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => {
                skipped.push((id, "the program has no actions".to_string()));
                continue;
            }
            Err(e) => {
                skipped.push((id, format!("code does not parse: {e}")));
                continue;
            }
        };
        let mut apis: Vec<String> = Vec::new();
        for s in &steps {
            if !apis.contains(&s.name) {
                apis.push(s.name.clone());
            }
        }
        let mut gt: Vec<Value> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let args: Map<String, Value> = s
                    .args
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                json!({
                    "id": i,
                    "prev": if i == 0 { vec![] } else { vec![i - 1] },
                    "name": s.name,
                    "args": args,
                })
            })
            .collect();
        let last = gt.len();
        gt.push(json!({
            "id": last,
            "prev": if last == 0 { vec![] } else { vec![last - 1] },
            "name": "FinishAction",
            "args": {},
        }));
        let system = format!("{PLAN_INSTRUCTIONS}{}", apis.join("\n"));
        out.insert(
            id,
            json!({
                "meta": {"prompt_type": "json", "API_list": apis},
                "ground_truth": gt,
                "origin_prompt": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": query},
                ],
            }),
        );
    }
    (Value::Object(out), skipped)
}
