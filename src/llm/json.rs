//! Reading a JSON object out of a model's answer: the whole answer, else a fenced block
//! (```json ... ```), else the widest `{...}` span. Servers without `response_format`
//! support and chatty models both end up here.

use serde_json::{Map, Value};

/// The first JSON object found in `text`, or why there is none.
pub fn extract_object(text: &str) -> Result<Map<String, Value>, String> {
    let t = text.trim();
    if let Ok(Value::Object(m)) = serde_json::from_str(t) {
        return Ok(m);
    }
    for block in fenced_blocks(t) {
        if let Ok(Value::Object(m)) = serde_json::from_str(block.trim()) {
            return Ok(m);
        }
    }
    if let (Some(a), Some(b)) = (t.find('{'), t.rfind('}')) {
        if a < b {
            if let Ok(Value::Object(m)) = serde_json::from_str(&t[a..=b]) {
                return Ok(m);
            }
        }
    }
    let head: String = t.chars().take(80).collect();
    Err(format!(
        "the answer holds no JSON object (it starts: {head:?})"
    ))
}

/// The contents of ``` fences, in order (the info string after the opening fence is
/// dropped).
pub fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let body = &after[body_start..];
        match body.find("```") {
            Some(end) => {
                out.push(&body[..end]);
                rest = &body[end + 3..];
            }
            None => break,
        }
    }
    out
}

/// The first fenced block whose info string is `lang` (or any block when none is).
pub fn fenced_code<'a>(text: &'a str, lang: &str) -> Option<&'a str> {
    let mut rest = text;
    let mut any = None;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let nl = after.find('\n')?;
        let info = after[..nl].trim();
        let body = &after[nl + 1..];
        let end = body.find("```")?;
        if info.eq_ignore_ascii_case(lang) {
            return Some(&body[..end]);
        }
        any.get_or_insert(&body[..end]);
        rest = &body[end + 3..];
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_objects_in_the_usual_wrappings() {
        assert!(extract_object(r#"{"a": 1}"#).is_ok());
        let fenced = "Sure! Here it is:\n```json\n{\"a\": [1, 2]}\n```\nAnything else?";
        assert_eq!(
            extract_object(fenced).unwrap()["a"],
            serde_json::json!([1, 2])
        );
        let bare = "The result is {\"a\": \"}\"} as asked.";
        assert_eq!(extract_object(bare).unwrap()["a"], "}");
        assert!(extract_object("no json here").is_err());
        assert!(extract_object("[1, 2]").is_err());
        assert!(extract_object("{\"a\": ").is_err());
    }

    #[test]
    fn picks_the_python_block() {
        let t = "Plan...\n```text\nx\n```\n```python\nprint(1)\n```";
        assert_eq!(fenced_code(t, "python"), Some("print(1)\n"));
        assert_eq!(fenced_code("```\ny\n```", "python"), Some("y\n"));
        assert_eq!(fenced_code("none", "python"), None);
    }
}
