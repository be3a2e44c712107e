//! A fast reader for binary plists (`bplist00`), building the borrowed value tree directly
//! from the object table.
//!
//! Like [`super::fast_xml`], it declines (returns `None`) whatever it does not handle or
//! finds wrong — cycles, nesting past the limit, a tree that expands past the budget, odd
//! object kinds — and the caller then reads the file with the `plist` crate, behind the
//! pre-scan in [`super::bplist`], which reports the error.

use super::bplist::{be, budget, Doc, NODE_WEIGHT};
use super::tree::{PDict, PValue};
use crate::limits::Limits;
use bumpalo::Bump;

/// Reads a binary plist into `arena` (strings and data borrow from `bytes`), or `None`.
pub(crate) fn parse<'a>(bytes: &'a [u8], arena: &'a Bump, limits: &Limits) -> Option<PValue<'a>> {
    let doc = Doc::open(bytes)?;
    let budget = budget(bytes, limits);
    // A cache entry per object is 16 bytes: skipped when the object count (bounded only by
    // the file's length) would make that more than the tree itself may weigh.
    let strings = if (doc.num_objects as u64).saturating_mul(16) <= budget {
        vec![None; doc.num_objects]
    } else {
        Vec::new()
    };
    let root = doc.root;
    let mut r = Reader {
        body: &bytes[..doc.trailer],
        offsets: &bytes[doc.table..doc.table + doc.num_objects * doc.offset_size],
        doc,
        max_depth: limits.max_depth,
        budget,
        strings,
        arena,
        entries: Vec::new(),
        items: Vec::new(),
        utf16: String::new(),
    };
    r.object(root, 0)
}

struct Reader<'a> {
    doc: Doc<'a>,
    /// The bytes before the trailer, where every object must lie.
    body: &'a [u8],
    /// The offset table (`Doc::open` checked that it lies before the trailer).
    offsets: &'a [u8],
    max_depth: usize,
    /// What is left of the expansion budget.
    budget: u64,
    /// ASCII/UTF-8 string objects already read, by object index (empty: no cache).
    strings: Vec<Option<&'a str>>,
    arena: &'a Bump,
    // Members of the collections being read, moved into the arena when each is complete.
    entries: Vec<(&'a str, PValue<'a>)>,
    items: Vec<PValue<'a>>,
    /// A UTF-16 string being decoded, before it is copied into the arena.
    utf16: String,
}

/// Entry `i` of a table of `size`-byte big-endian integers. Files small enough for one-
/// and two-byte offsets and references are nearly all of them, so those widths are loaded
/// by index, without the range and slice-length match a call to [`be`] costs per object
/// (going through `Doc`'s accessors instead costs this reader about a tenth more).
#[inline(always)]
fn entry(table: &[u8], size: usize, i: usize) -> u64 {
    match size {
        1 => u64::from(table[i]),
        2 => u64::from(u16::from_be_bytes([table[2 * i], table[2 * i + 1]])),
        _ => be(&table[i * size..(i + 1) * size]),
    }
}

