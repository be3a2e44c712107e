//! The data-flow graph of `codebleu`'s `DFG_python` and `get_data_flow`, normalized as
//! `normalize_dataflow` does, and the match of `corpus_dataflow_match`.
//!
//! Determinism: the reference builds some name lists with `list(set(a + b))` (merging the
//! edges of one token inside `for`/`while` loops and in `get_data_flow`), so their order, and
//! with it the normalized edges, follows Python's string hashes and changes with
//! `PYTHONHASHSEED`. Here those lists take the order CPython 3.11 gives them with
//! `PYTHONHASHSEED=0` (hash randomization off; see [`super::pyset`]): fixed, and the same
//! numbers as the reference run that way. Every other order is the reference's own.
//!
//! Where the reference fails (a missing field, a token it cannot find, Python's recursion
//! limit on deep trees) it yields no data flow for the program; so does this.

use super::pyset::{py_str_hash, set_order};
use rustc_hash::FxHashMap;
use tree_sitter::{Node, Point, Tree};

/// Deepest tree (root = 1) the reference walks before Python's recursion limit (1000 frames,
/// four taken by the callers) stops it and it falls back to no data flow.
pub const PY_MAX_DEPTH: usize = 995;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Rel {
    ComesFrom,
    ComputedFrom,
}

#[derive(Clone, Debug)]
struct Item {
    name: u32,
    idx: u32,
    rel: Rel,
    names: Vec<u32>,
    idxs: Vec<u32>,
}

/// The reference failed somewhere: no data flow for this program.
struct Fail;

type States = Vec<Option<Vec<u32>>>;

struct Ctx<'a> {
    index_to_code: FxHashMap<(Point, Point), (u32, u32)>,
    names: Vec<String>,
    /// `hash(name)` per name id, for the set order.
    hashes: Vec<i64>,
    src: &'a str,
}

fn span(n: &Node) -> (Point, Point) {
    (n.start_position(), n.end_position())
}

fn is_leaf(n: &Node) -> bool {
    (n.child_count() == 0 || matches!(n.kind(), "string_literal" | "string" | "character_literal"))
        && n.kind() != "comment"
}

fn children<'t>(n: &Node<'t>) -> Vec<Node<'t>> {
    let mut c = n.walk();
    n.children(&mut c).collect()
}

/// Python's `s[a:b]` with char indices (the reference slices str lines with tree-sitter's byte
/// columns, so non-ASCII lines give shifted tokens; that is what it scores).
fn py_slice(s: &str, a: usize, b: Option<usize>) -> &str {
    if s.is_ascii() {
        let b = b.unwrap_or(s.len()).min(s.len());
        let a = a.min(s.len());
        return if a < b { &s[a..b] } else { "" };
    }
    let mut it = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    let nchars = s.chars().count();
    let b = b.unwrap_or(nchars).min(nchars);
    let a = a.min(nchars);
    if a >= b {
        return "";
    }
    let start = it.nth(a).unwrap_or(s.len());
    let end = it.nth(b - a - 1).unwrap_or(s.len());
    &s[start..end]
}

/// `index_to_code_token`.
fn code_token(lines: &[&str], s: Point, e: Point) -> Result<String, Fail> {
    let line = |r: usize| lines.get(r).copied().ok_or(Fail);
    if s.row == e.row {
        return Ok(py_slice(line(s.row)?, s.column, Some(e.column)).to_string());
    }
    let mut out = py_slice(line(s.row)?, s.column, None).to_string();
    for r in s.row + 1..e.row {
        out.push_str(line(r)?);
    }
    out.push_str(py_slice(line(e.row)?, 0, Some(e.column)));
    Ok(out)
}

/// Depth of the deepest node (root = 1), walked without recursion.
pub fn max_depth(tree: &Tree) -> usize {
    let mut c = tree.walk();
    let mut depth = 1;
    let mut best = 1;
    loop {
        if c.goto_first_child() {
            depth += 1;
            best = best.max(depth);
            continue;
        }
        loop {
            if c.goto_next_sibling() {
                break;
            }
            if !c.goto_parent() {
                return best;
            }
            depth -= 1;
        }
    }
}

