//! The Python-style DSL: printing (and parsing).

pub mod names;
mod print;

pub use print::{print, py_str};
