//! App names from `App-Identifiers.json`: bundle id → { Name, ShortName, URLSchemes, ... }
//! (a dictionary, possibly wrapped in a one-element array).

use super::draft::Draft;
use super::{CatalogError, Source};
use serde_json::Value;
use std::path::Path;

pub fn import(draft: &mut Draft, path: &Path) -> Result<usize, CatalogError> {
    let v = super::read_json(path)?;
    let m = super::unwrap_single(&v)
        .as_object()
        .ok_or_else(|| CatalogError::source(path, "expected bundle id → app"))?;
    for (bundle, app) in m {
        let name = app
            .get("Name")
            .or_else(|| app.get("ShortName"))
            .and_then(Value::as_str)
            .map(str::to_string);
        draft.offer_app(bundle, name, Source::AppIdentifiers);
    }
    draft.record(
        Source::AppIdentifiers,
        vec![path.display().to_string()],
        m.len(),
        None,
    );
    Ok(m.len())
}
