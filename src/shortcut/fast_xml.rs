//! A fast reader for the XML plists Shortcuts and common tools write.
//!
//! It reads the common subset of the format in one pass over the bytes, borrowing text
//! that needs no unescaping. Whatever falls outside that subset (comments, CDATA,
//! attributes on values, unknown entities, namespaced tags, invalid content...) makes
//! it return `None`, and the caller reads the file with the `plist` crate instead, which
//! also gives the error message for a malformed file. So this reader never has to be
//! right about an edge case: it only has to decline it.

use super::tree::{PDict, PValue};
use bumpalo::Bump;

/// Reads a whole XML plist into `arena`, or `None` when the file is outside the fast
/// subset.
pub(crate) fn parse<'a>(bytes: &'a [u8], arena: &'a Bump, max_depth: usize) -> Option<PValue<'a>> {
    // Checking UTF-8 once lets every slice between ASCII delimiters be a `str`.
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    let mut r = Reader {
        s: text,
        b: bytes,
        pos: 0,
        max_depth,
        arena,
        entries: Vec::new(),
        items: Vec::new(),
    };
    r.ws();
    // The prolog is read only in its plain form: XML readers differ on quotes and markup
    // inside declarations, so any `<`, `>`, `[` (an internal subset could define entities)
    // or unbalanced quote there declines.
    if r.eat(b"<?xml") {
        let end = find(&r.b[r.pos..], b"?>")?;
        plain_markup(&r.b[r.pos..r.pos + end])?;
        r.pos += end + 2;
        r.ws();
    }
    if r.eat(b"<!DOCTYPE") {
        let end = memchr::memchr(b'>', &r.b[r.pos..])?;
        plain_markup(&r.b[r.pos..r.pos + end])?;
        r.pos += end + 1;
        r.ws();
    }
    if !r.eat(b"<plist") {
        return None;
    }
    // Attributes such as `version="1.0"`.
    let end = memchr::memchr(b'>', &r.b[r.pos..])?;
    let attrs = &r.b[r.pos..r.pos + end];
    plain_markup(attrs)?;
    if attrs.ends_with(b"/") || attrs.first().is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    r.pos += end + 1;
    r.ws();
    let value = r.value(0)?;
    r.ws();
    if !r.eat(b"</plist>") {
        return None;
    }
    r.ws();
    (r.pos == r.b.len()).then_some(value)
}

/// `Some` when the inside of a declaration or tag holds no markup characters and its quotes
/// pair up, so that the first `>` after it is where every reader ends it.
fn plain_markup(inside: &[u8]) -> Option<()> {
    let markup = inside.iter().any(|c| matches!(c, b'<' | b'>' | b'['));
    let quotes = |q: u8| inside.iter().filter(|&&c| c == q).count() % 2 == 0;
    (!markup && quotes(b'"') && quotes(b'\'')).then_some(())
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is zero, and of no other (exact, unlike the
/// borrow-based test, so that the lowest set bit marks the first such byte).
fn zero_bytes(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((w & LOW7) + LOW7) | w | LOW7)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
    arena: &'a Bump,
    // Open dictionaries and arrays collect their members on these shared stacks, so that
    // each gets one allocation of its final size instead of a chain of regrowths.
    entries: Vec<(&'a str, PValue<'a>)>,
    items: Vec<PValue<'a>>,
}

/// The element names the reader knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    String,
    Key,
    Dict,
    Array,
    Integer,
    Real,
    True,
    False,
    Data,
    Date,
}

impl Tag {
    fn from_name(name: &[u8]) -> Option<Tag> {
        Some(match name {
            b"string" => Tag::String,
            b"key" => Tag::Key,
            b"dict" => Tag::Dict,
            b"array" => Tag::Array,
            b"integer" => Tag::Integer,
            b"real" => Tag::Real,
            b"true" => Tag::True,
            b"false" => Tag::False,
            b"data" => Tag::Data,
            b"date" => Tag::Date,
            _ => return None,
        })
    }
}

