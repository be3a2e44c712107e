//! A pre-scan of binary plists, run before the `plist` crate builds a value.
//!
//! The crate reads iteratively and checks object sizes against the file, but the value it
//! builds may still be hostile: nested 100,000 deep (dropping or lifting it recurses once
//! per level and overflows the stack), or a small file whose objects share children so
//! that the built tree is exponentially large ("billion laughs": each of 40 arrays holds
//! the next one twice). This scan walks the object graph without building anything and
//! bounds the nesting depth and the size of the tree the file expands to.

use crate::limits::Limits;

/// Weight of one value in the expanded tree, besides its string or data bytes: about
/// what the built value costs in memory. The fast reader charges the same.
pub(crate) const NODE_WEIGHT: u64 = 64;

/// The expansion budget of a file: what the tree it builds may weigh.
pub(crate) fn budget(bytes: &[u8], limits: &Limits) -> u64 {
    (limits.max_decompressed_bytes as u64)
        .min((limits.max_expansion_ratio as u64).saturating_mul(bytes.len() as u64))
}

/// Checks the depth and expanded size of a binary plist. `Err` says why it is refused;
/// structural errors the scan cannot get past are left to the `plist` crate to report.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let Some(doc) = Doc::open(bytes) else {
        return Ok(()); // malformed trailer or table: the plist crate reports it
    };
    let budget = budget(bytes, limits);
    // Per object: 0 unseen, 1 on the walk's path, 2 done (with its weight in `weight`).
    let mut state = vec![0u8; doc.num_objects];
    let mut weight = vec![0u64; doc.num_objects];
    // The walk's path: (object, its children, next child to visit, weight so far).
    let mut path: Vec<(usize, Vec<usize>, usize, u64)> = Vec::new();
    let root = doc.root;
    let Some(first) = doc.object(root) else {
        return Ok(());
    };
    state[root] = 1;
    path.push((root, first.children, 0, first.own));
    while let Some(top) = path.last_mut() {
        let (_, children, next, _) = top;
        if let Some(&child) = children.get(*next) {
            *next += 1;
            match state[child] {
                2 => {
                    top.3 = top.3.saturating_add(weight[child]);
                    if top.3 > budget {
                        return Err(too_big(budget));
                    }
                }
                1 => return Ok(()), // a cycle: the plist crate refuses it
                _ => {
                    let Some(o) = doc.object(child) else {
                        return Ok(());
                    };
                    if path.len() > limits.max_depth {
                        return Err(format!("nesting deeper than {}", limits.max_depth));
                    }
                    state[child] = 1;
                    path.push((child, o.children, 0, o.own));
                }
            }
            continue;
        }
        let (obj, _, _, w) = path.pop().expect("non-empty");
        state[obj] = 2;
        weight[obj] = w;
        if let Some(parent) = path.last_mut() {
            parent.3 = parent.3.saturating_add(w);
            if parent.3 > budget {
                return Err(too_big(budget));
            }
        } else if w > budget {
            return Err(too_big(budget));
        }
    }
    Ok(())
}

fn too_big(budget: u64) -> String {
    format!("shared objects expand to more than {budget} bytes")
}

/// A binary plist's trailer and offset table, checked against the file's length; shared
/// with the fast reader ([`super::fast_binary`]).
pub(crate) struct Doc<'a> {
    pub(crate) bytes: &'a [u8],
    /// Offset of the trailer: objects and the offset table lie before it.
    pub(crate) trailer: usize,
    pub(crate) offset_size: usize,
    pub(crate) ref_size: usize,
    pub(crate) num_objects: usize,
    pub(crate) root: usize,
    pub(crate) table: usize,
}

struct Object {
    /// Its own weight: a node plus its string or data bytes.
    own: u64,
    children: Vec<usize>,
}

/// A big-endian unsigned integer of 1 to 8 bytes (offsets and references are read once per
/// object, so the common widths get their own loads).
#[inline]
pub(crate) fn be(b: &[u8]) -> u64 {
    match *b {
        [x] => u64::from(x),
        [x, y] => u64::from(u16::from_be_bytes([x, y])),
        [a, b, c, d] => u64::from(u32::from_be_bytes([a, b, c, d])),
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    }
}

