//! Identifiers of the DSL: Python's rules, the DSL's reserved words, and the reversible
//! spelling of action identifiers and Shortcuts names.

/// Python keywords (hard and soft ones that would confuse a reader).
pub const PY_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "match", "case", "_", "type",
];

/// Names the DSL gives a meaning of its own; a Shortcuts variable never prints as one.
pub const RESERVED: &[&str] = &[
    "action",
    "action_input",
    "aggrandize",
    "ask",
    "block_result",
    "clipboard",
    "coerce_variable",
    "condition",
    "current_date",
    "date",
    "device_details",
    "enumerate",
    "float",
    "format_date",
    "get_property",
    "input",
    "int",
    "missing_output",
    "named",
    "number",
    "boolean",
    "serialized",
    "plain",
    "range",
    "ref",
    "shortcut_input",
    "variable",
    "with_uuid",
    "__workflow__",
];

/// Is `s` an identifier CPython accepts (and not a keyword)?
pub fn is_identifier(s: &str) -> bool {
    is_identifier_reading(s, b'_')
}

/// Is `s` an identifier when every `sep` in it (`_`, `.` or ` `) reads as `_`? Lets
/// callers test a spelling such as `id.replace('.', "_")` without building it.
fn is_identifier_reading(s: &str, sep: u8) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let allowed = LETTER_DIGIT
        | UNDERSCORE
        | match sep {
            b'.' => DOT,
            b' ' => SPACE,
            _ => 0,
        };
    debug_assert!(matches!(sep, b'_' | b'.' | b' '));
    // Nearly every name is ASCII: the classes of its bytes decide. Characters are decoded
    // only when the text has others.
    let chars_ok = (!first.is_ascii_digit() && byte_classes(b) & !allowed == 0)
        || (!b.is_ascii() && {
            let mut chars = s.chars().map(|c| if c == sep as char { '_' } else { c });
            chars.next().is_some_and(|c| id_char(c, true)) && chars.all(|c| id_char(c, false))
        });
    chars_ok && !is_word_reading(s, sep, PY_KEYWORDS)
}

/// Classes of bytes: ASCII letters and digits, `_`, the separators that may read as `_`,
/// and every other byte (non-ASCII ones too).
const LETTER_DIGIT: u8 = 1;
const UNDERSCORE: u8 = 2;
const DOT: u8 = 4;
const SPACE: u8 = 8;
const OTHER: u8 = 16;
const BYTE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 128 {
        if (c as u8).is_ascii_alphanumeric() {
            t[c] = LETTER_DIGIT;
        }
        c += 1;
    }
    t[b'_' as usize] = UNDERSCORE;
    t[b'.' as usize] = DOT;
    t[b' ' as usize] = SPACE;
    t
};

/// The classes of all bytes of `b`, together (one lookup a byte, no branch).
fn byte_classes(b: &[u8]) -> u8 {
    b.iter().fold(0, |k, &c| k | BYTE_CLASS[c as usize])
}

/// For each ASCII first byte, a bit per length of the keywords and DSL words that start
/// with it. Most names are neither: this rules them out before any comparison.
const WORD_SHAPES: [u32; 128] = {
    let mut t = [0u32; 128];
    let lists: [&[&str]; 2] = [PY_KEYWORDS, RESERVED];
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            let w = lists[l][i].as_bytes();
            assert!(!w.is_empty() && w.len() < 32 && w[0] < 128);
            t[w[0] as usize] |= 1 << w.len();
            i += 1;
        }
        l += 1;
    }
    t
};

/// Is `s`, with every `sep` read as `_`, one of `words` (keywords or DSL words)?
fn is_word_reading(s: &str, sep: u8, words: &[&str]) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let first = if first == sep { b'_' } else { first };
    b.len() < 32
        && first < 128
        && WORD_SHAPES[first as usize] & (1 << b.len()) != 0
        && words.iter().any(|w| reads_as(s, sep, w))
}

/// Is `s` a Python keyword or a word of the DSL (which no Shortcuts name prints as)?
pub fn is_reserved_word(s: &str) -> bool {
    is_word_reading(s, b'_', PY_KEYWORDS) || is_word_reading(s, b'_', RESERVED)
}

/// Does `s`, with every `sep` read as `_`, spell `word`?
fn reads_as(s: &str, sep: u8, word: &str) -> bool {
    s.len() == word.len()
        && s.bytes()
            .zip(word.bytes())
            .all(|(c, w)| w == if c == sep { b'_' } else { c })
}

