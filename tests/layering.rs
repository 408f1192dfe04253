//! The crate's modules depend on each other without cycles, and in the
//! direction the README's Layout section states. A module is
//! `src/<name>.rs` or `src/<name>/`, and it depends on every other module it
//! names as `crate::<name>` anywhere in its files except its unit tests (a
//! `#[cfg(test)] mod … { … }` block, or the file a `#[cfg(test)] mod …;`
//! declares). A cycle (config → rules → model → repo → config was one) means
//! no module of it can be understood, tested or moved alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::name` (and `crate::{a, b}`) in `code`.
fn referenced(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            for part in group.split('}').next().unwrap_or("").split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The end (exclusive) of the literal, comment or lifetime that starts at
/// `i`, or None when `b[i]` starts none of them.
fn skip_token(b: &[u8], i: usize) -> Option<usize> {
    let n = b.len();
    match b[i] {
        b'/' if b.get(i + 1) == Some(&b'/') => Some(b[i..].iter().position(|&c| c == b'\n').map_or(n, |k| i + k)),
        b'/' if b.get(i + 1) == Some(&b'*') => {
            let (mut j, mut depth) = (i + 2, 1);
            while j < n && depth > 0 {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            Some(j)
        }
        b'r' | b'b' if !(i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) => {
            // r"…", r#"…"#, br"…", b"…"
            let mut j = i + 1;
            if b[i] == b'b' && b.get(j) == Some(&b'r') {
                j += 1;
            } else if b[i] == b'b' {
                return (b.get(j) == Some(&b'"')).then(|| skip_token(b, j)).flatten();
            }
            let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
            if b.get(j + hashes) != Some(&b'"') {
                return None;
            }
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let body = j + hashes + 1;
            Some(b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(n, |k| body + k + close.len()))
        }
        b'"' => {
            let mut j = i + 1;
            while j < n && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            Some((j + 1).min(n))
        }
        // A char literal ('{', '\'', '\u{7b}'), not a lifetime ('a).
        b'\'' => {
            if b.get(i + 1) == Some(&b'\\') {
                Some(b[(i + 3).min(n)..].iter().position(|&c| c == b'\'').map_or(n, |k| i + 3 + k + 1))
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 3)
            } else {
                let len = std::str::from_utf8(&b[i + 1..]).ok().and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
                (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
            }
        }
        _ => None,
    }
}

/// `text` without its unit-test modules: each `#[cfg(test)]` followed by
/// `mod name { … }` loses the braces and what is between them (strings,
/// chars and comments in it are skipped, so a `}` inside them does not end
/// it); the code after the block is kept. Also the names of the test
/// modules declared as files (`#[cfg(test)] mod tests;`).
fn without_tests(text: &str) -> (String, Vec<String>) {
    let b = text.as_bytes();
    let mut code = String::with_capacity(text.len());
    let mut test_files = Vec::new();
    let mut kept = 0;
    let mut i = 0;
    while let Some(k) = text[i..].find("#[cfg(test)]") {
        let at = i + k;
        let rest = text[at + "#[cfg(test)]".len()..].trim_start();
        let rest = rest.strip_prefix("pub(crate) ").or_else(|| rest.strip_prefix("pub ")).unwrap_or(rest);
        let Some(after_mod) = rest.strip_prefix("mod ") else {
            i = at + 1;
            continue;
        };
        let name: String = after_mod.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let after_name = after_mod[name.len()..].trim_start();
        if after_name.starts_with(';') {
            test_files.push(name);
            i = at + 1;
            continue;
        }
        if !after_name.starts_with('{') {
            i = at + 1;
            continue;
        }
        let open = text.len() - after_name.len();
        let (mut j, mut depth) = (open, 0usize);
        while j < b.len() {
            if let Some(end) = skip_token(b, j) {
                j = end;
                continue;
            }
            match b[j] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        code.push_str(&text[kept..at]);
        kept = j;
        i = j;
    }
    code.push_str(&text[kept..]);
    (code, test_files)
}

/// Each module's dependencies on the crate's other modules (outside unit tests).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    // Files that a `#[cfg(test)] mod name;` makes a test module.
    let mut test_files = BTreeSet::new();
    for f in &files {
        let (_, names) = without_tests(&std::fs::read_to_string(f).unwrap());
        let dir = match f.file_name().unwrap().to_str().unwrap() {
            "mod.rs" | "lib.rs" | "main.rs" => f.parent().unwrap().to_path_buf(),
            _ => f.with_extension(""),
        };
        for n in names {
            test_files.insert(dir.join(format!("{n}.rs")));
            test_files.insert(dir.join(n).join("mod.rs"));
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let module = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" || test_files.contains(f) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests may reach anywhere; the module's own code may not.
        let (code, _) = without_tests(&text);
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(referenced(&code).into_iter().filter(|d| *d != module));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

#[test]
fn modules_have_no_import_cycles() {
    let graph = graph();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(m: &str, graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for d in &graph[m] {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {} (graph: {graph:?})", cycle.join(" -> "));
        }
    }
}

/// The models and the rules are the lint's pure core: they know neither
/// Docker, GitHub, the renderers, the commands, the upgrade drill, the
/// Directus client, nor git (`repo`: the engine reads the files and hands
/// the models their bytes).
#[test]
fn models_and_rules_depend_on_no_outer_layer() {
    let graph = graph();
    let outer = ["docker", "github", "render", "commands", "upgrade", "directus", "repo"];
    let mut wrong = Vec::new();
    for inner in ["model", "rules"] {
        for d in graph.get(inner).into_iter().flatten() {
            if outer.contains(&d.as_str()) {
                wrong.push(format!("{inner} -> {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "the lint core depends on an outer layer: {wrong:?}");
}

#[test]
fn the_reference_scanner_sees_both_forms() {
    let r = referenced("use crate::config::Paths;\nuse crate::{finding, repo::Artifacts};\nlet x = crate::rules::find(id);");
    assert_eq!(r.into_iter().collect::<Vec<_>>(), vec!["config", "finding", "repo", "rules"]);
}

#[test]
fn the_scanner_reads_the_code_after_a_test_module_and_skips_only_its_braces() {
    let text = "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n    const S: &str = \"}\";\n    const R: &str = r#\"}\"#;\n    const C: char = '}';\n    const Q: char = '\\'';\n    fn f<'a>(x: &'a str) -> &'a str { x } // }\n    /* } */\n    mod inner { use crate::c; }\n}\nuse crate::d;\n#[cfg(test)]\nmod more;\n#[cfg(test)]\nfn helper() { crate::e::f(); }\n";
    let (code, files) = without_tests(text);
    assert_eq!(referenced(&code).into_iter().collect::<Vec<_>>(), vec!["a", "d", "e"]);
    assert_eq!(files, vec!["more".to_string()]);
}

/// The module (`src/<name>.rs` or `src/<name>/`) a source file belongs to, and its text.
fn modules() -> Vec<(String, std::path::PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().to_path_buf();
            let module = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&f).unwrap();
            (module, rel, text)
        })
        .collect()
}

/// The stages (src/docker/, src/upgrade/) hand data and callbacks back: they never reach the
/// renderers or the command layer (README, Layout). Whole files, tests included.
#[test]
fn the_stages_import_neither_render_nor_commands() {
    let mut wrong = Vec::new();
    for (module, rel, text) in modules() {
        if module != "docker" && module != "upgrade" {
            continue;
        }
        for dep in referenced(&text) {
            if dep == "render" || dep == "commands" {
                wrong.push(format!("src/{}: crate::{dep}", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "a stage imports the renderers or the command layer:\n{}", wrong.join("\n"));
}

/// What writes to standard output or standard error, or ends the process.
const PRINTS: [&str; 8] = ["println!", "print!(", "eprintln!", "eprint!(", "process::exit", "io::stdout", "io::stderr", "dbg!"];

/// Only the command layer (src/commands/) prints and picks exit codes. The two exceptions: the
/// progress sink (src/progress.rs, which the stages write their progress to) and the binary's
/// entry (src/main.rs: clap's own usage message). Whole files, tests included.
#[test]
fn only_the_command_layer_prints_or_exits() {
    let mut wrong = Vec::new();
    for (module, rel, text) in modules() {
        if module == "commands" || module == "progress" || module == "main" {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(p) = PRINTS.iter().find(|p| code.contains(**p)) {
                wrong.push(format!("src/{}:{}: {p}", rel.display(), n + 1));
            }
        }
    }
    assert!(wrong.is_empty(), "printing or exiting outside src/commands/:\n{}", wrong.join("\n"));
}
