//! wfc: Apple Shortcuts as WorkflowBench-style Python.
//!
//! The pipeline, one module per stage: [`shortcut`] (containers) → [`lift`] (plist → IR)
//! → [`ir`] → [`dsl`] (print) → [`compile`] (IR → plist). [`catalog`] knows the actions.

pub mod catalog;
pub mod check;
pub mod compile;
pub mod convert;
pub mod dsl;
pub mod eval;
pub mod fuzz_targets;
pub mod ir;
pub mod lift;
pub mod limits;
pub mod shortcut;
