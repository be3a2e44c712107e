//! Evaluation: CodeBLEU as WorkflowLLM's `codebleu` package computes it ([`codebleu`]), the
//! deterministic pass verdict ([`pass`]) and the scoring report over predictions ([`score`]).

pub mod codebleu;
pub mod pass;
pub mod plan;
pub mod score;
