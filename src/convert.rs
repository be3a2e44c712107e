//! `wfc convert`: files in, DSL out.
