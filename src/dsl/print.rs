//! IR → DSL text. See `docs/DSL.md` for the forms; every choice here has a reading in the
//! parser, so that printing loses nothing.
//!
//! Printing is on the conversion's hot path: everything is written straight into one
//! output `String` (no line or argument list is built apart and copied), and names are
//! looked up with `&str` keys borrowed from the IR in Fx-hashed maps.

use super::names::*;
use crate::ir::walk::{walk_stmts_measured, walk_value, Item};
use crate::ir::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::fmt::Write;

const INDENT: &str = "    ";

/// Prints a workflow as DSL text (always valid Python).
pub fn print(wf: &Workflow) -> String {
    let names = Names::build(wf);
    let mut out = String::with_capacity(names.size_hint);
    let mut p = Printer {
        names: &names,
        loop_depth: 0,
    };
    p.header(&mut out, wf);
    p.block(&mut out, &wf.body, 0);
    out
}

/// What a name in the program stands for.
struct Binding<'a> {
    ident: Cow<'a, str>,
    /// The `OutputName` references carry (`None`: they carry none).
    display: Option<&'a str>,
    /// The display name cannot be read back from the identifier.
    annotate: bool,
}

struct VarName<'a> {
    ident: Cow<'a, str>,
    declare_name: bool,
    /// Needs a `variable(...)` line: a spelled-out name, a uuid, or no statement sets it.
    declare: bool,
    /// Index of the `VariableUUID` most references carry.
    uuid: Option<usize>,
}

/// Names of a workflow's outputs and variables, keyed by strings of the IR.
#[derive(Default)]
struct Names<'a> {
    /// Every action output something references (and only those): the index of its
    /// UUID in `bindings`.
    outputs: FxHashMap<&'a str, usize>,
    /// The same for the second and later actions of a UUID that several actions carry
    /// (copied actions), by (UUID, which of them); empty for nearly every workflow.
    later: FxHashMap<(&'a str, u32), usize>,
    /// Which of those an action is (keyed by the address of its `output`), and which one
    /// a reference reaches (by the reference's address), where that is not the first.
    def_ord: FxHashMap<usize, u32>,
    ref_ord: FxHashMap<usize, u32>,
    bindings: Vec<Option<Binding<'a>>>,
    /// Referenced uuids that no action defines, in order of first use.
    dangling: Vec<&'a str>,
    vars: FxHashMap<&'a str, VarName<'a>>,
    var_order: Vec<&'a str>,
    var_uuids: FxHashMap<&'a str, usize>,
    raw_refs: FxHashSet<&'a str>,
    /// A guess at the printed size, so that the output grows rarely.
    size_hint: usize,
}

/// What the first pass over a workflow finds, in program order.
#[derive(Default)]
struct Seen<'a> {
    /// Each referenced output's index in `refs`, which holds its UUID and the
    /// `OutputName` of its first reference, in order of first reference.
    ref_index: FxHashMap<&'a str, usize>,
    refs: Vec<(&'a str, Option<&'a str>)>,
    /// [`Names::later`], [`Names::def_ord`] and [`Names::ref_ord`] in the making.
    later: FxHashMap<(&'a str, u32), usize>,
    def_ord: FxHashMap<usize, u32>,
    ref_ord: FxHashMap<usize, u32>,
    /// How many actions carry each UUID so far.
    def_count: FxHashMap<&'a str, u32>,
    /// Variable names in order of first mention, each with its index there and the
    /// `VariableUUID`s its references carry.
    var_index: FxHashMap<&'a str, usize>,
    var_order: Vec<&'a str>,
    var_uuid_seen: Vec<Vec<Option<&'a str>>>,
    var_uuids: FxHashMap<&'a str, usize>,
    /// (uuid, action id, which action of that uuid) of every action with an output.
    defined: Vec<(&'a str, &'a str, u32)>,
    set_names: FxHashSet<&'a str>,
    raw_refs: FxHashSet<&'a str>,
    items: usize,
}

impl<'a> Seen<'a> {
    fn var(&mut self, name: &'a str) -> usize {
        let next = self.var_order.len();
        *self.var_index.entry(name).or_insert_with(|| {
            self.var_order.push(name);
            self.var_uuid_seen.push(Vec::new());
            next
        })
    }

    fn on_ref(&mut self, r: &'a VarRef) {
        match &r.var {
            Var::ActionOutput { uuid, name } => {
                // At run time a reference reaches the nearest earlier action with its
                // UUID, else the first later one.
                let ord = self.def_count.get(uuid.as_str()).map_or(0, |c| c - 1);
                // (Actions are told apart by the address of their UUID's text, which an
                // empty one does not have: copies of an empty UUID share one name.)
                let ord = if uuid.is_empty() { 0 } else { ord };
                if ord > 0 {
                    self.ref_ord.insert(r as *const VarRef as usize, ord);
                    if let Entry::Vacant(e) = self.later.entry((uuid, ord)) {
                        e.insert(self.refs.len());
                        self.refs.push((uuid, name.as_deref()));
                    }
                } else if let Entry::Vacant(e) = self.ref_index.entry(uuid) {
                    e.insert(self.refs.len());
                    self.refs.push((uuid, name.as_deref()));
                }
            }
            Var::Named { name, uuid } => {
                let i = self.var(name);
                self.var_uuid_seen[i].push(uuid.as_deref());
                if let Some(u) = uuid {
                    let next = self.var_uuids.len() + 1;
                    self.var_uuids.entry(u).or_insert(next);
                }
            }
            _ => {}
        }
    }
}

/// Identifiers given out so far (keywords and the DSL's words count as taken). Most are
/// names from the IR, borrowed.
#[derive(Default)]
struct Taken<'a> {
    idents: FxHashSet<Cow<'a, str>>,
    /// The suffix `fresh` last gave each base it had to number. Every smaller one is
    /// taken then, and nothing is ever freed: the next search for that base starts there
    /// (a shortcut with hundreds of `Text` outputs would otherwise try every suffix again).
    suffixes: FxHashMap<String, usize>,
}

