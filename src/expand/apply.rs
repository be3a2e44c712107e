//! Annotations applied through the IR: renames change what references call an output or
//! a variable, comments become Comment statements between statements. Nothing is pasted
//! into program text, so a comment can never land inside a string.

use crate::dsl::names::{is_identifier, is_reserved_word, magic_loop_name};
use crate::ir::*;
use crate::lift::ID_COMMENT;
use std::collections::{BTreeMap, HashMap};

/// Calls `f` on every variable reference of a body, mutably, in program order.
pub fn refs_mut(body: &mut [Stmt], f: &mut dyn FnMut(&mut VarRef)) {
    walk::walk_stmts_mut(body, &mut |item| {
        if let walk::ItemMut::Ref(r) = item {
            f(r)
        }
    });
}

/// What a name in the program stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Output(String),
    Named(String),
}

/// What applying annotations did, besides the program.
#[derive(Debug, Default, Clone)]
pub struct Applied {
    pub renamed: usize,
    pub comments: usize,
    /// Renames and comments that could not be applied, with why (not fatal).
    pub skipped: Vec<String>,
}

/// Applies `renames` (identifier as printed → new identifier) and `comments` (1-based
/// line of `src` → text) to `wf`, which must have been parsed from `src` (spans point
/// into it). Returns the annotated workflow.
pub fn annotate(
    src: &str,
    wf: &Workflow,
    renames: &[(String, String)],
    comments: &BTreeMap<usize, String>,
) -> (Workflow, Applied) {
    let mut wf = wf.clone();
    let mut applied = Applied::default();

    // Which identifier names what: read off the references' spans.
    let mut idents: HashMap<String, Target> = HashMap::new();
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    refs_mut(&mut wf.body, &mut |r| {
        let Some(sp) = r.span.0.clone() else { return };
        let Some(ident) = src.get(sp) else { return };
        taken.insert(ident.to_string());
        let t = match &r.var {
            Var::ActionOutput { uuid, .. } => Target::Output(uuid.clone()),
            Var::Named { name, .. } => Target::Named(name.clone()),
            _ => return,
        };
        idents.entry(ident.to_string()).or_insert(t);
    });
    let mut out_names: HashMap<String, String> = HashMap::new();
    let mut var_names: HashMap<String, String> = HashMap::new();
    for (old, new) in renames {
        let new = new.trim();
        if old == new {
            continue;
        }
        let why = if !is_identifier(new) || is_reserved_word(new) {
            Some("not a usable identifier")
        } else if magic_loop_name(new).is_some() || magic_loop_name(old).is_some() {
            Some("loop variables keep their names")
        } else if taken.contains(new) {
            Some("the new name is already in use")
        } else {
            None
        };
        if let Some(why) = why {
            applied.skipped.push(format!("rename {old} → {new}: {why}"));
            continue;
        }
        match idents.get(old.as_str()) {
            Some(Target::Output(u)) => {
                out_names.insert(u.clone(), new.replace('_', " "));
            }
            Some(Target::Named(n)) => {
                var_names.insert(n.clone(), new.to_string());
            }
            None => {
                applied
                    .skipped
                    .push(format!("rename {old} → {new}: no such variable"));
                continue;
            }
        }
        taken.insert(new.to_string());
        applied.renamed += 1;
    }
    refs_mut(&mut wf.body, &mut |r| match &mut r.var {
        Var::ActionOutput { uuid, name } => {
            if let Some(n) = out_names.get(uuid.as_str()) {
                *name = Some(n.clone());
            }
        }
        Var::Named { name, .. } => {
            if let Some(n) = var_names.get(name.as_str()) {
                *name = n.clone();
            }
        }
        _ => {}
    });
    rename_sets(&mut wf.body, &var_names);

    // Comments before the statements their lines start.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |off: usize| line_starts.partition_point(|&s| s <= off);
    let mut placed = std::collections::HashSet::new();
    insert_comments(&mut wf.body, comments, &line_of, &mut placed);
    applied.comments = placed.len();
    if applied.comments > 0 {
        shift_import_questions(&mut wf);
    }
    for l in comments.keys().filter(|l| !placed.contains(*l)) {
        applied
            .skipped
            .push(format!("comment for line {l}: no statement starts there"));
    }
    (wf, applied)
}

