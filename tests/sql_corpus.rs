//! The SQL splitter against a corpus of real-world, valid PostgreSQL 15
//! migration statements (tests/fixtures/sql-corpus/, verified on a real
//! server by `tests/pgreplay.rs::pg_sql_corpus_is_valid_postgres`): zero
//! `migrations/syntax-error`, the right number of statements, and spans that
//! cover exactly the statements. Plus invalid inputs whose error position is
//! asserted.

use std::path::{Path, PathBuf};

use trm_ci::model::sql::{lex, Kind, Migration, Piece};
use trm_ci::source::SourceFile;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql-corpus")
}

fn corpus() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    v.sort();
    v
}

fn parse(name: &str, text: &str) -> Migration {
    Migration::parse_all(&SourceFile::new(format!("db-init/{name}"), text.as_bytes().to_vec(), None))
}

/// `-- expect: N sql, M meta` on the first line.
fn expected(text: &str) -> (usize, usize) {
    let first = text.lines().next().unwrap();
    let rest = first.strip_prefix("-- expect: ").expect("first line: -- expect: N sql, M meta");
    let (sql, meta) = rest.split_once(" sql, ").unwrap();
    (sql.trim().parse().unwrap(), meta.trim_end_matches(" meta").trim().parse().unwrap())
}

#[test]
fn corpus_has_no_syntax_errors_and_the_right_statement_counts() {
    let mut total = 0;
    for (name, text) in corpus() {
        let m = parse(&name, &text);
        assert!(m.errors.is_empty(), "{name}: false syntax errors: {:#?}", m.errors);
        let sql = m.sql_statements().count();
        let meta = m.statements.len() - sql;
        assert_eq!((sql, meta), expected(&text), "{name}");
        assert!(m.statements.iter().all(|s| s.kind != Kind::Unknown), "{name}");
        total += sql;
    }
    assert!(total >= 80, "the corpus has {total} SQL statements, the issue asks for at least 80");
}

/// Every statement span starts at a command keyword (or a backslash) and
/// ends with `;` (or at a meta-command's end of line / before `\g…`), and
/// what lies between statements is only whitespace and comments.
#[test]
fn corpus_spans_cover_exactly_the_statements() {
    for (name, text) in corpus() {
        let m = parse(&name, &text);
        let mut covered = vec![false; text.len()];
        for s in &m.statements {
            let body = &text[s.start..s.end];
            assert!(!body.is_empty(), "{name}: empty statement");
            if s.is_meta() {
                assert!(body.starts_with('\\') && !body.contains('\n'), "{name}: {body:?}");
            } else {
                assert!(body.as_bytes()[0].is_ascii_alphabetic(), "{name}: statement starts oddly: {body:?}");
                let ends_with_gset = text[s.end..].trim_start_matches([' ', '\t']).starts_with("\\g");
                assert!(body.ends_with(';') || ends_with_gset, "{name}: statement does not end with `;`: {body:?}");
            }
            // COPY … FROM stdin: the data rows up to `\.` belong to it.
            let lower = body.to_ascii_lowercase();
            let copy_end = if (lower.starts_with("copy") || lower.starts_with("\\copy")) && lower.contains("from stdin") {
                text[s.end..].find("\n\\.\n").map(|k| s.end + k + 3).unwrap_or(s.end)
            } else {
                s.end
            };
            for c in &mut covered[s.start..copy_end] {
                *c = true;
            }
            // The span's line/col agree with the byte offsets.
            let line = text[..s.start].matches('\n').count() as u32 + 1;
            assert_eq!(s.span.line, line, "{name}: {body:?}");
            assert_eq!(s.span.end_line, text[..s.end].matches('\n').count() as u32 + 1, "{name}");
        }
        // Outside the statements: whitespace and `--` comment lines only.
        let mut rest = String::new();
        for (i, ch) in text.char_indices() {
            if !covered[i] {
                rest.push(ch);
            }
        }
        for line in rest.lines() {
            let l = line.trim();
            assert!(l.is_empty() || l.starts_with("--"), "{name}: text outside any statement: {l:?}");
        }
    }
}

#[test]
fn known_statements_are_classified() {
    let all: Vec<Migration> = corpus().iter().map(|(n, t)| parse(n, t)).collect();
    let stmts: Vec<_> = all.iter().flat_map(|m| m.statements.iter()).collect();
    let count = |k: &dyn Fn(&Kind) -> bool| stmts.iter().filter(|s| k(&s.kind)).count();
    assert_eq!(count(&|k| matches!(k, Kind::Do)), 3);
    assert_eq!(count(&|k| matches!(k, Kind::CreateFunction)), 7);
    assert_eq!(count(&|k| matches!(k, Kind::TransactionControl { .. })), 0);
    assert_eq!(stmts.iter().filter(|s| s.concurrently.is_some()).count(), 3, "CREATE/DROP INDEX and REINDEX CONCURRENTLY; REFRESH … CONCURRENTLY is allowed");
    // DELETE … WHERE / UPDATE … WHERE / MERGE / ON CONFLICT DO UPDATE are not unfiltered.
    assert!(stmts.iter().all(|s| s.has_where != Some(false)));
    let created: Vec<String> = stmts.iter().flat_map(|s| s.creates.iter().map(|c| c.display())).collect();
    assert!(created.contains(&"corpus.customers".to_string()) && created.contains(&"corpus.order_totals".to_string()));
}

