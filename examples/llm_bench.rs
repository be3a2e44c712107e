//! Throughput of the chat client against the loopback server answering after 50 ms:
//! requests/s at concurrency 1, 8 and 64 as a share of the ideal (concurrency ÷ latency),
//! and the client's CPU time per request (the client runs on this thread alone: a
//! current-thread runtime; the server has its own thread).
//!
//! `cargo run --release --example llm_bench [-- REQUESTS_PER_LEVEL]`

use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wfc::llm::mock::{Faults, MockServer};
use wfc::llm::{Client, Config, Message, Request};

/// CPU seconds this thread has used (utime + stime from /proc, in clock ticks of 10 ms).
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    let per_level: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let latency = Duration::from_millis(50);
    let script: wfc::llm::mock::Script = Arc::new(|_req: &Value| {
        r#"{"query": "Turn on do not disturb and tell me when my next meeting starts."}"#.into()
    });
    let server = MockServer::start(
        script,
        Faults {
            latency,
            ..Faults::default()
        },
    )
    .expect("server");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("concurrency  requests  seconds  req/s   ideal   share  client-CPU/req");
    for conc in [1usize, 8, 64] {
        let mut cfg = Config::new(&server.base_url(), "bench");
        cfg.concurrency = conc;
        let client = Client::new(cfg).expect("client");
        let n = if per_level > 0 {
            per_level
        } else {
            (conc * 40).max(60)
        };
        // Warm the connection pool so connects are not counted.
        rt.block_on(futures_util::future::join_all((0..conc).map(|i| {
            client.chat(Request::new(
                format!("w{i}"),
                vec![Message::user(format!("warm {i}"))],
            ))
        })));
        let cpu0 = thread_cpu();
        let t = Instant::now();
        let results = rt.block_on(async {
            use futures_util::StreamExt;
            futures_util::stream::iter((0..n).map(|i| {
                let c = &client;
                async move {
                    c.chat(Request::new(
                        format!("r{i}"),
                        vec![
                            Message::system("You write requests for shortcuts."),
                            Message::user(format!(
                                "Write request number {i} about calendars and focus modes."
                            )),
                        ],
                    ))
                    .await
                }
            }))
            .buffer_unordered(conc)
            .collect::<Vec<_>>()
            .await
        });
        let secs = t.elapsed().as_secs_f64();
        let cpu = thread_cpu().zip(cpu0).map(|(a, b)| a - b);
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, n, "all requests answered");
        let rate = n as f64 / secs;
        let ideal = conc as f64 / latency.as_secs_f64();
        println!(
            "{conc:>11}  {n:>8}  {secs:>7.2}  {rate:>6.1}  {ideal:>6.0}  {:>5.1}%  {}",
            100.0 * rate / ideal,
            cpu.map_or("n/a".into(), |c| format!("{:.0} µs", 1e6 * c / n as f64))
        );
    }
}
