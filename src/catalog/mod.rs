//! The API catalog: what every Shortcuts action is called, which app it belongs to, its
//! parameters, their types, defaults and allowed values, and where each fact came from.
//!
//! The catalog is an SQLite database (schema in `schema.sql`, described in
//! `docs/catalog.md`):
//!
//! * `apps(bundle_id, name, source)`
//! * `actions(identifier, python_name, name, description, summary, app_bundle_id,
//!   input_key, has_output, output_name, output_types, params_source, workflowbench,
//!   id_resolution)` with a `*_source` column per fact
//! * `categories(action, category, source)`, many-to-many
//! * `parameters(action, position, key, label, class, type_name, python_type, required,
//!   default_json, description, source)` with `python_type_source`, `description_source`
//! * `enums(action, key, position, value, label, source)`
//! * `sources(name, precedence, path, rows, note)`
//! * `search`, an FTS5 table over action names/descriptions and parameter descriptions.
//!
//! [`build_from_dir`] reads the known source files under a directory and merges them,
//! fact by fact, by [`Source`] precedence, first wins: Apple's `WFActions.plist`, App
//! Intents `extract.actionsdata`, ShortcutsBench, WorkflowLLM tables, scpl's
//! `Shortcuts-2.2.json`, wfc's own `apis/builtin.json`, inferred. [`Catalog::embedded`]
//! loads only the built-in default catalog into memory.

mod draft;
pub mod embedded;
pub mod export;
pub mod import_appintents;
pub mod import_apple;
pub mod import_apps;
pub mod import_shortcutsbench;
pub mod import_workflowllm;
pub mod learn;
mod store;

pub use draft::Draft;
pub use import_workflowllm::{Resolution, ResolutionCounts, Resolver};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The SQL that creates an empty catalog.
pub const SCHEMA_SQL: &str = include_str!("schema.sql");
/// Bumped when the schema changes.
pub const SCHEMA_VERSION: i64 = 1;
/// The app that Shortcuts' own actions are assigned to.
pub const BUILTIN_APP: &str = "is.workflow.actions";

/// Where a fact came from, in order of precedence (first wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Source {
    /// Apple's `WFActions.plist`.
    Apple,
    /// An app's App Intents metadata (`extract.actionsdata`).
    AppIntents,
    /// ShortcutsBench's `all_api2info.json` and companions.
    ShortcutsBench,
    /// WorkflowLLM's `identifier2*.json` tables.
    WorkflowLlm,
    /// scpl's `Shortcuts-2.2.json` (iOS 12 era).
    Scpl,
    /// wfc's own `apis/builtin.json`.
    WfcDefault,
    /// scpl's `App-Identifiers.json` (app names only).
    AppIdentifiers,
    /// Derived by a documented rule (app assignment, app names).
    Inferred,
}

impl Source {
    pub const ALL: [Source; 8] = [
        Source::Apple,
        Source::AppIntents,
        Source::ShortcutsBench,
        Source::WorkflowLlm,
        Source::Scpl,
        Source::WfcDefault,
        Source::AppIdentifiers,
        Source::Inferred,
    ];

    /// Lower wins.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Source::Apple => "apple-wfactions",
            Source::AppIntents => "appintents",
            Source::ShortcutsBench => "shortcutsbench",
            Source::WorkflowLlm => "workflowllm",
            Source::Scpl => "scpl-2.2",
            Source::WfcDefault => "wfc-default",
            Source::AppIdentifiers => "app-identifiers",
            Source::Inferred => "inferred",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{path}: {msg}")]
    Source { path: PathBuf, msg: String },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Other(String),
}

impl CatalogError {
    pub(crate) fn source(path: &Path, msg: impl std::fmt::Display) -> Self {
        CatalogError::Source {
            path: path.to_path_buf(),
            msg: msg.to_string(),
        }
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|e| CatalogError::source(path, e))?;
    serde_json::from_str(&text).map_err(|e| CatalogError::source(path, e))
}

