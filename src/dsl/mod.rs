//! The Python-style DSL: printing (and parsing).
