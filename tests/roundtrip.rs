//! plist → DSL → plist → DSL over every plist of the shared corpus and over this
//! project's own fixtures of hard lifting patterns (`tests/fixtures/lift/`): the DSL is
//! lossless by meaning (see `common::meaning` for exactly what that compares) and printing
//! is a byte fixed point.

mod common;

use common::meaning::{normalize, round_trip};
use std::path::{Path, PathBuf};
use wfc::convert::{collect_inputs, load, Input};
use wfc::limits::Limits;

/// (original plist, lifted workflow) of one file, the workflow as `wfc convert` builds it.
fn read(input: &Input) -> Option<(plist::Dictionary, wfc::ir::Workflow)> {
    let limits = Limits::default();
    let Input::File { path, .. } = input else {
        return None;
    };
    let bytes = std::fs::read(path).ok()?;
    let original = wfc::shortcut::read_bytes(&bytes, &limits).ok()?.plist;
    let wf = load(input, &limits).ok()?;
    Some((original, wf))
}

#[test]
fn corpus_round_trips_losslessly_and_prints_a_fixed_point() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (inputs, _, _) = collect_inputs(&[shared.join("corpus").display().to_string()]);
    let (mut ok, mut bad) = (0, Vec::new());
    for input in &inputs {
        let Some((original, wf)) = read(input) else {
            continue;
        };
        match round_trip(&original, &wf) {
            Ok(_) => ok += 1,
            Err(e) => bad.push(format!("{}: {e}", input.display())),
        }
    }
    eprintln!(
        "plist → DSL → plist → DSL: {ok} of {} files lossless and a fixed point",
        ok + bad.len()
    );
    for b in bad.iter().take(10) {
        eprintln!("{b}");
    }
    assert!(bad.is_empty(), "{} files fail the round trip", bad.len());
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lift")
}

/// One fixture: its workflow, first print, and the round trip checked.
fn fixture(name: &str) -> (wfc::ir::Workflow, String) {
    let path = fixture_dir().join(name);
    let input = Input::File {
        rel: PathBuf::from(name),
        from_dir: false,
        path: path.clone(),
    };
    let (original, wf) = read(&input).unwrap_or_else(|| panic!("{name} reads and lifts"));
    let code = round_trip(&original, &wf).unwrap_or_else(|e| panic!("{name}: {e}"));
    (wf, code)
}

#[test]
fn every_fixture_round_trips() {
    let mut n = 0;
    for e in std::fs::read_dir(fixture_dir()).expect("tests/fixtures/lift exists") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".plist") {
            fixture(&name);
            n += 1;
        }
    }
    assert!(n >= 1, "no fixtures");
}

/// The normalization tells apart what it must: a reference reaching another copy of a
/// duplicated UUID, a dropped referenced UUID, an integer become a real.
#[test]
fn normalization_sees_what_changes_meaning() {
    let act = |uuid: Option<&str>, extra: Vec<(&str, plist::Value)>| {
        let mut p = plist::Dictionary::new();
        if let Some(u) = uuid {
            p.insert("UUID".into(), plist::Value::String(u.into()));
        }
        for (k, v) in extra {
            p.insert(k.into(), v);
        }
        let mut d = plist::Dictionary::new();
        d.insert(
            "WFWorkflowActionIdentifier".into(),
            plist::Value::String("x".into()),
        );
        d.insert(
            "WFWorkflowActionParameters".into(),
            plist::Value::Dictionary(p),
        );
        plist::Value::Dictionary(d)
    };
    let reference = |u: &str| {
        let mut d = plist::Dictionary::new();
        d.insert("OutputUUID".into(), plist::Value::String(u.into()));
        d.insert("Type".into(), plist::Value::String("ActionOutput".into()));
        vec![("WFInput", plist::Value::Dictionary(d))]
    };
    let wf = |actions: Vec<plist::Value>| {
        let mut d = plist::Dictionary::new();
        d.insert("WFWorkflowActions".into(), plist::Value::Array(actions));
        normalize(&d)
    };
    // The reference reaches the nearest earlier copy: renaming the copies apart keeps
    // the meaning only when the reference follows the same one.
    let dup = wf(vec![
        act(Some("A"), vec![]),
        act(Some("A"), vec![]),
        act(None, reference("A")),
    ]);
    let same = wf(vec![
        act(Some("X"), vec![]),
        act(Some("Y"), vec![]),
        act(None, reference("Y")),
    ]);
    let other = wf(vec![
        act(Some("X"), vec![]),
        act(Some("Y"), vec![]),
        act(None, reference("X")),
    ]);
    assert_eq!(dup, same);
    assert_ne!(dup, other);
    // No earlier copy: the first later one.
    let forward = wf(vec![act(None, reference("B")), act(Some("B"), vec![])]);
    let forward2 = wf(vec![act(None, reference("C")), act(Some("C"), vec![])]);
    assert_eq!(forward, forward2);
    // Unreferenced UUIDs do not count; referenced ones do, dangling ones by value.
    assert_eq!(
        wf(vec![act(Some("A"), vec![])]),
        wf(vec![act(None, vec![])])
    );
    assert_ne!(
        wf(vec![act(Some("A"), vec![]), act(None, reference("A"))]),
        wf(vec![act(None, vec![]), act(None, reference("A"))])
    );
    assert_ne!(
        wf(vec![act(None, reference("D"))]),
        wf(vec![act(None, reference("E"))])
    );
    assert_ne!(
        wf(vec![act(
            None,
            vec![("n", plist::Value::Integer(1.into()))]
        )]),
        wf(vec![act(None, vec![("n", plist::Value::Real(1.0))])])
    );
}

