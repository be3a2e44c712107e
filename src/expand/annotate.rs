//! `wfc expand annotate`: names, comments, a plan, a query and a category for a real
//! shortcut. The model answers in JSON; renames and comments are applied through the IR
//! and the result is verified to compile to the same workflow as the original.

use super::apply;
use super::record::{canonical_category, Record, CATEGORIES};
use super::{failed, llm_outcome, Ctx, Outcome};
use crate::dsl::{parse, print, ParseOptions};
use crate::llm::json::extract_object;
use crate::llm::Message;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const STAGE: &str = "annotate";

/// The JSON schema asked for (servers that support `response_format` enforce it).
pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "renames": {"type": "object", "additionalProperties": {"type": "string"}},
            "comments": {"type": "object", "additionalProperties": {"type": "string"}},
            "task_plan": {"type": "string"},
            "query": {"type": "string"},
            "category": {"type": "string", "enum": CATEGORIES},
        },
        "required": ["renames", "comments", "task_plan", "query", "category"],
    })
}

/// An answer read and applied: the annotated program and the texts.
struct Annotation {
    code: String,
    apis: Vec<String>,
    task_plan: String,
    query: String,
    category: Option<String>,
}

fn text_field(m: &Map<String, Value>, k: &str) -> Result<String, String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::Array(a)) if k == "task_plan" && !a.is_empty() => Ok(a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("\n")),
        Some(_) => Err(format!("field `{k}` is not a non-empty string")),
        None => Err(format!("field `{k}` is missing")),
    }
}

/// Reads `comments` as `{"12": "..."}`, `{"line 12": "..."}` or `[{"line": 12, "comment": ...}]`.
fn comments_of(v: Option<&Value>) -> Result<BTreeMap<usize, String>, String> {
    let mut out = BTreeMap::new();
    let num = |s: &str| {
        s.trim()
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse::<usize>()
            .ok()
    };
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, c) in m {
                if let (Some(n), Some(c)) = (num(k), c.as_str()) {
                    out.insert(n, c.to_string());
                }
            }
        }
        Some(Value::Array(a)) => {
            for x in a {
                let n = x.get("line").and_then(|l| {
                    l.as_u64()
                        .map(|n| n as usize)
                        .or_else(|| l.as_str().and_then(num))
                });
                if let (Some(n), Some(c)) = (n, x.get("comment").and_then(Value::as_str)) {
                    out.insert(n, c.to_string());
                }
            }
        }
        Some(_) => return Err("field `comments` is neither an object nor a list".into()),
    }
    Ok(out)
}

fn renames_of(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect()),
        Some(_) => Err("field `renames` is not an object".into()),
    }
}

/// Reads an answer and applies it. `Err` is the reason, phrased for the model.
fn read_answer(
    content: &str,
    src: &str,
    wf: &crate::ir::Workflow,
    original: &crate::ir::Workflow,
    known_category: Option<&str>,
) -> Result<Annotation, String> {
    let m = extract_object(content)?;
    let task_plan = text_field(&m, "task_plan")?;
    let query = text_field(&m, "query")?;
    let category = match known_category {
        Some(c) => Some(c.to_string()),
        None => {
            let c = text_field(&m, "category")?;
            Some(
                canonical_category(&c)
                    .ok_or_else(|| format!("category {c:?} is not one of the listed categories"))?
                    .to_string(),
            )
        }
    };
    // A model may send the whole program back instead of renames and comments: it is
    // read through the IR and verified like any other.
    let code = match m.get("code").and_then(Value::as_str) {
        Some(code) if !m.contains_key("renames") && !m.contains_key("comments") => code.to_string(),
        _ => {
            let renames = renames_of(m.get("renames"))?;
            let comments = comments_of(m.get("comments"))?;
            let (annotated, _applied) = apply::annotate(src, wf, &renames, &comments);
            print(&annotated)
        }
    };
    let checked = super::verify::same_workflow(original, &code)?;
    Ok(Annotation {
        code,
        apis: checked.apis(),
        task_plan,
        query,
        category,
    })
}

pub async fn annotate(ctx: &Ctx<'_>, rec: Record) -> Outcome {
    if let Some(e) = &rec.error {
        let e = format!("input record failed earlier: {e}");
        return failed(rec, STAGE, ctx, e);
    }
    let Some(code) = rec.code.clone() else {
        return failed(rec, STAGE, ctx, "input record has no code");
    };
    let opts = ParseOptions {
        deterministic_uuids: true,
        ..ParseOptions::default()
    };
    // Lines are numbered in the canonical print, and spans must point into that text.
    let original = match parse(&code, opts) {
        Ok(w) => w,
        Err(d) => {
            let reason = format!("input code does not parse: {}", d[0].message);
            return failed(rec, STAGE, ctx, reason);
        }
    };
    let src = print(&original);
    let wf = match parse(&src, opts) {
        Ok(w) => w,
        Err(d) => {
            let reason = format!("printed input does not parse back: {}", d[0].message);
            return failed(rec, STAGE, ctx, reason);
        }
    };
    let apis = original.apis();
    let known = rec.category.clone();
    let context = json!({
        "id": rec.id,
        "program": src,
        "program_lines": src.lines().enumerate()
            .map(|(i, t)| json!({"n": i + 1, "text": t})).collect::<Vec<_>>(),
        "apis": super::api_docs(ctx.catalog, &apis),
        "category": known,
        "categories": CATEGORIES,
    });
    let mut messages = match ctx.templates.messages(STAGE, &context) {
        Ok(m) => m,
        Err(e) => return failed(rec, STAGE, ctx, format!("template: {e}")),
    };
    if ctx.dry_run {
        ctx.print_prompt(&rec.id, &messages);
        return Outcome::Printed;
    }
    let mut round = 0u32;
    loop {
        let resp = match ctx
            .call(&rec.id, round, &messages, Some(("annotation", schema())))
            .await
        {
            Ok(r) => r,
            Err(e) => match llm_outcome(e) {
                Ok(o) => return o,
                Err(reason) => return failed(rec, STAGE, ctx, reason),
            },
        };
        match read_answer(&resp.content, &src, &wf, &original, known.as_deref()) {
            Ok(a) => {
                if round > 0 {
                    ctx.repaired_ok.set(ctx.repaired_ok.get() + 1);
                }
                let mut out = rec;
                out.code = Some(a.code);
                out.apis = a.apis;
                out.task_plan = Some(a.task_plan);
                out.query = Some(a.query);
                out.category = a.category;
                out.error = None;
                let p = &mut out.provenance;
                p.stage = STAGE.into();
                p.origin = "seed".into();
                p.model = Some(ctx.model.clone());
                p.template_hash = ctx.templates.hash(STAGE);
                p.seed = ctx.seed;
                p.repair_rounds = round;
                return Outcome::Write(Box::new(out));
            }
            Err(reason) if round < ctx.max_repairs => {
                round += 1;
                ctx.repairs.set(ctx.repairs.get() + 1);
                messages.push(Message::assistant(resp.content));
                match ctx
                    .templates
                    .messages("annotate_repair", &json!({"reason": reason}))
                {
                    Ok(m) => messages.extend(m.into_iter().filter(|m| m.role != "system")),
                    Err(e) => return failed(rec, STAGE, ctx, format!("template: {e}")),
                }
            }
            Err(reason) => {
                let mut rec = rec;
                rec.provenance.repair_rounds = round;
                return failed(
                    rec,
                    STAGE,
                    ctx,
                    format!("annotation rejected after {round} repair round(s): {reason}"),
                );
            }
        }
    }
}
