//! A local HTTP server that speaks the part of GitHub's REST API `trm-ci post`
//! uses, with the real paths, JSON shapes, pagination (`Link` headers, the
//! `/repositories/{id}/…` form GitHub puts in them) and error answers:
//!
//! - `GET  /repos/{o}/{r}/issues/{n}/comments?per_page&page` (30 per page by default, 100 at most)
//! - `POST /repos/{o}/{r}/issues/{n}/comments` → 201
//! - `PATCH /repos/{o}/{r}/issues/comments/{id}` → 200
//! - `POST /repos/{o}/{r}/check-runs` → 201, `PATCH /repos/{o}/{r}/check-runs/{id}` → 200
//!   (more than 50 annotations in one request → 422, as GitHub answers)
//!
//! Writes need `Authorization: Bearer <token>` (401 otherwise); `read_only`
//! answers writes 403 "Resource not accessible by integration" (a fork's
//! token); `inject` answers the next matching requests with a given status
//! and headers (a 502, a secondary rate limit); `misbehave` answers every
//! request with a hostile body (one byte at a time, slowly; or no end).
//!
//! std::net and one thread per connection; every answer closes its connection.
//! Also used by the act test (`.ci/act/`), through `tests/github.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::{json, Value};

pub const REPO_ID: u64 = 424242;

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub login: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub conclusion: Option<String>,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub body: String,
    pub authorization: Option<String>,
    pub status: u16,
}

#[derive(Debug, Clone)]
pub struct Injection {
    pub method: String,
    /// Matches when the request's path starts with this.
    pub path_prefix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub times: usize,
}

/// A hostile way to answer every request.
#[derive(Debug, Clone, Copy)]
pub enum Misbehave {
    /// Headers at once (a 1 MB `content-length`), then one byte of body per period.
    Trickle(std::time::Duration),
    /// A 200 whose body never ends (no length, 64 KiB writes until the client leaves).
    Endless,
}

#[derive(Debug, Default)]
pub struct State {
    pub owner_repo: String,
    pub token: String,
    pub comments: Vec<Comment>,
    pub check_runs: Vec<CheckRun>,
    pub requests: Vec<Logged>,
    pub inject: Vec<Injection>,
    pub read_only: bool,
    pub misbehave: Option<Misbehave>,
    next_id: u64,
}

impl State {
    pub fn add_comment(&mut self, login: &str, body: &str) -> u64 {
        self.next_id += 1;
        let id = 1_000_000 + self.next_id;
        self.comments.push(Comment { id, login: login.into(), body: body.into() });
        id
    }
    /// Requests with this method whose path (without the query) starts with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.requests.iter().filter(|r| r.method == method && r.target.split('?').next().unwrap_or("").starts_with(prefix)).count()
    }
}

pub struct FakeGitHub {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl FakeGitHub {
    pub fn start(owner_repo: &str, token: &str) -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State { owner_repo: owner_repo.into(), token: token.into(), ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp, base) = (state.clone(), stop.clone(), url.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, base) = (st.clone(), base.clone());
                thread::spawn(move || {
                    let _ = serve(conn, &st, &base);
                });
            }
        });
        FakeGitHub { url, state, stop, port }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer { status, headers: Vec::new(), body: body.to_string() }
}

fn message(status: u16, m: &str) -> Answer {
    answer(status, json!({ "message": m, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }))
}

fn serve(conn: TcpStream, state: &Mutex<State>, base: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut length = 0usize;
    let mut authorization = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            } else if k == "authorization" {
                authorization = Some(v);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).to_string();

    let misbehave = state.lock().unwrap().misbehave;
    if let Some(m) = misbehave {
        state.lock().unwrap().requests.push(Logged { method, target, body, authorization, status: 200 });
        return hostile_answer(conn, m);
    }
    let a = {
        let mut st = state.lock().unwrap();
        let a = route(&mut st, &method, &target, &body, authorization.as_deref(), base);
        st.requests.push(Logged { method: method.clone(), target: target.clone(), body, authorization, status: a.status });
        a
    };
    let mut conn = conn;
    let mut head = format!("HTTP/1.1 {} {}\r\n", a.status, reason(a.status));
    head.push_str(&format!("content-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\nx-github-api-version-selected: 2022-11-28\r\n", a.body.len()));
    for (k, v) in &a.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())?;
    conn.write_all(a.body.as_bytes())?;
    conn.flush()
}

