//! Deduplication by meaning.
//!
//! Exact: two programs are the same when they compile to the same workflow, compared as a
//! hash of the compiled actions with comments dropped, UUIDs and variable names renumbered
//! by first appearance, and the output names a program picks removed.
//! Near: MinHash over shingles (3 consecutive actions, each with its normalized parameters;
//! 3 consecutive words of the query), with LSH banding to find candidates and the
//! signature's agreement as the Jaccard estimate. Thresholds are in [`DedupConfig`].

use plist::Value as P;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

const COMMENT: &str = "is.workflow.actions.comment";

/// Keys whose values are names chosen by the program's author, not its meaning.
const NAME_KEYS: [&str; 3] = ["VariableName", "WFVariableName", "OutputName"];
/// Keys dropped before hashing.
const DROP_KEYS: [&str; 2] = ["UUID", "CustomOutputName"];

/// Renumbers names and UUIDs by first appearance while hashing.
#[derive(Default)]
struct Canon {
    uuids: HashMap<String, usize>,
    names: HashMap<String, usize>,
}

impl Canon {
    fn uuid(&mut self, s: &str) -> usize {
        let n = self.uuids.len();
        *self.uuids.entry(s.to_string()).or_insert(n)
    }
    fn name(&mut self, s: &str) -> usize {
        let n = self.names.len();
        *self.names.entry(s.to_string()).or_insert(n)
    }
}

