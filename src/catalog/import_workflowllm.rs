//! WorkflowLLM's tables, keyed by WorkflowBench names (the identifier with `.` written `_`):
//! `identifier2category.json` (name → categories, all 1,503 WorkflowBench APIs),
//! `identifier2keyparams.json` (name → the parameter that receives the implicit input) and
//! `identifier2output.json` (a list of the actions that produce output; some entries are
//! written with dots, most with underscores).
//!
//! Names are mapped back to identifiers by [`Resolver`]; run this importer after the
//! others so that their identifiers are known.

use super::draft::{offer, Draft};
use super::{CatalogError, Source};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How a WorkflowBench name was mapped to an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resolution {
    /// Exactly one identifier known from another source is written this way.
    Known,
    /// The name starts with a known bundle id (written with `_`); the rest is the last
    /// identifier component, kept verbatim.
    BundlePrefix,
    /// No bundle id matched: every `_` is read as `.`.
    Dots,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Known => "known",
            Resolution::BundlePrefix => "bundle-prefix",
            Resolution::Dots => "dots",
        }
    }
}

/// Maps WorkflowBench names (`.` written `_`) back to identifiers.
pub struct Resolver {
    known: BTreeMap<String, Vec<String>>,
    /// bundle id written with `_` → bundle id
    bundles: BTreeMap<String, String>,
}

impl Resolver {
    /// `identifiers`: identifiers known from other sources; `bundle_ids`: app bundle ids.
    pub fn new<'a>(
        identifiers: impl IntoIterator<Item = &'a String>,
        bundle_ids: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        let mut known: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut bundles = BTreeMap::new();
        for id in identifiers {
            known
                .entry(id.replace('.', "_"))
                .or_default()
                .push(id.clone());
            if let Some((bundle, _)) = id.rsplit_once('.') {
                bundles.insert(bundle.replace('.', "_"), bundle.to_string());
            }
        }
        for b in bundle_ids {
            bundles.insert(b.replace('.', "_"), b.clone());
        }
        Resolver { known, bundles }
    }

    pub fn resolve(&self, name: &str) -> (String, Resolution) {
        if name.contains('.') {
            // Already an identifier (some identifier2output.json entries are).
            return (name.to_string(), Resolution::Known);
        }
        if let Some(ids) = self.known.get(name) {
            if ids.len() == 1 {
                return (ids[0].clone(), Resolution::Known);
            }
        }
        // The longest bundle id whose `_` form is followed by `_` and one more component.
        for (i, _) in name.char_indices().rev().filter(|&(_, c)| c == '_') {
            if let Some(bundle) = self.bundles.get(&name[..i]) {
                if i + 1 < name.len() {
                    return (
                        format!("{bundle}.{}", &name[i + 1..]),
                        Resolution::BundlePrefix,
                    );
                }
            }
        }
        (name.replace('_', "."), Resolution::Dots)
    }
}

/// Counts per resolution kind, for the build report.
#[derive(Debug, Default, Clone)]
pub struct ResolutionCounts {
    pub known: usize,
    pub bundle_prefix: usize,
    pub dots: usize,
}

pub struct Paths<'a> {
    pub categories: Option<&'a Path>,
    pub keyparams: Option<&'a Path>,
    pub output: Option<&'a Path>,
}

pub fn import(draft: &mut Draft, paths: Paths<'_>) -> Result<ResolutionCounts, CatalogError> {
    let ids: Vec<String> = draft.actions.keys().cloned().collect();
    let bundles: Vec<String> = draft
        .bundle_ids
        .iter()
        .chain(&draft.app_groups)
        .cloned()
        .collect();
    let resolver = Resolver::new(&ids, &bundles);
    let mut counts = ResolutionCounts::default();
    let mut seen = BTreeSet::new();
    let mut rows = 0;
    let mut files = Vec::new();
    // Counts are over identifier2category.json, the list of all WorkflowBench APIs.
    let mut resolve = |draft: &mut Draft, name: &str, count: bool| -> String {
        let (id, how) = resolver.resolve(name);
        if count && seen.insert(id.clone()) {
            match how {
                Resolution::Known => counts.known += 1,
                Resolution::BundlePrefix => counts.bundle_prefix += 1,
                Resolution::Dots => counts.dots += 1,
            }
        }
        let a = draft.action(&id);
        if a.id_resolution.is_none() || !name.contains('.') {
            a.id_resolution = Some(how.as_str());
        }
        id
    };
    if let Some(p) = paths.categories {
        let v = super::read_json(p)?;
        let m = v
            .as_object()
            .ok_or_else(|| CatalogError::source(p, "expected name → [categories]"))?;
        for (name, cats) in m {
            let id = resolve(draft, name, true);
            let a = draft.action(&id);
            a.workflowbench = true;
            for c in cats
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                a.categories.insert((c.to_string(), Source::WorkflowLlm));
            }
            rows += 1;
        }
        files.push(p.display().to_string());
    }
    if let Some(p) = paths.keyparams {
        let v = super::read_json(p)?;
        let m = v
            .as_object()
            .ok_or_else(|| CatalogError::source(p, "expected name → parameter key"))?;
        for (name, key) in m {
            let id = resolve(draft, name, false);
            if let Some(k) = key.as_str() {
                offer(
                    &mut draft.action(&id).input_key,
                    k.to_string(),
                    Source::WorkflowLlm,
                );
            }
            rows += 1;
        }
        files.push(p.display().to_string());
    }
    if let Some(p) = paths.output {
        let v = super::read_json(p)?;
        let list = v
            .as_array()
            .ok_or_else(|| CatalogError::source(p, "expected a list of names"))?;
        for name in list.iter().filter_map(Value::as_str) {
            let id = resolve(draft, name, false);
            offer(&mut draft.action(&id).has_output, true, Source::WorkflowLlm);
            rows += 1;
        }
        files.push(p.display().to_string());
    }
    let note = format!(
        "names resolved: {} known, {} by bundle prefix, {} by dots",
        counts.known, counts.bundle_prefix, counts.dots
    );
    draft.record(Source::WorkflowLlm, files, rows, Some(note));
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_rules() {
        let ids = vec![
            "is.workflow.actions.downloadurl".to_string(),
            "com.charliemchapman.dark-noise.PlayIntent".to_string(),
        ];
        let bundles = vec![
            "com.apple.iWork.Numbers".to_string(),
            "com.apple".to_string(),
        ];
        let r = Resolver::new(&ids, &bundles);
        assert_eq!(
            r.resolve("is_workflow_actions_downloadurl"),
            ("is.workflow.actions.downloadurl".into(), Resolution::Known)
        );
        assert_eq!(
            r.resolve("com_charliemchapman_dark-noise_StopIntent"),
            (
                "com.charliemchapman.dark-noise.StopIntent".into(),
                Resolution::BundlePrefix
            )
        );
        assert_eq!(
            r.resolve("com_apple_iWork_Numbers_Add_Values"),
            (
                "com.apple.iWork.Numbers.Add_Values".into(),
                Resolution::BundlePrefix
            )
        );
        assert_eq!(
            r.resolve("org_example_Thing"),
            ("org.example.Thing".into(), Resolution::Dots)
        );
    }
}
