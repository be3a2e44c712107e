//! `wfc fmt`: names what it rewrites, accepts directories, shows a diff (issue 10).

use std::process::Command;

fn wfc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wfc"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const MESSY: &str = "x   =   1\ny = is_workflow_actions_gettext( WFTextActionText = x )\n";

#[test]
fn fmt_names_rewritten_files_walks_directories_and_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let a = sub.join("a.py");
    let b = dir.path().join("b.py");
    std::fs::write(&a, MESSY).unwrap();
    std::fs::write(&b, MESSY).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a program (").unwrap();
    let d = dir.path().to_str().unwrap();

    // --diff writes nothing, shows the change, exits 1.
    let (code, out, err) = wfc(&["fmt", "--diff", d]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains(&format!("--- {}", a.display())), "{out}");
    let (minus, plus) = (out.find("\n-x   =   1\n"), out.find("\n+x = 1\n"));
    assert!(minus.is_some() && plus.is_some() && minus < plus, "{out}");
    assert_eq!(std::fs::read_to_string(&a).unwrap(), MESSY);

    // In place: each rewritten file is named, with a count.
    let (code, _, err) = wfc(&["fmt", d]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("reformatted {}", a.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("reformatted {}", b.display())),
        "{err}"
    );
    assert!(
        err.contains("2 file(s) reformatted, 0 already canonical"),
        "{err}"
    );
    let canonical = std::fs::read_to_string(&a).unwrap();
    assert_ne!(canonical, MESSY);

    // Now canonical: nothing to say, nothing to diff.
    let (code, out, err) = wfc(&["fmt", "--diff", d]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (code, _, err) = wfc(&["fmt", "--check", a.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}
