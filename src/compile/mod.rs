//! Compiling: IR → workflow plist. The exact inverse of [`crate::lift`].

use crate::ir::*;
use crate::lift::{ID_APPENDVAR, ID_COMMENT, ID_SETVAR};
use plist::{Dictionary, Value as P};

/// Builds the workflow plist (the dictionary a `.shortcut` file holds).
pub fn compile(wf: &Workflow) -> Dictionary {
    let mut d = Dictionary::new();
    let mut actions = Vec::new();
    emit_body(&wf.body, &mut actions);
    let mut placed = false;
    for (k, v) in &wf.meta {
        // Metadata is sorted by key: WFWorkflowActions takes its sorted place among it.
        if !placed && k.as_str() > "WFWorkflowActions" {
            d.insert(
                "WFWorkflowActions".into(),
                P::Array(std::mem::take(&mut actions)),
            );
            placed = true;
        }
        d.insert(k.clone(), to_plist(v));
    }
    if !placed {
        d.insert("WFWorkflowActions".into(), P::Array(actions));
    }
    d
}

fn emit_body(body: &[Stmt], out: &mut Vec<P>) {
    for s in body {
        emit_stmt(s, out);
    }
}

fn marker(a: &Action, group: &str, mode: i64, front: Vec<(String, Value)>) -> P {
    marker_with(a, group, Some(mode), front)
}

/// A block's start, whose mode old files leave out.
fn start_marker(m: &BlockMarkers, front: Vec<(String, Value)>) -> P {
    let mode = if m.implicit_start { None } else { Some(0) };
    marker_with(&m.start, &m.group, mode, front)
}

fn marker_with(a: &Action, group: &str, mode: Option<i64>, front: Vec<(String, Value)>) -> P {
    let mut params: Vec<(String, P)> = Vec::new();
    params.push(("GroupingIdentifier".into(), P::String(group.into())));
    if let Some(mode) = mode {
        params.push(("WFControlFlowMode".into(), P::Integer(mode.into())));
    }
    for (k, v) in front.iter().chain(&a.params) {
        params.push((k.clone(), to_plist(v)));
    }
    action_dict(a, params)
}

fn action_dict(a: &Action, params: Vec<(String, P)>) -> P {
    let mut d = Dictionary::new();
    if !a.id.is_empty() {
        d.insert("WFWorkflowActionIdentifier".into(), P::String(a.id.clone()));
    }
    if !a.no_params {
        let mut p = Dictionary::new();
        for (k, v) in params {
            p.insert(k, v);
        }
        if let Some(u) = &a.output {
            p.insert("UUID".into(), P::String(u.clone()));
        }
        d.insert("WFWorkflowActionParameters".into(), P::Dictionary(p));
    }
    for (k, v) in &a.extra {
        d.insert(k.clone(), to_plist(v));
    }
    P::Dictionary(d)
}

fn plain_action(a: &Action, front: Vec<(String, Value)>) -> P {
    let params = front
        .iter()
        .chain(&a.params)
        .map(|(k, v)| (k.clone(), to_plist(v)))
        .collect();
    action_dict(a, params)
}

