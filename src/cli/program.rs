//! `wfc compile` and `wfc fmt`: DSL programs in.

use super::read_source;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

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

pub(crate) fn compile_cmd(
    file: &str,
    output: Option<&Path>,
    xml: bool,
    deterministic: bool,
) -> Result<i32> {
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
        // The plist crate would write such characters raw: no XML parser reads that back.
        if let Some((path, c)) = wfc::compile::xml_unrepresentable(&value) {
            eprintln!(
                "error: {file}: cannot write an XML plist: the string at {path} holds U+{:04X}, \
                 which XML 1.0 cannot represent even escaped; write a binary plist (omit --xml)",
                c as u32
            );
            return Ok(1);
        }
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

pub(crate) fn fmt_cmd(files: &[String], check: bool) -> Result<i32> {
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
