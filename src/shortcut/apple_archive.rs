//! Apple Archive (`AA01`), just enough to find one file's contents.
//!
//! An archive is a sequence of entries. Each entry is `AA01`, a u16 header size (counting
//! the magic and the size itself), then fields: a three-letter key and a type letter,
//! followed by the field's value. Blob fields (`A`/`B`/`C`) hold only a size in the
//! header; their contents follow the header, in field order.

use std::fmt;

/// What was wrong with the archive, and where (offset within the decompressed payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for ArchiveError {}

fn err(offset: usize, message: impl Into<String>) -> ArchiveError {
    ArchiveError {
        offset,
        message: message.into(),
    }
}

const MAGIC: &[u8; 4] = b"AA01";
/// Magic plus the u16 header size.
const PREAMBLE: usize = 6;

/// The parts of one entry that wfc uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Offset of the entry in the archive.
    pub offset: usize,
    /// `PAT`: the path of the entry, if present.
    pub path: Option<&'a [u8]>,
    /// `DAT`: the file's contents, if present.
    pub data: Option<&'a [u8]>,
}

/// Iterates over the entries of an archive. After an error it yields nothing more.
pub struct Entries<'a> {
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

pub fn entries(bytes: &[u8]) -> Entries<'_> {
    Entries {
        bytes,
        pos: 0,
        failed: false,
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, ArchiveError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.bytes.len() {
            return None;
        }
        let r = parse_entry(self.bytes, self.pos);
        match r {
            Ok((entry, end)) => {
                self.pos = end;
                Some(Ok(entry))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Returns the `DAT` blob of the first entry whose `PAT` is `path`.
pub fn find_file<'a>(bytes: &'a [u8], path: &str) -> Result<Option<&'a [u8]>, ArchiveError> {
    for entry in entries(bytes) {
        let entry = entry?;
        if entry.path == Some(path.as_bytes()) {
            return entry
                .data
                .map(Some)
                .ok_or_else(|| err(entry.offset, format!("entry {path:?} has no DAT blob")));
        }
    }
    Ok(None)
}

fn read_le(b: &[u8]) -> u64 {
    b.iter()
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// Parses the entry at `start`; returns it and the offset just past its blobs.
fn parse_entry(bytes: &[u8], start: usize) -> Result<(Entry<'_>, usize), ArchiveError> {
    let rest = &bytes[start..];
    if rest.len() < PREAMBLE {
        return Err(err(
            start,
            format!("truncated entry header ({} bytes)", rest.len()),
        ));
    }
    if &rest[..4] != MAGIC {
        return Err(err(
            start,
            format!("expected AA01 entry, found {:02x?}", &rest[..4]),
        ));
    }
    let header_len = usize::from(u16::from_le_bytes([rest[4], rest[5]]));
    if header_len < PREAMBLE {
        return Err(err(
            start + 4,
            format!("header size {header_len} is too small"),
        ));
    }
    if header_len > rest.len() {
        return Err(err(
            start + 4,
            format!(
                "header size {header_len} exceeds the {} bytes that remain",
                rest.len()
            ),
        ));
    }
    let header = &rest[..header_len];
    let mut entry = Entry {
        offset: start,
        ..Default::default()
    };
    // Blobs follow the header in field order; remember (key, size) to slice them after.
    let mut blob_pos = header_len as u64;
    let mut pos = PREAMBLE;
    while pos < header_len {
        let field_offset = start + pos;
        if header_len - pos < 4 {
            return Err(err(field_offset, "truncated field key"));
        }
        let key = &header[pos..pos + 3];
        let kind = header[pos + 3];
        pos += 4;
        let fixed = match kind {
            b'*' => Some(0),
            b'1' => Some(1),
            b'2' => Some(2),
            b'4' => Some(4),
            b'8' => Some(8),
            b'F' => Some(4),
            b'G' => Some(20),
            b'H' => Some(32),
            b'I' => Some(48),
            b'J' => Some(64),
            b'S' => Some(8),
            b'T' => Some(12),
            _ => None,
        };
        if let Some(n) = fixed {
            if header_len - pos < n {
                return Err(err(field_offset, field_desc(key, kind, "truncated")));
            }
            pos += n;
            continue;
        }
        match kind {
            b'P' => {
                if header_len - pos < 2 {
                    return Err(err(field_offset, field_desc(key, kind, "truncated")));
                }
                let n = usize::from(u16::from_le_bytes([header[pos], header[pos + 1]]));
                pos += 2;
                if header_len - pos < n {
                    return Err(err(
                        field_offset,
                        field_desc(key, kind, &format!("string of {n} bytes overruns header")),
                    ));
                }
                if key == b"PAT" {
                    entry.path = Some(&header[pos..pos + n]);
                }
                pos += n;
            }
            b'A' | b'B' | b'C' => {
                let n = match kind {
                    b'A' => 2,
                    b'B' => 4,
                    _ => 8,
                };
                if header_len - pos < n {
                    return Err(err(field_offset, field_desc(key, kind, "truncated")));
                }
                let size = read_le(&header[pos..pos + n]);
                pos += n;
                // The blob must lie within the archive before it is sliced.
                let blob_start = blob_pos;
                let blob_end = blob_start
                    .checked_add(size)
                    .filter(|&e| e <= rest.len() as u64)
                    .ok_or_else(|| {
                        err(
                            field_offset,
                            field_desc(
                                key,
                                kind,
                                &format!(
                                    "blob of {size} bytes at offset {} overruns the archive",
                                    start as u64 + blob_start
                                ),
                            ),
                        )
                    })?;
                if key == b"DAT" {
                    entry.data = Some(&rest[blob_start as usize..blob_end as usize]);
                }
                blob_pos = blob_end;
            }
            _ => {
                return Err(err(
                    field_offset,
                    format!(
                        "field {} has unknown type {:?}",
                        String::from_utf8_lossy(key),
                        char::from(kind)
                    ),
                ))
            }
        }
    }
    // blob_pos <= rest.len(), checked above, so this cannot overflow.
    Ok((entry, start + blob_pos as usize))
}

fn field_desc(key: &[u8], kind: u8, what: &str) -> String {
    format!(
        "field {}{}: {what}",
        String::from_utf8_lossy(key),
        char::from(kind)
    )
}
