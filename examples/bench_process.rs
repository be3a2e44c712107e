//! Whole-process throughput of `wfc convert` on one core, against the WorkflowLLM
//! converter's recorded per-file times.
//!
//! `cargo build --release && cargo run --release --example bench_process`
//!
//! The in-process figure of `bench_report` (least of 25 rounds over bytes already in
//! memory) leaves out what a user pays: process start, directory walk, reads, allocation
//! of fresh pages, writing the JSONL. This runs the release binary as a user would,
//! `taskset -c 0 wfc convert DIR --format jsonl -o OUT -j 1`, over the reference's own
//! inputs (`converted_from`, linked into a temporary directory), and times it end to end.
//! Each figure is over 7 runs (the first warms the page cache and is not counted).
//! `WFC_BIN` overrides the binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let Some(converted) = common::converted() else {
        return;
    };
    let bin = std::env::var_os("WFC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/wfc"));
    if !bin.is_file() {
        eprintln!(
            "{} not found: run `cargo build --release` first",
            bin.display()
        );
        return;
    }
    let ref_secs: f64 = converted.iter().map(|c| c.secs).sum();
    let dir = tempfile::tempdir().expect("temp dir");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut bytes = 0u64;
    for (i, c) in converted.iter().enumerate() {
        let src = corpus.join(&c.converted_from);
        bytes += std::fs::metadata(&src).map_or(0, |m| m.len());
        let name = Path::new(&c.converted_from)
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        std::os::unix::fs::symlink(&src, dir.path().join(format!("{i:05}-{name}"))).expect("link");
    }
    let out = dir.path().with_extension("jsonl");
    let pinned = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let run = || {
        let mut cmd = if pinned {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        cmd.arg("convert")
            .arg(dir.path())
            .args(["--format", "jsonl", "-j", "1", "-o"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let t = Instant::now();
        let child = cmd.spawn().expect("wfc runs");
        let mut status = 0;
        // SAFETY: `rusage` is plain data that wait4 fills; the pid is our own child, which
        // `std` does not reap since `wait` is never called on it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let pid = child.id() as libc::pid_t;
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let secs = t.elapsed().as_secs_f64();
        std::mem::forget(child);
        assert_eq!(r, pid, "wait4");
        assert!(
            libc::WIFEXITED(status) && matches!(libc::WEXITSTATUS(status), 0 | 1),
            "wfc failed: {status}"
        );
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
        (secs, cpu, tv(usage.ru_stime), usage.ru_maxrss)
    };
    run();
    let runs: Vec<(f64, f64, f64, i64)> = (0..7).map(|_| run()).collect();
    let mut times: Vec<f64> = runs.iter().map(|r| r.0).collect();
    times.sort_by(f64::total_cmp);
    let mut cpus: Vec<(f64, f64, i64)> = runs.iter().map(|r| (r.1, r.2, r.3)).collect();
    cpus.sort_by(|a, b| a.0.total_cmp(&b.0));
    let records = std::fs::read_to_string(&out).map_or(0, |t| t.lines().count());
    let _ = std::fs::remove_file(&out);
    let n = converted.len();
    println!(
        "{n} files ({:.1} MB), {records} JSONL records; {}",
        bytes as f64 / 1e6,
        if pinned {
            "pinned to core 0 (taskset -c 0)"
        } else {
            "NOT pinned (taskset not found)"
        }
    );
    println!("reference (WorkflowLLM), summed per-file times: {ref_secs:.2} s");
    for (label, secs) in [("best", times[0]), ("median", times[times.len() / 2])] {
        println!(
            "wfc convert, whole process, wall {label:6}: {secs:.3} s = {:.0} files/s, {:.0}× the reference",
            n as f64 / secs,
            ref_secs / secs
        );
    }
    // On a shared machine the wall clock includes waiting for the core; the CPU time the
    // process used (user + system) does not.
    let (cpu, sys, rss) = cpus[0];
    println!(
        "wfc convert, whole process, CPU best   : {cpu:.3} s (system {sys:.3} s) = {:.0}× the reference; peak RSS {rss} KiB",
        ref_secs / cpu
    );
}
