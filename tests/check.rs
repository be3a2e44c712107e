//! `wfc check`: planted errors, the clean file, the converted corpus, the WorkflowBench
//! samples, and the CLI. The corpus and samples need `../shared` (skipped otherwise).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use wfc::catalog::Catalog;
use wfc::check::{check_source, verdict, Checker, Finding, FindingKind, Severity};

fn fixture(name: &str) -> (String, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(name);
    (
        p.display().to_string(),
        std::fs::read_to_string(&p).expect("fixture"),
    )
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("catalogs").is_dir() && p.join("corpus/files").is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared (catalogs, corpus) not found");
        None
    }
}

struct Full {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

/// The full catalog, built once per test run into a temp dir.
fn full_catalog() -> Option<&'static Full> {
    static FULL: OnceLock<Option<Full>> = OnceLock::new();
    FULL.get_or_init(|| {
        let s = shared()?;
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("catalog.sqlite");
        Catalog::build(&s.join("catalogs"), Some(&db)).expect("catalog builds");
        Some(Full { _dir: dir, db })
    })
    .as_ref()
}

/// Every corpus shortcut, converted and printed (once per test run).
fn corpus_programs() -> Option<&'static Vec<(String, String)>> {
    static CORPUS: OnceLock<Option<Vec<(String, String)>>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            let s = shared()?;
            let (inputs, _, _) =
                wfc::convert::collect_inputs(&[s.join("corpus/files").display().to_string()]);
            let limits = wfc::limits::Limits::default();
            let out: Vec<(String, String)> = inputs
                .into_iter()
                .filter_map(|i| {
                    let wf = wfc::convert::load(&i, &limits).ok()?;
                    Some((i.display(), wfc::dsl::print(&wf)))
                })
                .collect();
            Some(out)
        })
        .as_ref()
}

fn pos(src: &str, f: &Finding) -> (usize, usize) {
    f.position(src).expect("a span")
}

#[test]
fn planted_errors_each_reported_once_with_span() {
    let cat = Catalog::embedded().unwrap();
    let (file, src) = fixture("planted.py");
    let findings = check_source(&src, &cat);
    for f in &findings {
        eprintln!("{}", f.render(&file, &src));
    }
    let expect: &[(FindingKind, Severity, (usize, usize))] = &[
        (FindingKind::UnknownAction, Severity::Warning, (3, 12)),
        (FindingKind::UnknownParameter, Severity::Error, (4, 40)),
        (FindingKind::NotInEnum, Severity::Error, (5, 56)),
        (FindingKind::WrongKind, Severity::Error, (6, 37)),
        (FindingKind::MissingRequired, Severity::Error, (7, 1)),
        (FindingKind::UsedBeforeDefined, Severity::Error, (8, 42)),
        (FindingKind::UnusedOutput, Severity::Warning, (10, 10)),
        (FindingKind::EmptyBlock, Severity::Warning, (11, 1)),
    ];
    assert_eq!(findings.len(), expect.len(), "{findings:#?}");
    for (kind, sev, at) in expect {
        let of_kind: Vec<&Finding> = findings.iter().filter(|f| f.kind == *kind).collect();
        assert_eq!(of_kind.len(), 1, "{kind:?}: {of_kind:#?}");
        assert_eq!(of_kind[0].severity, *sev, "{kind:?}");
        assert_eq!(
            pos(&src, of_kind[0]),
            *at,
            "{kind:?}: {}",
            of_kind[0].message
        );
    }
    // Did-you-mean hints from the catalog.
    let help = |k: FindingKind| {
        findings
            .iter()
            .find(|f| f.kind == k)
            .and_then(|f| f.help.clone())
            .unwrap_or_default()
    };
    assert!(help(FindingKind::UnknownAction).contains("is_workflow_actions_downloadurl"));
    assert!(help(FindingKind::UnknownParameter).contains("WFTextActionText"));
    assert_eq!(verdict(&findings), "errors");
}

#[test]
fn clean_file_is_clean() {
    let cat = Catalog::embedded().unwrap();
    let (file, src) = fixture("clean.py");
    let findings = check_source(&src, &cat);
    for f in &findings {
        eprintln!("{}", f.render(&file, &src));
    }
    assert!(findings.is_empty());
    assert_eq!(verdict(&findings), "clean");
}

#[test]
fn parse_errors_are_syntax_findings() {
    let cat = Catalog::embedded().unwrap();
    let src = "x = is_workflow_actions_gettext(WFTextActionText='''a''')\nif x:\n";
    let findings = check_source(src, &cat);
    let syntax: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Syntax)
        .collect();
    assert_eq!(syntax.len(), 1, "{findings:#?}");
    assert_eq!(pos(src, syntax[0]).0, 2);
}

