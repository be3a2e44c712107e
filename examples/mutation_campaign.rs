//! A hostile-input campaign (issue 10), outside CI's time budget:
//!
//! ```sh
//! cargo run --release --example mutation_campaign -- [../shared/corpus] [N_FILES]
//! ```
//!
//! Mutates container files from the shared corpus (truncations, bit flips, corrupted
//! trailers and AEA headers, inserted bytes) and programs printed from them (deleted and
//! duplicated characters, inserted brackets, long postfix chains), adds a few bombs, and
//! runs every input through the fuzz targets' bodies (`wfc::fuzz_targets`: read, fast
//! readers against the `plist` crate, AEA, lift, DSL parse, print/parse and compile/lift
//! round trips) in a child process of its own. It counts inputs tried, panics (a target
//! found garbage, or the code panicked), aborts (a signal: stack overflow), and hangs
//! (over 20 s). Every count but the first must be zero; the exit code says so.
//!
//! Silent skips: every container mutant is also written, under its original's extension,
//! into one directory that `wfc convert DIR --format jsonl -v` (the release binary beside
//! this example) then walks. Each must come out as a record (converted, or an error
//! record); a file skipped as "not a shortcut" is counted as a skip, and one that is
//! neither a record nor a named skip is a silent skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wfc::fuzz_targets as ft;

const HANG: Duration = Duration::from_secs(20);

