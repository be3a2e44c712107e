//! The chat client against the loopback server: every injected fault is survived by a
//! retry, Retry-After is honoured, truncation and exhaustion are errors, the cache answers
//! reruns, and usage/cost are accounted. No network beyond 127.0.0.1.

use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wfc::llm::mock::{Fault, Faults, MockServer, ALL_TRANSIENT};
use wfc::llm::{Client, Config, LlmError, Message, Request};

fn echo() -> wfc::llm::mock::Script {
    Arc::new(|req: &Value| {
        let last = req["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .unwrap_or("");
        format!("echo: {last}")
    })
}

fn config(server: &MockServer) -> Config {
    let mut c = Config::new(&server.base_url(), "mock-model");
    c.timeout = Duration::from_millis(400);
    c.backoff_base = Duration::from_millis(5);
    c.backoff_max = Duration::from_millis(50);
    c.max_retries = 4;
    c
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ask(client: &Client, tag: &str, text: &str) -> Result<wfc::llm::Response, LlmError> {
    rt().block_on(client.chat(Request::new(tag, vec![Message::user(text)])))
}

#[test]
fn every_transient_fault_is_retried_to_the_right_answer() {
    for kind in ALL_TRANSIENT {
        let server = MockServer::start(
            echo(),
            Faults {
                transient_rate: 1.0,
                kinds: vec![kind],
                slow_for: Duration::from_secs(2),
                retry_after: 0.01,
                ..Faults::default()
            },
        )
        .unwrap();
        let client = Client::new(config(&server)).unwrap();
        let r = ask(&client, "a", "hello").unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(r.content, "echo: hello", "{kind:?}");
        let s = client.snapshot();
        assert_eq!(s.retries, 1, "{kind:?}: one retry");
        assert_eq!(s.failures, 0);
        assert_eq!(server.stats.faults.load(Ordering::Relaxed), 1, "{kind:?}");
    }
}

#[test]
fn retry_after_is_a_floor_for_the_wait() {
    let server = MockServer::start(
        echo(),
        Faults {
            transient_rate: 1.0,
            kinds: vec![Fault::RateLimit],
            retry_after: 0.4,
            ..Faults::default()
        },
    )
    .unwrap();
    let client = Client::new(config(&server)).unwrap();
    let t = Instant::now();
    ask(&client, "a", "x").unwrap();
    // The client's own backoff here is at most 50 ms: waiting longer is the header's doing.
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn truncated_answers_and_exhausted_retries_are_errors_and_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(
        echo(),
        Faults {
            truncate_rate: 1.0,
            ..Faults::default()
        },
    )
    .unwrap();
    let mut cfg = config(&server);
    cfg.cache = Some(dir.path().join("c.sqlite"));
    let client = Client::new(cfg.clone()).unwrap();
    match ask(&client, "a", "a long question") {
        Err(LlmError::Truncated(part)) => assert!(part.starts_with("echo")),
        other => panic!("{other:?}"),
    }
    // Not cached: asking again reaches the server again.
    let before = server.stats.requests.load(Ordering::Relaxed);
    assert!(ask(&client, "a", "a long question").is_err());
    assert_eq!(server.stats.requests.load(Ordering::Relaxed), before + 1);

    let server = MockServer::start(
        echo(),
        Faults {
            transient_rate: 1.0,
            kinds: vec![Fault::E503],
            ..Faults::default()
        },
    )
    .unwrap();
    let mut cfg = config(&server);
    cfg.max_retries = 0;
    let client = Client::new(cfg).unwrap();
    match ask(&client, "a", "x") {
        Err(LlmError::Exhausted { attempts: 1, last }) => {
            assert!(matches!(*last, LlmError::Http { status: 503, .. }))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.snapshot().failures, 1);
}

#[test]
fn the_cache_answers_a_rerun_and_no_cache_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(echo(), Faults::default()).unwrap();
    let mut cfg = config(&server);
    cfg.cache = Some(dir.path().join("c.sqlite"));
    cfg.price_in = 1.0;
    cfg.price_out = 2.0;
    let first = Client::new(cfg.clone()).unwrap();
    let a = ask(&first, "a", "question one").unwrap();
    let s = first.snapshot();
    assert_eq!((s.cache_hits, s.http_attempts), (0, 1));
    assert!(s.prompt_tokens > 0 && s.completion_tokens > 0);
    let cost = (s.prompt_tokens as f64 + 2.0 * s.completion_tokens as f64) / 1e6;
    assert!((s.cost - cost).abs() < 1e-12);
    drop(first);

    let again = Client::new(cfg.clone()).unwrap();
    let b = ask(&again, "a", "question one").unwrap();
    assert_eq!(a.content, b.content);
    assert!(b.cached);
    let s = again.snapshot();
    assert_eq!((s.cache_hits, s.http_attempts, s.prompt_tokens), (1, 0, 0));
    assert_eq!(server.stats.requests.load(Ordering::Relaxed), 1);
    // Another seed is another question.
    let mut seeded = cfg.clone();
    seeded.seed = Some(7);
    let c = Client::new(seeded).unwrap();
    ask(&c, "a", "question one").unwrap();
    assert_eq!(c.snapshot().cache_hits, 0);

    cfg.cache = None;
    let uncached = Client::new(cfg).unwrap();
    ask(&uncached, "a", "question one").unwrap();
    assert_eq!(uncached.snapshot().http_attempts, 1);
}

#[test]
fn concurrent_requests_all_come_back_through_faults() {
    let server = MockServer::start(
        echo(),
        Faults {
            latency: Duration::from_millis(20),
            transient_rate: 0.3,
            slow_for: Duration::from_secs(1),
            retry_after: 0.01,
            ..Faults::default()
        },
    )
    .unwrap();
    let mut cfg = config(&server);
    cfg.concurrency = 16;
    let client = Client::new(cfg).unwrap();
    let answers = rt().block_on(async {
        let futs = (0..100).map(|i| {
            let c = &client;
            async move {
                c.chat(Request::new(
                    format!("r{i}"),
                    vec![Message::user(format!("q{i}"))],
                ))
                .await
            }
        });
        futures_util::future::join_all(futs).await
    });
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.as_ref().unwrap().content, format!("echo: q{i}"));
    }
    let s = client.snapshot();
    assert_eq!(s.requests, 100);
    assert!(s.retries > 0 && s.retries == server.stats.faults.load(Ordering::Relaxed));
}

