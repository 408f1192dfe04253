//! The REST client: octocrab for the transport (rustls, the bearer token,
//! the base URI of GitHub or GitHub Enterprise, timeouts), and trm-ci's own
//! bounded retries around it, because they must see the status and headers:
//! a 5xx or a transport error is retried with exponential backoff; a secondary
//! rate limit (403/429 with `retry-after`, or `x-ratelimit-remaining: 0`) is
//! waited out. Anything else comes back as an [`ApiError`] naming the endpoint
//! and the status. The token is octocrab's (a `SecretString`) and is sent only
//! to the API's own host.
//!
//! Bounded: every request (answer and body) within [`Retry::request_timeout`], all of a
//! client's requests, retries and waits within [`Retry::deadline`] (a server trickling a
//! byte every few seconds never trips a read timeout), and no answer body over
//! [`MAX_BODY_BYTES`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use tokio::time::Instant;

use http::{header, HeaderMap, Method, Request};
use octocrab::Octocrab;
use serde_json::Value;

use super::env::Token;

/// Where progress lines go (retries, waits); the command layer prints them.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Retry {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff for a 5xx or a transport error; doubled each time.
    pub base_delay: Duration,
    /// A `retry-after` longer than this is not waited for: the error is returned.
    pub max_wait: Duration,
    /// One attempt, from sending to the last byte of the answer (then retried).
    pub request_timeout: Duration,
    /// Everything a client does, from its creation: past it, requests fail at once.
    pub deadline: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_wait: Duration::from_secs(90),
            request_timeout: Duration::from_secs(120),
            deadline: Duration::from_secs(300),
        }
    }
}

/// The largest answer body read (GitHub's pages of 100 comments of at most 65,536
/// characters each stay well under it); a longer one is an error, not retried.
pub const MAX_BODY_BYTES: usize = 32 << 20;

/// An answer with any status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
    /// The `rel="next"` URL of the `Link` header.
    pub fn next_page(&self) -> Option<String> {
        self.headers.get_all(header::LINK).iter().filter_map(|v| v.to_str().ok()).find_map(next_link)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 403 that is not a rate limit (or 404 on a write): the token may not do
    /// this — a fork's read-only token, or a missing `permissions:` entry.
    Forbidden { endpoint: String, status: u16, message: String },
    /// Any other non-2xx answer, after the retries.
    Status { endpoint: String, status: u16, message: String },
    /// No HTTP answer at all (DNS, connection refused, timeout, TLS), after the retries.
    Transport { endpoint: String, error: String },
    /// A 2xx answer whose body is not what GitHub sends.
    Unexpected { endpoint: String, what: String },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Forbidden { endpoint, status, message } | ApiError::Status { endpoint, status, message } => {
                write!(f, "{endpoint}: HTTP {status}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            ApiError::Transport { endpoint, error } => write!(f, "{endpoint}: no answer: {error}"),
            ApiError::Unexpected { endpoint, what } => write!(f, "{endpoint}: unexpected answer: {what}"),
        }
    }
}

impl ApiError {
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ApiError::Forbidden { .. })
    }
}

pub struct Client {
    crab: Octocrab,
    api: String,
    pub retry: Retry,
    log: Log,
    /// When the client was made: [`Retry::deadline`] counts from here.
    started: Instant,
}