fn rename_sets(body: &mut [Stmt], names: &HashMap<String, String>) {
    if names.is_empty() {
        return;
    }
    for s in body {
        match s {
            Stmt::SetVariable { name, .. } => {
                if let Some(n) = names.get(name.as_str()) {
                    *name = n.clone();
                }
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                rename_sets(then, names);
                if let Some((_, b)) = otherwise {
                    rename_sets(b, names);
                }
            }
            Stmt::Menu { cases, .. } => cases
                .iter_mut()
                .for_each(|c| rename_sets(&mut c.body, names)),
            Stmt::RepeatCount { body, .. } | Stmt::RepeatEach { body, .. } => {
                rename_sets(body, names)
            }
            _ => {}
        }
    }
}

fn comment_stmt(text: &str) -> Stmt {
    Stmt::Comment {
        text: text.to_string(),
        action: Action::new(ID_COMMENT),
    }
}

/// A comment's text as a `#` line can hold it: no leading `#`, no blank lines, bounded.
pub fn clean_comment(t: &str) -> Option<String> {
    let lines: Vec<&str> = t
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return None;
    }
    let mut s = lines.join("\n");
    if s.len() > 600 {
        let mut cut = 600;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    Some(s)
}

fn start_of(s: &Stmt) -> Option<usize> {
    let a = match s {
        Stmt::Action(a) => a,
        Stmt::Comment { action, .. } | Stmt::SetVariable { action, .. } => action,
        Stmt::If { markers, .. }
        | Stmt::Menu { markers, .. }
        | Stmt::RepeatCount { markers, .. }
        | Stmt::RepeatEach { markers, .. } => &markers.start,
    };
    a.span.0.as_ref().map(|r| r.start)
}

fn take_comment(
    comments: &BTreeMap<usize, String>,
    placed: &mut std::collections::HashSet<usize>,
    line: usize,
) -> Option<Stmt> {
    let c = comments.get(&line)?;
    let text = clean_comment(c)?;
    placed.insert(line).then(|| comment_stmt(&text))
}

fn insert_comments(
    body: &mut Vec<Stmt>,
    comments: &BTreeMap<usize, String>,
    line_of: &dyn Fn(usize) -> usize,
    placed: &mut std::collections::HashSet<usize>,
) {
    let old = std::mem::take(body);
    for mut s in old {
        if let Some(c) = start_of(&s).and_then(|o| take_comment(comments, placed, line_of(o))) {
            body.push(c);
        }
        match &mut s {
            Stmt::If {
                then, otherwise, ..
            } => {
                insert_comments(then, comments, line_of, placed);
                if let Some((m, b)) = otherwise {
                    insert_comments(b, comments, line_of, placed);
                    // A comment on the `else:` line opens the else body.
                    if let Some(c) = m
                        .span
                        .0
                        .as_ref()
                        .and_then(|r| take_comment(comments, placed, line_of(r.start)))
                    {
                        b.insert(0, c);
                    }
                }
            }
            Stmt::Menu { cases, .. } => {
                for c in cases {
                    insert_comments(&mut c.body, comments, line_of, placed);
                    if let Some(cm) = c
                        .marker
                        .span
                        .0
                        .as_ref()
                        .and_then(|r| take_comment(comments, placed, line_of(r.start)))
                    {
                        c.body.insert(0, cm);
                    }
                }
            }
            Stmt::RepeatCount { body: b, .. } | Stmt::RepeatEach { body: b, .. } => {
                insert_comments(b, comments, line_of, placed)
            }
            _ => {}
        }
        body.push(s);
    }
}

/// Import questions point at actions by index; inserted comments (the Comment statements
/// without a source span) move the actions after them, so the indices follow.
fn shift_import_questions(wf: &mut Workflow) {
    let mut new_index = Vec::new();
    let mut j = 0usize;
    visit_actions(&wf.body, &mut |a| {
        if !(a.id == ID_COMMENT && a.span.is_none()) {
            new_index.push(j);
        }
        j += 1;
    });
    for (k, v) in &mut wf.meta {
        if k != "WFWorkflowImportQuestions" {
            continue;
        }
        let Value::Array(qs) = v else { continue };
        for q in qs {
            let Value::Dict(p) = q else { continue };
            for (k, x) in p.iter_mut() {
                if k != "ActionIndex" {
                    continue;
                }
                // An index past the end (stale data copied from another shortcut) stays
                // past the end by as much.
                if let Value::Int(i) = x {
                    if let Ok(i) = usize::try_from(i.get()) {
                        let n = new_index
                            .get(i)
                            .copied()
                            .unwrap_or(j + (i - new_index.len().min(i)));
                        *x = Value::Int(Integer::new(n as i128));
                    }
                }
            }
        }
    }
}
