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

/// Takes what a walk meets. A measuring walk also hears of the text it passes over, so
/// that the printer can size its output before writing it.
trait Visit<'a> {
    fn item(&mut self, item: Item<'a>);
    /// An action identifier, a key, or a string or data leaf of `len` bytes.
    fn text(&mut self, _len: usize) {}
}

struct Items<'f, F>(&'f mut F);

impl<'a, F: FnMut(Item<'a>)> Visit<'a> for Items<'_, F> {
    #[inline]
    fn item(&mut self, item: Item<'a>) {
        (self.0)(item)
    }
}

/// The bytes and the number of the texts a walk passed over.
#[derive(Default, Clone, Copy)]
pub struct TextSize {
    pub bytes: usize,
    pub count: usize,
}

struct Measure<'f, F> {
    f: &'f mut F,
    size: TextSize,
}

impl<'a, F: FnMut(Item<'a>)> Visit<'a> for Measure<'_, F> {
    #[inline]
    fn item(&mut self, item: Item<'a>) {
        (self.f)(item)
    }
    #[inline]
    fn text(&mut self, len: usize) {
        self.size.bytes += len;
        self.size.count += 1;
    }
}

pub fn walk_stmts<'a, F: FnMut(Item<'a>)>(body: &'a [Stmt], f: &mut F) {
    stmts(body, &mut Items(f));
}

/// [`walk_stmts`], also measuring the identifiers, keys, strings and data it passes.
pub fn walk_stmts_measured<'a, F: FnMut(Item<'a>)>(body: &'a [Stmt], f: &mut F) -> TextSize {
    let mut m = Measure {
        f,
        size: TextSize::default(),
    };
    stmts(body, &mut m);
    m.size
}

#[inline]
pub fn walk_value<'a, F: FnMut(Item<'a>)>(v: &'a Value, f: &mut F) {
    walk_one(v, &mut Items(f));
}

fn walk_action<'a, V: Visit<'a>>(a: &'a Action, f: &mut V) {
    f.text(a.id.len());
    for (k, v) in a.params.iter().chain(&a.extra) {
        f.text(k.len());
        walk_one(v, f);
    }
    if let Some(u) = &a.output {
        f.item(Item::Output(u, &a.id));
    }
}

fn stmts<'a, V: Visit<'a>>(body: &'a [Stmt], f: &mut V) {
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
                    walk_one(v, f);
                }
                f.item(Item::SetName(name));
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
                    walk_one(v, f);
                }
                for (_, v) in &cond.operands {
                    walk_one(v, f);
                }
                stmts(then, f);
                if let Some((m, b)) = otherwise {
                    walk_action(m, f);
                    stmts(b, f);
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
                    walk_one(p, f);
                }
                if let MenuItems::Other(v) = items {
                    walk_one(v, f);
                }
                for c in cases {
                    walk_one(&c.title, f);
                    walk_action(&c.marker, f);
                    stmts(&c.body, f);
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
                    walk_one(v, f);
                }
                stmts(body, f);
                walk_action(&markers.end, f);
            }
        }
    }
}

fn walk_ref<'a, V: Visit<'a>>(r: &'a VarRef, f: &mut V) {
    f.item(Item::Ref(r));
    for a in &r.aggr {
        match a {
            Aggr::Property {
                user_info: Some(v), ..
            } => walk_one(v, f),
            Aggr::Other(p) => p.iter().for_each(|(_, v)| walk_one(v, f)),
            _ => {}
        }
    }
}

fn walk_text<'a, V: Visit<'a>>(t: &'a Text, f: &mut V) {
    for p in &t.parts {
        match p {
            TextPart::Var(r) => walk_ref(r, f),
            TextPart::Lit(l) => f.text(l.len()),
        }
    }
}

fn walk_item_value<'a, V: Visit<'a>>(v: &'a DictItemValue, f: &mut V) {
    match v {
        DictItemValue::Text(t) | DictItemValue::Number(t) => walk_text(t, f),
        DictItemValue::Bool(v) => walk_one(v, f),
        DictItemValue::Dict(d) => walk_items(d, f),
        DictItemValue::Array(a) => walk_array(a, f),
    }
}

fn walk_array<'a, V: Visit<'a>>(a: &'a [ArrayItem], f: &mut V) {
    for x in a {
        match x {
            ArrayItem::Typed(t) => walk_item_value(t, f),
            ArrayItem::Plain(v) => walk_one(v, f),
        }
    }
}

fn walk_items<'a, V: Visit<'a>>(items: &'a [DictItem], f: &mut V) {
    for it in items {
        walk_text(&it.key, f);
        match &it.value {
            DictItemValue::Text(t) | DictItemValue::Number(t) => walk_text(t, f),
            DictItemValue::Bool(v) => walk_one(v, f),
            DictItemValue::Dict(d) => walk_items(d, f),
            DictItemValue::Array(a) => walk_array(a, f),
        }
    }
}

/// Most values are plain strings and numbers, which hold no reference: those cost a test
/// here rather than a call.
#[inline]
fn walk_one<'a, V: Visit<'a>>(v: &'a Value, f: &mut V) {
    match v {
        Value::String(t) => f.text(t.len()),
        Value::Data(d) => f.text(d.len()),
        Value::Int(_) | Value::Real(_) | Value::Bool(_) | Value::Date(_) => {}
        _ => walk_compound(v, f),
    }
}

