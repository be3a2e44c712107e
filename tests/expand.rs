//! `wfc expand` end to end against the loopback server: annotation through the IR and its
//! verification, the online run, kill-and-resume, batch emit → answer → ingest, and the
//! queries and generate stages with their repair loops. No network beyond 127.0.0.1.

#[path = "support/scripted.rs"]
mod scripted;

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use wfc::expand::{apply, verify};
use wfc::llm::mock::{Faults, MockServer};

const PROGRAM: &str = "Text = is_workflow_actions_gettext(WFTextActionText='''hello NUM''')
if Text == '''hello''':
    is_workflow_actions_showresult(Text=f'''Got {Text}''')
else:
    Count = is_workflow_actions_count(Input=Text)
    is_workflow_actions_showresult(Text=f'''{Count} items''')
for Repeat_Index in range(3):
    is_workflow_actions_notification(WFNotificationActionBody=f'''tick {Repeat_Index}''')
Saved = Text
is_workflow_actions_showresult(Text=Saved)
";

fn parse(src: &str) -> wfc::ir::Workflow {
    wfc::dsl::parse(
        src,
        wfc::dsl::ParseOptions {
            deterministic_uuids: true,
            ..Default::default()
        },
    )
    .unwrap()
}

fn annotated_program() -> (wfc::ir::Workflow, String) {
    let src = wfc::dsl::print(&parse(PROGRAM));
    let wf = parse(&src);
    let renames = vec![
        ("Text".to_string(), "greeting".to_string()),
        ("Count".to_string(), "item_count".to_string()),
        ("Saved".to_string(), "saved_text".to_string()),
        ("Repeat_Index".to_string(), "i".to_string()),
    ];
    let comments: BTreeMap<usize, String> = (1..=src.lines().count())
        .map(|n| (n, format!("# note {n}")))
        .collect();
    let (ann, applied) = apply::annotate(&src, &wf, &renames, &comments);
    assert_eq!(applied.renamed, 3, "{:?}", applied.skipped);
    assert!(applied.skipped.iter().any(|s| s.contains("loop variables")));
    (wf, wfc::dsl::print(&ann))
}

#[test]
fn annotations_go_through_the_ir_and_verify() {
    let (wf, code) = annotated_program();
    verify::same_workflow(&wf, &code).unwrap();
    for n in 1..=10 {
        assert!(code.contains(&format!("# note {n}\n")), "{code}");
    }
    assert!(
        code.contains("greeting = is_workflow_actions_gettext"),
        "{code}"
    );
    assert!(code.contains("f'''{item_count} items'''"), "{code}");
    assert!(code.contains("saved_text = greeting"), "{code}");
    // Strings are untouched: no comment text inside any of them.
    assert!(code.contains("'''hello NUM'''"));
    assert!(!code.contains("'''#"));
    // The comment for the `else:` line opens the else body.
    let else_at = code.find("else:\n").unwrap();
    assert!(code[else_at..].starts_with("else:\n    # note 4"), "{code}");
}

