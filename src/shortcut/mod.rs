//! Shortcut containers: finding the workflow plist inside whatever bytes a user has.
//!
//! The container is detected from the first bytes, never from the file name.

pub mod aea;
mod apple_archive;
mod bplist;
mod fast_binary;
mod fast_xml;
pub mod icloud;
mod json;
mod tree;

pub use bumpalo::Bump;
pub use tree::{PDict, PValue};

use crate::ir::Provenance;
use crate::limits::Limits;
use thiserror::Error;

/// The kinds of container wfc reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    BinaryPlist,
    XmlPlist,
    /// Apple Encrypted Archive (`AEA1`): signed shortcuts.
    Aea,
    /// A plist dumped as JSON.
    Json,
    /// A zip of single-action plists ("action clips").
    Zip,
}

impl Container {
    pub fn name(self) -> &'static str {
        match self {
            Container::BinaryPlist => "bplist",
            Container::XmlPlist => "xml-plist",
            Container::Aea => "aea1",
            Container::Json => "json",
            Container::Zip => "zip-actionclips",
        }
    }
}

#[derive(Debug, Error)]
pub enum ReadError {
    #[error("empty input")]
    Empty,
    #[error("not a shortcut: unrecognised leading bytes {0:02x?}")]
    Unrecognised(Vec<u8>),
    #[error("input is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("invalid XML plist: {0}")]
    Xml(String),
    #[error("invalid binary plist: {0}")]
    Binary(String),
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("signed shortcut: {0}")]
    Aea(#[from] aea::AeaError),
    #[error("action-clip zip: {0}")]
    Zip(String),
    #[error("the plist's top level is a {0}, not a dictionary")]
    NotADict(&'static str),
    #[error("fetching shared shortcut: {0}")]
    ICloud(#[from] icloud::ICloudError),
}

/// The workflow plist found in a container, with what is known of its origin.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub plist: plist::Dictionary,
    pub provenance: Provenance,
}

/// The workflow plist found in a container as a [`PValue`] tree, borrowing from the bytes
/// it was read from.
#[derive(Debug, Clone)]
pub struct LoadedTree<'a> {
    pub plist: PDict<'a>,
    pub provenance: Provenance,
}

/// Detects the container from the leading bytes (after an optional UTF-8 BOM and
/// whitespace for the text formats).
pub fn sniff(bytes: &[u8]) -> Option<Container> {
    if bytes.starts_with(b"bplist00") {
        return Some(Container::BinaryPlist);
    }
    if bytes.starts_with(b"AEA1") {
        return Some(Container::Aea);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(Container::Zip);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    match text[start] {
        b'<' => Some(Container::XmlPlist),
        b'{' | b'[' => Some(Container::Json),
        _ => None,
    }
}

/// Reads a workflow plist from the bytes of a file, as the `plist` crate builds it. The
/// converter uses [`read_tree`], which gives the same values faster.
pub fn read_bytes(bytes: &[u8], limits: &Limits) -> Result<Loaded, ReadError> {
    let mut wflow = Vec::new();
    let (payload, provenance) = open_container(bytes, &mut wflow, limits)?;
    let plist = match payload {
        Payload::Plist(b) => parse_plist(b, limits)?,
        Payload::Value(v) => v,
    };
    match plist {
        plist::Value::Dictionary(d) => Ok(Loaded {
            plist: d,
            provenance,
        }),
        other => Err(ReadError::NotADict(kind_name(&other))),
    }
}

/// Memory a [`read_tree`] tree lives in besides the file's bytes: the arena and a signed
/// file's decoded payload. Reusing one from file to file saves allocating it again.
#[derive(Default)]
pub struct Scratch {
    arena: bumpalo::Bump,
    wflow: Vec<u8>,
}

impl Scratch {
    /// Bytes held: the arena's chunks and the payload buffer.
    pub fn allocated_bytes(&self) -> usize {
        self.arena.allocated_bytes() + self.wflow.capacity()
    }
}

/// Reads a workflow plist from the bytes of a file into a tree borrowing from `bytes` and
/// `scratch` (whatever an earlier tree held there is cleared).
pub fn read_tree<'a>(
    bytes: &'a [u8],
    scratch: &'a mut Scratch,
    limits: &Limits,
) -> Result<LoadedTree<'a>, ReadError> {
    let Scratch { arena, wflow } = scratch;
    arena.reset();
    let arena: &'a bumpalo::Bump = arena;
    let (payload, provenance) = open_container(bytes, wflow, limits)?;
    let plist = match payload {
        Payload::Plist(b) => parse_tree(b, arena, limits)?,
        Payload::Value(v) => PValue::from_plist(&v, arena),
    };
    match plist {
        PValue::Dictionary(plist) => Ok(LoadedTree { plist, provenance }),
        other => Err(ReadError::NotADict(other.kind_name())),
    }
}