fn walk_compound<'a, V: Visit<'a>>(v: &'a Value, f: &mut V) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk_one(x, f)),
        Value::Dict(d) => d.iter().for_each(|(k, x)| {
            f.text(k.len());
            if let (true, Value::String(u)) = (k == "OutputUUID", x) {
                f.item(Item::RawRef(u));
            }
            walk_one(x, f)
        }),
        Value::Text(t) => walk_text(t, f),
        Value::Attachment(r) | Value::VarRef(r) => walk_ref(r, f),
        Value::DictField(items) => walk_items(items, f),
        Value::Serialized { value: inner, .. } => walk_one(inner, f),
        _ => {}
    }
}

/// What an in-place walk meets, each before what it holds, in program order.
pub enum ItemMut<'a> {
    /// A block's `GroupingIdentifier`, before its start action.
    Group(&'a mut String),
    /// An action (block markers included), before its parameters and extra keys.
    Action(&'a mut Action),
    /// Every value, before the values inside it.
    Value(&'a mut Value),
    /// A variable reference, before the values of its aggrandizements.
    Ref(&'a mut VarRef),
}

/// Calls `f` on every group, action, value and variable reference of a body, mutably.
/// What `f` leaves in a value or reference is what the walk goes on into.
pub fn walk_stmts_mut(body: &mut [Stmt], f: &mut dyn FnMut(ItemMut<'_>)) {
    for s in body {
        stmt_mut(s, f);
    }
}

/// [`walk_stmts_mut`] over a whole workflow: its metadata values, then its body.
pub fn walk_workflow_mut(wf: &mut Workflow, f: &mut dyn FnMut(ItemMut<'_>)) {
    for (_, v) in &mut wf.meta {
        value_mut(v, f);
    }
    walk_stmts_mut(&mut wf.body, f);
}

fn stmt_mut(s: &mut Stmt, f: &mut dyn FnMut(ItemMut<'_>)) {
    match s {
        Stmt::Action(a) | Stmt::Comment { action: a, .. } => action_mut(a, f),
        Stmt::SetVariable { value, action, .. } => {
            if let Some(v) = value {
                value_mut(v, f);
            }
            action_mut(action, f);
        }
        Stmt::If {
            cond,
            then,
            otherwise,
            markers,
        } => {
            f(ItemMut::Group(&mut markers.group));
            action_mut(&mut markers.start, f);
            for v in cond.input.iter_mut().chain(cond.op.iter_mut()) {
                value_mut(v, f);
            }
            for (_, v) in &mut cond.operands {
                value_mut(v, f);
            }
            walk_stmts_mut(then, f);
            if let Some((m, b)) = otherwise {
                action_mut(m, f);
                walk_stmts_mut(b, f);
            }
            action_mut(&mut markers.end, f);
        }
        Stmt::Menu {
            prompt,
            items,
            cases,
            markers,
        } => {
            f(ItemMut::Group(&mut markers.group));
            action_mut(&mut markers.start, f);
            if let Some(p) = prompt {
                value_mut(p, f);
            }
            if let MenuItems::Other(v) = items {
                value_mut(v, f);
            }
            for c in cases {
                value_mut(&mut c.title, f);
                action_mut(&mut c.marker, f);
                walk_stmts_mut(&mut c.body, f);
            }
            action_mut(&mut markers.end, f);
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
            f(ItemMut::Group(&mut markers.group));
            action_mut(&mut markers.start, f);
            if let Some(v) = v {
                value_mut(v, f);
            }
            walk_stmts_mut(body, f);
            action_mut(&mut markers.end, f);
        }
    }
}

fn action_mut(a: &mut Action, f: &mut dyn FnMut(ItemMut<'_>)) {
    f(ItemMut::Action(a));
    for (_, v) in a.params.iter_mut().chain(a.extra.iter_mut()) {
        value_mut(v, f);
    }
}

fn value_mut(v: &mut Value, f: &mut dyn FnMut(ItemMut<'_>)) {
    f(ItemMut::Value(v));
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| value_mut(x, f)),
        Value::Dict(d) => d.iter_mut().for_each(|(_, x)| value_mut(x, f)),
        Value::Text(t) => text_mut(t, f),
        Value::Attachment(r) | Value::VarRef(r) => ref_mut(r, f),
        Value::DictField(items) => items_mut(items, f),
        Value::Serialized { value, .. } => value_mut(value, f),
        _ => {}
    }
}

fn ref_mut(r: &mut VarRef, f: &mut dyn FnMut(ItemMut<'_>)) {
    f(ItemMut::Ref(r));
    for a in &mut r.aggr {
        match a {
            Aggr::Property {
                user_info: Some(v), ..
            } => value_mut(v, f),
            Aggr::Other(p) => p.iter_mut().for_each(|(_, v)| value_mut(v, f)),
            _ => {}
        }
    }
}

fn text_mut(t: &mut Text, f: &mut dyn FnMut(ItemMut<'_>)) {
    for p in &mut t.parts {
        if let TextPart::Var(r) = p {
            ref_mut(r, f);
        }
    }
}

fn items_mut(items: &mut [DictItem], f: &mut dyn FnMut(ItemMut<'_>)) {
    for it in items {
        text_mut(&mut it.key, f);
        item_value_mut(&mut it.value, f);
    }
}

fn item_value_mut(v: &mut DictItemValue, f: &mut dyn FnMut(ItemMut<'_>)) {
    match v {
        DictItemValue::Text(t) | DictItemValue::Number(t) => text_mut(t, f),
        DictItemValue::Bool(v) => value_mut(v, f),
        DictItemValue::Dict(d) => items_mut(d, f),
        DictItemValue::Array(a) => {
            for x in a {
                match x {
                    ArrayItem::Typed(t) => item_value_mut(t, f),
                    ArrayItem::Plain(v) => value_mut(v, f),
                }
            }
        }
    }
}
