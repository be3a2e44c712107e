//! IR → DSL text. See `docs/DSL.md` for the forms; every choice here has a reading in the
//! parser, so that printing loses nothing.

use super::names::*;
use crate::ir::walk::{walk_stmts, walk_value, Item};
use crate::ir::*;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

const INDENT: &str = "    ";

/// Prints a workflow as DSL text (always valid Python).
pub fn print(wf: &Workflow) -> String {
    let names = Names::build(wf);
    let mut p = Printer {
        names: &names,
        out: String::new(),
        loop_depth: 0,
    };
    p.header(wf);
    p.block(&wf.body, 0);
    p.out
}

/// What a name in the program stands for.
struct Binding {
    ident: String,
    /// The `OutputName` references carry (`None`: they carry none).
    display: Option<String>,
    /// The display name cannot be read back from the identifier.
    annotate: bool,
}

struct VarName {
    ident: String,
    declare_name: bool,
    /// Needs a `variable(...)` line: a spelled-out name, a uuid, or no statement sets it.
    declare: bool,
    /// Index of the `VariableUUID` most references carry.
    uuid: Option<usize>,
}

#[derive(Default)]
struct Names {
    outputs: HashMap<String, Binding>,
    /// Referenced uuids that no action defines, in order of first use.
    dangling: Vec<String>,
    vars: HashMap<String, VarName>,
    var_order: Vec<String>,
    var_uuids: HashMap<String, usize>,
    used_outputs: HashSet<String>,
    raw_refs: HashSet<String>,
}

impl Names {
    fn build(wf: &Workflow) -> Names {
        let mut n = Names::default();
        // Pass 1: every reference, in program order.
        let mut ref_names: HashMap<String, Option<String>> = HashMap::new();
        let mut ref_order: Vec<String> = Vec::new();
        let mut var_uuid_seen: HashMap<String, Vec<Option<String>>> = HashMap::new();
        let mut on_ref = |r: &VarRef, n: &mut Names| match &r.var {
            Var::ActionOutput { uuid, name } => {
                if !ref_names.contains_key(uuid) {
                    ref_names.insert(uuid.clone(), name.clone());
                    ref_order.push(uuid.clone());
                }
                n.used_outputs.insert(uuid.clone());
            }
            Var::Named { name, uuid } => {
                if !n.vars.contains_key(name) && !n.var_order.contains(name) {
                    n.var_order.push(name.clone());
                }
                var_uuid_seen
                    .entry(name.clone())
                    .or_default()
                    .push(uuid.clone());
                if let Some(u) = uuid {
                    let next = n.var_uuids.len() + 1;
                    n.var_uuids.entry(u.clone()).or_insert(next);
                }
            }
            _ => {}
        };
        let mut defined: Vec<(String, String)> = Vec::new(); // (uuid, action id)
        let mut set_names: HashSet<String> = HashSet::new();
        walk_stmts(&wf.body, &mut |item| match item {
            Item::Ref(r) => on_ref(r, &mut n),
            Item::SetName(name) => {
                set_names.insert(name.to_string());
                if !n.var_order.iter().any(|x| x == name) {
                    n.var_order.push(name.to_string());
                }
            }
            Item::Output(uuid, id) => defined.push((uuid.to_string(), id.to_string())),
            Item::RawRef(u) => {
                n.raw_refs.insert(u.to_string());
            }
        });
        for (_, v) in &wf.meta {
            walk_value(v, &mut |item| {
                if let Item::Ref(r) = item {
                    on_ref(r, &mut n)
                }
            });
        }

        let mut taken: HashSet<String> = PY_KEYWORDS
            .iter()
            .chain(RESERVED)
            .map(|s| s.to_string())
            .collect();
        // Named variables keep their own names where Python allows.
        for name in n.var_order.clone() {
            let magic = magic_ident(&name);
            let never_set = !set_names.contains(&name);
            let (ident, declare_name) = match &magic {
                Some(m) if !taken.contains(m) => (m.clone(), false),
                _ if is_identifier(&name)
                    && !taken.contains(&name)
                    && magic_loop_name(&name).is_none() =>
                {
                    (name.clone(), false)
                }
                _ => (fresh(&sanitize(&name), &taken), true),
            };
            taken.insert(ident.clone());
            let seen = var_uuid_seen.remove(&name).unwrap_or_default();
            let uuid = most_common(&seen).and_then(|u| u.as_ref().map(|u| n.var_uuids[u]));
            n.vars.insert(
                name,
                VarName {
                    ident,
                    declare_name,
                    declare: declare_name || uuid.is_some() || (never_set && magic.is_none()),
                    uuid,
                },
            );
        }
        // Action outputs that something uses, named after what references call them.
        let defined_set: HashSet<&str> = defined.iter().map(|(u, _)| u.as_str()).collect();
        let bind = |uuid: &str, fallback: &str, n: &mut Names, taken: &mut HashSet<String>| {
            if n.outputs.contains_key(uuid) {
                return;
            }
            let display = ref_names.get(uuid).cloned().flatten();
            let (ident, annotate) = match display.as_deref().and_then(spaced_identifier) {
                Some(id) if !taken.contains(&id) && magic_loop_name(&id).is_none() => (id, false),
                _ => (
                    fresh(&sanitize(display.as_deref().unwrap_or(fallback)), taken),
                    true,
                ),
            };
            taken.insert(ident.clone());
            n.outputs.insert(
                uuid.to_string(),
                Binding {
                    ident,
                    display,
                    annotate,
                },
            );
        };
        for (uuid, id) in &defined {
            if n.used_outputs.contains(uuid) {
                let tail = id.rsplit('.').next().unwrap_or("output");
                bind(uuid, tail, &mut n, &mut taken);
            }
        }
        for uuid in &ref_order {
            if !defined_set.contains(uuid.as_str()) {
                n.dangling.push(uuid.clone());
                bind(uuid, "missing_output", &mut n, &mut taken);
            }
        }
        n
    }

