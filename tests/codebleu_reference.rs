//! CodeBLEU against the `codebleu` package itself, installed in a virtual environment
//! (`scripts/codebleu-requirements.txt`, cached in `~/.cache/wfc/codebleu-venv`), on pairs made
//! here: loops and comprehensions (the data flow's set orders), invalid Python (error nodes,
//! tokenizer failures), non-ASCII names, docstrings, tabs, continuation lines, empty and
//! one-token predictions. Skips with a message when Python or PyPI is not available.

use std::path::{Path, PathBuf};
use std::process::Command;
use wfc::eval::codebleu::{corpus_scores, pair_stats, StripComments, Weights};

fn venv() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let dir = Path::new(&home).join(".cache/wfc/codebleu-venv");
    let py = dir.join("bin/python");
    let ok = |py: &Path| {
        Command::new(py)
            .args(["-c", "import codebleu, tree_sitter_python"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok(&py) {
        return Some(py);
    }
    let reqs = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/codebleu-requirements.txt");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(dir.join("bin/pip"))
            .args(["install", "-q", "-r"])
            .arg(&reqs)
            .status()
            .is_ok_and(|s| s.success());
    if made && ok(&py) {
        Some(py)
    } else {
        eprintln!("skipping: could not install the codebleu reference (python3 -m venv + pip)");
        None
    }
}

const PROGRAMS: &[&str] = &[
    "x = 1\ny = x + 2\nprint(y)\n",
    "# fetch\nurl = is_workflow_actions_url(WFURLActionURL='''https://a.b/#frag''')\ntext = is_workflow_actions_downloadurl(WFURL=f'''{url}''')\nif text:\n    lines = split(text)\nelse:\n    lines = []\nfor line in lines:\n    total = total + len(line)\n    count = count + 1\nshow(total, count)\n",
    "def f(a, b=2, *c, **d):\n    \"\"\"Docstring.\"\"\"\n    s = a\n    while s < b:\n        s, t = t + a, s * b\n        u = [v for v in c if v > s]\n    return s + sum(u)\n",
    "for i, (k, v) in enumerate(items):\n\tif k in seen:\n\t\tcontinue\n\tseen[k] = v\n\tout.append((i, k, v))\nelse:\n    done = True\n",
    "résumé = 'é'\nnaïve = résumé + \"ü\" ; café = naïve\nprint(café, résumé)\n",
    "x = foo(1,\ny = 2\n",
    "if x:\n    a = 1\n  b = 2\n",
    "s = '''never closed\nx = 1\n",
    "total = 1 + \\\n    2\nvalue = total * 3  # three\n",
    "menu = is_workflow_actions_choosefrommenu(WFMenuPrompt='''Pick''', WFMenuItems=['''A''', '''B'''])\nmatch menu:\n    case \"A\":\n        a = is_workflow_actions_gettext(WFTextActionText='''#a''')\n    case \"B\":\n        b = a\n",
    "class C:\n    def m(self):\n        self.x = y = z = 0\n        return [w for w in range(y) for q in range(w)]\n",
    "x = )\n$ y = 1 ?\n",
    "",
    "x",
    "a = b = c\nc += a\nd: int = 4\ne: str\nlambda q: q + d\n",
];

#[test]
fn generated_pairs_match_the_installed_package() {
    let Some(py) = venv() else { return };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (i, r) in PROGRAMS.iter().enumerate() {
        if r.trim().is_empty() {
            continue;
        }
        for (j, p) in PROGRAMS.iter().enumerate() {
            if (i + j) % 2 == 0 || i == j || p.trim().len() <= 1 {
                pairs.push((r.to_string(), p.to_string()));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pairs.jsonl");
    let lines: Vec<String> = pairs
        .iter()
        .map(|(r, p)| serde_json::json!({"reference": r, "prediction": p}).to_string())
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/codebleu-reference.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(&file)
        .env("PYTHONHASHSEED", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), pairs.len() + 1);
    let stats = pair_stats(&pairs, StripComments::None);
    let mut bad = Vec::new();
    let fields = [
        "codebleu",
        "ngram_match_score",
        "weighted_ngram_match_score",
        "syntax_match_score",
        "dataflow_match_score",
    ];
    let mut compared = 0;
    for (k, ((r, p), st)) in pairs.iter().zip(&stats).enumerate() {
        let want = &answers[k];
        if want.get("error").is_some() {
            continue;
        }
        compared += 1;
        let got = serde_json::to_value(st.scores(Weights::default())).unwrap();
        for f in fields {
            let (g, w) = (got[f].as_f64().unwrap(), want[f].as_f64().unwrap());
            if (g - w).abs() > 1e-9 {
                bad.push(format!(
                    "{f}: {g} != {w}\n  reference {r:?}\n  prediction {p:?}"
                ));
            }
        }
    }
    assert!(compared > 50, "only {compared} pairs scored by the package");
    let ok: Vec<(String, String)> = pairs.iter().filter(|p| !p.1.is_empty()).cloned().collect();
    let corpus = serde_json::to_value(corpus_scores(
        &pair_stats(&ok, StripComments::None),
        Weights::default(),
    ))
    .unwrap();
    for f in fields {
        let (g, w) = (
            corpus[f].as_f64().unwrap(),
            answers[pairs.len()][f].as_f64().unwrap(),
        );
        if (g - w).abs() > 1e-9 {
            bad.push(format!("corpus {f}: {g} != {w}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
