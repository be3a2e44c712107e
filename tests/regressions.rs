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
    let keys: Vec<String> = wfc::lift::lift_action(d)
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
