//! Catalog exports: Python function stubs (the form WorkflowLLM shows models) and a
//! JSON-schema tool list (the function-calling form).

use super::{ActionInfo, ParamInfo};
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// A JSON value as a Python literal.
pub fn python_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), python_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// A name usable as a Python parameter (an identifier that is not a keyword).
fn is_python_identifier(s: &str) -> bool {
    if PYTHON_KEYWORDS.contains(&s) {
        return false;
    }
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
        && chars.all(unicode_ident::is_xid_continue)
}

fn annotation(p: &ParamInfo) -> String {
    if !p.enum_values.is_empty() {
        let vals: Vec<String> = p
            .enum_values
            .iter()
            .map(|v| Value::String(v.clone()).to_string())
            .collect();
        return format!("Literal[{}]", vals.join(", "));
    }
    p.python_type.clone().unwrap_or_else(|| "Any".into())
}

fn docstring_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"")
}

/// One action as a Python function stub with a docstring. Parameters are keyword-only;
/// keys that are not Python identifiers are documented and taken through `**kwargs`.
/// The function name is the Python name. An identifier whose Python name Python would
/// reject (a `-` in it, say) is spelled as the DSL spells its calls,
/// `action('com.example.do-it', Key=...)`: an `@overload` of `action` for that identifier.
pub fn python_stub(a: &ActionInfo) -> String {
    let mut args = Vec::new();
    let mut odd = false;
    for p in &a.parameters {
        if !is_python_identifier(&p.key) {
            odd = true;
            continue;
        }
        let default = match &p.default {
            Some(v) => python_literal(v),
            None => "None".into(),
        };
        args.push(format!("{}: {} = {}", p.key, annotation(p), default));
    }
    if odd {
        args.push("**kwargs".into());
    }
    let ret = if a.has_output == Some(true) {
        "Any"
    } else {
        "None"
    };
    let sig = if args.is_empty() {
        String::new()
    } else {
        format!("*, {}", args.join(", "))
    };
    let mut s = if is_python_identifier(&a.python_name) {
        format!("def {}({}) -> {}:\n", a.python_name, sig, ret)
    } else {
        let id = a.identifier.replace('\\', "\\\\").replace('\'', "\\'");
        let rest = if sig.is_empty() {
            String::new()
        } else {
            format!(", {sig}")
        };
        format!("@overload\ndef action(identifier: Literal['{id}'], /{rest}) -> {ret}:\n")
    };
    let mut doc = String::new();
    let title = a.name.as_deref().unwrap_or(&a.identifier);
    match &a.description {
        Some(d) => {
            let _ = write!(doc, "{title}: {d}");
        }
        None => doc.push_str(title),
    }
    let _ = write!(doc, "\n\nIdentifier: {}", a.identifier);
    if let Some(app) = a.app_name.as_ref().or(a.app_bundle_id.as_ref()) {
        let _ = write!(doc, "\nApp: {app}");
    }
    if !a.categories.is_empty() {
        let _ = write!(doc, "\nCategories: {}", a.categories.join(", "));
    }
    if !a.parameters.is_empty() {
        doc.push_str("\n\nArgs:");
        for p in &a.parameters {
            let mut line = format!("\n    {}", p.key);
            if !is_python_identifier(&p.key) {
                line.push_str(" (pass through **kwargs)");
            }
            line.push(':');
            let text: Vec<&str> = [p.label.as_deref(), p.description.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !text.is_empty() {
                let _ = write!(line, " {}", text.join(". ").replace('\n', " "));
            }
            if a.input_key.as_deref() == Some(&p.key) {
                line.push_str(" (receives the action's input)");
            }
            doc.push_str(&line);
        }
    }
    if a.has_output == Some(true) {
        doc.push_str("\n\nReturns:\n    ");
        doc.push_str(a.output_name.as_deref().unwrap_or("the action's output"));
        if !a.output_types.is_empty() {
            let _ = write!(doc, " ({})", a.output_types.join(", "));
        }
    }
    let _ = writeln!(
        s,
        "    \"\"\"{}\n    \"\"\"",
        docstring_text(&doc)
            .replace('\n', "\n    ")
            .replace("\n    \n", "\n\n")
    );
    s
}

/// All actions as Python stubs.
pub fn python(actions: &[ActionInfo]) -> String {
    let mut out = String::from("from typing import Any, Literal, overload\n\n");
    let mut overloads = false;
    for a in actions {
        out.push('\n');
        out.push_str(&python_stub(a));
        out.push('\n');
        overloads |= !is_python_identifier(&a.python_name);
    }
    if overloads {
        out.push_str(
            "\ndef action(identifier: str, /, **kwargs: Any) -> Any:\n    \
             \"\"\"Any action by its identifier: how the DSL calls actions without a function name.\"\"\"\n",
        );
    }
    out
}

fn json_type(p: &ParamInfo) -> Option<&'static str> {
    match p.python_type.as_deref()? {
        "str" => Some("string"),
        "int" => Some("integer"),
        "float" => Some("number"),
        "bool" => Some("boolean"),
        "dict" => Some("object"),
        "list" => Some("array"),
        _ => None,
    }
}

/// One action as a function-calling tool description.
pub fn json_tool(a: &ActionInfo) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for p in &a.parameters {
        let mut s = Map::new();
        if let Some(t) = json_type(p) {
            s.insert("type".into(), t.into());
        }
        let text: Vec<&str> = [p.label.as_deref(), p.description.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !text.is_empty() {
            s.insert("description".into(), text.join(". ").into());
        }
        if !p.enum_values.is_empty() {
            s.insert("enum".into(), json!(p.enum_values));
        }
        if let Some(d) = &p.default {
            s.insert("default".into(), d.clone());
        }
        if p.required == Some(true) {
            required.push(p.key.clone());
        }
        props.insert(p.key.clone(), Value::Object(s));
    }
    let description = match (&a.name, &a.description) {
        (Some(n), Some(d)) => format!("{n}: {d}"),
        (Some(n), None) => n.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => a.identifier.clone(),
    };
    json!({
        "type": "function",
        "function": {
            "name": a.python_name,
            "description": description,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
        "x-identifier": a.identifier,
    })
}

/// All actions as a JSON array of tools.
pub fn json(actions: &[ActionInfo]) -> Value {
    Value::Array(actions.iter().map(json_tool).collect())
}
