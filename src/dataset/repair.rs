//! `--repair workflowbench`: undoes the known defects of WorkflowBench's released programs,
//! each a named kind, and only where the fix is certain. The caller keeps a repair only when
//! the result parses and every call of the original survives (see [`calls_survive`]).

use std::collections::BTreeMap;

/// The kinds of repair, in the order they run.
pub const KINDS: [&str; 7] = [
    "nul-bytes",
    "comment-in-string",
    "full-width-punctuation",
    "unquoted-dict-value",
    "unquoted-list-items",
    "hyphenated-keyword",
    "uuid-name",
];

/// What a repair pass changed: kind → number of places.
pub type Repairs = BTreeMap<&'static str, usize>;

/// Applies every repair kind; returns the new text and what changed (empty when nothing did).
pub fn repair(code: &str) -> (String, Repairs) {
    let mut done = Repairs::new();
    let mut s = code.to_string();
    let mut note = |kind: &'static str, n: usize| {
        if n > 0 {
            *done.entry(kind).or_insert(0) += n;
        }
    };
    let n = s.matches('\0').count();
    if n > 0 {
        s = s.replace('\0', "");
    }
    note("nul-bytes", n);
    let (t, n) = comments_in_strings(&s);
    s = t;
    note("comment-in-string", n);
    let (t, n) = full_width(&s);
    s = t;
    note("full-width-punctuation", n);
    let (t, n) = unquoted_dict_values(&s);
    s = t;
    note("unquoted-dict-value", n);
    let (t, n) = unquoted_list_items(&s);
    s = t;
    note("unquoted-list-items", n);
    let (t, n) = hyphenated_keywords(&s);
    s = t;
    note("hyphenated-keyword", n);
    let (t, n) = uuid_names(&s);
    s = t;
    note("uuid-name", n);
    (s, done)
}

/// For each byte of `s`, whether it lies inside a string literal (quotes included). Comments
/// (`#` outside strings, to the end of the line) count as inside, so that no repair touches
/// them. A one-line string left open at a line end closes there, as Python would fail it.
fn string_mask(s: &str) -> Vec<bool> {
    let b = s.as_bytes();
    let mut mask = vec![false; b.len()];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    mask[i] = true;
                    i += 1;
                }
            }
            q @ (b'\'' | b'"') => {
                let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
                let start = i;
                i += if triple { 3 } else { 1 };
                loop {
                    if i >= b.len() {
                        break;
                    }
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if !triple && b[i] == b'\n' {
                        break;
                    }
                    if b[i] == q
                        && (!triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q)))
                    {
                        i += if triple { 3 } else { 1 };
                        break;
                    }
                    i += 1;
                }
                let end = i.min(b.len());
                mask[start..end].iter_mut().for_each(|m| *m = true);
            }
            _ => i += 1,
        }
    }
    mask
}

/// WorkflowBench's annotator put a `# comment` line before every line of a program, the
/// continuation lines of multi-line strings included. A triple-quoted string whose
/// continuation lines are exactly (comment, content) pairs had them pasted in: the comment
/// lines are removed. A string with any other shape is left alone (it may hold a real `#`).
fn comments_in_strings(s: &str) -> (String, usize) {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut removed = 0;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'\'' | b'"') => {
                let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
                if !triple {
                    i += 1;
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    continue;
                }
                let body_start = i + 3;
                let close = [q, q, q];
                let mut j = body_start;
                let mut end = None;
                while j + 3 <= b.len() {
                    if b[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if b[j..].starts_with(&close) {
                        end = Some(j);
                        break;
                    }
                    j += 1;
                }
                let Some(end) = end else {
                    i = b.len();
                    continue;
                };
                let body = &s[body_start..end];
                // Continuation lines: everything after the body's first line break.
                if let Some(nl) = body.find('\n') {
                    let rest = &body[nl + 1..];
                    let lines: Vec<&str> = rest.split('\n').collect();
                    let paired = lines.len() >= 2
                        && lines.len().is_multiple_of(2)
                        && lines.chunks(2).all(|p| {
                            p[0].trim_start().starts_with("# ")
                                && !p[1].trim_start().starts_with('#')
                        });
                    if paired {
                        out.push_str(&s[last..body_start + nl + 1]);
                        let kept: Vec<&str> = lines.chunks(2).map(|p| p[1]).collect();
                        out.push_str(&kept.join("\n"));
                        removed += lines.len() / 2;
                        last = end;
                    }
                }
                i = end + 3;
            }
            _ => i += 1,
        }
    }
    out.push_str(&s[last..]);
    (out, removed)
}