/// Writes until the client goes away (a write fails), or for at most ten minutes.
fn hostile_answer(mut conn: TcpStream, m: Misbehave) -> std::io::Result<()> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(600);
    match m {
        Misbehave::Trickle(every) => {
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\nconnection: close\r\n\r\n")?;
            while std::time::Instant::now() < until {
                conn.write_all(b" ")?;
                conn.flush()?;
                thread::sleep(every);
            }
        }
        Misbehave::Endless => {
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[")?;
            let chunk = vec![b' '; 64 * 1024];
            while std::time::Instant::now() < until {
                conn.write_all(&chunk)?;
            }
        }
    }
    Ok(())
}

fn reason(s: u16) -> &'static str {
    match s {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        _ => "Status",
    }
}

fn query(target: &str, key: &str) -> Option<usize> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

fn route(st: &mut State, method: &str, target: &str, body: &str, auth: Option<&str>, base: &str) -> Answer {
    let path = target.split('?').next().unwrap_or("");
    if let Some(i) = st.inject.iter().position(|j| j.method == method && path.starts_with(&j.path_prefix) && j.times > 0) {
        let j = &mut st.inject[i];
        j.times -= 1;
        return Answer { status: j.status, headers: j.headers.clone(), body: j.body.clone() };
    }
    if auth != Some(format!("Bearer {}", st.token).as_str()) {
        return message(401, "Bad credentials");
    }
    let repo_prefix = format!("/repos/{}/", st.owner_repo);
    let id_prefix = format!("/repositories/{REPO_ID}/");
    let rest = match path.strip_prefix(&repo_prefix).or_else(|| path.strip_prefix(&id_prefix)) {
        Some(r) => r,
        None => return message(404, "Not Found"),
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let write = method != "GET";
    if write && st.read_only {
        return message(403, "Resource not accessible by integration");
    }
    let req: Value = if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap_or(Value::Null) };
    match (method, segs.as_slice()) {
        ("GET", ["issues", n, "comments"]) => {
            let per_page = query(target, "per_page").unwrap_or(30).clamp(1, 100);
            let page = query(target, "page").unwrap_or(1).max(1);
            let total = st.comments.len();
            let last = total.div_ceil(per_page).max(1);
            let items: Vec<Value> = st.comments.iter().skip((page - 1) * per_page).take(per_page).map(|c| comment_json(c, &st.owner_repo, n)).collect();
            let mut a = answer(200, Value::Array(items));
            let link = |p: usize, rel: &str| format!("<{base}/repositories/{REPO_ID}/issues/{n}/comments?per_page={per_page}&page={p}>; rel=\"{rel}\"");
            let mut links = Vec::new();
            if page > 1 {
                links.push(link(page - 1, "prev"));
            }
            if page < last {
                links.push(link(page + 1, "next"));
                links.push(link(last, "last"));
            }
            if page > 1 {
                links.push(link(1, "first"));
            }
            if !links.is_empty() {
                a.headers.push(("link".into(), links.join(", ")));
            }
            a
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(text) = req.get("body").and_then(Value::as_str) else { return message(422, "Invalid request.\n\n\"body\" wasn't supplied.") };
            if text.chars().count() > 65_536 {
                return message(422, "Validation Failed: body is too long (maximum is 65536 characters)");
            }
            let login = "github-actions[bot]".to_string();
            let id = st.add_comment(&login, text);
            let c = st.comments.iter().find(|c| c.id == id).unwrap().clone();
            answer(201, comment_json(&c, &st.owner_repo, n))
        }
        ("PATCH", ["issues", "comments", id]) => {
            let Some(text) = req.get("body").and_then(Value::as_str) else { return message(422, "Invalid request.") };
            if text.chars().count() > 65_536 {
                return message(422, "Validation Failed: body is too long (maximum is 65536 characters)");
            }
            let owner = st.owner_repo.clone();
            match st.comments.iter_mut().find(|c| c.id.to_string() == *id) {
                Some(c) if c.login == "github-actions[bot]" => {
                    c.body = text.to_string();
                    let c = c.clone();
                    answer(200, comment_json(&c, &owner, "1"))
                }
                // The Actions token may not edit another user's comment.
                Some(_) => message(403, "Resource not accessible by integration"),
                None => message(404, "Not Found"),
            }
        }
        ("POST", ["check-runs"]) => {
            let anns = req.pointer("/output/annotations").and_then(Value::as_array).cloned().unwrap_or_default();
            if anns.len() > 50 {
                return message(422, "Validation Failed: only 50 annotations are allowed per request");
            }
            let (Some(name), Some(sha)) = (req.get("name").and_then(Value::as_str), req.get("head_sha").and_then(Value::as_str)) else {
                return message(422, "Invalid request.\n\n\"name\", \"head_sha\" weren't supplied.");
            };
            if let Some(s) = req.pointer("/output/summary").and_then(Value::as_str) {
                if s.chars().count() > 65_535 {
                    return message(422, "Validation Failed: summary is too long");
                }
            }
            st.next_id += 1;
            let id = 5_000_000 + st.next_id;
            let run = CheckRun {
                id,
                name: name.into(),
                head_sha: sha.into(),
                conclusion: req.get("conclusion").and_then(Value::as_str).map(str::to_string),
                title: req.pointer("/output/title").and_then(Value::as_str).unwrap_or("").into(),
                summary: req.pointer("/output/summary").and_then(Value::as_str).unwrap_or("").into(),
                annotations: anns,
            };
            let a = check_json(&run, &st.owner_repo);
            st.check_runs.push(run);
            answer(201, a)
        }
        ("PATCH", ["check-runs", id]) => {
            let anns = req.pointer("/output/annotations").and_then(Value::as_array).cloned().unwrap_or_default();
            if anns.len() > 50 {
                return message(422, "Validation Failed: only 50 annotations are allowed per request");
            }
            if req.get("output").is_some() && (req.pointer("/output/title").is_none() || req.pointer("/output/summary").is_none()) {
                return message(422, "Invalid request.\n\n\"title\", \"summary\" weren't supplied.");
            }
            let owner = st.owner_repo.clone();
            match st.check_runs.iter_mut().find(|c| c.id.to_string() == *id) {
                Some(c) => {
                    c.annotations.extend(anns);
                    let c = c.clone();
                    answer(200, check_json(&c, &owner))
                }
                None => message(404, "Not Found"),
            }
        }
        _ => message(404, "Not Found"),
    }
}

