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
    let (bytes, extra) = match input {
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
    };
    thread_local! {
        // Each worker thread reads file after file into the same memory.
        static SCRATCH: std::cell::RefCell<shortcut::Scratch> = Default::default();
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let result = shortcut::read_tree(&bytes, scratch, limits).map(|mut loaded| {
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