impl<'a> Taken<'a> {
    fn contains(&self, x: &str) -> bool {
        is_reserved_word(x) || self.idents.contains(x)
    }

    fn insert(&mut self, ident: Cow<'a, str>) {
        self.idents.insert(ident);
    }

    /// Takes `ident` if it is free; says whether it was (one hash, where `contains` and
    /// then `insert` would take two).
    fn take(&mut self, ident: Cow<'a, str>) -> bool {
        !is_reserved_word(&ident) && self.idents.insert(ident)
    }

    /// `base`, or `base_N` with the smallest N >= 2 not taken.
    fn fresh(&mut self, mut base: String) -> String {
        // Every `Repeat_Item_N` is a loop variable: a user's name like that needs another base.
        if magic_loop_name(&base).is_some() {
            base.push_str("_var");
        }
        if !self.contains(&base) {
            return base;
        }
        let mut i = self.suffixes.get(&base).copied().unwrap_or(2);
        let mut name = base.clone() + "_";
        let stem = name.len();
        loop {
            name.push_str(itoa::Buffer::new().format(i));
            if !self.contains(&name) {
                break;
            }
            name.truncate(stem);
            i += 1;
        }
        self.suffixes.insert(base, i);
        name
    }
}

/// [`spaced_identifier`], borrowing the name when it has no space to replace.
fn spaced_ident(display: &str) -> Option<Cow<'_, str>> {
    if !is_spaced_identifier(display) {
        None
    } else if display.contains(' ') {
        Some(Cow::Owned(display.replace(' ', "_")))
    } else {
        Some(Cow::Borrowed(display))
    }
}

impl<'a> Names<'a> {
    fn build(wf: &'a Workflow) -> Names<'a> {
        // Pass 1: every reference, in program order.
        let mut seen = Seen::default();
        let text = walk_stmts_measured(&wf.body, &mut |item| {
            seen.items += 1;
            match item {
                Item::Ref(r) => seen.on_ref(r),
                Item::SetName(name) => {
                    seen.set_names.insert(name);
                    seen.var(name);
                }
                Item::Output(uuid, id) => {
                    let count = seen.def_count.entry(uuid).or_insert(0);
                    let ord = if uuid.is_empty() { 0 } else { *count };
                    *count += 1;
                    if ord > 0 {
                        seen.def_ord.insert(uuid.as_ptr() as usize, ord);
                    }
                    seen.defined.push((uuid, id, ord));
                }
                Item::RawRef(u) => {
                    seen.raw_refs.insert(u);
                }
            }
        });
        for (_, v) in &wf.meta {
            walk_value(v, &mut |item| {
                if let Item::Ref(r) = item {
                    seen.on_ref(r)
                }
            });
        }

        let (n_vars, n_outputs) = (seen.var_order.len(), seen.refs.len());
        let mut n = Names {
            var_uuids: std::mem::take(&mut seen.var_uuids),
            raw_refs: std::mem::take(&mut seen.raw_refs),
            vars: FxHashMap::with_capacity_and_hasher(n_vars, Default::default()),
            outputs: std::mem::take(&mut seen.ref_index),
            later: std::mem::take(&mut seen.later),
            def_ord: std::mem::take(&mut seen.def_ord),
            ref_ord: std::mem::take(&mut seen.ref_ord),
            bindings: (0..n_outputs).map(|_| None).collect(),
            // The text printed as it is, plus room for the quotes, separators and names
            // around it: growing the output (copying it) costs more than some room to spare.
            // On the corpus this leaves 2 of 1,345 texts to grow, with room to spare of
            // about 40% in all (the header, escapes and names are what it guesses).
            size_hint: 1536 + text.bytes + text.bytes / 4 + 8 * text.count + 32 * seen.items,
            ..Names::default()
        };
        let mut taken = Taken {
            idents: FxHashSet::with_capacity_and_hasher(n_vars + n_outputs, Default::default()),
            ..Taken::default()
        };
        // Named variables keep their own names where Python allows.
        for (i, &name) in seen.var_order.iter().enumerate() {
            let magic = magic_ident(name);
            let never_set = !seen.set_names.contains(name);
            let (ident, declare_name) = match &magic {
                Some(m) if !taken.contains(m) => (Cow::Owned(m.clone()), false),
                _ if is_identifier(name)
                    && !taken.contains(name)
                    && magic_loop_name(name).is_none() =>
                {
                    (Cow::Borrowed(name), false)
                }
                _ => (Cow::Owned(taken.fresh(sanitize(name))), true),
            };
            taken.insert(ident.clone());
            let uuid = most_common(&seen.var_uuid_seen[i]).and_then(|u| u.map(|u| n.var_uuids[u]));
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
        n.var_order = std::mem::take(&mut seen.var_order);
        // Action outputs that something uses, named after what references call them.
        // `display` is what references call the output; `fallback` gives a base for the
        // name when that cannot be it.
        let bind = |i: usize,
                    display: Option<&'a str>,
                    fallback: &dyn Fn() -> &'a str,
                    n: &mut Names<'a>,
                    taken: &mut Taken<'a>| {
            if n.bindings[i].is_some() {
                return;
            }
            let (ident, annotate) = match display.and_then(spaced_ident) {
                Some(id) if magic_loop_name(&id).is_none() && taken.take(id.clone()) => (id, false),
                _ => {
                    let base = sanitize(display.unwrap_or_else(fallback));
                    let id: Cow<str> = Cow::Owned(taken.fresh(base));
                    taken.insert(id.clone());
                    (id, true)
                }
            };
            n.bindings[i] = Some(Binding {
                ident,
                display,
                annotate,
            });
        };
        for &(uuid, id, ord) in &seen.defined {
            let slot = if ord == 0 {
                n.outputs.get(uuid)
            } else {
                n.later.get(&(uuid, ord))
            };
            if let Some(&i) = slot {
                let tail = || id.rsplit('.').next().unwrap_or("output");
                bind(i, seen.refs[i].1, &tail, &mut n, &mut taken);
            }
        }
        if n.bindings.iter().any(Option::is_none) {
            for (i, &(uuid, display)) in seen.refs.iter().enumerate() {
                if n.bindings[i].is_none() {
                    n.dangling.push(uuid);
                    bind(i, display, &|| "missing_output", &mut n, &mut taken);
                }
            }
        }
        n
    }

    /// The binding of the `ord`th action with this UUID, when something references it.
    fn output(&self, uuid: &str, ord: u32) -> Option<&Binding<'a>> {
        let i = if ord == 0 {
            self.outputs.get(uuid)?
        } else {
            self.later.get(&(uuid, ord))?
        };
        self.bindings[*i].as_ref()
    }

