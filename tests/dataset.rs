//! `wfc dataset`: filter reasons, deduplication by meaning, splits, export, stats, report.

mod common;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use wfc::dataset::build::{self, BuildConfig, CatalogSource};

fn rec(id: &str, query: Option<&str>, plan: Option<&str>, code: &str, apis: &[&str]) -> Value {
    json!({
        "id": id, "query": query, "apis": apis, "task_plan": plan, "code": code,
        "category": "Utilities",
        "provenance": {"origin": "seed", "source": null, "stage": "annotate", "repair_rounds": 0},
        "error": null
    })
}

fn write_jsonl(dir: &Path, name: &str, recs: &[Value]) -> PathBuf {
    let p = dir.join(name);
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

fn read_jsonl(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const GREET: &str = "# Make the greeting.\ngreeting = is_workflow_actions_gettext(WFTextActionText='''hello there''')\n# Show it.\nis_workflow_actions_showresult(Text=f'''{greeting}!''')\n";
// The same workflow: other names, other comments.
const GREET_RENAMED: &str = "# Something else entirely.\nmsg = is_workflow_actions_gettext(WFTextActionText='''hello there''')\nis_workflow_actions_showresult(Text=f'''{msg}!''')\n";
const BYE: &str = "# Make the farewell.\nfarewell = is_workflow_actions_gettext(WFTextActionText='''goodbye''')\nis_workflow_actions_showresult(Text=f'''{farewell}?''')\n";

fn build_dir(recs: &[Value], cfg: &BuildConfig) -> (tempfile::TempDir, build::BuildReport) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(dir.path(), "in.jsonl", recs);
    let out = dir.path().join("out");
    let report = build::build(&[input], &CatalogSource::Embedded, &out, cfg).unwrap();
    build::write_reports(&report, &out).unwrap();
    (dir, report)
}

#[test]
fn same_workflow_under_other_names_and_comments_is_an_exact_duplicate() {
    let recs = vec![
        rec(
            "a",
            Some("Greet the user warmly on screen."),
            Some("1. **Greet**"),
            GREET,
            &[],
        ),
        rec(
            "b",
            Some("Please display a friendly hello message."),
            Some("1. **Show**"),
            GREET_RENAMED,
            &[],
        ),
        rec(
            "c",
            Some("Say goodbye when I leave the house."),
            Some("1. **Bye**"),
            BYE,
            &[],
        ),
    ];
    let (dir, report) = build_dir(&recs, &BuildConfig::default());
    let out = dir.path().join("out");
    let rejected = read_jsonl(&out.join("rejected.jsonl"));
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    assert_eq!(rejected[0]["id"], "b");
    assert_eq!(rejected[0]["duplicate_of"], "a");
    assert_eq!(rejected[0]["reasons"][0]["rule"], "duplicate");
    assert_eq!(rejected[0]["reasons"][0]["kind"], "exact");
    assert_eq!(report.duplicates.get("exact"), Some(&1));
    // A different literal is a different workflow.
    let kept: usize = report.splits.values().sum();
    assert_eq!(kept, 2);
    assert!(report.verification.accounted && report.verification.disjoint);
}

#[test]
fn rejected_records_carry_every_failed_rule() {
    let unknown = "x = com_example_nowhere_doit(A='''1''')\nis_workflow_actions_showresult(Text=f'''{x}''')\n";
    let recs = vec![
        rec(
            "ok",
            Some("Greet the user warmly on screen."),
            Some("1. **Greet**"),
            GREET,
            &[],
        ),
        // No query, no plan, an API the catalog does not know, a claimed API never called.
        rec("bad", None, None, unknown, &["is.workflow.actions.openurl"]),
        // Does not parse, and no plan.
        rec("broken", Some("q"), None, "x = = 1\n", &[]),
        json!({"path": "a.plist", "name": "a", "code": GREET, "apis": [], "n_actions": 2, "error": null}),
    ];
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(dir.path(), "in.jsonl", &recs);
    std::fs::write(
        &input,
        format!("{}not json\n", std::fs::read_to_string(&input).unwrap()),
    )
    .unwrap();
    let out = dir.path().join("out");
    let report = build::build(
        &[input],
        &CatalogSource::Embedded,
        &out,
        &BuildConfig::default(),
    )
    .unwrap();
    let rejected = read_jsonl(&out.join("rejected.jsonl"));
    let rules = |id: &str| -> Vec<String> {
        let r = rejected
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} not rejected"));
        r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let bad = rules("bad");
    for rule in [
        "missing-query",
        "missing-plan",
        "unknown-api",
        "claimed-api-unused",
    ] {
        assert!(
            bad.contains(&rule.to_string()),
            "{rule} missing from {bad:?}"
        );
    }
    assert_eq!(rules("broken"), ["missing-plan", "parse"]);
    // A converted record without annotation: rejected with that reason, not dropped.
    let conv = rules(
        rejected
            .iter()
            .find(|r| r["provenance"]["stage"] == "convert")
            .unwrap()["id"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(conv, ["missing-query", "missing-plan"]);
    assert!(rejected
        .iter()
        .any(|r| r["reasons"][0]["rule"] == "unreadable"));
    assert_eq!(report.records_read, 5);
    assert_eq!(report.rejected, 4);
    assert_eq!(report.rejected_by_rule.get("missing-plan"), Some(&3));
}

/// Records built from a few programs by changing literals: distinct workflows.
fn many_records(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let api = ["is.workflow.actions.calculateexpression", "is.workflow.actions.round", "is.workflow.actions.count"][i % 3];
            let call = wfc::catalog::python_name(api);
            let code = format!(
                "t = is_workflow_actions_gettext(WFTextActionText='''item {i}''')\nr = {call}(WFInput=t)\nis_workflow_actions_showresult(Text=f'''{{r}} {i}''')\n"
            );
            let mut r = rec(
                &format!("r{i}"),
                Some(&format!("Request number {i} with its own words w{i} x{i} y{i}")),
                Some("1. **Do it**"),
                &code,
                &[],
            );
            r["category"] = json!(["Utilities", "Productivity", "Finance"][i % 3]);
            r
        })
        .collect()
}

#[test]
fn splits_are_written_verified_and_keyed() {
    let mut cfg = BuildConfig::default();
    cfg.filter.check_level = build::CheckLevel::Off;
    cfg.split.ood_fraction = 0.4;
    cfg.workflowbench_names = true;
    let (dir, report) = build_dir(&many_records(300), &cfg);
    let out = dir.path().join("out");
    let total: usize = ["train", "test_id", "test_ood"]
        .iter()
        .map(|s| read_jsonl(&out.join(format!("{s}.jsonl"))).len())
        .sum();
    let rejected = read_jsonl(&out.join("rejected.jsonl")).len();
    assert_eq!(total + rejected, 300);
    assert!(report.verification.ood_invariants);
    assert!(!report.held_out_apis.is_empty());
    let ood = read_jsonl(&out.join("test_ood.jsonl"));
    assert!(!ood.is_empty());
    for r in &ood {
        let apis: Vec<&str> = r["apis"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(apis
            .iter()
            .any(|a| report.held_out_apis.iter().any(|h| h == a)));
    }
    for r in read_jsonl(&out.join("train.jsonl")) {
        assert_eq!(r["key"], r["id"]);
        assert_eq!(r["workflow_code"], r["code"]);
        for a in r["apis"].as_array().unwrap() {
            assert!(!report
                .held_out_apis
                .iter()
                .any(|h| h == a.as_str().unwrap()));
        }
    }
    let keys: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("dataset_split_keys_ood.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(keys["dev"].as_array().unwrap().len(), ood.len());
    let md = std::fs::read_to_string(out.join("stats.md")).unwrap();
    assert!(md.contains("| instances |"), "{md}");
}

#[test]
fn chat_export_round_trips_through_python_json() {
    let mut cfg = BuildConfig::default();
    cfg.filter.check_level = build::CheckLevel::Off;
    cfg.split.test_fraction = 0.0;
    cfg.split.ood_fraction = 0.0;
    let (dir, _) = build_dir(&many_records(20), &cfg);
    let out = dir.path().join("out");
    let cat = wfc::catalog::Catalog::embedded().unwrap();
    let file = dir.path().join("chat.jsonl");
    let mut w = std::fs::File::create(&file).unwrap();
    let rep = wfc::dataset::export::export_chat(
        &out.join("train.jsonl"),
        &cat,
        &wfc::dataset::export::TokenCounter::Chars,
        None,
        &mut w,
    )
    .unwrap();
    let n_train = read_jsonl(&out.join("train.jsonl")).len();
    assert_eq!(n_train, 20);
    assert_eq!(rep.written, n_train);
    // A budget below every record drops them all and counts them.
    let mut sink = Vec::new();
    let rep2 = wfc::dataset::export::export_chat(
        &out.join("train.jsonl"),
        &cat,
        &wfc::dataset::export::TokenCounter::Chars,
        Some(10),
        &mut sink,
    )
    .unwrap();
    assert_eq!((rep2.written, rep2.over_budget), (0, n_train));
    if !common::have_python() {
        eprintln!("skipping the Python half: python3 not found");
        return;
    }
    let script = r#"
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    roles = [m["role"] for m in r["messages"]]
    assert roles == ["system", "user", "assistant"], roles
    a = r["messages"][2]["content"]
    assert a.startswith("Thought:\n") and "\n\nCode:\n```python\n" in a and a.endswith("```"), a
    assert "def " in r["messages"][1]["content"]
    n += 1
print(n)
"#;
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        n_train.to_string()
    );
}

#[test]
fn workflowbench_samples_stats_and_repair() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let samples = shared.join("workflowbench/data_samples.json");
    let cat = wfc::catalog::Catalog::embedded().unwrap();
    let plain = wfc::dataset::stats::stats_of_path(&samples, &cat, false).unwrap();
    let repaired = wfc::dataset::stats::stats_of_path(&samples, &cat, true).unwrap();
    eprintln!(
        "data_samples.json: {} parse as released, {} with repair",
        plain.parsed, repaired.parsed
    );
    assert_eq!(plain.records, 50);
    assert_eq!(plain.parsed, 4);
    assert!(repaired.parsed > plain.parsed);
    let t = &repaired.splits["all"].table;
    assert_eq!(t.instances, repaired.parsed);
    assert!(t.avg_actions > 5.0 && t.apis > 10, "{t:?}");
    let md = wfc::dataset::stats::markdown_table(&[("samples", t)]);
    eprintln!("{md}");
}

/// Opens report.html in headless Chromium and checks that every plot rendered with a size
/// and with its text laid out.
#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("skipping: chromium not found (.ci/run installs Debian's chromium package)");
        return;
    };
    let mut cfg = BuildConfig::default();
    cfg.split.ood_fraction = 0.3;
    let (dir, _) = build_dir(&many_records(60), &cfg);
    let out = dir.path().join("out");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let n_plots = html.matches("<figure class=\"plot\"").count();
    assert!(n_plots >= 12, "{n_plots} plots");
    // No external assets: nothing linked or loaded (the SVG namespace URI is only a name).
    assert!(!html.contains("<link") && !html.contains("src=") && !html.contains("url("));
    // A probe script measures what the browser laid out and writes it into the DOM.
    let probe = r#"<script>
window.addEventListener('load', () => {
  const out = [...document.querySelectorAll('figure.plot svg')].map(s => {
    const r = s.getBoundingClientRect();
    const texts = [...s.querySelectorAll('text')];
    const textW = texts.reduce((a, t) => a + t.getBBox().width, 0);
    return [Math.round(r.width), Math.round(r.height), texts.length, Math.round(textW)];
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body>"#;
    let probed = dir.path().join("probe.html");
    std::fs::write(&probed, html.replace("</body>", probe)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", probed.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let start = dom.find("<pre id=\"probe\">").unwrap_or_else(|| {
        panic!(
            "no probe output; stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let rest = &dom[start + "<pre id=\"probe\">".len()..];
    let json_text = &rest[..rest.find("</pre>").unwrap()];
    let sizes: Vec<[i64; 4]> = serde_json::from_str(json_text).unwrap();
    assert_eq!(sizes.len(), n_plots);
    for (i, [w, h, texts, text_w]) in sizes.iter().enumerate() {
        assert!(*w >= 700 && *h >= 60, "plot {i} is {w}x{h}");
        assert!(
            *texts >= 1 && *text_w > 10,
            "plot {i}: {texts} texts, {text_w}px wide"
        );
    }
}
