//! The Python-style DSL: printing and parsing. `docs/DSL.md` describes the language.

mod ast;
pub mod diag;
mod layout;
pub mod names;
mod parse;
mod print;

pub use diag::Diagnostic;
pub use parse::{parse, parse_recovering, ParseOptions, Parsed};
pub use print::{print, py_str};
