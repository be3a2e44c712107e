//! Syntax of one logical line, from the pest grammar, with byte spans into the file.

use super::diag::Diagnostic;
use pest::iterators::Pair;
use pest::Parser as _;
use std::cell::Cell;
use std::ops::Range;

/// Deepest expression tree accepted on one line: every bracketed list, dict, call or
/// subscript and every `.name`, `[...]` or `(...)` after a value adds a level. The printer,
/// the name resolver, the compiler and the checker recurse once per level, so this bound
/// (with the block depth) is what keeps them within the stack. Bracket nesting alone is
/// bounded lower by the line splitter; long postfix chains (`x.a.a.a...`) are bounded here.
pub const MAX_EXPR_DEPTH: usize = 256;

/// Deepest bracket nesting inside one f-string expression. F-strings nest at most four
/// deep (one per quote style), and the grammar recurses per bracket: four times this stays
/// within the line's bracket bound.
pub const MAX_FSTRING_BRACKET_DEPTH: usize = super::layout::MAX_BRACKET_DEPTH / 4;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/workflow.pest"]
pub struct Grammar;

pub type Span = Range<usize>;

#[derive(Debug, Clone)]
pub enum Expr {
    Str {
        kind: StrKind,
        span: Span,
    },
    /// The literal's source text, so numbers keep their spelling.
    Num(String, Span),
    Bool(bool, Span),
    None(Span),
    List(Vec<Expr>, Span),
    Dict(Vec<(Expr, Expr)>, Span),
    Name(String, Span),
    Call {
        func: Box<Expr>,
        args: Vec<Arg>,
        span: Span,
    },
    Sub {
        base: Box<Expr>,
        index: Box<Expr>,
        span: Span,
    },
    Attr {
        base: Box<Expr>,
        name: String,
        span: Span,
    },
    Not(Box<Expr>, Span),
    Cmp {
        op: String,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
    },
}

#[derive(Debug, Clone)]
pub enum StrKind {
    Plain(String),
    Bytes(Vec<u8>),
    /// An f-string; `upper` is the `F` prefix.
    F {
        parts: Vec<FPart>,
        upper: bool,
    },
}

