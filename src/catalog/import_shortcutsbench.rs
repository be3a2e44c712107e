//! ShortcutsBench API descriptions.
//!
//! * `all_api2paraname2paratype.json`: identifier → { parameter → type as written in the
//!   signature, e.g. `"Enum = \"GET\""`, `"Bool = True"`, `"File(Object)"` }; the key
//!   `ThisIsReturnValue:NAME` gives the return value's name and type.
//! * `all_api2info.json`: identifier → a Python-like signature followed by sections
//!   `Parameters:` (`    KEY:  Label. Description. The value of this Enum must be one of
//!   the following values (...): "a"(A), "b".`), `Return Value:`, `Description:`
//!   (`    Name: summary`) and `ParameterSummary:`.
//! * `2_all_detailed_identifiers.json`: [{AppName, APIs: [{APIName, ...}]}], how
//!   ShortcutsBench groups APIs into apps.

use super::draft::{offer, Draft, ParamDraft};
use super::{CatalogError, Source};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const RETURN_PREFIX: &str = "ThisIsReturnValue:";
const ENUM_INTRO: &str =
    "The value of this Enum must be one of the following values (The text in parentheses describes the value): ";

/// Imports `all_api2paraname2paratype.json` and, when given, `all_api2info.json`.
pub fn import(
    draft: &mut Draft,
    types_path: Option<&Path>,
    info_path: Option<&Path>,
) -> Result<usize, CatalogError> {
    let types = match types_path {
        Some(p) => super::read_json(p)?,
        None => Value::Object(Default::default()),
    };
    let info = match info_path {
        Some(p) => super::read_json(p)?,
        None => Value::Object(Default::default()),
    };
    let empty = serde_json::Map::new();
    let types = types.as_object().unwrap_or(&empty);
    let info = info.as_object().unwrap_or(&empty);
    let mut ids: Vec<&String> = types.keys().chain(info.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in &ids {
        let sig = types.get(*id).and_then(Value::as_object);
        let text = info.get(*id).and_then(Value::as_str).unwrap_or("");
        let parsed = parse_info(text);
        let a = draft.action(id);
        let mut params = Vec::new();
        let mut output: Option<(Option<String>, Vec<String>)> = None;
        if let Some(sig) = sig {
            for (key, ty) in sig {
                let ty = ty.as_str().unwrap_or("");
                if let Some(name) = key.strip_prefix(RETURN_PREFIX) {
                    output = Some((Some(name.trim().to_string()), vec![ty.trim().to_string()]));
                    continue;
                }
                let (type_name, default) = split_default(ty);
                let (label, description, enum_values) = parsed
                    .params
                    .get(key.as_str())
                    .map(|d| describe_param(d))
                    .unwrap_or_default();
                params.push(ParamDraft {
                    key: key.clone(),
                    label,
                    class: None,
                    python_type: Some(python_type(&type_name).to_string()),
                    type_name: Some(type_name),
                    required: None,
                    default,
                    description,
                    enum_values,
                });
            }
            a.add_params(Source::ShortcutsBench, params);
        }
        if let Some((name, desc)) = parsed.description {
            if let Some(n) = name {
                offer(&mut a.name, n, Source::ShortcutsBench);
            }
            if !desc.is_empty() {
                offer(&mut a.description, desc, Source::ShortcutsBench);
            }
        }
        if let Some(s) = parsed.summary {
            offer(&mut a.summary, s, Source::ShortcutsBench);
        }
        if let Some(o) = output {
            offer(&mut a.has_output, true, Source::ShortcutsBench);
            offer(&mut a.output, o, Source::ShortcutsBench);
        } else if sig.is_some() && text.contains(") -> ") {
            offer(&mut a.has_output, true, Source::ShortcutsBench);
        }
    }
    let mut paths = Vec::new();
    paths.extend(types_path.map(|p| p.display().to_string()));
    paths.extend(info_path.map(|p| p.display().to_string()));
    draft.record(Source::ShortcutsBench, paths, ids.len(), None);
    Ok(ids.len())
}

/// Imports `2_all_detailed_identifiers.json`: the app groups (used to assign apps).
pub fn import_app_groups(draft: &mut Draft, path: &Path) -> Result<usize, CatalogError> {
    let v = super::read_json(path)?;
    let groups = v
        .as_array()
        .ok_or_else(|| CatalogError::source(path, "expected an array of apps"))?;
    let mut n = 0;
    for g in groups {
        let Some(app) = g.get("AppName").and_then(Value::as_str) else {
            continue;
        };
        draft.app_groups.insert(app.to_string());
        draft.offer_app(app, None, Source::Inferred);
        for api in g
            .get("APIs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = api.get("APIName").and_then(Value::as_str) {
                draft.action(id);
                n += 1;
            }
        }
    }
    draft.record(
        Source::ShortcutsBench,
        vec![path.display().to_string()],
        0,
        Some(format!("{} app groups, {n} API names", groups.len())),
    );
    Ok(n)
}

/// `Enum = "GET"` → (`Enum`, Some("GET")).
fn split_default(ty: &str) -> (String, Option<Value>) {
    match ty.split_once(" = ") {
        Some((t, d)) => (t.trim().to_string(), Some(python_literal(d.trim()))),
        None => (ty.trim().to_string(), None),
    }
}