/// May `c` stand in an identifier (`first`: at its start)? Python folds identifiers with
/// NFKC and rejects some characters Unicode calls identifier characters (variation
/// selectors, joiners); those are refused here so that names compare as written.
fn id_char(c: char, first: bool) -> bool {
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphabetic() || (!first && c.is_ascii_digit());
    }
    let ok = if first {
        unicode_ident::is_xid_start(c)
    } else {
        unicode_ident::is_xid_continue(c)
    };
    // Astral identifier characters are mostly from Unicode versions newer than CPython
    // 3.10/3.11 know; names with them get a sanitized identifier instead.
    ok && (c as u32) <= 0xFFFF
        && !is_compatibility_char(c)
        && !matches!(c as u32, 0x180B..=0x180F | 0x200B..=0x200F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Characters NFKC changes (approximated by the blocks that hold them): Python would read
/// an identifier holding one as a different name.
fn is_compatibility_char(c: char) -> bool {
    matches!(c as u32,
        0x00AA | 0x00B2..=0x00B5 | 0x00B9..=0x00BA | 0x00BC..=0x00BE
        | 0x0132..=0x0133 | 0x013F..=0x0140 | 0x0149 | 0x017F
        | 0x1D2C..=0x1DBF | 0x2070..=0x209F | 0x2100..=0x218F
        | 0x2460..=0x24FF | 0x2C7C..=0x2C7D | 0x2D6F
        | 0x3131..=0x318E | 0x3200..=0x33FF
        | 0xF900..=0xFAFF | 0xFB00..=0xFB4F | 0xFB50..=0xFDFF | 0xFE10..=0xFE6F
        | 0xFE70..=0xFEFF | 0xFF00..=0xFFEF | 0x1D400..=0x1D7FF | 0x1EE00..=0x1EEFF
        | 0x1F100..=0x1F1FF | 0x2F800..=0x2FA1F)
}

/// `is.workflow.actions.downloadurl` → `is_workflow_actions_downloadurl`, when the spelling
/// can be read back without a catalog: the identifier has no `_` of its own and every part
/// is a Python identifier.
pub fn action_function_name(id: &str) -> Option<String> {
    has_function_name(id).then(|| id.replace('.', "_"))
}

/// Whether [`action_function_name`] gives a name for `id` (without building it).
pub fn has_function_name(id: &str) -> bool {
    // Nearly every identifier is ASCII letters, digits and dots: their classes decide.
    let classes = byte_classes(id.as_bytes());
    if classes & !(LETTER_DIGIT | DOT) == 0 {
        return classes & DOT != 0
            && !id.as_bytes()[0].is_ascii_digit()
            && !is_word_reading(id, b'.', PY_KEYWORDS)
            && !is_word_reading(id, b'.', RESERVED);
    }
    !id.is_empty()
        && !id.contains('_')
        && id.contains('.')
        && is_identifier_reading(id, b'.')
        && !is_word_reading(id, b'.', RESERVED)
}

/// The inverse of [`action_function_name`].
pub fn action_id_from_function(name: &str) -> String {
    name.replace('_', ".")
}

/// The identifier a Shortcuts name reads as by default: spaces become `_`. Returns `None`
/// when that spelling would not read back as the same name.
pub fn spaced_identifier(display: &str) -> Option<String> {
    is_spaced_identifier(display).then(|| display.replace(' ', "_"))
}

/// Whether [`spaced_identifier`] gives an identifier for `display` (without building it).
pub fn is_spaced_identifier(display: &str) -> bool {
    !display.contains('_')
        && !display.starts_with(' ')
        && !display.ends_with(' ')
        // (A byte test: searching for a two-byte string sets up more than it saves.)
        && !display.as_bytes().windows(2).any(|w| w == b"  ")
        && is_identifier_reading(display, b' ')
}

/// A readable identifier for any name (not necessarily reversible): runs of characters
/// Python refuses become one `_`.
pub fn sanitize(display: &str) -> String {
    let mut out = String::with_capacity(display.len() + 2);
    for c in display.chars() {
        if id_char(c, out.is_empty()) {
            out.push(c);
        } else if out.is_empty() && id_char(c, false) {
            out.push_str("v_");
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.truncate(out.trim_end_matches('_').len());
    if out.is_empty() {
        return "value".into();
    }
    if is_word_reading(&out, b'_', PY_KEYWORDS) {
        out.push('_');
    }
    out
}

/// Is this identifier one of the magic loop variables (`Repeat_Item`, `Repeat_Index_2`)?
/// Returns the Shortcuts name it stands for.
pub fn magic_loop_name(ident: &str) -> Option<String> {
    for base in ["Repeat_Item", "Repeat_Index"] {
        if ident == base {
            return Some(base.replace('_', " "));
        }
        if let Some(rest) = ident.strip_prefix(base).and_then(|r| r.strip_prefix('_')) {
            if !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_digit())
                && !rest.starts_with('0')
            {
                return Some(format!("{} {rest}", base.replace('_', " ")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("Request_Body"));
        assert!(is_identifier("变量"));
        assert!(!is_identifier("Show-text"));
        assert!(!is_identifier("class"));
        assert!(!is_identifier("1abc"));
        assert!(!is_identifier("ﬁle"));
    }

    #[test]
    fn reserved_words() {
        for w in PY_KEYWORDS.iter().chain(RESERVED) {
            assert!(is_reserved_word(w), "{w}");
        }
        for w in [
            "Text",
            "Tru",
            "Falsey",
            "input_",
            "",
            "__workflow",
            "Repeat_Item",
        ] {
            assert!(!is_reserved_word(w), "{w}");
        }
    }

    /// The tests on spellings agree with building the spelling and testing it the plain
    /// way.
    #[test]
    fn spelling_tests_match_plain_ones() {
        let plain_identifier = |s: &str| {
            let mut chars = s.chars();
            chars.next().is_some_and(|c| id_char(c, true))
                && chars.all(|c| id_char(c, false))
                && !PY_KEYWORDS.contains(&s)
        };
        let samples = [
            "",
            ".",
            "_",
            " ",
            "a",
            "1",
            "a.b",
            "1a.b",
            "a1.b2",
            "a_b.c",
            "a..b",
            ".a",
            "a.",
            "action.input",
            "with.uuid",
            "is.workflow.actions.gettext",
            "com.x-y.z",
            "é.x",
            "变量.值",
            "ﬁ.x",
            "a\u{200d}b.c",
            "None",
            "None.x",
            "match.case",
            "__workflow__",
            "Contents of URL",
            "Contents  of",
            " lead",
            "trail ",
            "if",
            "a b",
            "1 a",
            "a 1",
            "Repeat Item",
            "class",
            "action input",
            "a\tb",
            "x.y z",
        ];
        for id in samples {
            let name = id.replace('.', "_");
            let plain = !id.is_empty()
                && !id.contains('_')
                && id.contains('.')
                && plain_identifier(&name)
                && !RESERVED.contains(&name.as_str());
            assert_eq!(has_function_name(id), plain, "{id:?}");
            let spaced = id.replace(' ', "_");
            let plain = !id.contains('_')
                && !id.starts_with(' ')
                && !id.ends_with(' ')
                && !id.contains("  ")
                && plain_identifier(&spaced);
            assert_eq!(is_spaced_identifier(id), plain, "{id:?}");
            assert_eq!(is_identifier(id), plain_identifier(id), "{id:?}");
        }
    }

    #[test]
    fn action_names_round_trip() {
        let id = "is.workflow.actions.downloadurl";
        let f = action_function_name(id).unwrap();
        assert_eq!(f, "is_workflow_actions_downloadurl");
        assert_eq!(action_id_from_function(&f), id);
        assert_eq!(
            action_function_name("com.appliedphasor.working-copy.OpenIntent"),
            None
        );
        assert_eq!(action_function_name("com.foo.bar_baz"), None);
    }

    #[test]
    fn spaced() {
        assert_eq!(
            spaced_identifier("Contents of URL").as_deref(),
            Some("Contents_of_URL")
        );
        assert_eq!(spaced_identifier("my_var"), None);
        assert_eq!(sanitize("Contents of URL!"), "Contents_of_URL");
        assert_eq!(sanitize("1st"), "v_1st");
        assert_eq!(sanitize("***"), "value");
        assert_eq!(
            magic_loop_name("Repeat_Item_2").as_deref(),
            Some("Repeat Item 2")
        );
        assert_eq!(magic_loop_name("Repeat_Items"), None);
    }
}