    fn output_used(&self, a: &Action) -> Option<&Binding> {
        let u = a.output.as_ref()?;
        if self.used_outputs.contains(u) {
            self.outputs.get(u)
        } else {
            None
        }
    }
}

fn magic_ident(name: &str) -> Option<String> {
    let id = name.replace(' ', "_");
    (magic_loop_name(&id).as_deref() == Some(name)).then_some(id)
}

fn most_common(v: &[Option<String>]) -> Option<&Option<String>> {
    let mut counts: Vec<(&Option<String>, usize)> = Vec::new();
    for x in v {
        match counts.iter_mut().find(|(y, _)| *y == x) {
            Some(c) => c.1 += 1,
            None => counts.push((x, 1)),
        }
    }
    // Ties go to the first seen, so the choice is deterministic.
    let mut best: Option<(&Option<String>, usize)> = None;
    for (x, c) in counts {
        if best.is_none_or(|(_, b)| c > b) {
            best = Some((x, c));
        }
    }
    best.map(|(x, _)| x)
}

fn fresh(base: &str, taken: &HashSet<String>) -> String {
    // Every `Repeat_Item_N` is a loop variable: a user's name like that needs another base.
    let base = &if magic_loop_name(base).is_some() {
        format!("{base}_var")
    } else {
        base.to_string()
    };
    if !taken.contains(base.as_str()) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|c| !taken.contains(c))
        .expect("an unused suffix exists")
}

// ---------------------------------------------------------------------------------------

/// Printing failed in an f-string expression (Python before 3.12 allows no backslash
/// there); the caller falls back to a form outside the f-string.
#[derive(Debug)]
struct NeedsEscape;

type R = Result<(), NeedsEscape>;

struct Printer<'a> {
    names: &'a Names,
    out: String,
    loop_depth: usize,
}