impl<'a> Reader<'a> {
    fn ws(&mut self) {
        // Indentation runs are a newline and a few tabs: testing eight bytes at once finds
        // their end without a branch per byte.
        let b = self.b;
        let mut i = self.pos;
        while let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let other = !(zero_bytes(w ^ (ONES * u64::from(b' ')))
                | zero_bytes(w ^ (ONES * u64::from(b'\t')))
                | zero_bytes(w ^ (ONES * u64::from(b'\n')))
                | zero_bytes(w ^ (ONES * u64::from(b'\r'))))
                & HIGH;
            if other != 0 {
                self.pos = i + (other.trailing_zeros() / 8) as usize;
                return;
            }
            i += 8;
        }
        while b
            .get(i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            i += 1;
        }
        self.pos = i;
    }

    // Inlined so that each literal is a constant at its call site, and the comparison a
    // few loads rather than a call to `memcmp`.
    #[inline(always)]
    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.b[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    /// Reads `<name>` or `<name/>` at the cursor for a known name; returns it and whether
    /// it was empty. Anything else between `<` and `>` declines.
    fn open_tag(&mut self) -> Option<(Tag, bool)> {
        let b = self.b;
        if b.get(self.pos) != Some(&b'<') {
            return None;
        }
        let start = self.pos + 1;
        // Names are short: a byte loop finds the end for less than a `memchr` call costs.
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_alphabetic) {
            end += 1;
        }
        let tag = Tag::from_name(&b[start..end])?;
        match b.get(end) {
            Some(b'>') => {
                self.pos = end + 1;
                Some((tag, false))
            }
            Some(b'/') if b.get(end + 1) == Some(&b'>') => {
                self.pos = end + 2;
                Some((tag, true))
            }
            _ => None,
        }
    }

    /// Reads the text up to the closing tag `close` (`</name>`), and the closing tag.
    #[inline(always)]
    fn content(&mut self, close: &[u8]) -> Option<&'a str> {
        let start = self.pos;
        // One scan finds the end of the text and tells whether it has entities.
        let first = memchr::memchr2(b'<', b'&', &self.b[start..])?;
        let (end, amp) = if self.b[start + first] == b'<' {
            (start + first, None)
        } else {
            let amp = start + first;
            (amp + memchr::memchr(b'<', &self.b[amp..])?, Some(first))
        };
        let raw = &self.s[start..end];
        self.pos = end;
        if !self.eat(close) {
            return None;
        }
        Some(match amp {
            None => raw,
            Some(first) => self.arena.alloc_str(&unescape(raw, first)?),
        })
    }

    /// The text of an element opened as `<name>` (`empty`: `<name/>`, no text).
    #[inline(always)]
    fn text(&mut self, empty: bool, close: &[u8]) -> Option<&'a str> {
        if empty {
            Some("")
        } else {
            self.content(close)
        }
    }

    fn value(&mut self, depth: usize) -> Option<PValue<'a>> {
        if depth > self.max_depth {
            return None;
        }
        let (tag, empty) = self.open_tag()?;
        Some(match tag {
            Tag::String => PValue::String(self.text(empty, b"</string>")?),
            Tag::Dict => {
                let base = self.entries.len();
                if !empty {
                    loop {
                        self.ws();
                        let key = if self.eat(b"<key>") {
                            self.content(b"</key>")?
                        } else if self.eat(b"</dict>") {
                            break;
                        } else if self.eat(b"<key/>") {
                            ""
                        } else {
                            return None;
                        };
                        self.ws();
                        let value = self.value(depth + 1)?;
                        self.entries.push((key, value));
                    }
                }
                PValue::Dictionary(PDict::from_entries(&mut self.entries, base, self.arena))
            }
            Tag::Array => {
                let base = self.items.len();
                if !empty {
                    loop {
                        self.ws();
                        if self.eat(b"</array>") {
                            break;
                        }
                        let item = self.value(depth + 1)?;
                        self.items.push(item);
                    }
                }
                let items = self.arena.alloc_slice_copy(&self.items[base..]);
                self.items.truncate(base);
                PValue::Array(items)
            }
            Tag::Integer => {
                PValue::Integer(parse_integer(self.text(empty, b"</integer>")?)?.into())
            }
            Tag::Real => PValue::Real(self.text(empty, b"</real>")?.parse().ok()?),
            Tag::True => {
                if !(empty || self.eat(b"</true>")) {
                    return None;
                }
                PValue::Boolean(true)
            }
            Tag::False => {
                if !(empty || self.eat(b"</false>")) {
                    return None;
                }
                PValue::Boolean(false)
            }
            Tag::Data => {
                use base64::Engine;
                let mut t = self.text(empty, b"</data>")?.to_string();
                t.retain(|c| !c.is_ascii_whitespace());
                let data = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
                PValue::Data(self.arena.alloc_slice_copy(&data))
            }
            Tag::Date => {
                let d = plist::Date::from_xml_format(self.text(empty, b"</date>")?).ok()?;
                PValue::Date(self.arena.alloc_str(&d.to_xml_format()))
            }
            Tag::Key => return None,
        })
    }
}

