//! `wfc dataset build`: filter, repair, deduplicate, split, and write a dataset directory.
//!
//! Streaming: a reader thread hands batches of raw records to worker threads (each with its
//! own catalog and checker); the main thread takes their results in input order, so the
//! outcome does not depend on scheduling, and deduplicates. Kept records go to a temporary
//! file until the splits are known; what stays in memory per kept record is the dedup index
//! plus an id, a category and interned API ids.

use super::dedup::{self, DedupConfig, Deduper};
use super::input::{self, Item};
use super::record::{self, Naming, Record};
use super::repair::{self, Repairs};
use super::split::{self, Split, SplitConfig};
use super::stats::{self, Entry, Interner, SplitStats};
use super::Shape;
use crate::catalog::Catalog;
use crate::check::{Checker, Severity};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

#[derive(thiserror::Error, Debug)]
pub enum BuildError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("catalog: {0}")]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error("split verification failed: {0:?}")]
    Verify(Vec<String>),
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |e| BuildError::Io(p.to_path_buf(), e)
}

/// Where workers get their catalog.
#[derive(Debug, Clone)]
pub enum CatalogSource {
    Path(PathBuf),
    Embedded,
}

impl CatalogSource {
    pub fn open(&self) -> Result<Catalog, crate::catalog::CatalogError> {
        match self {
            CatalogSource::Path(p) => Catalog::open(p),
            CatalogSource::Embedded => Catalog::embedded(),
        }
    }
}

/// Which checker findings reject a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CheckLevel {
    /// Errors reject.
    Error,
    /// Errors and warnings reject.
    Warning,
    /// The checker is not run.
    Off,
}

/// Quality-filter settings.
#[derive(Debug, Clone, Serialize)]
pub struct FilterConfig {
    pub check_level: CheckLevel,
    pub min_actions: u32,
    pub max_actions: u32,
    pub max_chars: usize,
    pub require_query: bool,
    pub require_plan: bool,
}

impl Default for FilterConfig {
    fn default() -> Self {
        FilterConfig {
            check_level: CheckLevel::Error,
            min_actions: 1,
            max_actions: 1000,
            max_chars: 100_000,
            require_query: true,
            require_plan: true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildConfig {
    pub filter: FilterConfig,
    pub dedup: DedupConfig,
    pub split: SplitConfig,
    /// Undo WorkflowBench's known defects.
    pub repair_workflowbench: bool,
    /// Also write WorkflowBench's field names.
    pub workflowbench_names: bool,
    pub jobs: usize,
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            filter: FilterConfig::default(),
            dedup: DedupConfig::default(),
            split: SplitConfig::default(),
            repair_workflowbench: false,
            workflowbench_names: false,
            jobs: 2,
        }
    }
}

/// The quality-filter rules, each a named reason in `rejected.jsonl`.
pub const RULES: [&str; 15] = [
    "unreadable",
    "internal-error",
    "stage-error",
    "missing-code",
    "missing-query",
    "missing-plan",
    "too-long",
    "parse",
    "compile",
    "check",
    "unknown-api",
    "claimed-api-unused",
    "too-few-actions",
    "too-many-actions",
    "duplicate-id",
];

/// Actions a WorkflowBench record lists among its APIs though its code shows them as
/// assignments or comments, not calls: never counted as claimed-but-unused.
const IMPLICIT_APIS: [&str; 5] = [
    "is.workflow.actions.setvariable",
    "is.workflow.actions.appendvariable",
    "is.workflow.actions.getvariable",
    "is.workflow.actions.comment",
    "is.workflow.actions.nothing",
];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reason {
    pub rule: &'static str,
    pub detail: String,
}

/// A record after the filter, with what the dedup and statistics need.
struct Checked {
    record: Option<Record>,
    /// The raw value of a record that could not be read.
    raw: Option<Value>,
    naming: Option<Naming>,
    reasons: Vec<Reason>,
    repairs: Repairs,
    parsed_as_is: bool,
    features: Option<Features>,
}

struct Features {
    exact: u128,
    action_sig: Option<dedup::Signature>,
    query_sig: Option<dedup::Signature>,
    shape: Shape,
}

struct Ctx<'c> {
    checker: Checker<'c>,
    cfg: &'c BuildConfig,
}