    /// The binding of the action a reference reaches.
    fn reached(&self, r: &VarRef, uuid: &str) -> Option<&Binding<'a>> {
        let ord = match self.ref_ord.is_empty() {
            true => 0,
            false => self
                .ref_ord
                .get(&(r as *const VarRef as usize))
                .copied()
                .unwrap_or(0),
        };
        self.output(uuid, ord)
    }

    /// The binding of an action's output, when something uses it.
    fn output_used(&self, a: &Action) -> Option<&Binding<'a>> {
        let uuid = a.output.as_deref()?;
        let ord = match self.def_ord.is_empty() {
            true => 0,
            false => self
                .def_ord
                .get(&(uuid.as_ptr() as usize))
                .copied()
                .unwrap_or(0),
        };
        self.output(uuid, ord)
    }
}

fn magic_ident(name: &str) -> Option<String> {
    // Only `Repeat Item...` and `Repeat Index...` can be magic: skip building the rest.
    if !name.starts_with("Repeat") {
        return None;
    }
    let id = name.replace(' ', "_");
    (magic_loop_name(&id).as_deref() == Some(name)).then_some(id)
}

fn most_common<T: PartialEq + Copy>(v: &[T]) -> Option<T> {
    let mut counts: Vec<(T, usize)> = Vec::new();
    for &x in v {
        match counts.iter_mut().find(|(y, _)| *y == x) {
            Some(c) => c.1 += 1,
            None => counts.push((x, 1)),
        }
    }
    // Ties go to the first seen, so the choice is deterministic.
    let mut best: Option<(T, usize)> = None;
    for (x, c) in counts {
        if best.is_none_or(|(_, b)| c > b) {
            best = Some((x, c));
        }
    }
    best.map(|(x, _)| x)
}

// ---------------------------------------------------------------------------------------

/// Printing failed in an f-string expression (Python before 3.12 allows no backslash
/// there); the caller falls back to a form outside the f-string.
#[derive(Debug)]
struct NeedsEscape;

type R = Result<(), NeedsEscape>;

/// Keyword arguments as the printer takes them: borrowed pairs.
type Kw<'v> = (&'v str, &'v Value);

fn pairs(p: &Params) -> impl Iterator<Item = Kw<'_>> {
    p.iter().map(|(k, v)| (k.as_str(), v))
}

/// Every method writes to the end of `s`, the whole output.
struct Printer<'n, 'a> {
    names: &'n Names<'a>,
    loop_depth: usize,
}

fn indent(s: &mut String, depth: usize) {
    for _ in 0..depth {
        s.push_str(INDENT);
    }
}

impl Printer<'_, '_> {
    fn header(&self, s: &mut String, wf: &Workflow) {
        if !wf.meta.is_empty() {
            s.push_str("__workflow__ = {\n");
            for (k, v) in &wf.meta {
                s.push_str(INDENT);
                short_str(s, k, false).expect("outside f-strings");
                s.push_str(": ");
                self.value(s, v, false).expect("outside f-strings");
                s.push_str(",\n");
            }
            s.push_str("}\n");
        }
        // Names whose spelling cannot carry what Shortcuts calls them.
        for &name in &self.names.var_order {
            let v = &self.names.vars[name];
            if !v.declare {
                continue;
            }
            s.push_str(&v.ident);
            s.push_str(" = variable(");
            if v.declare_name {
                py_str(s, name);
            }
            if let Some(u) = v.uuid {
                if v.declare_name {
                    s.push_str(", ");
                }
                let _ = write!(s, "uuid={u}");
            }
            s.push_str(")\n");
        }
        // The UUID goes with it: a dangling reference keeps what it names.
        for &uuid in &self.names.dangling {
            self.binding_lhs(s, self.names.output(uuid, 0).expect("bound"));
            s.push_str(" = missing_output(__uuid__=");
            py_str(s, uuid);
            s.push_str(")\n");
        }
    }

    fn binding_lhs(&self, s: &mut String, b: &Binding) {
        s.push_str(&b.ident);
        if b.annotate {
            s.push_str(": ");
            match b.display {
                Some(d) => py_str(s, d),
                None => s.push_str("None"),
            }
        }
    }

