//! `wfc check`: programs against the API catalog.

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

pub(crate) fn check_cmd(path: &Path, catalog: Option<&Path>, format: CheckFormat) -> Result<i32> {
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
