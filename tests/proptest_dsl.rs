//! Property tests over random lifter-canonical IR (IR that `lift(compile(ir))` gives back
//! unchanged):
//!
//! 1. `print → parse` reproduces the IR, up to a consistent renaming of UUIDs;
//! 2. printed programs are Python (checked with one `python3` process);
//! 3. `compile → lift` reproduces the IR exactly;
//! 4. printing is a fixed point: `print(parse(print(ir))) == print(ir)`.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use std::collections::{HashMap, HashSet};
use wfc::dsl::{parse, print, ParseOptions};
use wfc::ir::*;
use wfc::limits::Limits;

const ID_COMMENT: &str = "is.workflow.actions.comment";
const ID_SETVAR: &str = "is.workflow.actions.setvariable";
const ID_APPENDVAR: &str = "is.workflow.actions.appendvariable";
const ID_IF: &str = "is.workflow.actions.conditional";
const ID_MENU: &str = "is.workflow.actions.choosefrommenu";
const ID_REPEAT_COUNT: &str = "is.workflow.actions.repeat.count";
const ID_REPEAT_EACH: &str = "is.workflow.actions.repeat.each";

/// Placeholder written by the generators; `finalize` turns it into a unique UUID.
const PENDING: &str = "<pending>";

// ---------------------------------------------------------------------------------------
// Strings

fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('a', 'z'),
        1 => Just(' '),
        3 => prop::sample::select(vec![
            '\'', '"', '\\', '{', '}', '\n', '\r', '\t', '\0', '\x01', '\x0b', '\x0c', '\x1b',
            '\x7f', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffc}', '😀',
            '𝔸', '\u{1F1EB}', '中', '文', 'é', '\u{301}', '\u{200d}', '_', '-', '#', ':', '=',
            '(', ')', '[', ']', ',', '.', '0', '9', 'ﬁ', 'A', 'Z',
        ]),
        // Astral characters come from the list above only: a random one may be unassigned
        // in the Unicode version of the local Python but an identifier character to
        // `unicode-ident` (see `printed_programs_are_python`).
        1 => any::<char>().prop_filter("BMP", |c| (*c as u32) < 0x10000),
    ]
}

fn text_str() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => vec(any_char(), 0..8).prop_map(|v| v.into_iter().collect::<String>()),
        1 => prop::sample::select(vec![
            "", "'''", "'", "\"", "\"\"\"", "a'''b", "\\", "{}", "{x}", "\r\n", "\0", "\u{fffc}",
            "👨‍👩‍👧", "end'", "'start", "x\\", " lead", "trail ", "''", "\\'", "\n", "a\n\nb",
            "#", "# x", "{{", "}}", "\\N{DASH}", "\\x41", "{0, 1}",
        ])
        .prop_map(String::from),
    ]
}

fn non_empty_str() -> impl Strategy<Value = String> {
    text_str().prop_filter("non-empty", |s| !s.is_empty())
}

/// Parameter and dictionary keys: identifiers, keywords, dunders, non-ASCII, anything.
fn key_str() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "WFText", "WFInput", "Show-text", "class", "__x__", "_private", "clé", "键", "a b",
            "WFMenuItems", "prompt", "start", "x", "1abc", "", "WFNumberValue", "uuid", "value",
            "WFCondition", "WFConditionalActionString", "WFMenuPrompt", "WFRepeatCount",
            "WFVariableName", "WFCommentActionText", "__action__", "__uuid__", "__no_params__",
            "None", "True", "match", "Repeat_Item", "ﬁle", "Type",
        ])
        .prop_map(String::from),
        1 => text_str(),
    ]
}

fn var_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "x", "My Var", "变量", "class", "Repeat Item", "Repeat Index", "Repeat Item 2",
            "Repeat Index 3", "Repeat_Item", "a b", " lead", "x_y", "__x__", "if", "name'q",
            "", "input", "variable", "ref", "Show-text", "named", "Contents of URL", "__workflow__",
            "is_workflow_actions_gettext", "Repeat Items", "match",
        ])
        .prop_map(String::from),
        1 => text_str(),
    ]
}

