//! The record schema shared by `expand`, `dataset` and `eval` (see `docs/dataset.md`), and
//! the readers for every naming a record arrives in: wfc's own, `wfc convert --format jsonl`,
//! WorkflowBench's published samples (`annotated_code`) and its released training files
//! (`key` / `workflow_code`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a record came from and what was done to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `seed` (a real shortcut) or `synthesized`.
    pub origin: String,
    /// The source file, when there is one.
    pub source: Option<String>,
    /// The APIs the expander sampled (synthesized records only).
    #[serde(default)]
    pub sampled_apis: Vec<String>,
    /// Ids of the records shown to the model as examples.
    #[serde(default)]
    pub example_ids: Vec<String>,
    /// `convert`, `annotate`, `queries`, `generate` or `refine`.
    pub stage: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub template_hash: Option<String>,
    #[serde(default)]
    pub seed: Option<i64>,
    /// `clean`, `warnings`, `errors`, or null when never checked.
    #[serde(default)]
    pub verdict: Option<String>,
    #[serde(default)]
    pub repair_rounds: u32,
    /// Checker findings left (objects as `wfc check --format json` writes them).
    #[serde(default)]
    pub findings: Vec<Value>,
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance {
            origin: "seed".into(),
            source: None,
            sampled_apis: Vec::new(),
            example_ids: Vec::new(),
            stage: "convert".into(),
            model: None,
            template_hash: None,
            seed: None,
            verdict: None,
            repair_rounds: 0,
            findings: Vec::new(),
        }
    }
}

/// One record of the shared schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub query: Option<String>,
    /// Dotted identifiers actually called, in order of first use.
    #[serde(default)]
    pub apis: Vec<String>,
    pub task_plan: Option<String>,
    /// The commented program in wfc's DSL.
    pub code: Option<String>,
    pub category: Option<String>,
    #[serde(default)]
    pub provenance: Provenance,
    #[serde(default)]
    pub error: Option<String>,
}

/// Which naming a record was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Naming {
    /// wfc's shared schema (`id`, `code`, `provenance`).
    Wfc,
    /// `wfc convert --format jsonl` (`path`, `name`, `code`, `n_actions`).
    Convert,
    /// WorkflowBench's published samples (`annotated_code`).
    WorkflowBenchSample,
    /// WorkflowBench's released training files (`key`, `workflow_code`).
    WorkflowBenchRelease,
}

impl Naming {
    /// Whether the record comes from WorkflowBench (and so may carry its known defects).
    pub fn is_workflowbench(self) -> bool {
        matches!(
            self,
            Naming::WorkflowBenchSample | Naming::WorkflowBenchRelease
        )
    }
}

/// The labels WorkflowBench's released files use as `key` for synthesized records.
pub const SYNTHESIZED_KEYS: [&str; 2] = ["synthesized_training_data", "synthesized_ood_test_data"];

/// Stable 64-bit FNV-1a, for ids derived from content.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn str_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_string)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|t| !t.trim().is_empty())
}

