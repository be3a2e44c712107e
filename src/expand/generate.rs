//! `wfc expand generate`: a plan and a program for each query, checked against the
//! catalog; a program with findings goes back to the model with the checker's diagnostics
//! until it is clean or `--max-repairs` rounds are spent. `--refine` adds a polishing pass,
//! kept only when it checks no worse.

use super::record::Record;
use super::{failed, llm_outcome, Ctx, Outcome};
use crate::check::{verdict, Finding, Severity};
use crate::llm::json::{extract_object, fenced_code};
use crate::llm::Message;
use serde_json::{json, Value};

const STAGE: &str = "generate";

pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {"task_plan": {"type": "string"}, "code": {"type": "string"}},
        "required": ["task_plan", "code"],
    })
}

/// Plan and code from an answer: JSON, else WorkflowLLM's `Thought: ... Code: ```python```.
fn read_answer(content: &str) -> Result<(String, String), String> {
    if let Ok(m) = extract_object(content) {
        let plan = m
            .get("task_plan")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let code = m.get("code").and_then(Value::as_str).unwrap_or("");
        if code.trim().is_empty() {
            return Err("the answer has no `code`".into());
        }
        let code = fenced_code(code, "python").unwrap_or(code);
        return Ok((plan.to_string(), code.trim_end().to_string() + "\n"));
    }
    let code = fenced_code(content, "python")
        .ok_or("the answer holds neither JSON nor a ```python block")?;
    let plan = content
        .split("```")
        .next()
        .unwrap_or("")
        .trim()
        .trim_start_matches("Thought:")
        .trim_end_matches("Code:")
        .trim()
        .to_string();
    Ok((plan, code.trim_end().to_string() + "\n"))
}

/// The checker's findings, plus one per call of an API outside the allowed list.
fn check(ctx: &Ctx<'_>, code: &str, allowed: &[String]) -> (Vec<Finding>, Vec<String>) {
    let findings = ctx.checker.check_source(code);
    let mut extra = Vec::new();
    if !allowed.is_empty() && !findings.iter().any(|f| f.severity == Severity::Error) {
        if let Ok(wf) = crate::dsl::parse(code, Default::default()) {
            for api in wf.apis() {
                if !allowed.contains(&api) && !crate::ir::BUILTIN_IDS.contains(&api.as_str()) {
                    extra.push(format!(
                        "calls {api}, which is not among the allowed actions"
                    ));
                }
            }
        }
    }
    (findings, extra)
}

fn findings_json(code: &str, fs: &[Finding], extra: &[String]) -> Vec<Value> {
    fs.iter()
        .map(|f| {
            let pos = f.position(code);
            json!({"kind": f.kind.name(), "severity": f.severity.name(), "message": f.message,
                   "line": pos.map(|p| p.0), "column": pos.map(|p| p.1), "help": f.help})
        })
        .chain(extra.iter().map(|m| {
            json!({"kind": "api-not-allowed", "severity": "warning", "message": m,
                   "line": null, "column": null, "help": null})
        }))
        .collect()
}

fn verdict_of(fs: &[Finding], extra: &[String]) -> &'static str {
    match verdict(fs) {
        "clean" if !extra.is_empty() => "warnings",
        v => v,
    }
}

fn rank(v: &str) -> u8 {
    match v {
        "clean" => 0,
        "warnings" => 1,
        _ => 2,
    }
}

