//! The values the planner writes: one per field type and constraint, as Directus 11.17.4
//! models them (see src/upgrade/seed/mod.rs), deterministic per row and distinct where the
//! field is unique.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::plan::Fld;
use super::FieldGap;

/// Directus's alias types (no column): the relational ones of `@directus/constants`.
pub(super) fn is_alias_type(ty: &str) -> bool {
    matches!(ty, "alias" | "o2m" | "m2m" | "m2a" | "o2a" | "files" | "translations")
}

/// Whether the drill can write field `f` through the REST API, or why not.
pub(super) fn writable(f: &Fld) -> Result<(), FieldGap> {
    match f.ty.as_str() {
        "string" | "text" | "hash" | "integer" | "bigInteger" | "float" | "decimal" | "boolean" | "date" | "time" | "dateTime"
        | "timestamp" | "uuid" | "json" | "csv" => Ok(()),
        t if t == "geometry" || t.starts_with("geometry.") => Ok(()),
        "binary" => Err(FieldGap::Binary),
        "unknown" => Err(FieldGap::UnmodelledColumn { data_type: f.schema["data_type"].as_str().unwrap_or("unknown").to_string() }),
        t => Err(FieldGap::UnknownType { field_type: t.to_string() }),
    }
}

/// How many distinct values a unique field can take.
pub(super) fn capacity(f: &Fld) -> usize {
    let choices = f.choices();
    if !choices.is_empty() {
        return choices.len();
    }
    match f.ty.as_str() {
        "boolean" => 2,
        "string" | "hash" | "text" => match f.max_length() {
            // base-36 counters of up to `n` characters
            Some(n) if n < 4 => (1..=n).map(|k| 36usize.pow(k as u32)).sum(),
            _ => usize::MAX,
        },
        "decimal" => {
            let p = f.schema["numeric_precision"].as_u64().unwrap_or(10).min(18) as u32;
            10usize.pow(p) - 1
        }
        "integer" => match f.schema["numeric_precision"].as_u64() {
            Some(16) => i16::MAX as usize,
            _ => i32::MAX as usize,
        },
        _ => usize::MAX,
    }
}

/// The value of field `f` in row `r` of `collection`.
pub(super) fn value(collection: &str, f: &Fld, r: usize) -> Value {
    let n = r + 1;
    let choices = f.choices();
    if !choices.is_empty() {
        let c = choices[r % choices.len()].clone();
        return if matches!(f.ty.as_str(), "json" | "csv") { json!([c]) } else { c };
    }
    match f.ty.as_str() {
        "string" | "hash" => json!(text(&slug(&f.name), r, f.max_length())),
        "text" => {
            if f.unique() || f.max_length().is_some() {
                json!(text(&slug(&f.name), r, f.max_length()))
            } else {
                json!(format!("{} {n}: grüße, naïve café ✓", f.name))
            }
        }
        "integer" => {
            if f.unique() {
                json!(n)
            } else {
                json!((r * 7) % 1000 + 1)
            }
        }
        "bigInteger" => json!(10_000_000_000u64 + r as u64),
        "float" => json!(n as f64 + 0.25),
        "decimal" => json!(decimal(f, r)),
        "boolean" => json!(r % 2 == 0),
        "date" => json!(date(r as i64)),
        "time" => {
            let s = (8 * 3600 + r * 61) % 86_400;
            json!(format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60))
        }
        "dateTime" => json!(date_time(r as i64, false)),
        "timestamp" => json!(date_time(r as i64, true)),
        "uuid" => json!(uuid(collection, &f.name, r)),
        "json" => json!({"seed": n, "label": format!("{}-{n}", slug(&f.name))}),
        "csv" => json!([format!("{}-{n}", slug(&f.name)), "seed"]),
        t if t == "geometry" || t.starts_with("geometry.") => geometry(t.strip_prefix("geometry.").unwrap_or("Point"), r),
        _ => Value::Null,
    }
}

/// A field name as a slug (`seo_title` -> `seo-title`): lower-case letters, digits, hyphens.
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "value".into()
    } else {
        s
    }
}

/// `base-n` (row n = r + 1), or when it does not fit `max`, a shorter prefix, or a bare
/// base-36 counter; distinct for distinct rows either way.
fn text(base: &str, r: usize, max: Option<usize>) -> String {
    let full = format!("{base}-{}", r + 1);
    let Some(max) = max else { return full };
    if full.len() <= max {
        return full;
    }
    let counter = base36(r, max);
    if counter.len() + 2 > max {
        return counter;
    }
    // A strict prefix of `base`: then no shortened value equals a full one (`base-k`).
    let keep = (max - counter.len() - 1).min(base.len().saturating_sub(1));
    let prefix = base[..keep].trim_end_matches('-');
    if prefix.is_empty() {
        counter
    } else {
        format!("{prefix}-{counter}")
    }
}

