//! `wfc expand`: the LLM-backed data pipeline (annotate → queries → generate).

use super::open_catalog;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;
use wfc::expand::{self, minhash, queries, record::Record, Ctx, Output, Templates};
use wfc::llm::{Client, Config, ResponseFormat};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Schema,
    Json,
    None,
}

/// Options every stage shares: the endpoint, sampling, caching, batching, sharding.
#[derive(Args, Clone)]
pub struct LlmArgs {
    /// Server base URL up to `/v1` (default: $OPENAI_BASE_URL). The key is read from
    /// $OPENAI_API_KEY and never written anywhere.
    #[arg(long)]
    base_url: Option<String>,
    /// Model name sent to the server.
    #[arg(long, default_value = "default")]
    model: String,
    /// Sampling temperature (server default when omitted).
    #[arg(long)]
    temperature: Option<f64>,
    /// Nucleus sampling share (server default when omitted).
    #[arg(long)]
    top_p: Option<f64>,
    /// Most tokens per answer.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Sampling seed sent to the server; also seeds `queries`' API sampling.
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds per HTTP attempt.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    /// Requests (and records) in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Retries of one request after 429, 5xx, timeouts or dropped connections.
    #[arg(long, default_value_t = 6)]
    max_retries: u32,
    /// How to ask for JSON: a JSON schema, plain JSON mode, or nothing (parse the text).
    #[arg(long, value_enum, default_value_t = Format::Schema)]
    response_format: Format,
    /// The response cache (SQLite).
    #[arg(long, default_value = ".wfc-cache/llm.sqlite")]
    cache: PathBuf,
    /// Neither read nor write the response cache.
    #[arg(long)]
    no_cache: bool,
    /// Write requests that are not cached to this OpenAI Batch API file instead of calling.
    #[arg(long)]
    emit_batch: Option<PathBuf>,
    /// Answer requests from this Batch API results file (by custom_id) before calling.
    #[arg(long)]
    ingest_batch: Option<PathBuf>,
    /// Dollars per million prompt tokens (for the cost estimate).
    #[arg(long, default_value_t = 0.0)]
    price_in: f64,
    /// Dollars per million completion tokens.
    #[arg(long, default_value_t = 0.0)]
    price_out: f64,
    /// Process only records whose id hashes to shard I of N (`I/N`, 0-based).
    #[arg(long)]
    shard: Option<String>,
    /// Print each record's rendered prompt instead of calling the model.
    #[arg(long)]
    dry_run: bool,
    /// Rounds of feedback to the model after a rejected answer.
    #[arg(long, default_value_t = 2)]
    max_repairs: u32,
    /// Replace the stage's template with this file (minijinja, `system` and `user` blocks).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Replace the stage's repair template with this file.
    #[arg(long)]
    repair_template: Option<PathBuf>,
    /// API catalog (default: catalog.sqlite here, else the embedded one).
    #[arg(long)]
    catalog: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ExpandCmd {
    /// Rename variables, comment every statement, and write plan, query and category for
    /// real shortcuts (`wfc convert --format jsonl` records); verified through the compiler.
    Annotate {
        /// Input JSONL records.
        input: PathBuf,
        /// Output JSONL, appended record by record (a rerun resumes it).
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// New requests over sampled APIs, with annotated seeds as examples.
    Queries {
        /// Annotated seed records (examples for the prompt).
        #[arg(long)]
        seeds: PathBuf,
        /// How many queries to make (near-duplicates are then dropped).
        #[arg(short)]
        n: u64,
        /// Output JSONL, appended record by record (a rerun resumes it).
        #[arg(short, long)]
        output: PathBuf,
        /// Most third-party apps per query.
        #[arg(long, default_value_t = 5)]
        max_apps: usize,
        /// Most APIs taken from one app.
        #[arg(long, default_value_t = 6)]
        max_per_app: usize,
        /// Seed examples shown per query.
        #[arg(long, default_value_t = 2)]
        examples: usize,
        /// MinHash similarity at or above which a query is a near-duplicate.
        #[arg(long, default_value_t = minhash::DEFAULT_THRESHOLD)]
        dedup_threshold: f64,
        /// Sample from every catalog API, not only those WorkflowBench uses.
        #[arg(long)]
        all_apis: bool,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// Plan and code for each query, checked and repaired.
    Generate {
        /// Input JSONL records.
        input: PathBuf,
        /// Output JSONL, appended record by record (a rerun resumes it).
        #[arg(short, long)]
        output: PathBuf,
        /// A second pass that polishes plan and code (kept when it checks no worse).
        #[arg(long)]
        refine: bool,
        #[command(flatten)]
        llm: LlmArgs,
    },
}

fn parse_shard(s: &Option<String>) -> Result<Option<(u64, u64)>> {
    let Some(s) = s else { return Ok(None) };
    let (i, n) = s.split_once('/').context("--shard takes I/N")?;
    let (i, n): (u64, u64) = (i.trim().parse()?, n.trim().parse()?);
    if n == 0 || i >= n {
        bail!("--shard {s}: need 0 <= I < N");
    }
    Ok(Some((i, n)))
}

fn client(a: &LlmArgs) -> Result<Client> {
    let base = a
        .base_url
        .clone()
        .or_else(|| std::env::var("OPENAI_BASE_URL").ok())
        .filter(|s| !s.is_empty());
    if base.is_none() && a.ingest_batch.is_none() && a.emit_batch.is_none() && !a.dry_run {
        eprintln!("note: no --base-url or OPENAI_BASE_URL: only cached answers are available");
    }
    let mut c = Config::new(base.as_deref().unwrap_or(""), &a.model);
    c.base_url = base.map(|b| b.trim_end_matches('/').to_string());
    c.api_key = std::env::var("OPENAI_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    c.temperature = a.temperature;
    c.top_p = a.top_p;
    c.max_tokens = a.max_tokens;
    c.seed = a.seed;
    c.timeout = Duration::from_secs_f64(a.timeout.max(0.001));
    c.concurrency = a.concurrency.max(1);
    c.max_retries = a.max_retries;
    c.response_format = match a.response_format {
        Format::Schema => ResponseFormat::Schema,
        Format::Json => ResponseFormat::Json,
        Format::None => ResponseFormat::None,
    };
    c.cache = (!a.no_cache).then(|| a.cache.clone());
    c.emit_batch = a.emit_batch.clone();
    c.ingest_batch = a.ingest_batch.clone();
    c.price_in = a.price_in;
    c.price_out = a.price_out;
    Ok(Client::new(c)?)
}

fn rt() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub(crate) fn expand_cmd(cmd: ExpandCmd) -> Result<i32> {
    let (stage, llm) = match &cmd {
        ExpandCmd::Annotate { llm, .. } => ("annotate", llm),
        ExpandCmd::Queries { llm, .. } => ("queries", llm),
        ExpandCmd::Generate { llm, .. } => ("generate", llm),
    };
    let catalog = open_catalog(llm.catalog.as_deref())?;
    let mut overrides = Vec::new();
    if let Some(t) = &llm.template {
        overrides.push((stage.to_string(), t.clone()));
    }
    if let Some(t) = &llm.repair_template {
        overrides.push((format!("{stage}_repair"), t.clone()));
    }
    let ctx = Ctx {
        client: client(llm)?,
        catalog: &catalog,
        checker: wfc::check::Checker::new(&catalog),
        templates: Templates::load(&overrides)?,
        max_repairs: llm.max_repairs,
        dry_run: llm.dry_run,
        model: llm.model.clone(),
        seed: llm.seed,
        repairs: Default::default(),
        repaired_ok: Default::default(),
        failures: Default::default(),
        verdicts: Default::default(),
    };
    let shard = parse_shard(&llm.shard)?;
    let conc = llm.concurrency.max(1);
    let rt = rt()?;
    let summary = match &cmd {
        ExpandCmd::Annotate { input, output, .. } => {
            let mut out = Output::open(output, |_| {})?;
            let inputs = expand::read_records(input)?.filter(|r| expand::in_shard(&r.id, shard));
            rt.block_on(expand::drive(
                &ctx,
                "annotate",
                inputs,
                None,
                conc,
                false,
                &mut out,
                |_| None,
                |r| expand::annotate::annotate(&ctx, r),
            ))?
        }
        ExpandCmd::Generate {
            input,
            output,
            refine,
            ..
        } => {
            let mut out = Output::open(output, |_| {})?;
            let inputs = expand::read_records(input)?.filter(|r| expand::in_shard(&r.id, shard));
            let refine = *refine;
            rt.block_on(expand::drive(
                &ctx,
                "generate",
                inputs,
                None,
                conc,
                false,
                &mut out,
                |_| None,
                |r| expand::generate::generate(&ctx, r, refine),
            ))?
        }
        ExpandCmd::Queries {
            seeds,
            n,
            output,
            max_apps,
            max_per_app,
            examples: n_examples,
            dedup_threshold,
            all_apis,
            ..
        } => {
            let seeds: Vec<Record> = expand::read_records(seeds)?.collect();
            let examples: Vec<queries::Example> = seeds
                .iter()
                .filter_map(queries::Example::from_record)
                .collect();
            drop(seeds);
            let mut actions = catalog.actions(!all_apis)?;
            if actions.is_empty() {
                actions = catalog.actions(false)?;
            }
            let pools = queries::Pools::new(&actions);
            let sampling = queries::Sampling {
                seed: llm.seed.unwrap_or(0),
                max_apps: *max_apps,
                max_per_app: *max_per_app,
                examples: *n_examples,
            };
            let mut index = minhash::Index::new(*dedup_threshold);
            let mut out = Output::open(output, |r| {
                if let Some(q) = &r.query {
                    index.check_and_add(&r.id, q);
                }
            })?;
            let inputs = (0..*n)
                .map(|i| queries::sample(i, &sampling, &pools, &examples))
                .filter(|r| expand::in_shard(&r.id, shard));
            let ex = &examples;
            rt.block_on(expand::drive(
                &ctx,
                "queries",
                inputs,
                Some(*n),
                conc,
                true,
                &mut out,
                |r| queries::dedup(&mut index, r),
                |r| queries::query(&ctx, r, ex),
            ))?
        }
    };
    if llm.dry_run {
        return Ok(0);
    }
    eprintln!("{summary}");
    if !summary.verdicts.is_empty() {
        eprintln!("verdicts: {:?}", summary.verdicts);
    }
    if let Ok(p) = std::env::var("WFC_EXPAND_SUMMARY") {
        std::fs::write(&p, serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("writing {p}"))?;
    }
    Ok(if summary.failed > 0 { 1 } else { 0 })
}
