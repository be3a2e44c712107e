//! Lifting: workflow plist → IR.
//!
//! Values are typed only when their shape is exactly the one the compiler writes back;
//! anything else stays a plain value, so that `compile(lift(p)) == p` for every input.

use crate::ir::*;
use crate::limits::Limits;
use crate::shortcut::{Loaded, LoadedTree, PDict, PValue as P};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LiftError {
    #[error("not a workflow: the plist has no WFWorkflowActions")]
    NoActions,
    #[error("WFWorkflowActions is a {0}, not an array")]
    ActionsNotArray(&'static str),
    #[error("action {index} is a {kind}, not a dictionary")]
    ActionNotDict { index: usize, kind: &'static str },
    #[error("blocks nested deeper than {0}")]
    TooDeep(usize),
}

// The identifiers live with the IR; re-exported for the stages that name them from here.
pub use crate::ir::{
    ID_APPENDVAR, ID_COMMENT, ID_IF, ID_MENU, ID_REPEAT_COUNT, ID_REPEAT_EACH, ID_SETVAR,
};

/// Lifts a workflow plist built by the `plist` crate into the IR.
pub fn lift(loaded: Loaded, limits: &Limits) -> Result<Workflow, LiftError> {
    let arena = crate::shortcut::Bump::new();
    lift_tree(
        LoadedTree {
            plist: PDict::from_plist(&loaded.plist, &arena),
            provenance: loaded.provenance,
        },
        limits,
    )
}

/// Lifts a workflow plist tree into the IR.
pub fn lift_tree(loaded: LoadedTree<'_>, limits: &Limits) -> Result<Workflow, LiftError> {
    let mut meta = Vec::with_capacity(loaded.plist.len().saturating_sub(1));
    let mut actions = None;
    for (k, v) in loaded.plist.iter() {
        if k == "WFWorkflowActions" {
            actions = Some(v);
        } else {
            meta.push((k.to_string(), lift_value(v)));
        }
    }
    sort_keys(&mut meta);
    let mut warnings = Vec::new();
    let list = match actions {
        Some(P::Array(a)) => *a,
        Some(other) => return Err(LiftError::ActionsNotArray(other.kind_name())),
        None => return Err(LiftError::NoActions),
    };
    // Checked before any action is lifted, so that this error wins over a nesting one.
    if let Some((index, other)) = list
        .iter()
        .enumerate()
        .find(|(_, a)| !matches!(a, P::Dictionary(_)))
    {
        return Err(LiftError::ActionNotDict {
            index,
            kind: other.kind_name(),
        });
    }
    // Each action goes straight into its block rather than through a list first: an
    // `Action` is large, and every move of one is a copy.
    let body = structure(
        list,
        |a| match a {
            P::Dictionary(d) => lift_action(*d),
            _ => unreachable!("checked above"),
        },
        limits,
        &mut warnings,
    )?;
    let control = &crate::shortcut::XML_CONTROL_CHARACTERS;
    if let Some((_, n)) = loaded.provenance.extra.iter().find(|(k, _)| k == control) {
        warnings.push(format!(
            "the XML plist holds {n} raw control character(s), which XML 1.0 does not allow; \
             they are kept as read"
        ));
    }
    Ok(Workflow {
        meta,
        body,
        provenance: loaded.provenance,
        warnings,
    })
}

/// One plist action dictionary → [`Action`] (block keys still inside `params`).
pub fn lift_action(d: PDict<'_>) -> Action {
    let mut id = String::new();
    let mut params: Params = Vec::new();
    let mut output = None;
    let mut extra = Vec::new();
    let mut has_params = false;
    for (k, v) in d.iter() {
        match (k, v) {
            ("WFWorkflowActionIdentifier", P::String(s)) => id = s.to_string(),
            ("WFWorkflowActionParameters", P::Dictionary(p)) => {
                has_params = true;
                // Allocating at the start is cheaper than growing an empty list.
                params = Vec::with_capacity(p.len());
                for (k, v) in p.iter() {
                    match (k, v) {
                        ("UUID", P::String(u)) => output = Some(u.to_string()),
                        _ => params.push((k.to_string(), lift_value(v))),
                    }
                }
            }
            // Anything else, a non-string identifier or non-dictionary parameters
            // included, is kept as an extra key; such an action prints raw.
            _ => extra.push((k.to_string(), lift_value(v))),
        }
    }
    sort_keys(&mut params);
    sort_keys(&mut extra);
    // Built whole at the end, in the caller's slot, rather than filled in and copied out.
    Action {
        id,
        params,
        output,
        no_params: !has_params,
        extra,
        span: SrcSpan::default(),
        param_spans: ParamSpans::default(),
    }
}

/// [`sort_params`], skipped when the file already wrote its keys in order (most do), as
/// checking is a single pass where even a sorted input costs the sort a full comparison
/// pass plus its setup.
fn sort_keys(p: &mut Params) {
    if !p.is_sorted_by(|a, b| a.0 <= b.0) {
        sort_params(p);
    }
}

// ---------------------------------------------------------------------------------------
// Values

/// Lifts one plist value. The plist's depth was bounded when it was read.
pub fn lift_value(v: &P<'_>) -> Value {
    match v {
        P::String(s) => Value::String(s.to_string()),
        P::Integer(i) => Value::Int(*i),
        P::Real(r) => Value::Real(*r),
        P::Boolean(b) => Value::Bool(*b),
        P::Date(d) => Value::Date(d.to_string()),
        P::Data(d) => Value::Data(d.to_vec()),
        P::Array(a) => Value::Array(a.iter().map(lift_value).collect()),
        P::Dictionary(d) => lift_dict(d),
        // Uids only occur in keyed archives; keep the number as a plain dictionary entry.
        P::Uid(u) => Value::Dict(vec![("CF$UID".into(), Value::int(*u))]),
    }
}

fn lift_dict(d: &PDict<'_>) -> Value {
    if d.len() == 2 {
        if let (Some(P::String(kind)), Some(inner)) = (d.get("WFSerializationType"), d.get("Value"))
        {
            let typed = match *kind {
                "WFTextTokenString" => lift_text(inner).map(Value::Text),
                "WFTextTokenAttachment" => var_ref(inner).map(|r| Value::Attachment(Box::new(r))),
                "WFDictionaryFieldValue" => dict_field(inner).map(Value::DictField),
                _ => None,
            };
            return typed.unwrap_or_else(|| Value::Serialized {
                kind: kind.to_string(),
                value: Box::new(lift_value(inner)),
            });
        }
    }
    if let Some(r) = var_ref_dict(d) {
        return Value::VarRef(Box::new(r));
    }
    let mut p: Params = d
        .iter()
        .map(|(k, v)| (k.to_string(), lift_value(v)))
        .collect();
    sort_keys(&mut p);
    Value::Dict(p)
}

/// `{string, attachmentsByRange}` → [`Text`], when every range is `{n, 1}` on a U+FFFC
/// (counted in UTF-16 code units) holding a well-formed variable.
pub fn lift_text(v: &P<'_>) -> Option<Text> {
    let d = v.as_dictionary()?;
    let s = d.get("string")?.as_string()?;
    let ranges = match d.get("attachmentsByRange") {
        None => None,
        Some(r) => Some(r.as_dictionary()?),
    };
    let extra = d.len() - 1 - usize::from(ranges.is_some());
    if extra != 0 {
        return None;
    }
    let parts = match ranges.map_or(0, |r| r.len()) {
        0 => text_parts(s, std::iter::empty())?,
        // The usual case: one variable, which needs no list to sort.
        1 => {
            let (k, v) = ranges?.iter().next()?;
            text_parts(s, std::iter::once((parse_range_key(k)?, var_ref(v)?)))?
        }
        n => {
            let mut attach: Vec<(usize, VarRef)> = Vec::with_capacity(n);
            for (k, v) in ranges?.iter() {
                attach.push((parse_range_key(k)?, var_ref(v)?));
            }
            // Positions are unique once checked, so an unstable sort gives the one order.
            attach.sort_unstable_by_key(|(p, _)| *p);
            if attach.windows(2).any(|w| w[0].0 == w[1].0) {
                return None;
            }
            text_parts(s, attach.into_iter())?
        }
    };
    Some(Text {
        parts,
        empty_ranges: ranges.is_some_and(|r| r.is_empty()),
    })
}

/// Splits `s` at its variables (`(UTF-16 offset, variable)`, in increasing order), each of
/// which must sit on a U+FFFC. Literal runs are copied as slices; the scan stops after the
/// last variable.
fn text_parts(
    s: &str,
    vars: impl ExactSizeIterator<Item = (usize, VarRef)>,
) -> Option<Vec<TextPart>> {
    let mut parts = Vec::with_capacity(2 * vars.len() + 1);
    let b = s.as_bytes();
    let mut lit_start = 0;
    // Byte index `i` is at UTF-16 offset `unit`; both only move forward.
    let mut i = 0;
    let mut unit = 0usize;
    for (pos, var) in vars {
        while unit < pos {
            // The width of a character follows from its first byte (`s` is valid UTF-8).
            let lead = *b.get(i)?;
            let (bytes, units) = match lead {
                0x00..=0x7F => (1, 1),
                0x80..=0xDF => (2, 1),
                0xE0..=0xEF => (3, 1),
                _ => (4, 2),
            };
            i += bytes;
            unit += units;
        }
        // Past it: the offset falls inside a surrogate pair, where no U+FFFC can be.
        if unit != pos || b.get(i..i + 3)? != "\u{FFFC}".as_bytes() {
            return None;
        }
        if lit_start < i {
            parts.push(TextPart::Lit(s[lit_start..i].to_string()));
        }
        parts.push(TextPart::Var(var));
        i += 3;
        unit += 1;
        lit_start = i;
    }
    if lit_start < s.len() {
        parts.push(TextPart::Lit(s[lit_start..].to_string()));
    }
    Some(parts)
}

/// `"{12, 1}"` → 12. Only the exact form the compiler writes is accepted.
fn parse_range_key(k: &str) -> Option<usize> {
    let inner = k.strip_prefix('{')?.strip_suffix(", 1}")?;
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) || inner.len() > 9 {
        return None;
    }
    if inner.len() > 1 && inner.starts_with('0') {
        return None;
    }
    inner.parse().ok()
}

fn var_ref(v: &P<'_>) -> Option<VarRef> {
    var_ref_dict(v.as_dictionary()?)
}

/// A variable dictionary in one of the shapes Shortcuts writes; `None` for anything else.
// One pass over the keys: most dictionaries that reach here are not variables and fail at
// their first key, and the ones that are need no further lookups.
fn var_ref_dict(d: &PDict<'_>) -> Option<VarRef> {
    let mut ty = None;
    let mut aggrs = None;
    let (mut output_uuid, mut output_name) = (None, None);
    let (mut var_name, mut var_uuid) = (None, None);
    let mut prompt = None;
    for (k, v) in d.iter() {
        let slot = match k {
            "Type" => &mut ty,
            "Aggrandizements" => &mut aggrs,
            "OutputUUID" => &mut output_uuid,
            "OutputName" => &mut output_name,
            "VariableName" => &mut var_name,
            "VariableUUID" => &mut var_uuid,
            "Prompt" => &mut prompt,
            _ => return None,
        };
        *slot = Some(v);
    }
    let string = |v: Option<&P<'_>>| -> Option<Option<String>> {
        match v {
            None => Some(None),
            Some(v) => Some(Some(v.as_string()?.to_string())),
        }
    };
    // Keys that belong to another type of variable make the dictionary plain.
    let output_keys = output_uuid.is_some() || output_name.is_some();
    let variable_keys = var_name.is_some() || var_uuid.is_some();
    let var = match ty?.as_string()? {
        "ActionOutput" if !variable_keys && prompt.is_none() => Var::ActionOutput {
            uuid: output_uuid?.as_string()?.to_string(),
            name: string(output_name)?,
        },
        "Variable" if !output_keys && prompt.is_none() => Var::Named {
            name: var_name?.as_string()?.to_string(),
            uuid: string(var_uuid)?,
        },
        "Ask" if !output_keys && !variable_keys => Var::Ask {
            prompt: string(prompt)?,
        },
        other => {
            if output_keys || variable_keys || prompt.is_some() {
                return None;
            }
            match other {
                "ExtensionInput" => Var::ShortcutInput,
                "Input" => Var::ActionInput,
                "Clipboard" => Var::Clipboard,
                "CurrentDate" => Var::CurrentDate,
                "DeviceDetails" => Var::DeviceDetails,
                _ => return None,
            }
        }
    };
    let aggr = match aggrs {
        None => Vec::new(),
        Some(a) => {
            let a = a.as_array()?;
            if a.is_empty() {
                // Newer clients write an empty list (a block's result in text, often).
                return Some(VarRef {
                    var,
                    aggr: vec![Aggr::Other(Vec::new())],
                    span: SrcSpan::default(),
                });
            }
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                out.push(aggrandizement(x)?);
            }
            out
        }
    };
    Some(VarRef {
        var,
        aggr,
        span: SrcSpan::default(),
    })
}

