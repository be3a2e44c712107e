//! Regression tests for bugs the property tests (`tests/proptest_dsl.rs`) found.

use wfc::dsl::{parse, print, ParseOptions};
use wfc::ir::*;

fn parse_ok(src: &str) -> Workflow {
    parse(src, ParseOptions::default()).unwrap_or_else(|d| panic!("{}", d[0].render("t.py", src)))
}

/// `plist::Dictionary::remove` swaps the last key into the removed one's place: taking the
/// identifier and parameters out of an action reordered its other keys.
#[test]
fn lifted_extra_keys_keep_their_order() {
    let mut d = plist::Dictionary::new();
    d.insert("WFWorkflowActionIdentifier".into(), "a.b".into());
    d.insert(
        "WFWorkflowActionParameters".into(),
        plist::Value::Dictionary(Default::default()),
    );
    for k in ["First", "Second", "Third"] {
        d.insert(k.into(), plist::Value::Integer(1.into()));
    }
    let arena = wfc::shortcut::Bump::new();
    let keys: Vec<String> = wfc::lift::lift_action(wfc::shortcut::PDict::from_plist(&d, &arena))
        .extra
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["First", "Second", "Third"]);
}

/// A magic loop name set outside a loop (`Repeat_Item_2 = ...`) was read back, where it is
/// used, as a variable called `Repeat_Item_2`.
#[test]
fn magic_name_set_outside_a_loop_reads_back() {
    let wf = parse_ok("Repeat_Item_2 = '''a'''\nx = f'''{Repeat_Item_2}'''\n");
    let Stmt::SetVariable {
        value: Some(Value::Text(t)),
        ..
    } = &wf.body[1]
    else {
        panic!("{:?}", wf.body[1]);
    };
    let [TextPart::Var(r)] = t.parts.as_slice() else {
        panic!("{t:?}");
    };
    assert_eq!(
        r.var,
        Var::Named {
            name: "Repeat Item 2".into(),
            uuid: None
        }
    );
}

/// A parameter called `__action__` prints as `**{'''__action__''': ...}`; the parser took it
/// for the special keyword and dropped it.
#[test]
fn dunder_parameter_in_star_dict_is_a_parameter() {
    let wf = parse_ok("is_workflow_actions_gettext(**{'''__action__''': '''x'''})\n");
    let Stmt::Action(a) = &wf.body[0] else {
        panic!("{:?}", wf.body[0]);
    };
    assert_eq!(
        a.params,
        vec![("__action__".into(), Value::String("x".into()))]
    );
    assert!(a.extra.is_empty());
}

fn block_start_param_round_trips(mut stmt: Stmt, key: &str, v: Value) {
    let markers = match &mut stmt {
        Stmt::Menu { markers, .. } | Stmt::RepeatEach { markers, .. } => markers,
        _ => unreachable!(),
    };
    markers.start.params.push((key.into(), v));
    let wf = Workflow {
        meta: Vec::new(),
        body: vec![stmt],
        provenance: Provenance::default(),
        warnings: Vec::new(),
    };
    let code = print(&wf);
    let back = parse_ok(&code);
    assert_eq!(print(&back), code);
    match (&back.body[0], &wf.body[0]) {
        (
            Stmt::Menu {
                prompt: p1,
                markers: m1,
                ..
            },
            Stmt::Menu {
                prompt: p2,
                markers: m2,
                ..
            },
        ) => {
            assert_eq!(p1, p2, "{code}");
            assert_eq!(m1.start.params, m2.start.params, "{code}");
        }
        (Stmt::RepeatEach { markers: m1, .. }, Stmt::RepeatEach { markers: m2, .. }) => {
            assert_eq!(m1.start.params, m2.start.params, "{code}")
        }
        other => panic!("{other:?}"),
    }
}

fn markers(id: &str) -> Box<BlockMarkers> {
    Box::new(BlockMarkers {
        group: "G".into(),
        start: Action::new(id),
        end: Action::new(id),
        implicit_start: false,
    })
}

/// A menu's start parameter called `prompt` printed as `prompt=...`, which reads back as the
/// menu's prompt; a repeat's `start` parameter printed as a second `start=` (not Python).
#[test]
fn block_start_parameters_named_like_the_head_arguments() {
    let menu = Stmt::Menu {
        prompt: None,
        items: MenuItems::FromCases,
        cases: Vec::new(),
        markers: markers("is.workflow.actions.choosefrommenu"),
    };
    block_start_param_round_trips(menu, "prompt", Value::String("p".into()));
    let each = Stmt::RepeatEach {
        items: None,
        body: Vec::new(),
        markers: markers("is.workflow.actions.repeat.each"),
    };
    block_start_param_round_trips(each.clone(), "start", Value::int(1));
    block_start_param_round_trips(each, "start", Value::int(2));
}

/// A text whose variable cannot be written inside an f-string (a dictionary key with a
/// backslash) prints serialized: as a dictionary key it did not parse, and elsewhere it read
/// back as `Serialized` (so an `if` comparing with it printed differently the second time).
#[test]
fn serialized_text_fallback_reads_back_as_text() {
    let var = VarRef {
        var: Var::ShortcutInput,
        aggr: vec![Aggr::DictKey("\\".into())],
        span: Default::default(),
    };
    let text = Text {
        parts: vec![TextPart::Lit("a".into()), TextPart::Var(var.clone())],
        empty_ranges: false,
    };
    let field = Value::DictField(vec![DictItem {
        key: text.clone(),
        value: DictItemValue::Number(text.clone()),
    }]);
    let cond = Stmt::If {
        cond: Box::new(Condition {
            input: Some(Value::Dict(vec![
                ("Type".into(), Value::String("Variable".into())),
                ("Variable".into(), Value::Attachment(Box::new(var))),
            ])),
            op: Some(Value::int(4)),
            operands: vec![("WFConditionalActionString".into(), Value::Text(text))],
        }),
        then: Vec::new(),
        otherwise: None,
        markers: markers("is.workflow.actions.conditional"),
    };
    let wf = Workflow {
        meta: vec![("K".into(), field)],
        body: vec![cond],
        provenance: Provenance::default(),
        warnings: Vec::new(),
    };
    let code = print(&wf);
    assert!(code.contains("WFTextTokenString("), "{code}");
    let mut back = parse_ok(&code);
    assert_eq!(print(&back), code);
    if let Stmt::If { markers, .. } = &mut back.body[0] {
        markers.group = "G".into();
    }
    assert_eq!(back.meta, wf.meta);
    assert_eq!(back.body, wf.body);
}

/// A set-variable action printed as a generic call because its output is used
/// (`setvariable: None = is_workflow_actions_setvariable(...)`) sets its variable too: a
/// reference to the variable elsewhere is not "undefined" (found by the fixed-point
/// property test).
#[test]
fn generic_setvariable_with_a_used_output_sets_its_variable() {
    let src = "setvariable: None = is_workflow_actions_setvariable(WFVariableName='''x''', **{'''Show-text''': x})\nis_workflow_actions_gettext(WFTextActionText=setvariable)\n";
    let wf = parse_ok(src);
    assert_eq!(print(&wf), src);
}
