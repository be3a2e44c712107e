//! The example shortcuts in `corpus/`: conversion, snapshots of the printed DSL, Python
//! validity, action counts, the `compile(lift(x)) == x` round trip, and the CLI.
//! Needs nothing outside the repository.
//!
//! To refresh the snapshots after a deliberate printer change, run with
//! `WFC_BLESS=1` and review `git diff tests/expected`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wfc::limits::Limits;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("corpus"))
        .expect("corpus/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 6, "corpus/ holds {} examples", v.len());
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// (path, workflow, printed program) for every example.
fn converted() -> Vec<(PathBuf, wfc::ir::Workflow, String)> {
    examples()
        .into_iter()
        .map(|path| {
            let input = wfc::convert::Input::File {
                rel: PathBuf::from(path.file_name().unwrap()),
                from_dir: false,
                path: path.clone(),
            };
            let o = wfc::convert::convert(input, &Limits::default());
            let (wf, code) = o
                .result
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, wf, code)
        })
        .collect()
}

#[test]
fn examples_convert_without_warnings() {
    for (path, wf, _) in converted() {
        assert!(
            wf.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            wf.warnings
        );
    }
}

#[test]
fn snapshots_match() {
    let bless = std::env::var_os("WFC_BLESS").is_some();
    let mut failed = Vec::new();
    for (path, _, code) in converted() {
        let expected = root().join("tests/expected").join(stem(&path) + ".py");
        if bless {
            std::fs::write(&expected, &code).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected)
            .unwrap_or_else(|e| panic!("{}: {e}", expected.display()));
        if want != code {
            let line = want
                .lines()
                .zip(code.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(code.lines().count()));
            failed.push(format!(
                "{}: first difference at line {}:\n  expected: {:?}\n  got:      {:?}",
                path.display(),
                line + 1,
                want.lines().nth(line),
                code.lines().nth(line)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn output_is_python() {
    if !common::have_python() {
        eprintln!("skipping: python3 not found");
        return;
    }
    let all = converted();
    let progs: Vec<&str> = all.iter().map(|(_, _, c)| c.as_str()).collect();
    let bad = common::python_parse_failures(&progs);
    assert!(
        bad.is_empty(),
        "{:?}",
        bad.iter()
            .map(|(i, e)| format!("{}: {e}", all[*i].0.display()))
            .collect::<Vec<_>>()
    );
}

fn source_plist(path: &Path) -> plist::Dictionary {
    let bytes = std::fs::read(path).unwrap();
    wfc::shortcut::read_bytes(&bytes, &Limits::default())
        .unwrap()
        .plist
}

#[test]
fn action_count_matches_plist() {
    for (path, wf, _) in converted() {
        let d = source_plist(&path);
        let n = d["WFWorkflowActions"].as_array().unwrap().len();
        assert_eq!(wf.action_count(), n, "{}", path.display());
    }
}

#[test]
fn compile_inverts_lift() {
    for path in examples() {
        let original = source_plist(&path);
        let bytes = std::fs::read(&path).unwrap();
        let loaded = wfc::shortcut::read_bytes(&bytes, &Limits::default()).unwrap();
        let wf = wfc::lift::lift(loaded, &Limits::default()).unwrap();
        let back = wfc::compile::compile(&wf);
        let diff = common::plist_diff(
            &plist::Value::Dictionary(original),
            &plist::Value::Dictionary(back),
        );
        assert!(diff.is_none(), "{}: {}", path.display(), diff.unwrap());
    }
}

#[test]
fn plist_diff_ignores_key_order_only() {
    let mut a = plist::Dictionary::new();
    a.insert("x".into(), 1.into());
    a.insert("y".into(), plist::Value::Real(0.0));
    let mut b = plist::Dictionary::new();
    b.insert("y".into(), plist::Value::Real(0.0));
    b.insert("x".into(), 1.into());
    let (a, b) = (plist::Value::Dictionary(a), plist::Value::Dictionary(b));
    assert_eq!(common::plist_diff(&a, &b), None);
    let mut c = b.as_dictionary().unwrap().clone();
    c.insert("y".into(), 0.into());
    assert!(common::plist_diff(&a, &plist::Value::Dictionary(c)).is_some());
}

// ---------------------------------------------------------------------------------------
// The command line

fn wfc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wfc"))
}

#[test]
fn cli_one_file_to_stdout() {
    let path = root().join("corpus/weather_summary.plist");
    let out = wfc().arg("convert").arg(&path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(root().join("tests/expected/weather_summary.py")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

#[test]
fn cli_stdin() {
    use std::io::Write;
    let path = root().join("corpus/mood_check.plist");
    let mut child = wfc()
        .args(["convert", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&path).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(root().join("tests/expected/mood_check.py")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

/// A copy of the examples in `dir/sub/`, plus a malformed `bad.plist` in `dir/`.
fn batch_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for p in examples() {
        std::fs::copy(&p, sub.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path().join("bad.plist"),
        "<plist version=\"1.0\"><dict><key>WFWorkflowActions</key><array><dict></array></plist>",
    )
    .unwrap();
    dir
}

#[test]
fn cli_batch_continues_past_a_bad_file() {
    let dir = batch_dir();
    let n = examples().len();
    let out = wfc()
        .args(["convert", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = format!("{n} converted, 1 failed, ");
    assert!(
        stderr.lines().any(|l| l.starts_with(&summary)),
        "no line starting {summary:?} in stderr:\n{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), n + 1);
    let bad: Vec<_> = records
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("bad.plist"))
        .collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(bad[0]["code"].is_null());
    for r in records.iter().filter(|r| r["error"].is_null()) {
        assert!(r["code"].as_str().is_some_and(|c| !c.is_empty()), "{r}");
    }
}

#[test]
fn cli_output_dir_mirrors_the_tree() {
    let dir = batch_dir();
    let out_dir = tempfile::tempdir().unwrap();
    let out = wfc()
        .arg("convert")
        .arg(dir.path())
        .arg("-o")
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    for p in examples() {
        let name = stem(&p);
        let written = std::fs::read_to_string(out_dir.path().join(format!("sub/{name}.py")))
            .unwrap_or_else(|e| panic!("sub/{name}.py: {e}"));
        let want =
            std::fs::read_to_string(root().join(format!("tests/expected/{name}.py"))).unwrap();
        assert_eq!(written, want, "{name}");
    }
    assert!(!out_dir.path().join("bad.py").exists());
}

#[test]
fn cli_usage_error_exits_2() {
    let out = wfc()
        .args(["convert", "/nonexistent/dir/"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let out = wfc().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A directory walk skips files that are not shortcuts, even when they parse as a plist or
/// JSON (an `Info.plist`, a `package.json`); a file named on the command line is converted
/// or fails.
#[test]
fn cli_walk_skips_plists_that_are_not_shortcuts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&examples()[0], dir.path().join("a.plist")).unwrap();
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(
        dir.path().join("Info.plist"),
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>CFBundleName</key><string>X</string></dict></plist>",
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "# not a shortcut\n").unwrap();
    let out = wfc().arg("convert").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 converted, 0 failed"), "{err}");
    assert!(err.contains("3 non-shortcut files skipped"), "{err}");

    let named = wfc()
        .arg("convert")
        .arg(dir.path().join("package.json"))
        .output()
        .unwrap();
    assert_eq!(named.status.code(), Some(1));
    assert!(String::from_utf8(named.stderr)
        .unwrap()
        .contains("not a workflow: the plist has no WFWorkflowActions"));
}