/// Distinct keys, in order, without the ones `exclude` names.
fn params_of(
    pairs: Vec<(String, Value)>,
    exclude: &'static [&'static str],
) -> Vec<(String, Value)> {
    let mut seen = HashSet::new();
    let mut p: Vec<(String, Value)> = pairs
        .into_iter()
        .filter(|(k, _)| !exclude.contains(&k.as_str()) && k != "UUID" && seen.insert(k.clone()))
        .collect();
    // The IR keeps dictionary entries sorted by key.
    wfc::ir::sort_params(&mut p);
    p
}

// ---------------------------------------------------------------------------------------
// Values

fn real() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        2 => prop::sample::select(vec![
            0.0,
            -0.0,
            0.1,
            1.5,
            -2.25,
            1e300,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]),
    ]
}

fn int() -> impl Strategy<Value = i128> {
    prop_oneof![
        3 => -100i128..100,
        1 => any::<i64>().prop_map(i128::from),
        1 => any::<u64>().prop_map(i128::from),
        1 => prop::sample::select(vec![
            i128::from(i64::MIN),
            i128::from(i64::MAX),
            i128::from(u64::MAX),
        ]),
    ]
}

/// Dates in the form `plist::Date::to_xml_format` writes.
fn date() -> impl Strategy<Value = String> {
    (
        1971u32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(y, mo, d, h, mi, s)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
}

fn leaf_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => text_str().prop_map(Value::String),
        2 => int().prop_map(Value::int),
        1 => real().prop_map(Value::Real),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => date().prop_map(Value::Date),
        1 => vec(any::<u8>(), 0..6).prop_map(Value::Data),
    ]
}

