//! The `wfc` command line: a thin layer over the library.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use wfc::catalog::{export, Catalog};
use wfc::convert::{self, Outcome};
use wfc::limits::Limits;

// Reading and lifting allocate many small strings and vectors; mimalloc makes that
// about a quarter faster than the system allocator (examples/phase_times).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "wfc",
    version,
    about = "Apple Shortcuts as WorkflowBench-style Python"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read shortcuts (any container, a directory, `-`, or an iCloud link) and print them.
    Convert {
        /// Files, directories (walked recursively), `-` for stdin, or iCloud share links.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Output: a directory for py/json (one file per input, mirroring the tree), a file
        /// for jsonl.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Py)]
        format: Format,
        /// Worker threads (default: all cores).
        #[arg(short, long)]
        jobs: Option<usize>,
    },
    /// Compile DSL source into a shortcut plist (binary by default).
    Compile {
        /// A `.py` file, or `-` for stdin.
        file: String,
        /// Output file (default: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write an XML plist instead of a binary one.
        #[arg(long)]
        xml: bool,
        /// Derive UUIDs from the source, so the same source gives the same bytes.
        #[arg(long)]
        deterministic_uuids: bool,
    },
    /// Re-print DSL files canonically.
    Fmt {
        #[arg(required = true)]
        files: Vec<String>,
        /// Only check: exit 1 if a file is not canonical.
        #[arg(long)]
        check: bool,
    },
    /// Check programs against the API catalog (exit 0 clean, 1 findings, 2 could not run).
    Check {
        /// A `.py` program, a `.jsonl` file of records (`annotated_code` or `code`), or a
        /// directory walked for both.
        path: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Build, query and export the API catalog.
    Catalog {
        #[command(subcommand)]
        cmd: CatalogCmd,
    },
}

#[derive(Subcommand)]
enum CatalogCmd {
    /// Build a catalog database from the source files found under DIR (recursively).
    Build {
        #[arg(long)]
        from: PathBuf,
        #[arg(short, long, default_value = "catalog.sqlite")]
        output: PathBuf,
    },
    /// Record parameter keys and value kinds seen in the shortcuts under DIR, for actions
    /// and parameters no source documents (source `inferred`).
    Learn {
        dir: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Counts per table and per source.
    Stats {
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Everything known about one action (identifier or Python name), as JSON.
    Show {
        id: String,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Full-text search over names and descriptions.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Every API as Python stubs or as a JSON function-calling tool list.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Python)]
        format: ExportFormat,
        /// Only the APIs WorkflowBench lists.
        #[arg(long)]
        workflowbench: bool,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ExportFormat {
    Python,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Py,
    Json,
    Jsonl,
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Convert {
            paths,
            output,
            format,
            jobs,
        } => convert_cmd(&paths, output.as_deref(), format, jobs),
        Command::Compile {
            file,
            output,
            xml,
            deterministic_uuids,
        } => compile_cmd(&file, output.as_deref(), xml, deterministic_uuids),
        Command::Fmt { files, check } => fmt_cmd(&files, check),
        Command::Check {
            path,
            catalog,
            format,
        } => check_cmd(&path, catalog.as_deref(), format),
        Command::Catalog { cmd } => catalog_cmd(cmd),
    }
}

fn read_source(file: &str) -> Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
    }
}

/// Parses a DSL file, printing its diagnostics; `None` when it has errors.
fn parse_file(file: &str, src: &str, opts: wfc::dsl::ParseOptions) -> Option<wfc::ir::Workflow> {
    match wfc::dsl::parse(src, opts) {
        Ok(wf) => Some(wf),
        Err(diags) => {
            for d in &diags {
                eprintln!("{}", d.render(file, src));
            }
            eprintln!(
                "{file}: {} error{}",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            );
            None
        }
    }
}