impl<'a> Reader<'a> {
    /// Reads `n` bytes at `pos`, before the trailer.
    #[inline(always)]
    fn slice(&self, pos: usize, n: usize) -> Option<&'a [u8]> {
        self.body.get(pos..pos.checked_add(n)?)
    }

    #[inline(always)]
    fn spend(&mut self, n: u64) -> Option<()> {
        self.budget = self.budget.checked_sub(NODE_WEIGHT.saturating_add(n))?;
        Some(())
    }

    /// The length of a string, data or collection whose marker (already read) is at `pos`,
    /// and where its content starts.
    #[inline(always)]
    fn length(&self, pos: usize) -> Option<(usize, usize)> {
        let low = self.body[pos] & 0x0f;
        if low != 0x0f {
            return Some((usize::from(low), pos + 1));
        }
        let (len, start) = self.doc.length(pos)?;
        Some((usize::try_from(len).ok()?, start))
    }

    fn object(&mut self, index: usize, depth: usize) -> Option<PValue<'a>> {
        // Depth also ends cycles: a cycle nests forever.
        if index >= self.doc.num_objects || depth > self.max_depth {
            return None;
        }
        // Files share one object per distinct string (every `WFSerializationType` key is
        // the same object): a string read before needs neither its offset nor its marker.
        if let Some(&Some(s)) = self.strings.get(index) {
            self.spend(s.len() as u64)?;
            return Some(PValue::String(s));
        }
        let pos = usize::try_from(entry(self.offsets, self.doc.offset_size, index)).ok()?;
        let marker = *self.body.get(pos)?;
        let body = pos + 1;
        let v = match (marker >> 4, marker & 0x0f) {
            (0x0, 0x8) => PValue::Boolean(false),
            (0x0, 0x9) => PValue::Boolean(true),
            (0x1, 0) => PValue::Integer(u64::from(*self.body.get(body)?).into()),
            (0x1, 1) => PValue::Integer(be(self.slice(body, 2)?).into()),
            (0x1, 2) => PValue::Integer(be(self.slice(body, 4)?).into()),
            (0x1, 3) => PValue::Integer((be(self.slice(body, 8)?) as i64).into()),
            // 16-byte integers hold the u64s above i64::MAX; the crate refuses the rest.
            (0x1, 4) => {
                let raw: [u8; 16] = self.slice(body, 16)?.try_into().ok()?;
                PValue::Integer(u64::try_from(i128::from_be_bytes(raw)).ok()?.into())
            }
            (0x2, 2) => {
                let bits = be(self.slice(body, 4)?) as u32;
                PValue::Real(f32::from_bits(bits).into())
            }
            (0x2, 3) => PValue::Real(f64::from_bits(be(self.slice(body, 8)?))),
            (0x3, 3) => {
                let d = date(f64::from_bits(be(self.slice(body, 8)?)))?;
                PValue::Date(self.arena.alloc_str(&d))
            }
            (0x4, _) => {
                let (len, start) = self.length(pos)?;
                let data = self.slice(start, len)?;
                self.spend(len as u64)?;
                return Some(PValue::Data(data));
            }
            (0x5, _) => {
                let (len, start) = self.length(pos)?;
                let s = utf8(self.slice(start, len)?)?;
                if let Some(slot) = self.strings.get_mut(index) {
                    *slot = Some(s);
                }
                self.spend(s.len() as u64)?;
                return Some(PValue::String(s));
            }
            (0x6, _) => {
                let (len, start) = self.length(pos)?;
                let raw = self.slice(start, len.checked_mul(2)?)?;
                self.spend(raw.len() as u64)?;
                utf16(raw, &mut self.utf16)?;
                return Some(PValue::String(self.arena.alloc_str(&self.utf16)));
            }
            (0x8, n) if n < 8 => PValue::Uid(be(self.slice(body, usize::from(n) + 1)?)),
            (0xa, _) => {
                let (len, start) = self.length(pos)?;
                let size = self.doc.ref_size;
                let refs = self.slice(start, len.checked_mul(size)?)?;
                self.spend(0)?;
                let base = self.items.len();
                for i in 0..len {
                    let item = self.object(entry(refs, size, i) as usize, depth + 1)?;
                    self.items.push(item);
                }
                let items = self.arena.alloc_slice_copy(&self.items[base..]);
                self.items.truncate(base);
                return Some(PValue::Array(items));
            }
            (0xd, _) => {
                let (len, start) = self.length(pos)?;
                let size = self.doc.ref_size;
                let refs = self.slice(start, len.checked_mul(2 * size)?)?;
                let (keys, values) = refs.split_at(len * size);
                self.spend(0)?;
                let base = self.entries.len();
                for i in 0..len {
                    let key = match self.object(entry(keys, size, i) as usize, depth + 1)? {
                        PValue::String(k) => k,
                        _ => return None,
                    };
                    let value = self.object(entry(values, size, i) as usize, depth + 1)?;
                    self.entries.push((key, value));
                }
                let d = PDict::from_entries(&mut self.entries, base, self.arena);
                return Some(PValue::Dictionary(d));
            }
            _ => return None,
        };
        self.spend(0)?;
        Some(v)
    }
}

/// Decodes big-endian UTF-16 into `out`; `None` at an unpaired surrogate, where
/// `char::decode_utf16` fails. Written out because most units are single characters that
/// need no pairing state.
fn utf16(raw: &[u8], out: &mut String) -> Option<()> {
    out.clear();
    let mut units = raw
        .chunks_exact(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])));
    while let Some(u) = units.next() {
        let c = if (0xd800..0xdc00).contains(&u) {
            let low = units.next()?;
            if !(0xdc00..0xe000).contains(&low) {
                return None;
            }
            char::from_u32(0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00))?
        } else {
            // A lone low surrogate is no `char`.
            char::from_u32(u)?
        };
        out.push(c);
    }
    Some(())
}

/// Most strings are short keys and identifiers, for which the standard check costs less
/// than `simdutf8`'s dispatch to its vector code.
fn utf8(b: &[u8]) -> Option<&str> {
    if b.len() < 64 {
        std::str::from_utf8(b).ok()
    } else {
        simdutf8::basic::from_utf8(b).ok()
    }
}

