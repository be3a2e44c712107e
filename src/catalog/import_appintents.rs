//! App Intents metadata as app bundles carry it:
//! `X.app/Contents/Resources/Metadata.appintents/extract.actionsdata`, a JSON document with
//! `actions` keyed by intent identifier. Each action has `identifier`, `title` (`{key}`),
//! `descriptionMetadata` (`descriptionText` `{key}`, `categoryName` `{key}`), `parameters`
//! (`[{name, title {key}, valueType, isOptional, ...}]`) and optionally `outputType`; the
//! top-level `enums` list (`[{identifier, cases: [{identifier, displayRepresentation:
//! {title {key}}}]}]`) gives the allowed values of enum-valued parameters.
//!
//! Shortcuts names such an action `BUNDLE_ID.INTENT_ID`. The bundle id is taken from the
//! bundle's `Contents/Info.plist` (`CFBundleIdentifier`) when it is there, else from the
//! `.app` directory's name.
//!
//! `valueType` is one of `{primitive: {wrapper: {typeIdentifier: N}}}`, `{entity: {wrapper:
//! {typeName | typeIdentifier}}}`, `{linkEnumeration: {wrapper: {identifier}}}`, `{array:
//! {memberValueType}}` or another one-key object; it is stored as a readable string
//! (`primitive#N`, `entity:Name`, `enum:Id`, `array<...>`). Primitive type numbers are
//! kept as numbers: their mapping to Swift types is not documented, so none is assumed.

use super::draft::{offer, Draft, ParamDraft};
use super::{CatalogError, Source};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Imports one `extract.actionsdata`; `bundle_id` overrides the bundle id found on disk.
pub fn import(
    draft: &mut Draft,
    path: &Path,
    bundle_id: Option<&str>,
) -> Result<usize, CatalogError> {
    let v = super::read_json(path)?;
    let bundle = match bundle_id {
        Some(b) => b.to_string(),
        None => bundle_id_for(path).ok_or_else(|| {
            CatalogError::source(
                path,
                "cannot tell the app's bundle id (no Contents/Info.plist, no .app directory)",
            )
        })?,
    };
    let n = import_value(draft, &v, &bundle).map_err(|e| CatalogError::source(path, e))?;
    draft.record(
        Source::AppIntents,
        vec![path.display().to_string()],
        n,
        None,
    );
    Ok(n)
}

/// Imports a parsed `extract.actionsdata` document for the app `bundle`.
pub fn import_value(draft: &mut Draft, v: &Value, bundle: &str) -> Result<usize, String> {
    let actions = v
        .get("actions")
        .and_then(Value::as_object)
        .ok_or("no `actions` object")?;
    let mut enums: BTreeMap<&str, Vec<(String, Option<String>)>> = BTreeMap::new();
    for e in v
        .get("enums")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = e.get("identifier").and_then(Value::as_str) else {
            continue;
        };
        let cases = e
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let value = c.get("identifier").and_then(Value::as_str)?;
                let label = key_text(c.get("displayRepresentation").and_then(|d| d.get("title")));
                Some((value.to_string(), label))
            })
            .collect();
        enums.insert(id, cases);
    }
    draft.offer_app(bundle, None, Source::Inferred);
    let source = Source::AppIntents;
    for (key, action) in actions {
        let intent = action
            .get("identifier")
            .and_then(Value::as_str)
            .unwrap_or(key);
        let id = format!("{bundle}.{intent}");
        let a = draft.action(&id);
        offer(&mut a.app, bundle.to_string(), source);
        if let Some(t) = key_text(action.get("title")) {
            offer(&mut a.name, t, source);
        }
        let meta = action.get("descriptionMetadata");
        if let Some(d) = key_text(meta.and_then(|m| m.get("descriptionText"))) {
            offer(&mut a.description, d, source);
        }
        if let Some(c) = key_text(meta.and_then(|m| m.get("categoryName"))) {
            a.categories.insert((c, source));
        }
        match action.get("outputType") {
            Some(t) if !t.is_null() => {
                offer(&mut a.has_output, true, source);
                offer(&mut a.output, (None, vec![value_type(t)]), source);
            }
            _ => offer(&mut a.has_output, false, source),
        }
        let mut params = Vec::new();
        for p in action
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let vt = p.get("valueType").unwrap_or(&Value::Null);
            let enum_values = vt
                .get("linkEnumeration")
                .and_then(|l| l.get("wrapper"))
                .and_then(|w| w.get("identifier"))
                .and_then(Value::as_str)
                .and_then(|e| enums.get(e))
                .cloned()
                .unwrap_or_default();
            params.push(ParamDraft {
                key: name.to_string(),
                label: key_text(p.get("title")),
                class: Some(value_type(vt)),
                type_name: None,
                python_type: Some(python_type(vt, !enum_values.is_empty()).to_string()),
                required: p.get("isOptional").and_then(Value::as_bool).map(|o| !o),
                default: None,
                description: key_text(
                    p.get("parameterDescription")
                        .or_else(|| p.get("description")),
                ),
                enum_values,
            });
        }
        a.add_params(source, params);
    }
    Ok(actions.len())
}

/// `{ "key": "text" }` (a localizable string) or a plain string.
fn key_text(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.as_str(),
        Value::Object(m) => m.get("key").and_then(Value::as_str)?,
        _ => return None,
    };
    (!s.is_empty()).then(|| s.to_string())
}

fn value_type(v: &Value) -> String {
    let Some((kind, inner)) = v.as_object().and_then(|m| m.iter().next()) else {
        return "unknown".into();
    };
    let w = inner.get("wrapper").unwrap_or(inner);
    let name = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| w.get(*k))
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    match kind.as_str() {
        "primitive" => format!("primitive#{}", name(&["typeIdentifier"])),
        "entity" => format!("entity:{}", name(&["typeName", "typeIdentifier"])),
        "linkEnumeration" => format!("enum:{}", name(&["identifier"])),
        "array" => format!(
            "array<{}>",
            value_type(w.get("memberValueType").unwrap_or(&Value::Null))
        ),
        other => other.to_string(),
    }
}

fn python_type(v: &Value, is_enum: bool) -> &'static str {
    if is_enum {
        return "str";
    }
    match v
        .as_object()
        .and_then(|m| m.keys().next())
        .map(String::as_str)
    {
        Some("array") => "list",
        _ => "Any",
    }
}

/// `.../X.app/Contents/Resources/Metadata.appintents/extract.actionsdata` → the bundle id
/// in `X.app/Contents/Info.plist`, else `X`.
pub fn bundle_id_for(path: &Path) -> Option<String> {
    let contents = path
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "Contents"));
    if let Some(c) = contents {
        if let Ok(v) = plist::Value::from_file(c.join("Info.plist")) {
            if let Some(id) = v
                .as_dictionary()
                .and_then(|d| d.get("CFBundleIdentifier"))
                .and_then(|i| i.as_string())
            {
                return Some(id.to_string());
            }
        }
    }
    path.ancestors()
        .filter_map(|p| p.file_name()?.to_str())
        .find_map(|n| n.strip_suffix(".app").map(str::to_string))
}