impl Client {
    /// Must be called inside a tokio runtime (octocrab spawns its buffer task).
    pub fn new(api_url: &str, token: &Token, log: Log) -> Result<Client, String> {
        let api = api_url.trim_end_matches('/').to_string();
        // octocrab panics on a token that cannot be a header value (a line break).
        let token = super::env::checked_token(token.expose())?;
        let crab = Octocrab::builder()
            .base_uri(api.as_str())
            .map_err(|e| format!("GITHUB_API_URL `{api}` is not a URL: {}", first_line(&e)))?
            .personal_token(token)
            .set_connect_timeout(Some(Duration::from_secs(15)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .set_write_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| format!("cannot set up the GitHub client: {}", error_chain(&e)))?;
        Ok(Client { crab, api, retry: Retry::default(), log, started: Instant::now() })
    }

    /// `/repos/...` relative to the API, or an absolute URL (a `Link` header's).
    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.api)
        }
    }

    /// `GET /repos/o/r/issues/1/comments`: the method and the path, without host or query.
    fn endpoint(&self, method: &Method, url: &str) -> String {
        let rest = url.strip_prefix(&self.api).unwrap_or(url);
        let rest = match rest.find("://") {
            Some(i) => rest[i + 3..].find('/').map(|j| &rest[i + 3 + j..]).unwrap_or("/"),
            None => rest,
        };
        let path = rest.split('?').next().unwrap_or(rest);
        format!("{method} {path}")
    }

    pub async fn get(&self, path_or_url: &str) -> Result<Reply, ApiError> {
        self.send(Method::GET, path_or_url, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// One request with the retries; Ok only for a 2xx answer.
    pub async fn send(&self, method: Method, path_or_url: &str, body: Option<&Value>) -> Result<Reply, ApiError> {
        let url = self.url(path_or_url);
        let endpoint = self.endpoint(&method, &url);
        let deadline = self.started + self.retry.deadline;
        let past_deadline = |endpoint: &str| ApiError::Transport {
            endpoint: endpoint.to_string(),
            error: format!("trm-ci post gives GitHub {} s in all, and they are over", self.retry.deadline.as_secs()),
        };
        let mut attempt = 0u32;
        loop {
            if Instant::now() >= deadline {
                return Err(past_deadline(&endpoint));
            }
            let builder = Request::builder()
                .method(method.clone())
                .uri(url.as_str())
                .header(header::ACCEPT, "application/vnd.github+json")
                .header(header::USER_AGENT, concat!("trm-ci/", env!("CARGO_PKG_VERSION")));
            let request = self
                .crab
                .build_request(builder, body)
                .map_err(|e| ApiError::Transport { endpoint: endpoint.clone(), error: first_line(&e) })?;
            let exchange = async {
                let resp = self.crab.execute(request).await.map_err(|e| Failure::Retry(error_chain(&e)))?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                // The body frame by frame, refused past the cap (an endless answer is not
                // buffered until memory runs out).
                let mut body = resp.into_body();
                let mut buf: Vec<u8> = Vec::new();
                while let Some(frame) = body.frame().await {
                    let frame = frame.map_err(|e| Failure::Retry(error_chain(&e)))?;
                    if let Ok(data) = frame.into_data() {
                        if buf.len() + data.len() > MAX_BODY_BYTES {
                            return Err(Failure::Final(format!("an answer over {} MiB, not read further", MAX_BODY_BYTES >> 20)));
                        }
                        buf.extend_from_slice(&data);
                    }
                }
                let body = String::from_utf8(buf)
                    .map_err(|e| Failure::Final(format!("an answer that is not UTF-8 (at byte {})", e.utf8_error().valid_up_to())))?;
                Ok(Reply { status, headers, body })
            };
            let limit = Instant::now() + self.retry.request_timeout;
            let outcome = match tokio::time::timeout_at(limit.min(deadline), exchange).await {
                Ok(Ok(r)) => Ok(r),
                Ok(Err(Failure::Retry(e))) => Err(e),
                Ok(Err(Failure::Final(what))) => return Err(ApiError::Unexpected { endpoint, what }),
                Err(_) if limit >= deadline => return Err(past_deadline(&endpoint)),
                Err(_) => Err(format!("no complete answer within {} s", self.retry.request_timeout.as_secs())),
            };
            let outcome = match outcome {
                Ok(r) if (200..300).contains(&r.status) => return Ok(r),
                other => other,
            };
            let wait = match &outcome {
                Ok(r) => match classify(r) {
                    Class::RateLimited(secs) => {
                        let d = Duration::from_secs(secs);
                        if d > self.retry.max_wait {
                            return Err(status_error(&endpoint, r, format!("rate limited for {secs} s, longer than trm-ci waits")));
                        }
                        Some((d, format!("rate limited (HTTP {})", r.status)))
                    }
                    Class::Transient => Some((self.backoff(attempt), format!("HTTP {}", r.status))),
                    Class::Permanent => None,
                },
                Err(e) => Some((self.backoff(attempt), e.clone())),
            };
            match wait {
                Some((d, why)) if attempt < self.retry.max_retries => {
                    if Instant::now() + d >= deadline {
                        return Err(ApiError::Transport {
                            endpoint,
                            error: format!(
                                "{why}; a retry in {:.1} s would end after the {} s trm-ci post gives GitHub in all",
                                d.as_secs_f64(),
                                self.retry.deadline.as_secs()
                            ),
                        });
                    }
                    attempt += 1;
                    (self.log)(&format!(
                        "{endpoint}: {why}; retry {attempt}/{} in {:.1} s",
                        self.retry.max_retries,
                        d.as_secs_f64()
                    ));
                    tokio::time::sleep(d).await;
                }
                _ => {
                    return Err(match outcome {
                        Ok(r) => {
                            let message = github_message(&r);
                            let forbidden = r.status == 403 || (r.status == 404 && method != Method::GET);
                            if forbidden && classify(&r) == Class::Permanent {
                                ApiError::Forbidden { endpoint, status: r.status, message }
                            } else {
                                ApiError::Status { endpoint, status: r.status, message }
                            }
                        }
                        Err(error) => ApiError::Transport { endpoint, error },
                    });
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.base_delay.saturating_mul(1u32 << attempt.min(10))
    }
}

/// Why an attempt has no answer: retried (a transport error), or final (an answer
/// trm-ci will not read).
enum Failure {
    Retry(String),
    Final(String),
}

fn status_error(endpoint: &str, r: &Reply, extra: String) -> ApiError {
    let m = github_message(r);
    ApiError::Status { endpoint: endpoint.to_string(), status: r.status, message: if m.is_empty() { extra } else { format!("{m} ({extra})") } }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Wait this many seconds, then retry.
    RateLimited(u64),
    Transient,
    Permanent,
}

/// GitHub's rate-limit rules: `retry-after` wins; else `x-ratelimit-remaining: 0`
/// waits until `x-ratelimit-reset`; a 429 or a 403 saying "secondary rate limit"
/// without either waits a minute. 5xx are transient.
fn classify(r: &Reply) -> Class {
    let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if r.status == 403 || r.status == 429 {
        if let Some(secs) = h("retry-after").and_then(|v| v.parse::<u64>().ok()) {
            return Class::RateLimited(secs);
        }
        if h("x-ratelimit-remaining") == Some("0") {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let reset = h("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok()).unwrap_or(now + 60);
            return Class::RateLimited(reset.saturating_sub(now).max(1));
        }
        if r.status == 429 || github_message(r).to_ascii_lowercase().contains("secondary rate limit") {
            return Class::RateLimited(60);
        }
        return Class::Permanent;
    }
    if r.status >= 500 {
        Class::Transient
    } else {
        Class::Permanent
    }
}

/// GitHub's `{"message": …}`, or the start of the body.
fn github_message(r: &Reply) -> String {
    if let Some(m) = r.json().as_ref().and_then(|v| v.get("message")).and_then(Value::as_str) {
        return crate::source::excerpt(m, crate::source::EXCERPT_CHARS);
    }
    let body: String = r.body.chars().filter(|c| !c.is_control()).collect();
    crate::source::excerpt(&body, 200)
}

/// `<https://…?page=2>; rel="next", <…>; rel="last"` → the next URL.
pub fn next_link(header: &str) -> Option<String> {
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let url = url.strip_prefix('<')?.strip_suffix('>')?;
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_ascii_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        if is_next {
            return Some(url.to_string());
        }
    }
    None
}

fn first_line(e: &dyn std::error::Error) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

/// The error and its causes, one line each joined by `: ` (octocrab's own
/// Display adds a backtrace; the causes say what happened: "Connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![first_line(e)];
    let mut src = e.source();
    while let Some(s) = src {
        let line = first_line(s);
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
        src = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&'static str, &str)], body: &str) -> Reply {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Reply { status, headers: h, body: body.into() }
    }

    #[test]
    fn link_header_next() {
        let h = r#"<https://api.github.com/repositories/1/issues/2/comments?page=2>; rel="next", <https://api.github.com/repositories/1/issues/2/comments?page=5>; rel="last""#;
        assert_eq!(next_link(h).as_deref(), Some("https://api.github.com/repositories/1/issues/2/comments?page=2"));
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first""#), None);
    }

    #[test]
    fn rate_limits_and_forbidden() {
        assert_eq!(classify(&reply(403, &[("retry-after", "1")], "{}")), Class::RateLimited(1));
        assert_eq!(classify(&reply(429, &[], "{}")), Class::RateLimited(60));
        assert_eq!(
            classify(&reply(403, &[], r#"{"message":"You have exceeded a secondary rate limit"}"#)),
            Class::RateLimited(60)
        );
        assert_eq!(classify(&reply(403, &[], r#"{"message":"Resource not accessible by integration"}"#)), Class::Permanent);
        assert_eq!(classify(&reply(502, &[], "")), Class::Transient);
        assert_eq!(classify(&reply(422, &[], "")), Class::Permanent);
    }

    #[test]
    fn errors_name_endpoint_and_status() {
        let e = ApiError::Status { endpoint: "POST /repos/a/b/check-runs".into(), status: 422, message: "Validation Failed".into() };
        assert_eq!(e.to_string(), "POST /repos/a/b/check-runs: HTTP 422: Validation Failed");
    }
}