fn aggrandizement(v: &P<'_>) -> Option<Aggr> {
    let d = v.as_dictionary()?;
    let ty = d.get("Type")?.as_string()?;
    let only = |keys: &[&str]| d.keys().all(|k| keys.contains(&k));
    let typed = match ty {
        "WFDictionaryValueVariableAggrandizement" if only(&["Type", "DictionaryKey"]) => d
            .get("DictionaryKey")
            .and_then(|k| k.as_string())
            .map(|k| Aggr::DictKey(k.to_string())),
        "WFCoercionVariableAggrandizement" if only(&["Type", "CoercionItemClass"]) => d
            .get("CoercionItemClass")
            .and_then(|k| k.as_string())
            .map(|k| Aggr::Coerce(k.to_string())),
        "WFPropertyVariableAggrandizement"
            if only(&["Type", "PropertyName", "PropertyUserInfo"]) =>
        {
            d.get("PropertyName")
                .and_then(|k| k.as_string())
                .map(|name| Aggr::Property {
                    name: name.to_string(),
                    user_info: d.get("PropertyUserInfo").map(lift_value),
                })
        }
        _ => None,
    };
    Some(typed.unwrap_or_else(|| {
        let mut p: Params = d
            .iter()
            .map(|(k, v)| (k.to_string(), lift_value(v)))
            .collect();
        sort_keys(&mut p);
        Aggr::Other(p)
    }))
}

