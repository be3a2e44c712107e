//! Parsing with tree-sitter-python 0.21.0 and the AST subtree match of `codebleu`'s
//! `syntax_match`: the subtrees are the root and every node with children; each is named by
//! its S-expression (`ts_node_string`, what `str(node)` gives in py-tree-sitter 0.22), and a
//! reference subtree matches when any candidate subtree has the same S-expression.

use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use tree_sitter::{Node, Parser, Tree};

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parses Python source; `None` only if the parser refuses (it does not on any text input).
pub fn parse(src: &str) -> Option<Tree> {
    PARSER.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_none() {
            let mut parser = Parser::new();
            parser.set_language(&tree_sitter_python::language()).ok()?;
            *p = Some(parser);
        }
        p.as_mut()?.parse(src, None)
    })
}

/// The subtree S-expressions of a tree, as a multiset: sexp → count.
pub struct Subtrees {
    pub counts: FxHashMap<Box<str>, u32>,
    pub total: u64,
}

/// Deepest tree whose S-expressions are written: tree-sitter writes them recursively in C, so a
/// pathologically deep tree (thousands of nested brackets) would exhaust the stack. Deeper
/// trees count their subtrees but match none.
pub const MAX_SEXP_DEPTH: usize = 4000;

/// Collects the root and every node with children.
pub fn subtrees(tree: &Tree) -> Subtrees {
    let mut counts: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut total = 0u64;
    let deep = super::dataflow::max_depth(tree) > MAX_SEXP_DEPTH;
    let mut stack: Vec<Node> = vec![tree.root_node()];
    let mut cursor = tree.walk();
    while let Some(n) = stack.pop() {
        total += 1;
        if !deep {
            *counts.entry(n.to_sexp().into_boxed_str()).or_insert(0) += 1;
        }
        for c in n.children(&mut cursor) {
            if c.child_count() != 0 {
                stack.push(c);
            }
        }
    }
    Subtrees { counts, total }
}

/// (reference subtrees found among the candidate's, reference subtrees).
pub fn syntax_counts(reference: &Subtrees, candidate: &Subtrees) -> (u64, u64) {
    let cand: FxHashSet<&str> = candidate.counts.keys().map(|k| &**k).collect();
    let matched = reference
        .counts
        .iter()
        .filter(|(k, _)| cand.contains(&***k))
        .map(|(_, &c)| c as u64)
        .sum();
    (matched, reference.total)
}
