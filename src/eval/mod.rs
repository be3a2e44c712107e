//! Evaluation of plans and programs against references.

pub mod plan;
