//! DSL text → IR: layout into a tree of lines, names resolved, values built.
//! Each form here reads back exactly what the printer writes.

use super::ast::{self, Arg, Case, Expr, FPart, LineStmt, Span, StrKind};
use super::diag::{did_you_mean, Diagnostic};
use super::layout::{self, LineKind};
use super::names::{action_id_from_function, magic_loop_name, RESERVED};
use crate::ir::*;
use std::collections::HashMap;

/// How new UUIDs are made.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Derive UUIDs from the source text, so the same source compiles to the same bytes.
    pub deterministic_uuids: bool,
    /// Deepest block nesting accepted.
    pub max_depth: Option<usize>,
}

/// Parses DSL source into a workflow, or every error found.
pub fn parse(src: &str, opts: ParseOptions) -> Result<Workflow, Vec<Diagnostic>> {
    let p = parse_recovering(src, opts);
    if p.errors.is_empty() && p.undefined.is_empty() {
        return Ok(p.workflow);
    }
    let mut diags = p.errors;
    diags.extend(p.undefined);
    diags.sort_by_key(|d| d.span.start);
    Err(diags)
}

/// What [`parse_recovering`] makes of a source, errors or not.
#[derive(Debug)]
pub struct Parsed {
    /// Every statement that could be read; a line that does not parse is left out (the
    /// statements of a block it heads stand in its place).
    pub workflow: Workflow,
    /// Syntax errors.
    pub errors: Vec<Diagnostic>,
    /// Names that nothing sets, declares or binds; each reads as a variable of that name.
    pub undefined: Vec<Diagnostic>,
}

/// Parses DSL source, going on after each error at the next statement, so that one run
/// finds every error of a file and a checker can still judge the statements that parse.
pub fn parse_recovering(src: &str, opts: ParseOptions) -> Parsed {
    // Python reads `\r\n` and a lone `\r` as `\n`, in strings and comments too: parse
    // that text, then move every span back to where it is in `src`.
    if src.contains('\r') {
        let (text, dropped) = normalize_newlines(src);
        let mut parsed = parse_normalized(&text, opts);
        if !dropped.is_empty() {
            remap_spans(&mut parsed, &dropped);
        }
        return parsed;
    }
    parse_normalized(src, opts)
}

/// [`parse_recovering`] of text whose line ends are all `\n`.
fn parse_normalized(src: &str, opts: ParseOptions) -> Parsed {
    let (lines, mut diags) = layout::split(src);
    let max_depth = opts
        .max_depth
        .unwrap_or(crate::limits::Limits::default().max_depth);
    let mut nodes = Vec::new();
    for l in lines {
        let stmt = match &l.kind {
            LineKind::Code => match ast::parse_line(&src[l.start..l.end], l.start) {
                Ok(s) => Item::Code(s),
                Err(d) => {
                    diags.push(d);
                    Item::Broken {
                        opens: heads_block(&src[l.start..l.end]),
                    }
                }
            },
            LineKind::Comment(t) => Item::Comment(t.clone()),
            LineKind::Blank => Item::Blank,
        };
        nodes.push(Flat {
            item: stmt,
            indent: (l.indent, l.indent_alt),
            span: l.start..l.end.max(l.start + 1),
        });
    }
    let tree = build_tree(nodes, max_depth, &mut diags);
    let seed = if opts.deterministic_uuids {
        fnv1a(src.as_bytes())
    } else {
        random_seed()
    };
    let mut b = Builder::new(seed);
    b.collect(&tree, 0);
    let mut wf = Workflow {
        meta: Vec::new(),
        body: Vec::new(),
        provenance: Provenance {
            container: "dsl".into(),
            ..Default::default()
        },
        warnings: Vec::new(),
    };
    wf.body = b.block(&tree, &mut wf.meta);
    diags.extend(b.diags);
    diags.sort_by_key(|d| d.span.start);
    Parsed {
        workflow: wf,
        errors: diags,
        undefined: b.undefined,
    }
}

/// Whether a line that does not parse looks like the head of a block (`if ...:`), so that
/// the indented lines below it are read as its body rather than as stray indentation.
fn heads_block(line: &str) -> bool {
    let code = match line.find('#') {
        Some(i) if !line[..i].contains(['\'', '"']) => &line[..i],
        _ => line,
    };
    code.trim_end().ends_with(':')
}

// ---------------------------------------------------------------------------------------
// Layout → tree

enum Item {
    Code(LineStmt),
    /// A line that does not parse (already reported); `opens`: it ends with `:`.
    Broken {
        opens: bool,
    },
    Comment(String),
    Blank,
}

struct Flat {
    item: Item,
    /// Width with tabs to multiples of 8, and with tabs as one column.
    indent: (usize, usize),
    span: Span,
}

/// A line with the block it heads.
pub(crate) struct Node {
    kind: NodeKind,
    span: Span,
    children: Vec<Node>,
}

enum NodeKind {
    Stmt(LineStmt),
    /// A line that did not parse, or stray indentation: its children stand in its place.
    Broken,
    /// Consecutive own-line comments (no blank line between) form one comment action.
    Comment(Vec<String>),
}

fn opens_block(s: &LineStmt) -> bool {
    matches!(
        s,
        LineStmt::If(_)
            | LineStmt::Else
            | LineStmt::Match(_)
            | LineStmt::Case(_)
            | LineStmt::ForRange { .. }
            | LineStmt::ForEach { .. }
    )
}