/// Full-width punctuation where Python expects ASCII (outside strings and comments).
fn full_width(s: &str) -> (String, usize) {
    let mask = string_mask(s);
    let mut out = String::with_capacity(s.len());
    let mut n = 0;
    for (i, c) in s.char_indices() {
        let ascii = match c {
            '，' => Some(','),
            '：' => Some(':'),
            '（' => Some('('),
            '）' => Some(')'),
            '［' => Some('['),
            '］' => Some(']'),
            '｛' => Some('{'),
            '｝' => Some('}'),
            '＝' => Some('='),
            '；' => Some(';'),
            '＂' => Some('"'),
            '＇' => Some('\''),
            _ => None,
        };
        match ascii {
            Some(a) if !mask[i] => {
                out.push(a);
                n += 1;
            }
            _ => out.push(c),
        }
    }
    (out, n)
}

/// Whether `v` is a Python expression WorkflowBench writes for a value: a string, dict,
/// list, number, constant, or a bare variable name.
fn is_value_expr(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return false;
    }
    let first = v.as_bytes()[0];
    if matches!(first, b'\'' | b'"' | b'{' | b'[') || v.starts_with("f'") || v.starts_with("f\"") {
        return true;
    }
    if matches!(v, "True" | "False" | "None") || is_number(v) {
        return true;
    }
    crate::dsl::names::is_identifier(v)
}

fn is_number(v: &str) -> bool {
    let d = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = match d.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (d, None),
    };
    !int.is_empty()
        && int.bytes().all(|c| c.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()))
}

/// Quotes `v` as a triple-quoted literal, unless it cannot be (holds `'''` or a backslash at
/// its end).
fn quote(v: &str) -> Option<String> {
    if v.contains("'''") || v.ends_with('\\') || v.ends_with('\'') {
        return None;
    }
    Some(format!("'''{v}'''"))
}

/// `"key": TEXT` inside a dictionary, where TEXT is no Python value (the released files
/// print the text of a dictionary field without quotes): `{"workflowName": Mastodon List}`,
/// `{"string": com.apple.MobileSMS}`. Values of `{"string": ...}` wrappers are text even when
/// they look like a name, so they are always quoted.
fn unquoted_dict_values(s: &str) -> (String, usize) {
    let mask = string_mask(s);
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 64);
    let mut n = 0;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        // A key: `"..."` in code, preceded by `{` or `, ` and followed by `": `.
        if b[i] == b'"' && i > 0 && mask[i] {
            let p = s[..i].trim_end().len();
            let opens = p > 0 && matches!(b[p - 1], b'{' | b',') && !mask[p - 1];
            let key_end = s[i + 1..].find('"').map(|k| i + 1 + k);
            if let (true, Some(ke)) = (opens, key_end) {
                let key = &s[i + 1..ke];
                if s[ke + 1..].starts_with(": ") && !key.contains('\n') {
                    let vstart = ke + 3;
                    // The value runs to the `}` or `, "` that ends it on this line.
                    let line_end = s[vstart..].find('\n').map_or(s.len(), |k| vstart + k);
                    let seg = &s[vstart..line_end];
                    let stop = value_end(seg);
                    if let Some(stop) = stop {
                        let v = &seg[..stop];
                        let wrap = key == "string";
                        let needs = !v.is_empty()
                            && !matches!(v.as_bytes()[0], b'\'' | b'"' | b'{' | b'[')
                            && !v.starts_with("f'")
                            && (wrap && !is_number(v) || !is_value_expr(v))
                            && !(wrap && matches!(v, "True" | "False" | "None"));
                        if needs {
                            if let Some(q) = quote(v) {
                                out.push_str(&s[last..vstart]);
                                out.push_str(&q);
                                last = vstart + stop;
                                n += 1;
                                i = vstart + stop;
                                continue;
                            }
                        }
                    }
                    i = ke + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&s[last..]);
    (out, n)
}

/// Where an unquoted dictionary value ends in `seg`: the first `}` or `, "` (braces and
/// brackets opened inside the value are skipped).
fn value_end(seg: &str) -> Option<usize> {
    if seg.starts_with(['\'', '"', '{', '[']) {
        return None;
    }
    let b = seg.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'}' {
            return Some(i);
        }
        if b[i..].starts_with(b", \"") {
            return Some(i);
        }
    }
    None
}

