//! `wfc expand queries`: new requests over sampled APIs.
//!
//! Sampling (seeded per query from `--seed` and the query's index, so any query can be
//! remade alone): the catalog's APIs are grouped by app (bundle id); Apple's built-in
//! actions (`is.workflow.actions.*`, `com.apple.*`) form the built-in pool. A query takes
//! 1–`max_apps` third-party apps uniformly, all of their APIs (at most `max_per_app` of
//! each, chosen at random, so a huge app does not swamp the prompt), then as many built-in
//! APIs as that (at least one): about half the sampled APIs are built-ins. Plumbing actions
//! (comments, variables, control flow) are never sampled. The category is uniform over the
//! 28; the examples are one seed with control flow (if, menu, repeat) and one without,
//! chosen at random among seeds that have a query.

use super::minhash;
use super::record::{fnv64, Provenance, Record, CATEGORIES};
use super::{failed, llm_outcome, Ctx, Outcome};
use crate::catalog::ActionInfo;
use crate::llm::json::extract_object;
use crate::llm::Message;
use serde_json::{json, Value};

const STAGE: &str = "queries";

#[derive(Debug, Clone)]
pub struct Sampling {
    pub seed: u64,
    pub max_apps: usize,
    pub max_per_app: usize,
    pub examples: usize,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            seed: 0,
            max_apps: 5,
            max_per_app: 6,
            examples: 2,
        }
    }
}

/// Built-ins never offered as a query's API: [`crate::ir::BUILTIN_IDS`], and these.
const PLUMBING_EXTRA: [&str; 3] = [
    "is.workflow.actions.exit",
    "is.workflow.actions.delay",
    "is.workflow.actions.waittoreturn",
];

fn is_builtin(a: &ActionInfo) -> bool {
    a.identifier.starts_with("is.workflow.actions.")
        || a.app_bundle_id
            .as_deref()
            .is_some_and(|b| b.starts_with("com.apple."))
}

/// The API pools sampling draws from.
pub struct Pools {
    pub builtin: Vec<String>,
    /// (app, its APIs), sorted by app.
    pub apps: Vec<(String, Vec<String>)>,
}

impl Pools {
    pub fn new(actions: &[ActionInfo]) -> Self {
        let mut builtin = Vec::new();
        let mut apps: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for a in actions {
            if crate::ir::BUILTIN_IDS
                .iter()
                .chain(&PLUMBING_EXTRA)
                .any(|&id| id == a.identifier)
            {
                continue;
            }
            if is_builtin(a) {
                builtin.push(a.identifier.clone());
            } else {
                let app = a
                    .app_bundle_id
                    .clone()
                    .or_else(|| a.identifier.rsplit_once('.').map(|(p, _)| p.to_string()))
                    .unwrap_or_else(|| a.identifier.clone());
                apps.entry(app).or_default().push(a.identifier.clone());
            }
        }
        builtin.sort();
        let apps = apps
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v)
            })
            .collect();
        Pools { builtin, apps }
    }
}

/// A seed usable as an example.
pub struct Example {
    pub id: String,
    pub query: String,
    pub code: String,
    pub control_flow: bool,
}

impl Example {
    pub fn from_record(r: &Record) -> Option<Example> {
        let (q, c) = (r.query.as_ref()?, r.code.as_ref()?);
        if r.error.is_some() {
            return None;
        }
        let control_flow = c.lines().any(|l| {
            let t = l.trim_start();
            t.starts_with("if ") || t.starts_with("match ") || t.starts_with("for ")
        });
        // Long programs are cut: the example shows style, not every line.
        let code: String = c.lines().take(40).collect::<Vec<_>>().join("\n");
        Some(Example {
            id: r.id.clone(),
            query: q.clone(),
            code,
            control_flow,
        })
    }
}

fn pick<'a, T>(rng: &mut fastrand::Rng, v: &'a [T]) -> Option<&'a T> {
    (!v.is_empty()).then(|| &v[rng.usize(..v.len())])
}

