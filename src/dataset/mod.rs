//! `wfc dataset`: builds WorkflowBench-format datasets from records in the shared schema
//! (`docs/dataset.md`): quality filter, repair of WorkflowBench's known defects, deduplication
//! by meaning, ID/OOD splits, statistics, plots and training export.

pub mod build;
pub mod dedup;
pub mod export;
pub mod input;
pub mod plot;
pub mod record;
pub mod repair;
pub mod split;
pub mod stats;

pub use record::{Naming, Provenance, Record};

use crate::ir::{Stmt, Workflow};

/// Structural features of a program, for statistics (WorkflowBench's Table 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Shape {
    /// Plist actions other than comments (block markers included, as the file counts them).
    pub actions: u32,
    /// `if` blocks.
    pub ifs: u32,
    /// Repeat and repeat-each loops.
    pub loops: u32,
    /// Block nesting depth, a flat program being 1.
    pub depth: u32,
}

impl Shape {
    pub fn of(wf: &Workflow) -> Shape {
        let mut s = Shape::default();
        crate::ir::visit_actions(&wf.body, &mut |a| {
            if a.id != "is.workflow.actions.comment" {
                s.actions += 1;
            }
        });
        s.depth = 1 + walk(&wf.body, &mut s, 0);
        s
    }
}

/// Counts ifs and loops; returns the deepest nesting under `body`. Recursion follows the IR,
/// whose depth the parser already bounds.
fn walk(body: &[Stmt], s: &mut Shape, depth: u32) -> u32 {
    let mut deepest = depth;
    for st in body {
        let d = match st {
            Stmt::If {
                then, otherwise, ..
            } => {
                s.ifs += 1;
                let a = walk(then, s, depth + 1);
                let b = otherwise
                    .as_ref()
                    .map_or(depth + 1, |(_, o)| walk(o, s, depth + 1));
                a.max(b)
            }
            Stmt::Menu { cases, .. } => cases
                .iter()
                .map(|c| walk(&c.body, s, depth + 1))
                .max()
                .unwrap_or(depth + 1),
            Stmt::RepeatCount { body, .. } | Stmt::RepeatEach { body, .. } => {
                s.loops += 1;
                walk(body, s, depth + 1)
            }
            _ => depth,
        };
        deepest = deepest.max(d);
    }
    deepest
}

/// Whether an API identifier is one of Apple's built-in actions.
pub fn is_builtin(api: &str) -> bool {
    api.starts_with("is.workflow.actions.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_counts_blocks() {
        let src = "x = is_workflow_actions_number(WFNumberActionNumber=1)\nif x == 1:\n    for i in range(3):\n        is_workflow_actions_showresult(Text='''a''')\nelse:\n    is_workflow_actions_showresult(Text='''b''')\n";
        let wf = crate::dsl::parse(src, Default::default()).expect("parses");
        let s = Shape::of(&wf);
        assert_eq!((s.ifs, s.loops, s.depth), (1, 1, 3));
        assert!(s.actions >= 4);
    }
}
