//! `trm-ci lint --postgres URL`: replays every migration, in the runner's
//! order, on a real server inside ONE transaction that is rolled back, and
//! reports PostgreSQL's own error as `migrations/postgres-error` at the file
//! and line psql names — refined to the line and column of the server's
//! `LINE n:` / caret hint when it gives one.
//!
//! How: the migrations (the bytes trm-ci linted: work tree or index) are
//! written to a temporary directory, and `psql -X -v ON_ERROR_STOP=1` runs a
//! driver script there: `BEGIN;`, `\i '<file>'` for each, `ROLLBACK;`. psql
//! prints `psql:<file>:<line>: ERROR:  …` for the first error and stops; the
//! session ends and the server rolls everything back.
//!
//! The password in the URL is never printed: it is removed from the URL and
//! given to psql as `PGPASSWORD`, and scrubbed from anything psql says.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::config::Config;
use crate::finding::{Finding, Severity, Span};
use crate::model::sql::{Kind, Migration};
use crate::model::Project;
use crate::source::SourceFile;

pub const RULE: &str = "migrations/postgres-error";

/// Replays with `psql` from PATH.
pub fn replay(head: &Project, url: &str, cfg: &Config) -> Result<Vec<Finding>, String> {
    replay_with(head, url, cfg, Path::new("psql"))
}

/// Replays with the given psql program. Err: environment or usage problem
/// (psql missing, server unreachable, authentication failed) — exit 2.
pub fn replay_with(head: &Project, url: &str, cfg: &Config, psql: &Path) -> Result<Vec<Finding>, String> {
    let Some(severity) = cfg.severity(RULE, Severity::Error) else { return Ok(Vec::new()) };
    let (url, password) = split_password(url);

    let files: Vec<(&Migration, &SourceFile)> = head
        .migrations
        .iter()
        .filter(|m| m.is_sql && m.readable)
        .filter_map(|m| head.files.get(&m.path).map(|f| (&**m, f)))
        .collect();
    if files.is_empty() {
        return Ok(Vec::new());
    }
    // psql runs meta-commands on this machine (`\\!`, `\\copy … program`,
    // backquotes run shell commands; `\\o` writes files; `\\set ON_ERROR_STOP
    // off` would make a failing file look clean; `\\c`, `\\gexec` can end the
    // transaction): a file with one the runner refuses is not replayed at all.
    // A COMMIT inside a migration would end the replay's transaction and make
    // the rest permanent on the server: refused too.
    let refused: Vec<Finding> = files
        .iter()
        .filter_map(|(m, _)| m.refused.first().map(|r| (m, r)))
        .map(|(m, r)| Finding {
            rule: RULE.into(),
            severity,
            file: m.path.clone(),
            span: Some(r.span),
            message: format!("--postgres did not replay the migrations: {}", r.message()),
            help: format!("{} (migrations/psql-meta-command); the other files were not replayed either, since they run in order", r.help()),
        })
        .collect();
    if !refused.is_empty() {
        return Ok(refused);
    }
    for (m, _) in &files {
        for s in &m.statements {
            if let Kind::TransactionControl { what } = &s.kind {
                return Err(format!(
                    "--postgres: not replaying: {}:{} has `{what}`, which would end the replay's transaction and leave changes on the server; fix it first (migrations/transaction-control)",
                    m.path, s.span.line
                ));
            }
        }
    }

    let tmp = TempDir::new().map_err(|e| format!("--postgres: cannot create a temporary directory: {e}"))?;
    let mut driver = String::from("\\set ON_ERROR_STOP on\n\\set VERBOSITY default\nSET client_min_messages = warning;\nBEGIN;\n");
    for (i, (m, f)) in files.iter().enumerate() {
        // Keep the file name psql will print; a numbered subdirectory keeps
        // names unique even when two directories' files share one.
        let dir = tmp.path.join(format!("{i:05}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("--postgres: {e}"))?;
        std::fs::write(dir.join(&m.file_name), &f.bytes).map_err(|e| format!("--postgres: {e}"))?;
        driver.push_str(&format!("\\cd '{}'\n\\i '{}'\n", psql_quote(&dir.to_string_lossy()), psql_quote(&m.file_name)));
    }
    driver.push_str("ROLLBACK;\n");
    let driver_path = tmp.path.join("trm-ci-replay.sql");
    std::fs::write(&driver_path, driver).map_err(|e| format!("--postgres: {e}"))?;

    let mut cmd = Command::new(psql);
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&driver_path)
        .arg("-d")
        .arg(&url)
        .current_dir(&tmp.path)
        .env("PGAPPNAME", "trm-ci lint --postgres")
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(p) = &password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "--postgres needs `{}` (the PostgreSQL client) on PATH; install it (Debian: apt-get install postgresql-client)",
                psql.display()
            )
        } else {
            format!("--postgres: cannot run {}: {e}", psql.display())
        }
    })?;
    let stderr = scrub(&String::from_utf8_lossy(&out.stderr), password.as_deref());
    let code = out.status.code();
    if code == Some(0) {
        return Ok(Vec::new());
    }
    let errors = parse_errors(&stderr, &files);
    if errors.is_empty() || code != Some(3) {
        // No error inside a migration: a connection or driver problem.
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("psql failed without a message");
        return Err(format!("--postgres {}: {}", redact_for_display(&url), first.trim()));
    }
    Ok(errors
        .into_iter()
        .map(|e| Finding {
            rule: RULE.into(),
            severity,
            file: e.file,
            span: e.span,
            message: e.message,
            help: e.help,
        })
        .collect())
}

