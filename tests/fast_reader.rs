//! The fast plist readers against the `plist` crate on every corpus file: where the fast
//! readers answer, their tree must equal what the crate builds, and they must answer for
//! (nearly) every real file, or the converter silently loses its speed.

mod common;

use std::collections::BTreeMap;
use wfc::limits::Limits;
use wfc::shortcut::{PDict, PValue};

#[test]
fn fast_readers_match_the_plist_crate_on_the_corpus() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let limits = Limits::default();
    let mut compared = 0;
    let mut declined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for row in common::manifest(&shared) {
        let relpath = row.get("relpath");
        let bytes = std::fs::read(shared.join("corpus").join(relpath)).unwrap();
        let Ok(slow) = wfc::shortcut::read_bytes(&bytes, &limits) else {
            continue;
        };
        // The plist bytes the fast readers see: the file, or a signed file's payload.
        let container = wfc::shortcut::sniff(&bytes).unwrap();
        let inner = match container {
            wfc::shortcut::Container::Aea => {
                wfc::shortcut::aea::read(&bytes, &limits).unwrap().wflow
            }
            wfc::shortcut::Container::BinaryPlist | wfc::shortcut::Container::XmlPlist => {
                bytes.clone()
            }
            _ => continue,
        };
        compared += 1;
        let arena = wfc::shortcut::Bump::new();
        match wfc::shortcut::parse_fast(&inner, &arena, &limits) {
            Some(PValue::Dictionary(fast)) => {
                if fast.to_plist() != slow.plist {
                    mismatches.push(relpath.to_string());
                }
            }
            Some(other) => mismatches.push(format!("{relpath}: a {}", other.kind_name())),
            None => declined
                .entry(container.name().to_string())
                .or_default()
                .push(relpath.to_string()),
        }
        // The converter's own entry point agrees too, container metadata included.
        let mut scratch = wfc::shortcut::Scratch::default();
        let tree = wfc::shortcut::read_tree(&bytes, &mut scratch, &limits).unwrap();
        assert_eq!(tree.provenance, slow.provenance, "{relpath}");
        assert_eq!(
            tree.plist,
            PDict::from_plist(&slow.plist, &arena),
            "{relpath}"
        );
    }
    let n_declined: usize = declined.values().map(Vec::len).sum();
    println!("{compared} plists compared, {n_declined} declined by the fast readers");
    for (kind, files) in &declined {
        println!("  {kind}: {} declined, e.g. {}", files.len(), files[0]);
    }
    assert!(
        mismatches.is_empty(),
        "fast reader differs: {mismatches:#?}"
    );
    assert!(compared > 1300, "only {compared} plists compared");
    // Declining is always safe, but a real file declined is a real file read slowly.
    assert!(n_declined <= compared / 100, "{declined:#?}");
}
