//! The order in which CPython 3.11 iterates `set(list_of_str)` when hash randomization is off
//! (`PYTHONHASHSEED=0`): SipHash-1-3 with a zero key over the string's PEP 393 bytes, and the
//! set's open addressing (8 slots to start, 9 linear probes, then perturbed jumps; grown to
//! four times the used count when 3/5 full). The `codebleu` package builds some data-flow
//! name lists with `list(set(...))`; replaying this order makes its data flow reproducible
//! exactly as the reference computes it under `PYTHONHASHSEED=0`.

fn rotl(x: u64, b: u32) -> u64 {
    x.rotate_left(b)
}

fn siphash13(data: &[u8]) -> u64 {
    let (k0, k1) = (0u64, 0u64);
    let mut v0 = k0 ^ 0x736f_6d65_7073_6575;
    let mut v1 = k1 ^ 0x646f_7261_6e64_6f6d;
    let mut v2 = k0 ^ 0x6c79_6765_6e65_7261;
    let mut v3 = k1 ^ 0x7465_6462_7974_6573;
    let round = |v0: &mut u64, v1: &mut u64, v2: &mut u64, v3: &mut u64| {
        *v0 = v0.wrapping_add(*v1);
        *v2 = v2.wrapping_add(*v3);
        *v1 = rotl(*v1, 13) ^ *v0;
        *v3 = rotl(*v3, 16) ^ *v2;
        *v0 = rotl(*v0, 32);
        *v2 = v2.wrapping_add(*v1);
        *v0 = v0.wrapping_add(*v3);
        *v1 = rotl(*v1, 17) ^ *v2;
        *v3 = rotl(*v3, 21) ^ *v0;
        *v2 = rotl(*v2, 32);
    };
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let m = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        v3 ^= m;
        round(&mut v0, &mut v1, &mut v2, &mut v3);
        v0 ^= m;
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    let b = ((data.len() as u64) << 56) | u64::from_le_bytes(last);
    v3 ^= b;
    round(&mut v0, &mut v1, &mut v2, &mut v3);
    v0 ^= b;
    v2 ^= 0xff;
    for _ in 0..3 {
        round(&mut v0, &mut v1, &mut v2, &mut v3);
    }
    (v0 ^ v1) ^ (v2 ^ v3)
}

/// `hash(s)` of CPython 3.11 with `PYTHONHASHSEED=0`.
pub fn py_str_hash(s: &str) -> i64 {
    if s.is_empty() {
        return 0;
    }
    let max = s.chars().map(|c| c as u32).max().unwrap_or(0);
    let bytes: Vec<u8> = if max < 0x100 {
        s.chars().map(|c| c as u8).collect()
    } else if max < 0x10000 {
        s.chars().flat_map(|c| (c as u16).to_le_bytes()).collect()
    } else {
        s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect()
    };
    let h = siphash13(&bytes) as i64;
    if h == -1 {
        -2
    } else {
        h
    }
}

const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

/// Indices into `hashes`' keys in the order `list(set(keys))` yields them; `same(a, b)` says
/// whether keys `a` and `b` are equal.
pub fn set_order(hashes: &[i64], same: impl Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut table: Vec<Option<usize>> = vec![None; 8];
    let mut fill = 0usize;
    for (k, &h) in hashes.iter().enumerate() {
        let mask = table.len() - 1;
        let mut i = (h as u64 as usize) & mask;
        let mut perturb = h as u64;
        let slot = 'probe: loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for (j, entry) in table.iter().enumerate().skip(i).take(probes + 1) {
                match *entry {
                    None => break 'probe Some(j),
                    Some(o) if hashes[o] == h && same(o, k) => break 'probe None,
                    Some(_) => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        };
        let Some(slot) = slot else { continue };
        table[slot] = Some(k);
        fill += 1;
        if fill * 5 >= mask * 3 {
            let used = fill;
            let mut size = 8;
            while size <= used * 4 {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            let mask = size - 1;
            for k in old.into_iter().flatten() {
                let h = hashes[k];
                let mut i = (h as u64 as usize) & mask;
                let mut perturb = h as u64;
                'clean: loop {
                    if table[i].is_none() {
                        table[i] = Some(k);
                        break 'clean;
                    }
                    if i + LINEAR_PROBES <= mask {
                        if let Some(e) = table[i + 1..=i + LINEAR_PROBES]
                            .iter_mut()
                            .find(|e| e.is_none())
                        {
                            *e = Some(k);
                            break 'clean;
                        }
                    }
                    perturb >>= PERTURB_SHIFT;
                    i = (i
                        .wrapping_mul(5)
                        .wrapping_add(1)
                        .wrapping_add(perturb as usize))
                        & mask;
                }
            }
        }
    }
    table.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_set_order_match_cpython_without_randomization() {
        // Values printed by `PYTHONHASHSEED=0 python3.11`.
        assert_eq!(py_str_hash("abc"), -4594863902769663758);
        assert_eq!(py_str_hash("workflow_url"), 1853777163650925955);
        assert_eq!(py_str_hash("é"), 6047309291227476195);
        assert_eq!(py_str_hash("日本"), 6243316497235261705);
        let keys = [
            "b",
            "a",
            "workflow_url",
            "x1",
            "x2",
            "x3",
            "x4",
            "x5",
            "x6",
            "zz",
            "é",
            "日本",
            "a",
        ];
        let hashes: Vec<i64> = keys.iter().map(|k| py_str_hash(k)).collect();
        let order: Vec<&str> = set_order(&hashes, |a, b| keys[a] == keys[b])
            .into_iter()
            .map(|i| keys[i])
            .collect();
        assert_eq!(
            order,
            [
                "zz",
                "workflow_url",
                "é",
                "日本",
                "b",
                "x4",
                "a",
                "x1",
                "x6",
                "x3",
                "x2",
                "x5"
            ]
        );
    }
}
