//! Hostile input: each case in the table is fed to the reader, lifter or parser and must
//! produce exactly the error (or the lossless fallback) listed, within a second, without
//! overflowing the stack. The big-claim cases also run in a child process whose peak
//! memory (VmHWM) must stay under 10× the input plus 64 MiB.
//!
//! `cargo test --release --test hostile -- --nocapture` prints the table with timings.

use std::time::{Duration, Instant};
use wfc::limits::Limits;
use wfc::shortcut::{self, aea::AeaError, ReadError};

// ---------------------------------------------------------------------------------------
// Builders

/// A binary plist from encoded objects (references are 4 bytes), the root being object 0.
fn bplist(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for o in objects {
        offsets.push(out.len() as u32);
        out.extend_from_slice(o);
    }
    let table = out.len() as u64;
    for o in offsets {
        out.extend_from_slice(&o.to_be_bytes());
    }
    out.extend_from_slice(&[0; 6]);
    out.push(4); // offset size
    out.push(4); // reference size
    out.extend_from_slice(&(objects.len() as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&table.to_be_bytes());
    out
}

/// A marker with a length: in the low nibble, or 0xF and a 4-byte integer.
fn marker(kind: u8, len: u64) -> Vec<u8> {
    if len < 15 {
        vec![kind << 4 | len as u8]
    } else {
        let mut v = vec![kind << 4 | 0x0f, 0x12];
        v.extend_from_slice(&(len as u32).to_be_bytes());
        v
    }
}

fn b_array(refs: &[u32]) -> Vec<u8> {
    let mut v = marker(0xa, refs.len() as u64);
    refs.iter()
        .for_each(|r| v.extend_from_slice(&r.to_be_bytes()));
    v
}

fn b_dict(pairs: &[(u32, u32)]) -> Vec<u8> {
    let mut v = marker(0xd, pairs.len() as u64);
    pairs
        .iter()
        .for_each(|(k, _)| v.extend_from_slice(&k.to_be_bytes()));
    pairs
        .iter()
        .for_each(|(_, x)| v.extend_from_slice(&x.to_be_bytes()));
    v
}

fn b_ascii(s: &str) -> Vec<u8> {
    let mut v = marker(0x5, s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

fn b_utf16(units: &[u16]) -> Vec<u8> {
    let mut v = marker(0x6, units.len() as u64);
    units
        .iter()
        .for_each(|u| v.extend_from_slice(&u.to_be_bytes()));
    v
}

/// `{WFWorkflowActions: [s]}` with `s` a string object of `units` UTF-16 units.
fn workflow_with_utf16(units: &[u16]) -> Vec<u8> {
    bplist(&[
        b_dict(&[(1, 2)]),
        b_ascii("WFWorkflowActions"),
        b_array(&[3]),
        b_dict(&[(4, 5)]),
        b_ascii("WFWorkflowActionIdentifier"),
        b_utf16(units),
    ])
}

fn xml(body: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n{body}\n</plist>\n"
    )
    .into_bytes()
}

fn to_binary(v: &plist::Value) -> Vec<u8> {
    let mut b = Vec::new();
    v.to_writer_binary(&mut b).unwrap();
    b
}

fn dict(pairs: Vec<(&str, plist::Value)>) -> plist::Value {
    plist::Value::Dictionary(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn s(x: &str) -> plist::Value {
    plist::Value::String(x.into())
}

fn action(id: &str, params: Vec<(&str, plist::Value)>) -> plist::Value {
    dict(vec![
        ("WFWorkflowActionIdentifier", s(id)),
        ("WFWorkflowActionParameters", dict(params)),
    ])
}

fn workflow(actions: Vec<plist::Value>) -> Vec<u8> {
    to_binary(&dict(vec![(
        "WFWorkflowActions",
        plist::Value::Array(actions),
    )]))
}

fn if_start(group: Option<&str>) -> plist::Value {
    let mut p = vec![("WFControlFlowMode", plist::Value::Integer(0.into()))];
    if let Some(g) = group {
        p.push(("GroupingIdentifier", s(g)));
    }
    action("is.workflow.actions.conditional", p)
}

fn if_end(group: &str) -> plist::Value {
    action(
        "is.workflow.actions.conditional",
        vec![
            ("WFControlFlowMode", plist::Value::Integer(2.into())),
            ("GroupingIdentifier", s(group)),
        ],
    )
}

fn text_token(string: &str, ranges: Vec<(&str, plist::Value)>) -> plist::Value {
    dict(vec![
        ("WFSerializationType", s("WFTextTokenString")),
        (
            "Value",
            dict(vec![
                ("string", s(string)),
                ("attachmentsByRange", dict(ranges)),
            ]),
        ),
    ])
}

fn named_var(name: &str) -> plist::Value {
    dict(vec![("Type", s("Variable")), ("VariableName", s(name))])
}

/// An AEA file: profile 0, no auth data, a root header as given, then `body`.
fn aea(raw_size: u64, segment_size: u32, spc: u32, compression: u8, body: &[u8]) -> Vec<u8> {
    let mut f = b"AEA1\0\0\0\0".to_vec();
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&[0xAB; 224]);
    f.extend_from_slice(&raw_size.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&segment_size.to_le_bytes());
    f.extend_from_slice(&spc.to_le_bytes());
    f.push(compression);
    f.push(0);
    f.extend_from_slice(&[0; 22]);
    f.extend_from_slice(&[0xCD; 32]);
    f.extend_from_slice(body);
    f
}

/// One cluster of one segment, no checksum.
fn cluster(raw: u32, stored: &[u8]) -> Vec<u8> {
    let mut c = raw.to_le_bytes().to_vec();
    c.extend_from_slice(&(stored.len() as u32).to_le_bytes());
    c.extend_from_slice(&[0; 64]);
    c.extend_from_slice(stored);
    c
}

fn zip_with(name: &str, data: &[u8], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    z.start_file(name, opts).unwrap();
    z.write_all(data).unwrap();
    z.finish().unwrap().into_inner()
}

/// Overwrites the uncompressed size of every zip header (local and central) with `size`.
fn zip_claiming(mut z: Vec<u8>, size: u32) -> Vec<u8> {
    for i in 0..z.len().saturating_sub(30) {
        if z[i..].starts_with(b"PK\x03\x04") {
            z[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
        }
        if z[i..].starts_with(b"PK\x01\x02") {
            z[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
        }
    }
    z
}

// ---------------------------------------------------------------------------------------
// The table

/// What a case must produce.
enum Expect {
    /// `read_bytes` fails with an error matching the predicate, its message containing
    /// the text.
    Read(fn(&ReadError) -> bool, &'static str),
    /// Reading succeeds and lifting fails with this message.
    Lift(&'static str),
    /// Reading and lifting succeed; the lifted IR compiles back to the very plist read
    /// (the lifter's fallback is lossless), with a warning containing the text if given.
    Lossless(Option<&'static str>),
    /// `dsl::parse` fails with a diagnostic containing the text.
    Dsl(&'static str),
    /// `dsl::parse` succeeds and printing it is a fixed point.
    DslRoundTrip,
}

struct Case {
    name: &'static str,
    input: Vec<u8>,
    expect: Expect,
    /// Run in a child process too, to measure peak memory.
    measure: bool,
}

const DEEP: usize = 100_000;

/// Whether this process runs the case: all of them, or in a child only the one named.
fn wanted(name: &str) -> bool {
    std::env::var(CHILD_ENV).map_or(true, |n| n == name)
}

/// Adds a case, building its input only if it is wanted.
macro_rules! push {
    ($v:ident, $measure:expr, $name:expr, $input:expr, $expect:expr $(,)?) => {
        if wanted($name) {
            $v.push(Case {
                name: $name,
                input: $input,
                expect: $expect,
                measure: $measure,
            });
        }
    };
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let mut v = Vec::new();

    // Nesting.
    push!(
        v,
        false,
        "100,000 nested conditional blocks (binary plist actions)",
        workflow((0..DEEP).map(|_| if_start(Some("g"))).collect()),
        Lift("blocks nested deeper than 512"),
    );
    push!(
        v,
        false,
        "XML plist: <array> nested 100,000 deep",
        xml(&format!(
            "{}{}",
            "<array>".repeat(DEEP),
            "</array>".repeat(DEEP)
        )),
        Read(
            |e| matches!(e, ReadError::Xml(_)),
            "nesting deeper than 512",
        ),
    );
    push!(
        v,
        false,
        "XML plist: <dict a=\"\"> (attributes) nested 100,000 deep",
        xml(&format!(
            "{}{}",
            "<dict a=\"1\"><key>k</key>".repeat(DEEP),
            "</dict>".repeat(DEEP)
        )),
        Read(
            |e| matches!(e, ReadError::Xml(_)),
            "nesting deeper than 512",
        ),
    );
    push!(
        v,
        false,
        "XML plist: <x:array> (prefixed) nested 100,000 deep",
        xml(&format!(
            "{}{}",
            "<x:array>".repeat(DEEP),
            "</x:array>".repeat(DEEP)
        )),
        Read(
            |e| matches!(e, ReadError::Xml(_)),
            "nesting deeper than 512",
        ),
    );
    push!(
        v,
        true,
        "binary plist: arrays nested 100,000 deep",
        bplist(&{
            let c: Vec<Vec<u8>> = (0..DEEP as u32)
                .map(|i| {
                    if i + 1 < DEEP as u32 {
                        b_array(&[i + 1])
                    } else {
                        b_array(&[])
                    }
                })
                .collect();
            c
        }),
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "nesting deeper than 512",
        ),
    );
    push!(
        v,
        false,
        "JSON: arrays nested 100,000 deep",
        format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP)).into_bytes(),
        Read(
            |e| matches!(e, ReadError::Json(_)),
            "recursion limit exceeded",
        ),
    );
    push!(
        v,
        false,
        "DSL: 2,000 nested ifs (one-space indents)",
        (0..2000)
            .map(|d| format!("{}if x == 1:\n", " ".repeat(d)))
            .collect::<String>()
            .into_bytes(),
        Dsl("blocks nested deeper than 512"),
    );
    push!(
        v,
        false,
        "DSL: a list nested 100,000 deep",
        format!("x = {}1{}\n", "[".repeat(DEEP), "]".repeat(DEEP)).into_bytes(),
        Dsl("brackets nested deeper than 200"),
    );
    push!(
        v,
        false,
        "DSL: parentheses nested 100,000 deep",
        format!("x = {}1{}\n", "(".repeat(DEEP), ")".repeat(DEEP)).into_bytes(),
        Dsl("brackets nested deeper than 200"),
    );
    push!(
        v,
        false,
        "DSL: a list nested 100,000 deep inside an f-string",
        format!("x = f'{{{}1{}}}'\n", "[".repeat(DEEP), "]".repeat(DEEP)).into_bytes(),
        Dsl("brackets nested deeper than 50 in an f-string expression"),
    );

    // Shared objects and sizes.
    let laughs: Vec<Vec<u8>> = (0..40u32)
        .map(|i| b_array(&[i + 1, i + 1]))
        .chain([b_ascii("lol")])
        .collect();
    push!(
        v,
        true,
        "binary plist: 40 arrays each holding the next twice (2^40 leaves)",
        bplist(&laughs),
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "shared objects expand to more than",
        ),
    );
    let mut claim = vec![0x5f, 0x12];
    claim.extend_from_slice(&(1u32 << 30).to_be_bytes());
    push!(
        v,
        true,
        "binary plist: a string object claiming 1 GB",
        bplist(&[b_array(&[1]), claim]),
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "Object offset too large at offset",
        ),
    );
    let mut claim16 = vec![0x6f, 0x13];
    claim16.extend_from_slice(&(1u64 << 30).to_be_bytes());
    push!(
        v,
        true,
        "binary plist: a UTF-16 string claiming 1 G units",
        bplist(&[b_array(&[1]), claim16]),
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "Object offset too large at offset",
        ),
    );
    let mut objects = bplist(&[b_array(&[])]);
    let n = objects.len();
    objects[n - 24..n - 16].copy_from_slice(&(1u64 << 40).to_be_bytes());
    push!(
        v,
        true,
        "binary plist: trailer claiming 2^40 objects",
        objects,
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "Object offset too large at offset",
        ),
    );
    push!(
        v,
        false,
        "input over max_input_bytes (limit lowered to 1 KiB)",
        vec![b' '; 2048],
        Read(
            |e| matches!(e, ReadError::TooLarge { .. }),
            "over the limit",
        ),
    );
    push!(
        v,
        true,
        "AEA: root header claiming 4 GB raw",
        aea(4 << 30, 1 << 20, 1, b'e', &cluster(16, &[0; 16])),
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::TooLarge { .. })),
            "payload claims 4294967296 bytes",
        ),
    );
    push!(
        v,
        true,
        "AEA: segment claiming 4 GB stored",
        {
            let mut c = 16u32.to_le_bytes().to_vec();
            c.extend_from_slice(&u32::MAX.to_le_bytes());
            c.extend_from_slice(&[0; 64]);
            aea(16, 1 << 20, 1, b'-', &c)
        },
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::Truncated { .. })),
            "truncated segment data",
        ),
    );
    push!(
        v,
        false,
        "AEA: auth data claiming 4 GB",
        {
            let mut f = b"AEA1\0\0\0\0".to_vec();
            f.extend_from_slice(&u32::MAX.to_le_bytes());
            f
        },
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::Truncated { .. })),
            "truncated auth data",
        ),
    );
    push!(
        v,
        false,
        "AEA: segments per cluster 2^32-1",
        aea(16, 1 << 20, u32::MAX, b'-', &cluster(16, &[0; 16])),
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::Truncated { .. })),
            "truncated cluster header",
        ),
    );
    push!(
        v,
        false,
        "AEA: LZFSE segment claiming more than the segment size",
        aea(64, 16, 1, b'e', &cluster(64, &[0; 16])),
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::BadSegment { .. })),
            "over the segment size",
        ),
    );
    push!(
        v,
        false,
        "AEA: garbage LZFSE segment",
        aea(64, 1 << 20, 1, b'e', &cluster(64, &[0x55; 16])),
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::Lzfse { .. })),
            "LZFSE segment",
        ),
    );
    let archive = {
        let mut h = b"AA01\0\0PATP\x0e\0Shortcut.wflowDATC".to_vec();
        h.extend_from_slice(&(1u64 << 40).to_le_bytes());
        let n = h.len() as u16;
        h[4..6].copy_from_slice(&n.to_le_bytes());
        h
    };
    push!(
        v,
        true,
        "Apple Archive: DAT blob claiming 1 TB",
        aea(
            archive.len() as u64,
            1 << 20,
            1,
            b'-',
            &cluster(archive.len() as u32, &archive),
        ),
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::Archive(_))),
            "overruns the archive",
        ),
    );
    let header_claim = b"AA01\xff\xffTYP1F".to_vec();
    push!(
        v,
        false,
        "Apple Archive: header size beyond the payload",
        aea(
            header_claim.len() as u64,
            1 << 20,
            1,
            b'-',
            &cluster(header_claim.len() as u32, &header_claim),
        ),
        Read(
            |e| matches!(e, ReadError::Aea(AeaError::Archive(_))),
            "exceeds the",
        ),
    );
    push!(
        v,
        true,
        "zip: member claiming 1 GB uncompressed",
        zip_claiming(
            zip_with("a.plist", b"x", zip::CompressionMethod::Stored),
            1 << 30,
        ),
        Read(|e| matches!(e, ReadError::Zip(_)), "claim more than"),
    );
    push!(
        v,
        true,
        "zip: 8 MiB of zeros deflated, claiming 1 byte (expands past the ratio)",
        zip_claiming(
            zip_with(
                "a.plist",
                &vec![0u8; 8 << 20],
                zip::CompressionMethod::Deflated,
            ),
            1,
        ),
        Read(
            |e| matches!(e, ReadError::Zip(_)),
            "members expand to more than",
        ),
    );

    // Text.
    push!(v, false,
        "XML plist: &#xD800; (a lone surrogate) in a string",
        xml("<dict><key>WFWorkflowActions</key><array/><key>n</key><string>a&#xD800;b</string></dict>"),
        Read(|e| matches!(e, ReadError::Xml(_)), "invalid"),
    );
    push!(
        v,
        false,
        "binary plist: a lone high surrogate in a UTF-16 string",
        workflow_with_utf16(&[0x61, 0xD800, 0x62]),
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "Invalid UTF-16 string"
        ),
    );
    push!(
        v,
        false,
        "binary plist: a lone low surrogate at the end of a UTF-16 string",
        workflow_with_utf16(&[0x61, 0xDC00]),
        Read(
            |e| matches!(e, ReadError::Binary(_)),
            "Invalid UTF-16 string"
        ),
    );
    push!(
        v,
        false,
        "JSON: \\ud800 (a lone surrogate) in a string",
        br#"{"WFWorkflowActions": [], "n": "a\ud800b"}"#.to_vec(),
        Read(|e| matches!(e, ReadError::Json(_)), "hex escape"),
    );
    push!(
        v,
        false,
        "DSL: \\ud800 escape in a string",
        b"x = '\\ud800'\n".to_vec(),
        Dsl("invalid escape"),
    );

    // Attachments, groups, variables.
    let text_action = |t: plist::Value| {
        workflow(vec![action(
            "is.workflow.actions.gettext",
            vec![("WFTextActionText", t)],
        )])
    };
    push!(
        v,
        false,
        "attachment range past the end of its string",
        text_action(text_token("ab", vec![("{100, 1}", named_var("x"))])),
        Lossless(None),
    );
    push!(
        v,
        false,
        "attachment range splitting a surrogate pair",
        text_action(text_token("a😀\u{FFFC}", vec![("{2, 1}", named_var("x"))])),
        Lossless(None),
    );
    push!(
        v,
        false,
        "attachment range with a 30-digit offset",
        text_action(text_token(
            "\u{FFFC}",
            vec![("{999999999999999999999999999999, 1}", named_var("x"))],
        )),
        Lossless(None),
    );
    push!(
        v,
        false,
        "attachment range with length 0 and a negative offset",
        text_action(text_token(
            "\u{FFFC}\u{FFFC}",
            vec![("{0, 0}", named_var("x")), ("{-1, 1}", named_var("y"))],
        )),
        Lossless(None),
    );
    push!(
        v,
        false,
        "two blocks with the same GroupingIdentifier",
        workflow(vec![
            if_start(Some("g")),
            if_start(Some("g")),
            if_end("g"),
            if_end("g"),
        ]),
        Lossless(None),
    );
    push!(
        v,
        false,
        "block start without a GroupingIdentifier",
        workflow(vec![if_start(None), if_end("g")]),
        Lossless(Some("no matching start")),
    );
    push!(
        v,
        false,
        "block end whose group never started",
        workflow(vec![if_start(Some("a")), if_end("b")]),
        Lossless(Some("has no end")),
    );
    push!(
        v,
        false,
        "variable set from itself",
        workflow(vec![action(
            "is.workflow.actions.setvariable",
            vec![
                ("WFVariableName", s("x")),
                (
                    "WFInput",
                    dict(vec![
                        ("WFSerializationType", s("WFTextTokenAttachment")),
                        ("Value", named_var("x")),
                    ]),
                ),
            ],
        )]),
        Lossless(None),
    );
    push!(
        v,
        false,
        "action whose input is its own output",
        workflow(vec![action(
            "is.workflow.actions.gettext",
            vec![
                ("UUID", s("U")),
                (
                    "WFTextActionText",
                    text_token(
                        "\u{FFFC}",
                        vec![(
                            "{0, 1}",
                            dict(vec![
                                ("Type", s("ActionOutput")),
                                ("OutputUUID", s("U")),
                                ("OutputName", s("Text")),
                            ]),
                        )],
                    ),
                ),
            ],
        )]),
        Lossless(None),
    );
    push!(
        v,
        false,
        "binary plist: an array that contains itself",
        bplist(&[
            b_dict(&[(1, 2)]),
            b_ascii("WFWorkflowActions"),
            b_array(&[2]),
        ]),
        Read(|e| matches!(e, ReadError::Binary(_)), "Recursive object"),
    );
    push!(
        v,
        false,
        "DSL: a variable defined from itself",
        b"x = x\n".to_vec(),
        DslRoundTrip,
    );

    // XML entities and control characters (issue 10).
    let gettext = |text: &str| {
        format!(
            "<dict><key>WFWorkflowActions</key><array><dict>\
             <key>WFWorkflowActionIdentifier</key><string>is.workflow.actions.gettext</string>\
             <key>WFWorkflowActionParameters</key><dict><key>WFTextActionText</key>\
             <string>{text}</string></dict></dict></array></dict>"
        )
    };
    push!(
        v,
        false,
        "XML: an entity bomb (billion laughs)",
        {
            let mut d =
                String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE plist [\n<!ENTITY l0 \"lol\">\n");
            for i in 1..10 {
                d.push_str(&format!(
                    "<!ENTITY l{i} \"{}\">\n",
                    format!("&l{};", i - 1).repeat(10)
                ));
            }
            d.push_str("]>\n<plist version=\"1.0\">");
            d.push_str(&gettext("&l9;"));
            d.push_str("</plist>\n");
            d.into_bytes()
        },
        Read(
            |e| matches!(e, ReadError::Xml(_)),
            "entity declaration at line 3"
        ),
    );
    push!(
        v,
        false,
        "XML: an undeclared entity",
        xml(&gettext("&WFWorkflowt;")),
        Read(
            |e| matches!(e, ReadError::Xml(_)),
            "undeclared entity `&WFWorkflowt;` at line 3"
        ),
    );
    push!(
        v,
        false,
        "XML: a bare ampersand",
        xml(&gettext("fish & chips")),
        Read(
            |e| matches!(e, ReadError::Xml(_)),
            "a `&` that starts no entity reference"
        ),
    );
    push!(
        v,
        false,
        "XML: raw NUL, BEL and ESC in a string",
        xml(&gettext("a\u{0}b\u{7}c\u{1b}[31m")),
        Lossless(Some("holds 3 raw control character(s)")),
    );

    // Long postfix chains (issue 10): refused before anything deep is built.
    push!(
        v,
        false,
        "DSL: 15,000 attribute accesses in a row",
        format!("x = variable()\ny = f(x{})\n", ".a".repeat(15_000)).into_bytes(),
        Dsl("expression nested deeper than 256"),
    );
    push!(
        v,
        false,
        "DSL: 100,000 subscripts in a row",
        format!("x = variable()\ny = f(x{})\n", "['a']".repeat(DEEP)).into_bytes(),
        Dsl("expression nested deeper than 256"),
    );
    push!(
        v,
        false,
        "DSL: 100,000 calls in a row",
        format!("y = f{}\n", "()".repeat(DEEP)).into_bytes(),
        Dsl("expression nested deeper than 256"),
    );

    // Literals whose Python meaning a shortcut cannot hold, or that Python refuses.
    push!(
        v,
        false,
        "DSL: an unknown \\N{...} name",
        b"x = '\\N{NO SUCH CHARACTER}'\n".to_vec(),
        Dsl("unknown Unicode character name `NO SUCH CHARACTER`"),
    );
    push!(
        v,
        false,
        "DSL: range(10**23) written out",
        b"for i in range(100000000000000000000000):\n    pass\n".to_vec(),
        Dsl("invalid number"),
    );
    push!(
        v,
        false,
        "DSL: 1e999999",
        b"x = variable()\ny = is_workflow_actions_number(WFNumberActionNumber=1e999999)\n".to_vec(),
        Dsl("invalid number"),
    );
    v
}