/// What a container holds: the bytes of a binary or XML plist, or a value its reader
/// already built (JSON dumps, action clips).
enum Payload<'a> {
    Plist(&'a [u8]),
    Value(plist::Value),
}

/// Opens the container [`read_bytes`] and [`read_tree`] share; a signed file's payload is
/// decoded into `wflow`.
fn open_container<'a>(
    bytes: &'a [u8],
    wflow: &'a mut Vec<u8>,
    limits: &Limits,
) -> Result<(Payload<'a>, Provenance), ReadError> {
    let container = check_input(bytes, limits)?;
    let mut provenance = Provenance {
        container: container.name().to_string(),
        ..Default::default()
    };
    let payload = match container {
        Container::BinaryPlist => Payload::Plist(bytes),
        Container::XmlPlist => {
            // XML 1.0 allows no control characters but tab and line ends. The strings keep
            // them as read (they are the shortcut's data), and the count becomes a warning.
            let n = xml_control_characters(bytes);
            if n > 0 {
                provenance
                    .extra
                    .push((XML_CONTROL_CHARACTERS.into(), n.to_string()));
            }
            Payload::Plist(bytes)
        }
        Container::Json => {
            provenance.typing_lost = true;
            // Some JSON dumps wrap the workflow in a one-element array.
            Payload::Value(match json::read(bytes, limits)? {
                plist::Value::Array(mut a)
                    if a.len() == 1 && matches!(a[0], plist::Value::Dictionary(_)) =>
                {
                    provenance
                        .extra
                        .push(("wrapper".into(), "one-element array".into()));
                    a.pop().expect("length checked")
                }
                other => other,
            })
        }
        Container::Aea => {
            let file = aea::read(bytes, limits)?;
            provenance.extra.extend(file.metadata());
            *wflow = file.wflow;
            let wflow: &'a Vec<u8> = wflow;
            Payload::Plist(wflow)
        }
        Container::Zip => Payload::Value(read_action_clips(bytes, limits)?),
    };
    Ok((payload, provenance))
}

/// Parses a binary or XML plist into a tree: the fast readers first, the `plist` crate
/// (with its guards and error messages) for whatever they decline.
pub fn parse_tree<'a>(
    bytes: &'a [u8],
    arena: &'a bumpalo::Bump,
    limits: &Limits,
) -> Result<PValue<'a>, ReadError> {
    match parse_fast(bytes, arena, limits) {
        Some(v) => Ok(v),
        None => parse_plist(bytes, limits).map(|v| PValue::from_plist(&v, arena)),
    }
}

/// The fast readers alone: `None` when they decline the plist (then [`parse_tree`] uses
/// the `plist` crate).
pub fn parse_fast<'a>(
    bytes: &'a [u8],
    arena: &'a bumpalo::Bump,
    limits: &Limits,
) -> Option<PValue<'a>> {
    if bytes.starts_with(b"bplist00") {
        fast_binary::parse(bytes, arena, limits)
    } else {
        fast_xml::parse(bytes, arena, limits.max_depth)
    }
}

/// The checks every input gets before its container is opened.
fn check_input(bytes: &[u8], limits: &Limits) -> Result<Container, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    sniff(bytes).ok_or_else(|| ReadError::Unrecognised(bytes[..bytes.len().min(8)].to_vec()))
}

/// Parses a binary or XML plist, bounding its nesting depth first.
pub fn parse_plist(bytes: &[u8], limits: &Limits) -> Result<plist::Value, ReadError> {
    let binary = bytes.starts_with(b"bplist00");
    if binary {
        bplist::check(bytes, limits).map_err(ReadError::Binary)?;
    } else {
        check_xml_depth(bytes, limits.max_depth)?;
    }
    let value = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| {
        if binary {
            ReadError::Binary(plist_error_text(&e))
        } else {
            ReadError::Xml(xml_error_position(bytes, &e))
        }
    })?;
    Ok(value)
}