/// Integers as the `plist` crate reads them: `0x` hexadecimal (unsigned), else an i64, else
/// a u64.
fn parse_integer(s: &str) -> Option<i128> {
    if let Some(hex) = s.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(i128::from);
    }
    match s.parse::<i64>() {
        Ok(v) => Some(i128::from(v)),
        Err(_) => s.parse::<u64>().ok().map(i128::from),
    }
}

/// Resolves the five predefined entities and character references in `raw`, whose first
/// `&` is at `first`; anything else declines. Line ends are kept as they are (`\r\n`
/// stays), as the `plist` crate keeps them.
fn unescape(raw: &str, first: usize) -> Option<String> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut i = first;
    while i < b.len() {
        match b[i] {
            b'&' => {
                let semi = i + memchr::memchr(b';', &b[i..])?;
                let name = &raw[i + 1..semi];
                match name {
                    "amp" => out.push('&'),
                    "lt" => out.push('<'),
                    "gt" => out.push('>'),
                    "quot" => out.push('"'),
                    "apos" => out.push('\''),
                    _ => out.push(char_ref(name)?),
                }
                i = semi + 1;
            }
            _ => {
                let next = i + memchr::memchr(b'&', &b[i..]).unwrap_or(b.len() - i);
                out.push_str(&raw[i..next]);
                i = next;
            }
        }
    }
    Some(out)
}

