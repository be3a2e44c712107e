//! The shared record schema (see `docs/expand.md`), and reading the input namings the
//! stages accept: this schema, `wfc convert --format jsonl`, and WorkflowBench's.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `seed` or `synthesized`.
    pub origin: String,
    pub source: Option<String>,
    #[serde(default)]
    pub sampled_apis: Vec<String>,
    #[serde(default)]
    pub example_ids: Vec<String>,
    /// `convert`, `annotate`, `queries`, `generate` or `refine`.
    pub stage: String,
    pub model: Option<String>,
    pub template_hash: Option<String>,
    pub seed: Option<u64>,
    /// `clean`, `warnings`, `errors`, or null when the program was not checked.
    pub verdict: Option<String>,
    #[serde(default)]
    pub repair_rounds: u32,
    #[serde(default)]
    pub findings: Vec<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub query: Option<String>,
    #[serde(default)]
    pub apis: Vec<String>,
    pub task_plan: Option<String>,
    pub code: Option<String>,
    pub category: Option<String>,
    pub provenance: Provenance,
    pub error: Option<String>,
}

/// FNV-1a, 64 bits: the hash behind seed ids (`seed-` + hex of the source path), the same
/// derivation `wfc dataset` uses, and behind `--shard`.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn s(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k)
        .and_then(Value::as_str)
        .filter(|x| !x.trim().is_empty())
        .map(str::to_string)
}

impl Record {
    /// Reads one input line in any accepted naming. `line_no` names records that carry
    /// neither an id nor a path.
    pub fn from_input(line: &str, line_no: usize) -> Result<Record, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(m) = v else {
            return Err("not a JSON object".into());
        };
        if m.contains_key("provenance") {
            return serde_json::from_value(Value::Object(m))
                .map_err(|e| format!("not a record of the shared schema: {e}"));
        }
        let path = s(&m, "path");
        let id = s(&m, "id")
            .or_else(|| s(&m, "key"))
            .or_else(|| {
                path.as_ref()
                    .map(|p| format!("seed-{:016x}", fnv64(p.as_bytes())))
            })
            .unwrap_or_else(|| format!("line-{line_no}"));
        let code = s(&m, "code")
            .or_else(|| s(&m, "annotated_code"))
            .or_else(|| s(&m, "workflow_code"));
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
        let stage = if m.contains_key("n_actions") {
            "convert"
        } else {
            "annotate"
        };
        Ok(Record {
            id,
            query: s(&m, "query"),
            apis,
            task_plan: s(&m, "task_plan"),
            code,
            category: s(&m, "category"),
            provenance: Provenance {
                origin: "seed".into(),
                source: path,
                stage: stage.into(),
                ..Provenance::default()
            },
            error: s(&m, "error"),
        })
    }
}

/// RoutineHub's workflow categories, the 28 WorkflowBench labels workflows with. The
/// project's list: a record arriving with a `category` (RoutineHub metadata) keeps it.
pub const CATEGORIES: [&str; 28] = [
    "Accessibility",
    "Automation",
    "Books",
    "Business",
    "Communication",
    "Developer Tools",
    "Education",
    "Entertainment",
    "Finance",
    "Food & Drink",
    "Games",
    "Health & Fitness",
    "Home",
    "Lifestyle",
    "Medical",
    "Music",
    "Navigation",
    "News",
    "Photo & Video",
    "Productivity",
    "Reference",
    "Shopping",
    "Social Networking",
    "Sports",
    "Travel",
    "Utilities",
    "Weather",
    "Widgets",
];

/// The category as listed, matched without regard to case and spacing.
pub fn canonical_category(c: &str) -> Option<&'static str> {
    let norm = |x: &str| {
        x.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let want = norm(&c.replace('&', "and"));
    CATEGORIES
        .iter()
        .find(|k| norm(&k.replace('&', "and")) == want)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_naming() {
        let conv = r#"{"path":"a/b.shortcut","name":"b","code":"x = 1\n","apis":["is.workflow.actions.gettext"],"n_actions":1,"error":null}"#;
        let r = Record::from_input(conv, 1).unwrap();
        assert_eq!(r.id, format!("seed-{:016x}", fnv64(b"a/b.shortcut")));
        assert_eq!(r.provenance.stage, "convert");
        assert_eq!(r.apis, ["is.workflow.actions.gettext"]);
        let wb = r#"{"key":"k1","query":"q","workflow_code":"c","task_plan":"p","category":"Utilities"}"#;
        let r = Record::from_input(wb, 2).unwrap();
        assert_eq!((r.id.as_str(), r.code.as_deref()), ("k1", Some("c")));
        let back = serde_json::to_string(&r).unwrap();
        assert_eq!(Record::from_input(&back, 3).unwrap(), r);
        assert!(Record::from_input("[1]", 4).is_err());
        assert_eq!(CATEGORIES.len(), 28);
        assert_eq!(canonical_category("food and drink"), Some("Food & Drink"));
        assert_eq!(canonical_category("Nope"), None);
    }
}
