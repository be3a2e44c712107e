use super::pyvalue::{float_repr, json_loads, literal_eval, PyValue};
use super::*;

fn repr_of_literal(src: &str) -> String {
    literal_eval(src).expect(src).repr().unwrap()
}

#[test]
fn python_repr_of_literals() {
    // Expected values printed by CPython 3.11 (`repr(ast.literal_eval(src))`).
    let cases = [
        (
            "{'place': 'Berlin', 'flag': True, 'x': None}",
            "{'place': 'Berlin', 'flag': True, 'x': None}",
        ),
        (
            r#"[1, 2.5, 1e-05, 1e16, 123456789012345678, -0.0, 0.0001, 1.5e+300, (1,), (), set(), {1: 2}, "it's", b'x\'y', 1j, 1+2j, -1-0j, 0x1F, 1_000, 'a' "b"]"#,
            r#"[1, 2.5, 1e-05, 1e+16, 123456789012345678, -0.0, 0.0001, 1.5e+300, (1,), (), set(), {1: 2}, "it's", b"x'y", 1j, (1+2j), (-1+0j), 31, 1000, 'ab']"#,
        ),
        (
            r"['\x07\u200b\u00e9\U0001F600\ud7ff\x85\xa0']",
            "['\\x07\\u200b\u{e9}\u{1F600}\\ud7ff\\x85\\xa0']",
        ),
        (
            "(1e22, 1e-7, 0.1, 100.0, 12345678901234567.0, 3.0)",
            "(1e+22, 1e-07, 0.1, 100.0, 1.2345678901234568e+16, 3.0)",
        ),
        ("{'a': 1, 'a': 2, 'b': 3}", "{'a': 2, 'b': 3}"),
        ("{1: 'x', True: 'y', 1.0: 'z'}", "{1: 'z'}"),
        (
            "[99999999999999999999999999999999999999999]",
            "[99999999999999999999999999999999999999999]",
        ),
        (
            "[-0x10, +5, -(3), 'tab\\there']",
            "[-16, 5, -3, 'tab\\there']",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(repr_of_literal(src), want, "{src}");
    }
}

#[test]
fn literal_eval_rejects_what_python_rejects() {
    for src in [
        "[true]",
        "[null]",
        "[1 + 2]",
        "[--1]",
        "[f'x']",
        "[x]",
        "[1] [2]",
        "[01]",
        "['a' b'b']",
        "[{[1]: 2}]",
        "[1abc]",
        "['unterminated]",
        "[1,\n2]\n3",
        "",
    ] {
        assert!(literal_eval(src).is_err(), "{src:?} should fail");
    }
    for src in [
        "[1,\n 2, # comment\n 3]",
        "[\n]",
        "[1, 2,]",
        "[(1)]",
        "[1e5, .5, 1., 1_0.0_1]",
    ] {
        assert!(literal_eval(src).is_ok(), "{src:?} should parse");
    }
}

#[test]
fn float_repr_is_pythons() {
    for (f, want) in [
        (1.0, "1.0"),
        (0.1, "0.1"),
        (1e16, "1e+16"),
        (9999999999999998.0, "9999999999999998.0"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-1.5e-10, "-1.5e-10"),
        (f64::INFINITY, "inf"),
        (f64::NAN, "nan"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
    ] {
        assert_eq!(float_repr(f, true), want);
    }
}

#[test]
fn json_loads_like_python() {
    let v = json_loads(r#"[{"a": NaN, "b": -Infinity, "a": 1}, 1.0, 10000000000000000000000]"#)
        .unwrap();
    assert_eq!(
        v.repr().unwrap(),
        "[{'a': 1, 'b': -inf}, 1.0, 10000000000000000000000]"
    );
    assert!(json_loads("[01]").is_err());
    assert!(json_loads("[1.]").is_err());
    assert!(
        json_loads("[\"a\tb\"]").is_err(),
        "control characters are not allowed"
    );
    assert!(json_loads("[1] x").is_err());
}

fn text(s: &str) -> PyValue {
    PyValue::Str(s.into())
}

#[test]
fn format_load_slicing_and_fallbacks() {
    // No '[': only the last character is kept, which cannot be a list.
    assert!(parse_json_plan(&text("no list here")).is_empty());
    // Fenced block, python literal with a string args.
    let p = parse_json_plan(&text(
        "Plan:\n```json\n[{'id': 0, 'name': 'A.b', 'args': \"{'x': 1}\"}]\n```",
    ));
    assert_eq!(
        p,
        vec![Step {
            id: 0,
            name: "A.b".into(),
            args: "{'x': 1}".into()
        }]
    );
    // JSON true/null fail literal_eval and are read by json.loads.
    let p = parse_json_plan(&text(
        r#"[{"id": "1 ", "name": "A", "args": {"f": true, "n": null}}]"#,
    ));
    assert_eq!(p[0].args, "{'f': True, 'n': None}");
    assert_eq!(p[0].id, 1);
    // The quote-replacing retry: single quotes around JSON literals.
    let p = parse_json_plan(&text("[{'id': 0, 'name': 'A', 'args': {'f': true}}]"));
    assert_eq!(p[0].args, "{'f': True}");
    // One bad step empties the plan.
    assert!(parse_json_plan(&text(
        r#"[{"id": 0, "name": "A", "args": {}}, {"name": "B", "args": {}}]"#
    ))
    .is_empty());
    assert!(parse_json_plan(&text(r#"[{"id": 0.5e400, "name": "A", "args": {}}]"#)).is_empty());
    assert_eq!(
        parse_json_plan(&text(r#"[{"id": 2.9, "name": 5, "args": [1]}]"#))[0],
        Step {
            id: 2,
            name: "5".into(),
            args: "[1]".into()
        }
    );
    // A top-level tuple parses (literal_eval succeeds) but is not a list.
    assert!(parse_json_plan(&text("[1], [2]")).is_empty());
}

#[test]
fn str_plans_take_the_leftmost_api_per_line() {
    let apis = vec![
        "B.get".to_string(),
        "A.search".to_string(),
        "A.sea".to_string(),
    ];
    let p = parse_str_plan(
        "First A.search and B.get. Then nothing\nUse B.get for x.\n\nA.sea",
        &apis,
    );
    let names: Vec<&str> = p.iter().map(|s| s.name.as_str()).collect();
    // "A.search" and "A.sea" start at the same place: the one listed first wins.
    assert_eq!(names, ["A.search", "B.get", "A.sea"]);
    assert_eq!(p[0].args, "First A.search and B.get");
    assert_eq!(p[1].args, "Use B.get for x.");
    assert_eq!(p.iter().map(|s| s.id).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn lis_never_below_one_and_ties_cross() {
    // No pair above the threshold: one "correct" step anyway.
    let s = score_matrix(&[vec![0.1, 0.2, 0.3], vec![0.0, 0.0, 0.0]], 3, 0.8);
    assert_eq!((s.precision, s.recall), (0.5, 1.0 / 3.0));
    assert_eq!(s.f1_score, 0.4);
    // Two identical steps on both sides: networkx matches them crossed, LIS 1.
    let s = score_matrix(&[vec![1.0, 1.0], vec![1.0, 1.0]], 2, 0.8);
    assert_eq!(s.f1_score, 0.5);
}

#[test]
fn matching_agrees_with_networkx_on_tied_matrices() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/teval/networkx_matchings.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    for (n, c) in cases.iter().enumerate() {
        let m: Vec<Vec<f64>> = serde_json::from_value(c["matrix"].clone()).unwrap();
        let thr = c["threshold"].as_f64().unwrap();
        let want: Vec<i64> = serde_json::from_value(c["pred_to_gold"].clone()).unwrap();
        let mut g = Graph::new();
        let mut pv = vec![None; m.len()];
        let mut gv = vec![None; m[0].len()];
        let mut gold_of = Vec::new();
        for (i, row) in m.iter().enumerate() {
            for (j, &w) in row.iter().enumerate() {
                if w > thr {
                    let a = *pv[i].get_or_insert_with(|| {
                        gold_of.push(-1);
                        g.add_vertex()
                    });
                    let b = *gv[j].get_or_insert_with(|| {
                        gold_of.push(j as i64);
                        g.add_vertex()
                    });
                    g.add_edge(a, b, w);
                }
            }
        }
        let mate = g.max_weight_matching().unwrap();
        let got: Vec<i64> = pv
            .iter()
            .map(|v| v.and_then(|v| mate[v]).map_or(-1, |m| gold_of[m]))
            .collect();
        assert_eq!(got, want, "case {n}: {m:?}");
    }
}

#[test]
fn numpy_mean_sums_pairwise() {
    // 0.1 × 10: numpy's 8-accumulator sum gives 1.0 exactly where a plain loop does not.
    let xs = vec![0.1; 10];
    assert_eq!(np_mean(&xs), 0.1);
    let plain: f64 = xs.iter().sum::<f64>() / 10.0;
    assert_ne!(plain, 0.1);
}

#[test]
fn finish_only_prediction_scores_zero_with_a_note() {
    let gold = vec![
        Step {
            id: 0,
            name: "A".into(),
            args: "{}".into(),
        },
        Step {
            id: 1,
            name: "FinishAction".into(),
            args: "{}".into(),
        },
    ];
    let pred = vec![Step {
        id: 0,
        name: "FinishAction".into(),
        args: "{}".into(),
    }];
    let p = prepare_steps("x".into(), pred, gold, None);
    let o = score(&p, &EmbeddingTable::default(), 0.8);
    assert_eq!(o.scores.f1_score, 0.0);
    assert_eq!(o.scores.parse_rate, 1.0);
    assert_eq!(o.note, Some(NOTE_EMPTY_AFTER_FINISH));
}

mod roundtrip {
    use super::super::pyvalue::{literal_eval, PyInt, PyValue};
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = PyValue> {
        prop_oneof![
            Just(PyValue::None),
            any::<bool>().prop_map(PyValue::Bool),
            any::<i128>().prop_map(|i| PyValue::Int(PyInt::Small(i))),
            "[1-9][0-9]{39,60}".prop_map(|d| PyValue::Int(PyInt::Big {
                neg: d.len() % 2 == 0,
                digits: d
            })),
            any::<f64>()
                .prop_filter("nan has no literal", |f| !f.is_nan() && f.is_finite())
                .prop_map(PyValue::Float),
            any::<String>().prop_map(PyValue::Str),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(PyValue::Bytes),
        ]
    }

    fn value() -> impl Strategy<Value = PyValue> {
        leaf().prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(PyValue::List),
                proptest::collection::vec(inner.clone(), 0..5).prop_map(PyValue::Tuple),
                proptest::collection::btree_map(any::<String>(), inner, 0..5).prop_map(|m| {
                    PyValue::Dict(m.into_iter().map(|(k, v)| (PyValue::Str(k), v)).collect())
                }),
            ]
        })
    }

    proptest! {
        /// `literal_eval(repr(v)) == v`: the printer and the parser agree.
        #[test]
        fn repr_then_literal_eval(v in value()) {
            let text = v.repr().unwrap();
            let back = literal_eval(&text);
            prop_assert_eq!(back.as_ref(), Ok(&v), "{}", text);
        }
    }
}
