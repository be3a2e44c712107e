//! The DSL as a language: what it accepts, what it means, and how it reports mistakes.

use wfc::dsl::{parse, print, Diagnostic, ParseOptions};
use wfc::ir::*;

fn det() -> ParseOptions {
    ParseOptions {
        deterministic_uuids: true,
        ..Default::default()
    }
}

fn errors(src: &str) -> Vec<Diagnostic> {
    match parse(src, det()) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(d) => d,
    }
}

const PROGRAM: &str = r#"# Ask for a link and look up its host.
link = f'{input("Please enter the value:")}'
Host = is_workflow_actions_geturlcomponent(WFURL=f'''{link}''', WFURLComponent='''Host''')
if Host == '''example.com''':
    is_workflow_actions_showresult(Text=f'''It is {Host} 🎉''')
else:
    pass
for Repeat_Index in range(3):
    is_workflow_actions_showresult(Text=f'''{Repeat_Index}''')
match input(prompt='''Pick'''):
    case '''One''':
        pass
    case '''Two''':
        is_workflow_actions_alert(WFAlertActionMessage='''two''')
"#;

#[test]
fn a_workflowbench_style_program_means_what_it_says() {
    let wf = parse(PROGRAM, det()).unwrap_or_else(|d| panic!("{}", d[0].render("p.py", PROGRAM)));
    let kinds: Vec<&str> = wf
        .body
        .iter()
        .map(|s| match s {
            Stmt::Comment { .. } => "comment",
            Stmt::SetVariable { .. } => "set",
            Stmt::Action(_) => "action",
            Stmt::If { .. } => "if",
            Stmt::RepeatCount { .. } => "repeat",
            Stmt::Menu { .. } => "menu",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["comment", "set", "action", "if", "repeat", "menu"]);
    // WorkflowBench's spelling of the shortcut input.
    let Stmt::SetVariable { name, value, .. } = &wf.body[1] else {
        unreachable!()
    };
    assert_eq!(name, "link");
    let Some(Value::Text(t)) = value else {
        panic!("{value:?}")
    };
    assert!(matches!(
        &t.parts[..],
        [TextPart::Var(VarRef {
            var: Var::ShortcutInput,
            ..
        })]
    ));
    // The condition is the typed "is" comparison on the action's output.
    let Stmt::If {
        cond, otherwise, ..
    } = &wf.body[3]
    else {
        unreachable!()
    };
    assert_eq!(cond.op, Some(Value::int(4)));
    assert_eq!(
        cond.operands,
        vec![(
            "WFConditionalActionString".to_string(),
            Value::String("example.com".into())
        )]
    );
    assert!(otherwise.is_some());
    // Loop variables are the magic Shortcuts names.
    let Stmt::RepeatCount { body, count, .. } = &wf.body[4] else {
        unreachable!()
    };
    assert_eq!(count, &Some(Value::int(3)));
    let Stmt::Action(a) = &body[0] else {
        unreachable!()
    };
    let Some(Value::Text(t)) = a.param("Text") else {
        panic!()
    };
    assert!(
        matches!(&t.parts[0], TextPart::Var(VarRef { var: Var::Named { name, .. }, .. }) if name == "Repeat Index")
    );
    let Stmt::Menu { cases, .. } = &wf.body[5] else {
        unreachable!()
    };
    assert_eq!(cases.len(), 2);
    // comment, set, action; if: start, action, otherwise, end; repeat: start, action, end;
    // menu: start, two cases, action, end.
    assert_eq!(wf.action_count(), 3 + 4 + 3 + 5);
}

#[test]
fn text_offsets_are_utf16_in_the_compiled_plist() {
    let wf = parse(PROGRAM, det()).unwrap();
    let plist = wfc::compile::compile(&wf);
    let xml = {
        let mut b = Vec::new();
        plist::Value::Dictionary(plist)
            .to_writer_xml(&mut b)
            .unwrap();
        String::from_utf8(b).unwrap()
    };
    // "It is " is 6 units, then the variable; the emoji after it takes two units.
    assert!(xml.contains("<key>{6, 1}</key>"), "{xml}");
    assert!(xml.contains("It is \u{FFFC} 🎉"));
}

#[test]
fn deterministic_uuids_give_identical_bytes() {
    let compile = || {
        let wf = parse(PROGRAM, det()).unwrap();
        let mut b = Vec::new();
        plist::Value::Dictionary(wfc::compile::compile(&wf))
            .to_writer_binary(&mut b)
            .unwrap();
        b
    };
    assert_eq!(compile(), compile());
    let random = |_| {
        let wf = parse(PROGRAM, ParseOptions::default()).unwrap();
        let mut b = Vec::new();
        plist::Value::Dictionary(wfc::compile::compile(&wf))
            .to_writer_binary(&mut b)
            .unwrap();
        b
    };
    assert_ne!(random(0), random(1), "default UUIDs are fresh on every run");
}

#[test]
fn printing_a_parsed_program_is_canonical() {
    let wf = parse(PROGRAM, det()).unwrap();
    let once = print(&wf);
    let twice = print(&parse(&once, det()).unwrap());
    assert_eq!(once, twice);
    // Printed text keeps the shortcut input as one spelling.
    assert!(once.contains("link = f'''{shortcut_input()}'''"), "{once}");
}

#[test]
fn several_errors_are_reported_with_positions_and_carets() {
    let src = "x = is_workflow_actions_number(WFNumberActionNumber=1)\ny = (\n";
    let d = errors(src);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].message, "unclosed bracket");

    let src = "a = is_workflow_actions_number(WFNumberActionNumber=1 2)\nb = 1 +\nc = 3\n";
    let d = errors(src);
    assert_eq!(d.len(), 2, "one error per bad line: {d:?}");
    let text = d[0].render("prog.py", src);
    assert!(text.contains("--> prog.py:1:55"), "{text}");
    assert!(
        text.contains("1 | a = is_workflow_actions_number"),
        "{text}"
    );
    assert!(text.contains("^ expected"), "{text}");
    assert_eq!(d[1].position(src), (2, 7));
}