impl<'a> Doc<'a> {
    pub(crate) fn open(bytes: &'a [u8]) -> Option<Doc<'a>> {
        if bytes.len() < 8 + 32 || !bytes.starts_with(b"bplist00") {
            return None;
        }
        let trailer = bytes.len() - 32;
        let t = &bytes[trailer..];
        let offset_size = usize::from(t[6]);
        let ref_size = usize::from(t[7]);
        if ![1, 2, 3, 4, 8].contains(&offset_size) || ![1, 2, 3, 4, 8].contains(&ref_size) {
            return None;
        }
        let num_objects = usize::try_from(be(&t[8..16])).ok()?;
        let root = usize::try_from(be(&t[16..24])).ok()?;
        let table = usize::try_from(be(&t[24..32])).ok()?;
        // The offset table must lie before the trailer: this bounds `num_objects` by the
        // file length before anything is allocated for it.
        let end = num_objects
            .checked_mul(offset_size)
            .and_then(|n| n.checked_add(table))?;
        if end > trailer || root >= num_objects {
            return None;
        }
        Some(Doc {
            bytes,
            trailer,
            offset_size,
            ref_size,
            num_objects,
            root,
            table,
        })
    }

    /// Where object `index` (below `num_objects`) starts.
    pub(crate) fn offset(&self, index: usize) -> Option<usize> {
        let at = self.table + index * self.offset_size;
        usize::try_from(be(&self.bytes[at..at + self.offset_size])).ok()
    }

    /// Reads `n` bytes at `pos`, before the trailer.
    pub(crate) fn slice(&self, pos: usize, n: usize) -> Option<&'a [u8]> {
        let end = pos.checked_add(n)?;
        (end <= self.trailer).then(|| &self.bytes[pos..end])
    }

    /// The length of a string, data or collection whose marker is at `pos`; returns it
    /// and the position after it.
    pub(crate) fn length(&self, pos: usize) -> Option<(u64, usize)> {
        let low = self.slice(pos, 1)?[0] & 0x0f;
        if low != 0x0f {
            return Some((u64::from(low), pos + 1));
        }
        let int_marker = self.slice(pos + 1, 1)?[0];
        let n = 1usize << (int_marker & 0x03);
        let b = self.slice(pos + 2, n)?;
        Some((be(b), pos + 2 + n))
    }

    fn object(&self, index: usize) -> Option<Object> {
        let pos = self.offset(index)?;
        let marker = self.slice(pos, 1)?[0];
        let (own, children) = match marker >> 4 {
            0x4..=0x6 => {
                let (len, start) = self.length(pos)?;
                let unit = if marker >> 4 == 0x6 { 2 } else { 1 };
                let n = usize::try_from(len.checked_mul(unit)?).ok()?;
                self.slice(start, n)?;
                (NODE_WEIGHT.saturating_add(n as u64), Vec::new())
            }
            0xa | 0xd => {
                let (len, start) = self.length(pos)?;
                let per = if marker >> 4 == 0xd { 2 } else { 1 };
                let count = usize::try_from(len.checked_mul(per)?).ok()?;
                let refs = self.slice(start, count.checked_mul(self.ref_size)?)?;
                let mut children = refs
                    .chunks(self.ref_size)
                    .map(|r| {
                        usize::try_from(be(r))
                            .ok()
                            .filter(|&i| i < self.num_objects)
                    })
                    .collect::<Option<Vec<usize>>>()?;
                if per == 2 {
                    // Visit in the crate's order, key then value, so that whatever it
                    // builds before an error it reports has been checked here.
                    let values = children.split_off(count / 2);
                    children = children
                        .into_iter()
                        .zip(values)
                        .flat_map(|(k, v)| [k, v])
                        .collect();
                }
                (NODE_WEIGHT, children)
            }
            _ => (NODE_WEIGHT, Vec::new()),
        };
        Some(Object { own, children })
    }
}