/// A one-element array stands for its element (some dumps are wrapped that way).
pub(crate) fn unwrap_single(v: &Value) -> &Value {
    match v {
        Value::Array(a) if a.len() == 1 => &a[0],
        other => other,
    }
}

/// The file names that [`build_from_dir`] looks for.
pub const KNOWN_FILES: [&str; 10] = [
    "WFActions.plist",
    "Shortcuts-2.2.json",
    "all_api2info.json",
    "all_api2paraname2paratype.json",
    "2_all_detailed_identifiers.json",
    "identifier2category.json",
    "identifier2keyparams.json",
    "identifier2output.json",
    "App-Identifiers.json",
    "extract.actionsdata",
];

/// What a build read and produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    /// (source name, records read, files)
    pub sources: Vec<(String, usize, Vec<String>)>,
    /// How WorkflowBench names were mapped to identifiers.
    pub known: usize,
    pub bundle_prefix: usize,
    pub dots: usize,
    pub actions: usize,
}

/// Finds the known source files under `dir` (recursively) and merges them into a draft.
pub fn build_from_dir(dir: &Path) -> Result<(Draft, BuildReport), CatalogError> {
    let mut found: BTreeMap<&'static str, Vec<PathBuf>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| CatalogError::source(dir, e))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if let Some(k) = KNOWN_FILES.iter().find(|k| **k == name) {
            found.entry(k).or_default().push(entry.into_path());
        }
    }
    if found.is_empty() {
        return Err(CatalogError::source(
            dir,
            format!(
                "none of the known catalog files found ({})",
                KNOWN_FILES.join(", ")
            ),
        ));
    }
    let first = |k: &str| found.get(k).and_then(|v| v.first()).map(PathBuf::as_path);
    let mut d = Draft::default();
    embedded::import(&mut d).map_err(CatalogError::Other)?;
    if let Some(p) = first("App-Identifiers.json") {
        import_apps::import(&mut d, p)?;
    }
    if let Some(p) = first("WFActions.plist") {
        import_apple::import_wfactions_plist(&mut d, p)?;
    }
    if let Some(p) = first("Shortcuts-2.2.json") {
        import_apple::import_scpl_dump(&mut d, p)?;
    }
    for p in found.get("extract.actionsdata").into_iter().flatten() {
        import_appintents::import(&mut d, p, None)?;
    }
    let types = first("all_api2paraname2paratype.json");
    let info = first("all_api2info.json");
    if types.is_some() || info.is_some() {
        import_shortcutsbench::import(&mut d, types, info)?;
    }
    if let Some(p) = first("2_all_detailed_identifiers.json") {
        import_shortcutsbench::import_app_groups(&mut d, p)?;
    }
    let counts = import_workflowllm::import(
        &mut d,
        import_workflowllm::Paths {
            categories: first("identifier2category.json"),
            keyparams: first("identifier2keyparams.json"),
            output: first("identifier2output.json"),
        },
    )?;
    let report = BuildReport {
        sources: d
            .runs
            .iter()
            .map(|r| (r.source.name().to_string(), r.rows, r.paths.clone()))
            .collect(),
        known: counts.known,
        bundle_prefix: counts.bundle_prefix,
        dots: counts.dots,
        actions: d.actions.len(),
    };
    Ok((d, report))
}

/// One parameter of an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamInfo {
    pub key: String,
    pub label: Option<String>,
    pub class: Option<String>,
    pub type_name: Option<String>,
    pub python_type: Option<String>,
    pub required: Option<bool>,
    pub default: Option<Value>,
    pub description: Option<String>,
    /// Allowed values (empty when any value goes).
    pub enum_values: Vec<String>,
    pub enum_labels: Vec<Option<String>>,
    pub source: String,
}

