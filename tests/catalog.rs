//! The API catalog, built from `../shared/catalogs` (skipped when that is absent), the
//! App Intents fixture, and the embedded default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use wfc::catalog::{BuildReport, Catalog, Draft};

fn shared_catalogs() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/catalogs");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared not found");
        None
    }
}

struct Built {
    _dir: tempfile::TempDir,
    db: PathBuf,
    report: BuildReport,
}

/// Builds the catalog from ../shared/catalogs once per test run.
fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Option<Built>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = shared_catalogs()?;
            let dir = tempfile::tempdir().expect("temp dir");
            let db = dir.path().join("catalog.sqlite");
            let (_, report) = Catalog::build(&src, Some(&db)).expect("catalog builds");
            Some(Built {
                _dir: dir,
                db,
                report,
            })
        })
        .as_ref()
}

fn open_built() -> Option<(Catalog, &'static Built)> {
    let b = built()?;
    Some((Catalog::open(&b.db).expect("catalog opens"), b))
}

#[test]
fn all_workflowbench_apis_with_categories() {
    let Some((cat, b)) = open_built() else { return };
    for (source, rows, _) in &b.report.sources {
        eprintln!("source {source}: {rows} rows");
    }
    eprintln!(
        "WorkflowBench names resolved: {} known, {} by bundle prefix, {} by dots",
        b.report.known, b.report.bundle_prefix, b.report.dots
    );
    let text = std::fs::read_to_string(
        shared_catalogs()
            .unwrap()
            .join("workflowllm/identifier2category.json"),
    )
    .unwrap();
    let table: BTreeMap<String, Vec<String>> = serde_json::from_str(&text).unwrap();
    assert_eq!(table.len(), 1503);
    for (name, cats) in &table {
        let id = cat
            .resolve_python_name(name)
            .unwrap_or_else(|| panic!("{name} does not resolve"));
        assert_eq!(id.replace('.', "_"), *name);
        let a = cat.lookup_action(name).expect("looked up by Python name");
        assert_eq!(a.identifier, id);
        assert!(a.workflowbench, "{id} not marked WorkflowBench");
        for c in cats {
            assert!(a.categories.contains(c), "{id} lacks category {c}");
        }
    }
    assert_eq!(
        b.report.known + b.report.bundle_prefix + b.report.dots,
        1503
    );
    let stats = cat.stats().unwrap();
    assert_eq!(stats.workflowbench_actions, 1503);
    eprintln!("id resolution: {:?}", stats.id_resolution);
}

#[test]
fn eighty_three_apps() {
    let Some((cat, _)) = open_built() else { return };
    let stats = cat.stats().unwrap();
    eprintln!(
        "apps among WorkflowBench APIs: {} (all actions: {})",
        stats.workflowbench_apps, stats.apps
    );
    assert_eq!(stats.workflowbench_apps, 83);
    let dl = cat
        .lookup_action("is.workflow.actions.downloadurl")
        .unwrap();
    assert_eq!(dl.app_bundle_id.as_deref(), Some("is.workflow.actions"));
    assert_eq!(dl.app_name.as_deref(), Some("Shortcuts"));
}

#[test]
fn parameters_known() {
    let Some((cat, _)) = open_built() else { return };
    let stats = cat.stats().unwrap();
    eprintln!(
        "WorkflowBench APIs with a known parameter list: {} of {}; {} parameters, {} enum values",
        stats.workflowbench_with_parameters_known,
        stats.workflowbench_actions,
        stats.parameters,
        stats.enum_values
    );
    assert!(stats.workflowbench_with_parameters_known >= 1254);
    // Facts merge across sources: Apple's keys and enum, ShortcutsBench's types.
    let dl = cat
        .lookup_action("is_workflow_actions_downloadurl")
        .unwrap();
    let method = dl
        .parameters
        .iter()
        .find(|p| p.key == "WFHTTPMethod")
        .unwrap();
    assert_eq!(
        method.enum_values,
        ["GET", "POST", "PUT", "PATCH", "DELETE"]
    );
    assert_eq!(method.default, Some(serde_json::json!("GET")));
    assert_eq!(method.source, "apple-wfactions");
    assert_eq!(dl.provenance["name"], "apple-wfactions");
    // Apple's dump lists no parameters for text.split; another source does.
    let split = cat.lookup_action("is.workflow.actions.text.split").unwrap();
    assert!(split.parameters.iter().any(|p| p.key == "WFTextSeparator"));
}

