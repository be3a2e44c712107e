//! A fuzz smoke run on the stable toolchain: the bodies of the `fuzz/` targets
//! (`wfc::fuzz_targets`) over the seed corpora generated from `corpus/`, then over a few
//! thousand proptest inputs: byte mutations of the seeds and random DSL-ish text.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use wfc::fuzz_targets as ft;

fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let s = ft::seeds(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    assert!(s.len() > 50, "seed corpora generated from corpus/");
    s
}

fn target(name: &str) -> fn(&[u8]) {
    match name {
        "read" => ft::read,
        "aea" => ft::aea,
        "lift" => ft::lift,
        "dsl_parse" => ft::dsl_parse,
        "roundtrip" => ft::roundtrip,
        "fast_plist" => ft::fast_plist,
        other => panic!("no target {other}"),
    }
}

#[test]
fn every_target_runs_over_its_seeds() {
    let seeds = seeds();
    for t in ft::TARGETS {
        let mine: Vec<_> = seeds.iter().filter(|(x, _, _)| x == t).collect();
        assert!(!mine.is_empty(), "no seeds for {t}");
        for (_, _, bytes) in mine {
            target(t)(bytes);
        }
    }
}

#[test]
fn seeds_read_lift_and_round_trip() {
    // The seeds are well-formed: every container seed reads and lifts.
    let limits = ft::limits();
    for (t, name, bytes) in seeds().iter().filter(|(t, _, _)| *t == "read") {
        let loaded =
            wfc::shortcut::read_bytes(bytes, &limits).unwrap_or_else(|e| panic!("{t}/{name}: {e}"));
        wfc::lift::lift(loaded, &limits).unwrap_or_else(|e| panic!("{t}/{name}: {e}"));
    }
}

/// A mutation: overwrite, insert, delete or duplicate a few bytes.
fn mutate(seed: &[u8], ops: &[(u8, u32, u8)]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(op, pos, byte) in ops {
        let at = if v.is_empty() {
            0
        } else {
            pos as usize % v.len()
        };
        match op % 5 {
            0 if !v.is_empty() => v[at] = byte,
            1 => v.insert(at, byte),
            2 if !v.is_empty() => {
                v.remove(at);
            }
            3 if !v.is_empty() => v[at] ^= 1 << (byte % 8),
            4 => {
                let end = (at + byte as usize).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            _ => {}
        }
    }
    v
}

#[test]
fn mutated_seeds() {
    let seeds = seeds();
    let mut runner = TestRunner::new(Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    });
    let n = seeds.len();
    runner
        .run(
            &(
                0..n,
                prop::collection::vec((any::<u8>(), any::<u32>(), any::<u8>()), 1..8),
            ),
            |(i, ops)| {
                let (t, _, bytes) = &seeds[i];
                let m = mutate(bytes, &ops);
                target(t)(&m);
                // Container mutations also go through the signed reader and the lifter.
                if *t == "read" {
                    ft::aea(&m);
                    ft::lift(&m);
                    ft::fast_plist(&m);
                }
                Ok(())
            },
        )
        .unwrap();
}

const WORDS: &[&str] = &[
    "if ",
    "else:",
    "match ",
    "case ",
    "for ",
    " in ",
    "range(",
    "pass",
    "x",
    "y",
    " = ",
    "==",
    "!=",
    "not ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'",
    "\"",
    "f'",
    "'''",
    "{x}",
    "\\n",
    "\\u00e9",
    "#",
    "\n",
    "\n    ",
    "\n        ",
    "\t",
    "1",
    "-2.5e3",
    "True",
    "None",
    "is_workflow_actions_gettext(",
    "WFTextActionText=",
    "shortcut_input()",
    ".append(",
    "**{",
    "}",
    "é",
    "\u{FFFC}",
];

#[test]
fn random_dsl_text() {
    let mut runner = TestRunner::new(Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(0..WORDS.len(), 0..40), |words| {
            let text: String = words.iter().map(|&w| WORDS[w]).collect();
            ft::dsl_parse(text.as_bytes());
            ft::roundtrip(text.as_bytes());
            Ok(())
        })
        .unwrap();
}

/// Found by `fast_plist`: a DOCTYPE whose closing quote was lost. The fast reader ended the
/// DOCTYPE at the first `>`, the plist crate reads on to the next quote and fails.
#[test]
fn regression_fast_plist_0001() {
    ft::fast_plist(include_bytes!("fixtures/fuzz/fast_plist-0001"));
}
