//! Apple's action definitions: `WFActions.plist` (a dictionary keyed by identifier) and
//! the older JSON dump `Shortcuts-2.2.json` (the same dictionary wrapped in a one-element
//! array). Both describe each action with `Name`, `Description.DescriptionSummary`,
//! `Category`/`Subcategory`, `Input.ParameterKey`, `Output.OutputName`/`Types`,
//! `AppDefinition` and `Parameters` (`Class`, `Key`, `Label`, `DefaultValue`, `Items`,
//! `Description`, ...).

use super::draft::{offer, Draft, ParamDraft};
use super::{CatalogError, Source};
use serde_json::{Map, Value};
use std::path::Path;

/// Converts a plist value to JSON (dates become RFC 3339 strings, data becomes null).
pub fn plist_to_json(v: &plist::Value) -> Value {
    match v {
        plist::Value::Array(a) => Value::Array(a.iter().map(plist_to_json).collect()),
        plist::Value::Dictionary(d) => Value::Object(
            d.iter()
                .map(|(k, v)| (k.clone(), plist_to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::Integer(i) => i
            .as_signed()
            .map(Value::from)
            .or_else(|| i.as_unsigned().map(Value::from))
            .unwrap_or(Value::Null),
        plist::Value::Real(r) => serde_json::Number::from_f64(*r)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        plist::Value::String(s) => Value::String(s.clone()),
        plist::Value::Date(d) => Value::String(d.to_xml_format()),
        plist::Value::Uid(u) => Value::from(u.get()),
        _ => Value::Null,
    }
}

/// Reads `WFActions.plist` (XML or binary).
pub fn import_wfactions_plist(draft: &mut Draft, path: &Path) -> Result<usize, CatalogError> {
    let v = plist::Value::from_file(path).map_err(|e| CatalogError::source(path, e))?;
    let json = plist_to_json(&v);
    let n = import_actions_dict(draft, &json, Source::Apple)
        .map_err(|e| CatalogError::source(path, e))?;
    draft.record(Source::Apple, vec![path.display().to_string()], n, None);
    Ok(n)
}

/// Reads the older `Shortcuts-2.2.json` dump (a dictionary, or one wrapped in an array).
pub fn import_scpl_dump(draft: &mut Draft, path: &Path) -> Result<usize, CatalogError> {
    let json = super::read_json(path)?;
    let n = import_actions_dict(draft, &json, Source::Scpl)
        .map_err(|e| CatalogError::source(path, e))?;
    draft.record(Source::Scpl, vec![path.display().to_string()], n, None);
    Ok(n)
}

/// Imports a WFActions-shaped dictionary (identifier → definition).
pub fn import_actions_dict(draft: &mut Draft, v: &Value, source: Source) -> Result<usize, String> {
    let dict = super::unwrap_single(v)
        .as_object()
        .ok_or("expected a dictionary of actions")?;
    for (id, def) in dict {
        let Some(def) = def.as_object() else { continue };
        draft.builtin_ids.insert(id.clone());
        if let Some(bundle) = def
            .get("AppDefinition")
            .and_then(|a| a.get("BundleIdentifier"))
            .and_then(Value::as_str)
        {
            let name = def
                .get("AppDefinition")
                .and_then(|a| a.get("Name"))
                .and_then(Value::as_str)
                .map(str::to_string);
            draft.offer_app(bundle, name, source);
        }
        let a = draft.action(id);
        if let Some(name) = str_field(def, "Name").or_else(|| str_field(def, "ShortName")) {
            offer(&mut a.name, name, source);
        }
        if let Some(d) = description(def.get("Description")) {
            offer(&mut a.description, d, source);
        }
        match def.get("ParameterSummary") {
            Some(Value::String(s)) => offer(&mut a.summary, s.clone(), source),
            Some(Value::Object(m)) => {
                // Several summaries keyed by the parameters they show: keep the longest key.
                if let Some((_, Value::String(s))) = m.iter().max_by_key(|(k, _)| k.len()) {
                    offer(&mut a.summary, s.clone(), source);
                }
            }
            _ => {}
        }
        for key in ["Category", "Subcategory"] {
            if let Some(c) = str_field(def, key) {
                a.categories.insert((c, source));
            }
        }
        if let Some(k) = def
            .get("Input")
            .and_then(|i| i.get("ParameterKey"))
            .and_then(Value::as_str)
        {
            offer(&mut a.input_key, k.to_string(), source);
        }
        // No `Output` is not evidence of no output: the dump leaves out much of what
        // actions defined in code declare (e.g. `text.split`).
        if let Some(Value::Object(o)) = def.get("Output") {
            let name = o
                .get("OutputName")
                .and_then(Value::as_str)
                .map(str::to_string);
            let types: Vec<String> = o
                .get("Types")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            // An `Output` with neither name nor types (e.g. only `DisclosureLevel`)
            // says nothing either way.
            if name.is_some() || !types.is_empty() {
                offer(&mut a.has_output, true, source);
                offer(&mut a.output, (name, types), source);
            }
        }
        // An entry without `Parameters` counts as an (empty) list: the merge prefers any
        // non-empty list from another source over it.
        let params: Vec<ParamDraft> = def
            .get("Parameters")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().filter_map(parameter).collect())
            .unwrap_or_default();
        let input_key = a.input_key.as_ref().map(|f| f.value.clone());
        let input_required = def
            .get("Input")
            .and_then(|i| i.get("Required"))
            .and_then(Value::as_bool);
        let params = params
            .into_iter()
            .map(|mut p| {
                if Some(&p.key) == input_key.as_ref() && p.required.is_none() {
                    p.required = input_required;
                }
                p
            })
            .collect();
        a.add_params(source, params);
    }
    Ok(dict.len())
}

fn str_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `Description` is a dictionary (`DescriptionSummary`, `DescriptionNote`, ...) or a string.
fn description(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(m) => {
            let summary = str_field(m, "DescriptionSummary").or_else(|| str_field(m, "Summary"))?;
            Some(match str_field(m, "DescriptionNote") {
                Some(note) => format!("{summary} {note}"),
                None => summary,
            })
        }
        _ => None,
    }
}

fn parameter(v: &Value) -> Option<ParamDraft> {
    let m = v.as_object()?;
    let key = str_field(m, "Key")?;
    let class = str_field(m, "Class");
    let enum_values: Vec<(String, Option<String>)> = m
        .get("Items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some((s.clone(), None)),
                    Value::Object(o) => o
                        .get("Value")
                        .or_else(|| o.get("Title"))
                        .and_then(Value::as_str)
                        .map(|s| (s.to_string(), None)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let python_type = class
        .as_deref()
        .map(|c| python_type_of_class(c, m).to_string());
    let description = str_field(m, "Description");
    Some(ParamDraft {
        key,
        label: str_field(m, "Label"),
        class,
        type_name: None,
        python_type,
        required: m.get("Required").and_then(Value::as_bool),
        default: m
            .get("DefaultValue")
            .or_else(|| m.get("Default"))
            .filter(|v| !v.is_null())
            .cloned(),
        description,
        enum_values,
    })
}

/// The Python-side type of an Apple parameter class.
pub fn python_type_of_class(class: &str, m: &Map<String, Value>) -> &'static str {
    match class {
        "WFTextInputParameter"
        | "WFEnumerationParameter"
        | "WFDynamicEnumerationParameter"
        | "WFEmailAddressFieldParameter"
        | "WFPhoneNumberFieldParameter"
        | "WFDateFieldParameter"
        | "WFCustomDateFormatParameter"
        | "WFURLParameter"
        | "WFOSAScriptEditorParameter" => "str",
        "WFSwitchParameter" | "WFExpandingParameter" => "bool",
        "WFStepperParameter" => "int",
        "WFSliderParameter" => "float",
        "WFNumberFieldParameter" => {
            if m.get("AllowsDecimalNumbers").and_then(Value::as_bool) == Some(false) {
                "int"
            } else {
                "float"
            }
        }
        "WFDictionaryParameter" => "dict",
        "WFArrayParameter" | "WFContentArrayParameter" | "WFChooseFromMenuArrayParameter" => "list",
        _ => "Any",
    }
}