/// The `i`-th query's sampled record (no query yet).
pub fn sample(i: u64, s: &Sampling, pools: &Pools, examples: &[Example]) -> Record {
    let mut rng = fastrand::Rng::with_seed(fnv64(format!("{}:{i}", s.seed).as_bytes()));
    let mut apis: Vec<String> = Vec::new();
    if !pools.apps.is_empty() {
        let k = rng.usize(1..=s.max_apps.max(1)).min(pools.apps.len());
        let mut idx: Vec<usize> = (0..pools.apps.len()).collect();
        rng.shuffle(&mut idx);
        for &a in &idx[..k] {
            let mut its = pools.apps[a].1.clone();
            rng.shuffle(&mut its);
            its.truncate(s.max_per_app.max(1));
            its.sort();
            apis.extend(its);
        }
    }
    let n_builtin = apis.len().max(1).min(pools.builtin.len());
    let mut b = pools.builtin.clone();
    rng.shuffle(&mut b);
    apis.extend(b.into_iter().take(n_builtin));
    let category = CATEGORIES[rng.usize(..CATEGORIES.len())];
    let with: Vec<&Example> = examples.iter().filter(|e| e.control_flow).collect();
    let without: Vec<&Example> = examples.iter().filter(|e| !e.control_flow).collect();
    let mut ex_ids = Vec::new();
    for j in 0..s.examples {
        let pool = if j % 2 == 0 { &with } else { &without };
        let pool = if pool.is_empty() { &with } else { pool };
        let pool = if pool.is_empty() { &without } else { pool };
        if let Some(e) = pick(&mut rng, pool) {
            if !ex_ids.contains(&e.id) {
                ex_ids.push(e.id.clone());
            }
        }
    }
    Record {
        id: format!("q-{:016x}", fnv64(format!("{}:{i}", s.seed).as_bytes())),
        apis: apis.clone(),
        category: Some(category.to_string()),
        provenance: Provenance {
            origin: "synthesized".into(),
            sampled_apis: apis,
            example_ids: ex_ids,
            stage: STAGE.into(),
            seed: Some(s.seed),
            ..Provenance::default()
        },
        ..Record::default()
    }
}

pub fn schema() -> Value {
    json!({"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]})
}

/// Names of an API a query must not mention.
fn mentions(query: &str, ctx: &Ctx<'_>, apis: &[String]) -> Option<String> {
    let q = query.to_lowercase();
    for id in apis {
        let short = id.rsplit('.').next().unwrap_or(id);
        let py = crate::catalog::python_name(id);
        if q.contains(&id.to_lowercase()) || q.contains(&py.to_lowercase()) {
            return Some(id.clone());
        }
        // A bare action word like `gettext` is an identifier, not English.
        if short.len() > 6 && !short.contains(' ') && q.split_whitespace().any(|w| w == short) {
            let _ = ctx;
            return Some(id.clone());
        }
    }
    None
}

pub async fn query(ctx: &Ctx<'_>, rec: Record, examples: &[Example]) -> Outcome {
    let exs: Vec<Value> = rec
        .provenance
        .example_ids
        .iter()
        .filter_map(|id| examples.iter().find(|e| &e.id == id))
        .map(|e| json!({"id": e.id, "query": e.query, "code": e.code}))
        .collect();
    let context = json!({
        "apis": super::api_docs(ctx.catalog, &rec.apis),
        "category": rec.category,
        "examples": exs,
    });
    let mut messages = match ctx.templates.messages(STAGE, &context) {
        Ok(m) => m,
        Err(e) => return failed(rec, STAGE, ctx, format!("template: {e}")),
    };
    if ctx.dry_run {
        ctx.print_prompt(&rec.id, &messages);
        return Outcome::Printed;
    }
    let mut round = 0;
    loop {
        let resp = match ctx
            .call(&rec.id, round, &messages, Some(("query", schema())))
            .await
        {
            Ok(r) => r,
            Err(e) => match llm_outcome(e) {
                Ok(o) => return o,
                Err(reason) => return failed(rec, STAGE, ctx, reason),
            },
        };
        let got = extract_object(&resp.content).and_then(|m| {
            let q = m
                .get("query")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .ok_or("field `query` is missing or empty")?
                .to_string();
            match mentions(&q, ctx, &rec.apis) {
                Some(id) => Err(format!(
                    "the request names the action {id}; describe the goal instead"
                )),
                None => Ok(q),
            }
        });
        match got {
            Ok(q) => {
                if round > 0 {
                    ctx.repaired_ok.set(ctx.repaired_ok.get() + 1);
                }
                let mut out = rec;
                out.query = Some(q);
                out.provenance.model = Some(ctx.model.clone());
                out.provenance.template_hash = ctx.templates.hash(STAGE);
                out.provenance.repair_rounds = round;
                return Outcome::Write(Box::new(out));
            }
            Err(reason) if round < ctx.max_repairs => {
                round += 1;
                ctx.repairs.set(ctx.repairs.get() + 1);
                messages.push(Message::assistant(resp.content));
                messages.push(Message::user(format!(
                    "That answer could not be used: {reason}. Answer again as {{\"query\": \"...\"}}."
                )));
            }
            Err(reason) => return failed(rec, STAGE, ctx, reason),
        }
    }
}

/// The duplicate filter the writer applies, in input order.
pub fn dedup(index: &mut minhash::Index, rec: &Record) -> Option<String> {
    let q = rec.query.as_deref()?;
    index
        .check_and_add(&rec.id, q)
        .map(|(other, s)| format!("near-duplicate of {other} (similarity {s:.2})"))
}
