//! ID and OOD splits.
//!
//! OOD (unseen APIs): APIs outside the exempt common set are visited in a seeded random order
//! and held out one by one while the records using any held-out API stay within the OOD
//! budget. Records using a held-out API form `test_ood`; no other split uses one.
//! ID (unseen instructions): of the remaining records, a seeded sample of each category
//! (the same fraction per category) forms `test_id`; the rest is `train`.

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// WorkflowLLM's OOD test keeps 50 common APIs usable everywhere. This is wfc's fixed list of
/// 50 common built-in actions (variables, control flow, text, lists, dictionaries, numbers,
/// URLs, basic input and output), exempt from holding out.
pub const EXEMPT_APIS: [&str; 50] = [
    "is.workflow.actions.comment",
    "is.workflow.actions.setvariable",
    "is.workflow.actions.getvariable",
    "is.workflow.actions.appendvariable",
    "is.workflow.actions.nothing",
    "is.workflow.actions.conditional",
    "is.workflow.actions.choosefrommenu",
    "is.workflow.actions.repeat.count",
    "is.workflow.actions.repeat.each",
    "is.workflow.actions.exit",
    "is.workflow.actions.output",
    "is.workflow.actions.gettext",
    "is.workflow.actions.text.combine",
    "is.workflow.actions.text.split",
    "is.workflow.actions.text.replace",
    "is.workflow.actions.text.match",
    "is.workflow.actions.text.changecase",
    "is.workflow.actions.text.trimwhitespace",
    "is.workflow.actions.number",
    "is.workflow.actions.math",
    "is.workflow.actions.round",
    "is.workflow.actions.count",
    "is.workflow.actions.list",
    "is.workflow.actions.getitemfromlist",
    "is.workflow.actions.choosefromlist",
    "is.workflow.actions.dictionary",
    "is.workflow.actions.getvalueforkey",
    "is.workflow.actions.setvalueforkey",
    "is.workflow.actions.detect.dictionary",
    "is.workflow.actions.detect.text",
    "is.workflow.actions.detect.number",
    "is.workflow.actions.url",
    "is.workflow.actions.downloadurl",
    "is.workflow.actions.openurl",
    "is.workflow.actions.geturlcomponent",
    "is.workflow.actions.urlencode",
    "is.workflow.actions.base64encode",
    "is.workflow.actions.showresult",
    "is.workflow.actions.alert",
    "is.workflow.actions.notification",
    "is.workflow.actions.ask",
    "is.workflow.actions.previewdocument",
    "is.workflow.actions.date",
    "is.workflow.actions.format.date",
    "is.workflow.actions.adjustdate",
    "is.workflow.actions.gettimebetweendates",
    "is.workflow.actions.delay",
    "is.workflow.actions.runworkflow",
    "is.workflow.actions.getdevicedetails",
    "is.workflow.actions.setclipboard",
];

/// Where a record goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    TestId,
    TestOod,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::TestId, Split::TestOod];
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::TestId => "test_id",
            Split::TestOod => "test_ood",
        }
    }
}

/// What the splitter needs of a record.
#[derive(Debug, Clone)]
pub struct Item {
    pub category: Option<String>,
    /// API ids (interned), any order.
    pub apis: Vec<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SplitConfig {
    pub seed: u64,
    /// Share of the non-OOD records of each category that goes to `test_id`.
    pub test_fraction: f64,
    /// Most records (as a share of all) that `test_ood` may take.
    pub ood_fraction: f64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            seed: 0,
            test_fraction: 0.1,
            ood_fraction: 0.1,
        }
    }
}

/// A seeded generator (splitmix64): the same seed gives the same splits on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// The assignment of every record, and the held-out APIs.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub splits: Vec<Split>,
    pub held_out: HashSet<u32>,
}

