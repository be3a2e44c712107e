//! Deep instances of every recursive construct of the DSL's grammar and of the IR, run
//! through the `wfc` binary in a child process so that a stack overflow (an abort) is
//! observed rather than suffered. Each must end with a result or an error that names its
//! line, never with a signal or a panic.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::process::Command;

const WFC: &str = env!("CARGO_BIN_EXE_wfc");

/// What a child run ended with.
struct Outcome {
    code: Option<i32>,
    stderr: String,
}

fn run(args: &[&str]) -> Outcome {
    let out = Command::new(WFC).args(args).output().expect("wfc runs");
    Outcome {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Fails unless the run ended normally: exit 0, 1 (findings or diagnostics) or 2 (an
/// error), with no panic; a DSL error must point at `file:line:col`.
fn assert_survived(what: &str, o: &Outcome, dsl_file: Option<&str>) {
    let head: String = o.stderr.chars().take(600).collect();
    let Some(code) = o.code else {
        panic!("{what}: killed by a signal (stack overflow?)\n{head}");
    };
    assert!(
        !o.stderr.contains("panicked") && !o.stderr.contains("overflow"),
        "{what}: {head}"
    );
    assert!(matches!(code, 0..=2), "{what}: exit {code}\n{head}");
    if let (Some(f), true) = (dsl_file, code != 0 && o.stderr.contains("error:")) {
        assert!(
            o.stderr.contains(&format!("--> {f}:")) || o.stderr.contains(&format!("{f}:")),
            "{what}: the error names no line\n{head}"
        );
    }
}

/// Runs compile, fmt --check and check on a DSL program.
fn survive_dsl(dir: &Path, name: &str, src: &str) -> Vec<Outcome> {
    let file = dir.join(format!("{name}.py"));
    std::fs::write(&file, src).unwrap();
    let f = file.to_str().unwrap();
    let out = dir.join("out.plist");
    let runs = [
        vec!["compile", f, "-o", out.to_str().unwrap()],
        vec!["fmt", "--check", f],
        vec!["check", f],
    ];
    runs.iter()
        .map(|args| {
            let o = run(args);
            assert_survived(&format!("{name}: wfc {}", args[0]), &o, Some(f));
            o
        })
        .collect()
}

/// A statement using `e` as an action's argument.
fn stmt(e: &str) -> String {
    format!("x = variable()\ny = is_workflow_actions_gettext(WFTextActionText={e})\n")
}

fn nest(open: &str, inner: &str, close: &str, d: usize) -> String {
    format!("{}{inner}{}", open.repeat(d), close.repeat(d))
}

/// Every recursive construct of the expression grammar, `d` levels deep.
fn expr_constructs(d: usize) -> Vec<(&'static str, String)> {
    vec![
        ("list", stmt(&nest("[", "1", "]", d))),
        ("dict value", stmt(&nest("{'a': ", "1", "}", d))),
        ("dict key", stmt(&nest("{", "1", ": 1}", d))),
        ("paren", stmt(&nest("(", "x", ")", d))),
        ("call args", stmt(&nest("f(", "x", ")", d))),
        ("kwarg", stmt(&nest("f(a=", "x", ")", d))),
        ("star arg", stmt(&nest("f(**{'a': ", "x", "})", d))),
        ("subscript index", stmt(&nest("x[", "'a'", "]", d))),
        ("not and comparison", stmt(&nest("(not x == ", "x", ")", d))),
        ("attribute chain", stmt(&format!("x{}", ".a".repeat(d)))),
        ("subscript chain", stmt(&format!("x{}", "['a']".repeat(d)))),
        ("call chain", stmt(&format!("f{}", "()".repeat(d)))),
        ("mixed chain", stmt(&format!("x{}", ".a['b'](x)".repeat(d)))),
        (
            "f-string brackets",
            stmt(&format!("f'{{{}}}'", nest("[", "x", "]", d))),
        ),
        (
            "f-strings in f-strings",
            stmt(&format!(
                "f'''{{f\"\"\"{{f'{{f\"{{{}}}\"}}'}}\"\"\"}}'''",
                nest("(", "x", ")", d)
            )),
        ),
        (
            "chains in brackets",
            stmt(&nest("[x.a.a.a.a['b'](", "1", ")]", d)),
        ),
    ]
}

/// Every block statement, `d` levels deep (one-space indents).
fn block_constructs(d: usize) -> Vec<(&'static str, String)> {
    let lines = |head: &dyn Fn(usize) -> String| {
        let mut s = String::from("x = variable()\n");
        for i in 0..d {
            s.push_str(&" ".repeat(i));
            s.push_str(&head(i));
            s.push('\n');
        }
        s.push_str(&" ".repeat(d));
        s.push_str("pass\n");
        s
    };
    vec![
        ("if", lines(&|_| "if x == 1:".into())),
        (
            "else",
            // if: / else: / if: / else: ... each `else` one level in.
            {
                let mut s = String::from("x = variable()\n");
                for i in 0..d {
                    let pad = " ".repeat(i);
                    s.push_str(&format!("{pad}if x == 1:\n{pad} pass\n{pad}else:\n"));
                }
                s.push_str(&" ".repeat(d));
                s.push_str("pass\n");
                s
            },
        ),
        ("for range", lines(&|_| "for i in range(2):".into())),
        (
            "for each",
            lines(&|_| "for Repeat_Index, Repeat_Item in enumerate(x, start=1):".into()),
        ),
        (
            "match",
            lines(&|i| {
                if i % 2 == 0 {
                    "match input(prompt='''p'''):".into()
                } else {
                    "case 'a':".into()
                }
            }),
        ),
        (
            "comment between blocks",
            lines(&|i| format!("# c\n{}if x == 1:", " ".repeat(i))),
        ),
    ]
}

#[test]
fn deep_dsl_constructs_never_abort() {
    let dir = tempfile::tempdir().unwrap();
    for d in [10, 200, 257, 15_000, 100_000] {
        for (name, src) in expr_constructs(d) {
            let outs = survive_dsl(dir.path(), &format!("{name} x{d}").replace(' ', "_"), &src);
            if d > 300 {
                assert!(
                    outs[0].code == Some(1) && outs[0].stderr.contains("error:"),
                    "{name} x{d} should be refused: {}",
                    outs[0].stderr.chars().take(400).collect::<String>()
                );
            }
        }
    }
    // Shallow instances of the valid constructs compile.
    for (name, src) in expr_constructs(10) {
        if [
            "list",
            "dict value",
            "paren",
            "attribute chain",
            "subscript chain",
        ]
        .contains(&name)
        {
            let o = survive_dsl(dir.path(), "shallow", &src);
            assert_eq!(o[0].code, Some(0), "{name}: {}", o[0].stderr);
        }
    }
    for d in [10, 511, 513, 2000] {
        for (name, src) in block_constructs(d) {
            let outs = survive_dsl(dir.path(), &format!("{name} x{d}").replace(' ', "_"), &src);
            if d == 10 && name != "for each" {
                assert_eq!(outs[0].code, Some(0), "{name} x{d}: {}", outs[0].stderr);
            }
            if d > 512 {
                assert!(
                    outs[0].stderr.contains("nested deeper than"),
                    "{name} x{d}: {}",
                    outs[0].stderr.chars().take(400).collect::<String>()
                );
            }
        }
    }
}

/// XML plist of a workflow whose actions are `d` nested `if` blocks.
fn nested_ifs_xml(d: usize) -> String {
    let action = |mode: u8, group: usize| {
        format!(
            "<dict><key>WFWorkflowActionIdentifier</key><string>is.workflow.actions.conditional</string>\
             <key>WFWorkflowActionParameters</key><dict><key>GroupingIdentifier</key><string>G{group}</string>\
             <key>WFControlFlowMode</key><integer>{mode}</integer><key>WFCondition</key><integer>100</integer></dict></dict>"
        )
    };
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>WFWorkflowActions</key><array>",
    );
    for g in 0..d {
        s.push_str(&action(0, g));
    }
    for g in (0..d).rev() {
        s.push_str(&action(2, g));
    }
    s.push_str("</array></dict></plist>");
    s
}

/// XML plist of a workflow with one action whose parameter nests `d` arrays or dicts.
fn nested_value_xml(d: usize, dict: bool) -> String {
    let (open, close) = if dict {
        ("<dict><key>k</key>", "</dict>")
    } else {
        ("<array>", "</array>")
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>WFWorkflowActions</key><array>\
         <dict><key>WFWorkflowActionIdentifier</key><string>is.workflow.actions.gettext</string>\
         <key>WFWorkflowActionParameters</key><dict><key>WFTextActionText</key>{}<string>x</string>{}</dict></dict>\
         </array></dict></plist>",
        open.repeat(d),
        close.repeat(d)
    )
}

/// Converts a container and, when that works, compiles, formats and checks its program:
/// the printer, compiler and checker then walk IR as deep as the reader allowed.
fn survive_container(dir: &Path, name: &str, bytes: &[u8]) {
    let file = dir.join(format!("{name}.plist"));
    std::fs::write(&file, bytes).unwrap();
    let outdir = dir.join(format!("{name}.out"));
    let o = run(&[
        "convert",
        file.to_str().unwrap(),
        "-o",
        outdir.to_str().unwrap(),
    ]);
    assert_survived(&format!("{name}: wfc convert"), &o, None);
    if o.code == Some(0) {
        let py = std::fs::read_dir(&outdir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "py"))
            .expect("a printed program");
        let src = std::fs::read_to_string(py).unwrap();
        survive_dsl(dir, &format!("{name}.printed"), &src);
    }
}

#[test]
fn deep_ir_never_aborts() {
    let dir = tempfile::tempdir().unwrap();
    for d in [10, 300, 511, 513, 100_000] {
        survive_container(dir.path(), &format!("ifs{d}"), nested_ifs_xml(d).as_bytes());
        for dict in [false, true] {
            survive_container(
                dir.path(),
                &format!("value{d}{dict}"),
                nested_value_xml(d, dict).as_bytes(),
            );
        }
    }
}

/// One layer of a random expression, wrapped around what is inside.
fn wrap(kind: u8, inner: &str) -> String {
    match kind % 9 {
        0 => format!("[{inner}]"),
        1 => format!("{{'k': {inner}}}"),
        2 => format!("({inner})"),
        3 => format!("f(a={inner})"),
        4 => format!("x[{inner}]"),
        5 => format!("{inner}.a"),
        6 => format!("({inner})['k']"),
        7 => format!("(not {inner})"),
        _ => format!("f'{{{inner}}}'"),
    }
}

#[test]
fn random_deep_mixtures_never_abort() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let layers = prop::collection::vec(any::<u8>(), 0..700);
    runner
        .run(&(layers, 0usize..3000), |(layers, chain)| {
            let mut e = format!("x{}", ".a".repeat(chain));
            for k in layers {
                e = wrap(k, &e);
            }
            survive_dsl(dir.path(), "mix", &stmt(&e));
            Ok(())
        })
        .unwrap();
}
