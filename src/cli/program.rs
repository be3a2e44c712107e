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

/// The files `fmt` works on: files as named, directories walked for `.py` files.
fn fmt_files(args: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for a in args {
        let p = Path::new(a);
        if a != "-" && p.is_dir() {
            for e in walkdir::WalkDir::new(p)
                .follow_links(true)
                .sort_by_file_name()
            {
                let e = e.with_context(|| format!("walking {a}"))?;
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "py") {
                    out.push(e.path().display().to_string());
                }
            }
        } else {
            out.push(a.clone());
        }
    }
    Ok(out)
}

pub(crate) fn fmt_cmd(args: &[String], check: bool, diff: bool) -> Result<i32> {
    let mut status = 0;
    let (mut rewritten, mut unchanged) = (0, 0);
    let mut stdout = std::io::stdout().lock();
    for file in fmt_files(args)? {
        let file = file.as_str();
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
        if printed == src {
            unchanged += 1;
            if file == "-" && !check && !diff {
                stdout.write_all(printed.as_bytes())?;
            }
            continue;
        }
        if check {
            eprintln!("{file}: not canonical (run `wfc fmt {file}`)");
            status = 1;
        } else if diff {
            stdout.write_all(line_diff(file, &src, &printed).as_bytes())?;
            status = 1;
        } else if file == "-" {
            stdout.write_all(printed.as_bytes())?;
        } else {
            std::fs::write(file, printed).with_context(|| format!("writing {file}"))?;
            eprintln!("reformatted {file}");
            rewritten += 1;
        }
    }
    if !check && !diff && rewritten + unchanged > 1 {
        eprintln!("{rewritten} file(s) reformatted, {unchanged} already canonical");
    }
    Ok(status)
}

/// A unified diff of two texts, by lines (longest common subsequence; files too large
/// for that show as one replaced hunk).
fn line_diff(file: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut ops: Vec<(char, &str)> = Vec::new();
    if a.len().saturating_mul(b.len()) <= 4_000_000 {
        // lcs[i][j]: common subsequence length of a[i..] and b[j..].
        let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push((' ', a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(('-', a[i]));
                i += 1;
            } else {
                ops.push(('+', b[j]));
                j += 1;
            }
        }
    } else {
        ops.extend(a.iter().map(|l| ('-', *l)));
        ops.extend(b.iter().map(|l| ('+', *l)));
    }
    // Hunks: changed lines with up to three lines of context.
    let mut out = format!("--- {file}\n+++ {file} (formatted)\n");
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(3);
        let mut end = changed[k] + 4;
        while k + 1 < changed.len() && changed[k + 1] <= end + 3 {
            k += 1;
            end = changed[k] + 4;
        }
        let end = end.min(ops.len());
        let old_start = ops[..start].iter().filter(|o| o.0 != '+').count() + 1;
        let new_start = ops[..start].iter().filter(|o| o.0 != '-').count() + 1;
        let old_len = ops[start..end].iter().filter(|o| o.0 != '+').count();
        let new_len = ops[start..end].iter().filter(|o| o.0 != '-').count();
        out.push_str(&format!(
            "@@ -{old_start},{old_len} +{new_start},{new_len} @@\n"
        ));
        for (c, l) in &ops[start..end] {
            out.push(*c);
            out.push_str(l);
            out.push('\n');
        }
        k += 1;
    }
    out
}