/// `[Lizard, Dog, Undefined creature (tell me!)]` as a parameter value: a one-line list of
/// bare text items, at least one of which is no Python value. Every item is quoted.
fn unquoted_list_items(s: &str) -> (String, usize) {
    let mask = string_mask(s);
    let mut out = String::with_capacity(s.len() + 64);
    let mut n = 0;
    let mut last = 0;
    let mut from = 0;
    while let Some(k) = s[from..].find("=[") {
        let open = from + k + 1;
        from = open + 1;
        if mask[open] {
            continue;
        }
        let line_end = s[open..].find('\n').map_or(s.len(), |k| open + k);
        let Some(close) = s[open..line_end].find(']').map(|k| open + k) else {
            continue;
        };
        let inner = &s[open + 1..close];
        if inner.is_empty() || inner.contains(['\'', '"', '[', '{', ']']) {
            continue;
        }
        let items: Vec<&str> = inner.split(", ").collect();
        if items.iter().all(|it| is_value_expr(it)) {
            continue;
        }
        let quoted: Option<Vec<String>> = items.iter().map(|it| quote(it)).collect();
        let Some(quoted) = quoted else { continue };
        out.push_str(&s[last..open + 1]);
        out.push_str(&quoted.join(", "));
        last = close;
        from = close;
        n += 1;
    }
    out.push_str(&s[last..]);
    (out, n)
}

