//! `wfc convert` at batch scale: memory that does not grow with the batch, shards that
//! partition it, walked files accounted for, and a closed stdout.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn wfc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wfc"))
}

/// Shortcut files to build batches from: a deterministic share of `../shared/corpus`, or
/// the project's own fixtures when it is absent.
fn source_files(max: usize) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/corpus/files");
    let dir = if shared.is_dir() {
        shared
    } else {
        eprintln!("../shared not found: using the project's corpus/ fixtures");
        root.join("corpus")
    };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.truncate(max);
    files
}

/// A directory holding `copies` copies (symbolic links) of `files`, one subdirectory each.
fn batch(files: &[PathBuf], copies: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for c in 0..copies {
        let sub = dir.path().join(format!("copy{c}"));
        std::fs::create_dir(&sub).unwrap();
        for (i, f) in files.iter().enumerate() {
            let name = format!("{i:05}-{}", f.file_name().unwrap().to_string_lossy());
            std::os::unix::fs::symlink(f, sub.join(name)).unwrap();
        }
    }
    dir
}

/// Runs `wfc` with `args` and returns its exit code and its peak resident set in KiB (the
/// child's own `ru_maxrss`, from `wait4`).
fn run_measured(args: &[&str]) -> (i32, u64) {
    let child = wfc()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wfc runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills; the pid is our own child, which
    // `std` does not reap since we never call `wait` on it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as u64)
}

#[test]
fn peak_memory_does_not_grow_with_the_batch() {
    // The baseline is four passes over the set, not one: a single pass of 400 files ends
    // before the allocator has reached its steady state (its peak is 25-30% lower than
    // any longer run's, which stays flat from 8 to 32 passes), so a 1-pass baseline
    // measures warm-up rather than growth with the batch.
    let files = source_files(400);
    let one = batch(&files, 4);
    let eight = batch(&files, 32);
    for format in ["jsonl", "py"] {
        let measure = |dir: &Path| {
            let out = tempfile::tempdir().unwrap();
            let target = out.path().join("out");
            let (code, kib) = run_measured(&[
                "convert",
                dir.to_str().unwrap(),
                "--format",
                format,
                "-j",
                "2",
                "-o",
                target.to_str().unwrap(),
            ]);
            assert!(code == 0 || code == 1, "exit {code}");
            kib
        };
        let (a, b) = (measure(one.path()), measure(eight.path()));
        eprintln!(
            "{format}: {} files: peak {a} KiB; {} files: peak {b} KiB ({:.2}×)",
            4 * files.len(),
            32 * files.len(),
            b as f64 / a as f64
        );
        assert!(
            (b as f64) <= 1.25 * a as f64,
            "{format}: 8× the inputs took {b} KiB against {a} KiB"
        );
    }
}

fn jsonl_lines(out: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(out)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn shards_together_are_the_whole_batch() {
    let files = source_files(120);
    let dir = batch(&files, 1);
    let d = dir.path().to_str().unwrap();
    let whole = wfc()
        .args(["convert", d, "--format", "jsonl"])
        .output()
        .unwrap();
    let mut parts = Vec::new();
    let mut sizes = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let o = wfc()
            .args(["convert", d, "--format", "jsonl", "--shard", &shard])
            .output()
            .unwrap();
        let lines = jsonl_lines(&o.stdout);
        sizes.push(lines.len());
        parts.extend(lines);
        // A rerun picks the same files.
        let again = wfc()
            .args(["convert", d, "--format", "jsonl", "--shard", &shard])
            .output()
            .unwrap();
        assert_eq!(jsonl_lines(&again.stdout), jsonl_lines(&o.stdout));
    }
    parts.sort();
    let whole = jsonl_lines(&whole.stdout);
    assert_eq!(whole.len(), files.len());
    assert_eq!(parts, whole, "shard sizes {sizes:?}");
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    let o = wfc()
        .args(["convert", d, "--shard", "3/3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_walked_input_is_a_record_or_named_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/tip_calculator.plist");
    std::fs::copy(&good, p.join("good.plist")).unwrap();
    // Damaged shortcuts: each looks like one by its name or its bytes.
    let damaged: &[(&str, &[u8])] = &[
        ("truncated.shortcut", b"bplist00\xd1\x01\x02"),
        ("empty.plist", b""),
        ("utf16.bin", b"\xFF\xFE<\0?\0x\0m\0l\0 \0"),
        (
            "empty.zip",
            b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        ),
        ("broken.json", b"{\"WFWorkflowActions\": [ {"),
        ("signed.data", b"AEA1\x00\x00\x00\x00"),
        ("flipped", b"bplist00garbage that is not a binary plist"),
    ];
    for (name, bytes) in damaged {
        std::fs::write(p.join(name), bytes).unwrap();
    }
    // Plainly something else.
    std::fs::write(p.join("README.md"), "# shortcuts\n").unwrap();
    std::fs::write(p.join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(p.join("icon.svg"), "<?xml version=\"1.0\"?><svg/>").unwrap();
    // Walk errors: a dangling link and a loop.
    std::os::unix::fs::symlink(p.join("nowhere.plist"), p.join("dangling.plist")).unwrap();
    std::fs::create_dir(p.join("sub")).unwrap();
    std::os::unix::fs::symlink(p, p.join("sub/loop")).unwrap();

    let o = wfc()
        .args([
            "convert",
            p.to_str().unwrap(),
            "--format",
            "jsonl",
            "--verbose",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let named = |name: &str| {
        records
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no record for {name}: {records:#?}"))
    };
    assert!(named("good.plist")["error"].is_null());
    for (name, _) in damaged {
        assert!(named(name)["error"].is_string(), "{name}");
    }
    assert!(named("dangling.plist")["error"].is_string());
    assert!(
        records
            .iter()
            .any(|r| r["path"].as_str().unwrap().contains("loop")
                && r["error"].as_str().unwrap().contains("loop")),
        "{records:#?}"
    );
    assert_eq!(records.len(), 1 + damaged.len() + 2, "{records:#?}");
    for other in ["README.md", "package.json", "icon.svg"] {
        assert!(
            stderr.contains(&format!(
                "skipped (not a shortcut): {}",
                p.join(other).display()
            )),
            "{other}: {stderr}"
        );
    }
    assert!(
        stderr.contains("1 converted, 9 failed, 0 warnings, 3 non-shortcut files skipped"),
        "{stderr}"
    );
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let files = source_files(400);
    let dir = batch(&files, if files.len() < 50 { 100 } else { 2 });
    let mut child = wfc()
        .args([
            "convert",
            dir.path().to_str().unwrap(),
            "--format",
            "jsonl",
            "-j",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(o.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_missing_input_is_a_usage_error_and_the_batch_goes_on() {
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/tip_calculator.plist");
    let o = wfc()
        .args([
            "convert",
            "/nonexistent/missing.plist",
            good.to_str().unwrap(),
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["error"].as_str().unwrap().contains("No such file"));
    assert!(lines[1]["error"].is_null());
}
