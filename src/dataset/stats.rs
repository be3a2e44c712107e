//! Statistics in WorkflowBench's Table 1 layout, plus distributions.

use super::{is_builtin, Shape};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What statistics need of one record (no text but its id).
#[derive(Debug, Clone)]
pub struct Entry {
    pub category: Option<String>,
    /// Interned API ids.
    pub apis: Vec<u32>,
    pub shape: Shape,
    pub seed: bool,
    pub repair_rounds: u32,
}

/// One column of Table 1.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Table1 {
    pub instances: usize,
    pub apps: usize,
    pub apis: usize,
    pub categories: usize,
    pub avg_actions: f64,
    pub avg_ifs: f64,
    pub avg_loops: f64,
    pub avg_depth: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Distributions {
    /// Actions per workflow, by bucket (`1-5`, `6-10`, ...).
    pub actions: Vec<(String, usize)>,
    /// Records per category (`(none)` when absent), most first.
    pub categories: Vec<(String, usize)>,
    /// Records using each app, most first.
    pub apps: Vec<(String, usize)>,
    /// API uses (distinct per record) of Apple built-ins and of other apps.
    pub builtin_api_uses: usize,
    pub third_party_api_uses: usize,
    pub seed: usize,
    pub synthesized: usize,
    /// Records per repair-round count.
    pub repair_rounds: Vec<(u32, usize)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SplitStats {
    pub table: Table1,
    pub distributions: Distributions,
}

pub const ACTION_BUCKETS: [(u32, u32); 9] = [
    (0, 0),
    (1, 5),
    (6, 10),
    (11, 20),
    (21, 50),
    (51, 100),
    (101, 200),
    (201, 500),
    (501, u32::MAX),
];

fn bucket_name(lo: u32, hi: u32) -> String {
    if hi == u32::MAX {
        format!(">{}", lo - 1)
    } else if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

fn sorted_counts(m: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Statistics of `entries`; `api_names` resolves interned ids, `app_of` names an API's app.
pub fn compute(
    entries: &[&Entry],
    api_names: &[String],
    app_of: &dyn Fn(&str) -> String,
) -> SplitStats {
    let n = entries.len();
    let mut apis = HashSet::new();
    let mut apps = HashSet::new();
    let mut cats = HashSet::new();
    let (mut act, mut ifs, mut loops, mut depth) = (0u64, 0u64, 0u64, 0u64);
    let mut buckets = vec![0usize; ACTION_BUCKETS.len()];
    let mut cat_counts: HashMap<String, usize> = HashMap::new();
    let mut app_counts: HashMap<String, usize> = HashMap::new();
    let mut d = Distributions::default();
    let mut rounds: BTreeMap<u32, usize> = BTreeMap::new();
    let mut app_cache: HashMap<u32, String> = HashMap::new();
    for e in entries {
        act += u64::from(e.shape.actions);
        ifs += u64::from(e.shape.ifs);
        loops += u64::from(e.shape.loops);
        depth += u64::from(e.shape.depth);
        if let Some(b) = ACTION_BUCKETS
            .iter()
            .position(|(lo, hi)| (*lo..=*hi).contains(&e.shape.actions))
        {
            buckets[b] += 1;
        }
        if let Some(c) = &e.category {
            cats.insert(c.clone());
        }
        *cat_counts
            .entry(e.category.clone().unwrap_or_else(|| "(none)".into()))
            .or_default() += 1;
        let mut rec_apps = HashSet::new();
        for &a in &e.apis {
            apis.insert(a);
            let name = &api_names[a as usize];
            let app = app_cache.entry(a).or_insert_with(|| app_of(name)).clone();
            if is_builtin(name) {
                d.builtin_api_uses += 1;
            } else {
                d.third_party_api_uses += 1;
            }
            apps.insert(app.clone());
            rec_apps.insert(app);
        }
        for app in rec_apps {
            *app_counts.entry(app).or_default() += 1;
        }
        if e.seed {
            d.seed += 1;
        } else {
            d.synthesized += 1;
        }
        *rounds.entry(e.repair_rounds).or_default() += 1;
    }
    let avg = |x: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    d.actions = ACTION_BUCKETS
        .iter()
        .zip(buckets)
        .map(|((lo, hi), c)| (bucket_name(*lo, *hi), c))
        .collect();
    d.categories = sorted_counts(cat_counts);
    d.apps = sorted_counts(app_counts);
    d.repair_rounds = rounds.into_iter().collect();
    SplitStats {
        table: Table1 {
            instances: n,
            apps: apps.len(),
            apis: apis.len(),
            categories: cats.len(),
            avg_actions: avg(act),
            avg_ifs: avg(ifs),
            avg_loops: avg(loops),
            avg_depth: avg(depth),
        },
        distributions: d,
    }
}

/// Table 1 as Markdown: one column per split.
pub fn markdown_table(cols: &[(&str, &Table1)]) -> String {
    let mut s = String::from("| |");
    for (name, _) in cols {
        s.push_str(&format!(" {name} |"));
    }
    s.push_str("\n| --- |");
    for _ in cols {
        s.push_str(" --- |");
    }
    s.push('\n');
    type Getter = fn(&Table1) -> String;
    let rows: [(&str, Getter); 8] = [
        ("instances", |t| t.instances.to_string()),
        ("apps", |t| t.apps.to_string()),
        ("APIs", |t| t.apis.to_string()),
        ("workflow categories", |t| t.categories.to_string()),
        ("average actions", |t| format!("{:.1}", t.avg_actions)),
        ("average IFs", |t| format!("{:.1}", t.avg_ifs)),
        ("average loops", |t| format!("{:.1}", t.avg_loops)),
        ("average nesting depth", |t| format!("{:.1}", t.avg_depth)),
    ];
    for (label, get) in rows {
        s.push_str(&format!("| {label} |"));
        for (_, t) in cols {
            s.push_str(&format!(" {} |", get(t)));
        }
        s.push('\n');
    }
    s
}

/// Interns API identifiers as small ids.
#[derive(Default)]
pub struct Interner {
    pub names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_distributions() {
        let names = vec![
            "is.workflow.actions.url".to_string(),
            "com.x.app.do".to_string(),
        ];
        let e1 = Entry {
            category: Some("Utilities".into()),
            apis: vec![0, 1],
            shape: Shape {
                actions: 4,
                ifs: 1,
                loops: 0,
                depth: 2,
            },
            seed: true,
            repair_rounds: 0,
        };
        let e2 = Entry {
            category: None,
            apis: vec![0],
            shape: Shape {
                actions: 12,
                ifs: 0,
                loops: 2,
                depth: 3,
            },
            seed: false,
            repair_rounds: 1,
        };
        let app = |a: &str| {
            if a.starts_with("is.") {
                "Shortcuts".to_string()
            } else {
                "X".to_string()
            }
        };
        let s = compute(&[&e1, &e2], &names, &app);
        assert_eq!(
            s.table,
            Table1 {
                instances: 2,
                apps: 2,
                apis: 2,
                categories: 1,
                avg_actions: 8.0,
                avg_ifs: 0.5,
                avg_loops: 1.0,
                avg_depth: 2.5
            }
        );
        assert_eq!(s.distributions.builtin_api_uses, 2);
        assert_eq!(s.distributions.third_party_api_uses, 1);
        assert_eq!(s.distributions.apps[0], ("Shortcuts".to_string(), 2));
        let md = markdown_table(&[("train", &s.table)]);
        assert!(md.contains("| average actions | 8.0 |"), "{md}");
    }
}

/// Statistics of record files of any naming (a dataset directory's split files, or one file
/// such as WorkflowBench's `data_samples.json`). Programs that do not parse (after repair
/// when asked) are counted and left out of the table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileStats {
    pub records: usize,
    pub parsed: usize,
    pub repaired: usize,
    pub unparsed: usize,
    pub unreadable: usize,
    pub splits: BTreeMap<String, SplitStats>,
}

/// Computes [`FileStats`] for `path`: a directory (its `train`, `test_id`, `test_ood` JSONL
/// files, plus `all`) or one record file (`all`).
pub fn stats_of_path(
    path: &std::path::Path,
    catalog: &crate::catalog::Catalog,
    repair: bool,
) -> std::io::Result<FileStats> {
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    if path.is_dir() {
        for s in super::split::Split::ALL {
            let p = path.join(format!("{}.jsonl", s.name()));
            if p.is_file() {
                files.push((s.name().to_string(), p));
            }
        }
        if files.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no train/test_id/test_ood .jsonl files", path.display()),
            ));
        }
    } else {
        files.push(("all".into(), path.to_path_buf()));
    }
    let checker = crate::check::Checker::new(catalog);
    let mut interner = Interner::default();
    let mut out = FileStats::default();
    let mut per: Vec<(String, Vec<Entry>)> = Vec::new();
    for (name, p) in &files {
        let mut entries = Vec::new();
        let fname = p.display().to_string();
        super::input::read(p, &mut |it| {
            let super::input::Item::Value(index, v) = it else {
                if matches!(it, super::input::Item::Bad(..)) {
                    out.records += 1;
                    out.unreadable += 1;
                }
                return;
            };
            out.records += 1;
            let Ok((r, naming)) = super::record::from_json(v, &fname, index) else {
                out.unreadable += 1;
                return;
            };
            let Some(code) = r.code.as_deref() else {
                out.unparsed += 1;
                return;
            };
            let opts = crate::dsl::ParseOptions {
                deterministic_uuids: true,
                ..Default::default()
            };
            let mut wf = crate::dsl::parse(code, opts).ok();
            if wf.is_none() && repair && naming.is_workflowbench() {
                let (fixed, kinds) = super::repair::repair(code);
                if !kinds.is_empty() {
                    if let Ok(w) = crate::dsl::parse(&fixed, opts) {
                        if super::build::calls_survive(code, &w, &checker) {
                            out.repaired += 1;
                            wf = Some(w);
                        }
                    }
                }
            }
            let Some(wf) = wf else {
                out.unparsed += 1;
                return;
            };
            out.parsed += 1;
            entries.push(Entry {
                category: r.category.clone(),
                apis: wf.apis().iter().map(|a| interner.id(a)).collect(),
                shape: Shape::of(&wf),
                seed: r.provenance.origin != "synthesized",
                repair_rounds: r.provenance.repair_rounds,
            });
        })?;
        per.push((name.clone(), entries));
    }
    let app_of = super::build::app_namer(catalog);
    let mut all: Vec<&Entry> = Vec::new();
    for (name, es) in &per {
        let refs: Vec<&Entry> = es.iter().collect();
        all.extend(refs.iter().copied());
        if name != "all" {
            out.splits
                .insert(name.clone(), compute(&refs, &interner.names, &app_of));
        }
    }
    out.splits
        .insert("all".into(), compute(&all, &interner.names, &app_of));
    Ok(out)
}