    fn block(&mut self, s: &mut String, body: &[Stmt], depth: usize) {
        let mut prev_comment = false;
        let mut any = false;
        for st in body {
            let comment = self.comment_lines(st);
            if comment.is_some() && prev_comment {
                s.push('\n');
            }
            self.stmt(s, st, comment, depth);
            prev_comment = comment.is_some();
            any |= comment.is_none();
        }
        if !any && depth > 0 {
            indent(s, depth);
            s.push_str("pass\n");
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

    /// One statement; `comment` is what [`Self::comment_lines`] said of it.
    fn stmt(&mut self, s: &mut String, st: &Stmt, comment: Option<&str>, depth: usize) {
        if let Some(text) = comment {
            for l in text.split('\n') {
                indent(s, depth);
                if l.is_empty() {
                    s.push('#');
                } else {
                    s.push_str("# ");
                    s.push_str(l);
                }
                s.push('\n');
            }
            return;
        }
        match st {
            Stmt::Action(a) => {
                indent(s, depth);
                self.call(s, a, &[]);
                s.push('\n');
            }
            Stmt::Comment { text, action } => {
                let text = Value::String(text.clone());
                indent(s, depth);
                self.call(s, action, &[("WFCommentActionText", &text)]);
                s.push('\n');
            }
            Stmt::SetVariable {
                name,
                append,
                value,
                action,
            } => {
                let v = &self.names.vars[name.as_str()];
                let plain = action.params.is_empty()
                    && action.extra.is_empty()
                    && self.names.output_used(action).is_none();
                indent(s, depth);
                match value {
                    Some(value) if plain => {
                        s.push_str(&v.ident);
                        if *append {
                            s.push_str(".append(");
                            self.value(s, value, false).expect("outside f-strings");
                            s.push(')');
                        } else {
                            s.push_str(" = ");
                            self.value(s, value, false).expect("outside f-strings");
                        }
                    }
                    _ => {
                        let name = Value::String(name.clone());
                        match value {
                            Some(value) => self.call(
                                s,
                                action,
                                &[("WFVariableName", &name), ("WFInput", value)],
                            ),
                            None => self.call(s, action, &[("WFVariableName", &name)]),
                        }
                    }
                }
                s.push('\n');
            }
            Stmt::If {
                cond,
                then,
                otherwise,
                markers,
            } => {
                indent(s, depth);
                s.push_str("if ");
                self.condition(s, cond, markers);
                s.push_str(":\n");
                self.block(s, then, depth + 1);
                if let Some((_, body)) = otherwise {
                    indent(s, depth);
                    s.push_str("else:\n");
                    self.block(s, body, depth + 1);
                }
                self.block_end(s, &markers.end, depth);
            }
            Stmt::Menu {
                prompt,
                items,
                cases,
                markers,
            } => {
                indent(s, depth);
                s.push_str("match input(");
                let mut sep = false;
                let prompt = prompt.as_ref().map(|p| ("prompt", p));
                let other = match items {
                    MenuItems::Other(v) => Some(("WFMenuItems", v)),
                    _ => None,
                };
                self.kwargs(s, prompt.into_iter().chain(other), &[], &mut sep);
                self.kwargs(s, pairs(&markers.start.params), &["prompt"], &mut sep);
                implicit_start(s, markers, &mut sep);
                if *items == MenuItems::Absent {
                    // None is no plist value: it says the file had no WFMenuItems.
                    if !s.ends_with('(') {
                        s.push_str(", ");
                    }
                    s.push_str("WFMenuItems=None");
                }
                s.push_str("):\n");
                for c in cases {
                    indent(s, depth + 1);
                    s.push_str("case ");
                    match &c.title {
                        Value::String(t) => py_str(s, t),
                        other => {
                            // Patterns only take literals; other titles go in a guard.
                            s.push_str("_ if ");
                            self.value(s, other, false).expect("outside f-strings");
                        }
                    }
                    s.push_str(":\n");
                    self.block(s, &c.body, depth + 2);
                }
                if cases.is_empty() {
                    indent(s, depth + 1);
                    s.push_str("case _:\n");
                    indent(s, depth + 2);
                    s.push_str("pass\n");
                }
                self.block_end(s, &markers.end, depth);
            }
            Stmt::RepeatCount {
                count,
                body,
                markers,
            } => {
                self.loop_depth += 1;
                indent(s, depth);
                s.push_str("for Repeat_Index");
                self.loop_suffix(s);
                s.push_str(" in range(");
                // A count Python would read differently goes among the raw parameters.
                let raw = count.as_ref().filter(|v| is_raw_repeat_count(v));
                match count {
                    _ if raw.is_some() => {}
                    Some(Value::Int(n)) => int(s, n.get()),
                    Some(v) => {
                        s.push_str("int(");
                        self.value(s, v, false).expect("outside f-strings");
                        s.push(')');
                    }
                    None => {}
                }
                let mut sep = count.is_some() && raw.is_none();
                let mut params: Vec<Kw> = pairs(&markers.start.params).collect();
                if let Some(v) = raw {
                    let at = params.partition_point(|(k, _)| *k < "WFRepeatCount");
                    params.insert(at, ("WFRepeatCount", v));
                }
                self.kwargs(s, params.into_iter(), &[], &mut sep);
                implicit_start(s, markers, &mut sep);
                s.push_str("):\n");
                self.block(s, body, depth + 1);
                self.loop_depth -= 1;
                self.block_end(s, &markers.end, depth);
            }
            Stmt::RepeatEach {
                items,
                body,
                markers,
            } => {
                self.loop_depth += 1;
                indent(s, depth);
                s.push_str("for Repeat_Index");
                self.loop_suffix(s);
                s.push_str(", Repeat_Item");
                self.loop_suffix(s);
                s.push_str(" in enumerate(");
                if let Some(v) = items {
                    self.value(s, v, false).expect("outside f-strings");
                    s.push_str(", ");
                }
                s.push_str("start=1");
                let mut sep = true;
                self.kwargs(s, pairs(&markers.start.params), &["start"], &mut sep);
                implicit_start(s, markers, &mut sep);
                s.push_str("):\n");
                self.block(s, body, depth + 1);
                self.loop_depth -= 1;
                self.block_end(s, &markers.end, depth);
            }
        }
    }

    fn loop_suffix(&self, s: &mut String) {
        if self.loop_depth > 1 {
            let _ = write!(s, "_{}", self.loop_depth);
        }
    }

    /// The end marker of a block: its output and parameters, when it has any.
    fn block_end(&self, s: &mut String, end: &Action, depth: usize) {
        let used = self.names.output_used(end);
        let raw = self.raw_uuid(end);
        if used.is_none() && raw.is_none() && end.params.is_empty() {
            return;
        }
        indent(s, depth);
        if let Some(b) = used {
            self.binding_lhs(s, b);
            s.push_str(" = ");
        }
        s.push_str("block_result(");
        let mut sep = false;
        self.kwargs(s, pairs(&end.params), &[], &mut sep);
        if let Some(u) = raw {
            comma(s, &mut sep);
            s.push_str("__uuid__=");
            py_str(s, u);
        }
        s.push_str(")\n");
    }

    /// An action's UUID when untyped data refers to it by its text.
    fn raw_uuid<'x>(&self, a: &'x Action) -> Option<&'x str> {
        a.output
            .as_deref()
            .filter(|u| self.names.raw_refs.contains(u))
    }