/// Assigns every item to a split. `exempt` holds the API ids never held out.
pub fn assign(items: &[Item], exempt: &HashSet<u32>, cfg: &SplitConfig) -> Assignment {
    let mut rng = Rng::new(cfg.seed);
    // Records per API.
    let mut users: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        for &a in &it.apis {
            if !exempt.contains(&a) {
                users.entry(a).or_default().push(i);
            }
        }
    }
    let mut candidates: Vec<u32> = users.keys().copied().collect();
    rng.shuffle(&mut candidates);
    let budget = (cfg.ood_fraction * items.len() as f64).floor() as usize;
    let mut in_ood = vec![false; items.len()];
    let mut n_ood = 0;
    let mut held_out = HashSet::new();
    for a in candidates {
        let new: Vec<usize> = users[&a].iter().copied().filter(|&i| !in_ood[i]).collect();
        // Holding out an API every record uses would leave nothing to train on.
        if n_ood + new.len() > budget || new.len() == items.len() {
            continue;
        }
        held_out.insert(a);
        for i in new {
            in_ood[i] = true;
            n_ood += 1;
        }
    }
    let mut splits: Vec<Split> = in_ood
        .iter()
        .map(|&o| if o { Split::TestOod } else { Split::Train })
        .collect();
    let mut by_cat: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        if !in_ood[i] {
            by_cat
                .entry(it.category.as_deref().unwrap_or(""))
                .or_default()
                .push(i);
        }
    }
    for (_, mut members) in by_cat {
        rng.shuffle(&mut members);
        let k = (cfg.test_fraction * members.len() as f64).round() as usize;
        for &i in &members[..k.min(members.len())] {
            splits[i] = Split::TestId;
        }
    }
    Assignment { splits, held_out }
}

/// Checks the split invariants; returns every violation found (empty when they hold).
pub fn verify(items: &[Item], a: &Assignment, exempt: &HashSet<u32>) -> Vec<String> {
    let mut bad = Vec::new();
    if a.splits.len() != items.len() {
        bad.push(format!(
            "{} assignments for {} records",
            a.splits.len(),
            items.len()
        ));
        return bad;
    }
    for h in &a.held_out {
        if exempt.contains(h) {
            bad.push(format!("exempt API {h} held out"));
        }
    }
    for (i, (it, s)) in items.iter().zip(&a.splits).enumerate() {
        let uses = it.apis.iter().any(|x| a.held_out.contains(x));
        match s {
            Split::TestOod if !uses => bad.push(format!("OOD record {i} uses no held-out API")),
            Split::Train | Split::TestId if uses => {
                bad.push(format!("{} record {i} uses a held-out API", s.name()))
            }
            _ => {}
        }
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn items_strategy() -> impl Strategy<Value = Vec<Item>> {
        prop::collection::vec(
            (
                prop::option::of(0u8..5),
                prop::collection::vec(0u32..40, 0..8),
            ),
            0..200,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(c, apis)| Item {
                    category: c.map(|c| format!("cat{c}")),
                    apis,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn ood_invariants_hold_for_any_seed(
            items in items_strategy(),
            seed in any::<u64>(),
            test_fraction in 0.0f64..0.5,
            ood_fraction in 0.0f64..0.5,
        ) {
            let exempt: HashSet<u32> = (0..5).collect();
            let cfg = SplitConfig { seed, test_fraction, ood_fraction };
            let a = assign(&items, &exempt, &cfg);
            prop_assert!(verify(&items, &a, &exempt).is_empty());
            let n_ood = a.splits.iter().filter(|s| **s == Split::TestOod).count();
            prop_assert!(n_ood as f64 <= ood_fraction * items.len() as f64);
            // Every held-out API is used by some OOD record and by no train record.
            for h in &a.held_out {
                prop_assert!(items.iter().zip(&a.splits).any(|(it, s)| *s == Split::TestOod && it.apis.contains(h)));
            }
            // The same seed gives the same splits.
            let b = assign(&items, &exempt, &cfg);
            prop_assert_eq!(a.splits, b.splits);
        }
    }

    #[test]
    fn id_split_is_stratified() {
        let items: Vec<Item> = (0..100)
            .map(|i| Item {
                category: Some(if i < 50 { "a" } else { "b" }.into()),
                apis: vec![0],
            })
            .collect();
        let exempt: HashSet<u32> = [0].into();
        let a = assign(&items, &exempt, &SplitConfig::default());
        let test_a = a.splits[..50]
            .iter()
            .filter(|s| **s == Split::TestId)
            .count();
        let test_b = a.splits[50..]
            .iter()
            .filter(|s| **s == Split::TestId)
            .count();
        assert_eq!((test_a, test_b), (5, 5));
    }
}
