//! docs/json-output.md lists every kind of fact a check can store (`checks[].fact.kind`) and
//! every boot failure (`reason`) and seed gap (`why`), with their fields and meaning, generated from the enums in
//! src/results/fact.rs and src/results/fact/*.rs (their doc comments). A new variant without
//! its row fails here; `TRM_BLESS=1 cargo test --test fact_docs` rewrites the section.

use std::path::Path;

const BEGIN: &str = "<!-- facts:begin (generated from src/results/fact*: TRM_BLESS=1 cargo test --test fact_docs) -->";
const END: &str = "<!-- facts:end -->";

struct Variant {
    name: String,
    doc: Vec<String>,
    fields: Vec<(String, String)>,
}

/// serde's `rename_all = "kebab-case"` of a variant name.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The JSON type of a field's Rust type, in the document's words.
fn json_type(t: &str) -> String {
    let t = t.trim();
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        return format!("{} or null", json_type(inner));
    }
    if let Some(inner) = t.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        return format!("array of {}", json_type(inner).replace("string", "strings").replace("integer", "integers"));
    }
    match t {
        "String" => "string".into(),
        "u16" | "u32" | "u64" | "usize" | "i64" | "i32" => "integer".into(),
        "f64" => "number".into(),
        "bool" => "bool".into(),
        "(i64, String)" => "[integer, string]".into(),
        "BootFailure" => "boot failure (below)".into(),
        "SeedSkip" => "seed skip (below)".into(),
        "SeedGap" => "seed gap (below)".into(),
        "FieldGap" => "field gap (below)".into(),
        "Step" => "`db-init`, `schema` or `db-post`".into(),
        other => format!("`{other}`"),
    }
}

/// The variants of the enum tagged by `tag` named `name` in `text`.
fn variants(text: &str, name: &str) -> Vec<Variant> {
    let start = text.find(&format!("pub enum {name} {{")).unwrap_or_else(|| panic!("enum {name} not found"));
    let body = &text[start..];
    let nl = body.find('\n').unwrap();
    let body = &body[nl..nl + body[nl..].find("\n}").unwrap()];
    let mut out = Vec::new();
    let mut doc = Vec::new();
    let mut pending: Option<Variant> = None;
    for line in body.lines() {
        let l = line.trim();
        if let Some(mut v) = pending.take() {
            if l.starts_with('}') {
                out.push(v);
            } else {
                if let Some((f, t)) = l.trim_end_matches(',').split_once(':') {
                    if !l.starts_with("//") {
                        v.fields.push((f.trim().to_string(), t.trim().to_string()));
                    }
                }
                pending = Some(v);
            }
            continue;
        }
        if let Some(d) = l.strip_prefix("///") {
            doc.push(d.trim().to_string());
        } else if l.starts_with("#[") || l.is_empty() || l.starts_with("//") {
        } else {
            let (head, rest) = l.split_once(['{', ',', '(']).map(|(h, _)| (h.trim(), &l[h.len()..])).unwrap_or((l, ""));
            let mut v = Variant { name: head.to_string(), doc: std::mem::take(&mut doc), fields: Vec::new() };
            if rest.starts_with('{') {
                let inner = rest.trim_start_matches('{');
                if let Some(closed) = inner.find('}') {
                    for part in split_fields(&inner[..closed]) {
                        if let Some((f, t)) = part.split_once(':') {
                            v.fields.push((f.trim().to_string(), t.trim().to_string()));
                        }
                    }
                    out.push(v);
                } else {
                    pending = Some(v);
                }
            } else {
                out.push(v);
            }
        }
    }
    out
}

/// `a: X, b: Option<(i64, String)>` split at the top-level commas.
fn split_fields(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in s.chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn table(out: &mut String, key: &str, vs: &[Variant]) {
    out.push_str(&format!("| `{key}` | fields | meaning |\n| --- | --- | --- |\n"));
    for v in vs {
        let fields: Vec<String> = v.fields.iter().map(|(f, t)| format!("`{f}`: {}", json_type(t))).collect();
        let doc = v.doc.join(" ").replace('|', "\\|");
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            kebab(&v.name),
            if fields.is_empty() { "–".to_string() } else { fields.join("; ") },
            doc
        ));
    }
    out.push('\n');
}

fn generated() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/results");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let common = read("fact.rs");
    let mut out = String::new();
    for (title, file, name) in [
        ("Every scenario and drill step", "fact.rs", "CommonFact"),
        ("The boot scenarios (`cold`, `warm`, `stop`, `crash`, `db-init-fault`, `schema-fault`)", "fact/boot.rs", "BootFact"),
        ("`image-facts`", "fact/image.rs", "ImageFact"),
        ("`replicas`, `kill-leader`, `stale-replica`", "fact/replicas.rs", "ReplicaFact"),
        ("The upgrade drill's steps", "fact/drill.rs", "DrillFact"),
    ] {
        let text = if file == "fact.rs" { common.clone() } else { read(file) };
        let vs = variants(&text, name);
        out.push_str(&format!("{title}:\n\n"));
        table(&mut out, "kind", &vs);
    }
    out.push_str("A boot failure (`failure` above) is an object tagged by `reason`:\n\n");
    table(&mut out, "reason", &variants(&common, "BootFailure"));
    let drill = read("fact/drill.rs");
    out.push_str(
        "A seed skip (each of `skipped` above) is `{\"collection\": string, \"field\": string or null, \"reason\": seed gap}`: \
         the collection not seeded (`field` null), or the field of it left empty or given fewer distinct values. \
         A seed gap is an object tagged by `why`:\n\n",
    );
    table(&mut out, "why", &variants(&drill, "SeedGap"));
    out.push_str("A field gap (`cause` above), why the drill cannot write a field, is an object tagged by `why`:\n\n");
    table(&mut out, "why", &variants(&drill, "FieldGap"));
    out
}

#[test]
fn the_document_lists_every_fact_kind() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json-output.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (b, e) = (doc.find(BEGIN).expect("the facts section's begin marker"), doc.find(END).expect("its end marker"));
    let want = format!("{BEGIN}\n\n{}{END}", generated());
    let have = &doc[b..e + END.len()];
    if have != want {
        if std::env::var_os("TRM_BLESS").is_some() {
            std::fs::write(&path, format!("{}{want}{}", &doc[..b], &doc[e + END.len()..])).unwrap();
            return;
        }
        panic!("docs/json-output.md's list of fact kinds is not the code's: run `TRM_BLESS=1 cargo test --test fact_docs`\n\nwant:\n{want}");
    }
}

#[test]
fn kinds_are_serde_s_kebab_case() {
    assert_eq!(kebab("SqlAppliedAll"), "sql-applied-all");
    assert_eq!(kebab("Error"), "error");
    assert_eq!(json_type("Option<(i64, String)>"), "[integer, string] or null");
    assert_eq!(json_type("Vec<String>"), "array of strings");
}
