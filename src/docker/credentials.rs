//! Registry credentials found as the Docker CLI finds them: `$DOCKER_CONFIG/config.json`
//! (else `~/.docker/config.json`); for a registry, its `credHelpers` entry, else `credsStore`,
//! run as `docker-credential-<name> get` with the registry's address on standard input; else
//! its `auths` entry (`auth` is base64 `user:password`; `identitytoken` too). So a pull works
//! after `docker login` or `docker/login-action` without any option of trm-ci's.
//!
//! A credential is only ever handed to the engine (the X-Registry-Auth header of the pull):
//! never printed, never in an error, never in the results document. Errors name the file, the
//! registry and the helper, nothing of their content.

use super::reference::{normalise_host, Reference};
use bollard::auth::DockerCredentials;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a credential helper may take to answer.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials for pulling `reference`, or None when the Docker configuration has none for its
/// registry. `Err` names what could not be read or run (never a secret).
pub fn for_reference(reference: &Reference) -> Result<Option<DockerCredentials>, String> {
    let Some(path) = config_path() else { return Ok(None) };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading the Docker configuration {}: {e}", path.display())),
    };
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("the Docker configuration {} is not valid JSON: {e}", path.display()))?;
    lookup(&config, reference, &path.display().to_string(), None)
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// The value of `map` whose key names the same registry as `host` (keys are normalised as the
/// CLI normalises them: scheme and path dropped, Docker Hub's aliases folded).
fn entry<'a>(map: Option<&'a serde_json::Value>, host: &str) -> Option<(&'a String, &'a serde_json::Value)> {
    let map = map?.as_object()?;
    map.iter().find(|(k, _)| normalise_host(k) == host)
}

/// `search_path`: the PATH the helper is looked up in (None: this process's).
fn lookup(
    config: &serde_json::Value,
    reference: &Reference,
    file: &str,
    search_path: Option<&str>,
) -> Result<Option<DockerCredentials>, String> {
    let host = &reference.registry;
    let server = reference.auth_key();
    let helper = entry(config.get("credHelpers"), host)
        .and_then(|(_, v)| v.as_str().map(String::from))
        .or_else(|| config.get("credsStore").and_then(|v| v.as_str()).map(String::from))
        .filter(|h| !h.is_empty());
    if let Some(helper) = helper {
        if let Some(c) = from_helper(&helper, &server, host, search_path)? {
            return Ok(Some(c));
        }
    }
    let Some((_, auth)) = entry(config.get("auths"), host) else { return Ok(None) };
    let field = |k: &str| auth.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
    let mut creds = DockerCredentials { serveraddress: Some(server), ..Default::default() };
    if let Some(encoded) = field("auth") {
        let decoded = base64_decode(&encoded)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| format!("{file}: the `auth` of registry {host} is not base64 of user:password"))?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| format!("{file}: the `auth` of registry {host} is not base64 of user:password"))?;
        creds.username = Some(user.to_string());
        creds.password = Some(password.to_string());
    } else {
        creds.username = field("username");
        creds.password = field("password");
    }
    creds.identitytoken = field("identitytoken");
    creds.registrytoken = field("registrytoken");
    let usable = creds.password.is_some() || creds.identitytoken.is_some() || creds.registrytoken.is_some();
    Ok(usable.then_some(creds))
}

/// `docker-credential-<helper> get` with `server` on standard input. None when the helper has
/// nothing for it (it says "credentials not found").
fn from_helper(helper: &str, server: &str, host: &str, search_path: Option<&str>) -> Result<Option<DockerCredentials>, String> {
    let program = format!("docker-credential-{helper}");
    let mut cmd = Command::new(&program);
    if let Some(p) = search_path {
        cmd.env("PATH", p);
    }
    let mut child = cmd
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("the Docker configuration names the credential helper {program} for {host}, and it cannot be run: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() < HELPER_TIMEOUT => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the credential helper {program} did not answer for {host} within {} s", HELPER_TIMEOUT.as_secs()));
            }
            Err(e) => return Err(format!("waiting for the credential helper {program}: {e}")),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    if !status.success() {
        let said = format!("{} {}", out.trim(), err.trim());
        if said.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        // Its words, not its output: a helper could echo what it holds.
        return Err(format!("the credential helper {program} failed for {host} ({status})"));
    }
    let v: serde_json::Value = serde_json::from_str(out.trim())
        .map_err(|_| format!("the credential helper {program} answered for {host} with something that is not its JSON"))?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|s| !s.is_empty()).map(String::from);
    let Some(secret) = field("Secret") else { return Ok(None) };
    let user = field("Username");
    let mut creds = DockerCredentials { serveraddress: Some(server.to_string()), ..Default::default() };
    // The CLI's convention: a helper returns an identity token as the user `<token>`.
    if user.as_deref() == Some("<token>") {
        creds.identitytoken = Some(secret);
    } else {
        creds.username = user;
        creds.password = Some(secret);
    }
    Ok(Some(creds))
}

