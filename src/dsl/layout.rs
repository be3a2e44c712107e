//! Python's layout rules: physical lines → logical lines with indentation, own-line
//! comments and blank lines. Strings and brackets may span physical lines.

use super::diag::Diagnostic;

#[derive(Debug, Clone, PartialEq)]
pub enum LineKind {
    /// A statement: `start..end` in the source (without the trailing newline).
    Code,
    /// An own-line comment; `text` is what follows `# ` (or `#`).
    Comment(String),
    Blank,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub kind: LineKind,
    /// Indentation width, tabs to the next multiple of 8 as Python counts them.
    pub indent: usize,
    /// The width with tabs counted as one column: when comparing two lines gives another
    /// answer with this width, the indentation depends on the tab size (Python's TabError).
    pub indent_alt: usize,
    pub start: usize,
    pub end: usize,
}

/// Deepest bracket nesting in one logical line.
pub const MAX_BRACKET_DEPTH: usize = 200;

/// Splits `src` into logical lines. Errors (an unterminated string or bracket) are
/// reported and the rest of the file is dropped from that point.
pub fn split(src: &str) -> (Vec<Line>, Vec<Diagnostic>) {
    let b = src.as_bytes();
    let mut lines = Vec::new();
    let mut diags = Vec::new();
    // A UTF-8 byte order mark starts the file harmlessly, as in Python.
    let mut i = if src.starts_with('\u{FEFF}') { 3 } else { 0 };
    while i < b.len() {
        // Indentation.
        let line_start = i;
        let (mut indent, mut indent_alt) = (0, 0);
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t' || b[i] == 0x0C) {
            (indent, indent_alt) = match b[i] {
                b'\t' => ((indent / 8 + 1) * 8, indent_alt + 1),
                b' ' => (indent + 1, indent_alt + 1),
                _ => (0, 0), // form feed resets, as in CPython
            };
            i += 1;
        }
        let _ = line_start;
        if i >= b.len() {
            break;
        }
        if b[i] == b'\n' {
            lines.push(Line {
                kind: LineKind::Blank,
                indent,
                indent_alt,
                start: i,
                end: i,
            });
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            let end = src[i..].find('\n').map_or(b.len(), |p| i + p);
            let body = &src[i + 1..end];
            let text = body.strip_prefix(' ').unwrap_or(body).to_string();
            lines.push(Line {
                kind: LineKind::Comment(text),
                indent,
                indent_alt,
                start: i,
                end,
            });
            i = end + 1;
            continue;
        }
        // A logical line: until a newline outside brackets and strings.
        let start = i;
        let mut depth: usize = 0;
        let mut opener: Vec<usize> = Vec::new();
        let mut end = b.len();
        let mut failed = false;
        while i < b.len() {
            match b[i] {
                b'\n' if depth == 0 => {
                    end = i;
                    break;
                }
                b'\\' if b.get(i + 1) == Some(&b'\n') => i += 1,
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    opener.push(i);
                    // The expression parser recurses per bracket: bound it here.
                    if depth > MAX_BRACKET_DEPTH {
                        diags.push(Diagnostic::new(
                            format!("brackets nested deeper than {MAX_BRACKET_DEPTH}"),
                            i..i + 1,
                            "too deep",
                        ));
                        failed = true;
                        break;
                    }
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    opener.pop();
                }
                b'\'' | b'"' => match skip_string(b, i) {
                    Ok(next) => {
                        i = next;
                        continue;
                    }
                    Err(()) => {
                        diags.push(Diagnostic::new(
                            "unterminated string literal",
                            i..i + 1,
                            "this string is never closed",
                        ));
                        failed = true;
                        break;
                    }
                },
                _ => {}
            }
            i += 1;
        }
        if failed {
            break;
        }
        if i >= b.len() && depth > 0 {
            let at = *opener.last().unwrap_or(&start);
            diags.push(Diagnostic::new(
                "unclosed bracket",
                at..at + 1,
                "this bracket is never closed",
            ));
            break;
        }
        lines.push(Line {
            kind: LineKind::Code,
            indent,
            indent_alt,
            start,
            end,
        });
        i = end + 1;
    }
    (lines, diags)
}

/// Skips a string literal starting at the quote `b[i]`; returns the index after it.
fn skip_string(b: &[u8], i: usize) -> Result<usize, ()> {
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let mut j = if triple { i + 3 } else { i + 1 };
    if !triple && b.get(i + 1) == Some(&q) {
        return Ok(i + 2); // empty string
    }
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == q => {
                if !triple {
                    return Ok(j + 1);
                }
                if b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                    return Ok(j + 3);
                }
                j += 1;
            }
            b'\n' if !triple => return Err(()),
            _ => j += 1,
        }
    }
    Err(())
}
