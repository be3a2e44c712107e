//! iCloud share links: `https://www.icloud.com/shortcuts/<uuid>`.
//!
//! A shared shortcut is a CloudKit record. Its JSON lives at
//! `<api base><id>` (by default `https://www.icloud.com/shortcuts/api/records/<id>`) and
//! names the file's address at `fields.shortcut.value.downloadURL`. The downloaded bytes
//! (a signed `AEA1` file, or a binary plist for older shares) are handed back unparsed:
//! the caller gives them to [`crate::shortcut::read_bytes`].
//!
//! Environment: `WFC_ICLOUD_API`, when set, replaces the API base used by
//! [`Client::new`] (and so by [`fetch_blocking`]); the record id is appended to it. It
//! exists for tests and mirrors; [`Client::with_api_base`] ignores it.

use crate::limits::Limits;
use reqwest::{StatusCode, Url};
use std::time::Duration;
use thiserror::Error;

/// Where records are fetched from unless overridden.
pub const DEFAULT_API_BASE: &str = "https://www.icloud.com/shortcuts/api/records/";
/// Environment variable that overrides [`DEFAULT_API_BASE`] in [`Client::new`].
pub const API_BASE_ENV: &str = "WFC_ICLOUD_API";
/// Substituted for the `${f}` file-name placeholder that some records leave in their
/// `downloadURL`; the server ignores the name but the URL is invalid without one.
pub const DOWNLOAD_FILE_NAME: &str = "shortcut.shortcut";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// Records are a few kilobytes; anything much larger is not a record.
const MAX_RECORD_BYTES: usize = 4 << 20;

#[derive(Debug, Error)]
pub enum ICloudError {
    #[error("not an iCloud shortcut link or id: {0:?}")]
    BadLink(String),
    #[error("no shared shortcut with id {id} ({url})")]
    NotFound { id: String, url: String },
    #[error("HTTP {status} from {url}")]
    Status { status: StatusCode, url: String },
    #[error("network error fetching {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("record at {url} is not valid JSON: {detail}")]
    InvalidJson { url: String, detail: String },
    #[error("record for {id} has no {field} (is the shortcut still shared?)")]
    MissingField { id: String, field: &'static str },
    #[error("record for {id} has an unusable {field} {value:?}: {detail}")]
    BadDownloadUrl {
        id: String,
        field: &'static str,
        value: String,
        detail: String,
    },
    #[error("{url}: response is larger than the limit of {limit} bytes{}", claimed_note(.claimed))]
    TooLarge {
        url: String,
        /// The Content-Length, when the refusal came from it rather than from streaming.
        claimed: Option<u64>,
        limit: usize,
    },
    #[error("cannot set up HTTP: {0}")]
    Setup(String),
}

fn claimed_note(claimed: &Option<u64>) -> String {
    match claimed {
        Some(n) => format!(" (Content-Length {n})"),
        None => String::new(),
    }
}

/// A downloaded shared shortcut.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The file as served: pass to [`crate::shortcut::read_bytes`].
    pub bytes: Vec<u8>,
    /// `fields.name.value` of the record.
    pub name: Option<String>,
    /// Scalar fields of the record as `("icloud.<field>", value)`, for provenance.
    pub record_metadata: Vec<(String, String)>,
}

/// Normalizes a record id: 32 hex digits, or a dashed 8-4-4-4-12 UUID, either case.
/// Returns the 32 lowercase hex digits the API accepts.
pub fn parse_id(s: &str) -> Option<String> {
    let s = s.trim();
    let hex: String = match s.len() {
        32 => s.to_string(),
        36 => {
            // Dashes only where a UUID has them, so that stray dashes are not silently eaten.
            let b = s.as_bytes();
            if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                return None;
            }
            s.chars().filter(|&c| c != '-').collect()
        }
        _ => return None,
    };
    if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(hex.to_ascii_lowercase())
    } else {
        None
    }
}

/// Recognises `http(s)://[www.]icloud.com/shortcuts/<id>[/][?query][#fragment]` and
/// returns the normalized id (see [`parse_id`]).
pub fn parse_link(s: &str) -> Option<String> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    // Scheme and host are case-insensitive; the path is not.
    let rest_at = [
        "https://www.icloud.com",
        "http://www.icloud.com",
        "https://icloud.com",
        "http://icloud.com",
    ]
    .iter()
    .find(|p| lower.starts_with(*p))?
    .len();
    let path = s[rest_at..].strip_prefix("/shortcuts/")?;
    let end = path.find(['?', '#']).unwrap_or(path.len());
    let path = &path[..end];
    let id = path.strip_suffix('/').unwrap_or(path);
    parse_id(id)
}