impl<'a> Ctx<'a> {
    fn leaves<'t>(n: Node<'t>, out: &mut Vec<Node<'t>>) {
        if is_leaf(&n) {
            out.push(n);
        } else {
            for c in children(&n) {
                Self::leaves(c, out);
            }
        }
    }

    fn lookup(&self, n: &Node) -> Result<(u32, u32), Fail> {
        self.index_to_code.get(&span(n)).copied().ok_or(Fail)
    }

    fn code(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// `tree_to_variable_index`, returning (idx, name) pairs.
    fn variables(&self, n: &Node, out: &mut Vec<(u32, u32)>) -> Result<(), Fail> {
        if is_leaf(n) {
            let (idx, code) = self.lookup(n)?;
            if n.kind() != self.code(code) {
                out.push((idx, code));
            }
        } else {
            for c in children(n) {
                self.variables(&c, out)?;
            }
        }
        Ok(())
    }

    fn vars_of(&self, n: &Node) -> Result<Vec<(u32, u32)>, Fail> {
        let mut v = Vec::new();
        self.variables(n, &mut v)?;
        Ok(v)
    }

    fn computed_from(
        &self,
        left: &Node,
        right: &Node,
        dfg: &mut Vec<Item>,
        states: &mut States,
    ) -> Result<(), Fail> {
        let l = self.vars_of(left)?;
        let r = self.vars_of(right)?;
        for (idx1, code1) in l {
            dfg.push(Item {
                name: code1,
                idx: idx1,
                rel: Rel::ComputedFrom,
                names: r.iter().map(|x| x.1).collect(),
                idxs: r.iter().map(|x| x.0).collect(),
            });
            states[code1 as usize] = Some(vec![idx1]);
        }
        Ok(())
    }

    /// Left and right sides split on commas when they pair up, as the reference does.
    fn sides<'t>(
        left: Option<Node<'t>>,
        right: Option<Node<'t>>,
    ) -> Result<(Vec<Node<'t>>, Vec<Node<'t>>), Fail> {
        let (l, r) = (left.ok_or(Fail)?, right.ok_or(Fail)?);
        let mut ln: Vec<Node> = children(&l)
            .into_iter()
            .filter(|x| x.kind() != ",")
            .collect();
        let mut rn: Vec<Node> = children(&r)
            .into_iter()
            .filter(|x| x.kind() != ",")
            .collect();
        if ln.len() != rn.len() {
            ln = vec![l];
            rn = vec![r];
        }
        if ln.is_empty() {
            ln = vec![l];
        }
        if rn.is_empty() {
            rn = vec![r];
        }
        Ok((ln, rn))
    }

    /// `list(set(names))` in CPython's order under `PYTHONHASHSEED=0`.
    fn set_list(&self, names: &[u32]) -> Vec<u32> {
        let hashes: Vec<i64> = names.iter().map(|&n| self.hashes[n as usize]).collect();
        set_order(&hashes, |a, b| names[a] == names[b])
            .into_iter()
            .map(|i| names[i])
            .collect()
    }

    /// Merges items of the same (name, idx, relation) as the loop branches do.
    fn merge_loop(&self, dfg: Vec<Item>) -> Vec<Item> {
        let mut order: Vec<(u32, u32, Rel)> = Vec::new();
        type Parents = (Vec<u32>, Vec<u32>);
        let mut map: FxHashMap<(u32, u32, Rel), Parents> = FxHashMap::default();
        for x in dfg {
            let k = (x.name, x.idx, x.rel);
            match map.get_mut(&k) {
                None => {
                    order.push(k);
                    map.insert(k, (x.names, x.idxs));
                }
                Some((names, idxs)) => {
                    names.extend(x.names);
                    *names = self.set_list(names);
                    idxs.extend(x.idxs);
                    idxs.sort_unstable();
                    idxs.dedup();
                }
            }
        }
        order.sort_by_key(|k| k.1);
        order
            .into_iter()
            .map(|k| {
                let (names, idxs) = map.remove(&k).unwrap_or_default();
                Item {
                    name: k.0,
                    idx: k.1,
                    rel: k.2,
                    names,
                    idxs,
                }
            })
            .collect()
    }

    fn walk(&self, n: Node, mut states: States) -> Result<(Vec<Item>, States), Fail> {
        let kind = n.kind();
        if is_leaf(&n) {
            let (idx, code) = self.lookup(&n)?;
            if kind == self.code(code) {
                return Ok((vec![], states));
            }
            if let Some(s) = &states[code as usize] {
                let item = Item {
                    name: code,
                    idx,
                    rel: Rel::ComesFrom,
                    names: vec![code],
                    idxs: s.clone(),
                };
                return Ok((vec![item], states));
            }
            if kind == "identifier" {
                states[code as usize] = Some(vec![idx]);
            }
            let item = Item {
                name: code,
                idx,
                rel: Rel::ComesFrom,
                names: vec![],
                idxs: vec![],
            };
            return Ok((vec![item], states));
        }
        let mut dfg = Vec::new();
        match kind {
            "default_parameter" => {
                let name = n.child_by_field_name("name").ok_or(Fail)?;
                match n.child_by_field_name("value") {
                    None => {
                        for (idx, code) in self.vars_of(&name)? {
                            dfg.push(Item {
                                name: code,
                                idx,
                                rel: Rel::ComesFrom,
                                names: vec![],
                                idxs: vec![],
                            });
                            states[code as usize] = Some(vec![idx]);
                        }
                    }
                    Some(value) => {
                        let names = self.vars_of(&name)?;
                        let values = self.vars_of(&value)?;
                        let (t, s) = self.walk(value, states)?;
                        states = s;
                        dfg.extend(t);
                        for (idx1, code1) in names {
                            for &(idx2, code2) in &values {
                                dfg.push(Item {
                                    name: code1,
                                    idx: idx1,
                                    rel: Rel::ComesFrom,
                                    names: vec![code2],
                                    idxs: vec![idx2],
                                });
                            }
                            states[code1 as usize] = Some(vec![idx1]);
                        }
                    }
                }
            }
            "assignment" | "augmented_assignment" | "for_in_clause" => {
                let (left_nodes, right_nodes) = if kind == "for_in_clause" {
                    let last = n.child(n.child_count().wrapping_sub(1)).ok_or(Fail)?;
                    (vec![n.child_by_field_name("left")], vec![last])
                } else {
                    if n.child_by_field_name("right").is_none() {
                        return Ok((vec![], states));
                    }
                    let (l, r) = Self::sides(
                        n.child_by_field_name("left"),
                        n.child_by_field_name("right"),
                    )?;
                    (l.into_iter().map(Some).collect(), r)
                };
                for r in &right_nodes {
                    let (t, s) = self.walk(*r, states)?;
                    states = s;
                    dfg.extend(t);
                }
                for (l, r) in left_nodes.iter().zip(&right_nodes) {
                    let l = l.ok_or(Fail)?;
                    self.computed_from(&l, r, &mut dfg, &mut states)?;
                }
            }
            "if_statement" => {
                let mut current = states.clone();
                let mut others: Vec<States> = Vec::new();
                let mut tag = false;
                for c in children(&n) {
                    if c.kind().contains("else") {
                        tag = true;
                    }
                    if c.kind() != "elif_clause" && c.kind() != "else_clause" {
                        let (t, s) = self.walk(c, current)?;
                        current = s;
                        dfg.extend(t);
                    } else {
                        let (t, s) = self.walk(c, states.clone())?;
                        dfg.extend(t);
                        others.push(s);
                    }
                }
                others.push(current);
                if !tag {
                    others.push(states);
                }
                let mut merged: States = vec![None; self.names.len()];
                for dic in others {
                    for (k, v) in dic.into_iter().enumerate() {
                        if let Some(v) = v {
                            merged[k].get_or_insert_with(Vec::new).extend(v);
                        }
                    }
                }
                for v in merged.iter_mut().flatten() {
                    v.sort_unstable();
                    v.dedup();
                }
                dfg.sort_by_key(|x| x.idx);
                return Ok((dfg, merged));
            }
            "for_statement" => {
                for _ in 0..2 {
                    let (left_nodes, right_nodes) = Self::sides(
                        n.child_by_field_name("left"),
                        n.child_by_field_name("right"),
                    )?;
                    for r in &right_nodes {
                        let (t, s) = self.walk(*r, states)?;
                        states = s;
                        dfg.extend(t);
                    }
                    for (l, r) in left_nodes.iter().zip(&right_nodes) {
                        self.computed_from(l, r, &mut dfg, &mut states)?;
                    }
                    let last = n.child(n.child_count().wrapping_sub(1)).ok_or(Fail)?;
                    if last.kind() == "block" {
                        let (t, s) = self.walk(last, states)?;
                        states = s;
                        dfg.extend(t);
                    }
                }
                dfg = self.merge_loop(dfg);
            }
            "while_statement" => {
                let cs = children(&n);
                for _ in 0..2 {
                    for c in &cs {
                        let (t, s) = self.walk(*c, states)?;
                        states = s;
                        dfg.extend(t);
                    }
                }
                dfg = self.merge_loop(dfg);
            }
            _ => {
                let cs = children(&n);
                for first in [true, false] {
                    for c in &cs {
                        if (c.kind() == "for_in_clause") == first {
                            let (t, s) = self.walk(*c, states)?;
                            states = s;
                            dfg.extend(t);
                        }
                    }
                }
            }
        }
        dfg.sort_by_key(|x| x.idx);
        Ok((dfg, states))
    }
}

