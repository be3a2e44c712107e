//! Fetching shared shortcuts against a local stand-in for iCloud (no network needed).

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use wfc::limits::Limits;
use wfc::shortcut::icloud::{self, Client, ICloudError};

const WORKFLOW: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>WFWorkflowActions</key>
	<array>
		<dict>
			<key>WFWorkflowActionIdentifier</key>
			<string>is.workflow.actions.comment</string>
			<key>WFWorkflowActionParameters</key>
			<dict>
				<key>WFCommentActionText</key>
				<string>hello</string>
			</dict>
		</dict>
	</array>
</dict>
</plist>
"#;

const OK_ID: &str = "0123456789abcdef0123456789abcdef";
const PLACEHOLDER_ID: &str = "11111111111111111111111111111111";
const NO_URL_ID: &str = "22222222222222222222222222222222";
const HUGE_ID: &str = "33333333333333333333333333333333";
const STREAM_ID: &str = "44444444444444444444444444444444";
const BAD_JSON_ID: &str = "55555555555555555555555555555555";
const BROKEN_FILE_ID: &str = "66666666666666666666666666666666";

fn record(name: &str, download: Option<&str>) -> String {
    let shortcut = match download {
        Some(u) => format!(r#","shortcut":{{"type":"ASSETID","value":{{"downloadURL":"{u}"}}}}"#),
        None => String::new(),
    };
    format!(
        r#"{{"recordName":"x","created":{{"timestamp":1600000000000}},"fields":{{"name":{{"type":"STRING","value":"{name}"}},"icon_color":{{"value":4282601983}}{shortcut}}}}}"#
    )
}

/// Serves one response per connection; `Connection: close` keeps the parsing trivial.
fn respond(mut stream: TcpStream, base: &str) {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let req = String::from_utf8_lossy(&req);
    let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
    let head = |status: &str, len: Option<u64>| {
        let len = len.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
        format!("HTTP/1.1 {status}\r\n{len}Connection: close\r\n\r\n")
    };
    let body = |status: &str, body: &[u8]| {
        let mut out = head(status, Some(body.len() as u64)).into_bytes();
        out.extend_from_slice(body);
        out
    };
    let rec = |id: &str| format!("/records/{id}");
    let out = if path == rec(OK_ID) {
        body(
            "200 OK",
            record("Hello", Some(&format!("{base}/files/wf"))).as_bytes(),
        )
    } else if path == rec(PLACEHOLDER_ID) {
        body(
            "200 OK",
            record("Placeholder", Some(&format!("{base}/files/${{f}}?o=1"))).as_bytes(),
        )
    } else if path == rec(NO_URL_ID) {
        body("200 OK", record("No URL", None).as_bytes())
    } else if path == rec(HUGE_ID) {
        body(
            "200 OK",
            record("Huge", Some(&format!("{base}/files/huge"))).as_bytes(),
        )
    } else if path == rec(STREAM_ID) {
        body(
            "200 OK",
            record("Stream", Some(&format!("{base}/files/stream"))).as_bytes(),
        )
    } else if path == rec(BAD_JSON_ID) {
        body("200 OK", b"{\"fields\": ")
    } else if path == rec(BROKEN_FILE_ID) {
        body(
            "200 OK",
            record("Broken", Some(&format!("{base}/files/gone"))).as_bytes(),
        )
    } else if path == "/files/wf" || path == "/files/shortcut.shortcut?o=1" {
        body("200 OK", WORKFLOW)
    } else if path == "/files/huge" {
        // Claims far more than the limit and sends nothing: must be refused up front.
        head("200 OK", Some(1 << 40)).into_bytes()
    } else if path == "/files/stream" {
        // No Content-Length: the size is only discovered while reading.
        let mut out = head("200 OK", None).into_bytes();
        out.extend(vec![b'x'; 64 * 1024]);
        out
    } else if path == "/files/gone" {
        body("500 Internal Server Error", b"oops")
    } else {
        body("404 Not Found", b"{}")
    };
    let _ = stream.write_all(&out);
}

/// Starts the stand-in server on 127.0.0.1 and returns the API base for it.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let b = b.clone();
            thread::spawn(move || respond(stream, &b));
        }
    });
    format!("{base}/records/")
}

/// Runs `f` on its own thread, failing the test if it takes too long.
fn bounded_sync<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("fetch panicked or took longer than 20s")
}

/// Runs a future on its own runtime, failing the test if it takes too long.
fn bounded<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    bounded_sync(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut)
    })
}

fn fetch(id: &str, limits: Limits) -> Result<icloud::Fetched, ICloudError> {
    let client = Client::with_api_base(&serve()).unwrap().with_limits(limits);
    let id = id.to_string();
    bounded(async move { client.fetch(&id).await })
}

