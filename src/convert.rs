//! `wfc convert`: inputs (files, directories, stdin, iCloud links) → IR → DSL.

use crate::ir::Workflow;
use crate::limits::Limits;
use crate::shortcut::{self, icloud, ReadError};
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConvertError {
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Lift(#[from] crate::lift::LiftError),
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// One thing to convert.
#[derive(Debug, Clone)]
pub enum Input {
    File {
        path: PathBuf,
        /// Where the file sits below the directory it was found in (for `-o DIR`).
        rel: PathBuf,
        /// Found by walking a directory (not named on the command line).
        from_dir: bool,
    },
    Stdin,
    ICloud(String),
}

impl Input {
    /// How the input is named in reports and JSONL.
    pub fn display(&self) -> String {
        match self {
            Input::File { path, .. } => path.display().to_string(),
            Input::Stdin => "-".into(),
            Input::ICloud(link) => link.clone(),
        }
    }

    /// The output file stem for `-o DIR` (the input's place below its root).
    pub fn rel(&self) -> PathBuf {
        match self {
            Input::File { rel, .. } => rel.clone(),
            Input::Stdin => PathBuf::from("stdin"),
            Input::ICloud(link) => PathBuf::from(icloud::parse_link(link).unwrap_or_default()),
        }
    }
}

/// Output paths (relative to `-o DIR`) for inputs at places `rels`: the input's path with
/// its extension replaced by `ext`. Inputs that would share a path (`x.plist` and
/// `x.shortcut` side by side, as shortcuts are often shared) keep their whole file name
/// (`x.plist.py`, `x.shortcut.py`); any that still collide (the same place below two roots)
/// get a number (`x.plist-2.py`), so that no output overwrites another.
pub fn output_paths(rels: &[PathBuf], ext: &str) -> Vec<PathBuf> {
    use std::collections::HashMap;
    let plain = |r: &PathBuf| r.with_extension(ext);
    let mut count: HashMap<PathBuf, usize> = HashMap::new();
    for r in rels {
        *count.entry(plain(r)).or_default() += 1;
    }
    let mut taken = std::collections::HashSet::new();
    rels.iter()
        .map(|r| {
            let first = if count[&plain(r)] == 1 {
                plain(r)
            } else {
                let mut name = r.clone().into_os_string();
                name.push(format!(".{ext}"));
                PathBuf::from(name)
            };
            let mut candidate = first.clone();
            let mut n = 2;
            while !taken.insert(candidate.clone()) {
                let stem = first.with_extension("").into_os_string();
                let mut name = stem;
                name.push(format!("-{n}.{ext}"));
                candidate = PathBuf::from(name);
                n += 1;
            }
            candidate
        })
        .collect()
}

/// The inputs a command line names, with directories walked (symlinks followed, loops
/// reported) and files that are not shortcuts skipped. Unreadable entries are returned as
/// errors so that the batch can report them and go on.
pub fn collect_inputs(args: &[String]) -> (Vec<Input>, Vec<(String, String)>, usize) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = 0;
    for a in args {
        if a == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        if icloud::parse_link(a).is_some() {
            inputs.push(Input::ICloud(a.clone()));
            continue;
        }
        let p = Path::new(a);
        if icloud::looks_like_link(a) && !p.exists() {
            errors.push((a.clone(), icloud::bad_link_message()));
            continue;
        }
        if p.is_dir() {
            let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
            for entry in walkdir::WalkDir::new(p)
                .follow_links(true)
                .sort_by_file_name()
            {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        if looks_like_shortcut(e.path()) {
                            let rel = e.path().strip_prefix(p).unwrap_or(e.path()).to_path_buf();
                            found.push((e.path().to_path_buf(), rel));
                        } else {
                            skipped += 1;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => errors.push((
                        e.path().map_or(a.clone(), |x| x.display().to_string()),
                        e.to_string(),
                    )),
                }
            }
            inputs.extend(found.into_iter().map(|(path, rel)| Input::File {
                path,
                rel,
                from_dir: true,
            }));
        } else {
            let rel = PathBuf::from(p.file_name().unwrap_or(p.as_os_str()));
            inputs.push(Input::File {
                path: p.to_path_buf(),
                rel,
                from_dir: false,
            });
        }
    }
    (inputs, errors, skipped)
}

/// A directory may hold READMEs and images beside the shortcuts: only files whose first
/// bytes name a container are converted.
fn looks_like_shortcut(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 64];
    let Ok(mut f) = std::fs::File::open(path) else {
        return true; // let the converter report why it cannot be read
    };
    let n = f.read(&mut buf).unwrap_or(0);
    shortcut::sniff(&buf[..n]).is_some()
}