/// `Show-text=True`: a parameter key that is no Python name, written as a keyword argument.
/// wfc's DSL writes it `**{'''Show-text''': True}`; only simple values (constants, numbers,
/// names, one-line strings without commas) are moved, so the value's end is certain.
fn hyphenated_keywords(s: &str) -> (String, usize) {
    let mask = string_mask(s);
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 64);
    let mut n = 0;
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if (b[i] == b'(' || b[i] == b',') && !mask[i] {
            let mut k = i + 1;
            while k < b.len() && b[k] == b' ' {
                k += 1;
            }
            let key_start = k;
            while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_' || b[k] == b'-') {
                k += 1;
            }
            let key = &s[key_start..k];
            if key.contains('-')
                && !key.starts_with('-')
                && !key.ends_with('-')
                && b.get(k) == Some(&b'=')
                && b.get(k + 1) != Some(&b'=')
            {
                let vstart = k + 1;
                let rest = &s[vstart..];
                let vlen = simple_value_len(rest);
                if let Some(vlen) = vlen {
                    let after = rest[vlen..].trim_start();
                    if after.starts_with(',') || after.starts_with(')') {
                        out.push_str(&s[last..key_start]);
                        out.push_str(&format!("**{{'''{key}''': {}}}", &rest[..vlen]));
                        last = vstart + vlen;
                        n += 1;
                        i = last;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    out.push_str(&s[last..]);
    (out, n)
}

fn simple_value_len(rest: &str) -> Option<usize> {
    if let Some(body) = rest.strip_prefix("'''") {
        let end = body.find("'''")?;
        let v = &body[..end];
        return (!v.contains('\n') && !v.contains(',')).then_some(end + 6);
    }
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    let v = &rest[..len];
    is_value_expr(v).then_some(len)
}

/// A UUID where a name belongs (outside strings, or inside an f-string's braces): the
/// annotator sometimes kept a variable's UUID instead of renaming it. It becomes
/// `uuid_<hex>`, the same name everywhere it appears.
fn uuid_names(s: &str) -> (String, usize) {
    let mask = string_mask(s);
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut n = 0;
    let mut last = 0;
    let mut i = 0;
    while i + 36 <= b.len() {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if boundary && is_uuid(&b[i..i + 36]) {
            let after_ok = b
                .get(i + 36)
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
            let in_code = !mask[i];
            let in_fbrace = mask[i] && i > 0 && b[i - 1] == b'{' && b.get(i + 36) == Some(&b'}');
            if after_ok && (in_code || in_fbrace) {
                out.push_str(&s[last..i]);
                out.push_str("uuid_");
                out.extend(
                    s[i..i + 36]
                        .chars()
                        .filter(|c| *c != '-')
                        .map(|c| c.to_ascii_lowercase()),
                );
                n += 1;
                i += 36;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[last..]);
    (out, n)
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(k, c)| match k {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Names called like functions in the code lines of `code` (comment lines skipped), with
/// how often each is called. Used to check that a repair lost no call.
pub fn called_names(code: &str) -> BTreeMap<String, usize> {
    let mask = string_mask(code);
    let b = code.as_bytes();
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < b.len() {
        if !mask[i] && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let boundary = start == 0 || !(b[start - 1] == b'.' || b[start - 1].is_ascii_digit());
            if boundary && b.get(i) == Some(&b'(') {
                *out.entry(code[start..i].to_string()).or_insert(0) += 1;
            }
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn repair_never_panics(s in "[a-zA-Z0-9 _\\-=,:{}\\[\\]()'\"#\n–，：\u{0}]{0,200}") {
            let (out, kinds) = repair(&s);
            if kinds.is_empty() {
                prop_assert_eq!(out, s.clone());
            }
            let _ = called_names(&s);
        }
    }

    #[test]
    fn unquoted_dict_text_is_quoted() {
        let src = "x = f(W={\"workflowIdentifier\": wid, \"workflowName\": Mastodon API List, \"isSelf\": False}, I=y)";
        let (out, n) = repair(src);
        assert_eq!(
            out,
            "x = f(W={\"workflowIdentifier\": wid, \"workflowName\": '''Mastodon API List''', \"isSelf\": False}, I=y)"
        );
        assert_eq!(n.get("unquoted-dict-value"), Some(&1));
        let (out, _) = repair("d = {{\"string\": Name}: {\"string\": com.apple.X}}");
        assert_eq!(
            out,
            "d = {{\"string\": '''Name'''}: {\"string\": '''com.apple.X'''}}"
        );
    }

    #[test]
    fn pasted_comments_leave_multiline_strings() {
        let src = "# a\nx = f(T='''one\n# Adds two.\ntwo\n# Adds three.\nthree''')\n# b\ny = g()";
        let (out, n) = repair(src);
        assert_eq!(out, "# a\nx = f(T='''one\ntwo\nthree''')\n# b\ny = g()");
        assert_eq!(n.get("comment-in-string"), Some(&2));
        // A string with a real heading line is not touched.
        let md = "x = f(T='''intro\n# Heading\ntext\nmore''')";
        assert_eq!(repair(md).0, md);
    }

    #[test]
    fn other_kinds() {
        let (out, n) = repair("a = f(Show-text=True, X='''1''')\0");
        assert_eq!(out, "a = f(**{'''Show-text''': True}, X='''1''')");
        assert_eq!(n.len(), 2);
        let (out, _) = repair("a = f（X='''，'''）");
        assert_eq!(out, "a = f(X='''，''')");
        let (out, _) = repair("l = f(WFItems=[Lizard, Dog, Undefined creature (tell me!)])");
        assert_eq!(
            out,
            "l = f(WFItems=['''Lizard''', '''Dog''', '''Undefined creature (tell me!)'''])"
        );
        let (out, n) = repair("x = 0A1B2C3D-0000-4000-8000-00000000000A\ny = f'{0A1B2C3D-0000-4000-8000-00000000000A}'");
        assert_eq!(
            out,
            "x = uuid_0a1b2c3d00004000800000000000000a\ny = f'{uuid_0a1b2c3d00004000800000000000000a}'"
        );
        assert_eq!(n.get("uuid-name"), Some(&2));
        assert_eq!(
            called_names("# f(x)\na = g(h(1), '''k(2)''')"),
            [("g".to_string(), 1), ("h".to_string(), 1)].into()
        );
    }
}