fn emit_stmt(s: &Stmt, out: &mut Vec<P>) {
    match s {
        Stmt::Action(a) => out.push(plain_action(a, Vec::new())),
        Stmt::Comment { text, action } => {
            debug_assert_eq!(action.id, ID_COMMENT);
            out.push(plain_action(
                action,
                vec![("WFCommentActionText".into(), Value::String(text.clone()))],
            ))
        }
        Stmt::SetVariable {
            name,
            append,
            value,
            action,
        } => {
            debug_assert_eq!(action.id, if *append { ID_APPENDVAR } else { ID_SETVAR });
            let mut front = Vec::new();
            if let Some(v) = value {
                front.push(("WFInput".to_string(), v.clone()));
            }
            front.push(("WFVariableName".to_string(), Value::String(name.clone())));
            out.push(plain_action(action, front));
        }
        Stmt::If {
            cond,
            then,
            otherwise,
            markers,
        } => {
            let mut front = Vec::new();
            if let Some(i) = &cond.input {
                front.push(("WFInput".to_string(), i.clone()));
            }
            if let Some(o) = &cond.op {
                front.push(("WFCondition".to_string(), o.clone()));
            }
            front.extend(cond.operands.iter().cloned());
            out.push(start_marker(markers, front));
            emit_body(then, out);
            if let Some((m, body)) = otherwise {
                out.push(marker(m, &markers.group, 1, Vec::new()));
                emit_body(body, out);
            }
            out.push(marker(&markers.end, &markers.group, 2, Vec::new()));
        }
        Stmt::Menu {
            prompt,
            items,
            cases,
            markers,
        } => {
            let mut front = Vec::new();
            match items {
                MenuItems::FromCases => front.push((
                    "WFMenuItems".to_string(),
                    Value::Array(cases.iter().map(|c| c.title.clone()).collect()),
                )),
                MenuItems::Absent => {}
                MenuItems::Other(v) => front.push(("WFMenuItems".to_string(), v.clone())),
            }
            if let Some(p) = prompt {
                front.push(("WFMenuPrompt".to_string(), p.clone()));
            }
            out.push(start_marker(markers, front));
            for c in cases {
                out.push(marker(
                    &c.marker,
                    &markers.group,
                    1,
                    vec![("WFMenuItemTitle".to_string(), c.title.clone())],
                ));
                emit_body(&c.body, out);
            }
            out.push(marker(&markers.end, &markers.group, 2, Vec::new()));
        }
        Stmt::RepeatCount {
            count: v,
            body,
            markers,
        }
        | Stmt::RepeatEach {
            items: v,
            body,
            markers,
        } => {
            let key = if matches!(s, Stmt::RepeatCount { .. }) {
                "WFRepeatCount"
            } else {
                "WFInput"
            };
            let front = v
                .iter()
                .map(|v| (key.to_string(), v.clone()))
                .collect::<Vec<_>>();
            out.push(start_marker(markers, front));
            emit_body(body, out);
            out.push(marker(&markers.end, &markers.group, 2, Vec::new()));
        }
    }
}

fn wrap(kind: &str, value: P) -> P {
    let mut d = Dictionary::new();
    d.insert("Value".into(), value);
    d.insert("WFSerializationType".into(), P::String(kind.into()));
    P::Dictionary(d)
}

/// IR value → plist value.
pub fn to_plist(v: &Value) -> P {
    match v {
        Value::String(s) => P::String(s.clone()),
        Value::Int(i) => int(i.get()),
        Value::Real(r) => P::Real(*r),
        Value::Bool(b) => P::Boolean(*b),
        Value::Date(d) => plist::Date::from_xml_format(d)
            .map(P::Date)
            .unwrap_or_else(|_| P::String(d.clone())),
        Value::Data(d) => P::Data(d.clone()),
        Value::Array(a) => P::Array(a.iter().map(to_plist).collect()),
        Value::Dict(d) => {
            let mut m = Dictionary::new();
            for (k, v) in d {
                m.insert(k.clone(), to_plist(v));
            }
            P::Dictionary(m)
        }
        Value::Text(t) => wrap("WFTextTokenString", text_value(t)),
        Value::Attachment(r) => wrap("WFTextTokenAttachment", var_dict(r)),
        Value::VarRef(r) => var_dict(r),
        Value::DictField(items) => wrap("WFDictionaryFieldValue", dict_items(items)),
        Value::Serialized { kind, value } => wrap(kind, to_plist(value)),
    }
}

fn int(i: i128) -> P {
    if let Ok(x) = i64::try_from(i) {
        P::Integer(x.into())
    } else if let Ok(x) = u64::try_from(i) {
        P::Integer(x.into())
    } else {
        // Out of plist range: only reachable from hand-written DSL; saturate visibly.
        P::Integer(if i < 0 {
            i64::MIN.into()
        } else {
            u64::MAX.into()
        })
    }
}

/// The string of a text and its variables' range keys (see [`Text::layout`]).
fn text_layout(t: &Text) -> (String, Vec<(String, &VarRef)>) {
    t.layout()
}

/// `{string, attachmentsByRange}`.
fn text_value(t: &Text) -> P {
    let (s, ranges) = text_layout(t);
    let mut d = Dictionary::new();
    d.insert("string".into(), P::String(s));
    if !ranges.is_empty() || t.empty_ranges {
        let mut r = Dictionary::new();
        for (k, v) in ranges {
            r.insert(k, var_dict(v));
        }
        d.insert("attachmentsByRange".into(), P::Dictionary(r));
    }
    P::Dictionary(d)
}