/// Lines of a printed program below its metadata header.
fn body(code: &str) -> Vec<&str> {
    let start = code.find("\n}\n").map_or(0, |p| p + 3);
    code[start..].lines().collect()
}

#[test]
fn block_results_are_named_wherever_they_are_used() {
    let (wf, code) = fixture("block_results.plist");
    assert!(wf.warnings.is_empty(), "{:?}", wf.warnings);
    let lines = body(&code);
    for result in ["If_Result", "Repeat_Results", "Menu_Result"] {
        assert!(
            lines
                .iter()
                .any(|l| l.trim() == format!("{result} = block_result()")),
            "{result} is not bound:\n{code}"
        );
    }
    // In text (an empty aggrandizement list kept as such), a dictionary, an array and a
    // condition: never as a raw dictionary.
    assert!(!lines.iter().any(|l| l.contains("plain(")), "{code}");
    assert!(
        code.contains("prompt=f'''Got {aggrandize(If_Result)}'''"),
        "{code}"
    );
    assert!(
        code.contains("{'''k''': f'''{aggrandize(If_Result)}'''}"),
        "{code}"
    );
    assert!(
        code.contains("['''a''', f'''{Repeat_Results}''']"),
        "{code}"
    );
    assert!(lines.contains(&"if Menu_Result:"), "{code}");
}

#[test]
fn uuids_that_raw_data_names_are_kept() {
    let (_, code) = fixture("raw_references.plist");
    // The action and the block end keep the UUIDs the untyped parameter names.
    assert!(code.contains("__uuid__='''T1''')"), "{code}");
    assert!(
        body(&code).contains(&"block_result(__uuid__='''R1''')"),
        "{code}"
    );
}

#[test]
fn copied_uuids_name_each_action_and_references_reach_the_nearest_earlier() {
    let (_, code) = fixture("duplicate_uuids.plist");
    let lines = body(&code);
    // Five actions carry two UUIDs; the four used ones get a name each.
    let bound: Vec<&str> = lines
        .iter()
        .filter_map(|l| {
            l.trim()
                .split([' ', ':'])
                .next()
                .filter(|_| l.contains(" = "))
        })
        .collect();
    assert_eq!(
        bound,
        ["Text", "Text_2", "Text_3", "Text_4", "Text_5"],
        "{code}"
    );
    // Before any copy: the first later one. After: the nearest earlier one.
    assert_eq!(
        lines[0],
        "is_workflow_actions_showresult(Text=f'''ahead: {Text_3}''')"
    );
    assert_eq!(
        lines[2],
        "is_workflow_actions_showresult(Text=f'''{Text}''')"
    );
    assert_eq!(
        lines[4],
        "is_workflow_actions_showresult(Text=f'''{Text_2}''')"
    );
    assert_eq!(lines[6], "if Text_2:");
    assert_eq!(
        lines.last().copied(),
        Some("is_workflow_actions_showresult(Text=f'''{Text_4}{Text_5}''')")
    );
}

#[test]
fn dangling_references_keep_their_uuid() {
    let (_, code) = fixture("dangling.plist");
    let lines = body(&code);
    assert_eq!(
        lines[0],
        "Old_Output = missing_output(__uuid__='''NOPE-1''')"
    );
    assert_eq!(
        lines[1],
        "missing_output_2: None = missing_output(__uuid__='''NOPE-2''')"
    );
}

#[test]
fn marker_uuids_keep_blocks_unless_used() {
    let (wf, code) = fixture("marker_uuids.plist");
    // The `if` whose start carries an unused UUID stays a block ...
    assert!(body(&code).contains(&"if Text == '''No''':"), "{code}");
    // ... the loop whose start's output is used goes flat, and says so.
    assert_eq!(wf.warnings.len(), 1, "{:?}", wf.warnings);
    assert!(
        wf.warnings[0].contains("is.workflow.actions.repeat.count (group G2)"),
        "{:?}",
        wf.warnings
    );
    assert!(
        code.contains("Repeat = is_workflow_actions_repeat_count("),
        "{code}"
    );
}

#[test]
fn every_flattened_block_is_a_warning_naming_it() {
    let (wf, code) = fixture("menu_variable_items.plist");
    // Items that are text with variables: still a menu.
    assert!(code.contains("match input(prompt='''Pick'''"), "{code}");
    assert_eq!(wf.warnings.len(), 1, "{:?}", wf.warnings);
    assert!(wf.warnings[0].contains("(group G2)"), "{:?}", wf.warnings);
    let (wf, _) = fixture("old_format_blocks.plist");
    for group in ["G1", "G8", "G9"] {
        assert!(
            wf.warnings
                .iter()
                .any(|w| w.contains(&format!("(group {group})"))),
            "{group}: {:?}",
            wf.warnings
        );
    }
}

#[test]
fn old_blocks_without_a_mode_are_structured() {
    let (wf, code) = fixture("old_format_blocks.plist");
    let lines = body(&code);
    for head in [
        "if condition(WFCondition='''Is Greater Than''', WFNumberValue=0, WFControlFlowMode=None):",
        "match input(prompt='''Size?''', WFControlFlowMode=None):",
        "for Repeat_Index, Repeat_Item in enumerate(start=1, WFControlFlowMode=None):",
    ] {
        assert!(lines.contains(&head), "{head}\n{code}");
    }
    // Only the menu whose case holds a key of its own, and the stray markers, stay flat.
    assert_eq!(wf.warnings.len(), 3, "{:?}", wf.warnings);
}
