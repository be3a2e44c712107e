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

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an entry from (key+type, value bytes) fields and the blobs that follow.
    fn entry(fields: &[(&[u8; 4], Vec<u8>)], blobs: &[&[u8]]) -> Vec<u8> {
        let mut h = b"AA01\0\0".to_vec();
        for (k, v) in fields {
            h.extend_from_slice(*k);
            h.extend_from_slice(v);
        }
        let n = h.len() as u16;
        h[4..6].copy_from_slice(&n.to_le_bytes());
        for b in blobs {
            h.extend_from_slice(b);
        }
        h
    }

    fn pat(p: &str) -> Vec<u8> {
        let mut v = (p.len() as u16).to_le_bytes().to_vec();
        v.extend_from_slice(p.as_bytes());
        v
    }

    #[test]
    fn every_field_type_is_stepped_over() {
        let fields: Vec<(&[u8; 4], Vec<u8>)> = vec![
            (b"TYP1", b"F".to_vec()),
            (b"PATP", pat("Shortcut.wflow")),
            (b"FLG*", vec![]),
            (b"UID2", vec![0; 2]),
            (b"GID4", vec![0; 4]),
            (b"INO8", vec![0; 8]),
            (b"XATA", 3u16.to_le_bytes().to_vec()),
            (b"CKSF", vec![0; 4]),
            (b"SH1G", vec![0; 20]),
            (b"SH2H", vec![0; 32]),
            (b"SH3I", vec![0; 48]),
            (b"SH5J", vec![0; 64]),
            (b"MTMS", vec![0; 8]),
            (b"CTMT", vec![0; 12]),
            (b"DATC", 5u64.to_le_bytes().to_vec()),
            (b"ACLB", 2u32.to_le_bytes().to_vec()),
        ];
        // Blobs in field order: XAT (3), DAT (5), ACL (2).
        let a = entry(&fields, &[b"xat", b"hello", b"ac"]);
        assert_eq!(
            find_file(&a, "Shortcut.wflow").unwrap(),
            Some(&b"hello"[..])
        );
    }

    #[test]
    fn finds_the_entry_after_others() {
        let mut a = entry(&[(b"TYP1", b"D".to_vec()), (b"PATP", pat(""))], &[]);
        a.extend(entry(
            &[(b"PATP", pat("a")), (b"DATA", 1u16.to_le_bytes().to_vec())],
            &[b"1"],
        ));
        a.extend(entry(
            &[
                (b"PATP", pat("Shortcut.wflow")),
                (b"DATB", 2u32.to_le_bytes().to_vec()),
            ],
            &[b"22"],
        ));
        assert_eq!(find_file(&a, "Shortcut.wflow").unwrap(), Some(&b"22"[..]));
        assert_eq!(find_file(&a, "missing").unwrap(), None);
        assert_eq!(entries(&a).count(), 3);
    }

    #[test]
    fn empty_archive_has_no_file() {
        assert_eq!(find_file(&[], "Shortcut.wflow").unwrap(), None);
    }

    #[test]
    fn entry_without_dat() {
        let a = entry(&[(b"PATP", pat("Shortcut.wflow"))], &[]);
        let e = find_file(&a, "Shortcut.wflow").unwrap_err();
        assert!(e.message.contains("no DAT"), "{e}");
    }

    #[test]
    fn blob_overrunning_the_archive() {
        let a = entry(
            &[
                (b"PATP", pat("x")),
                (b"DATC", u64::MAX.to_le_bytes().to_vec()),
            ],
            &[b"abc"],
        );
        let e = find_file(&a, "x").unwrap_err();
        assert_eq!(e.offset, 6 + 4 + 3);
        assert!(e.message.contains("overruns the archive"), "{e}");
    }

    #[test]
    fn header_size_too_small_or_too_large() {
        let e = find_file(b"AA01\x02\0", "x").unwrap_err();
        assert!(e.message.contains("too small"), "{e}");
        let e = find_file(b"AA01\xff\0abc", "x").unwrap_err();
        assert!(e.message.contains("exceeds"), "{e}");
        let e = find_file(b"AA01", "x").unwrap_err();
        assert!(e.message.contains("truncated entry header"), "{e}");
    }

    #[test]
    fn bad_magic() {
        let e = find_file(b"AA02\x06\0", "x").unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.message.contains("expected AA01"), "{e}");
    }

    #[test]
    fn unknown_field_type() {
        let a = entry(&[(b"XYZ?", vec![])], &[]);
        let e = find_file(&a, "x").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("unknown type"), "{e}");
    }

    #[test]
    fn string_overrunning_the_header() {
        // The PAT claims 50 bytes but the header ends after 3.
        let a = entry(&[(b"PATP", [50u8, 0, b'a', b'b', b'c'].to_vec())], &[]);
        let e = find_file(&a, "x").unwrap_err();
        assert!(e.message.contains("overruns header"), "{e}");
    }

    #[test]
    fn truncated_fixed_field_and_key() {
        let a = entry(&[(b"SH2H", vec![0; 10])], &[]);
        assert!(find_file(&a, "x")
            .unwrap_err()
            .message
            .contains("truncated"));
        let mut a = entry(&[(b"TYP1", b"F".to_vec())], &[]);
        a.extend_from_slice(b"PA");
        let n = a.len() as u16;
        a[4..6].copy_from_slice(&n.to_le_bytes());
        assert!(find_file(&a, "x")
            .unwrap_err()
            .message
            .contains("field key"));
    }

    #[test]
    fn every_prefix_is_safe() {
        let a = entry(
            &[
                (b"PATP", pat("Shortcut.wflow")),
                (b"DATB", 4u32.to_le_bytes().to_vec()),
            ],
            &[b"data"],
        );
        for n in 0..a.len() {
            // Either an error or "not found"; never a panic, never a wrong blob.
            assert_ne!(
                find_file(&a[..n], "Shortcut.wflow").ok().flatten(),
                Some(&b"data"[..])
            );
        }
    }
}