pub async fn generate(ctx: &Ctx<'_>, rec: Record, refine: bool) -> Outcome {
    if let Some(e) = &rec.error {
        let e = format!("input record failed earlier: {e}");
        return failed(rec, STAGE, ctx, e);
    }
    let Some(query) = rec.query.clone() else {
        return failed(rec, STAGE, ctx, "input record has no query");
    };
    let allowed = if rec.provenance.sampled_apis.is_empty() {
        rec.apis.clone()
    } else {
        rec.provenance.sampled_apis.clone()
    };
    let docs = super::api_docs(ctx.catalog, &allowed);
    let context = json!({"query": query, "category": rec.category, "apis": docs});
    let mut messages = match ctx.templates.messages(STAGE, &context) {
        Ok(m) => m,
        Err(e) => return failed(rec, STAGE, ctx, format!("template: {e}")),
    };
    if ctx.dry_run {
        ctx.print_prompt(&rec.id, &messages);
        return Outcome::Printed;
    }
    let mut n = 0u32;
    let mut round = 0u32;
    let (plan, code, findings, extra) = loop {
        let resp = match ctx
            .call(&rec.id, n, &messages, Some(("workflow", schema())))
            .await
        {
            Ok(r) => r,
            Err(e) => match llm_outcome(e) {
                Ok(o) => return o,
                Err(reason) => return failed(rec, STAGE, ctx, reason),
            },
        };
        n += 1;
        let (plan, code) = match read_answer(&resp.content) {
            Ok(x) => x,
            Err(reason) if round < ctx.max_repairs => {
                round += 1;
                ctx.repairs.set(ctx.repairs.get() + 1);
                messages.push(Message::assistant(resp.content));
                messages.push(Message::user(format!(
                    "That answer could not be read: {reason}. Answer again with the JSON object (task_plan and code)."
                )));
                continue;
            }
            Err(reason) => return failed(rec, STAGE, ctx, reason),
        };
        let (findings, extra) = check(ctx, &code, &allowed);
        let v = verdict_of(&findings, &extra);
        if round == 0 {
            ctx.count_verdict(true, v);
        }
        if v == "clean" || round >= ctx.max_repairs {
            if round > 0 && v == "clean" {
                ctx.repaired_ok.set(ctx.repaired_ok.get() + 1);
            }
            break (plan, code, findings, extra);
        }
        round += 1;
        ctx.repairs.set(ctx.repairs.get() + 1);
        let fj = findings_json(&code, &findings, &extra);
        messages.push(Message::assistant(resp.content));
        match ctx
            .templates
            .messages("generate_repair", &json!({"findings": fj, "code": code}))
        {
            Ok(m) => messages.extend(m.into_iter().filter(|m| m.role != "system")),
            Err(e) => return failed(rec, STAGE, ctx, format!("template: {e}")),
        }
    };
    let mut out = rec;
    let mut stage = STAGE;
    let (mut plan, mut code, mut findings, mut extra) = (plan, code, findings, extra);
    if refine && verdict_of(&findings, &extra) != "errors" {
        let ctxv = json!({"query": query, "apis": docs, "task_plan": plan, "code": code});
        if let Ok(msgs) = ctx.templates.messages("refine", &ctxv) {
            match ctx
                .call(&out.id, n, &msgs, Some(("workflow", schema())))
                .await
            {
                Ok(resp) => {
                    if let Ok((p2, c2)) = read_answer(&resp.content) {
                        let (f2, e2) = check(ctx, &c2, &allowed);
                        if rank(verdict_of(&f2, &e2)) <= rank(verdict_of(&findings, &extra)) {
                            (plan, code, findings, extra) = (p2, c2, f2, e2);
                            stage = "refine";
                        }
                    }
                }
                Err(crate::llm::LlmError::Deferred) => return Outcome::Deferred,
                // A failed polish keeps the checked program.
                Err(_) => {}
            }
        }
    }
    let v = verdict_of(&findings, &extra);
    ctx.count_verdict(false, v);
    out.apis = crate::dsl::parse(&code, Default::default())
        .map(|wf| wf.apis())
        .unwrap_or_default();
    out.task_plan = (!plan.is_empty()).then_some(plan);
    out.provenance.findings = findings_json(&code, &findings, &extra);
    out.code = Some(code);
    out.provenance.stage = stage.into();
    out.provenance.origin = "synthesized".into();
    out.provenance.model = Some(ctx.model.clone());
    out.provenance.template_hash = ctx.templates.hash(STAGE);
    out.provenance.verdict = Some(v.into());
    out.provenance.repair_rounds = round;
    out.error = None;
    Outcome::Write(Box::new(out))
}
