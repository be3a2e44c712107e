//! The 50 published WorkflowBench samples: which compile, and why the rest do not.

use std::collections::BTreeMap;
use std::path::Path;
use wfc::dsl::{parse, ParseOptions};

#[test]
fn workflowbench_samples_compile_or_get_precise_errors() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/workflowbench/data_samples.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: ../shared not found");
        return;
    };
    let samples: Vec<serde_json::Value> = serde_json::from_str(&text).expect("samples are JSON");
    assert_eq!(samples.len(), 50);
    let mut compiled = 0;
    let mut by_kind: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        let code = s["annotated_code"].as_str().expect("annotated_code");
        match parse(
            code,
            ParseOptions {
                deterministic_uuids: true,
                ..Default::default()
            },
        ) {
            Ok(wf) => {
                compiled += 1;
                // What compiles must also compile to a plist that lifts back.
                let plist = wfc::compile::compile(&wf);
                assert!(plist.contains_key("WFWorkflowActions"));
                eprintln!("sample {i:2}: compiles, {} actions", wf.action_count());
            }
            Err(diags) => {
                let d = &diags[0];
                let (line, col) = d.position(code);
                // Every error points inside the sample.
                assert!(line <= code.lines().count() + 1, "sample {i}: line {line}");
                eprintln!("sample {i:2}: {}:{}: {}", line, col, d.message);
                // Group by the message without its quoted detail.
                let kind = d.message.split('`').next().unwrap_or("").trim().to_string();
                by_kind.entry(kind).or_default().push(i);
            }
        }
    }
    eprintln!("{compiled} of 50 samples compile");
    for (k, v) in &by_kind {
        eprintln!("{:3} × {k} (samples {v:?})", v.len());
    }
    // Measured: 4 compile (of the 7 that are valid Python, 3 use variables they never set).
    assert_eq!(compiled, 4);
}
