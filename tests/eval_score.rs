//! `wfc eval score` over gold records with controlled damage: the scores order as the damage
//! does and the pass verdicts name the rule each damage breaks.

use serde_json::{json, Value};
use std::process::Command;

const GOLD: &str = include_str!("fixtures/check/clean.py");

fn apis(code: &str) -> Vec<String> {
    wfc::dsl::parse(code, Default::default())
        .expect("the gold program parses")
        .apis()
}

fn write_jsonl(path: &std::path::Path, rows: &[Value]) {
    let text: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    std::fs::write(path, text.join("\n") + "\n").unwrap();
}

#[test]
fn damage_orders_scores_and_verdicts() {
    let dropped_line = "        is_workflow_actions_showresult(Text=f'''{Last}''')\n";
    assert!(GOLD.contains(dropped_line));
    let damaged = [
        ("verbatim", GOLD.to_string()),
        (
            "undefined",
            GOLD.replace("WFInput=Dictionary,", "WFInput=Dictionry,"),
        ),
        ("dropped", GOLD.replace(dropped_line, "")),
        (
            "unparseable",
            "Sorry, I can't write that workflow (it needs an app you do not have.".to_string(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let gold: Vec<Value> = damaged
        .iter()
        .map(|(id, _)| json!({"id": id, "code": GOLD, "apis": apis(GOLD)}))
        .collect();
    let ood = vec![json!({"id": "ood1", "code": GOLD, "apis": apis(GOLD)})];
    let mut preds: Vec<Value> = damaged
        .iter()
        .map(|(id, code)| json!({"id": id, "code": code}))
        .collect();
    preds.push(json!({"id": "ood1", "code": GOLD}));
    write_jsonl(&dir.path().join("gold_id.jsonl"), &gold);
    write_jsonl(&dir.path().join("gold_ood.jsonl"), &ood);
    write_jsonl(&dir.path().join("pred.jsonl"), &preds);
    let out_dir = dir.path().join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_wfc"))
        .current_dir(dir.path())
        .args(["eval", "score", "pred.jsonl", "--gold", "ID=gold_id.jsonl"])
        .args(["--gold", "OOD=gold_ood.jsonl", "--bootstrap", "200", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let samples: Vec<Value> = std::fs::read_to_string(out_dir.join("samples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let get = |id: &str| samples.iter().find(|s| s["id"] == id).unwrap().clone();
    let cb = |id: &str| get(id)["values"]["codebleu"].as_f64().unwrap();
    let failed = |id: &str| -> Vec<String> {
        get(id)["verdict"]["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!((cb("verbatim") - 1.0).abs() < 1e-12, "{}", cb("verbatim"));
    // One misspelt name breaks the data-flow chain through it (weight 0.4), so it costs more
    // than one dropped call; text that is no program at all scores least.
    for damaged in ["undefined", "dropped"] {
        assert!(cb("verbatim") > cb(damaged), "{damaged}");
        assert!(cb(damaged) > cb("unparseable"), "{damaged}");
    }
    // The package's `dataflow or 1` gives a no-data-flow answer the full 0.4 for data flow.
    assert!(
        cb("dropped") > 0.9 && cb("unparseable") < 0.5,
        "{}",
        cb("unparseable")
    );
    assert!(failed("verbatim").is_empty(), "{:?}", failed("verbatim"));
    assert!(failed("dropped").is_empty(), "{:?}", failed("dropped"));
    assert_eq!(failed("undefined"), ["defined-before-use"]);
    assert_eq!(failed("unparseable"), ["parses"]);

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    let splits = report["splits"].as_array().unwrap();
    assert_eq!(splits.len(), 2);
    assert_eq!(splits[0]["label"], "ID");
    assert_eq!(splits[0]["headline"]["pass_rate"]["mean"], 0.5);
    let ci = &splits[0]["headline"]["codebleu"]["ci95"];
    let mean = splits[0]["headline"]["codebleu"]["mean"].as_f64().unwrap();
    assert!(ci[0].as_f64().unwrap() <= mean && mean <= ci[1].as_f64().unwrap());
    assert_eq!(splits[1]["headline"]["pass_rate"]["mean"], 1.0);
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(
        md.contains("| ID CodeBLEU |") && md.contains("| OOD Pass Rate |"),
        "{md}"
    );
    for dim in ["actions", "branches_loops", "depth"] {
        let svg = std::fs::read_to_string(out_dir.join(format!("breakdown-{dim}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("polyline"), "{dim}");
    }
}