/// The child: runs every target that applies to one input file.
fn child(kind: &str, file: &Path) {
    let data = std::fs::read(file).expect("input");
    match kind {
        "container" => {
            ft::read(&data);
            ft::fast_plist(&data);
            ft::aea(&data);
            ft::lift(&data);
            ft::roundtrip(&data);
        }
        _ => {
            ft::dsl_parse(&data);
            ft::roundtrip(&data);
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn container_mutants(b: &[u8], rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for _ in 0..3 {
        let at = rng.below(b.len());
        v.push((format!("truncated at {at}"), b[..at].to_vec()));
    }
    for _ in 0..4 {
        let mut m = b.to_vec();
        let at = rng.below(m.len());
        m[at] ^= 1 << rng.below(8);
        v.push((format!("bit flip at {at}"), m));
    }
    // Trailers (binary plist offset tables) and headers (AEA root header, magic, sizes).
    let mut m = b.to_vec();
    let n = m.len();
    for x in &mut m[n.saturating_sub(32)..] {
        *x = rng.next() as u8;
    }
    v.push(("corrupted trailer".into(), m));
    for _ in 0..2 {
        let mut m = b.to_vec();
        let at = rng.below(m.len().min(400));
        m[at] = rng.next() as u8;
        v.push((format!("header byte {at}"), m));
    }
    let mut m = b.to_vec();
    let at = rng.below(m.len());
    let junk: Vec<u8> = (0..rng.below(64) + 1).map(|_| rng.next() as u8).collect();
    m.splice(at..at, junk);
    v.push((format!("bytes inserted at {at}"), m));
    v
}

fn program_mutants(p: &str, rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let b = p.as_bytes();
    let mut v = Vec::new();
    for _ in 0..3 {
        let at = rng.below(b.len());
        let mut m = b.to_vec();
        m.remove(at.min(m.len().saturating_sub(1)));
        v.push((format!("byte {at} deleted"), m));
    }
    let lines: Vec<&str> = p.lines().collect();
    if !lines.is_empty() {
        let i = rng.below(lines.len());
        let mut l = lines.clone();
        l.insert(i, lines[i]);
        v.push((format!("line {i} duplicated"), l.join("\n").into_bytes()));
        let mut l = lines.clone();
        let chain = ".a".repeat(rng.below(20_000));
        let line = format!("{}{chain}", lines[i]);
        l[i] = &line;
        v.push((format!("chain on line {i}"), l.join("\n").into_bytes()));
    }
    for s in [
        "(", "[", "{", "'", "\"\"\"", ":", "\\N{", "\r", "\u{FEFF}", "\t",
    ] {
        let at = rng.below(p.len());
        let at = (0..=at).rev().find(|&i| p.is_char_boundary(i)).unwrap_or(0);
        let mut m = p.to_string();
        m.insert_str(at, &s.repeat(rng.below(300) + 1));
        v.push((format!("{s:?} inserted at {at}"), m.into_bytes()));
    }
    v
}

fn bombs() -> Vec<(String, &'static str, Vec<u8>)> {
    let mut laughs = String::from("<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY a \"lol\">");
    for i in 0..9 {
        laughs.push_str(&format!(
            "<!ENTITY {} \"{}\">",
            (b'b' + i) as char,
            format!("&{};", (b'a' + i) as char).repeat(10)
        ));
    }
    laughs.push_str("]><plist><dict><key>WFWorkflowActions</key><array><string>&j;</string></array></dict></plist>");
    vec![
        ("entity bomb".into(), "container", laughs.into_bytes()),
        (
            "XML nested 100,000 deep".into(),
            "container",
            format!(
                "<plist>{}{}</plist>",
                "<array>".repeat(100_000),
                "</array>".repeat(100_000)
            )
            .into_bytes(),
        ),
        (
            "100,000 subscripts".into(),
            "program",
            format!("x = variable()\ny = f(x{})\n", "['a']".repeat(100_000)).into_bytes(),
        ),
        (
            "15,000 attributes".into(),
            "program",
            format!("x = variable()\ny = f(x{})\n", ".a".repeat(15_000)).into_bytes(),
        ),
    ]
}

#[derive(Default)]
struct Counts {
    tried: usize,
    panics: usize,
    aborts: usize,
    hangs: usize,
}

fn run_one(exe: &Path, dir: &Path, kind: &str, what: &str, bytes: &[u8], c: &mut Counts) {
    let f = dir.join("input");
    std::fs::write(&f, bytes).expect("write input");
    c.tried += 1;
    let mut child = Command::new(exe)
        .args(["--child", kind])
        .arg(&f)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    let keep = |tag: &str| {
        let name = format!("{tag}-{}", c_tag(what));
        let _ = std::fs::write(dir.join(name), bytes);
    };
    match status {
        None => {
            c.hangs += 1;
            eprintln!("HANG: {kind} {what}");
            keep("hang");
        }
        Some(s) if s.code().is_none() => {
            c.aborts += 1;
            eprintln!("ABORT: {kind} {what}: {}", err.lines().last().unwrap_or(""));
            keep("abort");
        }
        Some(s) if s.code() != Some(0) => {
            c.panics += 1;
            let msg: String = err.lines().take(3).collect::<Vec<_>>().join(" | ");
            eprintln!("PANIC: {kind} {what}: {msg}");
            keep("panic");
        }
        Some(_) => {}
    }
}

fn c_tag(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(80)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], Path::new(&args[3]));
        return;
    }
    let corpus = PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let n_files: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(120);
    let exe = std::env::current_exe().expect("own path");
    let dir = tempfile_dir();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(corpus.join("files"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    if files.is_empty() {
        eprintln!("no corpus under {}: pass its path", corpus.display());
        std::process::exit(2);
    }
    let mut rng = Rng(0x5EED);
    // An even spread over the corpus (its files are grouped by source and format).
    let step = (files.len() / n_files).max(1);
    files = files.into_iter().step_by(step).take(n_files).collect();
    let mut c = Counts::default();
    let mut programs = 0;
    let walk_dir = dir.join("walk");
    std::fs::create_dir_all(&walk_dir).expect("walk dir");
    let mut walk_inputs = 0usize;
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        if bytes.len() > 4 << 20 {
            continue;
        }
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        for (what, m) in container_mutants(&bytes, &mut rng) {
            walk_inputs += 1;
            let _ = std::fs::write(walk_dir.join(format!("{walk_inputs:05}.{ext}")), &m);
            run_one(
                &exe,
                &dir,
                "container",
                &format!("{}: {what}", f.display()),
                &m,
                &mut c,
            );
        }
        // The program printed from the file, mutated.
        let limits = ft::limits();
        if let Ok(loaded) = wfc::shortcut::read_bytes(&bytes, &limits) {
            if let Ok(wf) = wfc::lift::lift(loaded, &limits) {
                let p = wfc::dsl::print(&wf);
                programs += 1;
                for (what, m) in program_mutants(&p, &mut rng) {
                    run_one(
                        &exe,
                        &dir,
                        "program",
                        &format!("{}: {what}", f.display()),
                        &m,
                        &mut c,
                    );
                }
            }
        }
    }
    for (what, kind, b) in bombs() {
        run_one(&exe, &dir, kind, &what, &b, &mut c);
    }
    let walk = walk_counts(&exe, &walk_dir, &dir);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} corpus files ({programs} printed programs): {} inputs tried, {} panics or garbage outputs, {} aborts, {} hangs (failing inputs kept in {})",
        files.len(),
        c.tried,
        c.panics,
        c.aborts,
        c.hangs,
        dir.display()
    );
    let _ = writeln!(
        out,
        "directory walk over {walk_inputs} container mutants: {} records ({} converted, {} errors), {} named skips, {} silent skips",
        walk.records, walk.converted, walk.errors, walk.named_skips, walk.silent
    );
    if c.panics + c.aborts + c.hangs + walk.silent + walk.named_skips > 0 {
        std::process::exit(1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

struct WalkCounts {
    records: usize,
    converted: usize,
    errors: usize,
    named_skips: usize,
    silent: usize,
}

/// Runs `wfc convert DIR --format jsonl -v` over the mutants and accounts for each file.
fn walk_counts(exe: &Path, walk_dir: &Path, dir: &Path) -> WalkCounts {
    let wfc = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("wfc"))
        .expect("target dir");
    let jsonl = dir.join("walk.jsonl");
    let out = Command::new(&wfc)
        .args(["convert", "--format", "jsonl", "-v", "-j", "1", "-o"])
        .arg(&jsonl)
        .arg(walk_dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release first)", wfc.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let named_skips = stderr
        .lines()
        .filter(|l| l.starts_with("skipped (not a shortcut)"))
        .count();
    let text = std::fs::read_to_string(&jsonl).unwrap_or_default();
    let (mut records, mut errors) = (0, 0);
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        records += 1;
        let v: serde_json::Value = serde_json::from_str(l).expect("a JSON record");
        if v.get("error").is_some_and(|e| !e.is_null()) {
            errors += 1;
        }
    }
    let inputs = std::fs::read_dir(walk_dir).map_or(0, |d| d.count());
    WalkCounts {
        records,
        converted: records - errors,
        errors,
        named_skips,
        silent: inputs.saturating_sub(records + named_skips),
    }
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("wfc-mutation-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
