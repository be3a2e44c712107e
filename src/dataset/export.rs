//! Training export: chat records (`messages`: system, user, assistant) in the layout
//! WorkflowLLM fine-tuned with: the user turn holds the query and the documentation of the
//! reference workflow's APIs, the assistant turn `Thought:` + plan, a blank line, `Code:` and
//! the program in a fenced block. [`render_prompt`] and [`render_answer`] are shared with the
//! evaluation harness, which prompts models with the same layout.

use super::record::Record;
use crate::catalog::{ActionInfo, Catalog, ParamInfo};
use serde::Serialize;
use std::io::{BufRead, Write};
use std::path::Path;

/// The system turn.
pub const SYSTEM: &str = "You write Apple Shortcuts workflows as Python-style programs. \
Each action is a function call; use only the functions documented in the request. \
Think through the steps first, then write the program.";

/// Statements the DSL writes as syntax (assignments, comments, `if`, `for`, `match`), so
/// their documentation would only add noise to a prompt.
const SYNTAX_APIS: [&str; 9] = [
    "is.workflow.actions.comment",
    "is.workflow.actions.setvariable",
    "is.workflow.actions.appendvariable",
    "is.workflow.actions.getvariable",
    "is.workflow.actions.nothing",
    "is.workflow.actions.conditional",
    "is.workflow.actions.choosefrommenu",
    "is.workflow.actions.repeat.count",
    "is.workflow.actions.repeat.each",
];

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

fn py_type(p: &ParamInfo) -> String {
    p.python_type
        .clone()
        .or_else(|| p.type_name.clone())
        .unwrap_or_else(|| "Any".into())
}