fn reason(rule: &'static str, detail: impl Into<String>) -> Reason {
    Reason {
        rule,
        detail: detail.into(),
    }
}

/// Runs every rule on one record (all that can run: a program that does not parse is not
/// compiled or checked).
fn check_record(mut r: Record, naming: Naming, ctx: &Ctx) -> Checked {
    let cfg = &ctx.cfg.filter;
    let mut reasons = Vec::new();
    if let Some(e) = &r.error {
        reasons.push(reason("stage-error", e.clone()));
    }
    if cfg.require_query && r.query.is_none() {
        reasons.push(reason("missing-query", "the record has no query"));
    }
    if cfg.require_plan && r.task_plan.is_none() {
        reasons.push(reason("missing-plan", "the record has no task plan"));
    }
    let mut out = Checked {
        record: None,
        raw: None,
        naming: Some(naming),
        reasons: Vec::new(),
        repairs: Repairs::new(),
        parsed_as_is: false,
        features: None,
    };
    let Some(code) = r.code.clone() else {
        reasons.push(reason("missing-code", "the record has no program"));
        out.reasons = reasons;
        out.record = Some(r);
        return out;
    };
    if code.len() > cfg.max_chars {
        reasons.push(reason(
            "too-long",
            format!("{} characters, more than {}", code.len(), cfg.max_chars),
        ));
        out.reasons = reasons;
        out.record = Some(r);
        return out;
    }
    let opts = crate::dsl::ParseOptions {
        deterministic_uuids: true,
        ..Default::default()
    };
    let mut parsed = crate::dsl::parse(&code, opts);
    out.parsed_as_is = parsed.is_ok();
    if parsed.is_err() && ctx.cfg.repair_workflowbench && naming.is_workflowbench() {
        let (fixed, kinds) = repair::repair(&code);
        if !kinds.is_empty() {
            if let Ok(wf) = crate::dsl::parse(&fixed, opts) {
                if calls_survive(&code, &wf, &ctx.checker) {
                    out.repairs = kinds;
                    r.code = Some(fixed);
                    parsed = Ok(wf);
                }
            }
        }
    }
    let wf = match parsed {
        Ok(wf) => wf,
        Err(diags) => {
            let d = &diags[0];
            let (line, col) = d.position(r.code.as_deref().unwrap_or(""));
            reasons.push(reason(
                "parse",
                format!("{line}:{col}: {} ({} errors)", d.message, diags.len()),
            ));
            out.reasons = reasons;
            out.record = Some(r);
            return out;
        }
    };
    let plist = crate::compile::compile(&wf);
    let mut bytes = Vec::new();
    if let Err(e) = plist::to_writer_binary(&mut bytes, &plist::Value::Dictionary(plist.clone())) {
        reasons.push(reason(
            "compile",
            format!("the compiled plist does not serialize: {e}"),
        ));
    }
    let shape = Shape::of(&wf);
    if shape.actions == 0 {
        reasons.push(reason("compile", "the program compiles to no action"));
    }
    if shape.actions < cfg.min_actions {
        reasons.push(reason(
            "too-few-actions",
            format!("{} actions, fewer than {}", shape.actions, cfg.min_actions),
        ));
    }
    if shape.actions > cfg.max_actions {
        reasons.push(reason(
            "too-many-actions",
            format!("{} actions, more than {}", shape.actions, cfg.max_actions),
        ));
    }
    let called = wf.apis();
    let unknown: Vec<&str> = called
        .iter()
        .filter(|a| ctx.checker.resolve(a).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        reasons.push(reason("unknown-api", unknown.join(", ")));
    }
    let called_set: HashSet<&str> = called.iter().map(String::as_str).collect();
    let unused: Vec<&str> = r
        .apis
        .iter()
        .map(String::as_str)
        .filter(|a| !called_set.contains(a) && !IMPLICIT_APIS.contains(a))
        .filter(|a| {
            // A claim may name the API by its Python name.
            ctx.checker
                .resolve(a)
                .is_none_or(|info| !called_set.contains(info.identifier.as_str()))
        })
        .collect();
    if !unused.is_empty() {
        reasons.push(reason("claimed-api-unused", unused.join(", ")));
    }
    if cfg.check_level != CheckLevel::Off {
        let findings = ctx.checker.check(&wf);
        if r.provenance.verdict.is_none() {
            r.provenance.verdict = Some(crate::check::verdict(&findings).to_string());
        }
        let failing: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error || cfg.check_level == CheckLevel::Warning)
            .collect();
        if !failing.is_empty() {
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for f in &failing {
                *kinds.entry(f.kind.name()).or_default() += 1;
            }
            let detail: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
            let first = &failing[0].message;
            reasons.push(reason(
                "check",
                format!("{} (first: {first})", detail.join(", ")),
            ));
        }
    }
    // The record's APIs are the ones its program calls.
    r.apis = called;
    let (exact, tokens) = dedup::fingerprint(&plist);
    let action_sig = dedup::minhash(dedup::action_shingles(&tokens));
    let query_sig = r
        .query
        .as_deref()
        .and_then(|q| dedup::minhash(dedup::query_shingles(q)));
    out.features = Some(Features {
        exact,
        action_sig,
        query_sig,
        shape,
    });
    out.reasons = reasons;
    out.record = Some(r);
    out
}

