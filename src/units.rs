//! Sizes in bytes, read from options (`600MB`, `25MiB`) and written the way `docker images` writes
//! them; hashes cut the way the output shows them. A leaf module: the Docker stages and the
//! renderers both use it.

/// The first 12 hex digits of a hash (`sha256:` dropped), as the output shows one.
pub fn short_hash(d: &str) -> &str {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    &hex[..hex.len().min(12)]
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
    }
}