#[test]
fn sources_are_counted() {
    let Some((cat, _)) = open_built() else { return };
    let stats = cat.stats().unwrap();
    let rows: BTreeMap<&str, i64> = stats
        .sources
        .iter()
        .map(|(n, _, r, _)| (n.as_str(), *r))
        .collect();
    eprintln!("{rows:?}");
    assert_eq!(rows["apple-wfactions"], 385);
    assert_eq!(rows["scpl-2.2"], 271);
    assert_eq!(rows["shortcutsbench"], 1414);
    assert_eq!(rows["app-identifiers"], 1832);
    assert!(rows["workflowllm"] >= 1503);
}

#[test]
fn opens_in_sqlite3_shell() {
    let Some(b) = built() else { return };
    let out = match Command::new("sqlite3")
        .arg(&b.db)
        .arg("SELECT count(*) FROM actions WHERE workflowbench; SELECT count(*) FROM search WHERE search MATCH 'download';")
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            eprintln!("skipping: sqlite3 shell not installed");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("1503"));
    assert!(lines.next().unwrap().parse::<u32>().unwrap() > 0);
}

#[test]
fn search_finds_actions() {
    let Some((cat, _)) = open_built() else { return };
    let hits = cat.search("contents of url", 5).unwrap();
    assert!(hits
        .iter()
        .any(|h| h.identifier == "is.workflow.actions.downloadurl"));
}

#[test]
fn ids_with_dash_round_trip() {
    let Some((cat, _)) = open_built() else { return };
    let dashed: Vec<String> = cat
        .all_identifiers()
        .into_iter()
        .filter(|i| i.contains('-'))
        .collect();
    assert!(dashed.len() > 100, "{}", dashed.len());
    for id in &dashed {
        assert_eq!(
            cat.resolve_python_name(&id.replace('.', "_")).as_ref(),
            Some(id)
        );
    }
    assert!(dashed.contains(&"com.charliemchapman.dark-noise.DNWidgetIntent".to_string()));
}

#[test]
fn ids_with_underscore_round_trip() {
    let mut d = Draft::default();
    for id in [
        "com.example.my_app.Do_It",
        "com.example.dash-app.Go",
        "com.example.a_b.C",
        "com.example.a.b_C",
    ] {
        d.action(id);
    }
    let cat = Catalog::from_draft(&d, None).unwrap();
    for id in ["com.example.my_app.Do_It", "com.example.dash-app.Go"] {
        assert_eq!(
            cat.resolve_python_name(&id.replace('.', "_")).as_deref(),
            Some(id)
        );
    }
    // Two identifiers written the same way: no exact inverse, so no answer.
    assert_eq!(cat.resolve_python_name("com_example_a_b_C"), None);
    assert_eq!(
        cat.lookup_action("com.example.a_b.C").unwrap().identifier,
        "com.example.a_b.C"
    );
}

#[test]
fn actionsdata_fixture_imports() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let (cat, report) = Catalog::build(&fixtures, None).unwrap();
    assert!(report
        .sources
        .iter()
        .any(|(s, n, _)| s == "appintents" && *n == 2));
    let a = cat
        .lookup_action("org.example.jotter.CreateJotIntent")
        .expect("bundle id from Info.plist");
    assert_eq!(a.name.as_deref(), Some("Create Jot"));
    assert_eq!(a.app_bundle_id.as_deref(), Some("org.example.jotter"));
    assert_eq!(a.has_output, Some(true));
    assert_eq!(a.provenance["description"], "appintents");
    assert!(a.categories.contains(&"Notes".to_string()));
    let keys: Vec<&str> = a.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["text", "notebook", "color", "tags"]);
    assert_eq!(a.parameters[0].required, Some(true));
    assert_eq!(a.parameters[1].required, Some(false));
    assert_eq!(
        a.parameters[1].class.as_deref(),
        Some("entity:NotebookEntity")
    );
    assert_eq!(a.parameters[2].enum_values, ["yellow", "blue"]);
    assert_eq!(a.parameters[2].enum_labels[1].as_deref(), Some("Blue"));
    assert_eq!(a.parameters[3].python_type.as_deref(), Some("list"));
    let open = cat
        .lookup_action("org_example_jotter_OpenJotIntent")
        .unwrap();
    assert_eq!(open.has_output, Some(false));
}