/// Whether every API call of `original` is still a call in the repaired workflow: each name
/// the catalog knows is called at least as often.
pub fn calls_survive(original: &str, wf: &crate::ir::Workflow, checker: &Checker) -> bool {
    let mut after: HashMap<String, usize> = HashMap::new();
    crate::ir::visit_actions(&wf.body, &mut |a| {
        *after.entry(a.id.clone()).or_default() += 1;
    });
    repair::called_names(original).into_iter().all(|(name, n)| {
        match checker.resolve(&name) {
            Some(info) => after.get(&info.identifier).copied().unwrap_or(0) >= n,
            // Not an API (a DSL helper such as `coerce_variable`).
            None => true,
        }
    })
}

/// Counts about WorkflowBench records and the repairs made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairReport {
    pub enabled: bool,
    /// Repair kind → places changed (over kept and rejected records).
    pub kinds: BTreeMap<String, usize>,
    pub records_repaired: usize,
    pub workflowbench_records: usize,
    pub workflowbench_parse_as_is: usize,
    pub workflowbench_parse_after_repair: usize,
    /// WorkflowBench records passing the quality filter without repair / with it.
    pub workflowbench_pass_without_repair: usize,
    pub workflowbench_pass_with_repair: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    /// Every record is in exactly one of the split files or `rejected.jsonl`.
    pub accounted: bool,
    /// No id is in two split files.
    pub disjoint: bool,
    /// OOD invariants (see `split::verify`).
    pub ood_invariants: bool,
    pub violations: Vec<String>,
}

/// Everything `stats.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub inputs: Vec<String>,
    pub records_read: usize,
    pub namings: BTreeMap<String, usize>,
    pub rejected: usize,
    /// Rule → records failing it (a record may fail several).
    pub rejected_by_rule: BTreeMap<String, usize>,
    /// `exact`, `near-actions`, `near-query` → records removed.
    pub duplicates: BTreeMap<String, usize>,
    pub repair: RepairReport,
    pub splits: BTreeMap<String, usize>,
    pub held_out_apis: Vec<String>,
    pub exempt_apis: Vec<String>,
    pub verification: Verification,
    pub config: BuildConfig,
    pub stats: BTreeMap<String, SplitStats>,
}