    /// `[binding =] function(Key=value, ...)`, with `pre` before the action's parameters.
    fn call(&self, s: &mut String, a: &Action, pre: &[Kw]) {
        if let Some(b) = self.names.output_used(a) {
            self.binding_lhs(s, b);
            s.push_str(" = ");
        }
        // `action('id', ...)` has an argument before the keywords.
        let mut sep = if has_function_name(&a.id) {
            // The spelling of `action_function_name`, written in place.
            let mut start = 0;
            for (i, c) in a.id.bytes().enumerate() {
                if c == b'.' {
                    s.push_str(&a.id[start..i]);
                    s.push('_');
                    start = i + 1;
                }
            }
            s.push_str(&a.id[start..]);
            s.push('(');
            false
        } else {
            s.push_str("action(");
            py_str(s, &a.id);
            true
        };
        self.kwargs(
            s,
            pre.iter().copied().chain(pairs(&a.params)),
            &[],
            &mut sep,
        );
        if let Some(u) = self.raw_uuid(a) {
            comma(s, &mut sep);
            s.push_str("__uuid__=");
            py_str(s, u);
        }
        if !a.extra.is_empty() {
            comma(s, &mut sep);
            s.push_str("__action__=");
            self.plain_dict(s, &a.extra, false)
                .expect("outside f-strings");
        }
        if a.no_params {
            comma(s, &mut sep);
            s.push_str("__no_params__=True");
        }
        s.push(')');
    }