fn compile_cmd(file: &str, output: Option<&Path>, xml: bool, deterministic: bool) -> Result<i32> {
    let src = read_source(file)?;
    let opts = wfc::dsl::ParseOptions {
        deterministic_uuids: deterministic,
        ..Default::default()
    };
    let Some(mut wf) = parse_file(file, &src, opts) else {
        return Ok(1);
    };
    if wf.meta.is_empty() {
        wf.meta = wfc::compile::default_metadata(&wf);
    }
    let value = plist::Value::Dictionary(wfc::compile::compile(&wf));
    let mut bytes = Vec::new();
    if xml {
        value.to_writer_xml(&mut bytes)?;
    } else {
        value.to_writer_binary(&mut bytes)?;
    }
    match output {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(0)
}

fn fmt_cmd(files: &[String], check: bool) -> Result<i32> {
    let mut status = 0;
    for file in files {
        let src = read_source(file)?;
        let opts = wfc::dsl::ParseOptions {
            deterministic_uuids: true,
            ..Default::default()
        };
        let Some(wf) = parse_file(file, &src, opts) else {
            status = 1;
            continue;
        };
        let printed = wfc::dsl::print(&wf);
        if check {
            if printed != src {
                eprintln!("{file}: not canonical (run `wfc fmt {file}`)");
                status = 1;
            }
        } else if file == "-" {
            std::io::stdout().lock().write_all(printed.as_bytes())?;
        } else if printed != src {
            std::fs::write(file, printed).with_context(|| format!("writing {file}"))?;
        }
    }
    Ok(status)
}

/// `--catalog PATH`, else `catalog.sqlite` in the current directory, else the embedded one.
fn open_catalog(path: Option<&Path>) -> Result<Catalog> {
    let default = Path::new("catalog.sqlite");
    match path {
        Some(p) => Catalog::open(p).with_context(|| format!("opening {}", p.display())),
        None if default.exists() => Catalog::open(default).context("opening catalog.sqlite"),
        None => Ok(Catalog::embedded()?),
    }
}

fn catalog_cmd(cmd: CatalogCmd) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match cmd {
        CatalogCmd::Build { from, output } => {
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

fn convert_cmd(
    paths: &[String],
    output: Option<&Path>,
    format: Format,
    jobs: Option<usize>,
) -> Result<i32> {
    if let Some(j) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
            .context("setting up worker threads")?;
    }
    let (inputs, walk_errors, skipped) = convert::collect_inputs(paths);
    for (p, e) in &walk_errors {
        eprintln!("error: {p}: {e}");
    }
    if inputs.is_empty() && walk_errors.is_empty() {
        bail!("no shortcut files found in {}", paths.join(" "));
    }
    let limits = Limits::default();
    let bar = progress_bar(inputs.len());
    let outcomes: Vec<Outcome> = inputs
        .into_par_iter()
        .map(|i| {
            let o = convert::convert(i, &limits);
            bar.inc(1);
            o
        })
        .collect();
    bar.finish_and_clear();
    let before = outcomes.len();
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .filter(|o| !o.not_a_shortcut())
        .collect();
    let skipped = skipped + before - outcomes.len();

    let mut failed = walk_errors.len();
    let mut warnings = 0;
    for o in &outcomes {
        match &o.result {
            Ok((wf, _)) => {
                warnings += wf.warnings.len();
                for w in &wf.warnings {
                    eprintln!("warning: {}: {w}", o.input.display());
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", o.input.display());
            }
        }
    }
    write_outputs(&outcomes, output, format)?;
    let converted = outcomes.iter().filter(|o| o.result.is_ok()).count();
    if outcomes.len() + walk_errors.len() > 1 || failed > 0 || skipped > 0 {
        let skipped = if skipped > 0 {
            format!(", {skipped} non-shortcut files skipped")
        } else {
            String::new()
        };
        eprintln!("{converted} converted, {failed} failed, {warnings} warnings{skipped}");
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn progress_bar(n: usize) -> indicatif::ProgressBar {
    if n < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn write_outputs(outcomes: &[Outcome], output: Option<&Path>, format: Format) -> Result<()> {
    match format {
        Format::Jsonl => {
            let mut w: Box<dyn Write> = match output {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for o in outcomes {
                serde_json::to_writer(&mut w, &o.record())?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        Format::Py | Format::Json => {
            let ext = if format == Format::Py { "py" } else { "json" };
            let render = |o: &Outcome| -> Option<String> {
                let (wf, code) = o.result.as_ref().ok()?;
                Some(if format == Format::Py {
                    code.clone()
                } else {
                    serde_json::to_string_pretty(wf).expect("the IR serializes") + "\n"
                })
            };
            match output {
                Some(dir) => {
                    let rels: Vec<PathBuf> = outcomes.iter().map(|o| o.input.rel()).collect();
                    let paths = convert::output_paths(&rels, ext);
                    for (o, rel) in outcomes.iter().zip(paths) {
                        let Some(text) = render(o) else { continue };
                        let target = dir.join(rel);
                        if let Some(parent) = target.parent() {
                            std::fs::create_dir_all(parent)
                                .with_context(|| format!("creating {}", parent.display()))?;
                        }
                        std::fs::write(&target, text)
                            .with_context(|| format!("writing {}", target.display()))?;
                    }
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let many = outcomes.len() > 1;
                    for o in outcomes {
                        let Some(text) = render(o) else { continue };
                        if many && format == Format::Py {
                            writeln!(out, "# ==> {} <==", o.input.display())?;
                        }
                        out.write_all(text.as_bytes())?;
                    }
                    out.flush()?;
                }
            }
        }
    }
    Ok(())
}

fn check_cmd(path: &Path, catalog: Option<&Path>, format: CheckFormat) -> Result<i32> {
    use wfc::check::{collect_programs, json_report, verdict, Checker, Severity};
    let cat = open_catalog(catalog)?;
    let (programs, skipped) =
        collect_programs(path).with_context(|| format!("reading {}", path.display()))?;
    let checker = Checker::new(&cat);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut errors, mut warnings, mut clean) = (0, 0, 0);
    let mut with_errors = 0;
    for p in &programs {
        let findings = checker.check_source(&p.src);
        match verdict(&findings) {
            "clean" => clean += 1,
            "errors" => with_errors += 1,
            _ => {}
        }
        for f in &findings {
            match f.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        match format {
            CheckFormat::Json => writeln!(out, "{}", json_report(p, &findings))?,
            CheckFormat::Text => {
                for f in &findings {
                    writeln!(out, "{}", f.render(&p.name, &p.src))?;
                }
            }
        }
    }
    if format == CheckFormat::Text {
        let skipped = if skipped > 0 {
            format!(" ({skipped} records without code skipped)")
        } else {
            String::new()
        };
        let n = programs.len();
        writeln!(
            out,
            "{n} program{}: {clean} clean, {} with warnings only, {with_errors} with errors; {errors} errors, {warnings} warnings{skipped}",
            if n == 1 { "" } else { "s" },
            n - clean - with_errors
        )?;
    }
    out.flush()?;
    Ok(if errors + warnings > 0 { 1 } else { 0 })
}