/// Whether `s` is meant as a web link (a scheme, or an iCloud host) rather than a path:
/// such an argument that [`parse_link`] refuses is a malformed link, not a missing file.
pub fn looks_like_link(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("icloud.com/")
        || lower.starts_with("www.icloud.com/")
}

/// Why a link-looking argument is not a shortcut link.
pub fn bad_link_message() -> String {
    "not a valid iCloud shortcut link: expected https://www.icloud.com/shortcuts/ followed \
     by a 32-digit hexadecimal id"
        .to_string()
}

/// Fetches shared shortcuts from iCloud (or from a server that answers like it).
#[derive(Debug, Clone)]
pub struct Client {
    api_base: String,
    http: reqwest::Client,
    limits: Limits,
}

impl Client {
    /// A client for [`DEFAULT_API_BASE`], or for `$WFC_ICLOUD_API` when that is set and
    /// not empty.
    pub fn new() -> Result<Client, ICloudError> {
        let base = std::env::var(API_BASE_ENV)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_API_BASE.to_string());
        Client::with_api_base(&base)
    }

    /// A client whose records are fetched from `<api_base><id>`; a missing trailing `/`
    /// is added.
    pub fn with_api_base(api_base: &str) -> Result<Client, ICloudError> {
        let mut api_base = api_base.to_string();
        if !api_base.ends_with('/') {
            api_base.push('/');
        }
        Url::parse(&api_base)
            .map_err(|e| ICloudError::Setup(format!("API base {api_base:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .user_agent(concat!("wfc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ICloudError::Setup(error_chain(&e)))?;
        Ok(Client {
            api_base,
            http,
            limits: Limits::default(),
        })
    }

    /// Replaces the limits; `max_input_bytes` bounds the download.
    pub fn with_limits(mut self, limits: Limits) -> Client {
        self.limits = limits;
        self
    }

    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// Fetches the record for `id` (a bare id, dashed or not), then the file it names.
    pub async fn fetch(&self, id: &str) -> Result<Fetched, ICloudError> {
        let id = parse_id(id).ok_or_else(|| ICloudError::BadLink(id.to_string()))?;
        let record_url = format!("{}{}", self.api_base, id);

        let resp = self.get(&record_url).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Err(ICloudError::NotFound {
                id,
                url: record_url,
            });
        }
        let body = read_body(resp, &record_url, MAX_RECORD_BYTES).await?;
        let record: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| ICloudError::InvalidJson {
                url: record_url.clone(),
                detail: e.to_string(),
            })?;

        const FIELD: &str = "fields.shortcut.value.downloadURL";
        let raw = record
            .pointer("/fields/shortcut/value/downloadURL")
            .and_then(|v| v.as_str())
            .ok_or_else(|| ICloudError::MissingField {
                id: id.clone(),
                field: FIELD,
            })?;
        let bad = |detail: String| ICloudError::BadDownloadUrl {
            id: id.clone(),
            field: FIELD,
            value: raw.to_string(),
            detail,
        };
        // Relative addresses are resolved against the record, which only matters for
        // mirrors; iCloud gives absolute ones.
        let download = Url::parse(&record_url)
            .and_then(|base| base.join(&raw.replace("${f}", DOWNLOAD_FILE_NAME)))
            .map_err(|e| bad(e.to_string()))?;
        if !matches!(download.scheme(), "http" | "https") {
            return Err(bad("not an http(s) address".into()));
        }
        let download = download.to_string();

        let resp = self.get(&download).await?;
        let bytes = read_body(resp, &download, self.limits.max_input_bytes).await?;

        Ok(Fetched {
            bytes,
            name: record
                .pointer("/fields/name/value")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            record_metadata: record_metadata(&id, &record),
        })
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response, ICloudError> {
        self.http
            .get(url)
            .send()
            .await
            .map_err(|e| network(url, &e))
    }
}

/// Fetches a shared shortcut from a link or bare id, for synchronous callers.
pub fn fetch_blocking(link_or_id: &str) -> Result<Fetched, ICloudError> {
    let id = parse_link(link_or_id)
        .or_else(|| parse_id(link_or_id))
        .ok_or_else(|| ICloudError::BadLink(link_or_id.to_string()))?;
    let client = Client::new()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| ICloudError::Setup(format!("tokio runtime: {e}")))?;
    rt.block_on(client.fetch(&id))
}

