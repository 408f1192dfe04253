//! Connecting to the Docker engine, and the small helpers both commands share.

use bollard::Docker;
use std::time::Duration;

/// The one line printed when the engine does not answer.
pub fn unreachable_line(host: &str, err: &str) -> String {
    format!(
        "trm-ci: cannot reach the Docker engine at {host} ({err}); start it with \
         `dockerd > /var/cache/trm-ci/dockerd.log 2>&1 &` (Debian package docker.io) \
         or `sudo systemctl start docker`, or point DOCKER_HOST at a running engine"
    )
}

/// Connects using DOCKER_HOST (default: the local socket) and negotiates the API version down to
/// what the engine speaks (Debian bookworm's Engine 20.10 is API 1.41). Errors are the one line.
pub async fn connect() -> Result<Docker, String> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let docker = Docker::connect_with_defaults()
        .map_err(|e| unreachable_line(&host, &e.to_string()))?
        // Builds and followed log streams run for minutes; the engine answers the
        // first byte quickly, but be generous.
        .with_timeout(Duration::from_secs(3600));
    let docker = tokio::time::timeout(Duration::from_secs(15), docker.negotiate_version())
        .await
        .map_err(|_| unreachable_line(&host, "no answer within 15 s"))?
        .map_err(|e| unreachable_line(&host, &short_err(&e)))?;
    Ok(docker)
}

/// `Docker 20.10.24+dfsg1, API 1.41` for the first line of a report.
pub async fn describe(docker: &Docker) -> String {
    let server = docker.version().await.ok().and_then(|v| v.version).unwrap_or_else(|| "?".into());
    format!("Docker Engine {server}, API {} (negotiated)", docker.client_version())
}

/// A bollard error in one line.
pub fn short_err(e: &bollard::errors::Error) -> String {
    let s = e.to_string();
    let s = s.lines().next().unwrap_or("").to_string();
    if s.len() > 300 {
        format!("{}…", &s[..s.char_indices().nth(300).map(|(i, _)| i).unwrap_or(s.len())])
    } else {
        s
    }
}

/// Whether a bollard error is a 404 from the engine.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}

/// A multi-threaded runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("trm-ci: cannot start the async runtime: {e}"))
}


/// Random hex from the OS (for secrets and names); never printed when used as a secret.
pub fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).is_ok();
    if !ok {
        use std::hash::{BuildHasher, Hasher};
        for chunk in buf.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
            let v = h.finish().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names() {
        assert_eq!(random_hex(8).len(), 16);
    }
}