struct ReplayError {
    file: String,
    span: Option<Span>,
    message: String,
    help: String,
}

/// Finds `psql:<file>:<line>: ERROR:  <msg>` and the lines after it
/// (`LINE n: …`, the caret, DETAIL, HINT, CONTEXT).
fn parse_errors(stderr: &str, files: &[(&Migration, &SourceFile)]) -> Vec<ReplayError> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        i += 1;
        let Some(rest) = l.strip_prefix("psql:") else { continue };
        // The longest file name that matches (names may contain ':').
        let Some((m, src)) = files
            .iter()
            .filter(|(m, _)| rest.starts_with(&format!("{}:", m.file_name)))
            .max_by_key(|(m, _)| m.file_name.len())
        else {
            continue;
        };
        let after = &rest[m.file_name.len() + 1..];
        let Some((line_txt, msg)) = after.split_once(": ") else { continue };
        let Ok(psql_line) = line_txt.parse::<u32>() else { continue };
        let Some(msg) = msg.trim_start().strip_prefix("ERROR:") else { continue };
        let msg = msg.trim();
        // The detail lines up to the next `psql:` line.
        let mut detail = Vec::new();
        let mut hint_line: Option<(u32, String, usize)> = None; // (LINE n, shown text, caret index in shown text)
        while i < lines.len() && !lines[i].starts_with("psql:") {
            let d = lines[i];
            if let Some(r) = d.strip_prefix("LINE ") {
                if let Some((n, shown)) = r.split_once(": ") {
                    if let Ok(n) = n.parse::<u32>() {
                        let prefix = d.len() - shown.len();
                        let caret = lines.get(i + 1).and_then(|c| c.find('^')).map(|c| c.saturating_sub(prefix));
                        if let Some(c) = caret {
                            hint_line = Some((n, shown.to_string(), c));
                            i += 1;
                        }
                    }
                }
            } else if !d.trim().is_empty() {
                detail.push(d.trim().to_string());
            }
            i += 1;
        }
        let mut span = locate(src, psql_line, hint_line.as_ref());
        // A run-time error in a DO block: CONTEXT names the line in its body.
        if hint_line.is_none() {
            if let Some(n) = detail.iter().find_map(|d| do_block_line(d)) {
                if let Some(sp) = span.and_then(|sp| do_body_line(src, sp, n)) {
                    span = Some(sp);
                }
            }
        }
        let mut message = format!("PostgreSQL: {msg}");
        if let Some(d) = detail.iter().find(|d| d.starts_with("DETAIL:")) {
            message.push_str(&format!(" ({})", d.trim_start_matches("DETAIL:").trim()));
        }
        let help = match detail.iter().find(|d| d.starts_with("HINT:")) {
            Some(h) => format!("{} — fix the statement until `trm-ci lint --postgres` replays cleanly", h.trim_start_matches("HINT:").trim()),
            None => "fix the statement until `trm-ci lint --postgres` replays cleanly (the replay stops at the first error)".to_string(),
        };
        out.push(ReplayError { file: m.path.clone(), span, message, help });
    }
    out
}

/// The span of the error: psql's line is where the failing statement ended;
/// the server's `LINE n:` counts from the statement's first line, and the
/// caret gives the column (checked against the file's text).
fn locate(src: &SourceFile, psql_line: u32, hint: Option<&(u32, String, usize)>) -> Option<Span> {
    // Every statement (the lint's model keeps only those the rules read).
    let m = &Migration::parse_all(src);
    let stmt = m
        .statements
        .iter()
        .filter(|s| !s.is_meta() && s.span.line <= psql_line && psql_line <= s.span.end_line)
        .last();
    let Some(stmt) = stmt else { return Some(src.line_span(psql_line)) };
    if let Some((n, shown, caret)) = hint {
        let line = stmt.span.line + n.saturating_sub(1);
        if line <= stmt.span.end_line {
            let file_line = src.line_span(line);
            let text = src.text_or_empty().get(file_line.offset..file_line.offset + file_line.len).unwrap_or("");
            // psql shortens long lines with "..." on either side.
            let core = shown.trim_start_matches("...").trim_end_matches("...");
            let lead = shown.len() - shown.trim_start_matches("...").len();
            if let Some(pos) = text.find(core) {
                let caret_in_core = caret.saturating_sub(lead);
                // Column: characters before the caret within the file line.
                let byte = pos + char_to_byte(core, caret_in_core);
                let start = file_line.offset + byte.min(text.len());
                let end = word_end(text, byte.min(text.len())) + file_line.offset;
                return Some(src.span(start, end.max(start)));
            }
            return Some(file_line);
        }
    }
    Some(stmt.span)
}

