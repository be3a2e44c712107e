//! Signed shortcuts: Apple Encrypted Archive, profile 0 (signed, not encrypted).

use crate::limits::Limits;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AeaError {
    #[error("not implemented")]
    Unimplemented,
}

/// What a signed file holds.
#[derive(Debug, Clone)]
pub struct AeaFile {
    /// The auth-data plist (certificate chain and signer details).
    pub auth_data: plist::Value,
    /// The `Shortcut.wflow` binary plist.
    pub wflow: Vec<u8>,
}

impl AeaFile {
    /// Key/value facts for the workflow's provenance.
    pub fn metadata(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

pub fn read(_bytes: &[u8], _limits: &Limits) -> Result<AeaFile, AeaError> {
    Err(AeaError::Unimplemented)
}