/// Reads one JSON object in any accepted naming. `file` and `index` (the record's position in
/// its file) make ids for records that carry none. Returns an error message for a value that
/// is no record at all (not an object, or holding no program field nor id).
pub fn from_json(v: Value, file: &str, index: usize) -> Result<(Record, Naming), String> {
    let Value::Object(m) = v else {
        return Err(format!("record {index} of {file} is not a JSON object"));
    };
    let naming = if m.contains_key("provenance") || m.contains_key("id") {
        Naming::Wfc
    } else if m.contains_key("annotated_code") {
        Naming::WorkflowBenchSample
    } else if m.contains_key("workflow_code") || m.contains_key("key") {
        Naming::WorkflowBenchRelease
    } else if m.contains_key("path") && m.contains_key("code") {
        Naming::Convert
    } else {
        return Err(format!(
            "record {index} of {file} has none of id, code, annotated_code, workflow_code, key, path"
        ));
    };
    if naming == Naming::Wfc {
        let mut r: Record = serde_json::from_value(Value::Object(m))
            .map_err(|e| format!("record {index} of {file}: {e}"))?;
        if r.id.is_empty() {
            r.id = format!("{file}#{index}");
        }
        return Ok((r, naming));
    }
    let code = str_field(&m, "code")
        .or_else(|| str_field(&m, "workflow_code"))
        .or_else(|| str_field(&m, "annotated_code"));
    let apis = m
        .get("apis")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let key = str_field(&m, "key");
    let synthesized = key
        .as_deref()
        .is_some_and(|k| SYNTHESIZED_KEYS.contains(&k));
    let path = str_field(&m, "path");
    let id = match (&key, &path) {
        // The released files reuse two labels for every synthesized record: the id comes
        // from the label and the content instead.
        (Some(k), _) if synthesized => format!(
            "{k}-{:016x}",
            fnv64(
                format!(
                    "{}\0{}",
                    str_field(&m, "query").unwrap_or_default(),
                    code.as_deref().unwrap_or("")
                )
                .as_bytes()
            )
        ),
        (Some(k), _) => k.clone(),
        (None, Some(p)) => format!("seed-{:016x}", fnv64(p.as_bytes())),
        (None, None) => format!("{file}#{index}"),
    };
    let stage = match naming {
        Naming::Convert => "convert",
        _ if synthesized => "refine",
        _ => "annotate",
    };
    let provenance = Provenance {
        origin: if synthesized { "synthesized" } else { "seed" }.into(),
        source: path.or_else(|| Some(file.to_string())),
        stage: stage.into(),
        ..Provenance::default()
    };
    Ok((
        Record {
            id,
            query: non_empty(str_field(&m, "query")),
            apis,
            task_plan: non_empty(str_field(&m, "task_plan")),
            code,
            category: non_empty(str_field(&m, "category")),
            provenance,
            error: str_field(&m, "error"),
        },
        naming,
    ))
}

impl Record {
    /// The record as JSON, with WorkflowBench's field names added (`key`, `workflow_code`,
    /// `annotated_code`) when asked, so WorkflowLLM's training code reads it as it is.
    pub fn to_json(&self, workflowbench_names: bool) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if workflowbench_names {
            if let Value::Object(m) = &mut v {
                m.insert("key".into(), Value::String(self.id.clone()));
                let code = self.code.clone().map(Value::String).unwrap_or(Value::Null);
                m.insert("workflow_code".into(), code.clone());
                m.insert("annotated_code".into(), code);
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_naming_reads() {
        let (r, n) = from_json(
            json!({"path": "a/b.plist", "name": "b", "code": "x()", "apis": ["x"], "n_actions": 1, "error": null}),
            "c.jsonl",
            0,
        )
        .unwrap();
        assert_eq!(n, Naming::Convert);
        assert!(r.id.starts_with("seed-"));
        assert_eq!(r.provenance.source.as_deref(), Some("a/b.plist"));
        assert_eq!(r.query, None);

        let (r, n) = from_json(
            json!({"query": "q", "apis": [], "task_plan": "p", "annotated_code": "# c\nx()"}),
            "data_samples.json",
            3,
        )
        .unwrap();
        assert_eq!(n, Naming::WorkflowBenchSample);
        assert_eq!(r.id, "data_samples.json#3");
        assert_eq!(r.code.as_deref(), Some("# c\nx()"));

        let (r, n) = from_json(
            json!({"key": "synthesized_training_data", "query": "q", "workflow_code": "y()", "task_plan": "p", "category": "Utilities"}),
            "train.json",
            0,
        )
        .unwrap();
        assert_eq!(n, Naming::WorkflowBenchRelease);
        assert_eq!(r.provenance.origin, "synthesized");
        assert!(r.id.starts_with("synthesized_training_data-"));
        assert_eq!(r.category.as_deref(), Some("Utilities"));

        let back = r.to_json(false);
        let (again, n) = from_json(back, "x", 0).unwrap();
        assert_eq!(n, Naming::Wfc);
        assert_eq!(again, r);
        assert!(from_json(json!([1]), "x", 0).is_err());
    }
}