fn dict_field(v: &P<'_>) -> Option<Vec<DictItem>> {
    let d = v.as_dictionary()?;
    if d.len() != 1 {
        return None;
    }
    d.get("WFDictionaryFieldValueItems")?
        .as_array()?
        .iter()
        .map(dict_item)
        .collect()
}

fn dict_item(v: &P<'_>) -> Option<DictItem> {
    let d = v.as_dictionary()?;
    if d.len() != 3 {
        return None;
    }
    let ty = d.get("WFItemType")?.as_signed_integer()?;
    let key = token_text(d.get("WFKey")?)?;
    let value = item_value(ty, d.get("WFValue")?)?;
    Some(DictItem { key, value })
}

/// The value of a dictionary entry (or array element) of item type `ty`.
fn item_value(ty: i64, wv: &P<'_>) -> Option<DictItemValue> {
    Some(match ty {
        0 => DictItemValue::Text(token_text(wv)?),
        3 => DictItemValue::Number(token_text(wv)?),
        // Shortcuts wraps a nested dictionary twice.
        1 => DictItemValue::Dict(dict_field(wrapped(
            wrapped(wv, "WFDictionaryFieldValue")?,
            "WFDictionaryFieldValue",
        )?)?),
        2 => DictItemValue::Array(
            wrapped(wv, "WFArrayParameterState")?
                .as_array()?
                .iter()
                .map(array_item)
                .collect(),
        ),
        4 => DictItemValue::Bool(lift_value(wrapped(wv, "WFNumberSubstitutableState")?)),
        _ => return None,
    })
}