#[test]
fn one_run_reports_undefined_name_unknown_action_parameter_and_enum() {
    let cat = Catalog::embedded().unwrap();
    let (file, src) = fixture("all_four.py");
    let findings = check_source(&src, &cat);
    for f in &findings {
        eprintln!("{}", f.render(&file, &src));
    }
    let expect: &[(FindingKind, (usize, usize), &str)] = &[
        (
            FindingKind::UnknownAction,
            (4, 12),
            "is_workflow_actions_downloadurl",
        ),
        (FindingKind::UnknownParameter, (5, 40), "WFTextActionText"),
        (FindingKind::NotInEnum, (6, 56), "Spaces"),
        (FindingKind::UndefinedVariable, (6, 75), "`Greeting`"),
    ];
    for (kind, at, hint) in expect {
        let of_kind: Vec<&Finding> = findings.iter().filter(|f| f.kind == *kind).collect();
        assert_eq!(of_kind.len(), 1, "{kind:?}: {findings:#?}");
        assert_eq!(pos(&src, of_kind[0]), *at, "{kind:?}");
        let help = of_kind[0].help.clone().unwrap_or_default();
        assert!(help.contains(hint), "{kind:?}: {help}");
    }
    assert!(!findings.iter().any(|f| f.kind == FindingKind::Syntax));
    // The undefined name is not a compile-time success either.
    assert!(wfc::dsl::parse(&src, Default::default()).is_err());
}

#[test]
fn syntax_errors_do_not_hide_other_findings() {
    let cat = Catalog::embedded().unwrap();
    let (file, src) = fixture("broken_lines.py");
    let findings = check_source(&src, &cat);
    for f in &findings {
        eprintln!("{}", f.render(&file, &src));
    }
    let got: Vec<(&str, usize)> = findings
        .iter()
        .map(|f| (f.kind.name(), pos(&src, f).0))
        .collect();
    assert_eq!(
        got,
        [
            ("syntax", 3),
            ("syntax", 4),
            // Inside the block of the `if` line that did not parse.
            ("unknown-action", 5),
            // Inside the `else:` of that block.
            ("undefined-variable", 7),
            ("syntax", 8),
        ]
    );
}

#[test]
fn full_catalog_resolves_workflowbench_names() {
    let Some(full) = full_catalog() else { return };
    let cat = Catalog::open(&full.db).unwrap();
    let c = Checker::new(&cat);
    assert!(c.full_catalog());
    // The parser reads every `_` as `.`; the catalog maps the Python name back.
    for (written, id) in [
        (
            "is.workflow.actions.downloadurl",
            "is.workflow.actions.downloadurl",
        ),
        (
            "is.workflow.actions.weather.currentconditions",
            "is.workflow.actions.weather.currentconditions",
        ),
    ] {
        assert_eq!(
            c.resolve(written).map(|a| a.identifier.clone()).as_deref(),
            Some(id)
        );
    }
    let src = "is_workflow_actions_downloadurll(WFURL='''https://x''')\n";
    let f = c.check_source(src);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].severity,
        Severity::Error,
        "unknown actions are errors with a full catalog"
    );
}

#[test]
fn corpus_resolution_share_and_findings() {
    let (Some(full), Some(programs)) = (full_catalog(), corpus_programs()) else {
        return;
    };
    let cat = Catalog::open(&full.db).unwrap();
    let checker = Checker::new(&cat);
    let (mut calls, mut resolved) = (0usize, 0usize);
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut examples: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut parse_failures = 0;
    for (name, src) in programs {
        let wf = match wfc::dsl::parse(src, Default::default()) {
            Ok(wf) => wf,
            Err(_) => {
                parse_failures += 1;
                continue;
            }
        };
        wfc::ir::visit_actions(&wf.body, &mut |a| {
            calls += 1;
            if checker.resolve(&a.id).is_some() {
                resolved += 1;
            } else {
                *unknown.entry(a.id.clone()).or_default() += 1;
            }
        });
        for f in checker.check(&wf) {
            *by_kind.entry(f.kind.name()).or_default() += 1;
            let ex = examples.entry(f.kind.name()).or_default();
            if ex.len() < 3 {
                let (l, c) = f.position(src).unwrap_or((0, 0));
                ex.push(format!("{name}:{l}:{c}: {}", f.message));
            }
        }
    }
    let share = resolved as f64 / calls as f64;
    eprintln!(
        "corpus: {} programs ({parse_failures} do not parse back), {calls} action calls, {resolved} resolve ({:.2}%)",
        programs.len(),
        share * 100.0
    );
    let mut top: Vec<(&String, &usize)> = unknown.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    eprintln!("top unknown identifiers ({} distinct):", unknown.len());
    for (id, n) in top.iter().take(15) {
        eprintln!("  {n:5}  {id}");
    }
    eprintln!("findings by kind: {by_kind:?}");
    for (k, ex) in &examples {
        for e in ex {
            eprintln!("  [{k}] {e}");
        }
    }
    assert_eq!(parse_failures, 0);
    // Measured: 98.78% of 32,857 calls resolve with the built catalog.
    assert!(share > 0.9 * 0.9878, "share {share}");
    // Control flow and variables never make findings on real shortcuts.
    for k in ["used-before-defined", "unused-output", "syntax"] {
        assert_eq!(by_kind.get(k), None, "{k}");
    }
}

