//! The plist value tree the lifter reads: strings and data borrow from the file's bytes
//! where they can, and dictionaries are plain slices in file order.
//!
//! Built by the fast readers in [`super::fast_xml`] and [`super::fast_binary`], or
//! copied from a `plist::Value` for the containers those readers do not handle (JSON,
//! action clips, and whatever the fast readers decline). Both ways give equal trees for
//! the same plist: `tests/fast_reader.rs` checks it on every corpus file.

use crate::ir::Integer;
use bumpalo::Bump;

/// One plist value. Strings, data and collections live in the file's bytes or in a
/// [`Bump`] arena: a tree has nothing to drop, and an arena reused from file to file
/// makes reading allocate nothing once it has grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PValue<'a> {
    String(&'a str),
    /// Plist integers are i64 or u64.
    Integer(Integer),
    Real(f64),
    Boolean(bool),
    /// In the XML plist form (`2020-01-01T00:00:00Z`).
    Date(&'a str),
    Data(&'a [u8]),
    Array(&'a [PValue<'a>]),
    Dictionary(PDict<'a>),
    Uid(u64),
}

/// A plist dictionary: entries in file order, keys unique.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PDict<'a>(pub &'a [(&'a str, PValue<'a>)]);

impl<'a> PDict<'a> {
    pub fn get(&self, key: &str) -> Option<&'a PValue<'a>> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a PValue<'a>)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.0.iter().map(|(k, _)| *k)
    }

    /// Moves the entries a reader collected (`stack[base..]`) into the arena. A repeated
    /// key keeps its first position and takes its last value, as the `plist` crate's map
    /// does.
    pub(crate) fn from_entries(
        stack: &mut Vec<(&'a str, PValue<'a>)>,
        base: usize,
        arena: &'a Bump,
    ) -> PDict<'a> {
        if has_duplicate_keys(&stack[base..]) {
            let mut out: Vec<(&'a str, PValue<'a>)> = Vec::with_capacity(stack.len() - base);
            for (k, v) in stack.drain(base..) {
                match out.iter_mut().find(|(ok, _)| *ok == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            return PDict(arena.alloc_slice_copy(&out));
        }
        let d = PDict(arena.alloc_slice_copy(&stack[base..]));
        stack.truncate(base);
        d
    }
}

fn has_duplicate_keys(entries: &[(&str, PValue<'_>)]) -> bool {
    if entries.len() <= 16 {
        // Every dictionary is checked, so the common case (no repeats) must be cheap: a
        // 64-bit set of fingerprints (length, first and last byte) answers "no repeat"
        // in one pass, and only a fingerprint seen twice needs the keys compared.
        let mut seen = 0u64;
        for (k, _) in entries {
            let b = k.as_bytes();
            let print = (b.len() as u32)
                ^ u32::from(b.first().copied().unwrap_or(0)) << 8
                ^ u32::from(b.last().copied().unwrap_or(0)) << 16;
            let bit = 1u64 << (print.wrapping_mul(0x9e37_79b1) >> 26);
            if seen & bit != 0 {
                return entries
                    .iter()
                    .enumerate()
                    .any(|(i, (k, _))| entries[..i].iter().any(|(o, _)| o == k));
            }
            seen |= bit;
        }
        return false;
    }
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

impl<'a> PValue<'a> {
    pub fn as_dictionary(&self) -> Option<&PDict<'a>> {
        match self {
            PValue::Dictionary(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&'a [PValue<'a>]> {
        match self {
            PValue::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_string(&self) -> Option<&'a str> {
        match self {
            PValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when it fits an i64 (as `plist::Value::as_signed_integer`).
    pub fn as_signed_integer(&self) -> Option<i64> {
        match self {
            PValue::Integer(i) => i64::try_from(i.get()).ok(),
            _ => None,
        }
    }

    /// What kind of value this is, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            PValue::Array(_) => "array",
            PValue::Dictionary(_) => "dictionary",
            PValue::Boolean(_) => "boolean",
            PValue::Data(_) => "data",
            PValue::Date(_) => "date",
            PValue::Real(_) => "real",
            PValue::Integer(_) => "integer",
            PValue::String(_) => "string",
            PValue::Uid(_) => "uid",
        }
    }

    /// Copies a value built by the `plist` crate into `arena`.
    pub fn from_plist(v: &plist::Value, arena: &'a Bump) -> PValue<'a> {
        match v {
            plist::Value::String(s) => PValue::String(arena.alloc_str(s)),
            plist::Value::Integer(i) => PValue::Integer(Integer::new(
                i.as_signed()
                    .map(i128::from)
                    .or_else(|| i.as_unsigned().map(i128::from))
                    .unwrap_or_default(),
            )),
            plist::Value::Real(r) => PValue::Real(*r),
            plist::Value::Boolean(b) => PValue::Boolean(*b),
            plist::Value::Date(d) => PValue::Date(arena.alloc_str(&d.to_xml_format())),
            plist::Value::Data(d) => PValue::Data(arena.alloc_slice_copy(d)),
            plist::Value::Array(a) => PValue::Array(
                arena.alloc_slice_fill_iter(a.iter().map(|x| PValue::from_plist(x, arena))),
            ),
            plist::Value::Dictionary(d) => PValue::Dictionary(PDict::from_plist(d, arena)),
            plist::Value::Uid(u) => PValue::Uid(u.get()),
            // The crate's enum is non-exhaustive; nothing else exists today.
            _ => PValue::Dictionary(PDict::default()),
        }
    }

    /// Converts to a `plist::Value` (dates that no longer parse become strings).
    pub fn to_plist(&self) -> plist::Value {
        match self {
            PValue::String(s) => plist::Value::String(s.to_string()),
            PValue::Integer(i) => match i64::try_from(i.get()) {
                Ok(v) => plist::Value::Integer(v.into()),
                Err(_) => plist::Value::Integer(u64::try_from(i.get()).unwrap_or(u64::MAX).into()),
            },
            PValue::Real(r) => plist::Value::Real(*r),
            PValue::Boolean(b) => plist::Value::Boolean(*b),
            PValue::Date(d) => plist::Date::from_xml_format(d)
                .map(plist::Value::Date)
                .unwrap_or_else(|_| plist::Value::String(d.to_string())),
            PValue::Data(d) => plist::Value::Data(d.to_vec()),
            PValue::Array(a) => plist::Value::Array(a.iter().map(PValue::to_plist).collect()),
            PValue::Dictionary(d) => plist::Value::Dictionary(d.to_plist()),
            PValue::Uid(u) => plist::Value::Uid(plist::Uid::new(*u)),
        }
    }
}

impl<'a> PDict<'a> {
    /// Copies a dictionary built by the `plist` crate into `arena`.
    pub fn from_plist(d: &plist::Dictionary, arena: &'a Bump) -> PDict<'a> {
        PDict(
            arena.alloc_slice_fill_iter(
                d.iter()
                    .map(|(k, v)| (&*arena.alloc_str(k), PValue::from_plist(v, arena))),
            ),
        )
    }

    pub fn to_plist(&self) -> plist::Dictionary {
        self.0
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_plist()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_first_place_and_last_value() {
        let arena = Bump::new();
        let s = PValue::String;
        let mut stack = vec![("x", s("before"))];
        stack.extend([("a", s("1")), ("b", s("2")), ("a", s("3"))]);
        let d = PDict::from_entries(&mut stack, 1, &arena);
        assert_eq!(d.0, [("a", s("3")), ("b", s("2"))]);
        assert_eq!(stack.len(), 1, "the collected entries leave the stack");
        // The same as the plist crate's map.
        let mut m = plist::Dictionary::new();
        m.insert("a".into(), "1".into());
        m.insert("b".into(), "2".into());
        m.insert("a".into(), "3".into());
        assert_eq!(PDict::from_plist(&m, &arena), d);
    }

    #[test]
    fn repeated_keys_in_a_large_dictionary() {
        let arena = Bump::new();
        let names: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
        let mut stack: Vec<_> = names
            .iter()
            .map(|k| (k.as_str(), PValue::String("x")))
            .collect();
        stack.push(("k3", PValue::String("last")));
        let d = PDict::from_entries(&mut stack, 0, &arena);
        assert_eq!(d.len(), 20);
        assert_eq!(d.get("k3"), Some(&PValue::String("last")));
        assert_eq!(d.0[3].0, "k3");
    }

    #[test]
    fn converts_both_ways() {
        let arena = Bump::new();
        let mut m = plist::Dictionary::new();
        m.insert("s".into(), "x".into());
        m.insert("n".into(), plist::Value::Integer(u64::MAX.into()));
        m.insert("d".into(), plist::Value::Data(vec![1, 2]));
        m.insert(
            "a".into(),
            plist::Value::Array(vec![true.into(), 1.5.into()]),
        );
        let v = plist::Value::Dictionary(m);
        assert_eq!(PValue::from_plist(&v, &arena).to_plist(), v);
    }
}
