//! Near-duplicate text detection: MinHash signatures over word 3-shingles. Two queries are
//! near-duplicates when their estimated Jaccard similarity is at least the threshold
//! (default 0.7: a rewording of a few words still matches, a new request over the same
//! APIs does not). With 64 hashes the estimate's standard error is at most 0.0625.

use super::record::fnv64;

pub const NUM_HASHES: usize = 64;
pub const DEFAULT_THRESHOLD: f64 = 0.7;

pub type Signature = [u64; NUM_HASHES];

fn mix(mut x: u64) -> u64 {
    // splitmix64's finalizer: a cheap, well-spread permutation.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

/// Lower-cased alphanumeric words, then every run of three (or the whole text when shorter).
pub fn shingles(text: &str) -> Vec<u64> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < 3 {
        return vec![fnv64(words.join(" ").as_bytes())];
    }
    words
        .windows(3)
        .map(|w| fnv64(w.join(" ").as_bytes()))
        .collect()
}

pub fn signature(text: &str) -> Signature {
    let mut sig = [u64::MAX; NUM_HASHES];
    for s in shingles(text) {
        for (i, slot) in sig.iter_mut().enumerate() {
            let h = mix(s ^ mix(i as u64 + 1));
            if h < *slot {
                *slot = h;
            }
        }
    }
    sig
}

pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / NUM_HASHES as f64
}

/// Signatures of the texts kept so far.
pub struct Index {
    pub threshold: f64,
    kept: Vec<(String, Signature)>,
}

impl Index {
    pub fn new(threshold: f64) -> Self {
        Index {
            threshold,
            kept: Vec::new(),
        }
    }

    /// The id of a kept near-duplicate of `text`, or `None` (then `text` is kept as `id`).
    pub fn check_and_add(&mut self, id: &str, text: &str) -> Option<(String, f64)> {
        let sig = signature(text);
        if let Some((other, s)) = self
            .kept
            .iter()
            .map(|(i, s2)| (i, similarity(&sig, s2)))
            .find(|(_, s)| *s >= self.threshold)
        {
            return Some((other.clone(), s));
        }
        self.kept.push((id.to_string(), sig));
        None
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewordings_match_and_new_requests_do_not() {
        let mut ix = Index::new(DEFAULT_THRESHOLD);
        let a = "Every morning, check the weather for my city and send the forecast to my partner by message";
        assert!(ix.check_and_add("a", a).is_none());
        let b = "Every morning, check the weather for my city and send the forecast to my partner by text message";
        assert_eq!(ix.check_and_add("b", b).map(|x| x.0), Some("a".into()));
        let c = "Make a playlist of the songs I played most this week and share it with my friends";
        assert!(ix.check_and_add("c", c).is_none());
        assert_eq!(ix.len(), 2);
        assert!(similarity(&signature(a), &signature(a)) == 1.0);
    }
}