/// Everything the catalog knows about one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionInfo {
    pub identifier: String,
    pub python_name: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub summary: Option<String>,
    pub app_bundle_id: Option<String>,
    pub app_name: Option<String>,
    pub input_key: Option<String>,
    pub has_output: Option<bool>,
    pub output_name: Option<String>,
    pub output_types: Vec<String>,
    pub categories: Vec<String>,
    pub parameters: Vec<ParamInfo>,
    /// Listed among WorkflowBench's 1,503 APIs.
    pub workflowbench: bool,
    /// fact → source name
    pub provenance: BTreeMap<String, String>,
}

/// A full-text search hit.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub identifier: String,
    pub name: Option<String>,
    /// Where it matched: `action` or `parameter KEY`.
    pub matched: String,
    pub snippet: String,
}

/// Counts for `wfc catalog stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub actions: i64,
    pub workflowbench_actions: i64,
    pub apps: i64,
    pub workflowbench_apps: i64,
    pub parameters: i64,
    pub actions_with_parameters_known: i64,
    pub workflowbench_with_parameters_known: i64,
    pub enum_values: i64,
    pub categories: i64,
    /// (source, precedence, rows, note)
    pub sources: Vec<(String, i64, i64, Option<String>)>,
    /// (resolution, count) over WorkflowBench names
    pub id_resolution: Vec<(String, i64)>,
}

/// An open catalog.
pub struct Catalog {
    conn: Connection,
}

