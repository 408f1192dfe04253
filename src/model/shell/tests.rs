use crate::model::test_soup::soup;
use super::*;
use crate::source::SourceFile;

fn words(c: &LexCommand) -> Vec<&str> {
    c.words.iter().map(|w| w.text.as_str()).collect()
}

#[test]
fn splits_commands_and_removes_quotes() {
    let l = lex("a 'b c' \"d $(e \"f\")\" && g | h; i\\\n j # k\nl 2>&1 >/dev/null m\n");
    let cs: Vec<Vec<&str>> = l.commands.iter().map(words).collect();
    assert_eq!(cs, vec![vec!["a", "b c", "d $(e \"f\")"], vec!["g"], vec!["h"], vec!["i", "j"], vec!["l", "m"]]);
    assert_eq!(l.comments.len(), 1);
}

#[test]
fn heredocs_are_skipped_and_nesting_is_tracked() {
    let t = "f() {\n  cat <<-'EOF' >x\n\tnot a command\n\tEOF\n  g\n}\nif true; then\n  h\nfi\ncase $x in\n  a|b) k ;;\n  c) ;;\nesac\n";
    let l = lex(t);
    let cs: Vec<(Vec<&str>, u32, bool)> = l.commands.iter().map(|c| (words(c), c.depth, c.in_function)).collect();
    assert_eq!(
        cs,
        vec![
            (vec!["cat"], 1, true),
            (vec!["g"], 1, true),
            (vec!["true"], 1, false),
            (vec!["h"], 1, false),
            (vec!["k"], 1, false)
        ]
    );
    assert!(l.errors.is_empty(), "{:?}", l.errors);
}

#[test]
fn unterminated_things_are_errors_not_panics() {
    for t in ["'abc", "\"abc", "$(abc", "cat <<EOF\nabc\n", "`x", "\\", "<<", "a=(", "f(", "é\"ü", "))))}}}fi done"] {
        let _ = lex(t);
    }
    assert_eq!(lex("cat <<EOF\nabc\n").errors.len(), 1);
    assert_eq!(lex("RUN <<EOF").pending_heredocs.len(), 1);
}

fn script(t: &str) -> Script {
    Script::parse(&SourceFile::new("entrypoint.sh", t.as_bytes().to_vec(), Some(0o100755)))
}

#[test]
fn strict_mode_spellings() {
    for ok in [
        "#!/bin/bash\nset -euo pipefail\nx\n",
        "set -e -u -o pipefail\nx\n",
        "set -Eeuo pipefail\nx\n",
        "set -o errexit -o nounset -o pipefail\nx\n",
        "set -eu\nset -o pipefail\nx\n",
        "set -euo pipefail\nw\nset +e\ny\nset -e\nx\n",
    ] {
        assert_eq!(script(ok).strict_mode(), Strict::Ok, "{ok}");
    }
    assert!(matches!(script("x\nset -euo pipefail\n").strict_mode(), Strict::LateOrPartial { later_set: Some(_), .. }));
    assert!(matches!(script("set -eu\nx\n").strict_mode(), Strict::LateOrPartial { flags: Flags { pipefail: false, .. }, .. }));
    assert!(matches!(script("set -euo pipefail\nw\nset +e\nx\n").strict_mode(), Strict::TurnedOff { .. }));
    assert!(matches!(script("f() { set -euo pipefail; }\nf\n").strict_mode(), Strict::LateOrPartial { .. }));
}