    /// Keyword arguments, each after `, ` once `sep` says one is due; keys in `spelled`
    /// (which the head of a block reads as its own) are always written as
    /// `**{'key': value}`.
    fn kwargs<'v>(
        &self,
        s: &mut String,
        params: impl Iterator<Item = Kw<'v>>,
        spelled: &[&str],
        sep: &mut bool,
    ) {
        for (k, v) in params {
            comma(s, sep);
            if is_identifier(k)
                && !(k.starts_with("__") && k.ends_with("__"))
                && !spelled.contains(&k)
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
    fn condition(&self, s: &mut String, c: &Condition, markers: &BlockMarkers) {
        let start = &markers.start;
        if start.params.is_empty() && !markers.implicit_start && self.sugar_condition(s, c) {
            return;
        }
        s.push_str("condition(");
        let input = c.input.as_ref().map(|i| ("WFInput", i));
        let op = c.op.as_ref().map(|o| ("WFCondition", o));
        let params = input
            .into_iter()
            .chain(op)
            .chain(pairs(&c.operands))
            .chain(pairs(&start.params));
        let mut sep = false;
        self.kwargs(s, params, &[], &mut sep);
        implicit_start(s, markers, &mut sep);
        s.push(')');
    }

    /// Writes the condition as a Python comparison when it has a common shape; says
    /// whether it did.
    fn sugar_condition(&self, s: &mut String, c: &Condition) -> bool {
        // WFInput is {Type: Variable, Variable: <attachment>} in the common shape.
        let Some(Value::Dict(input)) = &c.input else {
            return false;
        };
        let [(k1, Value::String(t)), (k2, Value::Attachment(lhs))] = input.as_slice() else {
            return false;
        };
        if k1 != "Type" || t != "Variable" || k2 != "Variable" {
            return false;
        }
        let Some(Value::Int(op)) = &c.op else {
            return false;
        };
        let op = op.get();
        let operand = match c.operands.as_slice() {
            [] => None,
            [(k, v)] => Some((k.as_str(), v)),
            _ => return false,
        };
        // Neither side can fail outside an f-string.
        let lhs = |s: &mut String| self.var_expr(s, lhs, false).expect("outside f-strings");
        let value = |s: &mut String, v| self.value(s, v, false).expect("outside f-strings");
        match (op, operand) {
            (100, None) => lhs(s),
            (101, None) => {
                s.push_str("not ");
                lhs(s);
            }
            (0..=5, Some((key, v))) => {
                let sym = match op {
                    4 => " == ",
                    5 => " != ",
                    0 => " < ",
                    1 => " <= ",
                    2 => " > ",
                    _ => " >= ",
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
                    return false;
                }
                lhs(s);
                s.push_str(sym);
                value(s, v);
            }
            (99 | 999 | 8 | 9, Some(("WFConditionalActionString", v)))
                if matches!(v, Value::String(_) | Value::Text(_)) =>
            {
                match op {
                    99 | 999 => {
                        value(s, v);
                        s.push_str(if op == 99 { " in " } else { " not in " });
                        lhs(s);
                    }
                    _ => {
                        lhs(s);
                        s.push_str(if op == 8 {
                            ".startswith("
                        } else {
                            ".endswith("
                        });
                        value(s, v);
                        s.push(')');
                    }
                }
            }
            _ => return false,
        }
        true
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
            Value::Int(i) => int(s, i.get()),
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
            Value::Dict(d) => self.plain_dict(s, d, fs)?,
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

    /// `plain({...})`: a `Value::Dict`.
    fn plain_dict(&self, s: &mut String, d: &Params, fs: bool) -> R {
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
                Some(n) => s.push_str(n),
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
        let start = s.len();
        s.push_str(if t.empty_ranges { "F'''" } else { "f'''" });
        for p in &t.parts {
            match p {
                TextPart::Lit(l) => escape_into(s, l, true),
                TextPart::Var(r) => {
                    s.push('{');
                    if self.var_expr(s, r, true).is_err() {
                        s.truncate(start);
                        self.value(s, &t.to_serialized(), false)
                            .expect("outside f-strings");
                        return;
                    }
                    s.push('}');
                }
            }
        }
        s.push_str("'''");
    }

    /// A variable with its aggrandizements. On an error (only inside f-strings) part of
    /// the expression may have been written: the caller discards it.
    fn var_expr(&self, s: &mut String, r: &VarRef, fs: bool) -> R {
        // Aggrandizements wrap the variable from the inside out: the heads of the
        // functions come first, the last aggrandizement's outermost.
        for a in r.aggr.iter().rev() {
            match a {
                Aggr::DictKey(_) => {}
                Aggr::Coerce(_) => s.push_str("coerce_variable(value="),
                Aggr::Property { name, user_info } => {
                    if !property_attribute(name, user_info) {
                        s.push_str("get_property(");
                    }
                }
                Aggr::Other(p) => s.push_str(if is_date_format(p) {
                    "format_date("
                } else {
                    "aggrandize("
                }),
            }
        }
        match &r.var {
            Var::ActionOutput { uuid, name } => match self.names.reached(r, uuid) {
                Some(b) => {
                    if b.display == name.as_deref() {
                        s.push_str(&b.ident);
                    } else {
                        s.push_str("named(");
                        s.push_str(&b.ident);
                        s.push_str(", ");
                        match name {
                            Some(n) => short_str(s, n, fs)?,
                            None => s.push_str("None"),
                        }
                        s.push(')');
                    }
                }
                None => s.push_str("missing_output()"),
            },
            Var::Named { name, uuid } => {
                let v = &self.names.vars[name.as_str()];
                let idx = uuid.as_deref().map(|u| self.names.var_uuids[u]);
                if idx == v.uuid {
                    s.push_str(&v.ident);
                } else {
                    s.push_str("with_uuid(");
                    s.push_str(&v.ident);
                    s.push_str(", ");
                    match idx {
                        Some(i) => {
                            let _ = write!(s, "{i}");
                        }
                        None => s.push_str("None"),
                    }
                    s.push(')');
                }
            }
            Var::ShortcutInput => s.push_str("shortcut_input()"),
            Var::ActionInput => s.push_str("action_input()"),
            Var::Clipboard => s.push_str("clipboard()"),
            Var::CurrentDate => s.push_str("current_date()"),
            Var::DeviceDetails => s.push_str("device_details()"),
            Var::Ask { prompt } => {
                s.push_str("ask(");
                if let Some(p) = prompt {
                    s.push_str("prompt=");
                    short_str(s, p, fs)?;
                }
                s.push(')');
            }
        }
        for a in &r.aggr {
            match a {
                Aggr::DictKey(k) => {
                    s.push('[');
                    short_str(s, k, fs)?;
                    s.push(']');
                }
                Aggr::Coerce(c) => {
                    s.push_str(", coercion_class=");
                    short_str(s, c, fs)?;
                    s.push(')');
                }
                Aggr::Property { name, user_info } => {
                    if property_attribute(name, user_info) {
                        // The spelling of `spaced_identifier`, written in place.
                        for (i, part) in name.split(' ').enumerate() {
                            s.push(if i > 0 { '_' } else { '.' });
                            s.push_str(part);
                        }
                    } else {
                        s.push_str(", ");
                        short_str(s, name, fs)?;
                        if let Some(u) = user_info {
                            s.push_str(", ");
                            self.value(s, u, fs)?;
                        }
                        s.push(')');
                    }
                }
                Aggr::Other(p) => {
                    let fmt = is_date_format(p);
                    for (k, v) in p {
                        if fmt && k == "Type" {
                            continue;
                        }
                        s.push_str(", ");
                        let keyword =
                            is_identifier(k) && !(k.starts_with("__") && k.ends_with("__"));
                        if keyword {
                            s.push_str(k);
                            s.push('=');
                        } else {
                            s.push_str("**{");
                            short_str(s, k, fs)?;
                            s.push_str(": ");
                        }
                        self.value(s, v, fs)?;
                        if !keyword {
                            s.push('}');
                        }
                    }
                    s.push(')');
                }
            }
        }
        Ok(())
    }
}

/// `WFControlFlowMode=None` in a block's head: the start action has no mode (old files).
fn implicit_start(s: &mut String, markers: &BlockMarkers, sep: &mut bool) {
    if markers.implicit_start {
        comma(s, sep);
        s.push_str("WFControlFlowMode=None");
    }
}

/// Writes `, ` when `sep` says an argument came before, and notes that one does now.
fn comma(s: &mut String, sep: &mut bool) {
    if *sep {
        s.push_str(", ");
    }
    *sep = true;
}

/// A property reads as `.Name` when its name is a spaced identifier and it has no user
/// info. (That identifier never starts with `_`: the name holds no `_` and no leading
/// space.)
fn property_attribute(name: &str, user_info: &Option<Value>) -> bool {
    user_info.is_none() && is_spaced_identifier(name)
}

fn is_date_format(p: &Params) -> bool {
    p.iter().any(|(k, v)| {
        k == "Type" && matches!(v, Value::String(t) if t == "WFDateFormatVariableAggrandizement")
    })
}

/// A number item of a dictionary prints as a number when the text is exactly how that
/// number prints.
fn number_literal(t: &Text) -> Option<&str> {
    let [TextPart::Lit(l)] = t.parts.as_slice() else {
        return None;
    };
    if t.empty_ranges {
        return None;
    }
    if let Ok(i) = l.parse::<i64>() {
        if i.to_string() == *l {
            return Some(l);
        }
    }
    if let Ok(f) = l.parse::<f64>() {
        if f.is_finite() && format!("{f:?}") == *l {
            return Some(l);
        }
    }
    None
}

/// An integer as `Display` writes it, without the formatting machinery.
fn int(s: &mut String, i: i128) {
    s.push_str(itoa::Buffer::new().format(i));
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

/// A real as the DSL writes it.
pub(crate) fn real_literal(r: f64) -> String {
    let mut s = String::new();
    real(&mut s, r);
    s
}

/// `'''...'''` with the escapes Python needs; newlines stay literal for readability.
pub fn py_str(s: &mut String, t: &str) {
    s.push_str("'''");
    escape_into(s, t, false);
    s.push_str("'''");
}

/// Bytes `escape_into` must look at (1: in any literal, 2: in f-strings only). The
/// multi-byte characters that need an escape (C1 controls, U+2028/9, U+FEFF, U+FFFC)
/// start with 0xC2, 0xE2 or 0xEF; every other byte is copied as it is.
const ESCAPE_CHECK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 1;
        b += 1;
    }
    t[b'\n' as usize] = 0;
    t[b'\t' as usize] = 0;
    t[b'\\' as usize] = 1;
    t[b'\'' as usize] = 1;
    t[0x7f] = 1;
    t[0xC2] = 1;
    t[0xE2] = 1;
    t[0xEF] = 1;
    t[b'{' as usize] = 2;
    t[b'}' as usize] = 2;
    t
};

/// How `escape_into` writes one character.
enum Escape {
    Str(&'static str),
    /// `\xNN`
    Byte(u8),
    /// `\uNNNN`
    Unit(u32),
}

/// Escapes text for the inside of a `'''` literal (`braces`: inside an f-string). Runs of
/// text that need no escape are copied whole.
fn escape_into(s: &mut String, t: &str, braces: bool) {
    let mask = if braces { 3 } else { 1 };
    let b = t.as_bytes();
    let mut copied = 0; // text before this is written
    let mut i = 0;
    while i < b.len() {
        // Plain ASCII text, most of it, goes eight bytes at a time.
        if let Some(w) = b[i..].first_chunk::<8>() {
            if !may_need_escape(u64::from_le_bytes(*w), braces) {
                i += 8;
                continue;
            }
        }
        let stop = (i + 8).min(b.len());
        while i < stop {
            let Some((esc, len)) = escape_at(&b[i..], mask) else {
                i += 1;
                continue;
            };
            s.push_str(&t[copied..i]);
            match esc {
                Escape::Str(e) => s.push_str(e),
                Escape::Byte(c) => {
                    s.push_str("\\x");
                    push_hex(s, c as u32, 2);
                }
                Escape::Unit(u) => {
                    s.push_str("\\u");
                    push_hex(s, u, 4);
                }
            }
            i += len;
            copied = i;
        }
    }
    s.push_str(&t[copied..]);
}

/// The escape of the character at the start of `b` (text from a character boundary), and
/// its length in bytes; `None` when it stands as it is.
fn escape_at(b: &[u8], mask: u8) -> Option<(Escape, usize)> {
    if ESCAPE_CHECK[b[0] as usize] & mask == 0 {
        return None;
    }
    Some(match b {
        [b'\\', ..] => (Escape::Str("\\\\"), 1),
        // Only a quote that could close the literal needs escaping.
        [b'\''] | [b'\'', b'\'', ..] => (Escape::Str("\\'"), 1),
        [b'{', ..] => (Escape::Str("{{"), 1),
        [b'}', ..] => (Escape::Str("}}"), 1),
        [b'\r', ..] => (Escape::Str("\\r"), 1),
        [c @ (0..0x20 | 0x7f), ..] => (Escape::Byte(*c), 1),
        // U+0080..U+009F
        [0xC2, c @ 0x80..=0x9f, ..] => (Escape::Unit(*c as u32), 2),
        // U+2028, U+2029
        [0xE2, 0x80, c @ (0xA8 | 0xA9), ..] => (Escape::Unit(0x2000 | (*c as u32 & 0x3f)), 3),
        [0xEF, 0xBB, 0xBF, ..] => (Escape::Unit(0xfeff), 3),
        [0xEF, 0xBF, 0xBC, ..] => (Escape::Unit(0xfffc), 3),
        // A quote inside the text, or another character with one of those lead bytes.
        _ => return None,
    })
}

/// Might one of the eight bytes of `w` need a look from `escape_at`? Never says no
/// wrongly: it flags every non-ASCII byte, control byte (newlines too), `\`, `'`, DEL,
/// and with `braces` `{` and `}`.
fn may_need_escape(w: u64, braces: bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The classic bit tricks: `v - n * ONES & !v` sets the high bit of the lowest byte of
    // `v` below `n` (n <= 0x80) when there is one, and may set it in higher bytes too, but
    // never when no byte is below `n`. Its terms are combined without branches.
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * n as u64) & !v;
    let equal = |c: u8| below(w ^ (ONES * c as u64), 1);
    // Non-ASCII bytes have the high bit; DEL gets it from the `+ 1` (a carry out of 0xFF
    // only comes with a byte flagged already).
    let mut flags = w | w.wrapping_add(ONES) | below(w, 0x20) | equal(b'\\') | equal(b'\'');
    if braces {
        flags |= equal(b'{') | equal(b'}');
    }
    flags & HIGH != 0
}

/// The low `digits` hex digits of `v`, lower case.
fn push_hex(s: &mut String, v: u32, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for d in (0..digits).rev() {
        s.push(HEX[(v >> (4 * d)) as usize & 0xf] as char);
    }
}

/// What `short_str` must know of a byte: 1 `'`, 2 `"`, 4 an ASCII character that needs
/// an escape, 8 the lead byte of a multi-byte character that may need one.
const SHORT_CHECK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 4;
        b += 1;
    }
    t[b'\'' as usize] = 1;
    t[b'"' as usize] = 2;
    t[b'\\' as usize] = 4;
    t[0x7f] = 4;
    t[0xC2] = 8;
    t[0xE2] = 8;
    t[0xEF] = 8;
    t
};

