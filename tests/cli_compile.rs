//! `wfc compile` and `wfc fmt` as a user runs them.

use std::path::Path;
use std::process::Command;

fn wfc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wfc"))
}

fn example() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/weather_summary.plist");
    let out = wfc().arg("convert").arg(p).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn convert_compile_convert_gives_the_same_program() {
    let dir = tempfile::tempdir().unwrap();
    let py = dir.path().join("w.py");
    std::fs::write(&py, example()).unwrap();
    let bin = dir.path().join("w.shortcut");
    let out = wfc()
        .arg("compile")
        .arg(&py)
        .arg("-o")
        .arg(&bin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&bin).unwrap().starts_with(b"bplist00"));
    let again = wfc().arg("convert").arg(&bin).output().unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), example());

    let xml = wfc().args(["compile", "--xml"]).arg(&py).output().unwrap();
    assert!(String::from_utf8(xml.stdout).unwrap().starts_with("<?xml"));
}

#[test]
fn deterministic_uuids_give_the_same_bytes_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let py = dir.path().join("w.py");
    std::fs::write(&py, example()).unwrap();
    let run = || {
        wfc()
            .args(["compile", "--deterministic-uuids"])
            .arg(&py)
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn errors_are_rendered_and_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let py = dir.path().join("bad.py");
    std::fs::write(&py, "x = is_workflow_actions_number(WFNumberActionNumber=1)\nis_workflow_actions_showresult(Text=y)\n").unwrap();
    let out = wfc().arg("compile").arg(&py).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error: undefined variable `y`"), "{err}");
    assert!(err.contains("bad.py:2:37"), "{err}");
    assert!(err.contains("^ not set"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing is written for a program with errors"
    );
}

#[test]
fn fmt_check_tells_canonical_from_not() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.py");
    std::fs::write(&good, example()).unwrap();
    let ok = wfc().args(["fmt", "--check"]).arg(&good).output().unwrap();
    assert_eq!(ok.status.code(), Some(0));

    let messy = dir.path().join("messy.py");
    let src = "x   =  is_workflow_actions_number( WFNumberActionNumber = 1 )\n\
               is_workflow_actions_showresult(Text =x)\n";
    std::fs::write(&messy, src).unwrap();
    let bad = wfc().args(["fmt", "--check"]).arg(&messy).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    // Without --check the file is rewritten canonically.
    let fixed = wfc().arg("fmt").arg(&messy).output().unwrap();
    assert!(fixed.status.success());
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "x = is_workflow_actions_number(WFNumberActionNumber=1)\n\
         is_workflow_actions_showresult(Text=x)\n"
    );
    // A name nothing uses carries no meaning in a shortcut: fmt leaves it out.
    std::fs::write(
        &messy,
        "y = is_workflow_actions_number(WFNumberActionNumber=2)\n",
    )
    .unwrap();
    wfc().arg("fmt").arg(&messy).output().unwrap();
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "is_workflow_actions_number(WFNumberActionNumber=2)\n"
    );
}