/// A Python literal as written by ShortcutsBench, as JSON.
fn python_literal(s: &str) -> Value {
    match s {
        "True" => return Value::Bool(true),
        "False" => return Value::Bool(false),
        "None" => return Value::Null,
        _ => {}
    }
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        return Value::String(s[1..s.len() - 1].to_string());
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(f) = s.parse::<f64>() {
        if let Some(n) = serde_json::Number::from_f64(f) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

/// The Python-side type of a ShortcutsBench type name.
pub fn python_type(type_name: &str) -> &'static str {
    match type_name {
        "String" => "str",
        "Bool" => "bool",
        "Integer" => "int",
        "Float" => "float",
        "Enum" => "str",
        t if t.ends_with("(Enum)") => "str",
        t if t.starts_with("array(") => "list",
        "WFDictionaryParameter(Object)" => "dict",
        _ => "Any",
    }
}

/// A value and its optional display label.
type Labelled = (String, Option<String>);

#[derive(Default)]
struct Info<'a> {
    /// parameter → its text in the `Parameters:` section
    params: BTreeMap<&'a str, String>,
    /// (display name, description)
    description: Option<(Option<String>, String)>,
    summary: Option<String>,
}

fn parse_info(text: &str) -> Info<'_> {
    let mut info = Info::default();
    let desc_at = text.rfind("\nDescription:\n");
    let summary_at = text.rfind("\nParameterSummary:");
    let params_at = text[..desc_at.or(summary_at).unwrap_or(text.len())].rfind("\nParameters:\n");
    if let Some(p) = params_at {
        let start = p + "\nParameters:\n".len();
        let end = [
            text[start..].find("\nReturn Value:\n"),
            text[start..].find("\nDescription:\n"),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|e| start + e)
        .or(summary_at)
        .unwrap_or(text.len());
        let mut current: Option<&str> = None;
        for line in text[start..end.max(start)].lines() {
            let head = line.strip_prefix("    ").filter(|l| !l.starts_with(' '));
            if let Some((key, rest)) = head.and_then(|l| l.split_once(':')) {
                if !key.is_empty() && !key.contains(' ') {
                    current = Some(key);
                    info.params.insert(key, rest.trim().to_string());
                    continue;
                }
            }
            if let Some(k) = current {
                if let Some(t) = info.params.get_mut(k) {
                    t.push('\n');
                    t.push_str(line);
                }
            }
        }
    }
    if let Some(d) = desc_at {
        let start = d + "\nDescription:\n".len();
        let end = summary_at.filter(|s| *s > start).unwrap_or(text.len());
        let body = text[start..end].trim();
        info.description = Some(match body.split_once(": ") {
            Some((name, rest)) if !name.contains('\n') && name.len() < 80 => {
                (Some(name.to_string()), rest.trim().to_string())
            }
            _ => (None, body.to_string()),
        });
    }
    if let Some(s) = summary_at {
        let body = text[s + "\nParameterSummary:".len()..].trim();
        if !body.is_empty() {
            info.summary = Some(body.to_string());
        }
    }
    info
}

/// Splits a parameter's text into label, description and enum values.
fn describe_param(text: &str) -> (Option<String>, Option<String>, Vec<Labelled>) {
    let mut enum_values = Vec::new();
    let mut rest = text.to_string();
    if let Some(i) = text.find(ENUM_INTRO) {
        let (values, tail) = parse_enum_values(&text[i + ENUM_INTRO.len()..]);
        enum_values = values;
        rest = format!("{}{}", &text[..i], tail);
    }
    let rest = rest.trim();
    let (label, desc) = match rest.split_once(". ") {
        Some((l, d)) => (l.trim(), d.trim()),
        None => (rest.trim_end_matches('.'), ""),
    };
    let label = (!label.is_empty()).then(|| label.to_string());
    let desc = (!desc.is_empty()).then(|| desc.to_string());
    (label, desc, enum_values)
}

/// Parses `"a"(Label A), "b", "c".` → values and the text after the list.
fn parse_enum_values(s: &str) -> (Vec<(String, Option<String>)>, &str) {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(r) = rest.strip_prefix('"') {
        let Some(end) = r.find('"') else { break };
        let value = r[..end].to_string();
        rest = &r[end + 1..];
        let mut label = None;
        if let Some(r) = rest.strip_prefix('(') {
            let mut depth = 1;
            let mut close = None;
            for (i, c) in r.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some(c) = close {
                label = Some(r[..c].to_string());
                rest = &r[c + 1..];
            }
        }
        out.push((value, label));
        match rest.strip_prefix(", ") {
            Some(r) => rest = r,
            None => break,
        }
    }
    (out, rest.strip_prefix('.').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_with_labels() {
        let (v, tail) = parse_enum_values(
            r#""currentTime"(Current Time), "minutesAgo"(Minutes (ago)), "x". Next"#,
        );
        assert_eq!(v.len(), 3);
        assert_eq!(v[1], ("minutesAgo".into(), Some("Minutes (ago)".into())));
        assert_eq!(v[2], ("x".into(), None));
        assert_eq!(tail, " Next");
    }

    #[test]
    fn defaults_are_python_literals() {
        assert_eq!(split_default("Enum = \"GET\"").1, Some(Value::from("GET")));
        assert_eq!(split_default("Bool = True").1, Some(Value::Bool(true)));
        assert_eq!(split_default("Integer = 3").1, Some(Value::from(3)));
        assert_eq!(split_default("String").1, None);
    }

    #[test]
    fn info_sections() {
        let text = "x.y(A: String) -> Out: String\nParameters:\n    A:  Label. Some text.\nReturn Value:\n    Out: r\nDescription:\n    Do It: Does it.\nParameterSummary: Do ${A}\n";
        let i = parse_info(text);
        assert_eq!(i.params["A"], "Label. Some text.");
        assert_eq!(
            i.description,
            Some((Some("Do It".into()), "Does it.".into()))
        );
        assert_eq!(i.summary.as_deref(), Some("Do ${A}"));
    }
}