fn looks_like_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(k, c)| match k {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn hash_value<H: Hasher>(v: &P, key: Option<&str>, c: &mut Canon, h: &mut H) {
    match v {
        P::Dictionary(d) => {
            0u8.hash(h);
            let mut keys: Vec<&String> = d
                .keys()
                .filter(|k| !DROP_KEYS.contains(&k.as_str()))
                .collect();
            keys.sort();
            keys.len().hash(h);
            for k in keys {
                k.hash(h);
                hash_value(&d[k.as_str()], Some(k), c, h);
            }
        }
        P::Array(a) => {
            1u8.hash(h);
            a.len().hash(h);
            for x in a {
                hash_value(x, None, c, h);
            }
        }
        P::String(s) => {
            if key.is_some_and(|k| NAME_KEYS.contains(&k)) {
                2u8.hash(h);
                c.name(s).hash(h);
            } else if looks_like_uuid(s) || key == Some("GroupingIdentifier") {
                3u8.hash(h);
                c.uuid(s).hash(h);
            } else {
                4u8.hash(h);
                s.hash(h);
            }
        }
        P::Boolean(b) => {
            5u8.hash(h);
            b.hash(h);
        }
        P::Integer(i) => {
            6u8.hash(h);
            i.to_string().hash(h);
        }
        P::Real(r) => {
            7u8.hash(h);
            r.to_bits().hash(h);
        }
        P::Data(d) => {
            8u8.hash(h);
            d.hash(h);
        }
        P::Date(d) => {
            9u8.hash(h);
            d.to_xml_format().hash(h);
        }
        P::Uid(u) => {
            10u8.hash(h);
            u.get().hash(h);
        }
        _ => 11u8.hash(h),
    }
}

/// The non-comment actions of a compiled workflow.
fn actions(wf: &plist::Dictionary) -> Vec<&plist::Dictionary> {
    wf.get("WFWorkflowActions")
        .and_then(P::as_array)
        .map(|a| {
            a.iter()
                .filter_map(P::as_dictionary)
                .filter(|d| {
                    d.get("WFWorkflowActionIdentifier").and_then(P::as_string) != Some(COMMENT)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A 64-bit hash seeded by `k`, stable across runs (std's SipHash with fixed keys).
fn hasher(k: u64) -> std::collections::hash_map::DefaultHasher {
    let mut d = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut d);
    d
}

/// The meaning of a compiled workflow (its actions, with comments, UUIDs, variable and output
/// names normalized away), as a 128-bit hash; plus one token per action for near-duplicate
/// search.
pub fn fingerprint(wf: &plist::Dictionary) -> (u128, Vec<u64>) {
    let mut c = Canon::default();
    let mut h1 = hasher(1);
    let mut h2 = hasher(2);
    let acts = actions(wf);
    let mut tokens = Vec::with_capacity(acts.len());
    for a in acts {
        let mut t = hasher(3);
        // One canon for the whole workflow, so that references match across actions.
        hash_value(&P::Dictionary(a.clone()), None, &mut c, &mut t);
        let tok = t.finish();
        tokens.push(tok);
        tok.hash(&mut h1);
        tok.hash(&mut h2);
    }
    let exact = (u128::from(h1.finish()) << 64) | u128::from(h2.finish());
    (exact, tokens)
}

/// Number of MinHash functions, and how they are banded for LSH.
pub const PERMS: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = PERMS / BANDS;

pub type Signature = [u32; PERMS];

fn mix(mut x: u64) -> u64 {
    // splitmix64's finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// MinHash signature of a set of shingle hashes (`None` for an empty set).
pub fn minhash(shingles: impl IntoIterator<Item = u64>) -> Option<Signature> {
    let mut sig = [u32::MAX; PERMS];
    let mut any = false;
    for s in shingles {
        any = true;
        for (k, slot) in sig.iter_mut().enumerate() {
            let v = (mix(s ^ mix(k as u64 + 1)) >> 32) as u32;
            if v < *slot {
                *slot = v;
            }
        }
    }
    any.then_some(sig)
}

/// Shingles of an action-token sequence: 3 consecutive tokens (the whole sequence when
/// shorter).
pub fn action_shingles(tokens: &[u64]) -> Vec<u64> {
    if tokens.len() < 3 {
        let mut h = hasher(4);
        tokens.hash(&mut h);
        return vec![h.finish()];
    }
    tokens
        .windows(3)
        .map(|w| {
            let mut h = hasher(5);
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// Shingles of a query: 3 consecutive lowercased words.
pub fn query_shingles(q: &str) -> Vec<u64> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let k = 3.min(words.len());
    words
        .windows(k)
        .map(|w| {
            let mut h = hasher(6);
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// Agreement of two signatures: the Jaccard estimate.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / PERMS as f64
}

/// Thresholds (documented in `docs/dataset.md`).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct DedupConfig {
    /// Estimated Jaccard of action shingles at or above which two programs are near
    /// duplicates.
    pub action_threshold: f64,
    /// The same for query word shingles.
    pub query_threshold: f64,
    /// Fewest actions for the action-sequence test (shorter programs share too much by
    /// chance; the exact test still applies).
    pub min_actions_near: usize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            action_threshold: 0.9,
            query_threshold: 0.9,
            min_actions_near: 5,
        }
    }
}

/// What a record duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Dup {
    /// `exact`, `near-actions` or `near-query`.
    pub kind: &'static str,
    /// Index (in insertion order) of the kept record it duplicates.
    pub of: usize,
    pub similarity: f64,
}

/// An LSH index over one kind of signature.
#[derive(Default)]
struct Lsh {
    sigs: Vec<Option<Box<Signature>>>,
    buckets: HashMap<(u8, u64), Vec<u32>>,
}

/// Candidates examined per bucket, newest first: bounds time on very repetitive data.
const BUCKET_SCAN: usize = 256;

impl Lsh {
    fn band_keys(sig: &Signature) -> impl Iterator<Item = (u8, u64)> + '_ {
        (0..BANDS).map(move |b| {
            let mut h = hasher(7);
            sig[b * ROWS..(b + 1) * ROWS].hash(&mut h);
            (b as u8, h.finish())
        })
    }

    fn find(&self, sig: &Signature, threshold: f64) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for key in Self::band_keys(sig) {
            if let Some(list) = self.buckets.get(&key) {
                for &i in list.iter().rev().take(BUCKET_SCAN) {
                    if let Some(other) = &self.sigs[i as usize] {
                        let s = similarity(sig, other);
                        if s >= threshold && best.is_none_or(|(_, b)| s > b) {
                            best = Some((i as usize, s));
                        }
                    }
                }
            }
        }
        best
    }

    fn insert(&mut self, idx: usize, sig: Option<Signature>) {
        debug_assert_eq!(idx, self.sigs.len());
        if let Some(s) = &sig {
            for key in Self::band_keys(s) {
                self.buckets.entry(key).or_default().push(idx as u32);
            }
        }
        self.sigs.push(sig.map(Box::new));
    }
}

/// The deduplication index over kept records. Memory: one 128-bit hash and two 256-byte
/// signatures per kept record, plus the LSH buckets; never the records' text.
pub struct Deduper {
    cfg: DedupConfig,
    exact: HashMap<u128, u32>,
    actions: Lsh,
    queries: Lsh,
    kept: usize,
}

impl Deduper {
    pub fn new(cfg: DedupConfig) -> Self {
        Deduper {
            cfg,
            exact: HashMap::new(),
            actions: Lsh::default(),
            queries: Lsh::default(),
            kept: 0,
        }
    }

    /// Tests a record against the kept ones; keeps it (returning `None`) when it duplicates
    /// none. `n_actions` is the program's action count.
    pub fn offer(
        &mut self,
        exact: u128,
        action_sig: Option<Signature>,
        n_actions: usize,
        query_sig: Option<Signature>,
    ) -> Option<Dup> {
        if let Some(&i) = self.exact.get(&exact) {
            return Some(Dup {
                kind: "exact",
                of: i as usize,
                similarity: 1.0,
            });
        }
        let action_sig = action_sig.filter(|_| n_actions >= self.cfg.min_actions_near);
        if let Some(sig) = &action_sig {
            if let Some((i, s)) = self.actions.find(sig, self.cfg.action_threshold) {
                return Some(Dup {
                    kind: "near-actions",
                    of: i,
                    similarity: s,
                });
            }
        }
        if let Some(sig) = &query_sig {
            if let Some((i, s)) = self.queries.find(sig, self.cfg.query_threshold) {
                return Some(Dup {
                    kind: "near-query",
                    of: i,
                    similarity: s,
                });
            }
        }
        let idx = self.kept;
        self.kept += 1;
        self.exact.insert(exact, idx as u32);
        self.actions.insert(idx, action_sig);
        self.queries.insert(idx, query_sig);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minhash_estimates_jaccard() {
        let a: Vec<u64> = (0..200).collect();
        let b: Vec<u64> = (0..190).chain(1000..1010).collect();
        let c: Vec<u64> = (5000..5200).collect();
        let (sa, sb, sc) = (
            minhash(a).unwrap(),
            minhash(b).unwrap(),
            minhash(c).unwrap(),
        );
        // True Jaccard of a and b: 190/210 = 0.905.
        assert!(similarity(&sa, &sb) > 0.75, "{}", similarity(&sa, &sb));
        assert!(similarity(&sa, &sc) < 0.1);
        let mut d = Deduper::new(DedupConfig {
            action_threshold: 0.7,
            ..Default::default()
        });
        assert_eq!(d.offer(1, Some(sa), 10, None), None);
        assert_eq!(d.offer(2, Some(sc), 10, None), None);
        let dup = d.offer(3, Some(sb), 10, None).unwrap();
        assert_eq!((dup.kind, dup.of), ("near-actions", 0));
        assert_eq!(d.offer(2, None, 10, None).unwrap().kind, "exact");
    }
}