#[test]
fn verification_catches_changed_calls_dropped_actions_and_broken_strings() {
    let (wf, code) = annotated_program();
    let changed = code.replace("is_workflow_actions_count(", "is_workflow_actions_gettext(");
    let e = verify::same_workflow(&wf, &changed).unwrap_err();
    assert!(e.contains("is.workflow.actions.gettext"), "{e}");
    let dropped: String = code
        .lines()
        .filter(|l| !l.contains("notification"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(verify::same_workflow(&wf, &dropped).is_err());
    // A comment pasted into a string changes the string.
    let pasted = code.replace("'''hello NUM'''", "'''hello NUM  # the greeting'''");
    let e = verify::same_workflow(&wf, &pasted).unwrap_err();
    assert!(e.contains("other parameters"), "{e}");
    // A string broken open does not even parse.
    let broken = code.replace("'''hello NUM'''", "'''hello NUM");
    assert!(verify::same_workflow(&wf, &broken)
        .unwrap_err()
        .contains("does not parse"));
    // Merging two variables is not a renaming.
    let merged = code.replace("saved_text", "greeting");
    assert!(verify::same_workflow(&wf, &merged).is_err());
}

fn seeds(dir: &Path, n: usize) -> std::path::PathBuf {
    let p = dir.join("seeds.jsonl");
    let mut s = String::new();
    for i in 0..n {
        let code = PROGRAM.replace("NUM", &i.to_string());
        let mut rec = serde_json::json!({"path": format!("corpus/p{i}.shortcut"), "name": format!("p{i}"),
            "code": code, "apis": [], "n_actions": 9, "error": null});
        if i % 3 == 0 {
            rec["category"] = "Productivity".into();
        }
        s.push_str(&rec.to_string());
        s.push('\n');
    }
    std::fs::write(&p, s).unwrap();
    p
}

fn server(latency_ms: u64, faults: bool) -> MockServer {
    let script: wfc::llm::mock::Script =
        Arc::new(|req: &Value| scripted::answer(req, scripted::Mischief { every: 4 }));
    MockServer::start(
        script,
        Faults {
            latency: Duration::from_millis(latency_ms),
            transient_rate: if faults { 0.3 } else { 0.0 },
            slow_for: Duration::from_millis(1500),
            retry_after: 0.02,
            ..Faults::default()
        },
    )
    .unwrap()
}

fn wfc_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wfc"));
    c.current_dir(dir)
        .args(args)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = wfc_cmd(dir, args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn records(p: &Path) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(p).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "torn last line");
    let mut m = BTreeMap::new();
    for l in text.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        assert!(m.insert(id.clone(), v).is_none(), "{id} written twice");
    }
    m
}

fn annotate_args<'a>(url: &'a str, input: &'a str, out: &'a str, cache: &'a str) -> Vec<&'a str> {
    vec![
        "expand",
        "annotate",
        input,
        "-o",
        out,
        "--base-url",
        url,
        "--model",
        "mock",
        "--cache",
        cache,
        "--concurrency",
        "4",
        "--timeout",
        "0.5",
        "--max-retries",
        "8",
    ]
}

