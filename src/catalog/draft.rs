//! The in-memory catalog that importers fill and [`Draft::write`] stores.
//!
//! Importers offer facts with the [`Source`] they came from; a fact replaces an existing
//! one only when its source has higher precedence (a lower [`Source::rank`]).

use super::Source;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A value with the source it came from.
#[derive(Debug, Clone)]
pub struct Fact<T> {
    pub value: T,
    pub source: Source,
}

/// Replaces `slot` with `value` unless it holds a fact from a source of higher precedence.
pub fn offer<T>(slot: &mut Option<Fact<T>>, value: T, source: Source) {
    if slot
        .as_ref()
        .is_none_or(|f| source.rank() < f.source.rank())
    {
        *slot = Some(Fact { value, source });
    }
}

/// One parameter as one source describes it.
#[derive(Debug, Clone, Default)]
pub struct ParamDraft {
    pub key: String,
    pub label: Option<String>,
    pub class: Option<String>,
    pub type_name: Option<String>,
    pub python_type: Option<String>,
    pub required: Option<bool>,
    pub default: Option<Value>,
    pub description: Option<String>,
    /// Allowed values with optional display labels.
    pub enum_values: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, Default)]
pub struct ActionDraft {
    pub name: Option<Fact<String>>,
    pub description: Option<Fact<String>>,
    pub summary: Option<Fact<String>>,
    pub app: Option<Fact<String>>,
    pub input_key: Option<Fact<String>>,
    pub has_output: Option<Fact<bool>>,
    /// Output name and types.
    pub output: Option<Fact<(Option<String>, Vec<String>)>>,
    pub categories: BTreeSet<(String, Source)>,
    /// Every source's parameter list; the best one is stored, the others fill gaps.
    pub params: Vec<(Source, Vec<ParamDraft>)>,
    pub workflowbench: bool,
    pub id_resolution: Option<&'static str>,
}

impl ActionDraft {
    /// Adds a source's parameter list (one list per source; a second call appends).
    pub fn add_params(&mut self, source: Source, params: Vec<ParamDraft>) {
        if let Some((_, list)) = self.params.iter_mut().find(|(s, _)| *s == source) {
            for p in params {
                if !list.iter().any(|q| q.key == p.key) {
                    list.push(p);
                }
            }
        } else {
            self.params.push((source, params));
        }
    }
}

/// A source that was read: its file(s) and the number of records it gave.
#[derive(Debug, Clone)]
pub struct SourceRun {
    pub source: Source,
    pub paths: Vec<String>,
    pub rows: usize,
    pub note: Option<String>,
}

/// The whole catalog before it is written.
#[derive(Debug, Default)]
pub struct Draft {
    pub actions: BTreeMap<String, ActionDraft>,
    /// bundle id → (name, source)
    pub apps: BTreeMap<String, Fact<Option<String>>>,
    pub runs: Vec<SourceRun>,
    /// Bundle ids that ShortcutsBench groups APIs under (`2_all_detailed_identifiers.json`).
    pub app_groups: BTreeSet<String>,
    /// Bundle ids known from any source (apps, app definitions, actions data files).
    pub bundle_ids: BTreeSet<String>,
    /// Identifiers that Apple's action dumps define (Shortcuts' own actions).
    pub builtin_ids: BTreeSet<String>,
}

impl Draft {
    pub fn action(&mut self, id: &str) -> &mut ActionDraft {
        self.actions.entry(id.to_string()).or_default()
    }

    pub fn offer_app(&mut self, bundle_id: &str, name: Option<String>, source: Source) {
        self.bundle_ids.insert(bundle_id.to_string());
        let slot = self.apps.entry(bundle_id.to_string()).or_insert(Fact {
            value: None,
            source: Source::Inferred,
        });
        let better = source.rank() < slot.source.rank() || slot.value.is_none();
        if better && (name.is_some() || slot.value.is_none()) {
            *slot = Fact {
                value: name,
                source,
            };
        }
    }

    pub fn record(
        &mut self,
        source: Source,
        paths: Vec<String>,
        rows: usize,
        note: Option<String>,
    ) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.source == source) {
            r.paths.extend(paths);
            r.rows += rows;
            if note.is_some() {
                r.note = note;
            }
        } else {
            self.runs.push(SourceRun {
                source,
                paths,
                rows,
                note,
            });
        }
    }
}

/// A stored parameter with the provenance of its fields.
#[derive(Debug, Clone)]
pub struct MergedParam {
    pub param: ParamDraft,
    pub source: Source,
    pub type_source: Option<Source>,
    pub description_source: Option<Source>,
    pub enum_source: Option<Source>,
}

/// The parameter list to store: the highest-precedence list, each field filled from the
/// other lists (same key) when the chosen one lacks it. An empty list loses to any
/// non-empty one (Apple's dump leaves out the parameters of actions defined in code).
pub fn merge_params(lists: &[(Source, Vec<ParamDraft>)]) -> Option<(Source, Vec<MergedParam>)> {
    let mut order: Vec<&(Source, Vec<ParamDraft>)> = lists.iter().collect();
    order.sort_by_key(|(s, l)| (l.is_empty(), s.rank()));
    let (best_source, best) = order.first()?;
    let mut out: Vec<MergedParam> = Vec::new();
    for p in best {
        if out.iter().any(|m| m.param.key == p.key) {
            continue;
        }
        let mut p = p.clone();
        let mut type_source = p.python_type.as_ref().map(|_| *best_source);
        let mut description_source = p.description.as_ref().map(|_| *best_source);
        let mut enum_source = (!p.enum_values.is_empty()).then_some(*best_source);
        for (s, list) in order.iter().skip(1) {
            let Some(q) = list.iter().find(|q| q.key == p.key) else {
                continue;
            };
            if p.python_type.is_none() && q.python_type.is_some() {
                p.python_type = q.python_type.clone();
                type_source = Some(*s);
            }
            if p.description.is_none() && q.description.is_some() {
                p.description = q.description.clone();
                description_source = Some(*s);
            }
            if p.enum_values.is_empty() && !q.enum_values.is_empty() {
                p.enum_values = q.enum_values.clone();
                enum_source = Some(*s);
            }
            p.label = p.label.or_else(|| q.label.clone());
            p.class = p.class.or_else(|| q.class.clone());
            p.type_name = p.type_name.or_else(|| q.type_name.clone());
            p.required = p.required.or(q.required);
            p.default = p.default.or_else(|| q.default.clone());
        }
        out.push(MergedParam {
            param: p,
            source: *best_source,
            type_source,
            description_source,
            enum_source,
        });
    }
    Some((*best_source, out))
}