/// A character `short_str` writes as an escape.
fn short_needs_escape(c: char) -> bool {
    c == '\\'
        || (c as u32) < 0x20
        || matches!(c as u32, 0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffc)
}

/// A one-line string literal with single or double quotes. Inside an f-string (`fs`),
/// Python before 3.12 forbids backslashes, so text that needs one cannot be written.
fn short_str(s: &mut String, t: &str, fs: bool) -> R {
    let flags = t.bytes().fold(0, |f, b| f | SHORT_CHECK[b as usize]);
    let (single, double) = (flags & 1 != 0, flags & 2 != 0);
    let q = if !single {
        '\''
    } else if !double {
        '"'
    } else {
        if fs {
            return Err(NeedsEscape);
        }
        '\''
    };
    let escapes = flags & 4 != 0 || (flags & 8 != 0 && t.chars().any(short_needs_escape));
    if fs && (escapes || t.contains("'''") || t.ends_with('\'')) {
        return Err(NeedsEscape);
    }
    s.push(q);
    // The quote occurs in the text only when both kinds do.
    if escapes || (single && double) {
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
                c if short_needs_escape(c) => {
                    if (c as u32) < 0x100 {
                        let _ = write!(s, "\\x{:02x}", c as u32);
                    } else {
                        let _ = write!(s, "\\u{:04x}", c as u32);
                    }
                }
                c => s.push(c),
            }
        }
    } else {
        // Nothing to escape and the quote does not occur: the common case.
        s.push_str(t);
    }
    s.push(q);
    Ok(())
}