#[test]
fn annotate_online_resumed_and_batched_give_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 24;
    seeds(d, n);
    let srv = server(15, true);
    let url = srv.base_url();

    // The reference: one uninterrupted run.
    let (code, err) = run(
        d,
        &annotate_args(&url, "seeds.jsonl", "ref.jsonl", "c-ref.sqlite"),
    );
    assert_eq!(code, 0, "{err}");
    let reference = records(&d.join("ref.jsonl"));
    assert_eq!(reference.len(), n);
    let mut repaired = 0;
    for r in reference.values() {
        assert!(r["error"].is_null(), "{r}");
        assert_eq!(r["provenance"]["stage"], "annotate");
        let code = r["code"].as_str().unwrap();
        assert!(code.contains("# Step on line"), "{code}");
        assert!(code.contains("v_text"), "{code}");
        repaired += (r["provenance"]["repair_rounds"].as_u64().unwrap() > 0) as usize;
        let cat = r["category"].as_str().unwrap();
        assert!(cat == "Productivity" || cat == "Utilities");
    }
    assert!(
        repaired > 0,
        "the scripted model's bad first answers were repaired"
    );
    assert!(srv.stats.faults.load(std::sync::atomic::Ordering::Relaxed) > 0);

    // Killed (SIGKILL) several times mid-run, then finished: the same records.
    let args = annotate_args(&url, "seeds.jsonl", "kill.jsonl", "c-kill.sqlite");
    // Each run is killed as soon as it has appended a record of its own, so that the
    // kills land mid-run however fast the build is.
    let out_lines = || {
        std::fs::read_to_string(d.join("kill.jsonl"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    for _ in 0..4 {
        let before = out_lines();
        let mut child = wfc_cmd(d, &args).spawn().unwrap();
        let start = std::time::Instant::now();
        while out_lines() <= before && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_micros(200));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let partial = std::fs::read_to_string(d.join("kill.jsonl")).unwrap_or_default();
    let (code, err) = run(d, &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&d.join("kill.jsonl")), reference);
    assert!(partial.lines().count() < n, "the kills landed mid-run");

    // Batch: emit, answer with the same script, ingest; rounds until nothing is deferred.
    let mut round = 0;
    loop {
        let reqs = format!("req{round}.jsonl");
        let mut args = vec![
            "expand",
            "annotate",
            "seeds.jsonl",
            "-o",
            "batch.jsonl",
            "--model",
            "mock",
            "--cache",
            "c-batch.sqlite",
            "--emit-batch",
            &reqs,
        ];
        let prev = format!("res{}.jsonl", round.max(1) - 1);
        if round > 0 {
            args.extend(["--ingest-batch", prev.as_str()]);
        }
        let (code, err) = run(d, &args);
        assert_eq!(code, 0, "{err}");
        let emitted = std::fs::read_to_string(d.join(&reqs)).unwrap_or_default();
        if emitted.is_empty() {
            break;
        }
        if round == 0 {
            assert!(emitted.contains(r#""custom_id":"seed-"#));
        }
        wfc::llm::batch::answer_file(&d.join(&reqs), &d.join(format!("res{round}.jsonl")), |b| {
            wfc::llm::mock::completion_body(
                b,
                &scripted::answer(b, scripted::Mischief { every: 4 }),
                "stop",
            )
        })
        .unwrap();
        round += 1;
        assert!(round < 5, "batch rounds do not converge");
    }
    assert_eq!(records(&d.join("batch.jsonl")), reference);
    assert!(round >= 2, "repairs needed a second batch");
}

#[test]
fn a_torn_last_line_is_redone_and_sharding_splits_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeds(d, 10);
    let srv = server(0, false);
    let url = srv.base_url();
    let (code, err) = run(
        d,
        &annotate_args(&url, "seeds.jsonl", "a.jsonl", "c.sqlite"),
    );
    assert_eq!(code, 0, "{err}");
    let full = records(&d.join("a.jsonl"));
    // Cut the file mid-line, as a kill during a write would.
    let text = std::fs::read_to_string(d.join("a.jsonl")).unwrap();
    let cut = text.len() - 40;
    std::fs::write(d.join("a.jsonl"), &text[..cut]).unwrap();
    let (code, err) = run(
        d,
        &annotate_args(&url, "seeds.jsonl", "a.jsonl", "c.sqlite"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&d.join("a.jsonl")), full);

    let mut union = BTreeMap::new();
    for s in ["0/3", "1/3", "2/3"] {
        let out = format!("s{}.jsonl", &s[..1]);
        let mut args = annotate_args(&url, "seeds.jsonl", &out, "c.sqlite");
        args.extend(["--shard", s]);
        let (code, err) = run(d, &args);
        assert_eq!(code, 0, "{err}");
        for (k, v) in records(&d.join(&out)) {
            assert!(union.insert(k, v).is_none());
        }
    }
    assert_eq!(union, full);
}

#[test]
fn malformed_answers_are_per_record_failures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeds(d, 4);
    let script: wfc::llm::mock::Script = Arc::new(|_req: &Value| "I'd rather chat.".to_string());
    let srv = MockServer::start(
        script,
        Faults {
            truncate_rate: 0.0,
            ..Faults::default()
        },
    )
    .unwrap();
    let url = srv.base_url();
    let (code, err) = run(
        d,
        &annotate_args(&url, "seeds.jsonl", "a.jsonl", "c.sqlite"),
    );
    assert_eq!(code, 1, "failures give exit code 1: {err}");
    let recs = records(&d.join("a.jsonl"));
    assert_eq!(recs.len(), 4);
    for r in recs.values() {
        let e = r["error"].as_str().unwrap();
        assert!(
            e.contains("no JSON object") && e.contains("2 repair round"),
            "{e}"
        );
    }
}

#[test]
fn dry_run_prints_prompts_with_catalog_docs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeds(d, 2);
    let out = wfc_cmd(
        d,
        &[
            "expand",
            "annotate",
            "seeds.jsonl",
            "-o",
            "a.jsonl",
            "--dry-run",
        ],
    )
    .stdout(Stdio::piped())
    .output()
    .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("=== seed-").count(), 2);
    assert!(text.contains("--- system"));
    assert!(text.contains("def is_workflow_actions_gettext("), "{text}");
    assert!(text.contains("   1 | "));
    assert!(!d.join("a.jsonl").exists() || records(&d.join("a.jsonl")).is_empty());
}

