//! The crate's modules depend on each other without cycles: a module is
//! `src/<name>.rs` or `src/<name>/`, and it depends on every other module it
//! names as `crate::<name>` outside its unit tests. A cycle (config → rules
//! → model → repo → config was one) means no module of it can be
//! understood, tested or moved alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
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

#[test]
fn modules_have_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let module = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests may reach anywhere; the module's own code may not.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(referenced(code).into_iter().filter(|d| *d != module));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
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

#[test]
fn the_reference_scanner_sees_both_forms() {
    let r = referenced("use crate::config::Paths;\nuse crate::{finding, repo::Artifacts};\nlet x = crate::rules::find(id);");
    assert_eq!(r.into_iter().collect::<Vec<_>>(), vec!["config", "finding", "repo", "rules"]);
}