impl Printer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn header(&mut self, wf: &Workflow) {
        if !wf.meta.is_empty() {
            self.out.push_str("__workflow__ = {\n");
            for (k, v) in &wf.meta {
                let mut s = String::new();
                short_str(&mut s, k, false).expect("outside f-strings");
                s.push_str(": ");
                self.value(&mut s, v, false).expect("outside f-strings");
                s.push(',');
                self.line(1, &s);
            }
            self.out.push_str("}\n");
        }
        // Names whose spelling cannot carry what Shortcuts calls them.
        for name in &self.names.var_order {
            let v = &self.names.vars[name];
            if !v.declare {
                continue;
            }
            let mut s = format!("{} = variable(", v.ident);
            if v.declare_name {
                py_str(&mut s, name);
            }
            if let Some(u) = v.uuid {
                if v.declare_name {
                    s.push_str(", ");
                }
                let _ = write!(s, "uuid={u}");
            }
            s.push(')');
            self.line(0, &s);
        }
        for uuid in &self.names.dangling {
            let b = &self.names.outputs[uuid];
            let s = format!("{} = missing_output()", self.binding_lhs(b));
            self.line(0, &s);
        }
    }

    fn binding_lhs(&self, b: &Binding) -> String {
        let mut s = b.ident.clone();
        if b.annotate {
            s.push_str(": ");
            match &b.display {
                Some(d) => py_str(&mut s, d),
                None => s.push_str("None"),
            }
        }
        s
    }

    fn block(&mut self, body: &[Stmt], depth: usize) {
        let mut prev_comment = false;
        let mut any = false;
        for s in body {
            let is_comment = self.comment_lines(s).is_some();
            if is_comment && prev_comment {
                self.out.push('\n');
            }
            self.stmt(s, depth);
            prev_comment = is_comment;
            any |= !is_comment;
        }
        if !any && depth > 0 {
            self.line(depth, "pass");
        }
    }

    /// A comment action prints as `#` lines when nothing else about it needs saying.
    fn comment_lines<'s>(&self, s: &'s Stmt) -> Option<&'s str> {
        let Stmt::Comment { text, action } = s else {
            return None;
        };
        let plain = action.params.is_empty()
            && action.extra.is_empty()
            && self.names.output_used(action).is_none()
            && !text.is_empty()
            && !text.chars().any(|c| {
                (c.is_control() && c != '\n' && c != '\t')
                    || c == '\u{2028}'
                    || c == '\u{2029}'
                    || c == '\u{FEFF}'
            })
            && text.split('\n').all(|l| l.trim_end() == l);
        plain.then_some(text.as_str())
    }

    fn stmt(&mut self, s: &Stmt, depth: usize) {
        if let Some(text) = self.comment_lines(s) {
            for l in text.split('\n') {
                if l.is_empty() {
                    self.line(depth, "#");
                } else {
                    self.line(depth, &format!("# {l}"));
                }
            }
            return;
        }
        match s {
            Stmt::Action(a) | Stmt::Comment { action: a, .. } => {
                let extra = match s {
                    Stmt::Comment { text, .. } => {
                        vec![(
                            "WFCommentActionText".to_string(),
                            Value::String(text.clone()),
                        )]
                    }
                    _ => Vec::new(),
                };
                let call = self.call(a, &extra);
                self.line(depth, &call);
            }
            Stmt::SetVariable {
                name,
                append,
                value,
                action,
            } => {
                let v = &self.names.vars[name];
                let plain = action.params.is_empty()
                    && action.extra.is_empty()
                    && self.names.output_used(action).is_none();
                match value {
                    Some(value) if plain => {
                        let mut s = String::new();
                        self.value(&mut s, value, false).expect("outside f-strings");
                        let text = if *append {
                            format!("{}.append({s})", v.ident)
                        } else {
                            format!("{} = {s}", v.ident)
                        };
                        self.line(depth, &text);
                    }
                    _ => {
                        let mut pre =
                            vec![("WFVariableName".to_string(), Value::String(name.clone()))];
                        if let Some(value) = value {
                            pre.push(("WFInput".to_string(), value.clone()));
                        }
                        let call = self.call(action, &pre);
                        self.line(depth, &call);
                    }
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
                markers,
            } => {
                let head = self.condition(cond, &markers.start);
                self.line(depth, &format!("if {head}:"));
                self.block(then, depth + 1);
                if let Some((_, body)) = otherwise {
                    self.line(depth, "else:");
                    self.block(body, depth + 1);
                }
                self.block_end(&markers.end, depth);
            }
            Stmt::Menu {
                prompt,
                items,
                cases,
                markers,
            } => {
                let mut args: Vec<(String, Value)> = Vec::new();
                if let Some(p) = prompt {
                    args.push(("prompt".into(), p.clone()));
                }
                if let MenuItems::Other(v) = items {
                    args.push(("WFMenuItems".into(), v.clone()));
                }
                let mut head = String::from("match input(");
                self.kwargs(&mut head, args.iter());
                if !args.is_empty() && !markers.start.params.is_empty() {
                    head.push_str(", ");
                }
                self.kwargs_except(&mut head, markers.start.params.iter(), &["prompt"]);
                if *items == MenuItems::Absent {
                    // None is no plist value: it says the file had no WFMenuItems.
                    if !head.ends_with('(') {
                        head.push_str(", ");
                    }
                    head.push_str("WFMenuItems=None");
                }
                head.push_str("):");
                self.line(depth, &head);
                for c in cases {
                    let mut s = String::from("case ");
                    match &c.title {
                        Value::String(t) => py_str(&mut s, t),
                        other => {
                            // Patterns only take literals; other titles go in a guard.
                            s.push_str("_ if ");
                            self.value(&mut s, other, false).expect("outside f-strings");
                        }
                    }
                    s.push(':');
                    self.line(depth + 1, &s);
                    self.block(&c.body, depth + 2);
                }
                if cases.is_empty() {
                    self.line(depth + 1, "case _:");
                    self.line(depth + 2, "pass");
                }
                self.block_end(&markers.end, depth);
            }
            Stmt::RepeatCount {
                count,
                body,
                markers,
            } => {
                self.loop_depth += 1;
                let suffix = self.loop_suffix();
                let mut head = format!("for Repeat_Index{suffix} in range(");
                match count {
                    Some(Value::Int(n)) => {
                        let _ = write!(head, "{n}");
                    }
                    Some(v) => {
                        head.push_str("int(");
                        self.value(&mut head, v, false).expect("outside f-strings");
                        head.push(')');
                    }
                    None => {}
                }
                if !markers.start.params.is_empty() {
                    if count.is_some() {
                        head.push_str(", ");
                    }
                    self.kwargs(&mut head, markers.start.params.iter());
                }
                head.push_str("):");
                self.line(depth, &head);
                self.block(body, depth + 1);
                self.loop_depth -= 1;
                self.block_end(&markers.end, depth);
            }
            Stmt::RepeatEach {
                items,
                body,
                markers,
            } => {
                self.loop_depth += 1;
                let suffix = self.loop_suffix();
                let mut head =
                    format!("for Repeat_Index{suffix}, Repeat_Item{suffix} in enumerate(");
                if let Some(v) = items {
                    self.value(&mut head, v, false).expect("outside f-strings");
                    head.push_str(", ");
                }
                head.push_str("start=1");
                if !markers.start.params.is_empty() {
                    head.push_str(", ");
                    self.kwargs_except(&mut head, markers.start.params.iter(), &["start"]);
                }
                head.push_str("):");
                self.line(depth, &head);
                self.block(body, depth + 1);
                self.loop_depth -= 1;
                self.block_end(&markers.end, depth);
            }
        }
    }

    fn loop_suffix(&self) -> String {
        if self.loop_depth > 1 {
            format!("_{}", self.loop_depth)
        } else {
            String::new()
        }
    }

    /// The end marker of a block: its output and parameters, when it has any.
    fn block_end(&mut self, end: &Action, depth: usize) {
        let used = self.names.output_used(end);
        if used.is_none() && end.params.is_empty() {
            return;
        }
        let mut s = String::new();
        if let Some(b) = used {
            s.push_str(&self.binding_lhs(b));
            s.push_str(" = ");
        }
        s.push_str("block_result(");
        self.kwargs(&mut s, end.params.iter());
        s.push(')');
        self.line(depth, &s);
    }

    /// `[binding =] function(Key=value, ...)`.
    fn call(&self, a: &Action, pre: &[(String, Value)]) -> String {
        let mut s = String::new();
        if let Some(b) = self.names.output_used(a) {
            s.push_str(&self.binding_lhs(b));
            s.push_str(" = ");
        }
        let mut args = String::new();
        self.kwargs(&mut args, pre.iter().chain(&a.params));
        let mut more = Vec::new();
        if let Some(u) = a
            .output
            .as_ref()
            .filter(|u| self.names.raw_refs.contains(*u))
        {
            more.push(("__uuid__".to_string(), Value::String(u.clone())));
        }
        if !a.extra.is_empty() {
            more.push(("__action__".to_string(), Value::Dict(a.extra.clone())));
        }
        if a.no_params {
            more.push(("__no_params__".to_string(), Value::Bool(true)));
        }
        if !more.is_empty() {
            if !args.is_empty() {
                args.push_str(", ");
            }
            for (i, (k, v)) in more.iter().enumerate() {
                if i > 0 {
                    args.push_str(", ");
                }
                let _ = write!(args, "{k}=");
                self.value(&mut args, v, false).expect("outside f-strings");
            }
        }
        match action_function_name(&a.id) {
            Some(f) => {
                let _ = write!(s, "{f}({args})");
            }
            None => {
                s.push_str("action(");
                py_str(&mut s, &a.id);
                if !args.is_empty() {
                    s.push_str(", ");
                    s.push_str(&args);
                }
                s.push(')');
            }
        }
        s
    }

    fn kwargs<'v>(&self, s: &mut String, params: impl Iterator<Item = &'v (String, Value)>) {
        self.kwargs_except(s, params, &[])
    }

    /// Keyword arguments; keys in `spelled` (which the head of a block reads as its own)
    /// are always written as `**{'key': value}`.
    fn kwargs_except<'v>(
        &self,
        s: &mut String,
        params: impl Iterator<Item = &'v (String, Value)>,
        spelled: &[&str],
    ) {
        let mut first = true;
        for (k, v) in params {
            if !first {
                s.push_str(", ");
            }
            first = false;
            if is_identifier(k)
                && !(k.starts_with("__") && k.ends_with("__"))
                && !spelled.contains(&k.as_str())
            {
                s.push_str(k);
                s.push('=');
                self.value(s, v, false).expect("outside f-strings");
            } else {
                s.push_str("**{");
                py_str(s, k);
                s.push_str(": ");
                self.value(s, v, false).expect("outside f-strings");
                s.push('}');
            }
        }
    }

    /// An `if` head: Python comparison where the condition has a common shape, otherwise
    /// `condition(...)` with the start action's parameters.
    fn condition(&self, c: &Condition, start: &Action) -> String {
        if start.params.is_empty() {
            if let Some(s) = self.sugar_condition(c) {
                return s;
            }
        }
        let mut params: Vec<(String, Value)> = Vec::new();
        if let Some(i) = &c.input {
            params.push(("WFInput".into(), i.clone()));
        }
        if let Some(o) = &c.op {
            params.push(("WFCondition".into(), o.clone()));
        }
        params.extend(c.operands.iter().cloned());
        params.extend(start.params.iter().cloned());
        let mut s = String::from("condition(");
        self.kwargs(&mut s, params.iter());
        s.push(')');
        s
    }

    fn sugar_condition(&self, c: &Condition) -> Option<String> {
        // WFInput is {Type: Variable, Variable: <attachment>} in the common shape.
        let Some(Value::Dict(input)) = &c.input else {
            return None;
        };
        let [(k1, Value::String(t)), (k2, Value::Attachment(r))] = input.as_slice() else {
            return None;
        };
        if k1 != "Type" || t != "Variable" || k2 != "Variable" {
            return None;
        }
        let mut lhs = String::new();
        self.var_expr(&mut lhs, r, false).ok()?;
        let Some(Value::Int(op)) = c.op else {
            return None;
        };
        let operand = match c.operands.as_slice() {
            [] => None,
            [(k, v)] => Some((k.as_str(), v)),
            _ => return None,
        };
        let value_str = |v: &Value| {
            let mut s = String::new();
            self.value(&mut s, v, false).ok().map(|_| s)
        };
        Some(match (op, operand) {
            (100, None) => lhs,
            (101, None) => format!("not {lhs}"),
            (0..=5, Some((key, v))) => {
                let sym = match op {
                    4 => "==",
                    5 => "!=",
                    0 => "<",
                    1 => "<=",
                    2 => ">",
                    _ => ">=",
                };
                let ok = match key {
                    // Numbers compare by WFNumberValue; a string there reads as text
                    // for == and !=, so those keep the explicit form.
                    "WFNumberValue" => {
                        matches!(v, Value::Int(_) | Value::Real(_))
                            || (op <= 3 && matches!(v, Value::String(_) | Value::Attachment(_)))
                    }
                    "WFConditionalActionString" => {
                        (op == 4 || op == 5) && matches!(v, Value::String(_) | Value::Text(_))
                    }
                    _ => false,
                };
                if !ok {
                    return None;
                }
                format!("{lhs} {sym} {}", value_str(v)?)
            }
            (99 | 999 | 8 | 9, Some(("WFConditionalActionString", v)))
                if matches!(v, Value::String(_) | Value::Text(_)) =>
            {
                let vs = value_str(v)?;
                match op {
                    99 => format!("{vs} in {lhs}"),
                    999 => format!("{vs} not in {lhs}"),
                    8 => format!("{lhs}.startswith({vs})"),
                    _ => format!("{lhs}.endswith({vs})"),
                }
            }
            _ => return None,
        })
    }

    // -- values ---------------------------------------------------------------------------

    fn value(&self, s: &mut String, v: &Value, fs: bool) -> R {
        match v {
            Value::String(t) => {
                if fs {
                    short_str(s, t, true)?;
                } else {
                    py_str(s, t);
                }
            }
            Value::Int(i) => {
                let _ = write!(s, "{i}");
            }
            Value::Real(r) => real(s, *r),
            Value::Bool(b) => s.push_str(if *b { "True" } else { "False" }),
            Value::Date(d) => {
                s.push_str("date(");
                short_str(s, d, fs)?;
                s.push(')');
            }
            Value::Data(d) => bytes_lit(s, d, fs)?,
            Value::Array(a) => {
                s.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    self.value(s, x, fs)?;
                }
                s.push(']');
            }
            Value::Dict(d) => {
                s.push_str("plain({");
                for (i, (k, x)) in d.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    short_str(s, k, fs)?;
                    s.push_str(": ");
                    self.value(s, x, fs)?;
                }
                s.push_str("})");
            }
            Value::Text(t) => {
                if fs {
                    return Err(NeedsEscape);
                }
                self.text(s, t);
            }
            Value::Attachment(r) => self.var_expr(s, r, fs)?,
            Value::VarRef(r) => {
                s.push_str("ref(");
                self.var_expr(s, r, fs)?;
                s.push(')');
            }
            Value::DictField(items) => self.dict_items(s, items, fs)?,
            Value::Serialized { kind, value } => {
                if kind.starts_with("WF") && is_identifier(kind) && !kind.contains('_') {
                    s.push_str(kind);
                    s.push('(');
                } else {
                    s.push_str("serialized(");
                    short_str(s, kind, fs)?;
                    s.push_str(", ");
                }
                self.value(s, value, fs)?;
                s.push(')');
            }
        }
        Ok(())
    }

    fn dict_items(&self, s: &mut String, items: &[DictItem], fs: bool) -> R {
        if fs {
            return Err(NeedsEscape);
        }
        s.push('{');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            self.item_text(s, &it.key);
            s.push_str(": ");
            self.item_value(s, &it.value)?;
        }
        s.push('}');
        Ok(())
    }

    /// A dictionary entry's value: its item type shows in its literal form.
    fn item_value(&self, s: &mut String, v: &DictItemValue) -> R {
        match v {
            DictItemValue::Text(t) => self.item_text(s, t),
            DictItemValue::Number(t) => match number_literal(t) {
                Some(n) => s.push_str(&n),
                None => {
                    s.push_str("number(");
                    self.text(s, t);
                    s.push(')');
                }
            },
            DictItemValue::Bool(v) => match v {
                Value::Bool(b) => s.push_str(if *b { "True" } else { "False" }),
                other => {
                    s.push_str("boolean(");
                    self.value(s, other, false)?;
                    s.push(')');
                }
            },
            DictItemValue::Dict(d) => self.dict_items(s, d, false)?,
            DictItemValue::Array(a) => {
                s.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    match x {
                        ArrayItem::Typed(t) => self.item_value(s, t)?,
                        // An untyped element says so.
                        ArrayItem::Plain(v) => {
                            s.push_str("plain(");
                            self.value(s, v, false)?;
                            s.push(')');
                        }
                    }
                }
                s.push(']');
            }
        }
        Ok(())
    }

    /// Keys and text values of a dictionary are always text tokens, so a plain literal
    /// can stand for one there.
    fn item_text(&self, s: &mut String, t: &Text) {
        match t.parts.as_slice() {
            [] if !t.empty_ranges => py_str(s, ""),
            [TextPart::Lit(l)] if !t.empty_ranges => py_str(s, l),
            _ => self.text(s, t),
        }
    }

    /// A text token: `f'''...'''` (`F'''...'''` when the file wrote an empty
    /// `attachmentsByRange`). When a variable cannot be written inside an f-string, the
    /// text prints in its serialized form instead.
    fn text(&self, s: &mut String, t: &Text) {
        let mut body = String::new();
        let mut ok = true;
        for p in &t.parts {
            match p {
                TextPart::Lit(l) => escape_into(&mut body, l, true),
                TextPart::Var(r) => {
                    body.push('{');
                    if self.var_expr(&mut body, r, true).is_err() {
                        ok = false;
                        break;
                    }
                    body.push('}');
                }
            }
        }
        if ok {
            s.push_str(if t.empty_ranges { "F'''" } else { "f'''" });
            s.push_str(&body);
            s.push_str("'''");
            return;
        }
        self.value(s, &crate::compile::text_as_serialized(t), false)
            .expect("outside f-strings");
    }

    fn var_expr(&self, s: &mut String, r: &VarRef, fs: bool) -> R {
        // Aggrandizements wrap the variable from the inside out.
        let mut e = String::new();
        match &r.var {
            Var::ActionOutput { uuid, name } => match self.names.outputs.get(uuid) {
                Some(b) => {
                    if b.display == *name {
                        e.push_str(&b.ident);
                    } else {
                        let _ = write!(e, "named({}, ", b.ident);
                        match name {
                            Some(n) => short_str(&mut e, n, fs)?,
                            None => e.push_str("None"),
                        }
                        e.push(')');
                    }
                }
                None => e.push_str("missing_output()"),
            },
            Var::Named { name, uuid } => {
                let v = &self.names.vars[name];
                let idx = uuid.as_ref().map(|u| self.names.var_uuids[u]);
                if idx == v.uuid {
                    e.push_str(&v.ident);
                } else {
                    let _ = write!(e, "with_uuid({}, ", v.ident);
                    match idx {
                        Some(i) => {
                            let _ = write!(e, "{i}");
                        }
                        None => e.push_str("None"),
                    }
                    e.push(')');
                }
            }
            Var::ShortcutInput => e.push_str("shortcut_input()"),
            Var::ActionInput => e.push_str("action_input()"),
            Var::Clipboard => e.push_str("clipboard()"),
            Var::CurrentDate => e.push_str("current_date()"),
            Var::DeviceDetails => e.push_str("device_details()"),
            Var::Ask { prompt } => {
                e.push_str("ask(");
                if let Some(p) = prompt {
                    e.push_str("prompt=");
                    short_str(&mut e, p, fs)?;
                }
                e.push(')');
            }
        }
        for a in &r.aggr {
            e = match a {
                Aggr::DictKey(k) => {
                    let mut x = e;
                    x.push('[');
                    short_str(&mut x, k, fs)?;
                    x.push(']');
                    x
                }
                Aggr::Coerce(c) => {
                    let mut x = format!("coerce_variable(value={e}, coercion_class=");
                    short_str(&mut x, c, fs)?;
                    x.push(')');
                    x
                }
                Aggr::Property { name, user_info } => match (spaced_identifier(name), user_info) {
                    (Some(id), None) if !id.starts_with('_') => format!("{e}.{id}"),
                    _ => {
                        let mut x = format!("get_property({e}, ");
                        short_str(&mut x, name, fs)?;
                        if let Some(u) = user_info {
                            x.push_str(", ");
                            self.value(&mut x, u, fs)?;
                        }
                        x.push(')');
                        x
                    }
                },
                Aggr::Other(p) => {
                    let fmt = p.iter().any(|(k, v)| {
                        k == "Type"
                            && *v == Value::String("WFDateFormatVariableAggrandizement".into())
                    });
                    let mut x = if fmt {
                        format!("format_date({e}")
                    } else {
                        format!("aggrandize({e}")
                    };
                    for (k, v) in p {
                        if fmt && k == "Type" {
                            continue;
                        }
                        x.push_str(", ");
                        if is_identifier(k) && !(k.starts_with("__") && k.ends_with("__")) {
                            x.push_str(k);
                            x.push('=');
                        } else {
                            x.push_str("**{");
                            short_str(&mut x, k, fs)?;
                            x.push_str(": ");
                        }
                        self.value(&mut x, v, fs)?;
                        if !(is_identifier(k) && !(k.starts_with("__") && k.ends_with("__"))) {
                            x.push('}');
                        }
                    }
                    x.push(')');
                    x
                }
            };
        }
        s.push_str(&e);
        Ok(())
    }
}

