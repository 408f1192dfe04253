//! README.md is user documentation: its rules table must list exactly the
//! registry's rules, in catalog order, each with its default severity. A new
//! rule (or a changed default) fails here until the table says so.

use std::path::Path;

/// The `| `id` | default | … |` rows of the table under `### Rules`.
fn readme_rules(readme: &str) -> Vec<(String, String)> {
    let section = readme.split("\n### Rules\n").nth(1).expect("README has a `### Rules` section");
    let section = section.split("\n#").next().unwrap_or(section);
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(id) = cells.first().and_then(|c| c.strip_prefix('`')).and_then(|c| c.strip_suffix('`')) else { continue };
        rows.push((id.to_string(), cells.get(1).copied().unwrap_or("").to_string()));
    }
    rows
}

#[test]
fn the_readme_rules_table_is_the_registry() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = readme_rules(&readme);
    let registry: Vec<(String, String)> =
        trm_ci::rules::all().iter().map(|r| (r.id.to_string(), r.severity.as_str().to_string())).collect();
    if table != registry {
        let mut diff = String::new();
        for (id, sev) in &registry {
            match table.iter().find(|(t, _)| t == id) {
                None => diff.push_str(&format!("  missing from the README: `{id}` ({sev})\n")),
                Some((_, s)) if s != sev => diff.push_str(&format!("  `{id}`: README says {s}, the registry {sev}\n")),
                _ => {}
            }
        }
        for (id, _) in &table {
            if !registry.iter().any(|(r, _)| r == id) {
                diff.push_str(&format!("  in the README but not a rule: `{id}`\n"));
            }
        }
        if diff.is_empty() {
            diff.push_str("  same rules, different order: the table follows `trm-ci rules`\n");
        }
        panic!("README.md's rules table differs from the registry:\n{diff}");
    }
}

#[test]
fn the_table_reader_reads_rows_only() {
    let text = "intro\n\n### Rules\n\nIds are…\n\n| rule | default | checks |\n|---|---|---|\n| `a/b` | error | x `y` |\n| `c/d` | warning | z |\n\nNotes: | `not/a-row`\n### Next\n| `e/f` | error | |\n";
    assert_eq!(readme_rules(text), vec![("a/b".to_string(), "error".to_string()), ("c/d".to_string(), "warning".to_string())]);
}

/// The `yaml` block of README's production stack example.
fn production_stack(readme: &str) -> String {
    let after = readme.split("**Production stack**").nth(1).expect("README has a **Production stack** paragraph");
    let block = after.split("```yaml\n").nth(1).expect("a ```yaml block follows it");
    block.split("\n```").next().unwrap().to_string() + "\n"
}

fn compose_findings(compose: &str) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("compose.dev.yaml"), compose).unwrap();
    let (report, _) = trm_ci::linter::run(&trm_ci::linter::Options { repo: tmp.path().to_path_buf(), ..Default::default() })
        .unwrap_or_else(|e| panic!("lint failed: {e}"));
    // compose/local-build is about the dev stack (it must build this Dockerfile); a production
    // stack runs the built image, so only the mount rules apply to it.
    report.findings.into_iter().filter(|f| f.rule.starts_with("compose/") && f.rule != "compose/local-build").map(|f| format!("{}: {}", f.rule, f.message)).collect()
}

/// What the README tells a deployer to run passes the compose mount rules; the same file with a mount
/// over the extensions, or without the uploads volume, does not.
#[test]
fn the_readme_production_stack_passes_the_compose_rules() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let stack = production_stack(&readme);
    assert!(stack.contains("uploads:/directus/uploads"), "{stack}");
    assert_eq!(compose_findings(&stack), Vec::<String>::new(), "{stack}");
    let shadowed = stack.replace(
        "      - uploads:/directus/uploads",
        "      - uploads:/directus/uploads\n      - ./extensions:/directus/extensions",
    );
    assert!(compose_findings(&shadowed).iter().any(|f| f.starts_with("compose/extensions-mount-shadows-image")), "{shadowed}");
    let lost = stack.replace("      - uploads:/directus/uploads", "      - ./config:/directus/config");
    assert!(compose_findings(&lost).iter().any(|f| f.starts_with("compose/uploads-not-persisted")), "{lost}");
}