/// Reads and lifts one input.
pub fn load(input: &Input, limits: &Limits) -> Result<Workflow, ConvertError> {
    let (bytes, extra) = read_input(input, limits)?;
    load_bytes(&bytes, extra, limits)
}

/// Metadata an iCloud record adds to a workflow's provenance.
pub type Extra = Vec<(String, String)>;

/// The bytes of one input (bounded by the input size limit), with the metadata an iCloud
/// record adds.
pub fn read_input(input: &Input, limits: &Limits) -> Result<(Vec<u8>, Extra), ConvertError> {
    Ok(match input {
        Input::File { path, .. } => {
            let meta = std::fs::metadata(path)?;
            if meta.len() > limits.max_input_bytes as u64 {
                return Err(ReadError::TooLarge {
                    size: meta.len() as usize,
                    limit: limits.max_input_bytes,
                }
                .into());
            }
            (std::fs::read(path)?, Vec::new())
        }
        Input::Stdin => {
            use std::io::Read;
            let mut buf = Vec::new();
            std::io::stdin()
                .take(limits.max_input_bytes as u64 + 1)
                .read_to_end(&mut buf)?;
            (buf, Vec::new())
        }
        Input::ICloud(link) => {
            let f = icloud::fetch_blocking(link).map_err(ReadError::from)?;
            let mut extra = f.record_metadata;
            if let Some(n) = f.name {
                extra.push(("name".into(), n));
            }
            (f.bytes, extra)
        }
    })
}

/// Reads and lifts the bytes of one input.
pub fn load_bytes(bytes: &[u8], extra: Extra, limits: &Limits) -> Result<Workflow, ConvertError> {
    thread_local! {
        // Each worker thread reads file after file into the same memory.
        static SCRATCH: std::cell::RefCell<shortcut::Scratch> = Default::default();
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let result = shortcut::read_tree(bytes, scratch, limits).map(|mut loaded| {
            loaded.provenance.extra.extend(extra);
            crate::lift::lift_tree(loaded, limits)
        });
        // One huge file should not pin its memory for the rest of the batch.
        if scratch.allocated_bytes() > 64 << 20 {
            *scratch = shortcut::Scratch::default();
        }
        Ok(result??)
    })
}

/// The workflow's name: `WFWorkflowName` if the file has one, the iCloud record's name,
/// else the file name without its extension.
pub fn workflow_name(input: &Input, wf: Option<&Workflow>) -> String {
    if let Some(wf) = wf {
        for (k, v) in &wf.meta {
            if k == "WFWorkflowName" {
                if let crate::ir::Value::String(s) = v {
                    return s.clone();
                }
            }
        }
        if let Some((_, n)) = wf.provenance.extra.iter().find(|(k, _)| k == "name") {
            return n.clone();
        }
    }
    match input {
        Input::File { path, .. } => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        Input::Stdin => "stdin".into(),
        Input::ICloud(l) => icloud::parse_link(l).unwrap_or_default(),
    }
}

/// One line of `--format jsonl`.
#[derive(Debug, Serialize)]
pub struct JsonlRecord {
    pub path: String,
    pub name: String,
    pub code: Option<String>,
    pub apis: Vec<String>,
    pub n_actions: usize,
    pub error: Option<String>,
}

/// The result of converting one input.
pub struct Outcome {
    pub input: Input,
    pub result: Result<(Workflow, String), ConvertError>,
}

impl Outcome {
    /// A file found in a directory walk that parsed but holds no workflow (an `Info.plist`,
    /// a `package.json`): skipped, like the files whose first bytes name no container.
    pub fn not_a_shortcut(&self) -> bool {
        matches!(self.input, Input::File { from_dir: true, .. })
            && matches!(
                self.result,
                Err(ConvertError::Lift(crate::lift::LiftError::NoActions))
            )
    }

    pub fn record(&self) -> JsonlRecord {
        match &self.result {
            Ok((wf, code)) => JsonlRecord {
                path: self.input.display(),
                name: workflow_name(&self.input, Some(wf)),
                code: Some(code.clone()),
                apis: wf.apis(),
                n_actions: wf.action_count(),
                error: None,
            },
            Err(e) => JsonlRecord {
                path: self.input.display(),
                name: workflow_name(&self.input, None),
                code: None,
                apis: Vec::new(),
                n_actions: 0,
                error: Some(e.to_string()),
            },
        }
    }
}