/// Row `r` as a base-36 counter (`0`-`9`, `a`-`z`) where shorter strings come first: with
/// at most `max` characters there are 36 + 36² + ... distinct ones.
fn base36(mut r: usize, max: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut len = 1;
    let mut block = 36usize;
    while r >= block && len < max.max(1) {
        r -= block;
        len += 1;
        block = block.saturating_mul(36);
    }
    let mut out = vec![b'0'; len];
    for i in (0..len).rev() {
        out[i] = DIGITS[r % 36];
        r /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A decimal within `numeric_precision` digits, `numeric_scale` of them after the point
/// (Directus's default decimal is (10, 5)); distinct per row.
fn decimal(f: &Fld, r: usize) -> String {
    let p = f.schema["numeric_precision"].as_u64().unwrap_or(10).clamp(1, 18) as u32;
    let s = f.schema["numeric_scale"].as_u64().unwrap_or(5).min(p as u64) as u32;
    let whole_digits = p - s;
    let n = r as u64 + 1;
    // (r + 1) as the whole part with a fraction when it fits, else in units of the last digit
    let units: u64 = if whole_digits > 0 && n < 10u64.pow(whole_digits) {
        n * 10u64.pow(s) + (r as u64 * 37) % 10u64.pow(s)
    } else {
        n % 10u64.pow(p)
    };
    if s == 0 {
        return units.to_string();
    }
    let scale = 10u64.pow(s);
    format!("{}.{:0width$}", units / scale, units % scale, width = s as usize)
}

/// 2024-01-01 plus `days`, as `YYYY-MM-DD`.
fn date(days: i64) -> String {
    // days since 1970-01-01 to a civil date (Howard Hinnant's algorithm)
    let z = 19_723 + days + 719_468; // 2024-01-01 is day 19723
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

fn date_time(r: i64, utc: bool) -> String {
    let secs = 8 * 3600 + r * 3_661;
    let (days, s) = (secs / 86_400, secs % 86_400);
    let t = format!("{}T{:02}:{:02}:{:02}", date(days), s / 3600, s / 60 % 60, s % 60);
    if utc {
        format!("{t}.000Z")
    } else {
        t
    }
}

/// A deterministic version-4-shaped UUID for (collection, field, row).
fn uuid(collection: &str, field: &str, r: usize) -> String {
    let h = Sha256::digest(format!("trm-ci seed {collection}.{field} {r}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

/// GeoJSON of `kind` (Directus's geometry subtypes) near (13.4, 52.5), moved per row.
fn geometry(kind: &str, r: usize) -> Value {
    let x = 13.4 + (r % 100) as f64 * 0.001;
    let y = 52.5 + (r % 100) as f64 * 0.001;
    let line = json!([[x, y], [x + 0.01, y + 0.01]]);
    let ring = json!([[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y]]]);
    match kind {
        "LineString" => json!({"type": "LineString", "coordinates": line}),
        "Polygon" => json!({"type": "Polygon", "coordinates": ring}),
        "MultiPoint" => json!({"type": "MultiPoint", "coordinates": [[x, y], [x + 0.01, y]]}),
        "MultiLineString" => json!({"type": "MultiLineString", "coordinates": [line]}),
        "MultiPolygon" => json!({"type": "MultiPolygon", "coordinates": [ring]}),
        _ => json!({"type": "Point", "coordinates": [x, y]}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn strings_fit_their_length_and_stay_distinct() {
        for max in 1..8 {
            let n = if max == 1 { 36 } else { 500 };
            let all: BTreeSet<String> = (0..n).map(|r| text("permalink", r, Some(max))).collect();
            assert_eq!(all.len(), n, "max {max}");
            assert!(all.iter().all(|s| s.len() <= max), "max {max}: {all:?}");
        }
        // full values (`ab-11`) and shortened ones never meet
        let mixed: BTreeSet<String> = (0..2000).map(|r| text("ab", r, Some(5))).collect();
        assert_eq!(mixed.len(), 2000);
        assert!(mixed.contains("ab-11") && mixed.iter().all(|s| s.len() <= 5));
        assert_eq!(text("slug", 6, Some(128)), "slug-7");
        assert_eq!(text("seo-title", 0, Some(6)), "seo-0");
        assert_eq!(slug("seo_title"), "seo-title");
        assert_eq!(slug("__"), "value");
        assert_eq!(base36(35, 2), "z");
        assert_eq!(base36(36, 2), "00");
        assert_eq!(base36(36 + 36 * 36 - 1, 2), "zz");
    }
}