/// Provenance key: how many raw control characters an XML plist held.
pub const XML_CONTROL_CHARACTERS: &str = "xml_control_characters";

/// Raw control characters (other than tab, line feed and carriage return) in XML bytes.
fn xml_control_characters(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count()
}

/// Line (1-based) of a byte offset.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// An entity reference in XML text at `bytes[i] == b'&'`: only XML's five predefined
/// entities and character references are accepted. Plists declare no entities, and the
/// `plist` crate would read an undeclared one as nothing at all.
fn check_entity(bytes: &[u8], i: usize) -> Result<(), ReadError> {
    let end = bytes[i..]
        .iter()
        .take(40)
        .position(|&b| b == b';')
        .map(|p| i + p);
    let name = end.map(|e| &bytes[i + 1..e]);
    let ok = match name {
        Some(b"amp" | b"lt" | b"gt" | b"quot" | b"apos") => true,
        Some(n) if n.first() == Some(&b'#') => {
            let num = std::str::from_utf8(&n[1..]).unwrap_or("");
            let code = match num.strip_prefix('x') {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            code.and_then(char::from_u32).is_some() && !num.contains(['+', '-'])
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let shown = match name {
        Some(n) => format!("`&{};`", String::from_utf8_lossy(n)),
        None => "a `&` that starts no entity reference".to_string(),
    };
    Err(ReadError::Xml(format!(
        "undeclared entity {shown} at line {} (offset {i}): plists use only &amp; &lt; &gt; &quot; &apos; and character references",
        line_of(bytes, i)
    )))
}

/// The plist crate's error as a sentence. Its `Display` is the `Debug` of an error kind
/// (`InvalidXmlUtf8 (offset 193)`, `Io(Error { kind: InvalidInput, .. })`): the kind's
/// name becomes words and the offset stays.
pub fn plist_error_text(e: &plist::Error) -> String {
    if let Some(io) = e.as_io() {
        return format!("cannot read the plist: {io}");
    }
    humanize_kind(&e.to_string())
}

/// `SomeKindName (offset 12)` → `some kind name at offset 12`; other text unchanged.
fn humanize_kind(msg: &str) -> String {
    let (head, tail) = match msg.find(" (") {
        Some(p) => (&msg[..p], msg[p + 2..].trim_end_matches(')')),
        None => (msg, ""),
    };
    let ident = !head.is_empty() && head.chars().all(|c| c.is_ascii_alphanumeric());
    if !ident {
        return msg.to_string();
    }
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in head.chars() {
        if c.is_ascii_uppercase() && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    words.push(cur);
    let words: Vec<String> = words
        .into_iter()
        .map(|w| match w.as_str() {
            "Xml" => "XML".into(),
            "Utf8" => "UTF-8".into(),
            "Utf16" => "UTF-16".into(),
            "Eof" => "end of file".into(),
            "Uid" => "UID".into(),
            other => other.to_ascii_lowercase(),
        })
        .collect();
    let mut s = words.join(" ");
    if let Some(first) = s.get(..1) {
        s = first.to_ascii_uppercase() + &s[1..];
    }
    if !tail.is_empty() {
        s.push_str(" at ");
        s.push_str(tail);
    }
    s
}

/// The plist crate reports XML errors with a byte offset; users want a line and column.
fn xml_error_position(bytes: &[u8], e: &plist::Error) -> String {
    let msg = plist_error_text(e);
    // Messages look like "... (line 12, column 4)" or carry "offset N"; translate offsets.
    if let Some(pos) = msg.rfind("offset ") {
        let digits: String = msg[pos + 7..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(off) = digits.parse::<usize>() {
            let off = off.min(bytes.len());
            let line = bytes[..off].iter().filter(|&&b| b == b'\n').count() + 1;
            let col = off
                - bytes[..off]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            return format!("{msg} (line {line}, column {col})");
        }
    }
    msg
}

/// A cheap scan of XML nesting (and of entity references: see [`check_entity`]) so that a
/// hostile file cannot build a value deeper than
/// the limit (dropping or lifting one recurses once per level). Every element counts, not
/// only `<dict>` and `<array>`: the plist reader matches tags by local name and ignores
/// attributes, so `<x:dict>` and `<dict a="">` open a dictionary too. An element's depth
/// bounds the depth of the value it holds.
fn check_xml_depth(bytes: &[u8], max: usize) -> Result<(), ReadError> {
    // Leaves (`<string>` in `<dict>` in `<plist>`) sit two elements below their value.
    let max_elements = max.saturating_add(2);
    let find = |from: usize, pat: &[u8]| {
        bytes[from.min(bytes.len())..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map_or(bytes.len(), |p| from + p + pat.len())
    };
    let mut depth: usize = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            if bytes[i] == b'&' {
                check_entity(bytes, i)?;
            }
            i += 1;
            continue;
        }
        let rest = &bytes[i + 1..];
        if rest.starts_with(b"!ENTITY") {
            // A document type's internal subset declaring entities: the billion laughs.
            return Err(ReadError::Xml(format!(
                "entity declaration at line {} (offset {i}): plists declare no entities, and \
                 expanding them is how XML bombs work",
                line_of(bytes, i)
            )));
        }
        if rest.starts_with(b"!--") {
            i = find(i + 4, b"-->");
        } else if rest.starts_with(b"![CDATA[") {
            i = find(i + 9, b"]]>");
        } else if rest.starts_with(b"?") {
            i = find(i + 2, b"?>");
        } else if rest.starts_with(b"!") {
            let end = find(i + 2, b">");
            // A document type with an internal subset: scan into the subset, so that the
            // declarations in it are seen.
            i = match bytes[i..end].iter().position(|&b| b == b'[') {
                Some(p) if rest.starts_with(b"!DOCTYPE") => i + p + 1,
                _ => end,
            };
        } else if rest.starts_with(b"/") {
            depth = depth.saturating_sub(1);
            i = find(i + 2, b">");
        } else {
            // A start tag: up to its `>`, outside quoted attribute values.
            let mut j = i + 1;
            let mut quote = None;
            while j < bytes.len() {
                match (quote, bytes[j]) {
                    (None, b'"' | b'\'') => quote = Some(bytes[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if bytes.get(j.wrapping_sub(1)) != Some(&b'/') {
                depth += 1;
                if depth > max_elements {
                    let line = bytes[..i].iter().filter(|&&b| b == b'\n').count() + 1;
                    return Err(ReadError::Xml(format!(
                        "nesting deeper than {max} at line {line}"
                    )));
                }
            }
            i = j + 1;
        }
    }
    Ok(())
}

pub(crate) fn kind_name(v: &plist::Value) -> &'static str {
    match v {
        plist::Value::Array(_) => "array",
        plist::Value::Dictionary(_) => "dictionary",
        plist::Value::Boolean(_) => "boolean",
        plist::Value::Data(_) => "data",
        plist::Value::Date(_) => "date",
        plist::Value::Real(_) => "real",
        plist::Value::Integer(_) => "integer",
        plist::Value::String(_) => "string",
        plist::Value::Uid(_) => "uid",
        _ => "unknown value",
    }
}

/// Action clips: each zip member is one action dictionary; together, in archive order,
/// they form the workflow's action list.
fn read_action_clips(bytes: &[u8], limits: &Limits) -> Result<plist::Value, ReadError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ReadError::Zip(e.to_string()))?;
    let mut actions = Vec::new();
    // Members may expand the input by no more than the ratio cap, nor past the absolute
    // cap; counted on the bytes actually inflated, as a member's claimed size may lie.
    let limit = (limits.max_decompressed_bytes as u64)
        .min((limits.max_expansion_ratio as u64).saturating_mul(bytes.len() as u64));
    let too_big = || ReadError::Zip(format!("members expand to more than {limit} bytes"));
    let mut claimed: u64 = 0;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| ReadError::Zip(e.to_string()))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        claimed = claimed.saturating_add(f.size());
        if claimed > limit {
            return Err(ReadError::Zip(format!(
                "members claim more than {limit} bytes"
            )));
        }
        let mut buf = Vec::new();
        (&mut f)
            .take(limit - total + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ReadError::Zip(format!("{name}: {e}")))?;
        total += buf.len() as u64;
        if total > limit {
            return Err(too_big());
        }
        let v = parse_plist(&buf, limits).map_err(|e| ReadError::Zip(format!("{name}: {e}")))?;
        actions.push(v);
    }
    let mut d = plist::Dictionary::new();
    d.insert("WFWorkflowActions".into(), plist::Value::Array(actions));
    Ok(plist::Value::Dictionary(d))
}