/// Reads, lifts and prints one input.
pub fn convert(input: Input, limits: &Limits) -> Outcome {
    let result = load(&input, limits).map(|wf| {
        let code = crate::dsl::print(&wf);
        (wf, code)
    });
    Outcome { input, result }
}

// ---------------------------------------------------------------------------------------
// Batches: planned inputs, what a walked file looks like, shards, and an ordered parallel
// map whose memory does not grow with the batch.

/// One entry of a batch, in the order the command line and the walk give them.
#[derive(Debug, Clone)]
pub enum Planned {
    Input(Input),
    /// A place the directory walk could not read (a dangling link, a loop, no permission).
    WalkError {
        path: String,
        error: String,
    },
}

impl Planned {
    /// The key `--shard` hashes: the input's path below the root it was found in (as named
    /// on the command line for inputs named there), so that a rerun, on any machine, from
    /// any working directory, puts every input in the same shard.
    pub fn shard_key(&self) -> String {
        match self {
            Planned::Input(Input::File {
                rel,
                from_dir: true,
                ..
            }) => rel.to_string_lossy().replace('\\', "/"),
            Planned::Input(i) => i.display(),
            Planned::WalkError { path, .. } => path.clone(),
        }
    }
}

/// Whether `key` falls in shard `index` of `count` (0-based), by a stable hash.
pub fn in_shard(key: &str, index: u64, count: u64) -> bool {
    // FNV-1a, then a splitmix64 finalizer so that similar paths spread evenly.
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in key.as_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D049BB133111EB);
    h ^= h >> 31;
    count > 0 && h % count == index
}

/// The inputs a command line names, directories walked (symlinks followed) and every file
/// below them listed, without reading any: whether a walked file is a shortcut is decided
/// when it is converted ([`convert_planned`]). Walk errors take their place in the order.
pub fn plan_inputs(args: &[String]) -> Vec<Planned> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Planned::Input(Input::Stdin));
            continue;
        }
        if icloud::parse_link(a).is_some() {
            out.push(Planned::Input(Input::ICloud(a.clone())));
            continue;
        }
        let p = Path::new(a);
        if icloud::looks_like_link(a) && !p.exists() {
            out.push(Planned::WalkError {
                path: a.clone(),
                error: icloud::bad_link_message(),
            });
            continue;
        }
        if !p.is_dir() {
            let rel = PathBuf::from(p.file_name().unwrap_or(p.as_os_str()));
            out.push(Planned::Input(Input::File {
                path: p.to_path_buf(),
                rel,
                from_dir: false,
            }));
            continue;
        }
        for entry in walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let rel = e.path().strip_prefix(p).unwrap_or(e.path()).to_path_buf();
                    out.push(Planned::Input(Input::File {
                        path: e.into_path(),
                        rel,
                        from_dir: true,
                    }));
                }
                Ok(_) => {}
                Err(e) => out.push(Planned::WalkError {
                    path: e.path().map_or(a.clone(), |x| x.display().to_string()),
                    error: e.to_string(),
                }),
            }
        }
    }
    out
}

/// What a file found in a directory walk looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// Plainly something else (an image, a README, a `package.json`): skipped.
    Other,
    /// A `.plist`, or a container's magic bytes: an error if it cannot be read; skipped if
    /// it reads as a plist that holds no workflow (an `Info.plist`).
    Container,
    /// A `.shortcut`/`.wflow` file, or one holding the `WFWorkflowActions` key: every
    /// failure, even "no actions", is an error.
    Shortcut,
}

