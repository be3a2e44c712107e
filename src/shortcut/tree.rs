//! The plist value tree the lifter reads: strings and data borrow from the file's bytes
//! where they can, and dictionaries are plain vectors in file order.
//!
//! Built by the fast readers in [`super::fast_xml`] and [`super::fast_binary`], or
//! converted from a `plist::Value` for the containers those readers do not handle (JSON,
//! action clips, and whatever the fast readers decline). Both ways give equal trees for
//! the same plist: `tests/fast_reader.rs` checks it on every corpus file.

use std::borrow::Cow;

/// One plist value.
#[derive(Debug, Clone, PartialEq)]
pub enum PValue<'a> {
    String(Cow<'a, str>),
    /// Plist integers are i64 or u64; i128 holds both.
    Integer(i128),
    Real(f64),
    Boolean(bool),
    /// In the XML plist form (`2020-01-01T00:00:00Z`).
    Date(String),
    Data(Cow<'a, [u8]>),
    Array(Vec<PValue<'a>>),
    Dictionary(PDict<'a>),
    Uid(u64),
}

/// A plist dictionary: entries in file order, keys unique.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PDict<'a>(pub Vec<(Cow<'a, str>, PValue<'a>)>);

impl<'a> PDict<'a> {
    pub fn get(&self, key: &str) -> Option<&PValue<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &PValue<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    /// Removes `key`, keeping the order of the other entries.
    pub fn remove(&mut self, key: &str) -> Option<PValue<'a>> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// Builds a dictionary from entries as a file lists them. A repeated key keeps its
    /// first position and takes its last value, as the `plist` crate's map does.
    pub(crate) fn from_entries(mut entries: Vec<(Cow<'a, str>, PValue<'a>)>) -> PDict<'a> {
        if has_duplicate_keys(&entries) {
            let mut out: Vec<(Cow<'a, str>, PValue<'a>)> = Vec::with_capacity(entries.len());
            for (k, v) in entries.drain(..) {
                match out.iter_mut().find(|(ok, _)| *ok == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            return PDict(out);
        }
        PDict(entries)
    }
}

fn has_duplicate_keys(entries: &[(Cow<'_, str>, PValue<'_>)]) -> bool {
    if entries.len() <= 12 {
        // Every dictionary is checked, so the common case (no repeats) must be cheap:
        // compare a fingerprint (length, first and last byte) before the bytes.
        let print = |k: &str| {
            let b = k.as_bytes();
            (b.len() as u32) << 16
                | u32::from(b.first().copied().unwrap_or(0)) << 8
                | u32::from(b.last().copied().unwrap_or(0))
        };
        let mut prints = [0u32; 12];
        for (i, (k, _)) in entries.iter().enumerate() {
            let p = print(k);
            if prints[..i]
                .iter()
                .zip(entries)
                .any(|(&q, (o, _))| q == p && o == k)
            {
                return true;
            }
            prints[i] = p;
        }
        return false;
    }
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
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

    pub fn as_array(&self) -> Option<&[PValue<'a>]> {
        match self {
            PValue::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_string(&self) -> Option<&str> {
        match self {
            PValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when it fits an i64 (as `plist::Value::as_signed_integer`).
    pub fn as_signed_integer(&self) -> Option<i64> {
        match self {
            PValue::Integer(i) => i64::try_from(*i).ok(),
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

    /// Converts a value built by the `plist` crate.
    pub fn from_plist(v: plist::Value) -> PValue<'static> {
        match v {
            plist::Value::String(s) => PValue::String(Cow::Owned(s)),
            plist::Value::Integer(i) => PValue::Integer(
                i.as_signed()
                    .map(i128::from)
                    .or_else(|| i.as_unsigned().map(i128::from))
                    .unwrap_or_default(),
            ),
            plist::Value::Real(r) => PValue::Real(r),
            plist::Value::Boolean(b) => PValue::Boolean(b),
            plist::Value::Date(d) => PValue::Date(d.to_xml_format()),
            plist::Value::Data(d) => PValue::Data(Cow::Owned(d)),
            plist::Value::Array(a) => {
                PValue::Array(a.into_iter().map(PValue::from_plist).collect())
            }
            plist::Value::Dictionary(d) => PValue::Dictionary(PDict::from_plist(d)),
            plist::Value::Uid(u) => PValue::Uid(u.get()),
            // The crate's enum is non-exhaustive; nothing else exists today.
            _ => PValue::Dictionary(PDict::default()),
        }
    }

    /// Converts to a `plist::Value` (dates that no longer parse become strings).
    pub fn to_plist(&self) -> plist::Value {
        match self {
            PValue::String(s) => plist::Value::String(s.to_string()),
            PValue::Integer(i) => match i64::try_from(*i) {
                Ok(v) => plist::Value::Integer(v.into()),
                Err(_) => plist::Value::Integer(u64::try_from(*i).unwrap_or(u64::MAX).into()),
            },
            PValue::Real(r) => plist::Value::Real(*r),
            PValue::Boolean(b) => plist::Value::Boolean(*b),
            PValue::Date(d) => plist::Date::from_xml_format(d)
                .map(plist::Value::Date)
                .unwrap_or_else(|_| plist::Value::String(d.clone())),
            PValue::Data(d) => plist::Value::Data(d.to_vec()),
            PValue::Array(a) => plist::Value::Array(a.iter().map(PValue::to_plist).collect()),
            PValue::Dictionary(d) => plist::Value::Dictionary(d.to_plist()),
            PValue::Uid(u) => plist::Value::Uid(plist::Uid::new(*u)),
        }
    }
}

impl PDict<'static> {
    pub fn from_plist(d: plist::Dictionary) -> PDict<'static> {
        PDict(
            d.into_iter()
                .map(|(k, v)| (Cow::Owned(k), PValue::from_plist(v)))
                .collect(),
        )
    }
}

impl PDict<'_> {
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

    fn s(x: &str) -> PValue<'_> {
        PValue::String(Cow::Borrowed(x))
    }

    #[test]
    fn repeated_keys_keep_first_place_and_last_value() {
        let d = PDict::from_entries(vec![
            ("a".into(), s("1")),
            ("b".into(), s("2")),
            ("a".into(), s("3")),
        ]);
        assert_eq!(d.0, vec![("a".into(), s("3")), ("b".into(), s("2"))]);
        // The same as the plist crate's map.
        let mut m = plist::Dictionary::new();
        m.insert("a".into(), "1".into());
        m.insert("b".into(), "2".into());
        m.insert("a".into(), "3".into());
        assert_eq!(PDict::from_plist(m), d);
    }

    #[test]
    fn repeated_keys_in_a_large_dictionary() {
        let mut entries: Vec<_> = (0..20)
            .map(|i| (Cow::Owned(format!("k{i}")), s("x")))
            .collect();
        entries.push(("k3".into(), s("last")));
        let d = PDict::from_entries(entries);
        assert_eq!(d.len(), 20);
        assert_eq!(d.get("k3"), Some(&s("last")));
        assert_eq!(d.0[3].0, "k3");
    }

    #[test]
    fn remove_keeps_order() {
        let mut d = PDict(vec![
            ("a".into(), s("1")),
            ("b".into(), s("2")),
            ("c".into(), s("3")),
        ]);
        assert_eq!(d.remove("a"), Some(s("1")));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["b", "c"]);
    }
}
