//! A large `wfc dataset build`: N records made by mutating corpus programs, streamed through a
//! FIFO (nothing large is written before the build), then time and peak RSS are reported.
//!
//! ```text
//! wfc convert ../shared/corpus/files --format jsonl -o /tmp/corpus.jsonl
//! wfc catalog build --from ../shared/catalogs -o /tmp/catalog.sqlite
//! cargo run --release --example dataset_scale -- /tmp/corpus.jsonl /tmp/catalog.sqlite 100000 /tmp/scale-out
//! ```
//!
//! Mutation: record i takes corpus program i mod n, appends 1–7 actions with texts unique to
//! i, and gets a query naming i. Records sharing a program stay near duplicates of each
//! other when the program is long, so the dedup index is exercised at full size.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;
use wfc::dataset::build::{self, BuildConfig, CatalogSource};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        anyhow::bail!("usage: dataset_scale CORPUS.jsonl CATALOG.sqlite N OUT_DIR");
    }
    let corpus = PathBuf::from(&args[0]);
    let catalog = PathBuf::from(&args[1]);
    let n: usize = args[2].parse()?;
    let out = PathBuf::from(&args[3]);
    // Only the programs are kept in memory (the corpus is ~12 MB).
    let mut programs: Vec<(String, String)> = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&corpus)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        if let (Some(code), Some(name)) = (v["code"].as_str(), v["name"].as_str()) {
            if code.len() < 50_000 {
                programs.push((name.to_string(), code.to_string()));
            }
        }
    }
    anyhow::ensure!(!programs.is_empty(), "no programs in {}", corpus.display());
    std::fs::create_dir_all(&out)?;
    let fifo = out.join("input.fifo.jsonl");
    let _ = std::fs::remove_file(&fifo);
    let st = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    anyhow::ensure!(st.success(), "mkfifo failed");
    let start = Instant::now();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || -> std::io::Result<()> {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&fifo)?);
            for i in 0..n {
                let (name, code) = &programs[i % programs.len()];
                let mut code = code.trim_end().to_string();
                for k in 0..(1 + i % 7) {
                    code.push_str(&format!(
                        "\nis_workflow_actions_showresult(Text='''variant {i} step {k}''')"
                    ));
                }
                code.push('\n');
                const CATEGORIES: [&str; 4] =
                    ["Utilities", "Productivity", "Finance", "Social Networking"];
                let rec = serde_json::json!({
                    "id": format!("scale-{i}"),
                    "query": format!("Variant {i} of the shortcut {name}, request {i}."),
                    "apis": [],
                    "task_plan": format!("1. **Run variant {i}**"),
                    "code": code,
                    "category": CATEGORIES[i % 4],
                    "provenance": {"origin": if i % 3 == 0 { "seed" } else { "synthesized" },
                                   "source": name, "stage": "generate", "repair_rounds": i % 3},
                    "error": null
                });
                serde_json::to_writer(&mut w, &rec)?;
                w.write_all(b"\n")?;
            }
            w.flush()
        })
    };
    let cfg = BuildConfig {
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        ..Default::default()
    };
    let report = build::build(
        std::slice::from_ref(&fifo),
        &CatalogSource::Path(catalog),
        &out,
        &cfg,
    )?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("generator panicked"))??;
    build::write_reports(&report, &out)?;
    let _ = std::fs::remove_file(&fifo);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} records in {:.1} s ({:.0} records/s), peak RSS {:.0} MB",
        report.records_read,
        secs,
        report.records_read as f64 / secs,
        peak_rss_mb()
    );
    println!(
        "kept {:?}; rejected {} by rule {:?}; duplicates {:?}",
        report.splits, report.rejected, report.rejected_by_rule, report.duplicates
    );
    Ok(())
}