/// Reads a successful response's body, refusing more than `limit` bytes whether the
/// server admits it up front (Content-Length) or not (chunked, or lying).
async fn read_body(
    mut resp: reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Vec<u8>, ICloudError> {
    let status = resp.status();
    if !status.is_success() {
        return Err(ICloudError::Status {
            status,
            url: url.to_string(),
        });
    }
    let too_large = |claimed| ICloudError::TooLarge {
        url: url.to_string(),
        claimed,
        limit,
    };
    let claimed = resp.content_length();
    if let Some(n) = claimed {
        if n > limit as u64 {
            return Err(too_large(Some(n)));
        }
    }
    let mut buf = Vec::with_capacity(claimed.map_or(0, |n| n as usize));
    while let Some(chunk) = resp.chunk().await.map_err(|e| network(url, &e))? {
        if buf.len() + chunk.len() > limit {
            return Err(too_large(None));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn network(url: &str, e: &reqwest::Error) -> ICloudError {
    let mut detail = error_chain(e);
    if e.is_timeout() && !detail.contains("timed out") {
        detail = format!("timed out: {detail}");
    }
    ICloudError::Network {
        url: url.to_string(),
        detail,
    }
}

/// reqwest's top-level message is generic ("error sending request"); the cause is in the
/// source chain.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

/// The record's scalar fields, prefixed `icloud.`. Asset fields (the file and icon) are
/// left out: their URLs are signed and expire.
fn record_metadata(id: &str, record: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = vec![("icloud.id".to_string(), id.to_string())];
    if let Some(fields) = record.get("fields").and_then(|f| f.as_object()) {
        for (key, field) in fields {
            let text = match field.get("value") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                    v.to_string()
                }
                _ => continue,
            };
            out.push((format!("icloud.{key}"), text));
        }
    }
    for (key, name) in [
        ("created", "icloud.created"),
        ("modified", "icloud.modified"),
    ] {
        if let Some(ts) = record.get(key).and_then(|c| c.get("timestamp")) {
            if ts.is_number() {
                out.push((name.to_string(), ts.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn accepts_link_forms() {
        for link in [
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef",
            "http://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef",
            "https://icloud.com/shortcuts/0123456789abcdef0123456789abcdef",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef/",
            "https://www.icloud.com/shortcuts/0123456789ABCDEF0123456789ABCDEF",
            "https://www.icloud.com/shortcuts/01234567-89ab-cdef-0123-456789abcdef",
            "https://www.icloud.com/shortcuts/01234567-89AB-CDEF-0123-456789ABCDEF/",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef?x=1",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef/?x=1#y",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef#frag",
            "HTTPS://WWW.iCloud.com/shortcuts/0123456789abcdef0123456789abcdef",
            "  https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef\n",
        ] {
            assert_eq!(parse_link(link).as_deref(), Some(ID), "{link}");
        }
    }

    #[test]
    fn rejects_other_forms() {
        for s in [
            "",
            ID,
            "https://www.icloud.com/shortcuts/",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcde",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef0",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdeg",
            "https://www.icloud.com/shortcuts/0123-456789ab-cdef-0123-456789abcdef",
            "https://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef/extra",
            "https://www.icloud.com/shortcuts/api/records/0123456789abcdef0123456789abcdef",
            "https://www.icloud.com/photos/0123456789abcdef0123456789abcdef",
            "https://www.icloud.com.evil.example/shortcuts/0123456789abcdef0123456789abcdef",
            "https://evil.example/shortcuts/0123456789abcdef0123456789abcdef",
            "ftp://www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef",
            "www.icloud.com/shortcuts/0123456789abcdef0123456789abcdef",
            "https://www.icloud.com:8080/shortcuts/0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(parse_link(s), None, "{s:?}");
        }
    }

    #[test]
    fn parses_bare_ids() {
        assert_eq!(parse_id(ID).as_deref(), Some(ID));
        assert_eq!(
            parse_id("01234567-89AB-CDEF-0123-456789ABCDEF").as_deref(),
            Some(ID)
        );
        assert_eq!(parse_id("../../etc/passwd"), None);
        assert_eq!(parse_id("0123456789abcdef0123456789abcdef-"), None);
    }

    #[test]
    fn metadata_keeps_scalars_only() {
        let record: serde_json::Value = serde_json::from_str(
            r#"{"recordName":"x","created":{"timestamp":1600000000000},
                "fields":{"name":{"value":"Hi"},"icon_color":{"value":4282601983},
                "shortcut":{"value":{"downloadURL":"https://x/${f}"}}}}"#,
        )
        .unwrap();
        let md = record_metadata(ID, &record);
        assert_eq!(
            md,
            vec![
                ("icloud.id".into(), ID.into()),
                ("icloud.name".into(), "Hi".into()),
                ("icloud.icon_color".into(), "4282601983".into()),
                ("icloud.created".into(), "1600000000000".into()),
            ]
        );
    }
}