/// A normalized edge: (variable, relation, parent variables), variables numbered by first use.
pub type Edge = (u32, bool, Vec<u32>);

/// The normalized data flow of (already comment-stripped) `src` parsed as `tree`.
pub fn normalized_dataflow(src: &str, tree: &Tree) -> Vec<Edge> {
    let items = get_data_flow(src, tree).unwrap_or_default();
    let mut var: FxHashMap<u32, u32> = FxHashMap::default();
    let num = |name: u32, var: &mut FxHashMap<u32, u32>| {
        let n = var.len() as u32;
        *var.entry(name).or_insert(n)
    };
    items
        .into_iter()
        .map(|it| {
            let parents: Vec<u32> = it.names.iter().map(|&x| num(x, &mut var)).collect();
            let v = num(it.name, &mut var);
            (v, it.rel == Rel::ComputedFrom, parents)
        })
        .collect()
}

fn get_data_flow(src: &str, tree: &Tree) -> Result<Vec<Item>, Fail> {
    if max_depth(tree) > PY_MAX_DEPTH {
        return Err(Fail);
    }
    let root = tree.root_node();
    let mut leaves = Vec::new();
    Ctx::leaves(root, &mut leaves);
    let lines: Vec<&str> = src.split('\n').collect();
    let mut ctx = Ctx {
        index_to_code: FxHashMap::default(),
        names: Vec::new(),
        hashes: Vec::new(),
        src,
    };
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    for (i, leaf) in leaves.iter().enumerate() {
        let code = code_token(&lines, leaf.start_position(), leaf.end_position())?;
        let next = ids.len() as u32;
        let id = *ids.entry(code.clone()).or_insert_with(|| {
            ctx.names.push(code);
            next
        });
        ctx.index_to_code.insert(span(leaf), (i as u32, id));
    }
    let _ = ctx.src;
    ctx.hashes = ctx.names.iter().map(|n| py_str_hash(n)).collect();
    let states: States = vec![None; ctx.names.len()];
    let mut dfg = match ctx.walk(root, states) {
        Ok((d, _)) => d,
        Err(Fail) => Vec::new(),
    };
    dfg.sort_by_key(|x| x.idx);
    let mut keep = rustc_hash::FxHashSet::default();
    for d in &dfg {
        if !d.idxs.is_empty() {
            keep.insert(d.idx);
        }
        keep.extend(d.idxs.iter().copied());
    }
    dfg.retain(|d| keep.contains(&d.idx));
    // Merge the items of one token: the last one's name and relation, the union of parents.
    let mut order: Vec<u32> = Vec::new();
    let mut by_idx: FxHashMap<u32, Item> = FxHashMap::default();
    for d in dfg {
        match by_idx.get_mut(&d.idx) {
            None => {
                order.push(d.idx);
                by_idx.insert(d.idx, d);
            }
            Some(old) => {
                let mut names = std::mem::take(&mut old.names);
                names.extend(d.names);
                old.names = ctx.set_list(&names);
                old.name = d.name;
                old.rel = d.rel;
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|i| by_idx.remove(&i))
        .collect())
}

/// (reference edges found in the candidate, each candidate edge used once; reference edges).
pub fn dataflow_counts(reference: &[Edge], candidate: &[Edge]) -> (u64, u64) {
    let mut avail: FxHashMap<&Edge, u32> = FxHashMap::default();
    for e in candidate {
        *avail.entry(e).or_insert(0) += 1;
    }
    let mut matched = 0;
    for e in reference {
        if let Some(c) = avail.get_mut(e) {
            if *c > 0 {
                *c -= 1;
                matched += 1;
            }
        }
    }
    (matched, reference.len() as u64)
}
