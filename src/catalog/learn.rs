//! `wfc catalog learn DIR`: usage observed in real shortcuts, for the actions no source
//! documents and the parameters no source lists.
//!
//! Every shortcut under the directory is converted; for each action call, each parameter
//! key and the kind of its value ([`crate::check::value_kind`]) are counted. What the
//! catalog does not know yet is recorded with source `inferred`:
//!
//! * an action no source lists gets an `actions` row (`params_source = 'inferred'`, app
//!   = the identifier without its last component) and an FTS row;
//! * a parameter key the action's list lacks gets a `parameters` row (`source =
//!   'inferred'`, `type_name = 'observed'`, `python_type` from the most frequent kind);
//! * every observation is counted in `observed(action, key, kind, count)` and every
//!   inferred action in `observed_actions(action, calls, shortcuts)`; counts add up over
//!   runs, so learning from two directories accumulates.
//!
//! The checker treats inferred facts as existence only: an inferred action is not
//! unknown, an inferred parameter is not unknown, and neither makes a finding of its own.

use super::{python_name, Catalog, CatalogError, Source};
use crate::ir::{visit_actions, Workflow};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;

/// Tables `learn` adds to a catalog (created when missing).
pub const LEARN_SQL: &str = "
CREATE TABLE IF NOT EXISTS observed (
    action TEXT NOT NULL,
    key    TEXT NOT NULL,
    kind   TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (action, key, kind)
);
CREATE TABLE IF NOT EXISTS observed_actions (
    action    TEXT PRIMARY KEY,
    calls     INTEGER NOT NULL,
    shortcuts INTEGER NOT NULL
);";

/// What a learning run saw and added.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct LearnReport {
    pub shortcuts: usize,
    pub failed: usize,
    pub calls: usize,
    pub new_actions: usize,
    pub new_parameters: usize,
    pub observations: usize,
}

/// key → value kind → count.
pub type KeyKinds = BTreeMap<String, BTreeMap<String, usize>>;

/// Observations: action → (calls, shortcuts, key → kind → count).
#[derive(Default)]
pub struct Observations {
    pub actions: BTreeMap<String, (usize, usize, KeyKinds)>,
}

impl Observations {
    pub fn add(&mut self, wf: &Workflow) {
        let mut seen = std::collections::HashSet::new();
        visit_actions(&wf.body, &mut |a| {
            let e = self.actions.entry(a.id.clone()).or_default();
            e.0 += 1;
            if seen.insert(a.id.clone()) {
                e.1 += 1;
            }
            for (k, v) in &a.params {
                *e.2.entry(k.clone())
                    .or_default()
                    .entry(crate::check::value_kind(v).to_string())
                    .or_default() += 1;
            }
        });
    }
}

fn python_type(kind: &str) -> &'static str {
    match kind {
        "text" => "str",
        "number" => "float",
        "boolean" => "bool",
        "dictionary" => "dict",
        "list" => "list",
        _ => "Any",
    }
}

/// Converts every shortcut under `dir` and records what the catalog at `db` lacks.
pub fn learn(dir: &Path, db: &Path) -> Result<LearnReport, CatalogError> {
    // Checks that it is a catalog of this schema.
    drop(Catalog::open(db)?);
    let (inputs, errors, _) = crate::convert::collect_inputs(&[dir.display().to_string()]);
    let limits = crate::limits::Limits::default();
    let mut obs = Observations::default();
    let mut report = LearnReport {
        failed: errors.len(),
        ..Default::default()
    };
    for i in &inputs {
        match crate::convert::load(i, &limits) {
            Ok(wf) => {
                report.shortcuts += 1;
                obs.add(&wf);
            }
            Err(_) => report.failed += 1,
        }
    }
    let mut conn = Connection::open(db)?;
    record(&mut conn, &obs, &mut report, &dir.display().to_string())?;
    Ok(report)
}