fn var(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Var> {
    let _ = inner;
    prop_oneof![
        3 => (0usize..4, prop::option::of(text_str()))
            .prop_map(|(k, name)| Var::ActionOutput { uuid: format!("ref:{k}"), name }),
        3 => (var_name(), prop::option::of(0usize..3)).prop_map(|(name, u)| Var::Named {
            name,
            uuid: u.map(|u| format!("var:{u}")),
        }),
        1 => Just(Var::ShortcutInput),
        1 => Just(Var::ActionInput),
        1 => Just(Var::Clipboard),
        1 => Just(Var::CurrentDate),
        1 => Just(Var::DeviceDetails),
        1 => prop::option::of(text_str()).prop_map(|prompt| Var::Ask { prompt }),
    ]
}

fn aggr(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Aggr> {
    prop_oneof![
        3 => text_str().prop_map(Aggr::DictKey),
        1 => text_str().prop_map(Aggr::Coerce),
        2 => (
            prop_oneof![
                text_str(),
                prop::sample::select(vec!["Name", "File Size", "_x", "a_b", "class", "Größe"])
                    .prop_map(String::from)
            ],
            prop::option::of(inner.clone())
        )
            .prop_map(|(name, user_info)| Aggr::Property { name, user_info }),
        // An untyped aggrandizement: a string `Type` first (the lifter needs one) that is
        // not one of the three typed kinds.
        1 => (
            prop::sample::select(vec![
                "WFDateFormatVariableAggrandizement",
                "WFUnknownAggrandizement",
                "odd type",
            ]),
            vec((key_str(), inner), 0..3)
        )
            .prop_map(|(ty, rest)| {
                let mut p = vec![("Type".to_string(), Value::String(ty.to_string()))];
                p.extend(params_of(rest, &["Type"]));
                wfc::ir::sort_params(&mut p);
                Aggr::Other(p)
            }),
    ]
}

fn var_ref(inner: BoxedStrategy<Value>) -> impl Strategy<Value = VarRef> {
    (var(inner.clone()), vec(aggr(inner), 0..3)).prop_map(|(var, aggr)| VarRef {
        var,
        aggr,
        span: Default::default(),
    })
}

/// Text: no empty literal, no two literals in a row; `empty_ranges` only without variables.
fn text(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Text> {
    (
        vec(
            prop_oneof![
                2 => non_empty_str().prop_map(TextPart::Lit),
                1 => var_ref(inner).prop_map(TextPart::Var),
            ],
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(raw, empty)| {
            let mut parts: Vec<TextPart> = Vec::new();
            for p in raw {
                match (parts.last_mut(), p) {
                    (Some(TextPart::Lit(prev)), TextPart::Lit(l)) => prev.push_str(&l),
                    (_, p) => parts.push(p),
                }
            }
            let has_var = parts.iter().any(|p| matches!(p, TextPart::Var(_)));
            Text {
                parts,
                empty_ranges: empty && !has_var,
            }
        })
}

fn dict_items(inner: BoxedStrategy<Value>, depth: u32) -> BoxedStrategy<Vec<DictItem>> {
    let t = text(inner.clone()).boxed();
    let number = prop_oneof![
        2 => prop::sample::select(vec!["5", "-3", "1.5", "1e5", "-0", "0.1", "007", "", "x"])
            .prop_map(|s| if s.is_empty() { Text::default() } else { Text::lit(s) }),
        1 => t.clone(),
    ];
    let mut value = vec![
        (3, t.clone().prop_map(DictItemValue::Text).boxed()),
        (1, number.prop_map(DictItemValue::Number).boxed()),
        (1, inner.clone().prop_map(DictItemValue::Bool).boxed()),
        (
            1,
            vec(
                prop_oneof![
                    t.clone()
                        .prop_map(|t| ArrayItem::Typed(DictItemValue::Text(t))),
                    inner.prop_map(ArrayItem::Plain),
                ],
                0..3,
            )
            .prop_map(DictItemValue::Array)
            .boxed(),
        ),
    ];
    if depth > 0 {
        value.push((
            1,
            dict_items(text_leaf_value(), depth - 1)
                .prop_map(DictItemValue::Dict)
                .boxed(),
        ));
    }
    vec(
        (t, prop::strategy::Union::new_weighted(value))
            .prop_map(|(key, value)| DictItem { key, value }),
        0..3,
    )
    .boxed()
}

/// Values for nested positions that must not recurse much further.
fn text_leaf_value() -> BoxedStrategy<Value> {
    leaf_value().boxed()
}

/// A plain dictionary the lifter leaves untyped: no `Type`, `Value` or
/// `WFSerializationType` keys (which could make it a variable or a serialized value), and no
/// `OutputUUID` (an untyped reference to an output forces `__uuid__`).
fn plain_dict(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    (vec((key_str(), inner), 0..3), any::<bool>()).prop_map(|(pairs, typed)| {
        let mut d = params_of(
            pairs,
            &["Type", "Value", "WFSerializationType", "OutputUUID"],
        );
        if typed {
            d.push(("Type".into(), Value::String("NotAVariableType".into())));
            wfc::ir::sort_params(&mut d);
        }
        Value::Dict(d)
    })
}

fn value() -> BoxedStrategy<Value> {
    leaf_value()
        .prop_recursive(3, 24, 4, |inner| {
            let inner = inner.boxed();
            prop_oneof![
                2 => vec(inner.clone(), 0..4).prop_map(Value::Array),
                2 => plain_dict(inner.clone()),
                4 => text(inner.clone()).prop_map(Value::Text),
                3 => var_ref(inner.clone()).prop_map(|r| Value::Attachment(Box::new(r))),
                1 => var_ref(inner.clone()).prop_map(|r| Value::VarRef(Box::new(r))),
                2 => dict_items(inner.clone(), 1).prop_map(Value::DictField),
                1 => (
                    prop::sample::select(vec![
                        "WFQuantityFieldValue",
                        "WFContactFieldValue",
                        "odd kind",
                        "WF_under",
                        "wfLower",
                    ]),
                    inner
                )
                    .prop_map(|(kind, v)| Value::Serialized {
                        kind: kind.into(),
                        value: Box::new(v),
                    }),
                // A serialization the lifter knows, around a value it cannot type.
                1 => int().prop_map(|i| Value::Serialized {
                    kind: "WFTextTokenString".into(),
                    value: Box::new(Value::int(i)),
                }),
            ]
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------
// Statements

fn params(exclude: &'static [&'static str]) -> impl Strategy<Value = Params> {
    vec((key_str(), value()), 0..3).prop_map(move |p| params_of(p, exclude))
}

/// An action the lifter keeps as a plain action.
fn plain_action() -> impl Strategy<Value = Action> {
    (
        prop::sample::select(vec![
            "is.workflow.actions.gettext",
            "is.workflow.actions.showresult",
            "is.workflow.actions.conditional",
            "com.apple.foo.Intent",
            "com.foo.bar_baz",
            "com.appliedphasor.working-copy.OpenIntent",
            "dk.simonbs.Scriptable.RunScriptInlineIntent",
            "nodots",
            "",
        ]),
        params(&[]),
        any::<bool>(),
        prop_oneof![4 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        params(&["WFWorkflowActionIdentifier", "WFWorkflowActionParameters"]),
    )
        .prop_map(|(id, params, out, no_params, extra)| {
            let mut a = Action::new(id);
            a.extra = extra;
            if no_params == 0 {
                a.params = params;
                a.output = out.then(|| PENDING.to_string());
            } else {
                a.no_params = true;
                if no_params == 2 {
                    // The lifter keeps a non-dictionary parameters value as the first extra key.
                    a.extra.push((
                        "WFWorkflowActionParameters".into(),
                        Value::String("not a dictionary".into()),
                    ));
                    wfc::ir::sort_params(&mut a.extra);
                }
            }
            a
        })
}

/// The action of a comment, a variable setter or a block marker: no extra keys.
fn clean_action(
    id: &'static str,
    exclude: &'static [&'static str],
    output: bool,
) -> impl Strategy<Value = Action> {
    (params(exclude), any::<bool>()).prop_map(move |(params, out)| {
        let mut a = Action::new(id);
        a.params = params;
        a.output = (output && out).then(|| PENDING.to_string());
        a
    })
}

fn bare_action(id: &'static str, params: bool) -> BoxedStrategy<Action> {
    if params {
        prop_oneof![2 => Just(Action::new(id)), 1 => clean_action(id, &[], false)].boxed()
    } else {
        Just(Action::new(id)).boxed()
    }
}

fn comment_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec(
            prop_oneof![
                3 => "[a-z ]{0,6}",
                1 => text_str(),
                1 => Just(String::new()),
                1 => Just("  indented".to_string()),
            ],
            1..4
        )
        .prop_map(|l| l.join("\n")),
        1 => text_str(),
    ]
}

fn markers(
    id: &'static str,
    start_exclude: &'static [&'static str],
) -> impl Strategy<Value = Box<BlockMarkers>> {
    (
        prop_oneof![3 => Just(Action::new(id)).boxed(), 1 => clean_action(id, start_exclude, false).boxed()],
        prop_oneof![3 => Just(Action::new(id)).boxed(), 1 => clean_action(id, &["GroupingIdentifier", "WFControlFlowMode"], true).boxed()],
    )
        .prop_map(|(start, end)| {
            Box::new(BlockMarkers {
                group: PENDING.into(),
                start,
                end,
                implicit_start: false,
            })
        })
}

const IF_EXCLUDE: &[&str] = &[
    "GroupingIdentifier",
    "WFControlFlowMode",
    "WFInput",
    "WFCondition",
    "WFConditionalActionString",
    "WFNumberValue",
    "WFAnotherNumber",
    "WFDate",
    "WFAnotherDate",
    "WFMeasurement",
    "WFAnotherMeasurement",
    "WFDuration",
    "WFEnumeration",
    "WFConditions",
];

fn condition() -> impl Strategy<Value = (Condition, bool)> {
    let attach = var_ref(value()).prop_map(|r| {
        Value::Dict(vec![
            ("Type".into(), Value::String("Variable".into())),
            ("Variable".into(), Value::Attachment(Box::new(r))),
        ])
    });
    let sugared = (
        attach,
        prop_oneof![
            Just((100, None)),
            Just((101, None)),
            (0i128..=5, int().prop_map(Value::int))
                .prop_map(|(op, v)| (op, Some(("WFNumberValue", v)))),
            (0i128..=5, real().prop_map(Value::Real))
                .prop_map(|(op, v)| (op, Some(("WFNumberValue", v)))),
            (0i128..=3, text_str().prop_map(Value::String))
                .prop_map(|(op, v)| (op, Some(("WFNumberValue", v)))),
            (
                0i128..=3,
                var_ref(value()).prop_map(|r| Value::Attachment(Box::new(r)))
            )
                .prop_map(|(op, v)| (op, Some(("WFNumberValue", v)))),
            (
                prop::sample::select(vec![4i128, 5, 99, 999, 8, 9]),
                text(value()).prop_map(Value::Text)
            )
                .prop_map(|(op, v)| (op, Some(("WFConditionalActionString", v)))),
            (
                prop::sample::select(vec![4i128, 5, 99, 999, 8, 9]),
                text_str().prop_map(Value::String)
            )
                .prop_map(|(op, v)| (op, Some(("WFConditionalActionString", v)))),
        ],
    )
        .prop_map(|(input, (op, operand))| {
            (
                Condition {
                    input: Some(input),
                    op: Some(Value::int(op)),
                    operands: operand
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                },
                true,
            )
        });
    let generic = (
        prop::option::of(value()),
        prop::option::of(prop_oneof![
            int().prop_map(Value::int),
            text_str().prop_map(Value::String)
        ]),
        vec(
            (
                prop::sample::select(IF_EXCLUDE[4..].to_vec()).prop_map(String::from),
                value(),
            ),
            0..3,
        ),
    )
        .prop_map(|(input, op, operands)| {
            (
                Condition {
                    input,
                    op,
                    operands: params_of(operands, &[]),
                },
                false,
            )
        });
    prop_oneof![2 => sugared, 1 => generic]
}

fn stmt() -> BoxedStrategy<Stmt> {
    let leaf = prop_oneof![
        4 => plain_action().prop_map(Stmt::Action),
        2 => (comment_text(), prop_oneof![3 => Just(Action::new(ID_COMMENT)).boxed(), 1 => clean_action(ID_COMMENT, &["WFCommentActionText"], true).boxed()])
            .prop_map(|(text, action)| Stmt::Comment { text, action }),
        3 => (
            var_name(),
            any::<bool>(),
            prop::option::of(value()),
            prop_oneof![3 => Just(false), 1 => Just(true)],
            any::<bool>(),
        )
            .prop_flat_map(|(name, append, value, params, out)| {
                let id = if append { ID_APPENDVAR } else { ID_SETVAR };
                let action = if params {
                    clean_action(id, &["WFVariableName", "WFInput"], out).boxed()
                } else {
                    Just(Action::new(id)).boxed()
                };
                (Just(name), Just(append), Just(value), action)
            })
            .prop_map(|(name, append, value, action)| Stmt::SetVariable {
                name,
                append,
                value,
                action,
            }),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        let body = || vec(inner.clone(), 0..3);
        prop_oneof![
            2 => (
                condition(),
                body(),
                prop::option::of(body()),
                markers(ID_IF, IF_EXCLUDE),
                bare_action(ID_IF, false),
            )
                .prop_map(|((cond, sugared), then, otherwise, mut markers, m)| {
                    if sugared {
                        markers.start.params.clear();
                    }
                    Stmt::If {
                        cond: Box::new(cond),
                        then,
                        otherwise: otherwise.map(|b| (m, b)),
                        markers,
                    }
                }),
            1 => (
                prop::option::of(value()),
                prop_oneof![
                    3 => Just(MenuItems::FromCases),
                    1 => Just(MenuItems::Absent),
                    1 => value().prop_map(MenuItems::Other),
                ],
                vec(
                    (
                        prop_oneof![3 => text_str().prop_map(Value::String), 1 => value()],
                        body()
                    ),
                    0..3
                ),
                markers(ID_MENU, &["GroupingIdentifier", "WFControlFlowMode", "WFMenuItems", "WFMenuPrompt"]),
            )
                .prop_map(|(prompt, items, cases, markers)| {
                    let cases: Vec<MenuCase> = cases
                        .into_iter()
                        .map(|(title, body)| MenuCase {
                            title,
                            marker: Action::new(ID_MENU),
                            body,
                        })
                        .collect();
                    // WFMenuItems equal to the titles is `FromCases`.
                    let titles: Vec<Value> = cases.iter().map(|c| c.title.clone()).collect();
                    let items = match items {
                        MenuItems::Other(Value::Array(a)) if a == titles => MenuItems::FromCases,
                        other => other,
                    };
                    Stmt::Menu {
                        prompt,
                        items,
                        cases,
                        markers,
                    }
                }),
            1 => (
                prop::option::of(prop_oneof![int().prop_map(Value::int), value()]),
                prop::option::of(prop_oneof![int().prop_map(Value::int), real().prop_map(Value::Real)]),
                body(),
                markers(ID_REPEAT_COUNT, &["GroupingIdentifier", "WFControlFlowMode", "WFRepeatCount"]),
            )
                .prop_map(|(count, raw, body, mut markers)| {
                    // A count `range()` would mean differently (negative, not whole) is a raw
                    // parameter of the start action, as the lifter leaves it.
                    let (count, raw) = match count {
                        Some(c) if is_raw_repeat_count(&c) => (None, Some(c)),
                        None => (None, raw.filter(is_raw_repeat_count)),
                        c => (c, None),
                    };
                    if let Some(r) = raw {
                        markers.start.params.push(("WFRepeatCount".into(), r));
                        sort_params(&mut markers.start.params);
                    }
                    Stmt::RepeatCount { count, body, markers }
                }),
            1 => (
                prop::option::of(value()),
                body(),
                markers(ID_REPEAT_EACH, &["GroupingIdentifier", "WFControlFlowMode", "WFInput"]),
            )
                .prop_map(|(items, body, markers)| Stmt::RepeatEach { items, body, markers }),
        ]
    })
    .boxed()
}

fn workflow() -> impl Strategy<Value = Workflow> {
    (vec((key_str(), value()), 0..3), vec(stmt(), 0..6)).prop_map(|(meta, body)| {
        let mut wf = Workflow {
            meta: params_of(meta, &["WFWorkflowActions"]),
            body,
            provenance: Provenance::default(),
            warnings: Vec::new(),
        };
        finalize(&mut wf);
        wf
    })
}

// ---------------------------------------------------------------------------------------
// Walking the IR (in one fixed order) to find the places UUIDs live

enum Slot<'a> {
    Output(&'a mut Option<String>),
    /// `OutputUUID` of a reference.
    Ref(&'a mut String),
    VarUuid(&'a mut String),
    Group(&'a mut String),
    /// Every value, before its children.
    Value(#[allow(dead_code)] &'a mut Value),
}

type F<'f> = dyn FnMut(Slot<'_>) + 'f;

fn w_wf(wf: &mut Workflow, f: &mut F) {
    walk::walk_workflow_mut(wf, &mut |item| match item {
        walk::ItemMut::Group(g) => f(Slot::Group(g)),
        walk::ItemMut::Action(a) => f(Slot::Output(&mut a.output)),
        walk::ItemMut::Value(v) => f(Slot::Value(v)),
        walk::ItemMut::Ref(r) => match &mut r.var {
            Var::ActionOutput { uuid, .. } => f(Slot::Ref(uuid)),
            Var::Named { uuid: Some(u), .. } => f(Slot::VarUuid(u)),
            _ => {}
        },
    });
}

fn uuid(tag: u32, n: usize) -> String {
    format!("{tag:08X}-0000-4000-8000-{n:012X}")
}

/// Gives every pending output and group a unique UUID, and points each `ref:k` at the k-th
/// output (or at a UUID no action defines).
fn finalize(wf: &mut Workflow) {
    let mut outputs = Vec::new();
    let mut groups = 0;
    w_wf(wf, &mut |s| match s {
        Slot::Output(Some(o)) if o == PENDING => {
            *o = uuid(0xA, outputs.len());
            outputs.push(o.clone());
        }
        Slot::Group(g) => {
            *g = uuid(0xB, groups);
            groups += 1;
        }
        _ => {}
    });
    w_wf(wf, &mut |s| match s {
        Slot::Ref(r) => {
            let k: usize = r["ref:".len()..].parse().unwrap();
            *r = outputs.get(k).cloned().unwrap_or_else(|| uuid(0xD, k));
        }
        Slot::VarUuid(u) => {
            let k: usize = u["var:".len()..].parse().unwrap();
            *u = uuid(0xC, k);
        }
        _ => {}
    });
}

/// Renames UUIDs by order of first appearance and drops output UUIDs nothing references.
fn canonical(wf: &Workflow) -> Workflow {
    let mut wf = wf.clone();
    let mut referenced = HashSet::new();
    w_wf(&mut wf, &mut |s| {
        if let Slot::Ref(r) = s {
            referenced.insert(r.clone());
        }
    });
    let mut map: HashMap<String, String> = HashMap::new();
    let mut rename = |s: &mut String| {
        let n = map.len();
        *s = map
            .entry(s.clone())
            .or_insert_with(|| format!("uuid-{n}"))
            .clone();
    };
    w_wf(&mut wf, &mut |s| match s {
        Slot::Output(o) => {
            if o.as_ref().is_some_and(|u| !referenced.contains(u)) {
                *o = None;
            }
            if let Some(u) = o {
                rename(u);
            }
        }
        Slot::Ref(u) | Slot::VarUuid(u) | Slot::Group(u) => rename(u),
        Slot::Value(_) => {}
    });
    wf.provenance = Provenance::default();
    wf.warnings.clear();
    wf
}

/// Debug text compares NaN with itself and keeps `-0.0` apart from `0.0`.
fn same(a: &Workflow, b: &Workflow) -> bool {
    format!("{:?}{:?}", a.meta, a.body) == format!("{:?}{:?}", b.meta, b.body)
}

/// Where the pretty Debug texts of two workflows part.
fn first_diff(a: &Workflow, b: &Workflow) -> String {
    let (a, b) = (
        format!("{:#?}\n{:#?}", a.meta, a.body),
        format!("{:#?}\n{:#?}", b.meta, b.body),
    );
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let from = i.saturating_sub(12);
    format!(
        "original, from line {from}:\n{}\n\nparsed:\n{}",
        a[from..(i + 6).min(a.len())].join("\n"),
        b[from..(i + 6).min(b.len())].join("\n")
    )
}

fn reparse(code: &str) -> Result<Workflow, TestCaseError> {
    parse(code, ParseOptions::default()).map_err(|d| {
        TestCaseError::fail(format!(
            "printed program does not parse:\n{}\n--- program ---\n{code}",
            d[0].render("printed.py", code)
        ))
    })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 8192,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Property 3: the generated IR is what the lifter makes of its compiled plist.
    #[test]
    fn compile_then_lift_is_identity(wf in workflow()) {
        let loaded = wfc::shortcut::Loaded {
            plist: wfc::compile::compile(&wf),
            provenance: wf.provenance.clone(),
        };
        let back = wfc::lift::lift(loaded, &Limits::default()).expect("lifts");
        prop_assert!(back.warnings.is_empty(), "warnings: {:?}", back.warnings);
        prop_assert!(same(&back, &wf), "lifted:\n{:#?}\n\noriginal:\n{:#?}", back.body, wf.body);
    }

    /// Property 1: print → parse gives the IR back, up to UUID names.
    #[test]
    fn print_then_parse_is_identity(wf in workflow()) {
        let code = print(&wf);
        let back = reparse(&code)?;
        let (a, b) = (canonical(&wf), canonical(&back));
        prop_assert!(same(&a, &b), "program:\n{code}\n{}", first_diff(&a, &b));
    }

    /// Property 4: printing what was parsed gives the same text.
    #[test]
    fn printing_is_a_fixed_point(wf in workflow()) {
        let code = print(&wf);
        let back = reparse(&code)?;
        let code2 = print(&back);
        prop_assert_eq!(code2, code);
    }
}

/// Property 2: every printed program is Python (`ast.parse` in one `python3` process).
#[test]
fn printed_programs_are_python() {
    let python = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)")
        .status();
    if !python.is_ok_and(|s| s.success()) {
        eprintln!("skipping printed_programs_are_python: no python3 >= 3.10 on PATH");
        return;
    }
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = workflow();
    let programs: Vec<String> = (0..200)
        .map(|_| print(&strategy.new_tree(&mut runner).expect("a case").current()))
        .collect();
    let script = r#"
import ast, json, sys
programs = json.load(sys.stdin)
bad = 0
for i, p in enumerate(programs):
    try:
        ast.parse(p)
    except SyntaxError as e:
        bad += 1
        if bad <= 3:
            print(f"program {i}: {e}\n{p}\n", file=sys.stderr)
sys.exit(1 if bad else 0)
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(&programs).unwrap().as_bytes())
        .unwrap();
    let status = child.wait().expect("python3 runs");
    assert!(
        status.success(),
        "some printed programs are not Python (see stderr)"
    );
}