fn array_item(v: &P<'_>) -> ArrayItem {
    let typed = v.as_dictionary().and_then(|d| {
        if d.len() != 2 {
            return None;
        }
        item_value(d.get("WFItemType")?.as_signed_integer()?, d.get("WFValue")?)
    });
    match typed {
        Some(t) => ArrayItem::Typed(t),
        None => ArrayItem::Plain(lift_value(v)),
    }
}

/// `{Value: x, WFSerializationType: kind}` → `x`.
fn wrapped<'a, 'b>(v: &'a P<'b>, kind: &str) -> Option<&'a P<'b>> {
    let d = v.as_dictionary()?;
    if d.len() != 2 || d.get("WFSerializationType")?.as_string()? != kind {
        return None;
    }
    d.get("Value")
}

fn token_text(v: &P<'_>) -> Option<Text> {
    lift_text(wrapped(v, "WFTextTokenString")?)
}

// ---------------------------------------------------------------------------------------
// Control flow

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BlockKind {
    If,
    Menu,
    RepeatCount,
    RepeatEach,
}

fn block_kind(id: &str) -> Option<BlockKind> {
    Some(match id {
        ID_IF => BlockKind::If,
        ID_MENU => BlockKind::Menu,
        ID_REPEAT_COUNT => BlockKind::RepeatCount,
        ID_REPEAT_EACH => BlockKind::RepeatEach,
        _ => return None,
    })
}

/// The mode [`marker_of`] gives a start action without `WFControlFlowMode`.
const IMPLICIT_START: i128 = -1;

/// The block keys of a marker action: its group and mode, when both are well-formed.
fn marker_of(a: &Action) -> Option<(BlockKind, &str, i128)> {
    let kind = block_kind(&a.id)?;
    let group = match a.param("GroupingIdentifier")? {
        Value::String(s) => s.as_str(),
        _ => return None,
    };
    let mode = match a.param("WFControlFlowMode") {
        Some(Value::Int(m)) => m.get(),
        // Old files leave the mode out of a block's start.
        None => IMPLICIT_START,
        Some(_) => return None,
    };
    Some((kind, group, mode))
}

/// An open block while structuring: its start and middle markers, in order.
///
/// The statements of all open blocks sit in one list, in file order; a segment records
/// where its statements begin in it. A body is cut off that list, at its final size, only
/// once its block ends: growing one vector per body copied every statement on each growth.
struct Frame {
    kind: BlockKind,
    group: String,
    start: Action,
    /// (marker, index of its first statement); the first entry's marker is `None` (the
    /// start's body).
    segments: Vec<(Option<Action>, usize)>,
}

impl Frame {
    /// An unterminated block: its actions go back, flat, in their original order.
    fn flatten(self, stmts: &mut Vec<Stmt>) {
        let base = self.segments[0].1;
        let mut inner = stmts.split_off(base).into_iter();
        stmts.push(Stmt::Action(self.start));
        let mut next = base;
        for (marker, begin) in self.segments {
            stmts.extend(inner.by_ref().take(begin - next));
            next = begin;
            if let Some(m) = marker {
                stmts.push(Stmt::Action(m));
            }
        }
        stmts.extend(inner);
    }
}

