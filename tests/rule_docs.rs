//! docs/rules/ is what `trm-ci rules --write-docs` writes from the rule registry: one
//! `<area>/<name>.md` per rule (the `trm-ci explain` text) and README.md, the catalog. The PR
//! comment and SARIF's `helpUri` link to these files, so a stale, missing or extra one fails here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn docs_rules_is_what_the_registry_writes() {
    let t = tempfile::tempdir().unwrap();
    let fresh = t.path().join("rules");
    let out = Command::new(env!("CARGO_BIN_EXE_trm-ci")).arg("rules").arg("--write-docs").arg(&fresh).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = files(&fresh);
    let have = files(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/rules"));

    let mut problems = Vec::new();
    for (name, text) in &want {
        match have.get(name) {
            None => problems.push(format!("docs/rules/{name} is missing")),
            Some(h) if h != text => problems.push(format!("docs/rules/{name} is stale")),
            Some(_) => {}
        }
    }
    for name in have.keys().filter(|n| !want.contains_key(*n)) {
        problems.push(format!("docs/rules/{name} documents no rule of the registry: remove it"));
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with: cargo run --release -- rules --write-docs docs/rules",
        problems.join("\n")
    );

    // One file per rule, each the `explain` text.
    let rules = Command::new(env!("CARGO_BIN_EXE_trm-ci")).arg("rules").output().unwrap();
    let ids: Vec<String> =
        String::from_utf8_lossy(&rules.stdout).lines().filter_map(|l| l.split_whitespace().next()).map(String::from).collect();
    assert!(ids.len() > 40, "{ids:?}");
    assert_eq!(want.len(), ids.len() + 1, "one file per rule and README.md");
    for id in &ids {
        let explain = Command::new(env!("CARGO_BIN_EXE_trm-ci")).args(["explain", id]).output().unwrap();
        let doc = String::from_utf8(want[&format!("{id}.md")].clone()).unwrap();
        let explain = String::from_utf8_lossy(&explain.stdout);
        assert!(doc.ends_with(explain.trim_end_matches('\n')) || doc.trim_end().ends_with(explain.trim_end()), "{id}: not the explain text");
        assert!(doc.lines().nth(1) == Some(format!("# {id}").as_str()), "{id}: {doc}");
        let index = String::from_utf8_lossy(&want["README.md"]).into_owned();
        assert!(index.contains(&format!("[`{id}`]({id}.md)")), "README.md does not link {id}");
    }
}