/// `CONTEXT:  PL/pgSQL function inline_code_block line 3 at RAISE` → 3.
fn do_block_line(d: &str) -> Option<u32> {
    let rest = d.split("inline_code_block line ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Line `n` of the body of the DO block spanning `stmt`: the body starts
/// right after the opening dollar quote (line 1 is the rest of that line).
fn do_body_line(src: &SourceFile, stmt: Span, n: u32) -> Option<Span> {
    let text = src.text_or_empty().get(stmt.offset..stmt.offset + stmt.len)?;
    let b = text.as_bytes();
    let open = (0..b.len()).find(|&i| {
        b[i] == b'$' && {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            j < b.len() && b[j] == b'$'
        }
    })?;
    let (open_line, _) = src.line_col(stmt.offset + open);
    let line = open_line + n.saturating_sub(1);
    (line <= stmt.end_line).then(|| src.line_span(line))
}

fn char_to_byte(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map(|(b, _)| b).unwrap_or(s.len())
}

/// The end of the identifier-ish word at `at` (at least one character).
fn word_end(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == '.' || c == '"' {
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    if end == 0 {
        end = rest.chars().next().map(char::len_utf8).unwrap_or(0);
    }
    at + end
}

/// psql single-quoted argument: `'` doubled... psql uses backslash escapes in
/// quoted meta-command arguments; quote `'` and `\`.
fn psql_quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// Removes the password from a libpq URL (`postgres://u:pw@h/db`,
/// `?password=pw`) or a key/value conninfo (`password=pw`). Returns the URL
/// without it and the password.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let mut password = None;
    let mut url = url.to_string();
    if let Some(scheme_end) = url.find("://") {
        let auth_start = scheme_end + 3;
        let rest = &url[auth_start..];
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..auth_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                password = Some(percent_decode(&userinfo[colon + 1..]));
                let user = userinfo[..colon].to_string();
                url = format!("{}{}{}", &url[..auth_start], user, &url[auth_start + at..]);
            }
        }
        // ?password=…&…
        if let Some(q) = url.find('?') {
            let (base, query) = url.split_at(q);
            let mut kept = Vec::new();
            for kv in query[1..].split('&') {
                match kv.strip_prefix("password=") {
                    Some(p) => password = Some(percent_decode(p)),
                    None => kept.push(kv),
                }
            }
            url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        }
        return (url, password);
    }
    // key=value conninfo.
    let mut kept = Vec::new();
    let mut rest = url.trim();
    while !rest.is_empty() {
        let (pair, tail) = conninfo_pair(rest);
        if let Some(v) = pair.strip_prefix("password").map(str::trim_start).and_then(|v| v.strip_prefix('=')) {
            let v = v.trim();
            let v = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(v);
            password = Some(v.replace("\\'", "'").replace("\\\\", "\\"));
        } else {
            kept.push(pair.to_string());
        }
        rest = tail.trim_start();
    }
    (kept.join(" "), password)
}

/// One `key = value` pair of a conninfo string (value possibly quoted), and the rest.
fn conninfo_pair(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let mut i = 0;
    // key
    while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i < b.len() && b[i] == b'=' {
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'\'' {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
        }
    }
    (&s[..i], &s[i..])
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL for messages: already without its password.
fn redact_for_display(url: &str) -> String {
    url.to_string()
}

/// Removes every occurrence of the password from psql's output.
fn scrub(text: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if !p.is_empty() => text.replace(p, "********"),
        _ => text.to_string(),
    }
}

/// A temporary directory removed on drop (no extra crate on the lint path).
struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let base = std::env::temp_dir();
        for n in 0..1000u32 {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
            let path = base.join(format!("trm-ci-replay-{}-{nanos}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free temporary directory name"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_split_off() {
        assert_eq!(
            split_password("postgresql://app:s%40cret@db:5432/app?sslmode=disable"),
            ("postgresql://app@db:5432/app?sslmode=disable".into(), Some("s@cret".into()))
        );
        assert_eq!(
            split_password("postgres://app@db/app?password=pw&sslmode=require"),
            ("postgres://app@db/app?sslmode=require".into(), Some("pw".into()))
        );
        assert_eq!(split_password("postgres://db/app"), ("postgres://db/app".into(), None));
        assert_eq!(
            split_password("host=db user=app password='p w\\'x' dbname=app"),
            ("host=db user=app dbname=app".into(), Some("p w'x".into()))
        );
        assert_eq!(split_password("host=db password=pw"), ("host=db".into(), Some("pw".into())));
    }

    #[test]
    fn scrub_removes_the_password() {
        assert_eq!(scrub("FATAL: pw is wrong: pw", Some("pw")), "FATAL: ******** is wrong: ********");
    }
}
