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

/// Parses a size such as `600MB`, `25MiB`, `1.5G`, `123456` (bytes). Decimal units are powers of
/// 1000 (Docker's own `docker images` uses them), binary units (`KiB`, `MiB`, `GiB`) powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected a number and a unit, e.g. 600MB or 25MiB"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "ti" | "tib" => 1024f64.powi(4),
        u => return Err(format!("invalid size unit {u:?} in {s:?}: use B, kB, MB, GB, KiB, MiB or GiB")),
    };
    Ok((n * mult).round() as u64)
}

/// Formats bytes the way `docker images` does (decimal units).
pub fn fmt_size(bytes: i64) -> String {
    let b = bytes as f64;
    let (v, u) = if b.abs() >= 1e9 {
        (b / 1e9, "GB")
    } else if b.abs() >= 1e6 {
        (b / 1e6, "MB")
    } else if b.abs() >= 1e3 {
        (b / 1e3, "kB")
    } else {
        return format!("{bytes} B");
    };
    format!("{v:.1} {u}")
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
    fn sizes() {
        assert_eq!(parse_size("600MB").unwrap(), 600_000_000);
        assert_eq!(parse_size("25MiB").unwrap(), 25 * 1024 * 1024);
        assert_eq!(parse_size("1.5G").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("123").unwrap(), 123);
        assert_eq!(parse_size(" 10 kb ").unwrap(), 10_000);
        assert!(parse_size("MB").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert_eq!(fmt_size(25_300_000), "25.3 MB");
        assert_eq!(random_hex(8).len(), 16);
    }
}