/// Classifies a walked file by its name and its bytes (all of them, or its head when it
/// is too large to read).
pub fn likeness(path: &Path, bytes: &[u8]) -> Likeness {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let ext = ext.as_deref();
    if matches!(ext, Some("shortcut" | "wflow")) || has_actions_key(bytes) {
        return Likeness::Shortcut;
    }
    let magic = [
        &b"bplist"[..],
        b"AEA1",
        b"PK\x03\x04",
        b"PK\x05\x06", // an empty zip
        b"\xFF\xFE<",  // UTF-16 XML
        b"\xFE\xFF\0<",
    ];
    if ext == Some("plist") || magic.iter().any(|m| bytes.starts_with(m)) {
        return Likeness::Container;
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let head = &text[start..text.len().min(start + 1024)];
    let xml =
        head.starts_with(b"<?xml") || head.starts_with(b"<!DOCTYPE") || head.starts_with(b"<plist");
    if xml && memchr::memmem::find(head, b"plist").is_some() {
        return Likeness::Container;
    }
    Likeness::Other
}

/// `WFWorkflowActions` in UTF-8 or UTF-16 (either byte order).
fn has_actions_key(bytes: &[u8]) -> bool {
    const KEY: &[u8] = b"WFWorkflowActions";
    if memchr::memmem::find(bytes, KEY).is_some() {
        return true;
    }
    let le: Vec<u8> = KEY.iter().flat_map(|&b| [b, 0]).collect();
    memchr::memmem::find(bytes, &le).is_some()
}

/// What became of one planned entry.
pub enum Step {
    Converted(Outcome),
    /// A walked file that is plainly not a shortcut (its path, for `--verbose`).
    Skipped(String),
    WalkError {
        path: String,
        error: String,
    },
}

/// Converts one planned entry: a walked file is first classified ([`likeness`]), and the
/// file is read once, into a buffer the calling thread reuses.
pub fn convert_planned(p: &Planned, limits: &Limits) -> Step {
    let input = match p {
        Planned::WalkError { path, error } => {
            return Step::WalkError {
                path: path.clone(),
                error: error.clone(),
            }
        }
        Planned::Input(i) => i,
    };
    let Input::File {
        path,
        from_dir: true,
        ..
    } = input
    else {
        return Step::Converted(convert(input.clone(), limits));
    };
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        let failed = |e: ConvertError| {
            Step::Converted(Outcome {
                input: input.clone(),
                result: Err(e),
            })
        };
        let like = match read_walked(path, buf, limits) {
            Ok(whole) => {
                let like = likeness(path, buf);
                if !whole {
                    // Too large: an error for what looks like a shortcut, else skipped.
                    if like == Likeness::Other {
                        return Step::Skipped(input.display());
                    }
                    let size = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
                    return failed(
                        ReadError::TooLarge {
                            size,
                            limit: limits.max_input_bytes,
                        }
                        .into(),
                    );
                }
                like
            }
            Err(e) => {
                // Unreadable: judged by its name alone.
                if likeness(path, &[]) == Likeness::Other {
                    return Step::Skipped(input.display());
                }
                return failed(e.into());
            }
        };
        if like == Likeness::Other {
            return Step::Skipped(input.display());
        }
        let result = load_bytes(buf, Vec::new(), limits).map(|wf| {
            let code = crate::dsl::print(&wf);
            (wf, code)
        });
        // One huge file should not pin its memory for the rest of the batch.
        if buf.capacity() > 64 << 20 {
            *buf = Vec::new();
        }
        if like == Likeness::Container
            && matches!(
                result,
                Err(ConvertError::Lift(crate::lift::LiftError::NoActions))
            )
        {
            return Step::Skipped(input.display());
        }
        Step::Converted(Outcome {
            input: input.clone(),
            result,
        })
    })
}

/// Reads a walked file into `buf`: all of it (`true`), or its first 64 KiB when it is
/// larger than the input limit (`false`).
fn read_walked(path: &Path, buf: &mut Vec<u8>, limits: &Limits) -> std::io::Result<bool> {
    use std::io::Read;
    buf.clear();
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > limits.max_input_bytes as u64 {
        f.take(64 << 10).read_to_end(buf)?;
        return Ok(false);
    }
    buf.reserve(len as usize);
    f.take(limits.max_input_bytes as u64 + 1).read_to_end(buf)?;
    Ok(buf.len() <= limits.max_input_bytes)
}