/// A text in its serialized (untyped) form, with each variable as a bare reference.
pub fn text_as_serialized(t: &Text) -> Value {
    t.to_serialized()
}

fn var_dict(r: &VarRef) -> P {
    let mut d = Dictionary::new();
    let ty = match &r.var {
        Var::ActionOutput { uuid, name } => {
            if let Some(n) = name {
                d.insert("OutputName".into(), P::String(n.clone()));
            }
            d.insert("OutputUUID".into(), P::String(uuid.clone()));
            "ActionOutput"
        }
        Var::Named { name, uuid } => {
            d.insert("VariableName".into(), P::String(name.clone()));
            if let Some(u) = uuid {
                d.insert("VariableUUID".into(), P::String(u.clone()));
            }
            "Variable"
        }
        Var::ShortcutInput => "ExtensionInput",
        Var::ActionInput => "Input",
        Var::Clipboard => "Clipboard",
        Var::CurrentDate => "CurrentDate",
        Var::DeviceDetails => "DeviceDetails",
        Var::Ask { prompt } => {
            if let Some(p) = prompt {
                d.insert("Prompt".into(), P::String(p.clone()));
            }
            "Ask"
        }
    };
    d.insert("Type".into(), P::String(ty.into()));
    if !r.aggr.is_empty() {
        // An `Other` with no keys is the list itself, with no entry of its own.
        let list = r
            .aggr
            .iter()
            .filter(|a| !matches!(a, Aggr::Other(p) if p.is_empty()))
            .map(aggr_dict)
            .collect();
        d.insert("Aggrandizements".into(), P::Array(list));
    }
    P::Dictionary(d)
}

fn aggr_dict(a: &Aggr) -> P {
    let mut d = Dictionary::new();
    let mut put = |k: &str, v: P| {
        d.insert(k.into(), v);
    };
    match a {
        Aggr::DictKey(k) => {
            put("DictionaryKey", P::String(k.clone()));
            put(
                "Type",
                P::String("WFDictionaryValueVariableAggrandizement".into()),
            );
        }
        Aggr::Coerce(c) => {
            put("CoercionItemClass", P::String(c.clone()));
            put("Type", P::String("WFCoercionVariableAggrandizement".into()));
        }
        Aggr::Property { name, user_info } => {
            put("PropertyName", P::String(name.clone()));
            if let Some(u) = user_info {
                put("PropertyUserInfo", to_plist(u));
            }
            put("Type", P::String("WFPropertyVariableAggrandizement".into()));
        }
        Aggr::Other(p) => {
            for (k, v) in p {
                put(k, to_plist(v));
            }
        }
    }
    P::Dictionary(d)
}

fn item_value(v: &DictItemValue) -> (i64, P) {
    match v {
        DictItemValue::Text(t) => (0, wrap("WFTextTokenString", text_value(t))),
        DictItemValue::Number(t) => (3, wrap("WFTextTokenString", text_value(t))),
        DictItemValue::Dict(d) => (
            1,
            wrap(
                "WFDictionaryFieldValue",
                wrap("WFDictionaryFieldValue", dict_items(d)),
            ),
        ),
        DictItemValue::Array(a) => (
            2,
            wrap(
                "WFArrayParameterState",
                P::Array(
                    a.iter()
                        .map(|x| match x {
                            ArrayItem::Typed(t) => {
                                let (ty, value) = item_value(t);
                                let mut d = Dictionary::new();
                                d.insert("WFItemType".into(), P::Integer(ty.into()));
                                d.insert("WFValue".into(), value);
                                P::Dictionary(d)
                            }
                            ArrayItem::Plain(v) => to_plist(v),
                        })
                        .collect(),
                ),
            ),
        ),
        DictItemValue::Bool(v) => (4, wrap("WFNumberSubstitutableState", to_plist(v))),
    }
}

fn dict_items(items: &[DictItem]) -> P {
    let list = items
        .iter()
        .map(|it| {
            let (ty, value) = item_value(&it.value);
            let mut d = Dictionary::new();
            d.insert("WFItemType".into(), P::Integer(ty.into()));
            d.insert(
                "WFKey".into(),
                wrap("WFTextTokenString", text_value(&it.key)),
            );
            d.insert("WFValue".into(), value);
            P::Dictionary(d)
        })
        .collect();
    let mut d = Dictionary::new();
    d.insert("WFDictionaryFieldValueItems".into(), P::Array(list));
    P::Dictionary(d)
}