#[test]
fn misspelled_keywords_and_names_get_suggestions() {
    let d = errors("iff x:\n    pass\n");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `if`?"));

    let src = "Contents = is_workflow_actions_number(WFNumberActionNumber=1)\nis_workflow_actions_showresult(Text=Contnts)\n";
    let d = errors(src);
    assert_eq!(d[0].message, "undefined variable `Contnts`");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `Contents`?"));
    assert_eq!(&src[d[0].span.clone()], "Contnts");
}

#[test]
fn text_that_cannot_mean_anything_is_an_error() {
    let nested = errors(
        "is_workflow_actions_showresult(Text=is_workflow_actions_number(WFNumberActionNumber=1))\n",
    );
    assert_eq!(
        nested[0].message,
        "an action call cannot be nested inside an argument"
    );

    let case = errors("case '''x''':\n    pass\n");
    assert_eq!(case[0].message, "`case` outside `match`");

    let else_ = errors("else:\n    pass\n");
    assert_eq!(else_[0].message, "`else` without an `if`");

    let positional = errors("is_workflow_actions_showresult(1)\n");
    assert_eq!(positional[0].message, "actions take keyword arguments only");

    let fmt = errors("x = f'''{y:>3}'''\ny = variable()\n");
    assert_eq!(
        fmt[0].message,
        "format specs and conversions are not supported"
    );

    let date = errors("x = date('''yesterday''')\n");
    assert_eq!(date[0].message, "invalid date");

    let nothing = errors("3\n");
    assert_eq!(nothing[0].message, "this statement does nothing");
}

#[test]
fn indentation_follows_python() {
    // A comment's indentation does not open or close blocks.
    let src = "if shortcut_input():\n    a = is_workflow_actions_number(WFNumberActionNumber=1)\n# note\n    b = is_workflow_actions_number(WFNumberActionNumber=2)\n";
    let wf = parse(src, det()).unwrap();
    let Stmt::If { then, .. } = &wf.body[0] else {
        panic!()
    };
    assert_eq!(then.len(), 3);

    let d = errors("if shortcut_input():\n\tpass\n        pass\n");
    assert_eq!(
        d[0].message,
        "inconsistent use of tabs and spaces in indentation"
    );

    let d = errors("if shortcut_input():\npass\n");
    assert_eq!(d[0].message, "expected an indented block");

    let d = errors("if shortcut_input():\n        pass\n    pass\n");
    assert_eq!(
        d[0].message,
        "unindent does not match any outer indentation level"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut src = String::new();
    for i in 0..100_000 {
        src.push_str(&" ".repeat(i));
        src.push_str("if shortcut_input():\n");
    }
    src.push_str(&" ".repeat(100_000));
    src.push_str("pass\n");
    let d = errors(&src);
    assert!(
        d[0].message.starts_with("blocks nested deeper than"),
        "{}",
        d[0].message
    );
}

#[test]
fn strings_decode_as_python_does() {
    let src = "x = '''a\\nb\\x41\\u00e9\\U0001F600\\'\\\\'''\ny = r'''\\n'''\nz = b'\\x00\\xff'\n";
    let wf = parse(src, det()).unwrap();
    let v: Vec<&Value> = wf
        .body
        .iter()
        .map(|s| match s {
            Stmt::SetVariable { value: Some(v), .. } => v,
            _ => panic!(),
        })
        .collect();
    assert_eq!(v[0], &Value::String("a\nbAé😀'\\".into()));
    assert_eq!(v[1], &Value::String("\\n".into()));
    assert_eq!(v[2], &Value::Data(vec![0, 255]));
}

#[test]
fn deeply_nested_values_are_an_error_not_a_crash() {
    let src = format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let d = errors(&src);
    assert!(
        d[0].message.starts_with("brackets nested deeper than"),
        "{}",
        d[0].message
    );
    // f-string expressions are parsed on their own; they are bounded too.
    let src = format!(
        "y = variable()\nx = f'''{{{}y{}}}'''\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let d = errors(&src);
    assert!(
        d[0].message.starts_with("brackets nested deeper than"),
        "{}",
        d[0].message
    );
}
