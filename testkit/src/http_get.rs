//! A minimal HTTP/1.1 GET over a raw TCP stream, for the servers' HTTP endpoints (no HTTP client
//! dependency). Every helper panics with a message when the request fails: they are for tests.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GETs `url` (`http://host:port/path`); returns the status and the body.
///
/// # Panics
/// When `url` is not `http://` or the request fails.
pub async fn get(url: &str) -> (u16, String) {
    let (status, _, body) = get_with(url, &[]).await;
    (status, body)
}

/// [`get`] with extra request headers; returns the status, the response head and the body. A
/// response without a status line has status 0.
///
/// # Panics
/// When `url` is not `http://` or the request fails.
pub async fn get_with(url: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url} should be an http:// URL"));
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = tokio::net::TcpStream::connect(host)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: cannot connect ({e})"));
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n").as_bytes())
        .await
        .unwrap_or_else(|e| panic!("GET {url}: cannot send ({e})"));
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: cannot read ({e})"));
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    (status, head, body)
}

/// GETs `url` and parses the body as JSON.
///
/// # Panics
/// When the status is not 200 or the body is not JSON.
pub async fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = get(url).await;
    assert_eq!(status, 200, "GET {url} should answer 200");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url} should return JSON ({e}): {body}"))
}
