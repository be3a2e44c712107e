//! Diagnostics in the rustc style: message, file:line:col, the line, a caret, a hint.

use std::fmt::Write;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    /// Byte range in the source.
    pub span: Range<usize>,
    /// Said under the caret.
    pub label: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Range<usize>, label: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            label: label.into(),
            help: None,
        }
    }

    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn position(&self, src: &str) -> (usize, usize) {
        line_col(src, self.span.start)
    }

    /// Renders the diagnostic against its source.
    pub fn render(&self, file: &str, src: &str) -> String {
        let (line, col) = self.position(src);
        let at = floor_char(src, self.span.start.min(src.len()));
        let line_start = line_start(src, at);
        let line_end = src[at..].find(['\n', '\r']).map_or(src.len(), |p| at + p);
        let end = floor_char(src, self.span.end.clamp(at, line_end));
        // A long line shows only a window around the span (a 2 MB line is not echoed).
        let win_start = back_chars(src, at, WINDOW_BEFORE).max(line_start);
        let win_end = forward_chars(src, end, WINDOW_AFTER).min(line_end);
        let (lead, trail) = (win_start > line_start, win_end < line_end);
        let text = &src[win_start..win_end];
        let end = end.min(win_end);
        let width = src[at..end].chars().count().clamp(1, WINDOW_AFTER);
        let caret_col = src[win_start..at].chars().count() + if lead { 3 } else { 0 };
        let num = line.to_string();
        let pad = " ".repeat(num.len());
        let mut s = String::new();
        let _ = writeln!(s, "error: {}", self.message);
        let _ = writeln!(s, "{pad}--> {file}:{line}:{col}");
        let _ = writeln!(s, "{pad} |");
        let _ = writeln!(
            s,
            "{num} | {}{}{}",
            if lead { "..." } else { "" },
            printable(text),
            if trail { "..." } else { "" }
        );
        let _ = writeln!(
            s,
            "{pad} | {}{} {}",
            " ".repeat(caret_col),
            "^".repeat(width),
            self.label
        );
        if let Some(h) = &self.help {
            let _ = writeln!(s, "{pad} = help: {h}");
        }
        s
    }
}

/// 1-based line and column (in characters) of byte `at` of `src`, with Python's line
/// ends: `\n`, `\r\n` and a lone `\r` each end a line.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    let at = floor_char(src, at.min(src.len()));
    let before = &src.as_bytes()[..at];
    // Every `\n`, and every `\r` that no `\n` follows (one at `at` itself has ended its line).
    let lf = before.iter().filter(|&&b| b == b'\n').count();
    let lone_cr = before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && src.as_bytes().get(i + 1) != Some(&b'\n'))
        .count();
    let start = line_start(src, at);
    (lf + lone_cr + 1, src[start..at].chars().count() + 1)
}

/// Where the line holding byte `at` starts: after the last `\n`, or the last `\r` that
/// ends a line (not the `\r` of a `\r\n` whose `\n` is at `at`).
fn line_start(src: &str, at: usize) -> usize {
    let b = src.as_bytes();
    (1..=at)
        .rev()
        .find(|&i| b[i - 1] == b'\n' || (b[i - 1] == b'\r' && b.get(i) != Some(&b'\n')))
        .unwrap_or(0)
}

/// Characters of a long line shown before and after a span's start and end.
const WINDOW_BEFORE: usize = 60;
const WINDOW_AFTER: usize = 60;

/// The byte index `n` characters before `i` (or 0).
fn back_chars(s: &str, i: usize, n: usize) -> usize {
    s[..i]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(j, _)| j)
}

/// The byte index `n` characters after `i` (or the end).
fn forward_chars(s: &str, i: usize, n: usize) -> usize {
    s[i..].char_indices().nth(n).map_or(s.len(), |(j, _)| i + j)
}

/// The line as shown: tabs as one space (so the caret lines up), other control characters
/// as `?`, so a diagnostic never writes raw escape sequences to the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The closest of `candidates` to `word` by edit distance, if close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}