impl Catalog {
    /// Opens a built catalog read-only.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| CatalogError::source(path, format!("not a wfc catalog ({e})")))?;
        if version.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
            return Err(CatalogError::source(
                path,
                format!("catalog schema version {version:?}, expected {SCHEMA_VERSION}"),
            ));
        }
        Ok(Catalog { conn })
    }

    /// The built-in default catalog (`apis/builtin.json`), in memory.
    pub fn embedded() -> Result<Self, CatalogError> {
        let mut d = Draft::default();
        embedded::import(&mut d).map_err(CatalogError::Other)?;
        Self::from_draft(&d, None)
    }

    /// Stores a draft in a new database at `path` (replacing any file there), or in memory.
    pub fn from_draft(d: &Draft, path: Option<&Path>) -> Result<Self, CatalogError> {
        let mut conn = match path {
            Some(p) => {
                if p.exists() {
                    std::fs::remove_file(p).map_err(|e| CatalogError::source(p, e))?;
                }
                Connection::open(p)?
            }
            None => Connection::open_in_memory()?,
        };
        store::write(&mut conn, d)?;
        Ok(Catalog { conn })
    }

    /// Builds a catalog from the source files under `dir` into `out`.
    pub fn build(dir: &Path, out: Option<&Path>) -> Result<(Self, BuildReport), CatalogError> {
        let (d, report) = build_from_dir(dir)?;
        Ok((Self::from_draft(&d, out)?, report))
    }

    /// The underlying connection, for queries this API does not cover.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The identifier whose Python name (`.` written `_`) is `name`; `None` when no
    /// action, or more than one, is written that way.
    pub fn resolve_python_name(&self, name: &str) -> Option<String> {
        let mut st = self
            .conn
            .prepare_cached("SELECT identifier FROM actions WHERE python_name = ?1 LIMIT 2")
            .ok()?;
        let ids: Vec<String> = st
            .query_map([name], |r| r.get(0))
            .ok()?
            .filter_map(Result::ok)
            .collect();
        match ids.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// Every identifier, sorted.
    pub fn all_identifiers(&self) -> Vec<String> {
        let Ok(mut st) = self
            .conn
            .prepare_cached("SELECT identifier FROM actions ORDER BY identifier")
        else {
            return Vec::new();
        };
        st.query_map([], |r| r.get(0))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }

    /// Looks an action up by identifier or Python name.
    pub fn lookup_action(&self, id_or_python_name: &str) -> Option<ActionInfo> {
        self.lookup(id_or_python_name).ok().flatten()
    }

    fn lookup(&self, key: &str) -> Result<Option<ActionInfo>, CatalogError> {
        let exact: Option<String> = self
            .conn
            .query_row(
                "SELECT identifier FROM actions WHERE identifier = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        let id = exact.or_else(|| self.resolve_python_name(key));
        let Some(id) = id else { return Ok(None) };
        let mut info = self.conn.query_row(
            "SELECT a.identifier, a.python_name, a.name, a.description, a.summary,
                    a.app_bundle_id, p.name, a.input_key, a.has_output, a.output_name,
                    a.output_types, a.workflowbench,
                    a.name_source, a.description_source, a.summary_source, a.app_source,
                    a.input_key_source, a.output_source, a.params_source, a.id_resolution
             FROM actions a LEFT JOIN apps p ON p.bundle_id = a.app_bundle_id
             WHERE a.identifier = ?1",
            [&id],
            |r| {
                let mut prov = BTreeMap::new();
                for (i, fact) in [
                    (12, "name"),
                    (13, "description"),
                    (14, "summary"),
                    (15, "app"),
                    (16, "input_key"),
                    (17, "output"),
                    (18, "parameters"),
                    (19, "id_resolution"),
                ] {
                    if let Some(s) = r.get::<_, Option<String>>(i)? {
                        prov.insert(fact.to_string(), s);
                    }
                }
                let types: Option<String> = r.get(10)?;
                Ok(ActionInfo {
                    identifier: r.get(0)?,
                    python_name: r.get(1)?,
                    name: r.get(2)?,
                    description: r.get(3)?,
                    summary: r.get(4)?,
                    app_bundle_id: r.get(5)?,
                    app_name: r.get(6)?,
                    input_key: r.get(7)?,
                    has_output: r.get::<_, Option<bool>>(8)?,
                    output_name: r.get(9)?,
                    output_types: types
                        .and_then(|t| serde_json::from_str(&t).ok())
                        .unwrap_or_default(),
                    categories: Vec::new(),
                    parameters: Vec::new(),
                    workflowbench: r.get(11)?,
                    provenance: prov,
                })
            },
        )?;
        let mut st = self.conn.prepare_cached(
            "SELECT DISTINCT category FROM categories WHERE action = ?1 ORDER BY category",
        )?;
        info.categories = st
            .query_map([&id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut st = self.conn.prepare_cached(
            "SELECT key, label, class, type_name, python_type, required, default_json,
                    description, source
             FROM parameters WHERE action = ?1 ORDER BY position",
        )?;
        let mut params: Vec<ParamInfo> = st
            .query_map([&id], |r| {
                let default: Option<String> = r.get(6)?;
                Ok(ParamInfo {
                    key: r.get(0)?,
                    label: r.get(1)?,
                    class: r.get(2)?,
                    type_name: r.get(3)?,
                    python_type: r.get(4)?,
                    required: r.get::<_, Option<bool>>(5)?,
                    default: default.and_then(|d| serde_json::from_str(&d).ok()),
                    description: r.get(7)?,
                    enum_values: Vec::new(),
                    enum_labels: Vec::new(),
                    source: r.get(8)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut st = self.conn.prepare_cached(
            "SELECT value, label FROM enums WHERE action = ?1 AND key = ?2 ORDER BY position",
        )?;
        for p in &mut params {
            for row in st.query_map(params![&id, &p.key], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })? {
                let (v, l) = row?;
                p.enum_values.push(v);
                p.enum_labels.push(l);
            }
        }
        info.parameters = params;
        Ok(Some(info))
    }

    /// Up to `k` identifiers closest to `name` by edit distance (compared with the
    /// identifier when `name` contains a dot, else with the Python name), nearest first.
    pub fn nearest(&self, name: &str, k: usize) -> Vec<(String, usize)> {
        let Ok(mut st) = self
            .conn
            .prepare_cached("SELECT identifier, python_name FROM actions")
        else {
            return Vec::new();
        };
        let by_id = name.contains('.');
        let Ok(rows) = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        else {
            return Vec::new();
        };
        let mut scored: Vec<(String, usize)> = rows
            .filter_map(Result::ok)
            .map(|(id, py)| {
                let d = strsim::levenshtein(name, if by_id { &id } else { &py });
                (id, d)
            })
            .collect();
        scored.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }

    /// Full-text search over action names and descriptions and parameter descriptions.
    /// Every word of `query` must match (prefix match on the last one).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, CatalogError> {
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{w}\""))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let fts = format!("{}*", words.join(" "));
        let mut st = self.conn.prepare_cached(
            "SELECT s.identifier, a.name, s.kind, s.key,
                    snippet(search, -1, '[', ']', '…', 12)
             FROM search s JOIN actions a ON a.identifier = s.identifier
             WHERE search MATCH ?1 ORDER BY bm25(search, 0, 0, 0, 4.0, 1.0) LIMIT ?2",
        )?;
        let rows = st.query_map(params![fts, (limit * 4) as i64], |r| {
            let kind: String = r.get(2)?;
            let key: Option<String> = r.get(3)?;
            Ok(SearchHit {
                identifier: r.get(0)?,
                name: r.get(1)?,
                matched: match key {
                    Some(k) if kind == "parameter" => format!("parameter {k}"),
                    _ => kind,
                },
                snippet: r.get(4)?,
            })
        })?;
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for h in rows {
            let h = h?;
            if seen.insert(h.identifier.clone()) {
                out.push(h);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Counts of what the catalog holds.
    pub fn stats(&self) -> Result<Stats, CatalogError> {
        let one = |sql: &str| -> Result<i64, CatalogError> {
            Ok(self.conn.query_row(sql, [], |r| r.get(0))?)
        };
        let mut st = self
            .conn
            .prepare("SELECT name, precedence, rows, note FROM sources ORDER BY precedence")?;
        let sources = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut st = self.conn.prepare(
            "SELECT id_resolution, count(*) FROM actions
             WHERE workflowbench AND id_resolution IS NOT NULL
             GROUP BY id_resolution ORDER BY id_resolution",
        )?;
        let id_resolution = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Stats {
            actions: one("SELECT count(*) FROM actions")?,
            workflowbench_actions: one("SELECT count(*) FROM actions WHERE workflowbench")?,
            apps: one("SELECT count(DISTINCT app_bundle_id) FROM actions")?,
            workflowbench_apps: one(
                "SELECT count(DISTINCT app_bundle_id) FROM actions WHERE workflowbench",
            )?,
            parameters: one("SELECT count(*) FROM parameters")?,
            actions_with_parameters_known: one(
                "SELECT count(*) FROM actions WHERE params_source IS NOT NULL",
            )?,
            workflowbench_with_parameters_known: one(
                "SELECT count(*) FROM actions WHERE workflowbench AND params_source IS NOT NULL",
            )?,
            enum_values: one("SELECT count(*) FROM enums")?,
            categories: one("SELECT count(DISTINCT category) FROM categories")?,
            sources,
            id_resolution,
        })
    }

    /// Every action, in identifier order (optionally only WorkflowBench's).
    pub fn actions(&self, workflowbench_only: bool) -> Result<Vec<ActionInfo>, CatalogError> {
        let mut st = self.conn.prepare(
            "SELECT identifier FROM actions WHERE workflowbench OR NOT ?1 ORDER BY identifier",
        )?;
        let ids: Vec<String> = st
            .query_map([workflowbench_only], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(a) = self.lookup(&id)? {
                out.push(a);
            }
        }
        Ok(out)
    }
}

/// The Python name of an identifier: every `.` written `_` (WorkflowLLM's convention).
pub fn python_name(identifier: &str) -> String {
    identifier.replace('.', "_")
}
