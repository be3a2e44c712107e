//! Bounds on hostile input. Every size a file claims is checked against these before
//! anything is allocated for it; `tests/hostile.rs` holds one case per bound, with the
//! error each must produce, and `fuzz/README.md` lists them for fuzzing contributors.
//!
//! What is bounded, and where:
//! - **Input size**: [`Limits::max_input_bytes`], checked by
//!   [`crate::shortcut::read_bytes`] (and before reading a file or stdin). A binary plist
//!   object that claims more bytes than the file holds (a "1 GB string" in a 60-byte file)
//!   is refused by the `plist` crate before it allocates.
//! - **Nesting of values**: [`Limits::max_depth`]. XML plists are pre-scanned (every
//!   element counts, whatever its prefix or attributes); binary plists are pre-scanned
//!   over their object graph; JSON stops at serde_json's 128. Nothing deeper is built, so
//!   nothing recursive (lifting, printing, dropping) can overflow the stack.
//! - **Nesting of blocks**: [`Limits::max_depth`], in the lifter (`conditional`, menu and
//!   repeat starts) and in the DSL parser (indentation). Bracket nesting on a DSL line is
//!   bounded by the parser itself (it reports "unexpected `[`").
//! - **Expansion**: [`Limits::max_decompressed_bytes`] absolute and
//!   [`Limits::max_expansion_ratio`] relative to the input, for the AEA payload (checked on
//!   the header's claim, then on each segment as decoded), zip members (on their claims and
//!   on the bytes actually inflated), and binary plists whose objects share children (the
//!   size of the expanded tree is computed before it is built).
//! - **Offsets and sizes** in AEA and Apple Archive are checked against the bytes that
//!   remain before they are sliced; LZFSE output is capped at the segment's claimed size.

/// Limits applied by the readers and the lifter.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest input file accepted (default 256 MiB).
    pub max_input_bytes: usize,
    /// Largest decompressed payload (AEA, zip) or expanded binary plist, absolute
    /// (default 512 MiB).
    pub max_decompressed_bytes: usize,
    /// Largest ratio of decompressed (or expanded) to input bytes (default 1000).
    pub max_expansion_ratio: usize,
    /// Deepest nesting of plist values and of blocks (default 512).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 256 << 20,
            max_decompressed_bytes: 512 << 20,
            max_expansion_ratio: 1000,
            max_depth: 512,
        }
    }
}