fn comment_json(c: &Comment, repo: &str, n: &str) -> Value {
    let bot = c.login.ends_with("[bot]");
    json!({
        "id": c.id,
        "node_id": format!("IC_kwDO{}", c.id),
        "url": format!("https://api.github.com/repos/{repo}/issues/comments/{}", c.id),
        "html_url": format!("https://github.com/{repo}/pull/{n}#issuecomment-{}", c.id),
        "issue_url": format!("https://api.github.com/repos/{repo}/issues/{n}"),
        "body": c.body,
        "user": {
            "login": c.login,
            "id": if bot { 41898282 } else { 583231 },
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "type": if bot { "Bot" } else { "User" },
            "site_admin": false,
        },
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:00:00Z",
        "author_association": if bot { "NONE" } else { "MEMBER" },
    })
}

fn check_json(c: &CheckRun, repo: &str) -> Value {
    json!({
        "id": c.id,
        "head_sha": c.head_sha,
        "node_id": format!("CR_kwDO{}", c.id),
        "external_id": "",
        "url": format!("https://api.github.com/repos/{repo}/check-runs/{}", c.id),
        "html_url": format!("https://github.com/{repo}/runs/{}", c.id),
        "status": "completed",
        "conclusion": c.conclusion,
        "name": c.name,
        "output": { "title": c.title, "summary": c.summary, "text": null, "annotations_count": c.annotations.len(),
                    "annotations_url": format!("https://api.github.com/repos/{repo}/check-runs/{}/annotations", c.id) },
    })
}
