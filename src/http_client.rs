//! A minimal HTTP/1.0 client for loopback requests to a published port: the smoke checks and
//! the Directus REST client (src/directus/) share it (no extra crate: HTTP/1.0 keeps
//! responses unchunked and the connection closes after each answer). A leaf module: it names
//! no other module of the crate.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Response {
    pub status: u16,
    pub body: String,
}

/// The timeout of [`request`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one request to 127.0.0.1:`port`; `body` is JSON when present. Gives up after
/// [`DEFAULT_TIMEOUT`].
pub async fn request(
    port: u16,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
) -> Result<Response, String> {
    request_within(port, method, path, bearer, body, DEFAULT_TIMEOUT).await
}

/// [`request`] with its own timeout (a batch write can take longer than a probe).
pub async fn request_within(
    port: u16,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
    timeout: Duration,
) -> Result<Response, String> {
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
        let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n");
        if let Some(t) = bearer {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        if let Some(b) = body {
            req.push_str(b);
        }
        s.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| "malformed HTTP answer".to_string())?;
        let status = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| "malformed HTTP status line".to_string())?;
        Ok(Response { status, body: body.to_string() })
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
}
