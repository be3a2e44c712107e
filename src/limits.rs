//! Bounds on hostile input. Every size a file claims is checked against these before
//! anything is allocated for it.

/// Limits applied by the readers and the lifter.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest input file accepted.
    pub max_input_bytes: usize,
    /// Largest decompressed payload (AEA, zip), absolute.
    pub max_decompressed_bytes: usize,
    /// Largest ratio of decompressed to compressed bytes.
    pub max_expansion_ratio: usize,
    /// Deepest nesting of plist values and of blocks.
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