/// Runs `work` on `0..n` on `threads` threads and hands each result to `sink` in index
/// order as soon as every earlier one has been handed over. At most `window` items are in
/// flight (claimed and not yet handed over), so memory holds at most `window` results,
/// whatever `n` is. A `sink` error stops the workers and is returned.
pub fn ordered_map<T: Send, E>(
    n: usize,
    threads: usize,
    window: usize,
    work: &(dyn Fn(usize) -> T + Sync),
    sink: &mut dyn FnMut(usize, T) -> Result<(), E>,
) -> Result<(), E> {
    use std::sync::{mpsc, Condvar, Mutex};
    if threads <= 1 || n <= 1 {
        for i in 0..n {
            sink(i, work(i))?;
        }
        return Ok(());
    }
    let window = window.max(threads);
    // (next index to claim, next index to hand over, stop)
    let state = Mutex::new((0usize, 0usize, false));
    let room = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (state, room) = (&state, &room);
            scope.spawn(move || loop {
                let i = {
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    while !s.2 && s.0 < n && s.0 >= s.1 + window {
                        s = room.wait(s).unwrap_or_else(|e| e.into_inner());
                    }
                    if s.2 || s.0 >= n {
                        return;
                    }
                    s.0 += 1;
                    s.0 - 1
                };
                if tx.send((i, work(i))).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut held = std::collections::BTreeMap::new();
        let mut next = 0;
        let stop = |state: &Mutex<(usize, usize, bool)>| {
            state.lock().unwrap_or_else(|e| e.into_inner()).2 = true;
            room.notify_all();
        };
        for (i, t) in rx.iter() {
            held.insert(i, t);
            while let Some(t) = held.remove(&next) {
                if let Err(e) = sink(next, t) {
                    stop(&state);
                    return Err(e);
                }
                next += 1;
                state.lock().unwrap_or_else(|e| e.into_inner()).1 = next;
                room.notify_all();
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(rels: &[&str]) -> Vec<String> {
        let rels: Vec<PathBuf> = rels.iter().map(PathBuf::from).collect();
        output_paths(&rels, "py")
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn ordered_map_keeps_order_and_bounds_what_is_in_flight() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (in_flight, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut seen = Vec::new();
        let r: Result<(), ()> = ordered_map(
            500,
            4,
            8,
            &|i| {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Later items finish first now and then.
                if i % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                i * 2
            },
            &mut |i, v| {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                assert_eq!(v, i * 2);
                seen.push(i);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 8, "{most:?}");
        // A sink error stops the run.
        let mut handed = 0;
        let r = ordered_map(10_000, 3, 6, &|i| i, &mut |i, _| {
            handed += 1;
            if i == 20 {
                Err("closed")
            } else {
                Ok(())
            }
        });
        assert_eq!((r, handed), (Err("closed"), 21));
    }

    #[test]
    fn shards_partition_the_inputs_evenly() {
        let keys: Vec<String> = (0..4000)
            .map(|i| format!("dir{}/file {i}.plist", i % 13))
            .collect();
        let mut sizes = [0usize; 4];
        for k in &keys {
            let owners: Vec<u64> = (0..4).filter(|&i| in_shard(k, i, 4)).collect();
            assert_eq!(owners.len(), 1, "{k}");
            sizes[owners[0] as usize] += 1;
        }
        assert!(sizes.iter().all(|&n| (900..1100).contains(&n)), "{sizes:?}");
        assert!(in_shard("x", 0, 1));
    }

    #[test]
    fn walked_files_are_classified_by_name_and_bytes() {
        let l = |name: &str, bytes: &[u8]| likeness(Path::new(name), bytes);
        assert_eq!(l("a.shortcut", b""), Likeness::Shortcut);
        assert_eq!(l("a.wflow", b"junk"), Likeness::Shortcut);
        assert_eq!(
            l("a.json", b"{\"WFWorkflowActions\": 3"),
            Likeness::Shortcut
        );
        assert_eq!(
            l(
                "a.bin",
                b"W\0F\0W\0o\0r\0k\0f\0l\0o\0w\0A\0c\0t\0i\0o\0n\0s\0"
            ),
            Likeness::Shortcut
        );
        assert_eq!(l("a.plist", b""), Likeness::Container);
        assert_eq!(l("x", b"bplist00\0"), Likeness::Container);
        assert_eq!(l("x", b"PK\x05\x06\0\0"), Likeness::Container);
        assert_eq!(l("x", b"AEA1...."), Likeness::Container);
        assert_eq!(
            l("x.xml", b"  <?xml version=\"1.0\"?><!DOCTYPE plist"),
            Likeness::Container
        );
        assert_eq!(l("x", b"\xFF\xFE<\0?\0"), Likeness::Container);
        assert_eq!(l("package.json", b"{\"name\": 1}"), Likeness::Other);
        assert_eq!(l("README.md", b"# hi"), Likeness::Other);
        assert_eq!(
            l("i.svg", b"<?xml version=\"1.0\"?><svg/>"),
            Likeness::Other
        );
    }

    #[test]
    fn outputs_never_overwrite_each_other() {
        assert_eq!(paths(&["a/x.plist", "a/y.shortcut"]), ["a/x.py", "a/y.py"]);
        // Twins side by side keep their whole names; others are untouched.
        assert_eq!(
            paths(&["a/x.plist", "a/x.shortcut", "a/x.json", "b/x.plist"]),
            ["a/x.plist.py", "a/x.shortcut.py", "a/x.json.py", "b/x.py"]
        );
        // The same place below two roots.
        assert_eq!(
            paths(&["x.plist", "x.plist", "x.plist"]),
            ["x.plist.py", "x.plist-2.py", "x.plist-3.py"]
        );
    }
}