/// One API as a Python signature with a docstring: description, parameters (type, whether
/// required, default, allowed values) and result. Required parameters have no default.
pub fn render_api_doc(info: &ActionInfo) -> String {
    let mut sig = Vec::new();
    let mut params_doc = String::new();
    let mut params: Vec<&ParamInfo> = info.parameters.iter().collect();
    // Required parameters first, as Python wants them before defaulted ones.
    params.sort_by_key(|p| p.required != Some(true));
    for p in params {
        let ident_ok = crate::dsl::names::is_identifier(&p.key);
        let ty = py_type(p);
        if ident_ok {
            if p.required == Some(true) {
                sig.push(format!("{}: {ty}", p.key));
            } else {
                let d = p
                    .default
                    .as_ref()
                    .map(|v| match v {
                        serde_json::Value::String(s) => format!("{s:?}"),
                        serde_json::Value::Bool(true) => "True".into(),
                        serde_json::Value::Bool(false) => "False".into(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "None".into());
                sig.push(format!("{}: {ty} = {d}", p.key));
            }
        }
        params_doc.push_str(&format!(
            "        {} ({ty}{}): {}",
            p.key,
            if p.required == Some(true) {
                ", required"
            } else {
                ""
            },
            p.description
                .as_deref()
                .or(p.label.as_deref())
                .unwrap_or("")
                .trim()
        ));
        if !p.enum_values.is_empty() {
            params_doc.push_str(&format!(" One of: {}.", p.enum_values.join(", ")));
        }
        if !ident_ok {
            params_doc.push_str(&format!(" Pass as **{{'''{}''': value}}.", p.key));
        }
        params_doc.push('\n');
    }
    let mut s = format!("def {}({}):\n    \"\"\"", info.python_name, sig.join(", "));
    let desc = info
        .description
        .as_deref()
        .or(info.summary.as_deref())
        .or(info.name.as_deref())
        .unwrap_or(&info.identifier)
        .trim()
        .replace("\"\"\"", "'''");
    s.push_str(&desc);
    s.push('\n');
    if !params_doc.is_empty() {
        s.push_str("\n    Args:\n");
        s.push_str(&params_doc.replace("\"\"\"", "'''"));
    }
    if info.has_output != Some(false) {
        let out = info
            .output_name
            .clone()
            .unwrap_or_else(|| "the action's output".into());
        let types = if info.output_types.is_empty() {
            String::new()
        } else {
            format!(" ({})", info.output_types.join(", "))
        };
        s.push_str(&format!("\n    Returns:\n        {out}{types}\n"));
    }
    s.push_str("    \"\"\"\n");
    s
}

/// The documentation of `apis` (skipping the ones the DSL writes as syntax); an API the
/// catalog does not know gets a bare signature naming it.
pub fn render_api_docs(apis: &[String], catalog: &Catalog) -> String {
    let mut out = String::new();
    for a in apis {
        if SYNTAX_APIS.contains(&a.as_str()) {
            continue;
        }
        match catalog.lookup_action(a) {
            Some(info) => out.push_str(&render_api_doc(&info)),
            None => out.push_str(&format!(
                "def {}(**params):\n    \"\"\"The action `{a}` (not documented).\"\"\"\n",
                crate::catalog::python_name(a)
            )),
        }
        out.push('\n');
    }
    out
}

/// The system and user turns for a query and its APIs.
pub fn render_prompt(query: &str, apis: &[String], catalog: &Catalog) -> Vec<Message> {
    let docs = render_api_docs(apis, catalog);
    let user = format!(
        "Request: {query}\n\nThe functions you may call:\n```python\n{}```\n\n\
Answer with `Thought:` followed by a numbered plan, then a blank line, then `Code:` followed by \
the whole program in one ```python block.",
        docs
    );
    vec![
        Message {
            role: "system".into(),
            content: SYSTEM.into(),
        },
        Message {
            role: "user".into(),
            content: user,
        },
    ]
}

/// The assistant turn: plan and program.
pub fn render_answer(plan: &str, code: &str) -> String {
    let code = code.trim_end_matches('\n');
    format!(
        "Thought:\n{}\n\nCode:\n```python\n{code}\n```",
        plan.trim_end()
    )
}

/// Counts tokens of a text: with a tokenizer, its token count; without, an estimate of one
/// token per 4 characters (rounded up), which is close for English and code under the
/// BPE vocabularies of current models.
pub enum TokenCounter {
    Tokenizer(Box<tokenizers::Tokenizer>),
    Chars,
}

impl TokenCounter {
    pub fn from_file(path: &Path) -> Result<Self, String> {
        tokenizers::Tokenizer::from_file(path)
            .map(|t| TokenCounter::Tokenizer(Box::new(t)))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn count(&self, text: &str) -> Result<usize, String> {
        match self {
            TokenCounter::Tokenizer(t) => t
                .encode(text, false)
                .map(|e| e.len())
                .map_err(|e| e.to_string()),
            TokenCounter::Chars => Ok(text.chars().count().div_ceil(4)),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct ExportReport {
    pub read: usize,
    pub written: usize,
    /// Records without query, plan or code (nothing to train on).
    pub incomplete: usize,
    pub unreadable: usize,
    /// Records whose prompt + answer exceed `--max-tokens`.
    pub over_budget: usize,
    pub max_tokens_seen: usize,
    pub counter: String,
}

/// Writes chat records for every record of `input` (a JSONL file of the shared schema).
pub fn export_chat(
    input: &Path,
    catalog: &Catalog,
    counter: &TokenCounter,
    max_tokens: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<ExportReport> {
    let mut rep = ExportReport {
        counter: match counter {
            TokenCounter::Tokenizer(_) => "tokenizer".into(),
            TokenCounter::Chars => "chars/4".into(),
        },
        ..Default::default()
    };
    let f = std::io::BufReader::new(std::fs::File::open(input)?);
    for line in f.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        rep.read += 1;
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            rep.unreadable += 1;
            continue;
        };
        let Ok((r, _)) = super::record::from_json(v, &input.display().to_string(), rep.read) else {
            rep.unreadable += 1;
            continue;
        };
        let Some(mut messages) = chat_messages(&r, catalog) else {
            rep.incomplete += 1;
            continue;
        };
        let text: String = messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let n = counter.count(&text).map_err(std::io::Error::other)?;
        rep.max_tokens_seen = rep.max_tokens_seen.max(n);
        if max_tokens.is_some_and(|m| n > m) {
            rep.over_budget += 1;
            continue;
        }
        let rec = serde_json::json!({"id": r.id, "messages": std::mem::take(&mut messages)});
        serde_json::to_writer(&mut *out, &rec)?;
        out.write_all(b"\n")?;
        rep.written += 1;
    }
    Ok(rep)
}

/// The three turns of one record, or `None` when it lacks a query, plan or program.
pub fn chat_messages(r: &Record, catalog: &Catalog) -> Option<Vec<Message>> {
    let (q, plan, code) = (
        r.query.as_deref()?,
        r.task_plan.as_deref()?,
        r.code.as_deref()?,
    );
    let mut m = render_prompt(q, &r.apis, catalog);
    m.push(Message {
        role: "assistant".into(),
        content: render_answer(plan, code),
    });
    Some(m)
}