#[derive(Debug, Clone)]
pub enum FPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub enum Arg {
    Pos(Expr),
    Kw(String, Expr, Span),
    Star(Vec<(Expr, Expr)>, Span),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Str { span, .. }
            | Expr::Num(_, span)
            | Expr::Bool(_, span)
            | Expr::None(span)
            | Expr::List(_, span)
            | Expr::Dict(_, span)
            | Expr::Name(_, span)
            | Expr::Call { span, .. }
            | Expr::Sub { span, .. }
            | Expr::Attr { span, .. }
            | Expr::Not(_, span)
            | Expr::Cmp { span, .. } => span.clone(),
        }
    }

    /// `f(...)` where `f` is a plain name: its name and arguments.
    pub fn as_call(&self) -> Option<(&str, &[Arg])> {
        match self {
            Expr::Call { func, args, .. } => match func.as_ref() {
                Expr::Name(n, _) => Some((n, args)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One logical line's statement.
#[derive(Debug, Clone)]
pub enum LineStmt {
    If(Expr),
    Else,
    Match(Expr),
    Case(Case),
    ForRange {
        targets: Vec<String>,
        call: Expr,
    },
    ForEach {
        targets: Vec<String>,
        call: Expr,
    },
    Pass,
    Append {
        name: String,
        name_span: Span,
        value: Expr,
    },
    Assign {
        name: String,
        name_span: Span,
        annot: Option<Expr>,
        value: Expr,
    },
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub enum Case {
    Title(Expr),
    Guard(Expr),
    Any,
}

/// Parses one logical line found at `offset` in the file.
pub fn parse_line(text: &str, offset: usize) -> Result<LineStmt, Diagnostic> {
    let mut pairs = Grammar::parse(Rule::line, text).map_err(|e| pest_error(e, text, offset))?;
    let line = pairs.next().expect("line rule");
    let stmt = line.into_inner().next().expect("statement");
    Conv::new(offset, 0).statement(stmt)
}

/// Parses an f-string's expression found `depth` levels down an expression tree.
fn parse_expr_at(text: &str, offset: usize, depth: usize) -> Result<Expr, Diagnostic> {
    let mut pairs =
        Grammar::parse(Rule::expr_only, text).map_err(|e| pest_error(e, text, offset))?;
    let e = pairs
        .next()
        .expect("expr_only")
        .into_inner()
        .next()
        .expect("expr");
    Conv::new(offset, depth).expr(e)
}

fn rule_name(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::expr | Rule::postfix | Rule::comparison => "an expression",
        Rule::string => "a string",
        Rule::ident => "a name",
        Rule::number => "a number",
        Rule::call_args => "`(`",
        Rule::comp_op => "a comparison",
        Rule::arg | Rule::kwarg => "an argument",
        Rule::pair => "a `key: value` pair",
        Rule::EOI => "the end of the line",
        Rule::statement | Rule::line => "a statement",
        Rule::kw_in => "`in`",
        Rule::subscript | Rule::attribute => "`[` or `.`",
        _ => return None,
    })
}

fn pest_error(e: pest::error::Error<Rule>, text: &str, offset: usize) -> Diagnostic {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(rule_name).collect();
            names.sort();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let found = text[pos..].chars().next();
    let message = match found {
        Some(c) => format!("unexpected `{}`", c.escape_debug()),
        None => "unexpected end of line".to_string(),
    };
    let label = if expected.is_empty() {
        "not valid here".to_string()
    } else {
        format!("expected {}", expected.join(" or "))
    };
    let mut d = Diagnostic::new(message, offset + pos..offset + pos + 1, label);
    // A misspelled keyword at the start of the line is the most common slip.
    let word: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if let Some(k) =
        super::diag::did_you_mean(&word, ["if", "else", "match", "case", "for", "pass"])
    {
        if k != word {
            d = d.help(format!("did you mean `{k}`?"));
        }
    }
    if text[..pos].trim_start().starts_with("elif") || word == "elif" {
        d = d.help("`elif` is not part of the DSL: nest an `if` inside `else:`");
    }
    d
}

struct Conv {
    offset: usize,
    /// Depth of the expression tree being built, counted before a level is built so that
    /// nothing deeper than [`MAX_EXPR_DEPTH`] is ever made (even dropping one recurses).
    depth: Cell<usize>,
}

impl Conv {
    fn new(offset: usize, depth: usize) -> Self {
        Conv {
            offset,
            depth: Cell::new(depth),
        }
    }

    /// Enters `n` levels of the expression tree at `span`; [`Conv::leave`] undoes it.
    fn enter(&self, n: usize, span: Span) -> Result<(), Diagnostic> {
        let d = self.depth.get() + n;
        if d > MAX_EXPR_DEPTH {
            return Err(Diagnostic::new(
                format!("expression nested deeper than {MAX_EXPR_DEPTH}"),
                span,
                "too deep",
            )
            .help(
                "each bracket, call, subscript and `.name` adds a level: \
                 assign a part to a variable first",
            ));
        }
        self.depth.set(d);
        Ok(())
    }

    fn leave(&self, n: usize) {
        self.depth.set(self.depth.get() - n);
    }

    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        self.offset + s.start()..self.offset + s.end()
    }

    fn statement(&self, p: Pair<Rule>) -> Result<LineStmt, Diagnostic> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner().filter(|x| !is_kw(x.as_rule()));
        Ok(match rule {
            Rule::if_head => LineStmt::If(self.expr(inner.next().expect("cond"))?),
            Rule::else_head => LineStmt::Else,
            Rule::match_head => LineStmt::Match(self.call(inner.next().expect("call"))?),
            Rule::case_head => {
                let c = inner.next().expect("case");
                LineStmt::Case(match c.as_rule() {
                    Rule::case_any => Case::Any,
                    Rule::case_guard => Case::Guard(
                        self.expr(
                            c.into_inner()
                                .find(|x| x.as_rule() == Rule::expr)
                                .expect("guard"),
                        )?,
                    ),
                    _ => Case::Title(self.string(c)?),
                })
            }
            Rule::for_range | Rule::for_each => {
                let mut targets = Vec::new();
                let mut call = None;
                for x in inner {
                    match x.as_rule() {
                        Rule::ident => targets.push(x.as_str().to_string()),
                        Rule::call => call = Some(self.call(x)?),
                        _ => {}
                    }
                }
                let call = call.expect("for call");
                if rule == Rule::for_range {
                    LineStmt::ForRange { targets, call }
                } else {
                    LineStmt::ForEach { targets, call }
                }
            }
            Rule::pass_stmt => LineStmt::Pass,
            Rule::append_stmt => {
                let n = inner.next().expect("name");
                LineStmt::Append {
                    name: n.as_str().to_string(),
                    name_span: self.span(&n),
                    value: self.expr(inner.next().expect("value"))?,
                }
            }
            Rule::assign => {
                let n = inner.next().expect("name");
                let a = inner.next().expect("value");
                let (annot, value) = match inner.next() {
                    Some(v) => (Some(self.expr(a)?), self.expr(v)?),
                    None => (None, self.expr(a)?),
                };
                LineStmt::Assign {
                    name: n.as_str().to_string(),
                    name_span: self.span(&n),
                    annot,
                    value,
                }
            }
            Rule::expr_stmt => LineStmt::Expr(self.expr(inner.next().expect("expr"))?),
            _ => {
                return Err(Diagnostic::new(
                    "unsupported statement",
                    span,
                    "not part of the DSL",
                ))
            }
        })
    }

    fn call(&self, p: Pair<Rule>) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = inner.next().expect("ident");
        let func = Expr::Name(name.as_str().to_string(), self.span(&name));
        self.enter(1, span.clone())?;
        let args = self.args(inner.next().expect("args"))?;
        self.leave(1);
        Ok(Expr::Call {
            func: Box::new(func),
            args,
            span,
        })
    }

    fn args(&self, p: Pair<Rule>) -> Result<Vec<Arg>, Diagnostic> {
        let mut out = Vec::new();
        for a in p.into_inner() {
            let a = a.into_inner().next().expect("arg kind");
            let span = self.span(&a);
            out.push(match a.as_rule() {
                Rule::kwarg => {
                    let mut i = a.into_inner();
                    let k = i.next().expect("key").as_str().to_string();
                    Arg::Kw(k, self.expr(i.next().expect("value"))?, span)
                }
                Rule::star_arg => {
                    let d = a.into_inner().next().expect("dict");
                    self.enter(1, span.clone())?;
                    let dict = self.primary(d)?;
                    self.leave(1);
                    match dict {
                        Expr::Dict(pairs, _) => Arg::Star(pairs, span),
                        _ => unreachable!("grammar gives a dict"),
                    }
                }
                _ => Arg::Pos(self.expr(a)?),
            });
        }
        Ok(out)
    }

    pub fn expr(&self, p: Pair<Rule>) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr => self.expr(p.into_inner().next().expect("expr body")),
            Rule::not_expr => {
                let e = p
                    .into_inner()
                    .find(|x| x.as_rule() == Rule::postfix)
                    .expect("operand");
                self.enter(1, span.clone())?;
                let e = self.expr(e)?;
                self.leave(1);
                Ok(Expr::Not(Box::new(e), span))
            }
            Rule::comparison => {
                let mut i = p.into_inner();
                let has_op = i.len() > 1;
                if has_op {
                    self.enter(1, span.clone())?;
                }
                let left = self.expr(i.next().expect("left"))?;
                match i.next() {
                    None => Ok(left),
                    Some(op) => {
                        let op_s = op.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
                        let right = self.expr(i.next().expect("right"))?;
                        self.leave(1);
                        Ok(Expr::Cmp {
                            op: op_s,
                            left: Box::new(left),
                            right: Box::new(right),
                            span,
                        })
                    }
                }
            }
            Rule::postfix => {
                let mut i = p.into_inner();
                let first = i.next().expect("primary");
                // The first operand sits as deep as the chain is long: a chain of 100,000
                // `.a` is refused here, before any of it is built.
                let n = i.len();
                if n > 0 {
                    let at = i
                        .clone()
                        .nth(MAX_EXPR_DEPTH.saturating_sub(self.depth.get()));
                    self.enter(n, at.map_or(span.clone(), |p| self.span(&p)))?;
                }
                let mut e = self.primary(first)?;
                for post in i {
                    let ps = self.span(&post);
                    let full = e.span().start..ps.end;
                    e = match post.as_rule() {
                        Rule::subscript => Expr::Sub {
                            base: Box::new(e),
                            index: Box::new(self.expr(post.into_inner().next().expect("index"))?),
                            span: full,
                        },
                        Rule::attribute => Expr::Attr {
                            base: Box::new(e),
                            name: post.into_inner().next().expect("name").as_str().to_string(),
                            span: full,
                        },
                        _ => Expr::Call {
                            func: Box::new(e),
                            args: self.args(post)?,
                            span: full,
                        },
                    };
                }
                self.leave(n);
                Ok(e)
            }
            _ => self.primary(p),
        }
    }

    fn primary(&self, p: Pair<Rule>) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            Rule::string => self.string(p)?,
            Rule::number => Expr::Num(p.as_str().to_string(), span),
            Rule::kw_true => Expr::Bool(true, span),
            Rule::kw_false => Expr::Bool(false, span),
            Rule::kw_none => Expr::None(span),
            Rule::ident => Expr::Name(p.as_str().to_string(), span),
            Rule::paren => self.expr(p.into_inner().next().expect("inner"))?,
            Rule::list => {
                self.enter(1, span.clone())?;
                let items = p
                    .into_inner()
                    .map(|x| self.expr(x))
                    .collect::<Result<_, _>>()?;
                self.leave(1);
                Expr::List(items, span)
            }
            Rule::dict => {
                self.enter(1, span.clone())?;
                let mut pairs = Vec::new();
                for pair in p.into_inner() {
                    let mut i = pair.into_inner();
                    let k = self.expr(i.next().expect("key"))?;
                    let v = self.expr(i.next().expect("value"))?;
                    pairs.push((k, v));
                }
                self.leave(1);
                Expr::Dict(pairs, span)
            }
            _ => self.expr(p)?,
        })
    }

    fn string(&self, p: Pair<Rule>) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut prefix = String::new();
        let mut body = None;
        for x in p.into_inner() {
            match x.as_rule() {
                Rule::prefix => prefix = x.as_str().to_string(),
                _ => body = Some(x),
            }
        }
        let body = body.expect("string body");
        let quote = if matches!(body.as_rule(), Rule::tri_sq | Rule::tri_dq) {
            3
        } else {
            1
        };
        let raw = body.as_str();
        let inner = &raw[quote..raw.len() - quote];
        let inner_off = self.offset + body.as_span().start() + quote;
        let lower = prefix.to_ascii_lowercase();
        let is_raw = lower.contains('r');
        let kind = if lower.contains('b') {
            if !inner.is_ascii() {
                return Err(Diagnostic::new(
                    "bytes can only contain ASCII characters",
                    span,
                    "use \\x escapes",
                ));
            }
            let s = if is_raw {
                inner.to_string()
            } else {
                unescape_bytes(inner, inner_off)?
            };
            StrKind::Bytes(s.chars().map(|c| c as u32 as u8).collect())
        } else if lower.contains('f') {
            StrKind::F {
                parts: self.fstring(inner, inner_off, is_raw)?,
                upper: prefix.contains('F'),
            }
        } else {
            StrKind::Plain(if is_raw {
                inner.to_string()
            } else {
                unescape(inner, inner_off)?
            })
        };
        Ok(Expr::Str { kind, span })
    }

    fn fstring(&self, s: &str, off: usize, raw: bool) -> Result<Vec<FPart>, Diagnostic> {
        let b = s.as_bytes();
        let mut parts = Vec::new();
        let mut lit_start = 0;
        let mut lit = String::new();
        let mut i = 0;
        let flush_lit = |lit: &mut String, from: usize, to: usize| -> Result<(), Diagnostic> {
            let piece = &s[from..to];
            lit.push_str(&if raw {
                piece.to_string()
            } else {
                unescape(piece, off + from)?
            });
            Ok(())
        };
        while i < b.len() {
            match b[i] {
                b'{' if b.get(i + 1) == Some(&b'{') => {
                    flush_lit(&mut lit, lit_start, i)?;
                    lit.push('{');
                    i += 2;
                    lit_start = i;
                }
                b'}' if b.get(i + 1) == Some(&b'}') => {
                    flush_lit(&mut lit, lit_start, i)?;
                    lit.push('}');
                    i += 2;
                    lit_start = i;
                }
                b'}' => {
                    return Err(Diagnostic::new(
                        "single `}` in f-string",
                        off + i..off + i + 1,
                        "write `}}` for a literal brace",
                    ))
                }
                b'\\' if !raw => i += 2,
                b'{' => {
                    flush_lit(&mut lit, lit_start, i)?;
                    if !lit.is_empty() {
                        parts.push(FPart::Lit(std::mem::take(&mut lit)));
                    }
                    let start = i + 1;
                    let end = expr_end(b, start).ok_or_else(|| {
                        Diagnostic::new(
                            "unclosed `{` in f-string",
                            off + i..off + i + 1,
                            "this expression has no closing `}`",
                        )
                    })?;
                    if end == usize::MAX {
                        return Err(Diagnostic::new(
                            format!(
                                "brackets nested deeper than {MAX_FSTRING_BRACKET_DEPTH} in an f-string expression"
                            ),
                            off + i..off + i + 1,
                            "too deep",
                        ));
                    }
                    if b[end] != b'}' {
                        return Err(Diagnostic::new(
                            "format specs and conversions are not supported",
                            off + end..off + end + 1,
                            "the DSL has no `!` or `:` in f-string expressions",
                        )
                        .help("apply a format with `format_date(...)` or an action instead"));
                    }
                    let e = parse_expr_at(&s[start..end], off + start, self.depth.get() + 1)?;
                    parts.push(FPart::Expr(e));
                    i = end + 1;
                    lit_start = i;
                }
                _ => i += 1,
            }
        }
        flush_lit(&mut lit, lit_start, b.len().min(s.len()))?;
        if !lit.is_empty() {
            parts.push(FPart::Lit(lit));
        }
        Ok(parts)
    }
}