/// Records per batch sent to a worker.
const BATCH: usize = 64;

struct Raw {
    file: String,
    index: usize,
    value: Result<Value, String>,
}

/// Builds a dataset from `inputs` into `out_dir`.
pub fn build(
    inputs: &[PathBuf],
    catalog: &CatalogSource,
    out_dir: &Path,
    cfg: &BuildConfig,
) -> Result<BuildReport, BuildError> {
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    // Fail early on a catalog that cannot open.
    let main_catalog = catalog.open()?;
    let kept_path = out_dir.join(".kept.jsonl.tmp");
    let rejected_path = out_dir.join("rejected.jsonl");
    let mut kept_w = BufWriter::new(std::fs::File::create(&kept_path).map_err(io(&kept_path))?);
    let mut rej_w =
        BufWriter::new(std::fs::File::create(&rejected_path).map_err(io(&rejected_path))?);

    let mut report = BuildReport {
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        records_read: 0,
        namings: BTreeMap::new(),
        rejected: 0,
        rejected_by_rule: BTreeMap::new(),
        duplicates: BTreeMap::new(),
        repair: RepairReport {
            enabled: cfg.repair_workflowbench,
            ..Default::default()
        },
        splits: BTreeMap::new(),
        held_out_apis: Vec::new(),
        exempt_apis: split::EXEMPT_APIS.iter().map(|s| s.to_string()).collect(),
        verification: Verification::default(),
        config: cfg.clone(),
        stats: BTreeMap::new(),
    };
    let mut deduper = Deduper::new(cfg.dedup);
    let mut interner = Interner::default();
    let mut kept_ids: Vec<String> = Vec::new();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut categories: Vec<Option<String>> = Vec::new();
    let mut key_dev: HashSet<String> = HashSet::new();
    let mut key_train: HashSet<String> = HashSet::new();
    let mut read_errors: Vec<BuildError> = Vec::new();

    let jobs = cfg.jobs.max(1);
    let (raw_tx, raw_rx) = mpsc::sync_channel::<(usize, Vec<Raw>)>(jobs * 2);
    let raw_rx = std::sync::Mutex::new(raw_rx);
    let (res_tx, res_rx) = mpsc::sync_channel::<(usize, Vec<Checked>)>(jobs * 2);
    let (keys_tx, keys_rx) = mpsc::channel::<(Vec<String>, Vec<String>)>();

    let result: Result<(), BuildError> = std::thread::scope(|s| {
        // Reader.
        let reader = s.spawn(move || -> Vec<BuildError> {
            let mut errors = Vec::new();
            let mut seq = 0;
            let mut batch = Vec::with_capacity(BATCH);
            for path in inputs {
                let file = path.display().to_string();
                let mut push = |raw: Raw| {
                    batch.push(raw);
                    if batch.len() >= BATCH {
                        let b = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // A closed channel means the build stopped; the rest is not read.
                        let _ = raw_tx.send((seq, b));
                        seq += 1;
                    }
                };
                let r = input::read(path, &mut |it| match it {
                    Item::Value(index, v) => push(Raw {
                        file: file.clone(),
                        index,
                        value: Ok(v),
                    }),
                    Item::Bad(index, why) => push(Raw {
                        file: file.clone(),
                        index,
                        value: Err(why),
                    }),
                    Item::Keys { train, dev } => {
                        let _ = keys_tx.send((train, dev));
                    }
                });
                if let Err(e) = r {
                    errors.push(BuildError::Io(path.clone(), e));
                }
            }
            if !batch.is_empty() {
                let _ = raw_tx.send((seq, batch));
            }
            errors
        });
        let mut workers = Vec::new();
        for _ in 0..jobs {
            let res_tx = res_tx.clone();
            let raw_rx = &raw_rx;
            workers.push(s.spawn(move || -> Result<(), BuildError> {
                let cat = catalog.open()?;
                let ctx = Ctx {
                    checker: Checker::new(&cat),
                    cfg,
                };
                loop {
                    let next = raw_rx.lock().map(|r| r.recv());
                    let Ok(Ok((seq, batch))) = next else { break };
                    let out: Vec<Checked> = batch
                        .into_iter()
                        .map(|raw| match raw.value {
                            Err(why) => {
                                unreadable(json!({"file": raw.file, "index": raw.index}), why)
                            }
                            Ok(v) => match record::from_json(v.clone(), &raw.file, raw.index) {
                                Ok((rec, naming)) => {
                                    let id = rec.id.clone();
                                    // A bug on one record must not stop the batch: it
                                    // becomes that record's reason.
                                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                        check_record(rec, naming, &ctx)
                                    }))
                                    .unwrap_or_else(|_| {
                                        let mut c = unreadable(json!({"id": id}), String::new());
                                        c.reasons = vec![reason(
                                            "internal-error",
                                            "wfc failed while checking this record (a bug)",
                                        )];
                                        c
                                    })
                                }
                                Err(why) => unreadable(v, why),
                            },
                        })
                        .collect();
                    if res_tx.send((seq, out)).is_err() {
                        break;
                    }
                }
                Ok(())
            }));
        }
        drop(res_tx);
        // Results in input order.
        let mut pending: BTreeMap<usize, Vec<Checked>> = BTreeMap::new();
        let mut next = 0;
        let mut write_err: Option<BuildError> = None;
        for (seq, batch) in res_rx.iter() {
            pending.insert(seq, batch);
            while let Some(batch) = pending.remove(&next) {
                next += 1;
                for c in batch {
                    let r = take(
                        c,
                        cfg,
                        &mut report,
                        &mut deduper,
                        &mut interner,
                        &mut kept_ids,
                        &mut seen_ids,
                        &mut entries,
                        &mut categories,
                        &mut kept_w,
                        &mut rej_w,
                        &rejected_path,
                        &kept_path,
                    );
                    if let Err(e) = r {
                        write_err.get_or_insert(e);
                    }
                }
            }
        }
        read_errors = reader.join().unwrap_or_default();
        for w in workers {
            match w.join() {
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(BuildError::Verify(vec!["a worker thread panicked".into()])),
                Ok(Ok(())) => {}
            }
        }
        match write_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    });
    result?;
    if let Some(e) = read_errors.into_iter().next() {
        return Err(e);
    }
    for (train, dev) in keys_rx.try_iter() {
        key_train.extend(train);
        key_dev.extend(dev);
    }
    kept_w.flush().map_err(io(&kept_path))?;
    drop(kept_w);

    // Splits.
    let exempt: HashSet<u32> = split::EXEMPT_APIS
        .iter()
        .filter_map(|a| interner.get(a))
        .collect();
    let items: Vec<split::Item> = entries
        .iter()
        .zip(&categories)
        .map(|(e, c)| split::Item {
            category: c.clone(),
            apis: e.apis.clone(),
        })
        .collect();
    let mut assignment = split::assign(&items, &exempt, &cfg.split);
    // A split key file given as input decides the ID split of the records it names (OOD
    // records stay OOD: they use held-out APIs).
    for (i, id) in kept_ids.iter().enumerate() {
        if assignment.splits[i] != Split::TestOod {
            if key_dev.contains(id) {
                assignment.splits[i] = Split::TestId;
            } else if key_train.contains(id) {
                assignment.splits[i] = Split::Train;
            }
        }
    }
    let mut violations = split::verify(&items, &assignment, &exempt);
    report.verification.ood_invariants = violations.is_empty();
    let mut held: Vec<String> = assignment
        .held_out
        .iter()
        .map(|&a| interner.names[a as usize].clone())
        .collect();
    held.sort();
    report.held_out_apis = held;

    // Second pass: kept records into their split files.
    let mut writers = Vec::new();
    for s in Split::ALL {
        let p = out_dir.join(format!("{}.jsonl", s.name()));
        writers.push((
            p.clone(),
            BufWriter::new(std::fs::File::create(&p).map_err(io(&p))?),
        ));
    }
    let mut split_ids: BTreeMap<Split, Vec<String>> = BTreeMap::new();
    {
        let f = std::fs::File::open(&kept_path).map_err(io(&kept_path))?;
        let mut r = std::io::BufReader::new(f);
        let mut line = String::new();
        let mut i = 0;
        loop {
            line.clear();
            if r.read_line(&mut line).map_err(io(&kept_path))? == 0 {
                break;
            }
            let Some(&s) = assignment.splits.get(i) else {
                violations.push(format!("kept record {i} has no split"));
                break;
            };
            let (p, w) = &mut writers[s as usize];
            w.write_all(line.as_bytes()).map_err(io(p))?;
            split_ids.entry(s).or_default().push(kept_ids[i].clone());
            i += 1;
        }
        if i != kept_ids.len() {
            violations.push(format!("{} kept records, {i} written", kept_ids.len()));
        }
    }
    for (p, mut w) in writers {
        w.flush().map_err(io(&p))?;
    }
    let _ = std::fs::remove_file(&kept_path);

    // Split key files, WorkflowLLM's layout (`dev` is the test set).
    let train_ids = split_ids.get(&Split::Train).cloned().unwrap_or_default();
    for (file, s) in [
        ("dataset_split_keys.json", Split::TestId),
        ("dataset_split_keys_ood.json", Split::TestOod),
    ] {
        let p = out_dir.join(file);
        let v = json!({"train": train_ids, "dev": split_ids.get(&s).cloned().unwrap_or_default()});
        std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap_or_default()).map_err(io(&p))?;
    }

    // Verification: disjoint, and every record accounted for.
    let mut all: HashSet<&str> = HashSet::new();
    let mut n_split = 0;
    for ids in split_ids.values() {
        for id in ids {
            n_split += 1;
            if !all.insert(id) {
                violations.push(format!("id {id} in two splits"));
            }
        }
    }
    report.verification.disjoint = n_split == all.len();
    report.verification.accounted = n_split + report.rejected == report.records_read;
    if !report.verification.accounted {
        violations.push(format!(
            "{} records read, {} in splits, {} rejected",
            report.records_read, n_split, report.rejected
        ));
    }
    for s in Split::ALL {
        report
            .splits
            .insert(s.name().into(), split_ids.get(&s).map_or(0, Vec::len));
    }
    report.verification.violations = violations.clone();

    // Statistics.
    let app_of = app_namer(&main_catalog);
    let mut all_entries = Vec::new();
    for s in Split::ALL {
        let es: Vec<&Entry> = entries
            .iter()
            .zip(&assignment.splits)
            .filter(|(_, x)| **x == s)
            .map(|(e, _)| e)
            .collect();
        all_entries.extend(es.iter().copied());
        report.stats.insert(
            s.name().into(),
            stats::compute(&es, &interner.names, &app_of),
        );
    }
    report.stats.insert(
        "all".into(),
        stats::compute(&all_entries, &interner.names, &app_of),
    );
    if !violations.is_empty() {
        return Err(BuildError::Verify(violations));
    }
    Ok(report)
}

