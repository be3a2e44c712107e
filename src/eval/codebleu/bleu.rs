//! BLEU and keyword-weighted n-gram match, as `codebleu`'s `bleu.corpus_bleu` and
//! `weighted_ngram_match.corpus_bleu` compute them: n = 1..4 with weights 0.25, sums of
//! numerators and denominators over the corpus, brevity penalty on summed lengths, and
//! smoothing "method1" (a zero numerator becomes 0.1).

use rustc_hash::FxHashMap;

/// The package's `keywords/python.txt`; these weigh 1 in the weighted unigram match, every other
/// reference token 0.2.
pub const PYTHON_KEYWORDS: [&str; 38] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "match", "case", "type",
];

/// Python's `str.split()`: runs of Unicode whitespace (plus the \x1c..\x1f separators) split.
pub fn split_ws(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
        .filter(|t| !t.is_empty())
}

/// Summable per-pair counts of both n-gram metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NgramStats {
    pub bleu_num: [u64; 4],
    pub bleu_den: [u64; 4],
    pub weighted_num: [f64; 4],
    pub weighted_den: [f64; 4],
    pub hyp_len: u64,
    pub ref_len: u64,
    /// The weighted metric's "reference length": the package measures the length of its
    /// `[tokens, weights]` pair, which is 2 for every reference.
    pub weighted_ref_len: u64,
}

impl NgramStats {
    pub fn add(&mut self, o: &NgramStats) {
        for i in 0..4 {
            self.bleu_num[i] += o.bleu_num[i];
            self.bleu_den[i] += o.bleu_den[i];
            self.weighted_num[i] += o.weighted_num[i];
            self.weighted_den[i] += o.weighted_den[i];
        }
        self.hyp_len += o.hyp_len;
        self.ref_len += o.ref_len;
        self.weighted_ref_len += o.weighted_ref_len;
    }

    pub fn bleu(&self) -> f64 {
        let num = self.bleu_num.map(|x| x as f64);
        let den = self.bleu_den.map(|x| x as f64);
        finish(num, den, self.hyp_len, self.ref_len)
    }

    pub fn weighted(&self) -> f64 {
        finish(
            self.weighted_num,
            self.weighted_den,
            self.hyp_len,
            self.weighted_ref_len,
        )
    }
}

fn finish(num: [f64; 4], den: [f64; 4], hyp_len: u64, ref_len: u64) -> f64 {
    if num[0] == 0.0 {
        return 0.0;
    }
    let bp = if hyp_len > ref_len {
        1.0
    } else if hyp_len == 0 {
        0.0
    } else {
        (1.0 - ref_len as f64 / hyp_len as f64).exp()
    };
    let mut s = 0.0;
    for i in 0..4 {
        let n = if num[i] == 0.0 { 0.1 } else { num[i] };
        s += 0.25 * (n / den[i]).ln();
    }
    bp * s.exp()
}

/// Token ids of one pair (a vocabulary shared by reference and hypothesis).
fn intern<'a>(
    toks: &[&'a str],
    vocab: &mut FxHashMap<&'a str, u32>,
    words: &mut Vec<&'a str>,
) -> Vec<u32> {
    toks.iter()
        .map(|t| {
            *vocab.entry(t).or_insert_with(|| {
                words.push(t);
                words.len() as u32 - 1
            })
        })
        .collect()
}

/// Counts of the n-grams of `ids`, in first-occurrence order (the order Python's `Counter`
/// iterates, which fixes the order of the weighted float sums).
fn ngram_counts(ids: &[u32], n: usize) -> (Vec<&[u32]>, FxHashMap<&[u32], u64>) {
    let mut order = Vec::new();
    let mut counts: FxHashMap<&[u32], u64> = FxHashMap::default();
    if ids.len() >= n {
        for w in ids.windows(n) {
            let c = counts.entry(w).or_insert(0);
            if *c == 0 {
                order.push(w);
            }
            *c += 1;
        }
    }
    (order, counts)
}

/// Both n-gram metrics' counts for one pair of whitespace-split token lists.
pub fn ngram_stats(reference: &[&str], hypothesis: &[&str]) -> NgramStats {
    let mut vocab = FxHashMap::default();
    let mut words = Vec::new();
    let r = intern(reference, &mut vocab, &mut words);
    let h = intern(hypothesis, &mut vocab, &mut words);
    let keyword: Vec<bool> = words.iter().map(|w| PYTHON_KEYWORDS.contains(w)).collect();
    let mut st = NgramStats {
        hyp_len: h.len() as u64,
        ref_len: r.len() as u64,
        weighted_ref_len: 2,
        ..Default::default()
    };
    for n in 1..=4 {
        let (_, hc) = ngram_counts(&h, n);
        let (rorder, rc) = ngram_counts(&r, n);
        // BLEU: modified precision of the hypothesis.
        let mut clipped = 0u64;
        let mut total = 0u64;
        for (g, &c) in &hc {
            clipped += c.min(rc.get(g).copied().unwrap_or(0));
            total += c;
        }
        st.bleu_num[n - 1] = clipped;
        st.bleu_den[n - 1] = total.max(1);
        // Weighted: recall of the reference, unigrams weighted by keyword-ness.
        let (mut num, mut den) = (0.0f64, 0.0f64);
        for g in &rorder {
            let c = rc[g];
            let m = c.min(hc.get(g).copied().unwrap_or(0));
            let w = if n == 1 && !keyword[g[0] as usize] {
                0.2
            } else {
                1.0
            };
            if n == 1 {
                num += m as f64 * w;
                den += c as f64 * w;
            } else {
                num += m as f64;
                den += c as f64;
            }
        }
        st.weighted_num[n - 1] = num;
        st.weighted_den[n - 1] = den.max(1.0);
    }
    st
}