fn samples() -> Option<Vec<serde_json::Value>> {
    let p = shared()?.join("workflowbench/data_samples.json");
    let text = std::fs::read_to_string(p).ok()?;
    serde_json::from_str(&text).ok()
}

#[test]
fn workflowbench_samples_verdicts() {
    let (Some(full), Some(samples)) = (full_catalog(), samples()) else {
        return;
    };
    let cat = Catalog::open(&full.db).unwrap();
    let checker = Checker::new(&cat);
    let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        let code = s["annotated_code"].as_str().unwrap_or("");
        let findings = checker.check_source(code);
        let v = verdict(&findings);
        *verdicts.entry(v).or_default() += 1;
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &findings {
            *by_kind.entry(f.kind.name()).or_default() += 1;
            *kinds.entry(f.kind.name()).or_default() += 1;
        }
        eprintln!("sample {:2}: {v:8} {kinds:?}", i + 1);
    }
    eprintln!("verdicts: {verdicts:?}");
    eprintln!("findings by kind: {by_kind:?}");
    assert_eq!(samples.len(), 50);
    let expected_verdicts: BTreeMap<&str, usize> = EXPECTED_VERDICTS.iter().copied().collect();
    assert_eq!(verdicts, expected_verdicts);
    let expected_kinds: BTreeMap<&str, usize> = EXPECTED_KINDS.iter().copied().collect();
    assert_eq!(by_kind, expected_kinds);
}

/// Measured on the 50 samples with the catalog built from ../shared/catalogs.
const EXPECTED_VERDICTS: &[(&str, usize)] = &[("clean", 1), ("errors", 46), ("warnings", 3)];
/// The parser goes on after each error, so the statements that parse are checked too.
const EXPECTED_KINDS: &[(&str, usize)] = &[
    ("empty-block", 4),
    ("missing-required", 1),
    ("syntax", 739),
    ("undefined-variable", 354),
    ("unknown-action", 1),
    ("unused-output", 258),
    ("used-before-defined", 2),
    ("wrong-kind", 19),
];

fn wfc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wfc"))
}