/// Standard base64 (padding optional); None on anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.trim().trim_end_matches('=').bytes().collect();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode("dTpw").unwrap(), b"u:p");
        assert_eq!(base64_decode("dTpwMQ==").unwrap(), b"u:p1");
        assert_eq!(base64_decode("dTpwMTI=").unwrap(), b"u:p12");
        assert!(base64_decode("***").is_none());
    }

    #[test]
    fn auths_by_normalised_host() {
        let c = cfg(r#"{"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
                                  "http://127.0.0.1:5000/v2/": {"auth": "bG9jYWw6cHc="}}}"#);
        let hub = lookup(&c, &Reference::parse("postgres:16-alpine"), "f", None).unwrap().unwrap();
        assert_eq!((hub.username.as_deref(), hub.password.as_deref()), (Some("hub"), Some("secret")));
        assert_eq!(hub.serveraddress.as_deref(), Some("https://index.docker.io/v1/"));
        let local = lookup(&c, &Reference::parse("127.0.0.1:5000/team/x:1"), "f", None).unwrap().unwrap();
        assert_eq!((local.username.as_deref(), local.password.as_deref()), (Some("local"), Some("pw")));
        assert_eq!(local.serveraddress.as_deref(), Some("127.0.0.1:5000"));
        assert!(lookup(&c, &Reference::parse("ghcr.io/o/i:1"), "f", None).unwrap().is_none());
        // `credsStore` markers without an `auth` are no credentials.
        assert!(lookup(&cfg(r#"{"auths": {"ghcr.io": {}}}"#), &Reference::parse("ghcr.io/o/i:1"), "f", None).unwrap().is_none());
    }

    #[test]
    fn a_bad_auth_names_the_registry_not_the_value() {
        let e = lookup(&cfg(r#"{"auths": {"ghcr.io": {"auth": "bm9jb2xvbg=="}}}"#), &Reference::parse("ghcr.io/o/i:1"), "cfg.json", None).unwrap_err();
        assert!(e.contains("cfg.json") && e.contains("ghcr.io"), "{e}");
        assert!(!e.contains("bm9jb2xvbg") && !e.contains("nocolon"), "{e}");
    }

    #[test]
    fn helpers_are_run_with_the_server_on_stdin() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // A helper that answers only for the registry it knows, as real helpers do.
        let script = dir.path().join("docker-credential-trmtest");
        std::fs::write(
            &script,
            "#!/bin/sh\nread -r server\ncase \"$server\" in\n  127.0.0.1:5999) echo '{\"ServerURL\":\"127.0.0.1:5999\",\"Username\":\"robot\",\"Secret\":\"s3\"}' ;;\n  https://index.docker.io/v1/) echo '{\"ServerURL\":\"x\",\"Username\":\"<token>\",\"Secret\":\"tok\"}' ;;\n  *) echo 'credentials not found in native keychain'; exit 1 ;;\nesac\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
        let path = Some(path.as_str());
        let c = cfg(r#"{"credHelpers": {"127.0.0.1:5999": "trmtest"}, "credsStore": "trmtest",
                        "auths": {"ghcr.io": {"auth": "Z2g6cGF0"}}}"#);
        let local = lookup(&c, &Reference::parse("127.0.0.1:5999/a/b:1"), "f", path).unwrap().unwrap();
        assert_eq!((local.username.as_deref(), local.password.as_deref()), (Some("robot"), Some("s3")));
        let hub = lookup(&c, &Reference::parse("directus/directus:11.17.4"), "f", path).unwrap().unwrap();
        assert_eq!(hub.identitytoken.as_deref(), Some("tok"));
        assert!(hub.password.is_none());
        // The store has nothing for ghcr.io: the file's entry is used.
        let gh = lookup(&c, &Reference::parse("ghcr.io/o/i:1"), "f", path).unwrap().unwrap();
        assert_eq!(gh.password.as_deref(), Some("pat"));
        // A helper that is not installed is an error naming it.
        let e = lookup(&cfg(r#"{"credsStore": "no-such-helper-trm"}"#), &Reference::parse("ghcr.io/o/i:1"), "f", path).unwrap_err();
        assert!(e.contains("docker-credential-no-such-helper-trm") && e.contains("ghcr.io"), "{e}");
    }
}
