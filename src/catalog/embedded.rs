//! The project's own default catalog, `apis/builtin.json`, compiled into the binary.
//!
//! Format: `{ "actions": [ { "id", "name", "description", "categories": [..], "input":
//! KEY, "output": {"name", "types": [..]}, "parameters": [ { "key", "kind", "values": [..],
//! "labels": [..], "default", "required", "description" } ] } ] }`. `kind` is one of
//! text, number, integer, bool, enum, dict, list, variable, any.

use super::draft::{offer, Draft, ParamDraft};
use super::Source;
use serde_json::Value;

/// The text of `apis/builtin.json`.
pub const BUILTIN_JSON: &str = include_str!("../../apis/builtin.json");

/// The Python-side type of a `kind`.
fn python_type(kind: &str) -> &'static str {
    match kind {
        "text" | "enum" => "str",
        "number" => "float",
        "integer" => "int",
        "bool" => "bool",
        "dict" => "dict",
        "list" => "list",
        _ => "Any",
    }
}

/// Imports the embedded catalog.
pub fn import(draft: &mut Draft) -> Result<usize, String> {
    let v: Value = serde_json::from_str(BUILTIN_JSON).map_err(|e| e.to_string())?;
    let n = import_value(draft, &v)?;
    draft.record(
        Source::WfcDefault,
        vec!["apis/builtin.json (embedded)".into()],
        n,
        None,
    );
    Ok(n)
}

fn import_value(draft: &mut Draft, v: &Value) -> Result<usize, String> {
    let actions = v
        .get("actions")
        .and_then(Value::as_array)
        .ok_or("apis/builtin.json: no `actions` list")?;
    let src = Source::WfcDefault;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    for a in actions {
        let id = s(a, "id").ok_or("apis/builtin.json: an action has no `id`")?;
        draft.builtin_ids.insert(id.clone());
        let d = draft.action(&id);
        if let Some(x) = s(a, "name") {
            offer(&mut d.name, x, src);
        }
        if let Some(x) = s(a, "description") {
            offer(&mut d.description, x, src);
        }
        if let Some(x) = s(a, "input") {
            offer(&mut d.input_key, x, src);
        }
        for c in a
            .get("categories")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(c) = c.as_str() {
                d.categories.insert((c.to_string(), src));
            }
        }
        match a.get("output") {
            Some(o) if o.is_object() => {
                let types = o
                    .get("types")
                    .and_then(Value::as_array)
                    .map(|t| {
                        t.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                offer(&mut d.has_output, true, src);
                offer(&mut d.output, (s(o, "name"), types), src);
            }
            _ => offer(&mut d.has_output, false, src),
        }
        let mut params = Vec::new();
        for p in a
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = s(p, "key").ok_or_else(|| format!("{id}: a parameter has no `key`"))?;
            let kind = s(p, "kind").unwrap_or_else(|| "any".into());
            let labels: Vec<Option<String>> = p
                .get("labels")
                .and_then(Value::as_array)
                .map(|l| l.iter().map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let enum_values = p
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, v)| {
                    Some((v.as_str()?.to_string(), labels.get(i).cloned().flatten()))
                })
                .collect();
            params.push(ParamDraft {
                key,
                label: None,
                class: None,
                type_name: Some(kind.clone()),
                python_type: Some(python_type(&kind).into()),
                required: p.get("required").and_then(Value::as_bool),
                default: p.get("default").cloned(),
                description: s(p, "description"),
                enum_values,
            });
        }
        d.add_params(src, params);
    }
    Ok(actions.len())
}