// Items are lifted here, one at a time, rather than taken from an iterator of actions:
// each `Option<Action>` an iterator hands over was one more copy of a large struct.
fn structure<T>(
    items: &[T],
    lift: impl Fn(&T) -> Action,
    limits: &Limits,
    warnings: &mut Vec<String>,
) -> Result<Vec<Stmt>, LiftError> {
    // Every action makes at most one statement, so this never grows.
    let mut stmts: Vec<Stmt> = Vec::with_capacity(items.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut marker_outputs = false;
    for (index, item) in items.iter().enumerate() {
        let a = lift(item);
        let Some((kind, group, mode)) = marker_of(&a) else {
            stmts.push(simple_stmt(a));
            continue;
        };
        match mode {
            0 | IMPLICIT_START => {
                if stack.len() >= limits.max_depth {
                    return Err(LiftError::TooDeep(limits.max_depth));
                }
                stack.push(Frame {
                    kind,
                    group: group.to_owned(),
                    start: a,
                    segments: vec![(None, stmts.len())],
                });
            }
            1 | 2 => {
                let pos = stack
                    .iter()
                    .rposition(|f| f.kind == kind && f.group == group);
                match pos {
                    None => {
                        warnings.push(format!(
                            "action {index}: {} with no matching start (group {group}); kept as a plain action",
                            if mode == 1 { "middle marker" } else { "block end" }
                        ));
                        stmts.push(Stmt::Action(a));
                    }
                    Some(pos) => {
                        // Blocks opened inside this one were never closed.
                        while stack.len() > pos + 1 {
                            let f = stack.pop().expect("checked length");
                            warnings.push(format!(
                                "block {} (group {}) has no end; kept as plain actions",
                                f.start.id, f.group
                            ));
                            f.flatten(&mut stmts);
                        }
                        let frame = stack.last_mut().expect("pos is in the stack");
                        if mode == 1 {
                            if frame.kind == BlockKind::RepeatCount
                                || frame.kind == BlockKind::RepeatEach
                                || (frame.kind == BlockKind::If && frame.segments.len() > 1)
                            {
                                warnings.push(format!(
                                    "action {index}: unexpected middle marker in {}; block kept as plain actions",
                                    frame.start.id
                                ));
                            }
                            frame.segments.push((Some(a), stmts.len()));
                        } else {
                            let frame = stack.pop().expect("pos is in the stack");
                            marker_outputs |= close_block(frame, a, &mut stmts, warnings);
                        }
                    }
                }
            }
            _ => {
                warnings.push(format!(
                    "action {index}: WFControlFlowMode {mode} is unknown; kept as a plain action"
                ));
                stmts.push(Stmt::Action(a));
            }
        }
    }
    while let Some(f) = stack.pop() {
        warnings.push(format!(
            "block {} (group {}) has no end; kept as plain actions",
            f.start.id, f.group
        ));
        f.flatten(&mut stmts);
    }
    // Rare: only copied markers carry UUIDs, so the common case pays nothing here.
    if marker_outputs {
        flatten_referenced_markers(&mut stmts, warnings);
    }
    Ok(stmts)
}

// By position rather than `retain`: each key is there once (keys of a dictionary are
// unique), and a marker has few parameters, so the two shifts cost less than a filter pass.
fn strip_block_keys(a: &mut Action) {
    for key in ["WFControlFlowMode", "GroupingIdentifier"] {
        if let Some(i) = a.params.iter().position(|(k, _)| k == key) {
            a.params.remove(i);
        }
    }
}

fn take(a: &mut Action, key: &str) -> Option<Value> {
    let i = a.params.iter().position(|(k, _)| k == key)?;
    Some(a.params.remove(i).1)
}

/// Builds the typed block, or flattens it when its markers do not fit the kind.
/// The block's statements are the tail of `stmts`, which it replaces.
///
/// A start or middle marker may carry a UUID (copied actions do): the block keeps it, and
/// says so in the result, so that [`flatten_referenced_markers`] can undo the block if
/// something references that UUID (the block's printed form has no place to name it).
fn close_block(
    frame: Frame,
    mut end: Action,
    stmts: &mut Vec<Stmt>,
    warnings: &mut Vec<String>,
) -> bool {
    // Markers whose extra keys have no place in the block's printed form stay flat.
    let clean = |a: &Action| a.extra.is_empty() && !a.no_params;
    let middle_ok = |a: &Action| {
        clean(a)
            && a.params.iter().all(|(k, _)| {
                k == "GroupingIdentifier"
                    || k == "WFControlFlowMode"
                    || (frame.kind == BlockKind::Menu && k == "WFMenuItemTitle")
            })
    };
    let markers_ok = clean(&frame.start)
        && clean(&end)
        && frame.segments[1..]
            .iter()
            .all(|(m, _)| m.as_ref().is_some_and(middle_ok));
    let well_formed = markers_ok
        && match frame.kind {
            BlockKind::If => frame.segments.len() <= 2,
            BlockKind::RepeatCount | BlockKind::RepeatEach => frame.segments.len() == 1,
            BlockKind::Menu => {
                // The start's own body (up to the first case, or the end) is empty.
                frame.segments.get(1).map_or(stmts.len(), |s| s.1) == frame.segments[0].1
                    && frame.segments[1..].iter().all(|(m, _)| {
                        m.as_ref()
                            .is_some_and(|m| m.param("WFMenuItemTitle").is_some())
                    })
            }
        };
    if !well_formed {
        let why = if !markers_ok {
            "a marker has keys the block form cannot hold"
        } else if frame.kind == BlockKind::Menu {
            "it has actions before its first case or a case without a title"
        } else {
            "it has more middle markers than its kind allows"
        };
        warnings.push(format!(
            "block {} (group {}): {why}; kept as plain actions",
            frame.start.id, frame.group
        ));
        frame.flatten(stmts);
        stmts.push(Stmt::Action(end));
        return false;
    }
    let marker_output = frame.start.output.is_some()
        || frame.segments[1..]
            .iter()
            .any(|(m, _)| m.as_ref().is_some_and(|m| m.output.is_some()));
    let Frame {
        kind,
        group,
        mut start,
        mut segments,
    } = frame;
    let implicit_start = start.param("WFControlFlowMode").is_none();
    strip_block_keys(&mut start);
    strip_block_keys(&mut end);
    let stmt = match kind {
        BlockKind::If => {
            let mut operands = Vec::new();
            let mut input = None;
            let mut op = None;
            // Removed entries are moved out (a placeholder is left to be dropped), not cloned.
            start.params.retain_mut(|(k, v)| {
                if !CONDITION_KEYS.contains(&k.as_str()) {
                    return true;
                }
                let v = std::mem::replace(v, Value::Bool(false));
                match k.as_str() {
                    "WFInput" => input = Some(v),
                    "WFCondition" => op = Some(v),
                    _ => operands.push((std::mem::take(k), v)),
                }
                false
            });
            let otherwise = if segments.len() == 2 {
                let (m, begin) = segments.pop().expect("two segments");
                let mut m = m.expect("middle marker");
                strip_block_keys(&mut m);
                Some((m, stmts.split_off(begin)))
            } else {
                None
            };
            let then = stmts.split_off(segments[0].1);
            Stmt::If {
                cond: Box::new(Condition {
                    input,
                    op,
                    operands,
                }),
                then,
                otherwise,
                markers: Box::new(BlockMarkers {
                    group,
                    start,
                    end,
                    implicit_start,
                }),
            }
        }
        BlockKind::Menu => {
            let prompt = take(&mut start, "WFMenuPrompt");
            // Bodies are cut off the end, so the cases come last to first.
            let mut cases: Vec<MenuCase> = Vec::with_capacity(segments.len() - 1);
            while segments.len() > 1 {
                let (m, begin) = segments.pop().expect("checked length");
                let mut marker = m.expect("case marker");
                strip_block_keys(&mut marker);
                let title = take(&mut marker, "WFMenuItemTitle").expect("checked above");
                cases.push(MenuCase {
                    title,
                    marker,
                    body: stmts.split_off(begin),
                });
            }
            cases.reverse();
            // WFMenuItems repeats the case titles; keep it only when it says something else.
            let items = match take(&mut start, "WFMenuItems") {
                None => MenuItems::Absent,
                Some(Value::Array(items)) if same_titles(&items, &cases) => MenuItems::FromCases,
                Some(other) => MenuItems::Other(other),
            };
            Stmt::Menu {
                prompt,
                items,
                cases,
                markers: Box::new(BlockMarkers {
                    group,
                    start,
                    end,
                    implicit_start,
                }),
            }
        }
        BlockKind::RepeatCount => Stmt::RepeatCount {
            // A count `range()` would mean differently stays a raw parameter.
            count: match start.param("WFRepeatCount") {
                Some(v) if is_raw_repeat_count(v) => None,
                _ => take(&mut start, "WFRepeatCount"),
            },
            body: stmts.split_off(segments[0].1),
            markers: Box::new(BlockMarkers {
                group,
                start,
                end,
                implicit_start,
            }),
        },
        BlockKind::RepeatEach => Stmt::RepeatEach {
            items: take(&mut start, "WFInput"),
            body: stmts.split_off(segments[0].1),
            markers: Box::new(BlockMarkers {
                group,
                start,
                end,
                implicit_start,
            }),
        },
    };
    stmts.push(stmt);
    marker_output
}

/// Blocks whose start or middle marker carries a UUID something references go back to
/// flat actions (with a warning), where the printer can name that output.
fn flatten_referenced_markers(stmts: &mut Vec<Stmt>, warnings: &mut Vec<String>) {
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    crate::ir::walk::walk_stmts(stmts, &mut |item| match item {
        crate::ir::walk::Item::Ref(VarRef {
            var: Var::ActionOutput { uuid, .. },
            ..
        }) => {
            used.insert(uuid.clone());
        }
        crate::ir::walk::Item::RawRef(u) => {
            used.insert(u.to_string());
        }
        _ => {}
    });
    unstructure_in(stmts, &used, warnings);
}

fn unstructure_in(
    stmts: &mut Vec<Stmt>,
    used: &std::collections::HashSet<String>,
    warnings: &mut Vec<String>,
) {
    let is_used = |a: &Action| a.output.as_ref().is_some_and(|u| used.contains(u));
    let mut i = 0;
    while i < stmts.len() {
        let hit = match &stmts[i] {
            Stmt::If {
                otherwise, markers, ..
            } => is_used(&markers.start) || otherwise.as_ref().is_some_and(|(m, _)| is_used(m)),
            Stmt::Menu { cases, markers, .. } => {
                is_used(&markers.start) || cases.iter().any(|c| is_used(&c.marker))
            }
            Stmt::RepeatCount { markers, .. } | Stmt::RepeatEach { markers, .. } => {
                is_used(&markers.start)
            }
            _ => false,
        };
        if hit {
            let s = stmts.remove(i);
            let mut flat = Vec::new();
            unstructure(s, &mut flat, warnings);
            stmts.splice(i..i, flat);
            // The flat statements are looked at again: bodies may hold more such blocks.
            continue;
        }
        match &mut stmts[i] {
            Stmt::If {
                then, otherwise, ..
            } => {
                unstructure_in(then, used, warnings);
                if let Some((_, b)) = otherwise {
                    unstructure_in(b, used, warnings);
                }
            }
            Stmt::Menu { cases, .. } => {
                for c in cases {
                    unstructure_in(&mut c.body, used, warnings);
                }
            }
            Stmt::RepeatCount { body, .. } | Stmt::RepeatEach { body, .. } => {
                unstructure_in(body, used, warnings)
            }
            _ => {}
        }
        i += 1;
    }
}

/// A block's markers with their keys put back, and its bodies, in file order.
fn unstructure(s: Stmt, out: &mut Vec<Stmt>, warnings: &mut Vec<String>) {
    fn restore(mut a: Action, group: &str, mode: impl Into<Option<i64>>, front: Params) -> Stmt {
        a.params.extend(front);
        a.params
            .push(("GroupingIdentifier".into(), Value::String(group.into())));
        if let Some(mode) = mode.into() {
            a.params
                .push(("WFControlFlowMode".into(), Value::int(mode)));
        }
        sort_params(&mut a.params);
        Stmt::Action(a)
    }
    let mut warn = |id: &str, group: &str| {
        warnings.push(format!(
            "block {id} (group {group}): a marker's output is used; kept as plain actions"
        ))
    };
    match s {
        Stmt::If {
            cond,
            then,
            otherwise,
            markers,
        } => {
            let BlockMarkers {
                group,
                start,
                end,
                implicit_start,
            } = *markers;
            let start_mode = if implicit_start { None } else { Some(0) };
            warn(&start.id, &group);
            let Condition {
                input,
                op,
                mut operands,
            } = *cond;
            if let Some(v) = input {
                operands.push(("WFInput".into(), v));
            }
            if let Some(v) = op {
                operands.push(("WFCondition".into(), v));
            }
            out.push(restore(start, &group, start_mode, operands));
            out.extend(then);
            if let Some((m, b)) = otherwise {
                out.push(restore(m, &group, 1, Vec::new()));
                out.extend(b);
            }
            out.push(restore(end, &group, 2, Vec::new()));
        }
        Stmt::Menu {
            prompt,
            items,
            cases,
            markers,
        } => {
            let BlockMarkers {
                group,
                start,
                end,
                implicit_start,
            } = *markers;
            let start_mode = if implicit_start { None } else { Some(0) };
            warn(&start.id, &group);
            let mut front = Vec::new();
            match items {
                MenuItems::FromCases => front.push((
                    "WFMenuItems".to_string(),
                    Value::Array(cases.iter().map(|c| c.title.clone()).collect()),
                )),
                MenuItems::Absent => {}
                MenuItems::Other(v) => front.push(("WFMenuItems".to_string(), v)),
            }
            if let Some(p) = prompt {
                front.push(("WFMenuPrompt".to_string(), p));
            }
            out.push(restore(start, &group, start_mode, front));
            for c in cases {
                let title = vec![("WFMenuItemTitle".to_string(), c.title)];
                out.push(restore(c.marker, &group, 1, title));
                out.extend(c.body);
            }
            out.push(restore(end, &group, 2, Vec::new()));
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
            let BlockMarkers {
                group,
                start,
                end,
                implicit_start,
            } = *markers;
            let start_mode = if implicit_start { None } else { Some(0) };
            warn(&start.id, &group);
            let key = if start.id == ID_REPEAT_COUNT {
                "WFRepeatCount"
            } else {
                "WFInput"
            };
            let front = v.map(|v| (key.to_string(), v)).into_iter().collect();
            out.push(restore(start, &group, start_mode, front));
            out.extend(body);
            out.push(restore(end, &group, 2, Vec::new()));
        }
        other => out.push(other),
    }
}

/// Whether `WFMenuItems` lists exactly the case titles. Equal means equal Debug text, which
/// compares reals bit for bit (NaN included); without reals on either side that is `==`,
/// and the text is only built when there are some.
fn same_titles(items: &[Value], cases: &[MenuCase]) -> bool {
    if items.len() != cases.len() {
        return false;
    }
    let has_real = items
        .iter()
        .chain(cases.iter().map(|c| &c.title))
        .any(has_real);
    if !has_real {
        return items.iter().zip(cases).all(|(i, c)| *i == c.title);
    }
    let titles: Vec<&Value> = cases.iter().map(|c| &c.title).collect();
    let items: Vec<&Value> = items.iter().collect();
    format!("{items:?}") == format!("{titles:?}")
}

fn has_real(v: &Value) -> bool {
    match v {
        Value::Real(_) => true,
        Value::String(_) | Value::Int(_) | Value::Bool(_) | Value::Date(_) | Value::Data(_) => {
            false
        }
        Value::Array(a) => a.iter().any(has_real),
        Value::Dict(p) => params_have_real(p),
        Value::Text(t) => text_has_real(t),
        Value::Attachment(r) | Value::VarRef(r) => var_has_real(r),
        Value::DictField(items) => items.iter().any(dict_item_has_real),
        Value::Serialized { value, .. } => has_real(value),
    }
}

fn params_have_real(p: &Params) -> bool {
    p.iter().any(|(_, v)| has_real(v))
}

fn text_has_real(t: &Text) -> bool {
    t.parts
        .iter()
        .any(|p| matches!(p, TextPart::Var(r) if var_has_real(r)))
}

fn var_has_real(r: &VarRef) -> bool {
    r.aggr.iter().any(|a| match a {
        Aggr::DictKey(_) | Aggr::Coerce(_) => false,
        Aggr::Property { user_info, .. } => user_info.as_ref().is_some_and(has_real),
        Aggr::Other(p) => params_have_real(p),
    })
}

fn dict_item_has_real(i: &DictItem) -> bool {
    text_has_real(&i.key) || item_value_has_real(&i.value)
}

fn item_value_has_real(v: &DictItemValue) -> bool {
    match v {
        DictItemValue::Text(t) | DictItemValue::Number(t) => text_has_real(t),
        DictItemValue::Bool(v) => has_real(v),
        DictItemValue::Dict(items) => items.iter().any(dict_item_has_real),
        DictItemValue::Array(items) => items.iter().any(|x| match x {
            ArrayItem::Typed(t) => item_value_has_real(t),
            ArrayItem::Plain(v) => has_real(v),
        }),
    }
}

/// Non-block actions: comments and variable setters get their own statements.
pub fn simple_stmt(a: Action) -> Stmt {
    crate::ir::simple_stmt(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: P<'static> = P::Dictionary(PDict(&[("Type", P::String("ExtensionInput"))]));

    fn text(s: &'static str, ranges: &'static [(&'static str, P<'static>)]) -> Option<Text> {
        let d: &'static [(&str, P<'static>)] = Box::leak(Box::new([
            ("string", P::String(s)),
            ("attachmentsByRange", P::Dictionary(PDict(ranges))),
        ]));
        lift_text(&P::Dictionary(PDict(d)))
    }

    fn input() -> TextPart {
        TextPart::Var(var_ref(&INPUT).expect("a variable"))
    }

    #[test]
    fn text_offsets_count_utf16_units() {
        let t = text("😀\u{FFFC}x", &[("{2, 1}", INPUT)]).expect("typed");
        assert_eq!(
            t.parts,
            [
                TextPart::Lit("😀".into()),
                input(),
                TextPart::Lit("x".into())
            ]
        );
        // Inside the surrogate pair, on a plain character, past the end.
        for key in ["{1, 1}", "{3, 1}", "{4, 1}"] {
            let ranges = Box::leak(Box::new([(key, INPUT)]));
            assert_eq!(text("😀\u{FFFC}x", ranges), None, "{key}");
        }
    }

    #[test]
    fn text_variables_in_any_key_order() {
        let t = text(
            "ab\u{FFFC}cdefghi\u{FFFC}",
            &[("{10, 1}", INPUT), ("{2, 1}", INPUT)],
        )
        .expect("typed");
        assert_eq!(
            t.parts,
            [
                TextPart::Lit("ab".into()),
                input(),
                TextPart::Lit("cdefghi".into()),
                input()
            ]
        );
        assert!(!t.empty_ranges);
        let t = text("plain", &[]).expect("typed");
        assert_eq!(t.parts, [TextPart::Lit("plain".into())]);
        assert!(t.empty_ranges);
    }

    fn marker(id: &str, group: &str, mode: i128) -> Action {
        let mut a = Action::new(id);
        a.params = vec![
            ("GroupingIdentifier".into(), Value::String(group.into())),
            ("WFControlFlowMode".into(), Value::int(mode)),
        ];
        a
    }

    fn ids(body: &[Stmt]) -> Vec<String> {
        body.iter()
            .map(|s| match s {
                Stmt::Action(a) => a.id.clone(),
                other => panic!("not flat: {other:?}"),
            })
            .collect()
    }

    fn run(actions: Vec<Action>) -> (Vec<Stmt>, Vec<String>) {
        let mut warnings = Vec::new();
        let body = structure(&actions, Action::clone, &Limits::default(), &mut warnings)
            .expect("not too deep");
        (body, warnings)
    }

    #[test]
    fn unterminated_blocks_stay_flat_in_order() {
        let (body, warnings) = run(vec![
            Action::new("x0"),
            marker(ID_REPEAT_COUNT, "B", 0),
            Action::new("x1"),
            marker(ID_IF, "A", 0),
            Action::new("x2"),
            marker(ID_IF, "A", 1),
            Action::new("x3"),
        ]);
        assert_eq!(
            ids(&body),
            ["x0", ID_REPEAT_COUNT, "x1", ID_IF, "x2", ID_IF, "x3"]
        );
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn unterminated_inner_block_is_flattened_into_its_parent() {
        let (body, warnings) = run(vec![
            marker(ID_IF, "A", 0),
            Action::new("x1"),
            marker(ID_REPEAT_EACH, "B", 0),
            Action::new("x2"),
            marker(ID_IF, "A", 1),
            Action::new("x3"),
            marker(ID_IF, "A", 2),
            Action::new("x4"),
        ]);
        assert_eq!(warnings.len(), 1);
        let [Stmt::If {
            then, otherwise, ..
        }, last] = &body[..]
        else {
            panic!("{body:?}")
        };
        assert_eq!(ids(then), ["x1", ID_REPEAT_EACH, "x2"]);
        assert_eq!(ids(&otherwise.as_ref().expect("otherwise").1), ["x3"]);
        assert_eq!(ids(std::slice::from_ref(last)), ["x4"]);
    }

    #[test]
    fn menu_titles_compare_reals_bit_for_bit() {
        let case = |title: Value| MenuCase {
            title,
            marker: Action::new(ID_MENU),
            body: Vec::new(),
        };
        let same = |a: Value, b: Value| same_titles(&[a], &[case(b)]);
        assert!(same(Value::Real(f64::NAN), Value::Real(f64::NAN)));
        assert!(!same(Value::Real(0.0), Value::Real(-0.0)));
        assert!(!same(Value::Real(1.0), Value::int(1)));
        assert!(same(Value::String("a".into()), Value::String("a".into())));
        assert!(!same(Value::String("a".into()), Value::String("b".into())));
        assert!(!same_titles(&[], &[case(Value::Bool(true))]));
    }
}
