//! Reading the server's `GET /stats` (a [`StatsDoc`], from the operator listener) and, when the
//! server runs on this machine, its `/proc` entry.
//!
//! The document type is `tickstate_shared::stats_doc::StatsDoc`, the one the server serializes;
//! fields an older server does not send read as zero.

use std::time::Duration;

use serde::Serialize;
use tickstate_shared::stats_doc::StatsDoc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the server's operator listener is by default (`tickstate --admin-bind`).
pub const DEFAULT_STATS_URL: &str = "http://127.0.0.1:9100";

/// What can go wrong fetching `/stats`.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The URL is not `http://host:port[/path]`.
    #[error("unsupported stats URL {0} (expected http://host:port, e.g. {DEFAULT_STATS_URL})")]
    Url(String),
    /// Connecting, writing or reading failed.
    #[error("GET {0}: {1} (is it the server's operator address, tickstate --admin-bind?)")]
    Io(String, std::io::Error),
    /// The request took too long.
    #[error("GET {0} timed out")]
    Timeout(String),
    /// The server wants a token, or another one.
    #[error("GET {0}: 401 Unauthorized: pass the server's admin token with --stats-token (or TICKSTATE_ADMIN_TOKEN)")]
    Unauthorized(String),
    /// Not a 200 with a `/stats` document.
    #[error("GET {0}: {1}")]
    Bad(String, String),
}

/// The operator token sent to `/stats` (`Authorization: Bearer`); its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct StatsToken(String);

impl StatsToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for StatsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatsToken(<redacted>)")
    }
}

/// The parts of one `/stats` read the harness uses.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ServerSample {
    /// Seconds since the run started when this was read.
    pub at_s: f64,
    /// The document.
    pub doc: StatsDoc,
    /// Server process CPU seconds (`process.cpu_seconds`, or `/proc/<pid>/stat` with `--server-pid`).
    pub cpu_seconds: Option<f64>,
    /// Server resident memory (`process.rss_bytes`, or `/proc/<pid>/statm`).
    pub rss_bytes: Option<u64>,
}

impl ServerSample {
    /// A sample of `doc`, read `at_s` seconds into the run.
    pub fn new(doc: StatsDoc, at_s: f64) -> ServerSample {
        ServerSample {
            at_s,
            cpu_seconds: doc.process.map(|p| p.cpu_seconds),
            rss_bytes: doc.process.map(|p| p.rss_bytes),
            doc,
        }
    }

    /// Fills CPU and RSS from `/proc/<pid>` when `/stats` did not have them.
    pub fn fill_from_proc(&mut self, pid: Option<u32>) {
        let Some(pid) = pid else { return };
        if self.cpu_seconds.is_none() {
            self.cpu_seconds = crate::cpu::process_cpu_seconds(&format!("/proc/{pid}/stat"));
        }
        if self.rss_bytes.is_none() {
            self.rss_bytes = crate::cpu::process_rss_bytes(pid);
        }
    }
}

/// The URL of the stats document: `url` itself when it has a path, else `url` + `/stats`.
pub fn stats_document_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.strip_prefix("http://") {
        Some(rest) if rest.contains('/') => url.to_owned(),
        _ => format!("{url}/stats"),
    }
}

/// Fetches and parses the `/stats` document at `url` (see [`stats_document_url`]) with an optional
/// bearer token: plain HTTP/1.1 over a TCP stream, 2 s timeout.
///
/// # Errors
/// [`StatsError`] when the server cannot be reached, refuses the token or does not answer a
/// `/stats` document.
pub async fn fetch_stats(url: &str, token: Option<&StatsToken>) -> Result<StatsDoc, StatsError> {
    let url = stats_document_url(url);
    tokio::time::timeout(Duration::from_secs(2), fetch_inner(&url, token))
        .await
        .map_err(|_| StatsError::Timeout(url.clone()))?
}

async fn fetch_inner(url: &str, token: Option<&StatsToken>) -> Result<StatsDoc, StatsError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| StatsError::Url(url.to_owned()))?;
    let (host, path) = rest.split_once('/').ok_or_else(|| StatsError::Url(url.to_owned()))?;
    if host.is_empty() {
        return Err(StatsError::Url(url.to_owned()));
    }
    let io = |e| StatsError::Io(url.to_owned(), e);
    let mut s = tokio::net::TcpStream::connect(host).await.map_err(io)?;
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {}\r\n", t.expose()));
    s.write_all(format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n").as_bytes())
        .await
        .map_err(io)?;
    let mut buf = Vec::new();
    // A /stats document is a few KB; cap what we read.
    (&mut s).take(4 << 20).read_to_end(&mut buf).await.map_err(io)?;
    let text = String::from_utf8_lossy(&buf);
    let bad = |why: String| StatsError::Bad(url.to_owned(), why);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no HTTP header".into()))?;
    match head.split(' ').nth(1).unwrap_or("") {
        "200" => {}
        "401" => return Err(StatsError::Unauthorized(url.to_owned())),
        "404" => {
            return Err(bad(
                "404 Not Found (since the operator listener exists, /stats is not on the game port: \
                 point --stats-url at tickstate --admin-bind)"
                    .into(),
            ));
        }
        status => return Err(bad(format!("status {status}"))),
    }
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    serde_json::from_str(&body).map_err(|e| bad(format!("not a /stats document: {e}")))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(rest.get(..n).unwrap_or(""));
        s = rest.get(n..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_take_cpu_and_memory_from_the_document() {
        let doc: StatsDoc = serde_json::from_value(serde_json::json!({
            "players": 3, "process": {"cpu_seconds": 1.5, "rss_bytes": 1024},
            "rooms": [{"name": "a", "skipped_ticks": 2}]
        }))
        .unwrap();
        let s = ServerSample::new(doc, 1.0);
        assert_eq!((s.cpu_seconds, s.rss_bytes, s.doc.players), (Some(1.5), Some(1024), 3));
        assert_eq!(s.doc.skipped_ticks(), 2);
        let s = ServerSample::new(StatsDoc::default(), 0.0);
        assert_eq!((s.cpu_seconds, s.rss_bytes), (None, None));
    }

    #[test]
    fn stats_urls() {
        assert_eq!(
            stats_document_url("http://127.0.0.1:9100"),
            "http://127.0.0.1:9100/stats"
        );
        assert_eq!(
            stats_document_url("http://127.0.0.1:9100/"),
            "http://127.0.0.1:9100/stats"
        );
        assert_eq!(stats_document_url("http://h:1/ops/stats"), "http://h:1/ops/stats");
    }

    #[tokio::test]
    async fn bad_urls_are_refused() {
        assert!(matches!(
            fetch_stats("https://h:1", None).await,
            Err(StatsError::Url(_))
        ));
        assert!(matches!(fetch_stats("http://", None).await, Err(StatsError::Url(_))));
    }

    #[test]
    fn dechunks() {
        assert_eq!(dechunk("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"), "{\"a\":1}");
    }
}