#[test]
fn fetches_record_and_file() {
    let got = fetch(OK_ID, Limits::default()).unwrap();
    assert_eq!(got.bytes, WORKFLOW);
    assert_eq!(got.name.as_deref(), Some("Hello"));
    let md = &got.record_metadata;
    assert!(md.contains(&("icloud.id".into(), OK_ID.into())), "{md:?}");
    assert!(
        md.contains(&("icloud.name".into(), "Hello".into())),
        "{md:?}"
    );
    assert!(
        md.contains(&("icloud.icon_color".into(), "4282601983".into())),
        "{md:?}"
    );
    // The bytes are a workflow the container reader accepts.
    let loaded = wfc::shortcut::read_bytes(&got.bytes, &Limits::default()).unwrap();
    assert!(loaded.plist.contains_key("WFWorkflowActions"));
}

#[test]
fn accepts_dashed_uppercase_id() {
    let got = fetch("01234567-89AB-CDEF-0123-456789ABCDEF", Limits::default()).unwrap();
    assert_eq!(got.bytes, WORKFLOW);
}

#[test]
fn substitutes_file_name_placeholder() {
    let got = fetch(PLACEHOLDER_ID, Limits::default()).unwrap();
    assert_eq!(got.bytes, WORKFLOW);
    assert_eq!(got.name.as_deref(), Some("Placeholder"));
}

#[test]
fn unknown_id_is_not_found() {
    let id = "99999999999999999999999999999999";
    match fetch(id, Limits::default()) {
        Err(e @ ICloudError::NotFound { .. }) => {
            assert!(
                e.to_string()
                    .contains(&format!("no shared shortcut with id {id}")),
                "{e}"
            )
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn record_without_download_url() {
    match fetch(NO_URL_ID, Limits::default()) {
        Err(e @ ICloudError::MissingField { .. }) => {
            assert!(
                e.to_string().contains("fields.shortcut.value.downloadURL"),
                "{e}"
            )
        }
        other => panic!("expected MissingField, got {other:?}"),
    }
}

#[test]
fn invalid_record_json() {
    match fetch(BAD_JSON_ID, Limits::default()) {
        Err(ICloudError::InvalidJson { url, .. }) => assert!(url.ends_with(BAD_JSON_ID)),
        other => panic!("expected InvalidJson, got {other:?}"),
    }
}

#[test]
fn download_http_error_names_url() {
    match fetch(BROKEN_FILE_ID, Limits::default()) {
        Err(ICloudError::Status { status, url }) => {
            assert_eq!(status.as_u16(), 500);
            assert!(url.ends_with("/files/gone"), "{url}");
        }
        other => panic!("expected Status, got {other:?}"),
    }
}

#[test]
fn oversize_content_length_is_refused() {
    match fetch(HUGE_ID, Limits::default()) {
        Err(ICloudError::TooLarge { claimed, limit, .. }) => {
            assert_eq!(claimed, Some(1 << 40));
            assert_eq!(limit, Limits::default().max_input_bytes);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn oversize_stream_is_cut_off() {
    let limits = Limits {
        max_input_bytes: 1000,
        ..Limits::default()
    };
    match fetch(STREAM_ID, limits) {
        Err(ICloudError::TooLarge { claimed, limit, .. }) => {
            assert_eq!(claimed, None);
            assert_eq!(limit, 1000);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn connection_refused_names_url() {
    // Bind then drop, so the port is (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/records/");
    let client = Client::with_api_base(&base).unwrap();
    match bounded(async move { client.fetch(OK_ID).await }) {
        Err(ICloudError::Network { url, .. }) => assert_eq!(url, format!("{base}{OK_ID}")),
        other => panic!("expected Network, got {other:?}"),
    }
}

#[test]
fn bad_id_is_rejected_before_any_request() {
    let client = Client::with_api_base("http://127.0.0.1:9/records/").unwrap();
    let r = bounded(async move { client.fetch("../etc/passwd").await });
    assert!(matches!(r, Err(ICloudError::BadLink(_))), "{r:?}");
}

#[test]
fn fetch_blocking_uses_env_base() {
    // The only test that reads the environment; the others pass their base explicitly.
    std::env::set_var(icloud::API_BASE_ENV, serve());
    let link = format!("https://www.icloud.com/shortcuts/{OK_ID}");
    let got = bounded_sync(move || icloud::fetch_blocking(&link)).unwrap();
    assert_eq!(got.bytes, WORKFLOW);
    assert_eq!(got.name.as_deref(), Some("Hello"));
    assert!(matches!(
        icloud::fetch_blocking("not a link"),
        Err(ICloudError::BadLink(_))
    ));
}
