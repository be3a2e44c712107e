//! `wfc catalog`: build, query and export the API catalog.

use super::open_catalog;
use anyhow::{bail, Result};
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use wfc::catalog::{export, Catalog};

#[derive(Subcommand)]
pub enum CatalogCmd {
    /// Build a catalog database from the source files found under DIR (recursively).
    Build {
        /// Directory searched (recursively) for the known source files: WFActions.plist,
        /// Shortcuts-2.2.json, App-Identifiers.json, extract.actionsdata and WorkflowLLM's
        /// API lists.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The database to write (replaced if it exists).
        #[arg(short, long, default_value = "catalog.sqlite")]
        output: PathBuf,
        /// Replace OUTPUT even when `catalog learn` has recorded facts in it (they are lost:
        /// run `catalog learn` again afterwards).
        #[arg(long)]
        force: bool,
    },
    /// Record parameter keys and value kinds seen in the shortcuts under DIR, for actions
    /// and parameters no source documents (source `inferred`).
    Learn {
        /// Directory of shortcuts (any container), walked recursively.
        dir: PathBuf,
        /// The catalog database to enrich (default: catalog.sqlite).
        /// Catalog database (default: catalog.sqlite if present, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Counts per table and per source.
    Stats {
        /// Catalog database (default: catalog.sqlite if present, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Everything known about one action (identifier or Python name), as JSON.
    Show {
        /// An action identifier (`is.workflow.actions.gettext`) or its Python name.
        id: String,
        /// Catalog database (default: catalog.sqlite if present, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Full-text search over names and descriptions.
    Search {
        /// Words to look for (SQLite FTS5 syntax).
        query: String,
        /// Most results printed.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Catalog database (default: catalog.sqlite if present, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Every API as Python stubs or as a JSON function-calling tool list.
    Export {
        /// `python`: function stubs with docstrings; `json`: a function-calling tool list.
        #[arg(long, value_enum, default_value_t = ExportFormat::Python)]
        format: ExportFormat,
        /// Only the APIs WorkflowBench lists.
        #[arg(long)]
        workflowbench: bool,
        /// Catalog database (default: catalog.sqlite if present, else the embedded one).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Python,
    Json,
}

pub(crate) fn catalog_cmd(cmd: CatalogCmd) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match cmd {
        CatalogCmd::Build {
            from,
            output,
            force,
        } => {
            let learned = learned_facts(&output);
            if learned > 0 && !force {
                bail!(
                    "{} holds {learned} facts recorded by `wfc catalog learn`, which a rebuild \
                     would drop; pass --force to rebuild anyway (then run `catalog learn` \
                     again), or write elsewhere with -o",
                    output.display()
                );
            }
            let (cat, report) = Catalog::build(&from, Some(&output))?;
            for (source, rows, _) in &report.sources {
                writeln!(out, "{source:>16}: {rows} rows")?;
            }
            writeln!(
                out,
                "WorkflowBench names: {} known, {} by bundle prefix, {} by dots",
                report.known, report.bundle_prefix, report.dots
            )?;
            let stats = cat.stats()?;
            writeln!(
                out,
                "{} actions ({} WorkflowBench, {} apps), {} parameters -> {}",
                stats.actions,
                stats.workflowbench_actions,
                stats.workflowbench_apps,
                stats.parameters,
                output.display()
            )?;
        }
        CatalogCmd::Learn { dir, catalog } => {
            let db = catalog.unwrap_or_else(|| PathBuf::from("catalog.sqlite"));
            if !db.is_file() {
                bail!(
                    "{}: no catalog database to learn into (build one with `wfc catalog build`)",
                    db.display()
                );
            }
            let r = wfc::catalog::learn::learn(&dir, &db)?;
            writeln!(
                out,
                "{} shortcuts read ({} failed), {} calls: {} new actions, {} new parameters, {} observations -> {}",
                r.shortcuts, r.failed, r.calls, r.new_actions, r.new_parameters, r.observations,
                db.display()
            )?;
        }
        CatalogCmd::Stats { catalog } => {
            let s = open_catalog(catalog.as_deref())?.stats()?;
            writeln!(
                out,
                "actions: {} ({} WorkflowBench)",
                s.actions, s.workflowbench_actions
            )?;
            writeln!(
                out,
                "apps: {} ({} WorkflowBench)",
                s.apps, s.workflowbench_apps
            )?;
            writeln!(
                out,
                "parameters: {} (lists known for {} actions, {} WorkflowBench)",
                s.parameters,
                s.actions_with_parameters_known,
                s.workflowbench_with_parameters_known
            )?;
            writeln!(
                out,
                "enum values: {}, categories: {}",
                s.enum_values, s.categories
            )?;
            for (name, prec, rows, note) in &s.sources {
                let note = note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                writeln!(out, "source {prec} {name}: {rows} rows{note}")?;
            }
            for (how, n) in &s.id_resolution {
                writeln!(out, "WorkflowBench names resolved {how}: {n}")?;
            }
        }
        CatalogCmd::Show { id, catalog } => {
            let cat = open_catalog(catalog.as_deref())?;
            match cat.lookup_action(&id) {
                Some(a) => writeln!(out, "{}", serde_json::to_string_pretty(&a)?)?,
                None => {
                    let near: Vec<String> =
                        cat.nearest(&id, 5).into_iter().map(|(n, _)| n).collect();
                    eprintln!("error: no action {id}; did you mean: {}", near.join(", "));
                    return Ok(1);
                }
            }
        }
        CatalogCmd::Search {
            query,
            limit,
            catalog,
        } => {
            let hits = open_catalog(catalog.as_deref())?.search(&query, limit)?;
            for h in &hits {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    h.identifier,
                    h.name.as_deref().unwrap_or(""),
                    h.matched,
                    h.snippet.replace('\n', " ")
                )?;
            }
            if hits.is_empty() {
                return Ok(1);
            }
        }
        CatalogCmd::Export {
            format,
            workflowbench,
            catalog,
        } => {
            let actions = open_catalog(catalog.as_deref())?.actions(workflowbench)?;
            match format {
                ExportFormat::Python => out.write_all(export::python(&actions).as_bytes())?,
                ExportFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &export::json(&actions))?;
                    writeln!(out)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(0)
}

/// Rows `catalog learn` wrote into an existing database (0 if none, or no database).
fn learned_facts(db: &std::path::Path) -> u64 {
    if !db.is_file() {
        return 0;
    }
    let Ok(cat) = Catalog::open(db) else {
        return 0;
    };
    let count = |sql: &str| -> u64 {
        cat.connection()
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n.max(0) as u64)
    };
    count("SELECT COUNT(*) FROM observed") + count("SELECT COUNT(*) FROM observed_actions")
}
