//! Walks over the IR in program order: every variable reference, every variable a
//! statement sets, every action output. Printing names things from it; compiling asks it
//! what a program uses.

use super::*;

/// What a walk meets.
pub enum Item<'a> {
    Ref(&'a VarRef),
    /// An `OutputUUID` inside an untyped dictionary: the action must keep that UUID.
    RawRef(&'a str),
    SetName(&'a str),
    Output(&'a str, &'a str),
}

fn walk_action<'a, F: FnMut(Item<'a>)>(a: &'a Action, f: &mut F) {
    for (_, v) in a.params.iter().chain(&a.extra) {
        walk_value(v, f);
    }
    if let Some(u) = &a.output {
        f(Item::Output(u, &a.id));
    }
}

pub fn walk_stmts<'a, F: FnMut(Item<'a>)>(body: &'a [Stmt], f: &mut F) {
    for s in body {
        match s {
            Stmt::Action(a) | Stmt::Comment { action: a, .. } => walk_action(a, f),
            Stmt::SetVariable {
                name,
                value,
                action,
                ..
            } => {
                if let Some(v) = value {
                    walk_value(v, f);
                }
                f(Item::SetName(name));
                walk_action(action, f);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
                markers,
            } => {
                walk_action(&markers.start, f);
                for v in cond.input.iter().chain(&cond.op) {
                    walk_value(v, f);
                }
                for (_, v) in &cond.operands {
                    walk_value(v, f);
                }
                walk_stmts(then, f);
                if let Some((m, b)) = otherwise {
                    walk_action(m, f);
                    walk_stmts(b, f);
                }
                walk_action(&markers.end, f);
            }
            Stmt::Menu {
                prompt,
                items,
                cases,
                markers,
            } => {
                walk_action(&markers.start, f);
                if let Some(p) = prompt {
                    walk_value(p, f);
                }
                if let MenuItems::Other(v) = items {
                    walk_value(v, f);
                }
                for c in cases {
                    walk_value(&c.title, f);
                    walk_action(&c.marker, f);
                    walk_stmts(&c.body, f);
                }
                walk_action(&markers.end, f);
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
                walk_action(&markers.start, f);
                if let Some(v) = v {
                    walk_value(v, f);
                }
                walk_stmts(body, f);
                walk_action(&markers.end, f);
            }
        }
    }
}

fn walk_ref<'a, F: FnMut(Item<'a>)>(r: &'a VarRef, f: &mut F) {
    f(Item::Ref(r));
    for a in &r.aggr {
        match a {
            Aggr::Property {
                user_info: Some(v), ..
            } => walk_value(v, f),
            Aggr::Other(p) => p.iter().for_each(|(_, v)| walk_value(v, f)),
            _ => {}
        }
    }
}

fn walk_text<'a, F: FnMut(Item<'a>)>(t: &'a Text, f: &mut F) {
    for p in &t.parts {
        if let TextPart::Var(r) = p {
            walk_ref(r, f);
        }
    }
}

fn walk_item_value<'a, F: FnMut(Item<'a>)>(v: &'a DictItemValue, f: &mut F) {
    match v {
        DictItemValue::Text(t) | DictItemValue::Number(t) => walk_text(t, f),
        DictItemValue::Bool(v) => walk_value(v, f),
        DictItemValue::Dict(d) => walk_items(d, f),
        DictItemValue::Array(a) => walk_array(a, f),
    }
}

fn walk_array<'a, F: FnMut(Item<'a>)>(a: &'a [ArrayItem], f: &mut F) {
    for x in a {
        match x {
            ArrayItem::Typed(t) => walk_item_value(t, f),
            ArrayItem::Plain(v) => walk_value(v, f),
        }
    }
}

fn walk_items<'a, F: FnMut(Item<'a>)>(items: &'a [DictItem], f: &mut F) {
    for it in items {
        walk_text(&it.key, f);
        match &it.value {
            DictItemValue::Text(t) | DictItemValue::Number(t) => walk_text(t, f),
            DictItemValue::Bool(v) => walk_value(v, f),
            DictItemValue::Dict(d) => walk_items(d, f),
            DictItemValue::Array(a) => walk_array(a, f),
        }
    }
}

/// Most values are plain strings and numbers, which hold no reference: those cost a test
/// here rather than a call.
#[inline]
pub fn walk_value<'a, F: FnMut(Item<'a>)>(v: &'a Value, f: &mut F) {
    if !matches!(
        v,
        Value::String(_)
            | Value::Int(_)
            | Value::Real(_)
            | Value::Bool(_)
            | Value::Date(_)
            | Value::Data(_)
    ) {
        walk_compound(v, f);
    }
}

fn walk_compound<'a, F: FnMut(Item<'a>)>(v: &'a Value, f: &mut F) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk_value(x, f)),
        Value::Dict(d) => d.iter().for_each(|(k, x)| {
            if let (true, Value::String(u)) = (k == "OutputUUID", x) {
                f(Item::RawRef(u));
            }
            walk_value(x, f)
        }),
        Value::Text(t) => walk_text(t, f),
        Value::Attachment(r) | Value::VarRef(r) => walk_ref(r, f),
        Value::DictField(items) => walk_items(items, f),
        Value::Serialized { value, .. } => walk_value(value, f),
        _ => {}
    }
}