#[test]
fn batch_emit_then_ingest_answers_as_online() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = dir.path().join("requests.jsonl");
    let results = dir.path().join("results.jsonl");
    let mut cfg = Config::new("http://127.0.0.1:9/v1", "m");
    cfg.base_url = None;
    cfg.emit_batch = Some(reqs.clone());
    let emitter = Client::new(cfg.clone()).unwrap();
    for i in 0..3 {
        let r = ask(&emitter, &format!("rec{i}"), &format!("q{i}"));
        assert!(matches!(r, Err(LlmError::Deferred)));
    }
    drop(emitter);
    let lines = std::fs::read_to_string(&reqs).unwrap();
    assert_eq!(lines.lines().count(), 3);
    assert!(lines.contains(r#""custom_id":"rec1""#));
    let script = echo();
    wfc::llm::batch::answer_file(&reqs, &results, |body| {
        wfc::llm::mock::completion_body(body, &script(body), "stop")
    })
    .unwrap();
    cfg.emit_batch = None;
    cfg.ingest_batch = Some(results);
    let ingest = Client::new(cfg).unwrap();
    assert_eq!(ask(&ingest, "rec2", "q2").unwrap().content, "echo: q2");
    assert!(matches!(
        ask(&ingest, "other", "q9"),
        Err(LlmError::Offline)
    ));
}