/// Names an API's app from the catalog (its app name, else its bundle id), else from the
/// identifier: Apple's built-ins are `Shortcuts`, others the identifier without its last part.
pub fn app_namer(cat: &Catalog) -> impl Fn(&str) -> String + '_ {
    move |api: &str| {
        if super::is_builtin(api) {
            return "Shortcuts".into();
        }
        if let Some(info) = cat.lookup_action(api) {
            if let Some(n) = info.app_name.or(info.app_bundle_id) {
                return n;
            }
        }
        api.rsplit_once('.').map_or(api, |(a, _)| a).to_string()
    }
}

fn unreadable(raw: Value, why: String) -> Checked {
    Checked {
        record: None,
        raw: Some(raw),
        naming: None,
        reasons: vec![reason("unreadable", why)],
        repairs: Repairs::new(),
        parsed_as_is: false,
        features: None,
    }
}

/// Takes one filtered record in input order: dedup, then to the kept file or rejected.jsonl.
#[allow(clippy::too_many_arguments)]
fn take(
    c: Checked,
    cfg: &BuildConfig,
    report: &mut BuildReport,
    deduper: &mut Deduper,
    interner: &mut Interner,
    kept_ids: &mut Vec<String>,
    seen_ids: &mut HashSet<String>,
    entries: &mut Vec<Entry>,
    categories: &mut Vec<Option<String>>,
    kept_w: &mut impl Write,
    rej_w: &mut impl Write,
    rej_path: &Path,
    kept_path: &Path,
) -> Result<(), BuildError> {
    report.records_read += 1;
    let Checked {
        record,
        raw,
        naming,
        mut reasons,
        repairs,
        parsed_as_is,
        features,
    } = c;
    if let Some(n) = naming {
        let name = serde_json::to_value(n)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *report.namings.entry(name).or_default() += 1;
    }
    let wfb = naming.is_some_and(Naming::is_workflowbench);
    if !repairs.is_empty() {
        report.repair.records_repaired += 1;
        for (k, n) in &repairs {
            *report.repair.kinds.entry(k.to_string()).or_default() += n;
        }
    }
    if wfb {
        report.repair.workflowbench_records += 1;
        if parsed_as_is {
            report.repair.workflowbench_parse_as_is += 1;
        } else if !repairs.is_empty() {
            report.repair.workflowbench_parse_after_repair += 1;
        }
    }
    if let Some(r) = &record {
        if reasons.is_empty() && !seen_ids.insert(r.id.clone()) {
            reasons.push(reason(
                "duplicate-id",
                format!("a kept record already has id {}", r.id),
            ));
        }
    }
    if wfb && reasons.is_empty() {
        report.repair.workflowbench_pass_with_repair += 1;
        if repairs.is_empty() {
            report.repair.workflowbench_pass_without_repair += 1;
        }
    }
    let mut dup = None;
    if reasons.is_empty() {
        if let Some(f) = &features {
            dup = deduper.offer(f.exact, f.action_sig, f.shape.actions as usize, f.query_sig);
        }
    }
    let rec_json = |r: &Record| r.to_json(cfg.workflowbench_names);
    if !reasons.is_empty() || dup.is_some() {
        report.rejected += 1;
        for r in &reasons {
            *report
                .rejected_by_rule
                .entry(r.rule.to_string())
                .or_default() += 1;
        }
        let mut v = match (&record, raw) {
            (Some(r), _) => rec_json(r),
            (None, Some(raw)) => json!({ "raw": raw }),
            (None, None) => json!({}),
        };
        let mut rs: Vec<Value> = reasons
            .iter()
            .map(|r| json!({"rule": r.rule, "detail": r.detail}))
            .collect();
        if let Some(d) = &dup {
            if let Some(r) = &record {
                seen_ids.remove(&r.id);
            }
            *report.duplicates.entry(d.kind.to_string()).or_default() += 1;
            *report
                .rejected_by_rule
                .entry("duplicate".into())
                .or_default() += 1;
            rs.push(json!({
                "rule": "duplicate",
                "detail": format!("{} duplicate (similarity {:.2})", d.kind, d.similarity),
                "kind": d.kind,
                "duplicate_of": kept_ids[d.of],
            }));
        }
        if let Value::Object(m) = &mut v {
            m.insert("reasons".into(), Value::Array(rs));
            if let Some(d) = &dup {
                m.insert("duplicate_of".into(), Value::String(kept_ids[d.of].clone()));
            }
            if !repairs.is_empty() {
                m.insert("repairs".into(), json!(repairs));
            }
        }
        serde_json::to_writer(&mut *rej_w, &v)
            .map_err(|e| BuildError::Io(rej_path.to_path_buf(), e.into()))?;
        rej_w.write_all(b"\n").map_err(io(rej_path))?;
        return Ok(());
    }
    let (Some(r), Some(f)) = (record, features) else {
        return Ok(());
    };
    serde_json::to_writer(&mut *kept_w, &rec_json(&r))
        .map_err(|e| BuildError::Io(kept_path.to_path_buf(), e.into()))?;
    kept_w.write_all(b"\n").map_err(io(kept_path))?;
    let apis: Vec<u32> = r.apis.iter().map(|a| interner.id(a)).collect();
    entries.push(Entry {
        category: r.category.clone(),
        apis,
        shape: f.shape,
        seed: r.provenance.origin != "synthesized",
        repair_rounds: r.provenance.repair_rounds,
    });
    categories.push(r.category.clone());
    kept_ids.push(r.id);
    Ok(())
}