/// `#123` or `#x7B` → the character. Only characters XML allows in text are accepted.
fn char_ref(name: &str) -> Option<char> {
    let num = name.strip_prefix('#')?;
    let code = match num.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => num.parse::<u32>().ok()?,
    };
    if num.starts_with(['+', '-']) || num.get(1..).is_some_and(|h| h.starts_with(['+', '-'])) {
        return None;
    }
    let c = char::from_u32(code)?;
    // Control characters other than line ends and tabs are where readers disagree.
    (!c.is_control() || matches!(c, '\t' | '\n' | '\r')).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Option<PValue<'_>> {
        // Tests keep their trees; a leaked arena per call is simplest.
        parse(body.as_bytes(), Box::leak(Box::new(Bump::new())), 64)
    }

    #[test]
    fn whitespace_ends_where_a_byte_at_a_time_scan_ends() {
        // Every mix of the four whitespace bytes and a few others near them in value
        // (0x00, 0x0b, 0x1f, 0x21, 0x89, 0xa0), at every start, over lengths across the
        // eight-byte steps.
        let alphabet = [
            b' ', b'\t', b'\n', b'\r', 0x00, 0x0b, 0x1f, b'!', 0x89, 0xa0, b'<',
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let r = (seed >> (i % 16 * 4)) as usize;
                    // Mostly whitespace, so that long runs occur.
                    if r.is_multiple_of(5) {
                        alphabet[r % alphabet.len()]
                    } else {
                        alphabet[r % 4]
                    }
                })
                .collect();
            for start in 0..=len {
                let mut r = Reader {
                    s: "",
                    b: &bytes,
                    pos: start,
                    max_depth: 8,
                    arena: &Bump::new(),
                    entries: Vec::new(),
                    items: Vec::new(),
                };
                r.ws();
                let expected = start
                    + bytes[start..]
                        .iter()
                        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                        .count();
                assert_eq!(r.pos, expected, "{bytes:?} from {start}");
            }
        }
    }

    fn doc(inner: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n{inner}\n</plist>\n"
        )
    }

    /// The fast reader and the `plist` crate agree wherever the fast reader answers.
    fn agrees(xml: &str) -> bool {
        let fast = read(xml);
        let slow = plist::Value::from_reader_xml(xml.as_bytes()).ok();
        match fast {
            Some(v) => {
                assert_eq!(Some(v.to_plist()), slow, "{xml}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn reads_every_kind_of_value() {
        let xml = doc(
            "<dict><key>s</key><string>a &amp; b &#x263A; &#65;</string><key>e</key><string/>\
             <key>i</key><integer>-42</integer><key>h</key><integer>0xff</integer>\
             <key>u</key><integer>18446744073709551615</integer><key>r</key><real>1.5</real>\
             <key>t</key><true/><key>f</key><false/><key>d</key><data>AAEC\n AwQ=</data>\
             <key>date</key><date>2020-01-02T03:04:05Z</date><key>a</key><array><dict/><array/></array>\
             <key>k&lt;</key><string>x</string></dict>",
        );
        assert!(agrees(&xml));
        let v = read(&xml).unwrap();
        let d = v.as_dictionary().unwrap();
        assert_eq!(d.get("s").unwrap().as_string(), Some("a & b \u{263A} A"));
        assert_eq!(d.get("u"), Some(&PValue::Integer(u64::MAX.into())));
        assert!(d.get("k<").is_some());
    }

    #[test]
    fn plain_text_is_borrowed() {
        let xml = doc("<dict><key>k</key><string>plain</string></dict>");
        let v = read(&xml).unwrap();
        let d = v.as_dictionary().unwrap();
        let inside = |s: &str| xml.as_bytes().as_ptr_range().contains(&s.as_ptr());
        assert!(inside(d.0[0].0));
        assert!(inside(d.get("k").unwrap().as_string().unwrap()));
    }

    #[test]
    fn declines_what_it_does_not_handle() {
        for inner in [
            "<dict><!-- c --></dict>",
            "<string><![CDATA[x]]></string>",
            "<string>&nbsp;</string>",
            "<string>&#0;</string>",
            "<x:string>a</x:string>",
            "<string id=\"1\">a</string>",
            "<dict><string>k</string><string>v</string></dict>",
            "<string>a</strong>",
            "<integer> 1</integer>",
            "<date>yesterday</date>",
            "<data>!!</data>",
        ] {
            assert!(!agrees(&doc(inner)), "{inner}");
        }
        // A prolog whose quotes do not pair up (a fuzzer's find: the DTD's closing quote
        // lost, a stricter reader reads on to the next quote).
        let broken = doc("<true/>").replacen(".dtd\"", ".dtd$", 1);
        assert!(!agrees(&broken));
        assert!(!agrees(&doc("<true/>").replacen("1.0\"", "1.0", 1)));
        // Not a plist at all, or something after it.
        assert!(read("<html></html>").is_none());
        assert!(read(&(doc("<true/>") + "<x/>")).is_none());
    }

    #[test]
    fn depth_is_bounded() {
        let deep = doc(&("<array>".repeat(100) + &"</array>".repeat(100)));
        assert!(parse(deep.as_bytes(), &Bump::new(), 64).is_none());
        assert!(parse(deep.as_bytes(), &Bump::new(), 200).is_some());
    }

    #[test]
    fn line_ends_are_kept() {
        let xml = doc("<string>a\r\nb\rc &#13;</string>").replace('\n', "\r\n");
        assert!(agrees(&xml));
        assert_eq!(read(&xml).unwrap().as_string(), Some("a\r\r\nb\rc \r"));
    }

    #[test]
    fn minimal_documents() {
        assert!(agrees("<plist><dict/></plist>"));
        assert!(agrees("<plist version=\"1.0\"><string>x</string></plist>"));
        assert!(agrees(&doc("<dict><key>a</key><true></true></dict>")));
    }
}