fn bytes_lit(s: &mut String, d: &[u8], fs: bool) -> R {
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'\\' && b != b'\'';
    if fs && !d.iter().all(|&b| plain(b)) {
        return Err(NeedsEscape);
    }
    // Icons and other data can be large: no formatting machinery a byte, and room for
    // the escapes made at once.
    let escaped = d.iter().filter(|&&b| !plain(b)).count();
    s.reserve(d.len() + 3 * escaped + 3);
    s.push_str("b'");
    for &b in d {
        if plain(b) {
            s.push(b as char);
        } else {
            s.push_str("\\x");
            push_hex(s, b as u32, 2);
        }
    }
    s.push('\'');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_test_misses_no_byte() {
        for braces in [false, true] {
            let mask = if braces { 3 } else { 1 };
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut w = *b"abcdefgh";
                    w[at] = b;
                    let flagged = may_need_escape(u64::from_le_bytes(w), braces);
                    let needed = b >= 0x80 || ESCAPE_CHECK[b as usize] & mask != 0;
                    assert!(flagged || !needed, "byte {b:#x} at {at}");
                    // Printable ASCII that stands as it is goes by whole words.
                    if (0x20..0x7f).contains(&b) && !needed {
                        assert!(!flagged, "byte {b:#x} at {at}");
                    }
                }
            }
            // Two bytes: a byte flagged rightly must not hide another.
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    for (i, j) in [(0, 1), (0, 7), (3, 4), (6, 7), (2, 5)] {
                        let mut w = *b"abcdefgh";
                        w[i] = a;
                        w[j] = b;
                        let needed = [a, b]
                            .iter()
                            .any(|&c| c >= 0x80 || ESCAPE_CHECK[c as usize] & mask != 0);
                        let flagged = may_need_escape(u64::from_le_bytes(w), braces);
                        assert!(flagged || !needed, "bytes {a:#x} {b:#x} at {i} {j}");
                    }
                }
            }
        }
    }

    #[test]
    fn escapes_at_every_offset() {
        // Each escape at each place of short and long text, against one byte at a time.
        let one_by_one = |t: &str| {
            let mut s = String::new();
            let mut i = 0;
            while i < t.len() {
                match escape_at(&t.as_bytes()[i..], 3) {
                    Some((Escape::Str(e), n)) => {
                        s.push_str(e);
                        i += n;
                    }
                    Some((Escape::Byte(c), n)) => {
                        s.push_str(&format!("\\x{c:02x}"));
                        i += n;
                    }
                    Some((Escape::Unit(u), n)) => {
                        s.push_str(&format!("\\u{u:04x}"));
                        i += n;
                    }
                    None => {
                        let c = t[i..].chars().next().unwrap();
                        s.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            s
        };
        for special in [
            "'", "''", "\\", "{", "\n", "\r", "\0", "\u{85}", "\u{2028}", "é", "😀",
        ] {
            for len in 0..20 {
                for at in 0..=len {
                    let t: String = "abcdefghijklmnopqrst"[..at].to_string()
                        + special
                        + &"ABCDEFGHIJKLMNOPQRST"[at..len];
                    let mut s = String::new();
                    escape_into(&mut s, &t, true);
                    assert_eq!(s, one_by_one(&t), "{t:?}");
                }
            }
        }
    }

    #[test]
    fn escapes() {
        let mut s = String::new();
        escape_into(
            &mut s,
            "it's a 'quote'' \\ {x}\r\0\u{85}\u{2028}\u{feff}\u{fffc}é€ and more text'",
            true,
        );
        assert_eq!(
            s,
            "it's a 'quote\\'' \\\\ {{x}}\\r\\x00\\u0085\\u2028\\ufeff\\ufffcé€ and more text\\'"
        );
    }
}