#[test]
fn boot_steps_in_order() {
    let s = script(
        "set -euo pipefail\necho \"[entrypoint] db-init\"\n\"$scripts_dir/apply-db-init.sh\" || rc=$?\n[ \"$rc\" -eq 0 ] || failed db-init \"$rc\"\n\"$scripts_dir/schema-apply.sh\"\nexec \"$node\" \"$TRM_DIRECTUS_DIR/cli.js\" start\n",
    );
    let steps: Vec<(BootStepKind, bool, u32)> = s.boot_steps(&["db-init"], &["db-post"]).iter().map(|b| (b.kind, b.exec, b.span.line)).collect();
    assert_eq!(
        steps,
        vec![(BootStepKind::DbInit, false, 3), (BootStepKind::SchemaApply, false, 5), (BootStepKind::Start, true, 6)]
    );
    let s = script("node /directus/cli.js schema apply --yes /s.yaml\nexec node /directus/cli.js start\n");
    assert_eq!(s.boot_steps(&[], &[])[0].kind, BootStepKind::SchemaApply);
    // The four-step boot: db-post by its script, or the shared runner told its directory.
    for post in ["step db-post \"$scripts_dir/apply-db-post.sh\"", "\"$scripts_dir/apply-db-init.sh\" db-post", "run sql \"$d/apply-post.sh\""] {
        let s = script(&format!("step db-init \"$scripts_dir/apply-db-init.sh\"\nstep schema \"$scripts_dir/schema-apply.sh\"\n{post}\nexec node /directus/cli.js start\n"));
        let kinds: Vec<BootStepKind> = s.boot_steps(&["db-init"], &["db-post", "post"]).iter().map(|b| b.kind).collect();
        assert_eq!(kinds, vec![BootStepKind::DbInit, BootStepKind::SchemaApply, BootStepKind::DbPost, BootStepKind::Start], "{post}");
    }
}

#[test]
fn commands_inside_substitutions_are_found() {
    let t = "x=$(grep -v a \"$1\" | sed -e 's/b/c/')\necho \"$(date -d \"$(cat f)\")\" '$(not)' $((1+2)) `tr a b`\n";
    let s = script(t);
    let progs: Vec<&str> = s.substituted.iter().map(|c| c.argv()[0].text.as_str()).collect();
    assert_eq!(progs, vec!["grep", "sed", "cat", "date", "tr"]);
    let sed = s.substituted.iter().find(|c| c.argv()[0].text == "sed").unwrap();
    assert_eq!((sed.span.line, sed.span.col), (1, 22));
    assert_eq!(sed.argv()[2].text, "s/b/c/");
    assert!(s.commands.iter().all(|c| c.depth == 0));
}

#[test]
fn pragma_covers_next_code_line() {
    let s = script("#!/bin/sh\n# trm-ci: ignore=scripts/strict-mode legacy\n\n# more\nx\n");
    assert_eq!(s.suppressions.len(), 1);
    assert_eq!((s.suppressions[0].first_line, s.suppressions[0].last_line), (5, 5));
}

#[test]
fn random_and_pathological_input_never_panics_and_stays_linear() {
    let alphabet = [
        " ", "\n", "\\", "'", "\"", "$(", "${", ")", "}", "(", "{", "`", "#", ";", "&&", "|", "<<", "<<-", "EOF", "x", "é", "if ",
        "fi", "case ", "esac", ")", "f()", "set -e", "\t", "\r", "=", "2>&1", "<<<",
    ];
    for seed in 0..300 {
        let t = soup(seed, 200, &alphabet);
        let _ = script(&t).strict_mode();
        let _ = script(&t).boot_steps(&["db-init"], &["db-post"]);
    }
    for t in [
        "# trm-ci: ignore=a/b x\n".repeat(50_000),
        "{ ".repeat(50_000) + &"x\n".repeat(50_000),
        "\"$(".repeat(50_000),
        "x 'y' \"z\" $(a) ${b} `c` # d\n".repeat(20_000),
        "cat <<A <<B <<C\n".repeat(20_000),
    ] {
        let s = script(&t);
        let _ = s.strict_mode();
    }
    for t in ["$(".repeat(50_000), "x $(a $(b $(c $(d $(e $(f))))))\n".repeat(2_000), "`".repeat(50_001)] {
        let _ = script(&t);
    }
}