fn limits_for(c: &Case) -> Limits {
    if c.name.starts_with("input over max_input_bytes") {
        Limits {
            max_input_bytes: 1024,
            ..Limits::default()
        }
    } else {
        Limits::default()
    }
}

/// Runs one case; `Err` says how it differed from what was expected.
fn run(c: &Case) -> Result<String, String> {
    let limits = limits_for(c);
    match &c.expect {
        Expect::Read(kind, text) => match shortcut::read_bytes(&c.input, &limits) {
            Ok(_) => Err("read succeeded".into()),
            Err(e) if debug_text(&e.to_string()) => Err(format!("Rust Debug text in: {e}")),
            Err(e) if kind(&e) && e.to_string().contains(text) => Ok(e.to_string()),
            Err(e) => Err(format!("wrong error: {e:?}")),
        },
        Expect::Lift(text) => {
            let loaded = shortcut::read_bytes(&c.input, &limits).map_err(|e| e.to_string())?;
            match wfc::lift::lift(loaded, &limits) {
                Ok(_) => Err("lift succeeded".into()),
                Err(e) if e.to_string().contains(text) => Ok(e.to_string()),
                Err(e) => Err(format!("wrong error: {e:?}")),
            }
        }
        Expect::Lossless(warning) => {
            let loaded = shortcut::read_bytes(&c.input, &limits).map_err(|e| e.to_string())?;
            let original = plist::Value::Dictionary(loaded.plist.clone());
            let wf = wfc::lift::lift(loaded, &limits).map_err(|e| e.to_string())?;
            let printed = wfc::dsl::print(&wf);
            let back = plist::Value::Dictionary(wfc::compile::compile(&wf));
            if back != original {
                return Err(format!("not lossless:\n{original:?}\n{back:?}"));
            }
            if let Some(w) = warning {
                if !wf.warnings.iter().any(|x| x.contains(w)) {
                    return Err(format!("no warning {w:?} in {:?}", wf.warnings));
                }
            }
            Ok(format!(
                "lossless, {} warning(s), {} printed lines",
                wf.warnings.len(),
                printed.lines().count()
            ))
        }
        Expect::DslRoundTrip => {
            let src = std::str::from_utf8(&c.input).unwrap();
            wfc::fuzz_targets::dsl_roundtrip(src);
            Ok("parses; print/parse is a fixed point".into())
        }
        Expect::Dsl(text) => {
            let src = std::str::from_utf8(&c.input).unwrap();
            match wfc::dsl::parse(src, wfc::dsl::ParseOptions::default()) {
                Ok(_) => Err("parse succeeded".into()),
                Err(d) if d.iter().any(|d| d.message.contains(text)) => Ok(d[0].message.clone()),
                Err(d) => Err(format!(
                    "wrong diagnostics: {:?}",
                    d.iter().map(|d| &d.message).collect::<Vec<_>>()
                )),
            }
        }
    }
}