/// Writes observations into an open catalog database.
pub fn record(
    conn: &mut Connection,
    obs: &Observations,
    report: &mut LearnReport,
    from: &str,
) -> Result<(), CatalogError> {
    conn.execute_batch(LEARN_SQL)?;
    let tx = conn.transaction()?;
    let inferred = Source::Inferred.name();
    for (id, (calls, shortcuts, keys)) in &obs.actions {
        report.calls += calls;
        let known: Option<String> = tx
            .query_row(
                "SELECT identifier FROM actions WHERE identifier = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let is_new = known.is_none();
        if is_new {
            report.new_actions += 1;
            let app = id.rsplit_once('.').map(|(b, _)| b).unwrap_or(id);
            tx.execute(
                "INSERT OR IGNORE INTO apps(bundle_id, name, source) VALUES (?1, NULL, ?2)",
                params![app, inferred],
            )?;
            tx.execute(
                "INSERT INTO actions(identifier, python_name, app_bundle_id, app_source,
                    params_source, workflowbench)
                 VALUES (?1, ?2, ?3, ?4, ?4, 0)",
                params![id, python_name(id), app, inferred],
            )?;
            tx.execute(
                "INSERT INTO search(identifier, kind, key, name, text)
                 VALUES (?1, 'action', NULL, ?2, 'observed in shortcuts')",
                params![id, id.replace(['.', '-', '_'], " ")],
            )?;
        }
        if is_new {
            tx.execute(
                "INSERT INTO observed_actions(action, calls, shortcuts) VALUES (?1, ?2, ?3)
                 ON CONFLICT(action) DO UPDATE SET calls = calls + excluded.calls,
                    shortcuts = shortcuts + excluded.shortcuts",
                params![id, *calls as i64, *shortcuts as i64],
            )?;
        } else {
            tx.execute(
                "UPDATE observed_actions SET calls = calls + ?2, shortcuts = shortcuts + ?3
                 WHERE action = ?1",
                params![id, *calls as i64, *shortcuts as i64],
            )?;
        }
        let mut next_pos: i64 = tx.query_row(
            "SELECT coalesce(max(position) + 1, 0) FROM parameters WHERE action = ?1",
            [id],
            |r| r.get(0),
        )?;
        for (key, kinds) in keys {
            let listed: Option<String> = tx
                .query_row(
                    "SELECT source FROM parameters WHERE action = ?1 AND key = ?2",
                    params![id, key],
                    |r| r.get(0),
                )
                .optional()?;
            if listed.as_deref().is_some_and(|s| s != inferred) {
                continue;
            }
            for (kind, n) in kinds {
                report.observations += 1;
                tx.execute(
                    "INSERT INTO observed(action, key, kind, count) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(action, key, kind) DO UPDATE SET count = count + excluded.count",
                    params![id, key, kind, *n as i64],
                )?;
            }
            if listed.is_none() {
                report.new_parameters += 1;
                let top = kinds
                    .iter()
                    .max_by_key(|(k, n)| (**n, std::cmp::Reverse(k.as_str())))
                    .map(|(k, _)| k.as_str())
                    .unwrap_or("");
                let total: usize = kinds.values().sum();
                tx.execute(
                    "INSERT INTO parameters(action, position, key, class, type_name,
                        python_type, python_type_source, required, description,
                        description_source, source)
                     VALUES (?1, ?2, ?3, NULL, 'observed', ?4, ?5, NULL, ?6, ?5, ?5)",
                    params![
                        id,
                        next_pos,
                        key,
                        python_type(top),
                        inferred,
                        format!("Observed {total} times (mostly {top}).")
                    ],
                )?;
                next_pos += 1;
            }
        }
        tx.execute(
            "UPDATE actions SET params_source = ?2
             WHERE identifier = ?1 AND params_source IS NULL
               AND EXISTS (SELECT 1 FROM parameters WHERE action = ?1)",
            params![id, inferred],
        )?;
    }
    let rows: i64 = tx.query_row("SELECT count(*) FROM observed_actions", [], |r| r.get(0))?;
    tx.execute(
        "INSERT INTO sources(name, precedence, path, rows, note) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(name) DO UPDATE SET
            path = coalesce(path || ';', '') || excluded.path,
            rows = excluded.rows, note = excluded.note",
        params![
            inferred,
            Source::Inferred.rank(),
            from,
            rows,
            "wfc catalog learn: parameter keys and value kinds seen in shortcuts (table observed)"
        ],
    )?;
    tx.commit()?;
    Ok(())
}