/// Writes `stats.json`, `stats.md` (Table 1 and the counts), `report.html` and `plots/*.svg`.
pub fn write_reports(report: &BuildReport, out_dir: &Path) -> Result<(), BuildError> {
    let p = out_dir.join("stats.json");
    std::fs::write(&p, serde_json::to_vec_pretty(report).unwrap_or_default()).map_err(io(&p))?;
    let p = out_dir.join("stats.md");
    std::fs::write(&p, summary_markdown(report)).map_err(io(&p))?;
    let (html, plots) = super::plot::report_html(report);
    let p = out_dir.join("report.html");
    std::fs::write(&p, html).map_err(io(&p))?;
    let dir = out_dir.join("plots");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    for (id, svg) in plots {
        let p = dir.join(format!("{id}.svg"));
        std::fs::write(&p, svg).map_err(io(&p))?;
    }
    Ok(())
}

/// The build's numbers as Markdown: splits, Table 1, rejections, duplicates, repairs.
pub fn summary_markdown(r: &BuildReport) -> String {
    let mut s = String::from("# Dataset build\n\n");
    s.push_str(&format!(
        "{} records read; {} kept, {} rejected.\n\n",
        r.records_read,
        r.records_read - r.rejected,
        r.rejected
    ));
    s.push_str("## Splits\n\n| split | records |\n| --- | --- |\n");
    for (k, v) in &r.splits {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    let v = &r.verification;
    s.push_str(&format!(
        "\nVerified: disjoint = {}, every record accounted for = {}, OOD invariants = {}; {} APIs held out for OOD.\n\n",
        v.disjoint,
        v.accounted,
        v.ood_invariants,
        r.held_out_apis.len()
    ));
    s.push_str("## Table 1\n\n");
    s.push_str(&super::plot::table1_markdown(r));
    s.push_str(
        "\n## Rejected, by rule (a record may fail several)\n\n| rule | records |\n| --- | --- |\n",
    );
    for (k, v) in &r.rejected_by_rule {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    s.push_str("\n## Duplicates removed\n\n| kind | records |\n| --- | --- |\n");
    for (k, v) in &r.duplicates {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    let rp = &r.repair;
    s.push_str(&format!(
        "\n## WorkflowBench records\n\nrepair enabled: {}; {} records; {} parse as released, {} more after repair; {} pass the filter without repair, {} with it.\n",
        rp.enabled,
        rp.workflowbench_records,
        rp.workflowbench_parse_as_is,
        rp.workflowbench_parse_after_repair,
        rp.workflowbench_pass_without_repair,
        rp.workflowbench_pass_with_repair
    ));
    if !rp.kinds.is_empty() {
        s.push_str("\n| repair kind | places |\n| --- | --- |\n");
        for (k, n) in &rp.kinds {
            s.push_str(&format!("| {k} | {n} |\n"));
        }
    }
    s
}
