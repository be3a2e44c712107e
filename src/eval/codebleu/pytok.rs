//! Python 3.11's pure-Python `tokenize`, as far as `codebleu`'s comment and docstring removal can
//! tell: the reference strips comments through `tokenize.generate_tokens`, and when that raises
//! (unterminated triple-quoted string, unclosed bracket at end of file, bad dedent) it scores the
//! source unchanged. So both the token stream and the places where it fails must match.
//!
//! Only the token kinds the strippers look at are told apart; names, numbers, operators and
//! error tokens are all `Other` (their text is copied unchanged either way).

/// Why tokenizing failed (the reference then keeps the source as it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokError {
    MultiLineString,
    MultiLineStatement,
    Dedent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Comment,
    Newline,
    Nl,
    Indent,
    Dedent,
    Other,
    EndMarker,
}

/// One token: kind, text, (line, column) of start and end; lines from 1, columns in chars.
pub struct Tok<'a> {
    pub kind: Kind,
    pub text: &'a [char],
    pub start: (usize, usize),
    pub end: (usize, usize),
}

const TABSIZE: usize = 8;

fn is_prefix(p: &[char]) -> bool {
    let lower: String = p.iter().map(|c| c.to_ascii_lowercase()).collect();
    matches!(
        lower.as_str(),
        "" | "b" | "r" | "u" | "f" | "br" | "rb" | "fr" | "rf"
    )
}

/// A string prefix (possibly empty) at `p` followed by a quote: (quote position, quote char).
fn string_open(line: &[char], p: usize) -> Option<(usize, char)> {
    for len in 0..=2 {
        let q = p + len;
        if q >= line.len() {
            return None;
        }
        if (line[q] == '\'' || line[q] == '"') && is_prefix(&line[p..q]) {
            return Some((q, line[q]));
        }
        if !line[q].is_ascii_alphabetic() {
            return None;
        }
    }
    None
}

/// Python's `\w` for str patterns.
fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

fn digitpart(l: &[char], p: usize) -> Option<usize> {
    if !l.get(p)?.is_ascii_digit() {
        return None;
    }
    let mut q = p + 1;
    loop {
        if l.get(q) == Some(&'_') && l.get(q + 1).is_some_and(|c| c.is_ascii_digit()) {
            q += 2;
        } else if l.get(q).is_some_and(|c| c.is_ascii_digit()) {
            q += 1;
        } else {
            return Some(q);
        }
    }
}

fn exponent(l: &[char], p: usize) -> Option<usize> {
    if !matches!(l.get(p), Some('e' | 'E')) {
        return None;
    }
    let q = if matches!(l.get(p + 1), Some('+' | '-')) {
        p + 2
    } else {
        p + 1
    };
    digitpart(l, q)
}

fn pointfloat(l: &[char], p: usize) -> Option<usize> {
    let base = if let Some(d) = digitpart(l, p) {
        if l.get(d) == Some(&'.') {
            digitpart(l, d + 1).unwrap_or(d + 1)
        } else {
            return None;
        }
    } else if l.get(p) == Some(&'.') {
        digitpart(l, p + 1)?
    } else {
        return None;
    };
    Some(exponent(l, base).unwrap_or(base))
}

fn floatnumber(l: &[char], p: usize) -> Option<usize> {
    pointfloat(l, p).or_else(|| exponent(l, digitpart(l, p)?))
}

fn with_j(l: &[char], e: Option<usize>) -> Option<usize> {
    let e = e?;
    matches!(l.get(e), Some('j' | 'J')).then_some(e + 1)
}

fn radix(l: &[char], p: usize, marks: [char; 2], ok: fn(char) -> bool) -> Option<usize> {
    if l.get(p) != Some(&'0') || !l.get(p + 1).is_some_and(|c| marks.contains(c)) {
        return None;
    }
    let mut q = p + 2;
    let start = q;
    loop {
        if l.get(q) == Some(&'_') && l.get(q + 1).is_some_and(|&c| ok(c)) {
            q += 2;
        } else if l.get(q).is_some_and(|&c| ok(c)) {
            q += 1;
        } else {
            break;
        }
    }
    (q > start).then_some(q)
}

fn intnumber(l: &[char], p: usize) -> Option<usize> {
    radix(l, p, ['x', 'X'], |c| c.is_ascii_hexdigit())
        .or_else(|| radix(l, p, ['b', 'B'], |c| c == '0' || c == '1'))
        .or_else(|| radix(l, p, ['o', 'O'], |c| ('0'..='7').contains(&c)))
        .or_else(|| match l.get(p) {
            Some('0') => {
                let mut q = p + 1;
                loop {
                    if l.get(q) == Some(&'_') && l.get(q + 1) == Some(&'0') {
                        q += 2;
                    } else if l.get(q) == Some(&'0') {
                        q += 1;
                    } else {
                        return Some(q);
                    }
                }
            }
            Some('1'..='9') => digitpart(l, p),
            _ => None,
        })
}