/// Seconds since 2001-01-01 → the XML form, through the same `SystemTime` arithmetic as the
/// `plist` crate. Dates beyond a few thousand years decline.
fn date(secs: f64) -> Option<String> {
    if !secs.is_finite() || secs.abs() > 1e11 {
        return None;
    }
    let epoch = std::time::UNIX_EPOCH + std::time::Duration::from_secs(978_307_200);
    let d = std::time::Duration::try_from_secs_f64(secs.abs()).ok()?;
    let t = if secs < 0.0 {
        epoch.checked_sub(d)?
    } else {
        epoch.checked_add(d)?
    };
    Some(plist::Date::from(t).to_xml_format())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn binary(v: &plist::Value) -> Vec<u8> {
        let mut out = Vec::new();
        v.to_writer_binary(&mut out).unwrap();
        out
    }

    #[test]
    fn agrees_with_the_plist_crate() {
        let mut d = plist::Dictionary::new();
        d.insert("ascii".into(), "plain".into());
        d.insert("utf16".into(), "caf\u{e9} \u{1F600}".into());
        d.insert("neg".into(), plist::Value::Integer((-5i64).into()));
        d.insert("big".into(), plist::Value::Integer(u64::MAX.into()));
        d.insert("small".into(), plist::Value::Integer(7i64.into()));
        d.insert("real".into(), plist::Value::Real(2.25));
        d.insert("yes".into(), true.into());
        d.insert("data".into(), plist::Value::Data(vec![0, 1, 2]));
        d.insert(
            "date".into(),
            plist::Value::Date(plist::Date::from_xml_format("2021-03-04T05:06:07Z").unwrap()),
        );
        d.insert("uid".into(), plist::Value::Uid(plist::Uid::new(9)));
        d.insert(
            "list".into(),
            plist::Value::Array(vec![
                "x".into(),
                plist::Value::Dictionary(Default::default()),
            ]),
        );
        let v = plist::Value::Dictionary(d);
        let bytes = binary(&v);
        let arena = Bump::new();
        let fast = parse(&bytes, &arena, &limits()).expect("fast reader reads it");
        assert_eq!(fast.to_plist(), v);
        let fd = fast.as_dictionary().unwrap();
        let ascii = fd.get("ascii").unwrap().as_string().unwrap();
        assert!(bytes.as_ptr_range().contains(&ascii.as_ptr()), "borrowed");
    }

    #[test]
    fn utf16_as_the_standard_decoder() {
        let cases: [&[u16]; 6] = [
            &[0x63, 0xe9, 0xd83d, 0xde00, 0xffff],
            &[0xd83d],
            &[0xde00, 0x41],
            &[0xd83d, 0x41],
            &[0xd83d, 0xd83d, 0xde00],
            &[],
        ];
        for units in cases {
            let raw: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
            let mut out = String::from("stale");
            let ours = utf16(&raw, &mut out).map(|()| out);
            let std: Option<String> = char::decode_utf16(units.iter().copied())
                .collect::<Result<_, _>>()
                .ok();
            assert_eq!(ours, std, "{units:x?}");
        }
    }

    #[test]
    fn declines_cycles_depth_and_expansion() {
        // A one-element array that contains itself: object 0 refers to object 0.
        let mut cyc = b"bplist00\xa1\x00".to_vec();
        let table = cyc.len();
        cyc.push(8);
        cyc.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 1]);
        cyc.extend_from_slice(&1u64.to_be_bytes());
        cyc.extend_from_slice(&0u64.to_be_bytes());
        cyc.extend_from_slice(&(table as u64).to_be_bytes());
        assert!(parse(&cyc, &Bump::new(), &limits()).is_none());

        let mut deep = plist::Value::Array(vec![]);
        for _ in 0..20 {
            deep = plist::Value::Array(vec![deep]);
        }
        let bytes = binary(&deep);
        let tight = Limits {
            max_depth: 10,
            ..limits()
        };
        assert!(parse(&bytes, &Bump::new(), &tight).is_none());
        assert!(parse(&bytes, &Bump::new(), &limits()).is_some());

        let wide = plist::Value::Array(vec!["same string".into(); 100]);
        let bytes = binary(&wide);
        let small = Limits {
            max_expansion_ratio: 1,
            ..limits()
        };
        assert!(parse(&bytes, &Bump::new(), &small).is_none());
    }

    #[test]
    fn truncations_decline_without_panicking() {
        let mut d = plist::Dictionary::new();
        d.insert("k".into(), plist::Value::Array(vec!["v".into(), 1.into()]));
        let bytes = binary(&plist::Value::Dictionary(d));
        for n in 0..bytes.len() {
            let _ = parse(&bytes[..n], &Bump::new(), &limits());
        }
        for i in 8..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = parse(&b, &Bump::new(), &limits());
        }
    }
}