/// Indentation → nesting. Comments take the block their indentation says, without closing
/// or opening blocks themselves, as in Python. An indentation error is reported and reading
/// goes on: a line indented where no block opens starts a broken block of its own.
fn build_tree(lines: Vec<Flat>, max_depth: usize, diags: &mut Vec<Diagnostic>) -> Vec<Node> {
    // Open blocks: (indent, indent with one-column tabs, children); the bottom is the module.
    let mut stack: Vec<(usize, usize, Vec<Node>)> = vec![(0, 0, Vec::new())];
    let mut pending: Vec<(usize, Vec<String>, Span)> = Vec::new();
    let mut after_blank = true;
    // The head of the block the next line should open; `false`: a broken head, whose body
    // may be absent.
    let mut expect_indent: Option<(Span, bool)> = None;

    fn attach(stack: &mut Vec<(usize, usize, Vec<Node>)>) {
        let (_, _, children) = stack.pop().expect("an open block");
        let parent = stack
            .last_mut()
            .expect("a parent")
            .2
            .last_mut()
            .expect("block head");
        parent.children = children;
    }
    fn flush_comments(
        pending: &mut Vec<(usize, Vec<String>, Span)>,
        into: &mut Vec<Node>,
        min_indent: usize,
    ) {
        let n = pending
            .iter()
            .take_while(|(i, _, _)| *i >= min_indent)
            .count();
        for (_, text, span) in pending.drain(..n) {
            into.push(Node {
                kind: NodeKind::Comment(text),
                span,
                children: Vec::new(),
            });
        }
    }
    // Opens a block at `indent` under a broken head (stray indentation).
    fn open_broken(
        stack: &mut Vec<(usize, usize, Vec<Node>)>,
        indent: (usize, usize),
        span: &Span,
    ) {
        stack.last_mut().expect("open").2.push(Node {
            kind: NodeKind::Broken,
            span: span.start..span.start + 1,
            children: Vec::new(),
        });
        stack.push((indent.0, indent.1, Vec::new()));
    }
    let tab_error = |span: &Span| {
        Diagnostic::new(
            "inconsistent use of tabs and spaces in indentation",
            span.start..span.start + 1,
            "this indentation compares differently with tabs of another width",
        )
        .help("indent with spaces only")
    };
    // Both widths must order two lines the same way, or the tab size decides the meaning.
    let consistent = |a: (usize, usize), b: (usize, usize)| a.0.cmp(&b.0) == a.1.cmp(&b.1);

    for l in lines {
        let (indent, alt) = l.indent;
        let (node, opens) = match l.item {
            Item::Blank => {
                after_blank = true;
                continue;
            }
            Item::Comment(text) => {
                // One comment action: consecutive lines at one indentation.
                match pending.last_mut() {
                    Some((at, lines, span)) if !after_blank && *at == indent => {
                        lines.push(text);
                        span.end = l.span.end;
                    }
                    _ => pending.push((indent, vec![text], l.span)),
                }
                after_blank = false;
                continue;
            }
            Item::Code(stmt) => {
                let opens = opens_block(&stmt).then_some(true);
                (NodeKind::Stmt(stmt), opens)
            }
            Item::Broken { opens } => (NodeKind::Broken, opens.then_some(false)),
        };
        after_blank = false;
        let (top, top_alt, _) = stack.last().expect("module");
        let (top, top_alt) = (*top, *top_alt);
        if !consistent((indent, alt), (top, top_alt)) {
            diags.push(tab_error(&l.span));
        }
        let mut indented = false;
        if let Some((head, strict)) = expect_indent.take() {
            if indent > top {
                indented = true;
            } else if strict {
                diags.push(
                    Diagnostic::new(
                        "expected an indented block",
                        l.span.start..l.span.start + 1,
                        "this line should be indented below the line ending with `:`",
                    )
                    .help(format!(
                        "the block starts at byte {}; add `pass` for an empty block",
                        head.start
                    )),
                );
            }
        }
        if indented {
            if stack.len() > max_depth {
                diags.push(Diagnostic::new(
                    format!("blocks nested deeper than {max_depth}"),
                    l.span.clone(),
                    "too deep",
                ));
                // Building so deep a tree would exhaust the stack: read nothing.
                return Vec::new();
            }
            stack.push((indent, alt, Vec::new()));
            let cur = &mut stack.last_mut().expect("pushed").2;
            flush_comments(&mut pending, cur, 0);
        } else {
            if indent > top {
                diags.push(Diagnostic::new(
                    "unexpected indent",
                    l.span.start..l.span.start + 1,
                    "this line is indented more than the one before",
                ));
                open_broken(&mut stack, (indent, alt), &l.span);
            }
            while indent < stack.last().expect("module").0 {
                let (level, level_alt, _) = stack.last().expect("open");
                if !consistent((indent, alt), (*level, *level_alt)) {
                    diags.push(tab_error(&l.span));
                }
                let level = *level;
                flush_comments(&mut pending, &mut stack.last_mut().expect("open").2, level);
                attach(&mut stack);
            }
            if indent != stack.last().expect("module").0 {
                diags.push(Diagnostic::new(
                    "unindent does not match any outer indentation level",
                    l.span.start..l.span.start + 1,
                    "inconsistent indentation",
                ));
                open_broken(&mut stack, (indent, alt), &l.span);
            }
            let cur = &mut stack.last_mut().expect("open").2;
            flush_comments(&mut pending, cur, 0);
        }
        if let Some(strict) = opens {
            expect_indent = Some((l.span.clone(), strict));
        }
        stack.last_mut().expect("open").2.push(Node {
            kind: node,
            span: l.span,
            children: Vec::new(),
        });
    }
    if let Some((head, true)) = expect_indent {
        diags.push(
            Diagnostic::new("expected an indented block", head, "this block has no body")
                .help("add `pass` for an empty block"),
        );
    }
    while stack.len() > 1 {
        let level = stack.last().expect("open").0;
        flush_comments(&mut pending, &mut stack.last_mut().expect("open").2, level);
        attach(&mut stack);
    }
    let mut module = stack.pop().expect("module").2;
    flush_comments(&mut pending, &mut module, 0);
    module
}

// ---------------------------------------------------------------------------------------
// Names and IR

struct OutputBinding {
    pos: usize,
    uuid: String,
    display: Option<String>,
}

#[derive(Clone)]
struct VarDecl {
    name: String,
    uuid: Option<String>,
}

struct Builder {
    rng: u64,
    outputs: HashMap<String, Vec<OutputBinding>>,
    vars: HashMap<String, VarDecl>,
    set_names: HashMap<String, ()>,
    var_uuids: HashMap<i64, String>,
    /// Loop targets in scope: identifier → the magic name it stands for.
    aliases: Vec<(String, String)>,
    loop_depth: usize,
    diags: Vec<Diagnostic>,
    /// Names nothing defines (each is also read as a variable of that name).
    undefined: Vec<Diagnostic>,
    /// The block being built stands under a broken line: its `case`/`else` lines read as
    /// plain bodies, not as misplaced clauses.
    lenient: bool,
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    h.finish()
}