/// `Number` of tokenize.py: the first alternative that matches, as the regex tries them.
fn number(l: &[char], p: usize) -> Option<usize> {
    with_j(l, digitpart(l, p))
        .or_else(|| with_j(l, floatnumber(l, p)))
        .or_else(|| floatnumber(l, p))
        .or_else(|| intnumber(l, p))
}

const OPS3: [&str; 5] = ["**=", "...", "//=", "<<=", ">>="];
const OPS2: [&str; 19] = [
    "!=", "%=", "&=", "**", "*=", "+=", "-=", "->", "//", "/=", ":=", "<<", "<=", "==", ">=", ">>",
    "@=", "^=", "|=",
];
const OPS1: &str = "%&()*+,-./:;<=>@[]^{|}~";

fn special(l: &[char], p: usize) -> Option<usize> {
    let at = |n: usize| -> String { l[p..(p + n).min(l.len())].iter().collect() };
    if OPS3.contains(&at(3).as_str()) {
        return Some(p + 3);
    }
    if OPS2.contains(&at(2).as_str()) {
        return Some(p + 2);
    }
    OPS1.contains(l[p]).then_some(p + 1)
}

/// End of a single-line string opened at quote `q` (`ContStr`): `Ok(end, continued)`.
fn cont_str(l: &[char], q: usize) -> Option<(usize, bool)> {
    let quote = l[q];
    let mut i = q + 1;
    while i < l.len() {
        let c = l[i];
        if c == '\n' {
            return None;
        }
        if c == quote {
            return Some((i + 1, false));
        }
        if c == '\\' {
            match (l.get(i + 1), l.get(i + 2)) {
                (Some('\n'), _) => return Some((i + 2, true)),
                (Some('\r'), Some('\n')) => return Some((i + 3, true)),
                (Some(_), _) => i += 2,
                (None, _) => return None,
            }
            continue;
        }
        i += 1;
    }
    None
}