#[test]
fn embedded_default_answers() {
    let cat = Catalog::embedded().unwrap();
    let a = cat
        .lookup_action("is.workflow.actions.downloadurl")
        .unwrap();
    assert_eq!(a.python_name, "is_workflow_actions_downloadurl");
    assert_eq!(a.input_key.as_deref(), Some("WFURL"));
    assert_eq!(a.provenance["description"], "wfc-default");
    let keys: Vec<&str> = a.parameters.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"WFHTTPMethod") && keys.contains(&"WFJSONValues"));
    assert_eq!(
        cat.resolve_python_name("is_workflow_actions_repeat_each")
            .as_deref(),
        Some("is.workflow.actions.repeat.each")
    );
    let ids = cat.all_identifiers();
    assert!(ids.len() >= 33, "{}", ids.len());
    let near = cat.nearest("is_workflow_actions_downloadur", 3);
    assert_eq!(near[0].0, "is.workflow.actions.downloadurl");
    assert_eq!(near[0].1, 1);
    let py = wfc::catalog::export::python(&cat.actions(false).unwrap());
    assert!(py.contains("def is_workflow_actions_downloadurl(*, WFURL: str = None"));
}

#[test]
fn cli_build_and_stats() {
    let Some(src) = shared_catalogs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("out.sqlite");
    let wfc = env!("CARGO_BIN_EXE_wfc");
    let out = Command::new(wfc)
        .args(["catalog", "build", "--from"])
        .arg(&src)
        .arg("-o")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(text.contains("apple-wfactions: 385 rows"), "{text}");
    assert!(text.contains("1503 WorkflowBench"), "{text}");
    let out = Command::new(wfc)
        .args(["catalog", "stats", "--catalog"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("apps: ") && text.contains("(83 WorkflowBench)"),
        "{text}"
    );
    // `catalog.sqlite` in the current directory is the default catalog.
    std::fs::copy(&db, dir.path().join("catalog.sqlite")).unwrap();
    let out = Command::new(wfc)
        .current_dir(dir.path())
        .args([
            "catalog",
            "show",
            "com_charliemchapman_dark-noise_DNWidgetIntent",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["identifier"],
        "com.charliemchapman.dark-noise.DNWidgetIntent"
    );
    // Without one, the embedded default answers.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(wfc)
        .current_dir(empty.path())
        .args(["catalog", "show", "is.workflow.actions.downloadurl"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["provenance"]["description"], "wfc-default");
}

/// Python's own parser reads the exported stubs, including the actions whose identifiers
/// hold a `-` (spelled as the DSL calls them, `action('id', ...)`).
#[test]
fn python_export_is_valid_python() {
    let Some((cat, _)) = open_built() else { return };
    let actions = cat.actions(false).unwrap();
    let py = wfc::catalog::export::python(&actions);
    let odd = actions
        .iter()
        .filter(|a| a.python_name.contains('-'))
        .count();
    assert!(odd > 0, "the full catalog has identifiers with `-`");
    assert!(py.contains("@overload\ndef action(identifier: Literal['"));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("stubs.py");
    std::fs::write(&f, &py).unwrap();
    let out = match Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
        .arg(&f)
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            eprintln!("skipping the ast.parse check: no python3");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A catalog enriched by `catalog learn` is not silently rebuilt over.
#[test]
fn rebuild_over_learned_facts_needs_force() {
    let Some(src) = shared_catalogs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let wfc = env!("CARGO_BIN_EXE_wfc");
    let run = |args: &[&str]| Command::new(wfc).args(args).output().unwrap();
    let (src, db_s) = (src.to_str().unwrap(), db.to_str().unwrap());
    assert!(run(&["catalog", "build", "--from", src, "-o", db_s])
        .status
        .success());
    // A shortcut calling an action no source knows gives learned facts.
    let shortcuts = dir.path().join("shortcuts");
    std::fs::create_dir(&shortcuts).unwrap();
    std::fs::write(
        shortcuts.join("s.plist"),
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>WFWorkflowActions</key><array>\
         <dict><key>WFWorkflowActionIdentifier</key><string>com.example.unknown.DoIt</string>\
         <key>WFWorkflowActionParameters</key><dict><key>Level</key><integer>3</integer></dict></dict>\
         </array></dict></plist>",
    )
    .unwrap();
    let learn = run(&[
        "catalog",
        "learn",
        shortcuts.to_str().unwrap(),
        "--catalog",
        db_s,
    ]);
    assert!(
        learn.status.success(),
        "{}",
        String::from_utf8_lossy(&learn.stderr)
    );
    let again = run(&["catalog", "build", "--from", src, "-o", db_s]);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("recorded by `wfc catalog learn`") && err.contains("--force"),
        "{err}"
    );
    let cat = Catalog::open(&db).unwrap();
    assert!(
        cat.lookup_action("com.example.unknown.DoIt").is_some(),
        "learned facts kept"
    );
    drop(cat);
    let forced = run(&["catalog", "build", "--from", src, "-o", db_s, "--force"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
}