/// Index of the `}` (or top-level `!`/`:`) ending an f-string expression; `usize::MAX`
/// when its brackets nest too deep to parse.
fn expr_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FSTRING_BRACKET_DEPTH {
                    return Some(usize::MAX);
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            b'!' if depth == 0 && b.get(i + 1) != Some(&b'=') => return Some(i),
            b':' if depth == 0 => return Some(i),
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_kw(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_if
            | Rule::kw_else
            | Rule::kw_match
            | Rule::kw_case
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_not
            | Rule::kw_pass
    )
}

/// Python's string escapes. Unknown escapes keep their backslash, as Python does.
pub fn unescape(s: &str, off: usize) -> Result<String, Diagnostic> {
    unescape_as(s, off, false)
}

/// Python's bytes escapes: as a string's, without `\u`, `\U` and `\N{...}`.
fn unescape_bytes(s: &str, off: usize) -> Result<String, Diagnostic> {
    unescape_as(s, off, true)
}

fn unescape_as(s: &str, off: usize, bytes: bool) -> Result<String, Diagnostic> {
    if !s.contains('\\') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = it.next() else {
            out.push('\\');
            break;
        };
        let bad = |len: usize| {
            Diagnostic::new(
                "invalid escape",
                off + i..off + i + len,
                "malformed escape sequence",
            )
        };
        let mut hex = |n: usize| -> Result<char, Diagnostic> {
            let mut v = 0u32;
            for _ in 0..n {
                let (_, h) = it.next().ok_or_else(|| bad(2))?;
                v = v * 16 + h.to_digit(16).ok_or_else(|| bad(2 + n))?;
            }
            char::from_u32(v).ok_or_else(|| bad(2 + n))
        };
        match e {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            'x' => out.push(hex(2)?),
            'u' if !bytes => out.push(hex(4)?),
            'U' if !bytes => out.push(hex(8)?),
            'N' if !bytes => {
                // `\N{BULLET}`: a character by its Unicode name (or alias), as in Python.
                let rest = &s[i + 2..];
                let close = rest.strip_prefix('{').and_then(|r| r.find('}'));
                let Some(close) = close else {
                    return Err(Diagnostic::new(
                        "malformed \\N character escape",
                        off + i..off + i + 2,
                        "expected `\\N{NAME}`",
                    ));
                };
                let name = &rest[1..1 + close];
                let len = 2 + close + 2;
                match unicode_names2::character(name) {
                    Some(c) => out.push(c),
                    None => {
                        return Err(Diagnostic::new(
                            format!("unknown Unicode character name `{name}`"),
                            off + i..off + i + len,
                            "not a character name Python knows",
                        )
                        .help("write the character itself, or `\\uXXXX`"))
                    }
                }
                // Skip `{NAME}`.
                for _ in 0..name.chars().count() + 2 {
                    it.next();
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).expect("octal digit");
                for _ in 0..2 {
                    match it.peek() {
                        Some((_, d)) if d.is_digit(8) => {
                            v = v * 8 + d.to_digit(8).expect("octal digit");
                            it.next();
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(v).ok_or_else(|| bad(2))?);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}