/// A number item of a dictionary prints as a number when the text is exactly how that
/// number prints.
fn number_literal(t: &Text) -> Option<String> {
    let [TextPart::Lit(l)] = t.parts.as_slice() else {
        return None;
    };
    if t.empty_ranges {
        return None;
    }
    if let Ok(i) = l.parse::<i64>() {
        if i.to_string() == *l {
            return Some(l.clone());
        }
    }
    if let Ok(f) = l.parse::<f64>() {
        if f.is_finite() && format!("{f:?}") == *l {
            return Some(l.clone());
        }
    }
    None
}

fn real(s: &mut String, r: f64) {
    if r.is_nan() {
        s.push_str("float('nan')");
    } else if r.is_infinite() {
        s.push_str(if r > 0.0 {
            "float('inf')"
        } else {
            "float('-inf')"
        });
    } else {
        let _ = write!(s, "{r:?}");
    }
}

/// `'''...'''` with the escapes Python needs; newlines stay literal for readability.
pub fn py_str(s: &mut String, t: &str) {
    s.push_str("'''");
    escape_into(s, t, false);
    s.push_str("'''");
}

/// Escapes text for the inside of a `'''` literal (`braces`: inside an f-string).
fn escape_into(s: &mut String, t: &str, braces: bool) {
    // Most text needs no escape at all: copy it whole. The multi-byte characters that do
    // (C1 controls, U+2028/9, U+FEFF, U+FFFC) start with 0xC2, 0xE2 or 0xEF.
    let plain = t.bytes().all(|b| {
        !(b < 0x20 && b != b'\n' && b != b'\t'
            || matches!(b, b'\\' | b'\'' | 0x7f | 0xC2 | 0xE2 | 0xEF)
            || braces && (b == b'{' || b == b'}'))
    });
    if plain {
        s.push_str(t);
        return;
    }
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\'' => {
                // Only a quote that could close the literal needs escaping.
                if chars.peek().is_none_or(|&n| n == '\'') {
                    s.push_str("\\'");
                } else {
                    s.push('\'');
                }
            }
            '{' if braces => s.push_str("{{"),
            '}' if braces => s.push_str("}}"),
            '\n' | '\t' => s.push(c),
            '\r' => s.push_str("\\r"),
            '\u{FFFC}' => s.push_str("\\ufffc"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c if matches!(c as u32, 0x80..=0x9f | 0x2028 | 0x2029 | 0xfeff) => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
}

/// A one-line string literal with single or double quotes. Inside an f-string (`fs`),
/// Python before 3.12 forbids backslashes, so text that needs one cannot be written.
fn short_str(s: &mut String, t: &str, fs: bool) -> R {
    let needs_escape = |c: char| {
        c == '\\'
            || (c as u32) < 0x20
            || matches!(c as u32, 0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffc)
    };
    let q = if !t.contains('\'') {
        '\''
    } else if !t.contains('"') {
        '"'
    } else {
        if fs {
            return Err(NeedsEscape);
        }
        '\''
    };
    if fs && (t.chars().any(needs_escape) || t.contains("'''") || t.ends_with('\'')) {
        return Err(NeedsEscape);
    }
    s.push(q);
    for c in t.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c == q => {
                s.push('\\');
                s.push(c);
            }
            c if needs_escape(c) => {
                if (c as u32) < 0x100 {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                } else {
                    let _ = write!(s, "\\u{:04x}", c as u32);
                }
            }
            c => s.push(c),
        }
    }
    s.push(q);
    Ok(())
}

fn bytes_lit(s: &mut String, d: &[u8], fs: bool) -> R {
    let printable = d
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\' && b != b'\'');
    if fs && !printable {
        return Err(NeedsEscape);
    }
    s.push_str("b'");
    for &b in d {
        if (0x20..0x7f).contains(&b) && b != b'\\' && b != b'\'' {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s.push('\'');
    Ok(())
}