#[test]
fn cli_exit_codes_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (clean, _) = fixture("clean.py");
    let (planted, _) = fixture("planted.py");
    // Run where no catalog.sqlite exists: the embedded catalog is used.
    let run = |args: &[&str]| {
        wfc()
            .current_dir(dir.path())
            .arg("check")
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[&clean]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(&[&planted]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("error[not-in-enum]"), "{text}");
    assert!(text.contains("planted.py:5:56"), "{text}");
    assert!(text.contains("1 program: 0 clean"), "{text}");
    let o = run(&[&planted, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["program"], planted.as_str());
    assert_eq!(v["verdict"], "errors");
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 8);
    for x in f {
        for k in ["kind", "severity", "message", "line", "column", "help"] {
            assert!(x.get(k).is_some(), "{k} in {x}");
        }
    }
    // A JSONL file of records: one program per line, named file:line.
    let jsonl = dir.path().join("records.jsonl");
    let (_, clean_src) = fixture("clean.py");
    let (_, planted_src) = fixture("planted.py");
    std::fs::write(
        &jsonl,
        format!(
            "{}\n{}\n",
            serde_json::json!({"annotated_code": clean_src}),
            serde_json::json!({"code": planted_src})
        ),
    )
    .unwrap();
    let o = run(&[jsonl.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["program"]
        .as_str()
        .unwrap()
        .ends_with("records.jsonl:1"));
    assert_eq!(lines[0]["verdict"], "clean");
    assert_eq!(lines[1]["verdict"], "errors");
    // Could not run: missing file, bad catalog.
    let o = run(&["/nonexistent/x.py"]);
    assert_eq!(o.status.code(), Some(2));
    let bad = dir.path().join("bad.sqlite");
    std::fs::write(&bad, b"not a database").unwrap();
    let o = run(&[&clean, "--catalog", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cli_checks_datasets_record_by_record() {
    let dir = tempfile::tempdir().unwrap();
    let (_, clean) = fixture("clean.py");
    let (_, planted) = fixture("planted.py");
    let run = |args: &[&str]| {
        wfc()
            .current_dir(dir.path())
            .arg("check")
            .args(args)
            .output()
            .unwrap()
    };
    let json_lines = |o: &std::process::Output| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // A JSON array of WorkflowBench-style records, one with an id.
    let array = dir.path().join("samples.json");
    std::fs::write(
        &array,
        serde_json::json!([
            {"query": "q", "annotated_code": clean},
            {"id": "r2", "workflow_code": planted},
            {"query": "no code"},
        ])
        .to_string(),
    )
    .unwrap();
    let o = run(&[array.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let r = json_lines(&o);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        (r[0]["index"].as_u64(), r[0]["verdict"].as_str()),
        (Some(0), Some("clean"))
    );
    assert_eq!(r[1]["id"], "r2");
    assert_eq!(r[1]["index"], 1);
    assert_eq!(r[1]["findings"].as_array().unwrap().len(), 8);
    let o = run(&[array.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("2 programs: 1 clean"), "{text}");
    assert!(text.contains("1 records without code skipped"), "{text}");

    // A malformed JSONL line is that record's error; the others are still checked.
    let jsonl = dir.path().join("records.jsonl");
    std::fs::write(
        &jsonl,
        format!(
            "{}\n{{\"code\": \"x = \n{}\n",
            serde_json::json!({"code": clean}),
            serde_json::json!({"key": 7, "code": planted})
        ),
    )
    .unwrap();
    let o = run(&[jsonl.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let r = json_lines(&o);
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!(r[0]["verdict"], "clean");
    assert!(r[1]["program"]
        .as_str()
        .unwrap()
        .ends_with("records.jsonl:2"));
    assert!(r[1]["error"]
        .as_str()
        .unwrap()
        .contains("not a JSON record"));
    assert_eq!(r[2]["id"], "7");
    assert_eq!(r[2]["verdict"], "errors");

    // `--field` picks another field.
    let other = dir.path().join("other.jsonl");
    std::fs::write(
        &other,
        format!(
            "{}\n",
            serde_json::json!({"code": clean, "program": planted})
        ),
    )
    .unwrap();
    let o = run(&[
        other.to_str().unwrap(),
        "--field",
        "program",
        "--format",
        "json",
    ]);
    assert_eq!(json_lines(&o)[0]["verdict"], "errors");

    // A directory of JSON files is checked, not "0 programs".
    let jdir = dir.path().join("records");
    std::fs::create_dir(&jdir).unwrap();
    for (i, code) in [&clean, &planted].iter().enumerate() {
        std::fs::write(
            jdir.join(format!("{i}.json")),
            serde_json::json!({"code": code}).to_string(),
        )
        .unwrap();
    }
    let o = run(&[jdir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("2 programs: 1 clean"), "{text}");
}

#[test]
fn catalog_learn_records_inferred_usage() {
    // A tiny directory of corpus shortcuts.
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut picked = 0;
    for e in walkdir::WalkDir::new(&corpus).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() && picked < 6 {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
            picked += 1;
        }
    }
    let db = dir.path().join("catalog.sqlite");
    // The embedded catalog written to a file knows few actions, so much is new.
    let d = {
        let mut d = wfc::catalog::Draft::default();
        wfc::catalog::embedded::import(&mut d).unwrap();
        d
    };
    Catalog::from_draft(&d, Some(&db)).unwrap();
    let o = wfc()
        .args(["catalog", "learn"])
        .arg(dir.path())
        .arg("--catalog")
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&o.stdout));
    let cat = Catalog::open(&db).unwrap();
    let conn = cat.connection();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let new_actions = one("SELECT count(*) FROM actions WHERE params_source = 'inferred'");
    assert!(new_actions > 0);
    assert!(one("SELECT count(*) FROM observed") > 0);
    assert!(one("SELECT count(*) FROM parameters WHERE source = 'inferred'") > 0);
    assert_eq!(
        one("SELECT count(*) FROM sources WHERE name = 'inferred'"),
        1
    );
    // An inferred action is known to the checker: no unknown-action finding for it.
    let id: String = conn
        .query_row(
            "SELECT identifier FROM actions WHERE params_source = 'inferred' ORDER BY identifier LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let info = cat.lookup_action(&id).unwrap();
    assert_eq!(
        info.provenance.get("parameters").map(String::as_str),
        Some("inferred")
    );
    eprintln!(
        "learned {id}: {:?}",
        info.parameters
            .iter()
            .map(|p| (&p.key, &p.python_type))
            .collect::<Vec<_>>()
    );
}