#[test]
fn queries_then_generate_with_dedup_and_repairs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeds(d, 8);
    let srv = server(0, true);
    let url = srv.base_url();
    let (code, err) = run(
        d,
        &annotate_args(&url, "seeds.jsonl", "a.jsonl", "c.sqlite"),
    );
    assert_eq!(code, 0, "{err}");
    let common = [
        "--base-url",
        url.as_str(),
        "--model",
        "mock",
        "--cache",
        "c.sqlite",
        "--timeout",
        "0.5",
        "--max-retries",
        "8",
        "--seed",
        "7",
    ];
    let mut args = vec![
        "expand", "queries", "--seeds", "a.jsonl", "-n", "40", "-o", "q.jsonl",
    ];
    args.extend(common);
    let (code, err) = run(d, &args);
    assert_eq!(code, 0, "{err}");
    let qs = records(&d.join("q.jsonl"));
    assert!(qs.len() < 40 && qs.len() > 15, "{} kept; {err}", qs.len());
    assert!(err.contains("dropped"), "{err}");
    for q in qs.values() {
        let p = &q["provenance"];
        assert_eq!(p["origin"], "synthesized");
        assert!(!p["sampled_apis"].as_array().unwrap().is_empty());
        assert!(!p["example_ids"].as_array().unwrap().is_empty());
        assert_eq!(p["seed"], 7);
        let query = q["query"].as_str().unwrap();
        assert!(!query.contains("is.workflow.actions"), "{query}");
    }
    // The same command again makes nothing new.
    let (code, _) = run(d, &args);
    assert_eq!(code, 0);
    assert_eq!(records(&d.join("q.jsonl")), qs);

    let mut args = vec!["expand", "generate", "q.jsonl", "-o", "g.jsonl", "--refine"];
    args.extend(common);
    let (code, err) = run(d, &args);
    assert_eq!(code, 0, "{err}");
    let gs = records(&d.join("g.jsonl"));
    assert_eq!(gs.keys().collect::<Vec<_>>(), qs.keys().collect::<Vec<_>>());
    let mut verdicts: HashMap<String, usize> = HashMap::new();
    let mut repaired = 0;
    for g in gs.values() {
        let p = &g["provenance"];
        *verdicts
            .entry(p["verdict"].as_str().unwrap().into())
            .or_default() += 1;
        repaired += (p["repair_rounds"].as_u64().unwrap() > 0) as usize;
        assert!(g["code"].as_str().unwrap().contains("# Use "));
        assert!(!g["code"].as_str().unwrap().contains("nosuchthing"));
    }
    assert!(repaired > 0, "{err}");
    assert_eq!(verdicts.get("errors"), None, "{verdicts:?}");
}