/// Whether a message shows Rust `Debug` text: a struct literal or a CamelCase kind name
/// (identifiers of the format itself, `WF...`, are fine).
fn debug_text(msg: &str) -> bool {
    msg.contains("Error {")
        || msg.contains("{ kind")
        || msg.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            let b = w.as_bytes();
            !w.starts_with("WF")
                && b.first().is_some_and(u8::is_ascii_uppercase)
                && b.windows(2)
                    .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
        })
}

fn time_limit() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(1)
    }
}

#[test]
fn hostile_table() {
    let mut failures = Vec::new();
    for c in cases() {
        let t = Instant::now();
        let r = run(&c);
        let mut elapsed = t.elapsed();
        if elapsed > time_limit() {
            // A loaded machine (CI runs test binaries in parallel): take the better of two.
            let t = Instant::now();
            let _ = run(&c);
            elapsed = elapsed.min(t.elapsed());
        }
        println!(
            "{:<70} {:>9} B {:>8.1} ms  {}",
            c.name,
            c.input.len(),
            elapsed.as_secs_f64() * 1e3,
            match &r {
                Ok(m) => format!("ok: {m}"),
                Err(e) => format!("FAILED: {e}"),
            }
        );
        if let Err(e) = r {
            failures.push(format!("{}: {e}", c.name));
        }
        if elapsed > time_limit() {
            failures.push(format!("{}: took {elapsed:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------
// Peak memory, measured in a child process

const CHILD_ENV: &str = "WFC_HOSTILE_CASE";

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In the child: runs the named case and prints the peak resident set before and after.
#[test]
fn child_run_one_case() {
    let Ok(name) = std::env::var(CHILD_ENV) else {
        return;
    };
    let c = cases()
        .into_iter()
        .find(|c| c.name == name)
        .expect("case exists");
    let before = vm_hwm_kib();
    let r = run(&c);
    let after = vm_hwm_kib();
    println!("RESULT ok={} before={before} after={after}", r.is_ok());
}

#[test]
fn peak_memory_of_big_claims() {
    if !cfg!(target_os = "linux") || std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut failures = Vec::new();
    for c in cases().into_iter().filter(|c| c.measure) {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "child_run_one_case",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, c.name)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.find("RESULT").map(|i| &l[i..]))
            .unwrap_or_else(|| panic!("{}: child printed no result: {stdout}", c.name));
        let field = |k: &str| -> u64 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let (before, after) = (field("before="), field("after="));
        let bound_kib = (10 * c.input.len() as u64 + (64 << 20)) / 1024;
        println!(
            "{:<70} input {:>9} B  peak RSS {:>7} KiB (before the case {:>7} KiB)  bound {:>7} KiB",
            c.name,
            c.input.len(),
            after,
            before,
            bound_kib
        );
        if !line.contains("ok=true") {
            failures.push(format!("{}: the case failed in the child", c.name));
        }
        if after > bound_kib {
            failures.push(format!("{}: peak {after} KiB over {bound_kib} KiB", c.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------
// Literals follow Python (issue 10)

fn compile_text(src: &str) -> String {
    let wf = wfc::dsl::parse(src, wfc::dsl::ParseOptions::default())
        .unwrap_or_else(|d| panic!("{}", d[0].render("t.py", src)));
    format!("{:?}", wfc::compile::compile(&wf))
}

#[test]
fn named_unicode_escapes_mean_the_character() {
    let got = compile_text(
        "y = is_workflow_actions_gettext(WFTextActionText='\\N{BULLET} \\N{bullet} \\N{EM DASH}')\n",
    );
    assert!(got.contains("\"\u{2022} \u{2022} \u{2014}\""), "{got}");
    // In bytes, `\N` is no escape (as in Python): the backslash stays.
    let src = "y = is_workflow_actions_gettext(WFTextActionText=b'\\N{BULLET}')\n";
    if let Ok(wf) = wfc::dsl::parse(src, wfc::dsl::ParseOptions::default()) {
        let got = format!("{:?}", wfc::compile::compile(&wf));
        assert!(!got.contains('\u{2022}'), "{got}");
    }
}

#[test]
fn a_bom_and_lone_carriage_returns_read_as_python_does() {
    let printed = |src: &str| {
        let wf = wfc::dsl::parse(src, wfc::dsl::ParseOptions::default())
            .unwrap_or_else(|d| panic!("{src:?}: {}", d[0].render("t.py", src)));
        wfc::dsl::print(&wf)
    };
    let plain = printed("x = 1\ny = is_workflow_actions_gettext(WFTextActionText=x)\n");
    for src in [
        "\u{FEFF}x = 1\ny = is_workflow_actions_gettext(WFTextActionText=x)\n",
        "x = 1\ry = is_workflow_actions_gettext(WFTextActionText=x)\r",
        "\u{FEFF}x = 1\r\ny = is_workflow_actions_gettext(WFTextActionText=x)\r\n",
    ] {
        assert_eq!(printed(src), plain, "{src:?}");
    }
}

/// `range(-5)` runs zero times in Python, and `int(2.5)` is 2: a Repeat action that holds
/// such a count is written with its raw parameter, and the Python spellings are errors.
#[test]
fn range_means_what_it_means_in_python() {
    let wrong = |src: &str, message: &str, help: &str| {
        let d = wfc::dsl::parse(src, wfc::dsl::ParseOptions::default())
            .expect_err(&format!("{src:?} parsed"));
        assert_eq!(d[0].message, message, "{src:?}");
        assert!(
            d[0].help.as_deref().is_some_and(|h| h.contains(help)),
            "{src:?}: {:?}",
            d[0]
        );
        assert_eq!(d[0].position(src), (2, 16), "{src:?}");
    };
    let negative = "runs zero times for a negative count; write `range(WFRepeatCount=-5)`";
    wrong(
        "x = 1\nfor i in range(-5):\n    pass\n",
        "this count has another meaning in Python",
        negative,
    );
    wrong(
        "x = 1\nfor i in range(int(-5)):\n    pass\n",
        "this count has another meaning in Python",
        negative,
    );
    wrong(
        "x = 1\nfor i in range(int(2.5)):\n    pass\n",
        "this count has another meaning in Python",
        "`int()` truncates); write `range(WFRepeatCount=2.5)`",
    );
    wrong(
        "x = 1\nfor i in range(3.0):\n    pass\n",
        "`range()` takes an integer",
        "range(int(x))",
    );
    wrong(
        "x = 1\nfor i in range(3, WFRepeatCount=4):\n    pass\n",
        "the repeat count is given twice",
        "drop",
    );
    // The raw spelling compiles to the count as written and prints back the same.
    for (src, count) in [
        (
            "for Repeat_Index in range(WFRepeatCount=-5):\n    pass\n",
            "Integer(-5)",
        ),
        (
            "for Repeat_Index in range(WFRepeatCount=2.5):\n    pass\n",
            "Real(2.5)",
        ),
    ] {
        let wf = wfc::dsl::parse(src, wfc::dsl::ParseOptions::default())
            .unwrap_or_else(|d| panic!("{}", d[0].render("t.py", src)));
        let plist = format!("{:?}", wfc::compile::compile(&wf));
        assert!(
            plist.contains(&format!("\"WFRepeatCount\": {count}")),
            "{plist}"
        );
        assert_eq!(wfc::dsl::print(&wf), src);
    }
    // Counts Python reads the same way keep their short forms.
    for src in [
        "for Repeat_Index in range(0):\n    pass\n",
        "for Repeat_Index in range(int(6.0)):\n    pass\n",
    ] {
        let wf = wfc::dsl::parse(src, wfc::dsl::ParseOptions::default()).unwrap();
        assert_eq!(wfc::dsl::print(&wf), src);
    }
}

/// A lifted Repeat whose count is negative prints with the raw spelling, which compiles
/// back to the same plist and parses back to the same text.
#[test]
fn negative_repeat_counts_from_shortcuts_round_trip() {
    for count in [
        plist::Value::Integer((-5).into()),
        plist::Value::Real(-1.5),
        plist::Value::Real(2.5),
    ] {
        let start = dict(vec![
            (
                "WFWorkflowActionIdentifier",
                s("is.workflow.actions.repeat.count"),
            ),
            (
                "WFWorkflowActionParameters",
                dict(vec![
                    ("GroupingIdentifier", s("G")),
                    ("WFControlFlowMode", plist::Value::Integer(0.into())),
                    ("WFRepeatCount", count.clone()),
                ]),
            ),
        ]);
        let end = dict(vec![
            (
                "WFWorkflowActionIdentifier",
                s("is.workflow.actions.repeat.count"),
            ),
            (
                "WFWorkflowActionParameters",
                dict(vec![
                    ("GroupingIdentifier", s("G")),
                    ("WFControlFlowMode", plist::Value::Integer(2.into())),
                ]),
            ),
        ]);
        let mut root = plist::Dictionary::new();
        root.insert(
            "WFWorkflowActions".into(),
            plist::Value::Array(vec![start, end]),
        );
        let mut bytes = Vec::new();
        plist::Value::Dictionary(root)
            .to_writer_xml(&mut bytes)
            .unwrap();
        let loaded = shortcut::read_bytes(&bytes, &Limits::default()).unwrap();
        let original = loaded.plist.clone();
        let wf = wfc::lift::lift(loaded, &Limits::default()).unwrap();
        let printed = wfc::dsl::print(&wf);
        assert!(printed.contains("in range(WFRepeatCount="), "{printed}");
        let back = wfc::dsl::parse(&printed, wfc::dsl::ParseOptions::default())
            .unwrap_or_else(|d| panic!("{}", d[0].render("t.py", &printed)));
        assert_eq!(wfc::dsl::print(&back), printed);
        let compiled = wfc::compile::compile(&back);
        let count_of = |d: &plist::Dictionary| {
            d["WFWorkflowActions"].as_array().unwrap()[0]
                .as_dictionary()
                .unwrap()["WFWorkflowActionParameters"]
                .as_dictionary()
                .unwrap()["WFRepeatCount"]
                .clone()
        };
        assert_eq!(count_of(&compiled), count_of(&original), "{printed}");
    }
}

/// Diagnostics count lines as Python does: `\n`, `\r\n` and a lone `\r` each end one.
/// The expected line is what `ast.parse` reports for the same text when python3 is on the
/// PATH (else the hand-counted one, which the check below also asserts).
#[test]
fn diagnostics_count_lone_carriage_returns_as_python_does() {
    let body = [
        "x = 1",
        "# a comment",
        "",
        "y = is_workflow_actions_gettext(WFTextActionText=x)",
        "z = f(x))",
        "w = 2",
    ];
    let python_line = |src: &str| -> Option<usize> {
        let script = "import ast,sys\ntry:\n ast.parse(sys.stdin.buffer.read().decode())\nexcept SyntaxError as e:\n print(e.lineno)";
        let mut child = std::process::Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        use std::io::Write;
        child.stdin.take()?.write_all(src.as_bytes()).ok()?;
        let out = child.wait_with_output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    let endings: [(&str, &[&str]); 4] = [
        ("\\n", &["\n"]),
        ("\\r", &["\r"]),
        ("\\r\\n", &["\r\n"]),
        ("mixed", &["\r", "\r\n", "\n", "\r\r\n", "\r"]),
    ];
    for (name, ends) in endings {
        let mut src = String::new();
        // Hand count: one line per `\n`, `\r\n` or lone `\r` before the bad line.
        let mut line = 1;
        for (i, l) in body.iter().enumerate() {
            if l.starts_with("z =") {
                line += src.matches('\n').count()
                    + src
                        .match_indices('\r')
                        .filter(|(j, _)| !src[j + 1..].starts_with('\n'))
                        .count();
            }
            src.push_str(l);
            src.push_str(ends[i % ends.len()]);
        }
        let d = wfc::dsl::parse(&src, wfc::dsl::ParseOptions::default()).expect_err(name);
        let (got, col) = d[0].position(&src);
        if let Some(py) = python_line(&src) {
            assert_eq!(got, py, "{name}: line as Python reports it");
        }
        assert_eq!((got, col), (line, 9), "{name}: {}", d[0].message);
        let shown = d[0].render("t.py", &src);
        assert!(shown.contains(&format!("t.py:{line}:9")), "{name}: {shown}");
        assert!(
            shown.contains("| z = f(x))\n"),
            "{name}: the line as shown: {shown}"
        );
    }
    // Blank lines, comments and strings across lines read as Python reads them: every
    // line end is `\n`, none leaves a `\r` behind.
    let program = |e: &str| {
        format!("# note{e}{e}x = '''a{e}b'''{e}c = f'''{{x}}{e}'''{e}y = is_workflow_actions_gettext(WFTextActionText=c){e}")
    };
    let plain = wfc::dsl::parse(&program("\n"), wfc::dsl::ParseOptions::default()).unwrap();
    let plain = wfc::dsl::print(&plain);
    for e in ["\r", "\r\n"] {
        let src = program(e);
        let wf = wfc::dsl::parse(&src, wfc::dsl::ParseOptions::default())
            .unwrap_or_else(|d| panic!("{e:?}: {}", d[0].render("t.py", &src)));
        assert_eq!(wfc::dsl::print(&wf), plain, "{e:?}");
    }
    // Spans still point into the original text: an undefined name after `\r\n` lines.
    let src = "x = 1\r\n\r\ny = is_workflow_actions_gettext(WFTextActionText=Contnts)\r\n";
    let parsed = wfc::dsl::parse_recovering(src, wfc::dsl::ParseOptions::default());
    let d = &parsed.undefined[0];
    assert_eq!(&src[d.span.clone()], "Contnts");
    assert_eq!(d.position(src), (3, 50));
}

proptest::proptest! {
    /// Any integer literal: within the plist range it is kept exactly, outside it is an
    /// error, never a clamp.
    #[test]
    fn integer_literals_are_kept_or_refused(n in proptest::prelude::any::<i128>()) {
        let src = format!("y = is_workflow_actions_number(WFNumberActionNumber={n})\n");
        match wfc::dsl::parse(&src, wfc::dsl::ParseOptions::default()) {
            Ok(wf) => {
                proptest::prop_assert!(n >= i64::MIN as i128 && n <= u64::MAX as i128);
                let got = format!("{:?}", wfc::compile::compile(&wf));
                proptest::prop_assert!(got.contains(&n.to_string()), "{}", got);
            }
            Err(d) => {
                proptest::prop_assert!(n < i64::MIN as i128 || n > u64::MAX as i128);
                proptest::prop_assert!(d[0].message == "invalid number");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Messages (issue 10)

fn wfc_cmd(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wfc"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn invalid_utf8_in_a_program_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.py");
    std::fs::write(&f, b"x = 1\ny = 'caf\xe9'\n").unwrap();
    let (code, err) = wfc_cmd(&["compile", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.py:2:9: not valid UTF-8 (byte 0xE9 at offset 14)"),
        "{err}"
    );
}

#[test]
fn a_diagnostic_on_a_2mb_line_shows_a_window() {
    let src = format!("x = {} $ {}\n", "a".repeat(1 << 20), "b".repeat(1 << 20));
    let d = wfc::dsl::parse(&src, wfc::dsl::ParseOptions::default()).unwrap_err();
    let shown = d[0].render("long.py", &src);
    assert!(shown.len() < 1000, "{} bytes", shown.len());
    assert!(shown.contains("long.py:1:1048582"), "{shown}");
    // The caret still sits under the offending character.
    let lines: Vec<&str> = shown.lines().collect();
    let text = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
    let caret = lines.iter().find(|l| l.contains('^')).unwrap();
    assert_eq!(text.as_bytes()[caret.find('^').unwrap()], b'$', "{shown}");
}

#[test]
fn compile_xml_never_writes_what_an_xml_parser_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.plist");
    let f = dir.path().join("p.py");
    std::fs::write(
        &f,
        "y = is_workflow_actions_gettext(WFTextActionText='<&> \\t\\n ok')\n",
    )
    .unwrap();
    let (code, err) = wfc_cmd(&[
        "compile",
        "--xml",
        f.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let back = plist::Value::from_file(&out).expect("well-formed XML");
    assert!(format!("{back:?}").contains("<&> \\t\\n ok"), "{back:?}");
    // A BEL cannot be written in XML 1.0 at all, escaped or not: refused, naming where.
    std::fs::write(
        &f,
        "y = is_workflow_actions_gettext(WFTextActionText='ding\\a')\n",
    )
    .unwrap();
    let (code, err) = wfc_cmd(&[
        "compile",
        "--xml",
        f.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "/WFWorkflowActions/0/WFWorkflowActionParameters/WFTextActionText holds U+0007"
        ),
        "{err}"
    );
    // The binary plist holds it.
    let (code, err) = wfc_cmd(&["compile", f.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_malformed_icloud_link_is_called_one() {
    let (code, err) = wfc_cmd(&["convert", "https://www.icloud.com/shortcuts/not-an-id"]);
    // Like a missing file named on the command line: a usage error (README: exit 2).
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a valid iCloud shortcut link"), "{err}");
    assert!(!err.contains("No such file"), "{err}");
}