fn fnv1a(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &x in b {
        h ^= x as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// Builtins that make a value, not an action call.
fn is_value_builtin(name: &str) -> bool {
    is_reserved(name) || (name.starts_with("WF") && !name.contains('_'))
}

impl Builder {
    fn new(seed: u64) -> Self {
        Builder {
            rng: seed,
            outputs: HashMap::new(),
            vars: HashMap::new(),
            set_names: HashMap::new(),
            var_uuids: HashMap::new(),
            aliases: Vec::new(),
            loop_depth: 0,
            diags: Vec::new(),
            undefined: Vec::new(),
            lenient: false,
        }
    }

    fn uuid(&mut self) -> String {
        let mut next = || {
            // splitmix64
            self.rng = self.rng.wrapping_add(0x9E3779B97F4A7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
            z ^ (z >> 31)
        };
        let (a, b) = (next(), next());
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000;
        format!(
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    // -- pass 1: what every name stands for ------------------------------------------------

    /// Generic setvariable calls (printed so when they carry more than a name and a value)
    /// define their variable too.
    fn generic_set(&mut self, e: &Expr) {
        let Some((f, args)) = e.as_call() else {
            return;
        };
        if f != "is_workflow_actions_setvariable" && f != "is_workflow_actions_appendvariable" {
            return;
        }
        for a in args {
            if let Arg::Kw(
                k,
                Expr::Str {
                    kind: StrKind::Plain(s),
                    ..
                },
                _,
            ) = a
            {
                if k == "WFVariableName" {
                    self.set_names.insert(s.clone(), ());
                }
            }
        }
    }

    fn collect(&mut self, nodes: &[Node], depth: usize) {
        let _ = depth;
        for n in nodes {
            if let NodeKind::Stmt(s) = &n.kind {
                match s {
                    LineStmt::Assign {
                        name,
                        annot,
                        value,
                        name_span,
                    } => {
                        // `setvariable: None = is_workflow_actions_setvariable(...)`: a
                        // generic call whose output is used still sets its variable.
                        self.generic_set(value);
                        let call = value.as_call();
                        match call {
                            Some(("variable", args)) => {
                                self.declare_variable(name, args, name_span.clone())
                            }
                            Some((f, _))
                                if !is_value_builtin(f)
                                    || f == "block_result"
                                    || f == "missing_output"
                                    || f == "action" =>
                            {
                                let display = match annot {
                                    None => Some(name.replace('_', " ")),
                                    Some(Expr::None(_)) => None,
                                    Some(Expr::Str {
                                        kind: StrKind::Plain(s),
                                        ..
                                    }) => Some(s.clone()),
                                    Some(other) => {
                                        self.err(Diagnostic::new(
                                            "an output's annotation must be a plain string or None",
                                            other.span(),
                                            "the name Shortcuts shows for this output",
                                        ));
                                        None
                                    }
                                };
                                let uuid = forced_uuid(value).unwrap_or_else(|| self.uuid());
                                self.outputs
                                    .entry(name.clone())
                                    .or_default()
                                    .push(OutputBinding {
                                        pos: name_span.start,
                                        uuid,
                                        display,
                                    });
                            }
                            _ => {
                                self.set_names.insert(name.clone(), ());
                            }
                        }
                    }
                    LineStmt::Append { name, .. } => {
                        self.set_names.insert(name.clone(), ());
                    }
                    LineStmt::Expr(e) => self.generic_set(e),
                    _ => {}
                }
            }
            self.collect(&n.children, depth + 1);
        }
    }

    fn declare_variable(&mut self, ident: &str, args: &[Arg], span: Span) {
        let mut name = magic_loop_name(ident).unwrap_or_else(|| ident.to_string());
        let mut uuid = None;
        for a in args {
            match a {
                Arg::Pos(Expr::Str {
                    kind: StrKind::Plain(s),
                    ..
                }) => name = s.clone(),
                Arg::Kw(k, Expr::Num(n, _), _) if k == "uuid" => {
                    let i: i64 = n.parse().unwrap_or(0);
                    uuid = Some(self.var_uuid(i));
                }
                other => {
                    let s = match other {
                        Arg::Pos(e) => e.span(),
                        Arg::Kw(_, _, s) | Arg::Star(_, s) => s.clone(),
                    };
                    self.err(Diagnostic::new(
                        "unexpected argument to variable()",
                        s,
                        "expected `variable('''Name''')` and/or `uuid=N`",
                    ));
                }
            }
        }
        if self
            .vars
            .insert(ident.to_string(), VarDecl { name, uuid })
            .is_some()
        {
            self.err(Diagnostic::new(
                format!("`{ident}` is declared twice"),
                span,
                "second declaration",
            ));
        }
    }

    fn var_uuid(&mut self, i: i64) -> String {
        if let Some(u) = self.var_uuids.get(&i) {
            return u.clone();
        }
        let u = self.uuid();
        self.var_uuids.insert(i, u.clone());
        u
    }

    /// What an identifier refers to at `pos`.
    fn resolve(&mut self, ident: &str, span: &Span) -> Option<Var> {
        if let Some((_, magic)) = self.aliases.iter().rev().find(|(a, _)| a == ident) {
            // A declaration of the loop variable may give it a uuid.
            let uuid = self
                .vars
                .values()
                .find(|d| d.name == *magic)
                .and_then(|d| d.uuid.clone());
            return Some(Var::Named {
                name: magic.clone(),
                uuid,
            });
        }
        if let Some(bs) = self.outputs.get(ident) {
            let b = bs
                .iter()
                .rev()
                .find(|b| b.pos < span.start)
                .or_else(|| bs.first())
                .expect("non-empty");
            return Some(Var::ActionOutput {
                uuid: b.uuid.clone(),
                name: b.display.clone(),
            });
        }
        if let Some(d) = self.vars.get(ident) {
            return Some(Var::Named {
                name: d.name.clone(),
                uuid: d.uuid.clone(),
            });
        }
        if self.set_names.contains_key(ident) {
            return Some(Var::Named {
                name: magic_loop_name(ident).unwrap_or_else(|| ident.to_string()),
                uuid: None,
            });
        }
        if let Some(m) = magic_loop_name(ident) {
            return Some(Var::Named {
                name: m,
                uuid: None,
            });
        }
        let known: Vec<&str> = self
            .outputs
            .keys()
            .chain(self.vars.keys())
            .chain(self.set_names.keys())
            .map(|s| s.as_str())
            .collect();
        let mut d = Diagnostic::new(
            format!("undefined variable `{ident}`"),
            span.clone(),
            "not set, declared, or bound to an action's output anywhere",
        );
        if let Some(s) = did_you_mean(ident, known) {
            d = d.help(format!("did you mean `{s}`?"));
        } else {
            d = d.help(format!(
                "declare it with `{ident} = variable()` if another shortcut sets it"
            ));
        }
        self.undefined.push(d);
        // Read on as a variable of that name, so that the statement is still checked.
        Some(Var::Named {
            name: ident.to_string(),
            uuid: None,
        })
    }

    // -- pass 2: statements ----------------------------------------------------------------

    fn block(&mut self, nodes: &[Node], meta: &mut Params) -> Vec<Stmt> {
        let mut out: Vec<Stmt> = Vec::new();
        let lenient = std::mem::take(&mut self.lenient);
        let mut after_broken = false;
        let mut i = 0;
        while i < nodes.len() {
            let n = &nodes[i];
            i += 1;
            // What stands under a line that did not parse still gets read and checked.
            let broken = match &n.kind {
                NodeKind::Broken => true,
                NodeKind::Stmt(LineStmt::Else) => lenient || after_broken,
                NodeKind::Stmt(LineStmt::Case(_)) => lenient,
                _ => false,
            };
            if broken {
                after_broken = matches!(n.kind, NodeKind::Broken);
                self.lenient = true;
                out.extend(self.block(&n.children, meta));
                continue;
            }
            after_broken = false;
            let s = match &n.kind {
                NodeKind::Broken => continue,
                NodeKind::Comment(lines) => {
                    let mut action = Action::new(ID_COMMENT);
                    action.span = SrcSpan(Some(n.span.clone()));
                    out.push(Stmt::Comment {
                        text: lines.join("\n"),
                        action,
                    });
                    continue;
                }
                NodeKind::Stmt(s) => s,
            };
            match s {
                LineStmt::Pass => {}
                LineStmt::Else | LineStmt::Case(_) => self.err(Diagnostic::new(
                    match s {
                        LineStmt::Else => "`else` without an `if`",
                        _ => "`case` outside `match`",
                    },
                    n.span.clone(),
                    "not inside a matching block",
                )),
                LineStmt::If(cond) => {
                    let implicit_start = implicit_in(cond);
                    let (cond, mut start) = self.condition(cond);
                    start.span = SrcSpan(Some(n.span.clone()));
                    let mut then = self.block(&n.children, meta);
                    // Comments standing between the body and `else:` come before the
                    // Otherwise marker, so they end the `if` body.
                    let mut j = i;
                    while matches!(
                        nodes.get(j),
                        Some(Node {
                            kind: NodeKind::Comment(_),
                            ..
                        })
                    ) {
                        j += 1;
                    }
                    let otherwise = match nodes.get(j) {
                        Some(Node {
                            kind: NodeKind::Stmt(LineStmt::Else),
                            children,
                            span,
                        }) => {
                            then.extend(self.block(&nodes[i..j], meta));
                            i = j + 1;
                            let mut marker = Action::new(ID_IF);
                            marker.span = SrcSpan(Some(span.clone()));
                            Some((marker, self.block(children, meta)))
                        }
                        _ => None,
                    };
                    let group = self.uuid();
                    out.push(Stmt::If {
                        cond: Box::new(cond),
                        then,
                        otherwise,
                        markers: Box::new(BlockMarkers {
                            group,
                            start,
                            end: Action::new(ID_IF),
                            implicit_start,
                        }),
                    });
                }
                LineStmt::Match(call) => {
                    let mut m = self.menu(call, &n.children, meta);
                    if let Stmt::Menu { markers, .. } = &mut m {
                        markers.start.span = SrcSpan(Some(n.span.clone()));
                    }
                    out.push(m);
                }
                LineStmt::ForRange { call, targets } | LineStmt::ForEach { call, targets } => {
                    let each = matches!(s, LineStmt::ForEach { .. });
                    let mut r = self.repeat(each, call, targets, &n.children, meta);
                    if let Stmt::RepeatCount { markers, .. } | Stmt::RepeatEach { markers, .. } =
                        &mut r
                    {
                        markers.start.span = SrcSpan(Some(n.span.clone()));
                    }
                    out.push(r);
                }
                LineStmt::Append {
                    name,
                    name_span,
                    value,
                } => {
                    let var = self.set_target(name, name_span);
                    let v = self.value(value);
                    out.push(Stmt::SetVariable {
                        name: var,
                        append: true,
                        value: Some(v),
                        action: Action {
                            span: SrcSpan(Some(n.span.clone())),
                            ..Action::new(ID_APPENDVAR)
                        },
                    });
                }
                LineStmt::Assign {
                    name,
                    name_span,
                    value,
                    ..
                } => {
                    let call = value.as_call();
                    match call {
                        Some(("variable", _)) => {}
                        Some(("missing_output", _)) => {}
                        Some(("block_result", args)) => {
                            let uuid = self.binding_uuid(name, name_span);
                            self.block_result(&mut out, args, Some(uuid), n.span.clone());
                        }
                        _ if name == "__workflow__" => self.meta(value, meta),
                        Some((f, args)) if !is_value_builtin(f) || f == "action" => {
                            let uuid = self.binding_uuid(name, name_span);
                            if let Some(mut a) = self.action(f, args, value.span()) {
                                a.output = Some(uuid);
                                out.push(simple_stmt(a));
                            }
                        }
                        _ => {
                            let var = self.set_target(name, name_span);
                            let v = self.value(value);
                            out.push(Stmt::SetVariable {
                                name: var,
                                append: false,
                                value: Some(v),
                                action: Action {
                                    span: SrcSpan(Some(n.span.clone())),
                                    ..Action::new(ID_SETVAR)
                                },
                            });
                        }
                    }
                }
                LineStmt::Expr(e) => match e.as_call() {
                    Some(("block_result", args)) => {
                        self.block_result(&mut out, args, None, n.span.clone())
                    }
                    Some((f, args)) if !is_value_builtin(f) || f == "action" => {
                        if let Some(a) = self.action(f, args, e.span()) {
                            out.push(simple_stmt(a));
                        }
                    }
                    _ => self.err(Diagnostic::new(
                        "this statement does nothing",
                        e.span(),
                        "expected an action call, an assignment, or a block",
                    )),
                },
            }
        }
        out
    }

    fn binding_uuid(&mut self, name: &str, span: &Span) -> String {
        self.outputs
            .get(name)
            .and_then(|bs| bs.iter().find(|b| b.pos == span.start))
            .map(|b| b.uuid.clone())
            .unwrap_or_else(|| self.uuid())
    }

    /// The Shortcuts name a `Name = ...` statement sets.
    fn set_target(&mut self, ident: &str, span: &Span) -> String {
        if self.outputs.contains_key(ident) {
            self.err(Diagnostic::new(
                format!("`{ident}` names an action's output; it cannot also be set as a variable"),
                span.clone(),
                "rename one of them",
            ));
        }
        if let Some((_, m)) = self.aliases.iter().rev().find(|(a, _)| a == ident) {
            return m.clone();
        }
        if let Some(d) = self.vars.get(ident) {
            return d.name.clone();
        }
        magic_loop_name(ident).unwrap_or_else(|| ident.to_string())
    }

    fn block_result(&mut self, out: &mut [Stmt], args: &[Arg], uuid: Option<String>, span: Span) {
        // The keyword `__uuid__` (a UUID untyped data names) is the End action's UUID; it is
        // the binding's own when there is one. (`**{'__uuid__': ...}` is a parameter.)
        let (special, rest): (Vec<Arg>, Vec<Arg>) = args
            .iter()
            .cloned()
            .partition(|a| matches!(a, Arg::Kw(k, ..) if k == "__uuid__"));
        let params = self.kwargs(&rest, &[]);
        let mut uuid = uuid;
        for (_, v) in self.kwargs(&special, &["__uuid__"]) {
            if let Value::String(u) = v {
                uuid.get_or_insert(u);
            }
        }
        let end = match out.last_mut() {
            Some(Stmt::If { markers, .. })
            | Some(Stmt::Menu { markers, .. })
            | Some(Stmt::RepeatCount { markers, .. })
            | Some(Stmt::RepeatEach { markers, .. }) => &mut markers.end,
            _ => {
                self.err(Diagnostic::new(
                    "`block_result()` must follow a block",
                    span,
                    "no `if`, `match` or `for` block ends just before this line",
                ));
                return;
            }
        };
        if !end.params.is_empty() || end.output.is_some() {
            self.err(Diagnostic::new(
                "a block has one `block_result()`",
                span,
                "this block's result was already given",
            ));
            return;
        }
        end.params = params;
        end.output = uuid;
        end.span = SrcSpan(Some(span));
    }

    fn meta(&mut self, value: &Expr, meta: &mut Params) {
        let Expr::Dict(pairs, _) = value else {
            self.err(Diagnostic::new(
                "`__workflow__` must be a dictionary",
                value.span(),
                "expected `{'Key': value, ...}`",
            ));
            return;
        };
        for (k, v) in pairs {
            let Some(key) = self.plain_string(k) else {
                continue;
            };
            let v = self.value(v);
            meta.push((key, v));
        }
        sort_params(meta);
    }

    fn plain_string(&mut self, e: &Expr) -> Option<String> {
        match e {
            Expr::Str {
                kind: StrKind::Plain(s),
                ..
            } => Some(s.clone()),
            other => {
                self.err(Diagnostic::new(
                    "expected a plain string",
                    other.span(),
                    "a key must be a string literal",
                ));
                None
            }
        }
    }

    /// `f(Key=value, **{'Key': value})` → an action.
    fn action(&mut self, f: &str, args: &[Arg], span: Span) -> Option<Action> {
        let (id, rest) = if f == "action" {
            match args.first() {
                Some(Arg::Pos(Expr::Str {
                    kind: StrKind::Plain(id),
                    ..
                })) => (id.clone(), &args[1..]),
                _ => {
                    self.err(Diagnostic::new(
                        "`action(...)` takes the identifier first",
                        span,
                        "expected `action('''com.example.Intent''', Key=value)`",
                    ));
                    return None;
                }
            }
        } else {
            (action_id_from_function(f), args)
        };
        let mut a = Action::new(id);
        a.span = SrcSpan(Some(span.clone()));
        for arg in rest {
            match arg {
                Arg::Kw(k, v, s) => {
                    a.param_spans
                        .0
                        .push((k.clone(), s.start..s.start + k.len(), v.span()))
                }
                Arg::Star(pairs, _) => {
                    for (k, v) in pairs {
                        if let Expr::Str {
                            kind: StrKind::Plain(key),
                            span,
                        } = k
                        {
                            a.param_spans.0.push((key.clone(), span.clone(), v.span()));
                        }
                    }
                }
                Arg::Pos(_) => {}
            }
        }
        for arg in rest {
            if let Arg::Pos(e) = arg {
                self.err(
                    Diagnostic::new(
                        "actions take keyword arguments only",
                        e.span(),
                        "positional argument",
                    )
                    .help("write `ParameterKey=value`"),
                );
            }
        }
        // Only keyword arguments are special: `**{'__uuid__': ...}` is a parameter.
        let specials = ["__action__", "__no_params__", "__uuid__"];
        let (special, rest): (Vec<Arg>, Vec<Arg>) = rest
            .iter()
            .cloned()
            .partition(|a| matches!(a, Arg::Kw(k, ..) if specials.contains(&k.as_str())));
        let mut params = self.kwargs(&special, &specials);
        if let Some(i) = params.iter().position(|(k, _)| k == "__uuid__") {
            if let (_, Value::String(u)) = params.remove(i) {
                a.output = Some(u);
            }
        }
        if let Some(i) = params.iter().position(|(k, _)| k == "__action__") {
            if let (_, Value::Dict(extra)) = params.remove(i) {
                a.extra = extra;
            }
        }
        if let Some(i) = params.iter().position(|(k, _)| k == "__no_params__") {
            params.remove(i);
            a.no_params = true;
        }
        a.params = self.kwargs(&rest, &[]);
        Some(a)
    }

    /// Keyword arguments (and `**{...}`) in order.
    fn kwargs(&mut self, args: &[Arg], specials: &[&str]) -> Params {
        let mut out: Params = Vec::new();
        for a in args {
            match a {
                Arg::Kw(k, v, span) => {
                    if k.starts_with("__") && k.ends_with("__") && !specials.contains(&k.as_str()) {
                        self.err(Diagnostic::new(
                            format!("unknown special argument `{k}`"),
                            span.clone(),
                            "write real keys with `**{'...': value}`",
                        ));
                        continue;
                    }
                    let v = self.value(v);
                    out.push((k.clone(), v));
                }
                Arg::Star(pairs, _) => {
                    for (k, v) in pairs {
                        if let Some(k) = self.plain_string(k) {
                            let v = self.value(v);
                            out.push((k, v));
                        }
                    }
                }
                Arg::Pos(_) => {}
            }
        }
        sort_params(&mut out);
        let mut seen = std::collections::HashSet::new();
        for (k, _) in &out {
            if !seen.insert(k.clone()) {
                let span = args
                    .iter()
                    .find_map(|a| match a {
                        Arg::Kw(x, _, s) if x == k => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or(0..0);
                self.err(Diagnostic::new(
                    format!("parameter `{k}` given twice"),
                    span,
                    "repeated",
                ));
            }
        }
        out
    }

    // -- blocks ----------------------------------------------------------------------------

    fn condition(&mut self, e: &Expr) -> (Condition, Action) {
        let mut start = Action::new(ID_IF);
        let wrap_input = |r: VarRef| {
            Some(Value::Dict(vec![
                ("Type".into(), Value::String("Variable".into())),
                ("Variable".into(), Value::Attachment(Box::new(r))),
            ]))
        };
        let mut cond = Condition {
            input: None,
            op: None,
            operands: Vec::new(),
        };
        if let Some(("condition", args)) = e.as_call() {
            let args: Vec<Arg> = args
                .iter()
                .filter(|a| !is_implicit_start(a))
                .cloned()
                .collect();
            for (k, v) in self.kwargs(&args, &[]) {
                match k.as_str() {
                    "WFInput" => cond.input = Some(v),
                    "WFCondition" => cond.op = Some(v),
                    k2 if CONDITION_KEYS.contains(&k2) => cond.operands.push((k, v)),
                    _ => start.params.push((k, v)),
                }
            }
            return (cond, start);
        }
        let op_code = |op: &str| -> Option<i128> {
            Some(match op {
                "==" => 4,
                "!=" => 5,
                "<" => 0,
                "<=" => 1,
                ">" => 2,
                ">=" => 3,
                _ => return None,
            })
        };
        match e {
            Expr::Not(inner, _) => {
                if let Some(r) = self.var_ref(inner) {
                    cond.input = wrap_input(r);
                }
                cond.op = Some(Value::int(101));
            }
            Expr::Cmp {
                op, left, right, ..
            } => match op.as_str() {
                "in" | "not in" => {
                    if let Some(r) = self.var_ref(right) {
                        cond.input = wrap_input(r);
                    }
                    cond.op = Some(Value::int(if op == "in" { 99 } else { 999 }));
                    let v = self.value(left);
                    cond.operands.push(("WFConditionalActionString".into(), v));
                }
                _ => {
                    let code = op_code(op).expect("grammar's comparison operators");
                    if let Some(r) = self.var_ref(left) {
                        cond.input = wrap_input(r);
                    }
                    cond.op = Some(Value::int(code));
                    let v = self.value(right);
                    let key = if code <= 3 || matches!(v, Value::Int(_) | Value::Real(_)) {
                        "WFNumberValue"
                    } else {
                        "WFConditionalActionString"
                    };
                    cond.operands.push((key.into(), v));
                }
            },
            Expr::Call { func, args, .. } if matches!(func.as_ref(), Expr::Attr { name, .. } if name == "startswith" || name == "endswith") =>
            {
                let Expr::Attr { base, name, .. } = func.as_ref() else {
                    unreachable!()
                };
                if let Some(r) = self.var_ref(base) {
                    cond.input = wrap_input(r);
                }
                cond.op = Some(Value::int(if name == "startswith" { 8 } else { 9 }));
                match args.as_slice() {
                    [Arg::Pos(v)] => {
                        let v = self.value(v);
                        cond.operands.push(("WFConditionalActionString".into(), v));
                    }
                    _ => self.err(Diagnostic::new(
                        format!("`{name}` takes one value"),
                        e.span(),
                        "expected one argument",
                    )),
                }
            }
            other => {
                if let Some(r) = self.var_ref(other) {
                    cond.input = wrap_input(r);
                }
                cond.op = Some(Value::int(100));
            }
        }
        (cond, start)
    }

    fn menu(&mut self, call: &Expr, children: &[Node], meta: &mut Params) -> Stmt {
        let mut start = Action::new(ID_MENU);
        let mut prompt = None;
        let mut items = MenuItems::FromCases;
        let args = match call.as_call() {
            Some(("input", args)) => args,
            _ => {
                self.err(Diagnostic::new(
                    "a menu is `match input(prompt='''...'''):`",
                    call.span(),
                    "expected `input(...)`",
                ));
                &[]
            }
        };
        let mut rest = Vec::new();
        let implicit_start = args.iter().any(is_implicit_start);
        for a in args {
            match a {
                a if is_implicit_start(a) => {}
                Arg::Kw(k, Expr::None(_), _) if k == "WFMenuItems" => items = MenuItems::Absent,
                Arg::Kw(k, v, _) if k == "WFMenuItems" => items = MenuItems::Other(self.value(v)),
                Arg::Kw(k, v, _) if k == "prompt" => prompt = Some(self.value(v)),
                other => rest.push(other.clone()),
            }
        }
        start.params = self.kwargs(&rest, &[]);
        let mut cases: Vec<MenuCase> = Vec::new();
        // Comments between cases end the case before them (the first case: begin it).
        let mut loose: Vec<Stmt> = Vec::new();
        for c in children {
            match &c.kind {
                NodeKind::Stmt(LineStmt::Case(case)) => {
                    let title = match case {
                        Case::Any => {
                            // `case _:` stands for a menu without cases.
                            continue;
                        }
                        Case::Title(e) | Case::Guard(e) => self.value(e),
                    };
                    let mut body = self.block(&c.children, meta);
                    if cases.is_empty() {
                        body.splice(0..0, loose.drain(..));
                    }
                    let mut marker = Action::new(ID_MENU);
                    marker.span = SrcSpan(Some(c.span.clone()));
                    cases.push(MenuCase {
                        title,
                        marker,
                        body,
                    });
                }
                // A case line that did not parse: its body still gets read.
                NodeKind::Comment(_) | NodeKind::Broken => {
                    let stmts = self.block(std::slice::from_ref(c), meta);
                    match cases.last_mut() {
                        Some(last) => last.body.extend(stmts),
                        None => loose.extend(stmts),
                    }
                }
                NodeKind::Stmt(LineStmt::Pass) => {}
                _ => self.err(Diagnostic::new(
                    "only `case` lines may stand directly inside `match`",
                    c.span.clone(),
                    "expected `case '''Title''':`",
                )),
            }
        }
        if !loose.is_empty() {
            self.err(Diagnostic::new(
                "a comment in a menu without cases",
                call.span(),
                "there is no case to hold it",
            ));
        }
        let group = self.uuid();
        Stmt::Menu {
            prompt,
            items,
            cases,
            markers: Box::new(BlockMarkers {
                group,
                start,
                end: Action::new(ID_MENU),
                implicit_start,
            }),
        }
    }

    fn repeat(
        &mut self,
        each: bool,
        call: &Expr,
        targets: &[String],
        children: &[Node],
        meta: &mut Params,
    ) -> Stmt {
        let expected = if each { "enumerate" } else { "range" };
        let (f, args) = call.as_call().unwrap_or(("", &[]));
        if f != expected {
            self.err(Diagnostic::new(
                format!("expected `{expected}(...)` here"),
                call.span(),
                if each {
                    "write `for Repeat_Index, Repeat_Item in enumerate(items, start=1):`"
                } else {
                    "write `for Repeat_Index in range(n):`"
                },
            ));
        }
        let mut value = None;
        let mut rest = Vec::new();
        let implicit_start = args.iter().any(is_implicit_start);
        for a in args {
            match a {
                a if is_implicit_start(a) => {}
                Arg::Pos(e) if value.is_none() => {
                    let v = match (each, e.as_call()) {
                        (false, Some(("int", [Arg::Pos(inner)]))) => self.value(inner),
                        _ => self.value(e),
                    };
                    value = Some(v)
                }
                Arg::Kw(k, Expr::Num(n, _), _) if each && k == "start" && n == "1" => {}
                other => rest.push(other.clone()),
            }
        }
        let mut start = Action::new(if each {
            ID_REPEAT_EACH
        } else {
            ID_REPEAT_COUNT
        });
        start.params = self.kwargs(&rest, &[]);
        if !each {
            self.check_count(args, &value, &start);
        }
        self.loop_depth += 1;
        let suffix = if self.loop_depth > 1 {
            format!(" {}", self.loop_depth)
        } else {
            String::new()
        };
        let magic = [
            format!("Repeat Index{suffix}"),
            format!("Repeat Item{suffix}"),
        ];
        let n_aliases = self.aliases.len();
        for (t, m) in targets.iter().zip(magic.iter()) {
            self.aliases.push((t.clone(), m.clone()));
        }
        let body = self.block(children, meta);
        self.aliases.truncate(n_aliases);
        self.loop_depth -= 1;
        let group = self.uuid();
        let markers = Box::new(BlockMarkers {
            group,
            start,
            implicit_start,
            end: Action::new(if each {
                ID_REPEAT_EACH
            } else {
                ID_REPEAT_COUNT
            }),
        });
        if each {
            Stmt::RepeatEach {
                items: value,
                body,
                markers,
            }
        } else {
            Stmt::RepeatCount {
                count: value,
                body,
                markers,
            }
        }
    }

    /// `range(n)` means what it means in Python, or is an error: a negative count runs
    /// zero times in Python and `int(2.5)` is 2, while a Repeat action keeps the number
    /// as written; a real without `int()` is a Python TypeError. The shortcut's raw count
    /// is spelled `range(WFRepeatCount=-5)`.
    fn check_count(&mut self, args: &[Arg], value: &Option<Value>, start: &Action) {
        let Some(e) = args.iter().find_map(|a| match a {
            Arg::Pos(e) => Some(e),
            _ => None,
        }) else {
            return;
        };
        let wrapped = matches!(e.as_call(), Some(("int", [Arg::Pos(_)])));
        let why = match value {
            _ if start.param("WFRepeatCount").is_some() => Some((
                "the repeat count is given twice",
                "drop `WFRepeatCount=` or the positional count".to_string(),
            )),
            Some(v @ (Value::Int(_) | Value::Real(_))) if is_raw_repeat_count(v) => Some((
                "this count has another meaning in Python",
                format!(
                    "Python's `range()` {}; write `range(WFRepeatCount={})` for a Repeat \
                     action that holds this count",
                    if matches!(v, Value::Int(n) if n.get() < 0)
                        || matches!(v, Value::Real(r) if *r < 0.0)
                    {
                        "runs zero times for a negative count"
                    } else {
                        "takes whole numbers (`int()` truncates)"
                    },
                    match v {
                        Value::Real(r) => crate::dsl::print::real_literal(*r),
                        Value::Int(n) => n.get().to_string(),
                        _ => unreachable!("a number"),
                    }
                ),
            )),
            Some(Value::Real(_)) if !wrapped => Some((
                "`range()` takes an integer",
                "write `range(int(x))` for a real count".to_string(),
            )),
            _ => None,
        };
        if let Some((message, help)) = why {
            self.err(
                Diagnostic::new(message, e.span(), "not a Repeat count as written").help(help),
            );
        }
    }

    // -- values ----------------------------------------------------------------------------

    fn value(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Str { kind, .. } => match kind {
                StrKind::Plain(s) => Value::String(s.clone()),
                StrKind::Bytes(b) => Value::Data(b.clone()),
                StrKind::F { parts, upper } => Value::Text(self.text(parts, *upper)),
            },
            Expr::Num(n, span) => number(n).unwrap_or_else(|why| {
                self.err(Diagnostic::new("invalid number", span.clone(), why));
                Value::int(0)
            }),
            Expr::Bool(b, _) => Value::Bool(*b),
            Expr::None(span) => {
                self.err(Diagnostic::new(
                    "None is not a value here",
                    span.clone(),
                    "shortcuts have no null",
                ));
                Value::Bool(false)
            }
            Expr::List(items, _) => Value::Array(items.iter().map(|x| self.value(x)).collect()),
            Expr::Dict(pairs, _) => Value::DictField(self.dict_items(pairs)),
            Expr::Call { func, args, span } => {
                let name = match func.as_ref() {
                    Expr::Name(n, _) => n.as_str(),
                    _ => "",
                };
                match (name, args.as_slice()) {
                    ("plain", [Arg::Pos(Expr::Dict(pairs, _))]) => {
                        let mut d = Vec::new();
                        for (k, v) in pairs {
                            if let Some(k) = self.plain_string(k) {
                                let v = self.value(v);
                                d.push((k, v));
                            }
                        }
                        sort_params(&mut d);
                        Value::Dict(d)
                    }
                    (
                        "date",
                        [Arg::Pos(Expr::Str {
                            kind: StrKind::Plain(s),
                            ..
                        })],
                    ) => {
                        // The compiler writes a plist date: refuse what is not one here.
                        if plist::Date::from_xml_format(s).is_err() {
                            self.err(Diagnostic::new(
                                "invalid date",
                                span.clone(),
                                "expected an ISO 8601 date such as '2024-01-31T12:00:00Z'",
                            ));
                        }
                        Value::Date(s.clone())
                    }
                    ("ref", [Arg::Pos(inner)]) => match self.var_ref(inner) {
                        Some(r) => Value::VarRef(Box::new(r)),
                        None => Value::Bool(false),
                    },
                    (
                        "float",
                        [Arg::Pos(Expr::Str {
                            kind: StrKind::Plain(s),
                            ..
                        })],
                    ) => match s.as_str() {
                        "nan" => Value::Real(f64::NAN),
                        "inf" => Value::Real(f64::INFINITY),
                        "-inf" => Value::Real(f64::NEG_INFINITY),
                        _ => {
                            self.err(Diagnostic::new(
                                "float() takes 'nan', 'inf' or '-inf'",
                                span.clone(),
                                "write the number itself",
                            ));
                            Value::Real(0.0)
                        }
                    },
                    (
                        "serialized",
                        [Arg::Pos(Expr::Str {
                            kind: StrKind::Plain(k),
                            ..
                        }), Arg::Pos(v)],
                    ) => Value::Serialized {
                        kind: k.clone(),
                        value: Box::new(self.value(v)),
                    },
                    (k, [Arg::Pos(v)]) if k.starts_with("WF") && !k.contains('_') => {
                        let value = self.value(v);
                        // How a text prints when its variables cannot stand in an f-string.
                        if k == "WFTextTokenString" {
                            if let Some(t) = Text::from_serialized(&value) {
                                return Value::Text(t);
                            }
                        }
                        Value::Serialized {
                            kind: k.to_string(),
                            value: Box::new(value),
                        }
                    }
                    (f, _) if !is_value_builtin(f) || f == "action" => {
                        self.err(
                            Diagnostic::new(
                                "an action call cannot be nested inside an argument",
                                span.clone(),
                                "actions run as statements",
                            )
                            .help("assign it first: `result = ...(...)`, then pass `result`"),
                        );
                        Value::Bool(false)
                    }
                    _ => match self.var_ref(e) {
                        Some(r) => Value::Attachment(Box::new(r)),
                        None => Value::Bool(false),
                    },
                }
            }
            _ => match self.var_ref(e) {
                Some(r) => Value::Attachment(Box::new(r)),
                None => Value::Bool(false),
            },
        }
    }

    fn text(&mut self, parts: &[FPart], upper: bool) -> Text {
        let mut t = Text {
            parts: Vec::new(),
            empty_ranges: upper,
        };
        for p in parts {
            match p {
                FPart::Lit(l) => match t.parts.last_mut() {
                    Some(TextPart::Lit(prev)) => prev.push_str(l),
                    _ => t.parts.push(TextPart::Lit(l.clone())),
                },
                FPart::Expr(e) => {
                    if let Some(r) = self.var_ref(e) {
                        t.parts.push(TextPart::Var(r));
                    }
                }
            }
        }
        t.parts
            .retain(|p| !matches!(p, TextPart::Lit(l) if l.is_empty()));
        t
    }

    fn item_text(&mut self, e: &Expr) -> Text {
        match e {
            Expr::Str {
                kind: StrKind::Plain(s),
                ..
            } => {
                let mut t = Text::lit(s.clone());
                t.parts
                    .retain(|p| !matches!(p, TextPart::Lit(l) if l.is_empty()));
                t
            }
            Expr::Str {
                kind: StrKind::F { parts, upper },
                ..
            } => self.text(parts, *upper),
            // A text whose variables cannot stand in an f-string prints serialized.
            other
                if other
                    .as_call()
                    .is_some_and(|(f, _)| f == "WFTextTokenString") =>
            {
                if let Value::Text(t) = self.value(other) {
                    return t;
                }
                self.err(Diagnostic::new(
                    "expected a text",
                    other.span(),
                    "not a text token string",
                ));
                Text::default()
            }
            other => {
                // A variable alone stands for a text holding just it.
                match self.var_ref(other) {
                    Some(r) => Text {
                        parts: vec![TextPart::Var(r)],
                        empty_ranges: false,
                    },
                    None => Text::default(),
                }
            }
        }
    }

    fn dict_items(&mut self, pairs: &[(Expr, Expr)]) -> Vec<DictItem> {
        let mut out = Vec::new();
        for (k, v) in pairs {
            let key = self.item_text(k);
            let value = self.item_value(v);
            out.push(DictItem { key, value });
        }
        out
    }

    /// A dictionary entry's value: the literal's form gives its item type.
    fn item_value(&mut self, v: &Expr) -> DictItemValue {
        match v {
            Expr::Str { .. } => DictItemValue::Text(self.item_text(v)),
            Expr::Num(n, _) => DictItemValue::Number(Text::lit(n.clone())),
            Expr::Bool(b, _) => DictItemValue::Bool(Value::Bool(*b)),
            Expr::Dict(p, _) => DictItemValue::Dict(self.dict_items(p)),
            Expr::List(items, _) => DictItemValue::Array(
                items
                    .iter()
                    .map(|x| match x.as_call() {
                        Some(("plain", [Arg::Pos(inner)])) => ArrayItem::Plain(self.value(inner)),
                        _ => ArrayItem::Typed(self.item_value(x)),
                    })
                    .collect(),
            ),
            Expr::Call { args, .. } if v.as_call().is_some_and(|(f, _)| f == "number") => {
                match args.as_slice() {
                    [Arg::Pos(t)] => DictItemValue::Number(self.item_text(t)),
                    _ => DictItemValue::Number(Text::default()),
                }
            }
            Expr::Call { args, .. } if v.as_call().is_some_and(|(f, _)| f == "boolean") => {
                match args.as_slice() {
                    [Arg::Pos(x)] => DictItemValue::Bool(self.value(x)),
                    _ => DictItemValue::Bool(Value::Bool(false)),
                }
            }
            other => DictItemValue::Text(self.item_text(other)),
        }
    }

    /// A variable expression: a name or special variable with aggrandizements.
    fn var_ref(&mut self, e: &Expr) -> Option<VarRef> {
        let bad = |e: &Expr| {
            Diagnostic::new(
                "expected a variable",
                e.span(),
                "a name, a special variable such as `shortcut_input()`, or one refined by `[...]`, `.Property` or `coerce_variable(...)`",
            )
        };
        match e {
            Expr::Name(n, span) => {
                let var = self.resolve(n, span)?;
                Some(VarRef {
                    var,
                    aggr: Vec::new(),
                    span: SrcSpan(Some(span.clone())),
                })
            }
            Expr::Sub { base, index, .. } => {
                let mut r = self.var_ref(base)?;
                let k = self.plain_string(index)?;
                r.aggr.push(Aggr::DictKey(k));
                Some(r)
            }
            Expr::Attr { base, name, .. } => {
                let mut r = self.var_ref(base)?;
                r.aggr.push(Aggr::Property {
                    name: name.replace('_', " "),
                    user_info: None,
                });
                Some(r)
            }
            Expr::Call { args, span, .. } => {
                let Some((f, _)) = e.as_call() else {
                    self.err(bad(e));
                    return None;
                };
                let simple = |v: Var| {
                    Some(VarRef {
                        var: v,
                        aggr: Vec::new(),
                        span: SrcSpan(Some(span.clone())),
                    })
                };
                match (f, args.as_slice()) {
                    ("shortcut_input", []) => simple(Var::ShortcutInput),
                    // WorkflowBench writes the shortcut's input as `input("...")`.
                    ("input", [Arg::Pos(Expr::Str { .. })]) => simple(Var::ShortcutInput),
                    ("action_input", []) => simple(Var::ActionInput),
                    ("clipboard", []) => simple(Var::Clipboard),
                    ("current_date", []) => simple(Var::CurrentDate),
                    ("device_details", []) => simple(Var::DeviceDetails),
                    ("ask", []) => simple(Var::Ask { prompt: None }),
                    ("ask", [Arg::Kw(k, p, _)]) if k == "prompt" => {
                        let p = self.plain_string(p)?;
                        simple(Var::Ask { prompt: Some(p) })
                    }
                    ("named", [Arg::Pos(inner), Arg::Pos(n)]) => {
                        let mut r = self.var_ref(inner)?;
                        let new_name = match n {
                            Expr::None(_) => None,
                            other => Some(self.plain_string(other)?),
                        };
                        if let Var::ActionOutput { name, .. } = &mut r.var {
                            *name = new_name;
                        }
                        Some(r)
                    }
                    ("with_uuid", [Arg::Pos(inner), Arg::Pos(n)]) => {
                        let mut r = self.var_ref(inner)?;
                        let new_uuid = match n {
                            Expr::Num(i, _) => Some(self.var_uuid(i.parse().unwrap_or(0))),
                            _ => None,
                        };
                        if let Var::Named { uuid, .. } = &mut r.var {
                            *uuid = new_uuid;
                        }
                        Some(r)
                    }
                    ("coerce_variable", [Arg::Kw(a, v, _), Arg::Kw(b, c, _)])
                        if a == "value" && b == "coercion_class" =>
                    {
                        let mut r = self.var_ref(v)?;
                        let c = self.plain_string(c)?;
                        r.aggr.push(Aggr::Coerce(c));
                        Some(r)
                    }
                    ("get_property", [Arg::Pos(v), Arg::Pos(n), rest @ ..]) if rest.len() <= 1 => {
                        let mut r = self.var_ref(v)?;
                        let name = self.plain_string(n)?;
                        let user_info = match rest {
                            [Arg::Pos(u)] => Some(self.value(u)),
                            _ => None,
                        };
                        r.aggr.push(Aggr::Property { name, user_info });
                        Some(r)
                    }
                    ("format_date" | "aggrandize", [Arg::Pos(v), rest @ ..]) => {
                        let mut r = self.var_ref(v)?;
                        let mut p = Vec::new();
                        if f == "format_date" {
                            p.push((
                                "Type".to_string(),
                                Value::String("WFDateFormatVariableAggrandizement".into()),
                            ));
                        }
                        p.extend(self.kwargs(rest, &[]));
                        sort_params(&mut p);
                        r.aggr.push(Aggr::Other(p));
                        Some(r)
                    }
                    _ => {
                        let mut d = bad(e);
                        d.span = span.clone();
                        if !is_value_builtin(f) {
                            d = Diagnostic::new(
                                "an action call cannot be nested inside an argument",
                                span.clone(),
                                "actions run as statements",
                            )
                            .help("assign it first: `result = ...(...)`, then use `result`");
                        }
                        self.err(d);
                        None
                    }
                }
            }
            other => {
                self.err(bad(other));
                None
            }
        }
    }
}

/// `src` with every `\r\n` and lone `\r` written `\n`, and where the `\r` of each
/// `\r\n` was dropped: the offset, in the result, of the `\n` that followed it.
fn normalize_newlines(src: &str) -> (String, Vec<usize>) {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut dropped = Vec::new();
    let mut last = 0;
    for (i, _) in src.match_indices('\r') {
        out.push_str(&src[last..i]);
        if b.get(i + 1) == Some(&b'\n') {
            dropped.push(out.len());
        } else {
            out.push('\n');
        }
        last = i + 1;
    }
    out.push_str(&src[last..]);
    (out, dropped)
}

/// Moves the spans of a parse of normalized text back onto the original source, given
/// where [`normalize_newlines`] dropped a `\r`.
fn remap_spans(parsed: &mut Parsed, dropped: &[usize]) {
    // A start at a `\n` is that `\n` (after its `\r`); an end there stops before the `\r`.
    let start = |n: usize| n + dropped.partition_point(|&p| p <= n);
    let end = |n: usize| n + dropped.partition_point(|&p| p < n);
    let range = |r: &mut std::ops::Range<usize>| {
        let s = start(r.start);
        *r = s..end(r.end).max(s);
    };
    for d in parsed.errors.iter_mut().chain(parsed.undefined.iter_mut()) {
        range(&mut d.span);
    }
    walk::walk_workflow_mut(&mut parsed.workflow, &mut |item| match item {
        walk::ItemMut::Action(a) => {
            if let Some(r) = &mut a.span.0 {
                range(r);
            }
            for (_, k, v) in &mut a.param_spans.0 {
                range(k);
                range(v);
            }
        }
        walk::ItemMut::Ref(r) => {
            if let Some(r) = &mut r.span.0 {
                range(r);
            }
        }
        _ => {}
    });
}

/// A number literal's value, or why it has none in a shortcut. Plists hold integers from
/// -2^63 to 2^64-1 and finite reals; Python's meaning of anything outside (a big integer,
/// `1e999999` as infinity) cannot be kept, so it is an error rather than a clamp.
fn number(n: &str) -> Result<Value, &'static str> {
    if n.contains(['.', 'e', 'E']) {
        match n.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Real(f)),
            Ok(_) => Err(
                "too large for a float: Python reads it as infinity; write float('inf') for that",
            ),
            Err(_) => Err("not a number"),
        }
    } else {
        match n.parse::<i128>() {
            Ok(i) if i >= i128::from(i64::MIN) && i <= i128::from(u64::MAX) => Ok(Value::int(i)),
            _ => Err("out of range: shortcuts hold integers from -2**63 to 2**64-1"),
        }
    }
}

/// Generic calls of setvariable and comment read as the statements the lifter makes.
fn simple_stmt(a: Action) -> Stmt {
    crate::ir::simple_stmt(a)
}

/// `WFControlFlowMode=None` in a block's head: its start action has no mode (old files).
fn is_implicit_start(a: &Arg) -> bool {
    matches!(a, Arg::Kw(k, Expr::None(_), _) if k == "WFControlFlowMode")
}

fn implicit_in(call: &Expr) -> bool {
    call.as_call()
        .is_some_and(|(f, args)| f == "condition" && args.iter().any(is_implicit_start))
}

/// `__uuid__='''...'''`: an output UUID that untyped data refers to by its text.
fn forced_uuid(call: &Expr) -> Option<String> {
    let (_, args) = call.as_call()?;
    args.iter().find_map(|a| match a {
        Arg::Kw(
            k,
            Expr::Str {
                kind: StrKind::Plain(s),
                ..
            },
            _,
        ) if k == "__uuid__" => Some(s.clone()),
        _ => None,
    })
}