/// Metadata for a shortcut written from scratch (a program with no `__workflow__`): what
/// the Shortcuts app writes for a new shortcut, so that the file imports.
pub fn default_metadata(wf: &Workflow) -> Params {
    let mut uses_input = false;
    crate::ir::walk::walk_stmts(&wf.body, &mut |item| {
        if let crate::ir::walk::Item::Ref(r) = item {
            uses_input |= r.var == Var::ShortcutInput;
        }
    });
    let strings =
        |v: &[&str]| Value::Array(v.iter().map(|s| Value::String(s.to_string())).collect());
    let mut meta = vec![
        (
            "WFQuickActionSurfaces".to_string(),
            Value::Array(Vec::new()),
        ),
        (
            "WFWorkflowClientVersion".to_string(),
            Value::String("2302.0.4".into()),
        ),
        (
            "WFWorkflowHasOutputFallback".to_string(),
            Value::Bool(false),
        ),
        (
            "WFWorkflowHasShortcutInputVariables".to_string(),
            Value::Bool(uses_input),
        ),
        (
            "WFWorkflowIcon".to_string(),
            Value::Dict(vec![
                (
                    "WFWorkflowIconGlyphNumber".to_string(),
                    Value::int(59446i64),
                ),
                (
                    "WFWorkflowIconStartColor".to_string(),
                    Value::int(4282601983i64),
                ),
            ]),
        ),
        (
            "WFWorkflowImportQuestions".to_string(),
            Value::Array(Vec::new()),
        ),
        (
            "WFWorkflowInputContentItemClasses".to_string(),
            strings(&[
                "WFAppContentItem",
                "WFAppStoreAppContentItem",
                "WFArticleContentItem",
                "WFContactContentItem",
                "WFDateContentItem",
                "WFEmailAddressContentItem",
                "WFFolderContentItem",
                "WFGenericFileContentItem",
                "WFImageContentItem",
                "WFiTunesProductContentItem",
                "WFLocationContentItem",
                "WFDCMapsLinkContentItem",
                "WFAVAssetContentItem",
                "WFPDFContentItem",
                "WFPhoneNumberContentItem",
                "WFRichTextContentItem",
                "WFSafariWebPageContentItem",
                "WFStringContentItem",
                "WFURLContentItem",
            ]),
        ),
        (
            "WFWorkflowMinimumClientVersion".to_string(),
            Value::int(900i64),
        ),
        (
            "WFWorkflowMinimumClientVersionString".to_string(),
            Value::String("900".into()),
        ),
        (
            "WFWorkflowOutputContentItemClasses".to_string(),
            Value::Array(Vec::new()),
        ),
        ("WFWorkflowTypes".to_string(), Value::Array(Vec::new())),
    ];
    sort_params(&mut meta);
    meta
}

/// A character XML 1.0 cannot hold in any form, raw or escaped: control characters other
/// than tab and line ends, and U+FFFE/U+FFFF.
pub fn xml_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// The first string or key of `v` that an XML plist cannot represent: its path (keys and
/// indices from the top, `/`-separated) and the character. A binary plist holds it.
pub fn xml_unrepresentable(v: &P) -> Option<(String, char)> {
    // Iterative: the value may be as deep as the reader allowed.
    let mut stack: Vec<(String, &P)> = vec![(String::new(), v)];
    while let Some((path, v)) = stack.pop() {
        match v {
            P::String(s) => {
                if let Some(c) = s.chars().find(|&c| xml_forbidden(c)) {
                    return Some((path, c));
                }
            }
            P::Array(a) => {
                for (i, x) in a.iter().enumerate().rev() {
                    stack.push((format!("{path}/{i}"), x));
                }
            }
            P::Dictionary(d) => {
                for (k, x) in d.iter() {
                    let p = format!("{path}/{k}");
                    if let Some(c) = k.chars().find(|&c| xml_forbidden(c)) {
                        return Some((p, c));
                    }
                    stack.push((p, x));
                }
            }
            _ => {}
        }
    }
    None
}