/// The whole pipeline over a few hundred real shortcuts from `../shared/corpus`, against
/// the loopback server with faults on. Ignored by default (it takes a minute or two):
/// `cargo test --release --test expand -- --ignored --nocapture`.
#[test]
#[ignore]
fn whole_pipeline_over_the_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    if !corpus.is_dir() {
        eprintln!("skipping: ../shared/corpus not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, err) = run(
        d,
        &[
            "convert",
            corpus.to_str().unwrap(),
            "--format",
            "jsonl",
            "-o",
            "all.jsonl",
        ],
    );
    assert!(code == 0 || code == 1, "{err}");
    // A few hundred converted programs, one per distinct workflow name (the corpus holds
    // the same shortcut in several containers).
    let mut names = std::collections::HashSet::new();
    let mut picked = String::new();
    let mut n = 0;
    for l in std::fs::read_to_string(d.join("all.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(l).unwrap();
        if v["error"].is_null() && v["code"].is_string() && names.insert(v["name"].to_string()) {
            picked.push_str(l);
            picked.push('\n');
            n += 1;
            if n == 300 {
                break;
            }
        }
    }
    std::fs::write(d.join("seeds.jsonl"), picked).unwrap();
    let srv = server(5, true);
    let url = srv.base_url();
    let common = [
        "--base-url",
        url.as_str(),
        "--model",
        "mock",
        "--cache",
        "c.sqlite",
        "--timeout",
        "1.2",
        "--max-retries",
        "8",
        "--seed",
        "3",
        "--concurrency",
        "32",
    ];
    let stage = |args: &[&str], summary: &str| -> Value {
        let mut a = args.to_vec();
        a.extend(common);
        let out = wfc_cmd(d, &a)
            .env("WFC_EXPAND_SUMMARY", d.join(summary))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!("{err}");
        assert!(out.status.code().unwrap_or(9) <= 1, "{err}");
        serde_json::from_str(&std::fs::read_to_string(d.join(summary)).unwrap()).unwrap()
    };
    let a = stage(
        &["expand", "annotate", "seeds.jsonl", "-o", "a.jsonl"],
        "sa.json",
    );
    let annotated = records(&d.join("a.jsonl"));
    assert_eq!(annotated.len(), n, "every input record written once");
    let ok = annotated.values().filter(|r| r["error"].is_null()).count();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in annotated.values().filter(|r| !r["error"].is_null()) {
        let e = r["error"].as_str().unwrap();
        *reasons.entry(e.chars().take(70).collect()).or_default() += 1;
    }
    let q = stage(
        &[
            "expand", "queries", "--seeds", "a.jsonl", "-n", "300", "-o", "q.jsonl",
        ],
        "sq.json",
    );
    let queries = records(&d.join("q.jsonl"));
    let g = stage(
        &["expand", "generate", "q.jsonl", "-o", "g.jsonl"],
        "sg.json",
    );
    let generated = records(&d.join("g.jsonl"));
    assert_eq!(
        generated.keys().collect::<Vec<_>>(),
        queries.keys().collect::<Vec<_>>()
    );
    println!("annotate: {n} in, {} written, {ok} verified, {} repair rounds, {} fixed by repair; failures: {reasons:?}",
        annotated.len(), a["repairs"], a["repaired_ok"]);
    println!(
        "queries: 300 sampled, {} kept, {} near-duplicates dropped, {} repair rounds",
        queries.len(),
        q["dropped"],
        q["repairs"]
    );
    println!(
        "generate: {} written, verdicts {}, {} repair rounds, {} fixed by repair",
        generated.len(),
        g["verdicts"],
        g["repairs"],
        g["repaired_ok"]
    );
    println!(
        "server: {} requests, {} faults injected {:?}",
        srv.stats
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        srv.stats.faults.load(std::sync::atomic::Ordering::Relaxed),
        srv.stats.by_kind()
    );
    for s in [&a, &q, &g] {
        println!("{}: llm {}", s["stage"], s["llm"]);
    }
}

#[test]
fn import_questions_follow_their_actions_past_inserted_comments() {
    let src = "__workflow__ = {
    'WFWorkflowImportQuestions': [plain({'ActionIndex': 1, 'Category': '''Parameter''', 'ParameterKey': '''WFTextActionText''', 'Text': '''Your name?'''}), plain({'ActionIndex': 9, 'Category': '''Parameter''', 'ParameterKey': '''X''', 'Text': '''Stale'''})],
}
Text = is_workflow_actions_gettext(WFTextActionText='''a''')
Name = is_workflow_actions_gettext(WFTextActionText='''b''')
is_workflow_actions_showresult(Text=f'''{Text}{Name}''')
";
    let wf0 = parse(src);
    let src = wfc::dsl::print(&wf0);
    let wf = parse(&src);
    let comments: BTreeMap<usize, String> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("is_workflow_actions"))
        .map(|(i, _)| (i + 1, "why".to_string()))
        .collect();
    let (ann, applied) = apply::annotate(&src, &wf, &[], &comments);
    assert_eq!(applied.comments, 3);
    let code = wfc::dsl::print(&ann);
    assert!(code.contains("'ActionIndex': 3"), "{code}");
    // An index past the end (stale, copied from another shortcut) stays past the end.
    assert!(code.contains("'ActionIndex': 12"), "{code}");
    verify::same_workflow(&wf, &code).unwrap();
    // Left unshifted, the question would point at a comment: that is a change.
    let wrong = code.replace("'ActionIndex': 3", "'ActionIndex': 1");
    assert!(verify::same_workflow(&wf, &wrong).is_err());
}
