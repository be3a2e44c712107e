//! A scripted "model" for the expand stages: answers a chat request body from what the
//! prompt holds, deterministically, so online runs, batch runs and resumed runs agree.
//! Some first answers are wrong on purpose (by a hash of the prompt), so the repair
//! loops have something to do; the repair turn (a longer conversation) answers right.
#![allow(dead_code)]

use serde_json::{json, Value};

pub fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for x in b {
        h ^= *x as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn messages(req: &Value) -> Vec<(String, String)> {
    req["messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["role"].as_str().unwrap_or("").to_string(),
                        m["content"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How often the first answer is wrong (1 in `every`); 0 = never.
#[derive(Clone, Copy)]
pub struct Mischief {
    pub every: u64,
}

pub fn answer(req: &Value, mischief: Mischief) -> String {
    let msgs = messages(req);
    let first_user = msgs
        .iter()
        .find(|(r, _)| r == "user")
        .map(|(_, c)| c.clone())
        .unwrap_or_default();
    let repairing = msgs.iter().filter(|(r, _)| r == "user").count() > 1;
    let h = fnv(first_user.as_bytes());
    let naughty = !repairing && mischief.every > 0 && h.is_multiple_of(mischief.every);
    if first_user.contains("Program:") {
        annotate(&first_user, h, naughty)
    } else if first_user.contains("Write one new request") {
        query(&first_user, h, naughty)
    } else if first_user.starts_with("Request:") {
        generate(&first_user, naughty)
    } else {
        "I do not know this prompt.".into()
    }
}

/// The numbered program lines of an annotate prompt.
fn program_lines(prompt: &str) -> Vec<(usize, String)> {
    let body = prompt
        .split("Program:\n")
        .nth(1)
        .unwrap_or("")
        .split("\nActions used:")
        .next()
        .unwrap_or("");
    body.lines()
        .filter_map(|l| {
            let (n, t) = l.split_once(" | ")?;
            Some((n.trim().parse().ok()?, t.to_string()))
        })
        .collect()
}

fn annotate(prompt: &str, h: u64, naughty: bool) -> String {
    let lines = program_lines(prompt);
    let mut renames = serde_json::Map::new();
    let mut comments = serde_json::Map::new();
    for (n, t) in &lines {
        let s = t.trim_start();
        if let Some((lhs, _)) = s.split_once(" = ") {
            let lhs = lhs.split(':').next().unwrap_or(lhs).trim();
            if lhs.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !lhs.starts_with("Repeat_")
                && lhs != "__workflow__"
            {
                renames.insert(lhs.to_string(), json!(format!("v_{}", lhs.to_lowercase())));
            }
        }
        if !s.is_empty() && !s.starts_with('#') {
            comments.insert(
                n.to_string(),
                json!(format!(
                    "Step on line {n}: {}",
                    s.chars().take(20).collect::<String>().replace('\'', "")
                )),
            );
        }
    }
    let needs_category = prompt.contains("fits the shortcut best");
    let mut out = json!({
        "renames": renames,
        "comments": comments,
        "task_plan": format!("1. **Start**\n   - Run the {} lines of the shortcut in order.", lines.len()),
        "query": format!("Please build me a shortcut that does task number {}.", h % 100000),
        "category": if needs_category { "Utilities" } else { "" },
    });
    if naughty {
        // A model that rewrites the program and drops its last call.
        let code: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
        let cut = code
            .iter()
            .rposition(|l| l.trim_start().starts_with("is_workflow_actions_"))
            .unwrap_or(code.len());
        let kept: Vec<&str> = code
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != cut)
            .map(|(_, l)| *l)
            .collect();
        out = json!({"code": kept.join("\n"), "task_plan": out["task_plan"], "query": out["query"], "category": out["category"]});
    }
    // Half the time the object comes fenced in chatter, as models without JSON mode do.
    if h.is_multiple_of(2) {
        format!(
            "Here you go:\n```json\n{}\n```",
            serde_json::to_string_pretty(&out).unwrap()
        )
    } else {
        out.to_string()
    }
}

fn identifiers(prompt: &str) -> Vec<String> {
    prompt
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Identifier: "))
        .map(str::to_string)
        .collect()
}

fn query(prompt: &str, h: u64, naughty: bool) -> String {
    let cat = prompt
        .split("in the \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("Utilities");
    let ids = identifiers(prompt);
    if naughty {
        // Names an action outright: the stage sends it back.
        return json!({"query": format!("Run {} for me.", ids.first().cloned().unwrap_or_default())}).to_string();
    }
    // A quarter of the queries are the same sentence per category: near-duplicates.
    let q = if h.is_multiple_of(4) {
        format!("I need a handy {cat} shortcut that helps me every single day with my routine.")
    } else {
        let words: Vec<String> = ids
            .iter()
            .map(|i| {
                i.rsplit('.')
                    .next()
                    .unwrap_or(i)
                    .chars()
                    .rev()
                    .collect::<String>()
            })
            .collect();
        format!(
            "For {cat}, I want one tap to handle tasks {} (request {}).",
            words.join(" then "),
            h % 1_000_000
        )
    };
    json!({ "query": q }).to_string()
}

fn call_of(id: &str) -> String {
    match wfc::dsl::names::action_function_name(id) {
        Some(f) => format!("{f}()"),
        None => format!("action('''{id}''')"),
    }
}

fn generate(prompt: &str, naughty: bool) -> String {
    let ids = identifiers(prompt);
    let mut code = String::new();
    for id in &ids {
        code.push_str(&format!("# Use {id}.\n{}\n", call_of(id)));
    }
    if naughty {
        code.push_str("# A call that does not exist.\nis_workflow_actions_nosuchthing_really()\n");
    }
    if code.is_empty() {
        code.push_str("# Nothing to do.\npass\n");
    }
    json!({
        "task_plan": format!("1. **Do it**\n   - Call the {} actions in order.", ids.len()),
        "code": code,
    })
    .to_string()
}
