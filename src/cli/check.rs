//! `wfc check`: programs against the API catalog, one file or a dataset of records.

use super::open_catalog;
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::io::Write;
use std::path::Path;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    Text,
    Json,
}

pub(crate) fn check_cmd(
    path: &Path,
    catalog: Option<&Path>,
    format: CheckFormat,
    field: Option<&str>,
) -> Result<i32> {
    use wfc::check::{for_each_program, json_report, verdict, Checker, Entry, Severity};
    let cat = open_catalog(catalog)?;
    let checker = Checker::new(&cat);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut errors, mut warnings, mut clean) = (0, 0, 0);
    let (mut n, mut with_errors, mut malformed) = (0usize, 0, 0);
    // Records are checked as they are read: memory does not grow with the dataset.
    let walk = for_each_program(path, field, &mut |entry| {
        let (program, index, id) = match entry {
            Entry::Program { program, index, id } => (program, index, id),
            Entry::Malformed { name, index, error } => {
                malformed += 1;
                return match format {
                    CheckFormat::Json => writeln!(
                        out,
                        "{}",
                        serde_json::json!({
                            "program": name,
                            "index": index,
                            "verdict": "errors",
                            "error": error,
                            "findings": [],
                        })
                    ),
                    CheckFormat::Text => writeln!(out, "error: {name}: {error}\n"),
                };
            }
        };
        n += 1;
        let findings = checker.check_source(&program.src);
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
            CheckFormat::Json => {
                let mut report = json_report(&program, &findings);
                if let Some(i) = index {
                    report["index"] = i.into();
                }
                if let Some(id) = id {
                    report["id"] = id.into();
                }
                writeln!(out, "{report}")
            }
            CheckFormat::Text => {
                let name = match &id {
                    Some(id) => format!("{} ({id})", program.name),
                    None => program.name.clone(),
                };
                for f in &findings {
                    writeln!(out, "{}", f.render(&name, &program.src))?;
                }
                Ok(())
            }
        }
    })
    .with_context(|| format!("reading {}", path.display()))?;
    if format == CheckFormat::Text {
        let mut notes = Vec::new();
        if walk.skipped > 0 {
            notes.push(format!("{} records without code skipped", walk.skipped));
        }
        if malformed > 0 {
            notes.push(format!("{malformed} records could not be read"));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        writeln!(
            out,
            "{n} program{}: {clean} clean, {} with warnings only, {with_errors} with errors; {errors} errors, {warnings} warnings{notes}",
            if n == 1 { "" } else { "s" },
            n - clean - with_errors
        )?;
    }
    out.flush()?;
    Ok(if errors + warnings + malformed > 0 {
        1
    } else {
        0
    })
}