/// Where a string's tail ends on `l` from `p`: `Single`/`Double` (one quote) or the triple
/// forms. A backslash before the line's newline stops the match (`\\.` does not match `\n`).
fn end_match(l: &[char], p: usize, quote: char, triple: bool) -> Option<usize> {
    let mut i = p;
    while i < l.len() {
        let c = l[i];
        if c == '\\' {
            match l.get(i + 1) {
                Some('\n') | None => return None,
                Some(_) => i += 2,
            }
            continue;
        }
        if c == quote {
            if !triple {
                return Some(i + 1);
            }
            if l.get(i + 1) == Some(&quote) && l.get(i + 2) == Some(&quote) {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

struct Cont {
    text: Vec<char>,
    start: (usize, usize),
    quote: char,
    triple: bool,
    needcont: bool,
}

/// Tokenizes `src` as Python 3.11's `tokenize.generate_tokens(StringIO(src).readline)`.
pub fn tokenize(src: &str, mut emit: impl FnMut(Tok)) -> Result<(), TokError> {
    let mut lines = src.split_inclusive('\n');
    let mut lnum = 0usize;
    let mut parenlev: i64 = 0;
    let mut continued = false;
    let mut indents = vec![0usize];
    let mut cont: Option<Cont> = None;
    let mut line: Vec<char> = Vec::new();
    let mut last_line: Vec<char>;
    loop {
        last_line = std::mem::take(&mut line);
        line = lines
            .next()
            .map(|l| l.chars().collect())
            .unwrap_or_default();
        lnum += 1;
        let mut pos = 0usize;
        let max = line.len();
        if let Some(c) = cont.as_mut() {
            if line.is_empty() {
                return Err(TokError::MultiLineString);
            }
            if let Some(end) = end_match(&line, 0, c.quote, c.triple) {
                c.text.extend_from_slice(&line[..end]);
                emit(Tok {
                    kind: Kind::String,
                    text: &c.text,
                    start: c.start,
                    end: (lnum, end),
                });
                cont = None;
                pos = end;
            } else if c.needcont
                && !line.ends_with(&['\\', '\n'])
                && !line.ends_with(&['\\', '\r', '\n'])
            {
                c.text.extend_from_slice(&line);
                emit(Tok {
                    kind: Kind::Other,
                    text: &c.text,
                    start: c.start,
                    end: (lnum, line.len()),
                });
                cont = None;
                continue;
            } else {
                c.text.extend_from_slice(&line);
                continue;
            }
        } else if parenlev == 0 && !continued {
            if line.is_empty() {
                break;
            }
            let mut column = 0usize;
            while pos < max {
                match line[pos] {
                    ' ' => column += 1,
                    '\t' => column = (column / TABSIZE + 1) * TABSIZE,
                    '\x0c' => column = 0,
                    _ => break,
                }
                pos += 1;
            }
            if pos == max {
                break;
            }
            if matches!(line[pos], '#' | '\r' | '\n') {
                if line[pos] == '#' {
                    let mut e = max;
                    while e > pos && matches!(line[e - 1], '\r' | '\n') {
                        e -= 1;
                    }
                    emit(Tok {
                        kind: Kind::Comment,
                        text: &line[pos..e],
                        start: (lnum, pos),
                        end: (lnum, e),
                    });
                    pos = e;
                }
                emit(Tok {
                    kind: Kind::Nl,
                    text: &line[pos..],
                    start: (lnum, pos),
                    end: (lnum, max),
                });
                continue;
            }
            if column > *indents.last().unwrap_or(&0) {
                indents.push(column);
                emit(Tok {
                    kind: Kind::Indent,
                    text: &line[..pos],
                    start: (lnum, 0),
                    end: (lnum, pos),
                });
            }
            while column < *indents.last().unwrap_or(&0) {
                if !indents.contains(&column) {
                    return Err(TokError::Dedent);
                }
                indents.pop();
                emit(Tok {
                    kind: Kind::Dedent,
                    text: &[],
                    start: (lnum, pos),
                    end: (lnum, pos),
                });
            }
        } else {
            if line.is_empty() {
                return Err(TokError::MultiLineStatement);
            }
            continued = false;
        }

        while pos < max {
            let mut start = pos;
            while start < max && matches!(line[start], ' ' | '\x0c' | '\t') {
                start += 1;
            }
            let tok = |kind, end: usize| (kind, end);
            // PseudoToken's alternatives, in the regex's order.
            let m: Option<(Kind, usize)> = if start == max {
                Some(tok(Kind::Other, start)) // `\Z`: empty match
            } else {
                let c = line[start];
                if c == '\\' && line.get(start + 1) == Some(&'\n') {
                    continued = true;
                    pos = start + 2;
                    continue;
                } else if c == '\\'
                    && line.get(start + 1) == Some(&'\r')
                    && line.get(start + 2) == Some(&'\n')
                {
                    continued = true;
                    pos = start + 3;
                    continue;
                } else if c == '#' {
                    let mut e = start;
                    while e < max && !matches!(line[e], '\r' | '\n') {
                        e += 1;
                    }
                    Some(tok(Kind::Comment, e))
                } else if let Some((q, quote)) = string_open(&line, start).filter(|&(q, quote)| {
                    line.get(q + 1) == Some(&quote) && line.get(q + 2) == Some(&quote)
                }) {
                    // Triple-quoted string.
                    let body = q + 3;
                    if let Some(e) = end_match(&line, body, quote, true) {
                        Some(tok(Kind::String, e))
                    } else {
                        cont = Some(Cont {
                            text: line[start..].to_vec(),
                            start: (lnum, start),
                            quote,
                            triple: true,
                            needcont: false,
                        });
                        break;
                    }
                } else if let Some(e) = (c.is_ascii_digit() || c == '.')
                    .then(|| number(&line, start))
                    .flatten()
                {
                    Some(tok(Kind::Other, e))
                } else if c == '\n' {
                    let k = if parenlev > 0 {
                        Kind::Nl
                    } else {
                        Kind::Newline
                    };
                    Some(tok(k, start + 1))
                } else if c == '\r' && line.get(start + 1) == Some(&'\n') {
                    let k = if parenlev > 0 {
                        Kind::Nl
                    } else {
                        Kind::Newline
                    };
                    Some(tok(k, start + 2))
                } else if let Some(e) = special(&line, start) {
                    match c {
                        '(' | '[' | '{' => parenlev += 1,
                        ')' | ']' | '}' => parenlev -= 1,
                        _ => {}
                    }
                    Some(tok(Kind::Other, e))
                } else if let Some((e, more)) =
                    string_open(&line, start).and_then(|(q, _)| cont_str(&line, q))
                {
                    if more {
                        let quote = string_open(&line, start).map(|x| x.1).unwrap_or('\'');
                        cont = Some(Cont {
                            text: line[start..].to_vec(),
                            start: (lnum, start),
                            quote,
                            triple: false,
                            needcont: true,
                        });
                        break;
                    }
                    Some(tok(Kind::String, e))
                } else if is_word(c) {
                    let mut e = start + 1;
                    while e < max && is_word(line[e]) {
                        e += 1;
                    }
                    // A `\w` char that cannot start a name (e.g. `²`) is an OP token: text
                    // either way.
                    Some(tok(Kind::Other, e))
                } else {
                    None
                }
            };
            match m {
                Some((kind, end)) => {
                    pos = end;
                    if start == end {
                        continue;
                    }
                    emit(Tok {
                        kind,
                        text: &line[start..end],
                        start: (lnum, start),
                        end: (lnum, end),
                    });
                }
                None => {
                    emit(Tok {
                        kind: Kind::Other,
                        text: &line[pos..pos + 1],
                        start: (lnum, pos),
                        end: (lnum, pos + 1),
                    });
                    pos += 1;
                }
            }
        }
    }
    if let Some(&lc) = last_line.last() {
        let s: String = last_line.iter().collect();
        if lc != '\r' && lc != '\n' && !py_strip(&s).starts_with('#') {
            let n = last_line.len();
            emit(Tok {
                kind: Kind::Newline,
                text: &[],
                start: (lnum - 1, n),
                end: (lnum - 1, n + 1),
            });
        }
    }
    for _ in 1..indents.len() {
        emit(Tok {
            kind: Kind::Dedent,
            text: &[],
            start: (lnum, 0),
            end: (lnum, 0),
        });
    }
    emit(Tok {
        kind: Kind::EndMarker,
        text: &[],
        start: (lnum, 0),
        end: (lnum, 0),
    });
    Ok(())
}

/// Rebuilds source from tokens as `remove_comments_and_docstrings` does, keeping strings that
/// `keep_string(prev kind, start column)` accepts, and drops whitespace-only lines.
fn rebuild(src: &str, keep_string: impl Fn(Kind, usize) -> bool) -> Result<String, TokError> {
    let mut out = String::with_capacity(src.len());
    let mut prev = Kind::Indent;
    let mut last_lineno: isize = -1;
    let mut last_col = 0usize;
    tokenize(src, |t| {
        if t.start.0 as isize > last_lineno {
            last_col = 0;
        }
        if t.start.1 > last_col {
            out.extend(std::iter::repeat_n(' ', t.start.1 - last_col));
        }
        match t.kind {
            Kind::Comment => {}
            Kind::String => {
                if keep_string(prev, t.start.1) {
                    out.extend(t.text.iter());
                }
            }
            _ => out.extend(t.text.iter()),
        }
        prev = t.kind;
        last_col = t.end.1;
        last_lineno = t.end.0 as isize;
    })?;
    let kept: Vec<&str> = out
        .split('\n')
        .filter(|l| !py_strip(l).is_empty())
        .collect();
    Ok(kept.join("\n"))
}

/// `codebleu`'s `remove_comments_and_docstrings(source, "python")`: comments go, and so does a
/// string token that follows an INDENT or NEWLINE token or starts at column 0. On a tokenizer
/// error the reference keeps the source unchanged; so does this.
pub fn remove_comments_and_docstrings(src: &str) -> String {
    rebuild(src, |prev, col| {
        prev != Kind::Indent && prev != Kind::Newline && col > 0
    })
    .unwrap_or_else(|_| src.to_string())
}

/// Removes real comments only (strings, docstrings and `#` inside strings stay), dropping lines
/// left blank. `Err` when the tokenizer gives up (unterminated string, unclosed bracket).
pub fn strip_python_comments(src: &str) -> Result<String, TokError> {
    rebuild(src, |_, _| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_docstrings_go() {
        let src = "def f(x):\n    \"\"\"doc\"\"\"\n    # note\n    return x  # why\n'''top'''\ny = '#not'\n";
        assert_eq!(
            remove_comments_and_docstrings(src),
            "def f(x):\n    return x  \ny = '#not'"
        );
    }

    #[test]
    fn tokenizer_failures_keep_the_source() {
        for src in ["x = (1,\n# c\n", "s = '''open\n", "if x:\n    a\n  b\n"] {
            assert_eq!(remove_comments_and_docstrings(src), src);
        }
    }

    #[test]
    fn python_strip_keeps_hashes_in_strings() {
        let src = "# head\nurl = 'a#b'  # tail\n";
        assert_eq!(strip_python_comments(src).unwrap(), "url = 'a#b'  ");
    }
}
