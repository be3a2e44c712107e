//! iCloud share links: `https://www.icloud.com/shortcuts/<uuid>`.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ICloudError {
    #[error("not implemented")]
    Unimplemented,
}