/// How much of the corpus sqlparser (PostgreSqlDialect) parses: measured and
/// printed, not required — the splitter and classifier do not depend on it.
#[test]
fn sqlparser_parse_rate_on_the_corpus() {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    let (mut ok, mut total) = (0, 0);
    let mut failed = Vec::new();
    for (name, text) in corpus() {
        let m = parse(&name, &text);
        for s in m.sql_statements() {
            total += 1;
            let sql = &text[s.start..s.end];
            if Parser::parse_sql(&PostgreSqlDialect {}, sql).is_ok() {
                ok += 1;
            } else {
                failed.push(format!("{name}:{}: {}", s.span.line, sql.lines().next().unwrap_or("")));
            }
        }
    }
    println!("sqlparser 0.64 parsed {ok} of {total} corpus statements; failed:\n  {}", failed.join("\n  "));
    assert!(total >= 80);
}

fn first_error(sql: &str) -> (u32, u32, String) {
    let m = parse("0001_x.sql", sql);
    let e = m.errors.first().unwrap_or_else(|| panic!("no error for {sql:?}"));
    (e.span.line, e.span.col, e.message.clone())
}

#[test]
fn invalid_sql_is_reported_where_it_is() {
    let (line, col, msg) = first_error("CREATE SCHEMA app;\n-- the typo:\n\nCREAT TABLE app.t (id int);\nSELECT 1;\n");
    assert_eq!((line, col), (4, 1));
    assert!(msg.contains("CREAT") && msg.contains("CREATE"), "{msg}");

    let (line, col, msg) = first_error("SELECT 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$\n  SELECT 1;\n$$;\nSELECT 2;\n");
    assert_eq!((line, col), (2, 49));
    assert!(msg.contains("dollar") && msg.contains("$fn$"), "{msg}");

    let (line, col, _) = first_error("SELECT 1;\nINSERT INTO t VALUES ('it's');\n");
    assert_eq!((line, col), (2, 28), "the string opened by the stray quote runs to the end");

    let (line, col, msg) = first_error("CREATE TABEL t (id int);");
    assert_eq!((line, col), (1, 8));
    assert!(msg.contains("TABLE"), "{msg}");

    let (line, col, _) = first_error("SELECT 1;\n/* unterminated\n");
    assert_eq!((line, col), (2, 1));

    let (line, col, _) = first_error("CREATE TABLE t (id int;\nSELECT 1;");
    assert_eq!((line, col), (1, 16));
}

#[test]
fn the_lexer_agrees_with_the_model() {
    for (name, text) in corpus() {
        let lexed = lex(&text);
        assert!(lexed.error.is_none(), "{name}");
        let m = parse(&name, &text);
        assert_eq!(lexed.pieces.len(), m.statements.len(), "{name}");
        let metas = lexed.pieces.iter().filter(|p| matches!(p, Piece::Meta { .. })).count();
        assert_eq!(metas, m.statements.iter().filter(|s| s.is_meta()).count(), "{name}");
    }
}

/// The whole lint run over the corpus as a migrations directory: no
/// `migrations/syntax-error` finding.
#[test]
fn lint_reports_no_syntax_error_on_the_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db-init");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (_, text)) in corpus().iter().enumerate() {
        std::fs::write(dir.join(format!("{:04}_corpus.sql", i + 1)), text).unwrap();
    }
    let (report, _) = trm_ci::linter::run(&trm_ci::linter::Options { repo: tmp.path().to_path_buf(), ..Default::default() }).unwrap();
    let syntax: Vec<_> = report.findings.iter().filter(|f| f.rule == "migrations/syntax-error").collect();
    assert!(syntax.is_empty(), "{syntax:#?}");
}

/// An UPDATE whose SET is a 200,000-term operator chain: sqlparser's recursion limit does not
/// count the chain, and dropping its tree overflowed the stack (exit 134, no location). Run as
/// the binary, on its own main-thread stack, as a user would.
#[test]
fn a_very_long_expression_is_a_finding_not_a_stack_overflow() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("db-init")).unwrap();
    let sql = format!("UPDATE app.t SET a = {};\n", vec!["'x'"; 200_000].join(" || "));
    std::fs::write(tmp.path().join("db-init/0001_deep.sql"), sql).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trm-ci"))
        .args(["lint", "--format", "json", "--repo"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let destructive: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "migrations/destructive" && f["file"] == "db-init/0001_deep.sql")
        .collect();
    assert_eq!(destructive.len(), 1, "{destructive:?}");
    assert_eq!((&destructive[0]["line"], &destructive[0]["column"]), (&serde_json::json!(1), &serde_json::json!(1)));
}
