use super::migration::parse_version;
use super::*;
use crate::source::SourceFile;

fn parse(sql: &str) -> Migration {
    Migration::parse_all(&SourceFile::new("db-init/0001_x.sql", sql.as_bytes().to_vec(), None))
}

fn texts(sql: &str) -> Vec<String> {
    parse(sql).statements.iter().map(|s| sql[s.start..s.end].to_string()).collect()
}

#[test]
fn splits_on_semicolons_outside_quotes_comments_and_parens() {
    let sql = "SELECT 'a;b', \"c;d\" -- x;y\n; /* p; /* nested; */ q; */ SELECT $$;$$; SELECT $f$ $$ ; $f$;\nSELECT E'\\';';";
    assert_eq!(
        texts(sql),
        vec!["SELECT 'a;b', \"c;d\" -- x;y\n;", "SELECT $$;$$;", "SELECT $f$ $$ ; $f$;", "SELECT E'\\';';"]
    );
    assert!(parse(sql).errors.is_empty());
}

#[test]
fn meta_commands_are_their_own_statements() {
    let sql = "\\set ON_ERROR_STOP on\nSELECT :'v', :x::int;\n  \\echo done\n";
    let m = parse(sql);
    assert_eq!(m.statements.len(), 3);
    assert_eq!(m.statements[0].kind, Kind::Meta { name: "set".into() });
    assert_eq!(&sql[m.statements[0].start..m.statements[0].end], "\\set ON_ERROR_STOP on");
    assert_eq!(m.statements[2].kind, Kind::Meta { name: "echo".into() });
    assert!(m.errors.is_empty());
}

#[test]
fn copy_from_stdin_data_is_not_sql() {
    let sql = "COPY t (a, b) FROM stdin;\n1\tit's; here\n2\t$$\n\\.\nSELECT 1;\n\\copy t FROM stdin\nx'y\n\\.\nSELECT 2;";
    let m = parse(sql);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(texts(sql), vec!["COPY t (a, b) FROM stdin;", "SELECT 1;", "\\copy t FROM stdin", "SELECT 2;"]);
}

#[test]
fn begin_atomic_bodies_keep_their_semicolons() {
    let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;\nSELECT 3;";
    let t = texts(sql);
    assert_eq!(t.len(), 2, "{t:?}");
    assert!(t[0].ends_with("END; END;"));
}

#[test]
fn unterminated_constructs_are_errors_at_their_start() {
    for (sql, line, col) in [
        ("SELECT 1;\nSELECT 'abc;\n", 2, 8),
        ("SELECT 1;\n  /* x /* y */\n", 2, 3),
        ("DO $body$ BEGIN END $$;\n", 1, 4),
        ("SELECT \"x;\n", 1, 8),
        ("SELECT E'\\';\n", 1, 8),
    ] {
        let m = parse(sql);
        assert_eq!(m.errors.len(), 1, "{sql}: {:?}", m.errors);
        assert_eq!((m.errors[0].span.line, m.errors[0].span.col), (line, col), "{sql}");
    }
}

#[test]
fn unknown_commands_are_errors_with_suggestions() {
    let m = parse("CREATE TABLE a (id int);\n\nCREAT TABLE b (id int);\nCREATE TABEL c (id int);");
    assert_eq!(m.errors.len(), 2);
    assert_eq!((m.errors[0].span.line, m.errors[0].span.col), (3, 1));
    assert!(m.errors[0].message.contains("did you mean `CREATE`"), "{}", m.errors[0].message);
    assert_eq!((m.errors[1].span.line, m.errors[1].span.col), (4, 8));
}

#[test]
fn classification() {
    let m = parse(
        "BEGIN; CREATE UNIQUE INDEX CONCURRENTLY i ON t (a); DROP INDEX CONCURRENTLY IF EXISTS i;\n\
         REINDEX (VERBOSE) TABLE CONCURRENTLY t; DELETE FROM t; UPDATE t SET a = (SELECT 1 WHERE true);\n\
         DELETE FROM t WHERE a = 1; ALTER TABLE ONLY public.t DROP COLUMN IF EXISTS b, DROP CONSTRAINT c, ALTER d DROP DEFAULT, DROP e;\n\
         CREATE TABLE IF NOT EXISTS \"Public\".\"Foo\" (id int); CREATE TEMP TABLE tmp (x int); SAVEPOINT a; ROLLBACK TO SAVEPOINT a; COMMIT;\n\
         INSERT INTO directus_settings (project_name) VALUES ('x'); SELECT * FROM other.directus_users;",
    );
    let k: Vec<&Kind> = m.statements.iter().map(|s| &s.kind).collect();
    assert_eq!(k[0], &Kind::TransactionControl { what: "BEGIN".into() });
    assert!(m.statements[1].concurrently.is_some() && m.statements[2].concurrently.is_some());
    assert!(m.statements[3].concurrently.is_some());
    assert_eq!(m.statements[4].has_where, Some(false));
    assert_eq!(m.statements[5].has_where, Some(false));
    assert_eq!(m.statements[6].has_where, Some(true));
    let cols: Vec<&str> = m.statements[7].dropped_columns.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(cols, vec!["b", "e"]);
    assert_eq!(m.statements[8].creates[0].display(), "Public.Foo");
    assert!(m.statements[9].creates.is_empty());
    assert_eq!(k[10], &Kind::Savepoint);
    assert_eq!(k[11], &Kind::Savepoint);
    assert_eq!(k[12], &Kind::TransactionControl { what: "COMMIT".into() });
    assert_eq!(m.statements[13].tables[0].table.name, "directus_settings");
    assert_eq!(m.statements[13].tables[0].role, TableRole::Insert);
    assert_eq!(m.statements[14].tables[0].table.display(), "other.directus_users");
    assert_eq!(m.statements[14].tables[0].role, TableRole::Read);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
}

/// `schema.name role` of every table reference of each statement.
fn refs(sql: &str) -> Vec<Vec<String>> {
    parse(sql)
        .sql_statements()
        .map(|s| s.tables.iter().map(|r| format!("{} {:?}{}", r.table.display(), r.role, if r.if_exists { "?" } else { "" })).collect())
        .collect()
}

#[test]
fn table_references_of_every_statement_kind() {
    let cases: &[(&str, &[&str])] = &[
        ("CREATE TABLE app.a (id int REFERENCES public.customers (id), b int)", &["app.a Create", "public.customers References"]),
        ("CREATE TEMP TABLE t (x int)", &[]),
        ("CREATE TABLE c (LIKE customers INCLUDING ALL, CHECK (x LIKE y)) INHERITS (base1, base2)", &["c Create", "customers References", "base1 References", "base2 References"]),
        ("CREATE TABLE p1 PARTITION OF parent FOR VALUES FROM (1) TO (10)", &["p1 Create", "parent References"]),
        ("CREATE TABLE s AS SELECT * FROM src JOIN other o ON true", &["s Create", "src Read", "other Read"]),
        ("CREATE OR REPLACE VIEW app.v AS SELECT c.id, extract(year FROM c.date_created) FROM customers c LEFT JOIN \"Orders\" o ON o.c = c.id WHERE a IS DISTINCT FROM b", &["app.v Create", "customers Read", "Orders Read"]),
        ("CREATE MATERIALIZED VIEW mv AS WITH x AS (SELECT * FROM orders) SELECT * FROM x, products", &["mv Create", "orders Read", "products Read"]),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_directus_users ON ONLY public.customers USING btree (directus_user_id)", &["public.customers On"]),
        ("CREATE INDEX ON orders (customer)", &["orders On"]),
        ("CREATE OR REPLACE TRIGGER trg BEFORE UPDATE OF a, b ON public.orders FOR EACH ROW EXECUTE FUNCTION app.touch()", &["public.orders On"]),
        ("CREATE CONSTRAINT TRIGGER t AFTER INSERT ON a FROM b FOR EACH ROW EXECUTE FUNCTION f()", &["a On", "b References"]),
        ("CREATE POLICY p ON customers USING (EXISTS (SELECT 1 FROM grants g WHERE g.u = current_user))", &["customers On", "grants Read"]),
        ("CREATE RULE r AS ON INSERT TO log DO INSTEAD NOTHING", &["log On"]),
        ("CREATE STATISTICS st (ndistinct) ON a, b FROM orders", &["orders On"]),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*) FROM customers $$", &[]),
        ("ALTER TABLE public.customers ADD COLUMN legacy_code text", &["public.customers Alter"]),
        ("ALTER TABLE IF EXISTS ONLY customers ADD CONSTRAINT directus_x_pkey PRIMARY KEY (id), ADD FOREIGN KEY (u) REFERENCES directus_users (id)", &["customers Alter?", "directus_users References"]),
        ("ALTER TABLE parent ATTACH PARTITION child FOR VALUES IN (1)", &["parent Alter", "child Alter"]),
        ("ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b", &[]),
        ("ALTER VIEW v RENAME TO w", &["v Alter"]),
        ("ALTER INDEX ix_customers RENAME TO ix2", &[]),
        ("DROP TABLE IF EXISTS a, app.b CASCADE", &["a Drop?", "app.b Drop?"]),
        ("DROP TRIGGER IF EXISTS trg ON public.orders", &["public.orders On"]),
        ("DROP INDEX ix_directus_files", &[]),
        ("TRUNCATE TABLE ONLY a, b * RESTART IDENTITY", &["a Truncate", "b Truncate"]),
        ("INSERT INTO directus_settings (project_name) SELECT name FROM app.config", &["directus_settings Insert", "app.config Read"]),
        ("UPDATE ONLY t AS x SET a = u.a FROM u JOIN v USING (id) WHERE x.id = u.id", &["t Update", "u Read", "v Read"]),
        ("DELETE FROM t x USING u WHERE x.id = u.id AND x.k IN (SELECT k FROM w)", &["t Delete", "u Read", "w Read"]),
        ("WITH gone AS (DELETE FROM a RETURNING id) INSERT INTO b SELECT id FROM gone", &["b Insert", "a Read"]),
        ("MERGE INTO stock s USING deliveries d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = d.n", &["stock Update", "deliveries Read"]),
        ("SELECT * FROM generate_series(1, (SELECT max(id) FROM t)) g, LATERAL (SELECT 1 FROM u) x", &["t Read", "u Read"]),
        ("SELECT substring(s FROM 2), trim(both 'x' FROM s) FROM \"Public\".\"Mixed Case\"", &["Public.Mixed Case Read"]),
        ("TABLE customers", &["customers Read"]),
        ("COPY public.countries (code, name) FROM stdin", &["public.countries Copy"]),
        ("COPY (SELECT * FROM orders) TO stdout", &["orders Read"]),
        ("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", &["orders Other"]),
        ("COMMENT ON TABLE customers IS 'x'", &["customers Other"]),
        ("COMMENT ON COLUMN public.customers.email IS 'x'", &["public.customers Other"]),
        ("GRANT SELECT (id) ON TABLE customers, orders TO reporting", &["customers Other", "orders Other"]),
        ("GRANT USAGE ON SCHEMA app TO reporting", &[]),
        ("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM x", &[]),
        ("GRANT reporting TO alice", &[]),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY app.mv", &["app.mv Other"]),
        ("DO $$ BEGIN ALTER TABLE customers ADD x int; END $$", &[]),
        ("SELECT directus_user_id FROM app.profiles WHERE directus_user_id IS NOT NULL", &["app.profiles Read"]),
    ];
    for (sql, want) in cases {
        let got = refs(sql);
        assert_eq!(got.len(), 1, "{sql}");
        assert_eq!(got[0], want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{sql}");
    }
    // SET search_path away from public makes unqualified names unknown, for the rest of the file.
    let m = parse("ALTER TABLE a ADD x int; SET LOCAL search_path = app, public; ALTER TABLE b ADD x int; RESET search_path; TABLE c; SELECT set_config('search_path', 'x', true); TABLE d; SET search_path TO DEFAULT; TABLE e;");
    let changed: Vec<bool> = m.statements.iter().map(|s| s.search_path_changed).collect();
    assert_eq!(changed, [false, false, true, true, false, false, true, true, false]);
    // Spans point at the whole (qualified, quoted) name.
    let sql = "SELECT 1 FROM public . \"Orders\";";
    let m = parse(sql);
    let r = &m.statements[0].tables[0];
    assert_eq!(&sql[r.table.span.offset..r.table.span.offset + r.table.span.len], "public . \"Orders\"");
}

#[test]
fn pragmas_cover_the_next_statement() {
    let m = parse("-- trm-ci: ignore=migrations/destructive reason here\nDROP TABLE a\n  CASCADE;\nSELECT 1;");
    assert_eq!(m.suppressions.len(), 1);
    let s = &m.suppressions[0];
    assert_eq!((s.first_line, s.last_line), (2, 3));
    assert_eq!(s.rules, vec!["migrations/destructive".to_string()]);
    assert_eq!(s.reason, "reason here");
}

/// A `/* trm-ci: ignore=... */` block comment is a pragma like `--` (issue 18), also over
/// several lines and after the last statement; a block comment that is not one is nothing.
#[test]
fn block_comment_pragmas_cover_the_next_statement() {
    let m = parse("/* trm-ci: ignore=migrations/destructive,migrations/empty\n   moved to app.archive */\nDROP TABLE a;\n/* just words */ SELECT 1;\n/*trm-ci: ignore=x/y*/");
    assert_eq!(m.suppressions.len(), 2, "{:?}", m.suppressions);
    let s = &m.suppressions[0];
    assert_eq!((s.first_line, s.last_line, s.span.line, s.span.end_line), (3, 3, 1, 2));
    assert_eq!(s.rules, vec!["migrations/destructive".to_string(), "migrations/empty".to_string()]);
    assert_eq!(s.reason, "moved to app.archive");
    // After the last statement: it covers its own line (and is reported as silencing nothing).
    let t = &m.suppressions[1];
    assert_eq!((t.rules.clone(), t.first_line, t.reason.as_str()), (vec!["x/y".to_string()], 5, ""));
}

#[test]
fn file_names() {
    assert!(well_formed_name("0001_init.sql"));
    assert!(well_formed_name("12345_add_x2.sql"));
    assert!(!well_formed_name("001_init.sql"));
    assert!(!well_formed_name("0001-init.sql"));
    assert!(!well_formed_name("0001_Init.sql"));
    assert!(!well_formed_name("0001__init.sql"));
    assert!(!well_formed_name("0001_init.SQL"));
    assert_eq!(parse_version("0007_AddX.sql"), (Some(7), Some("0007".into())));
    assert_eq!(parse_version("x.sql"), (None, None));
}

#[test]
fn large_inputs_are_handled_without_recursion_or_panic() {
    let mut big = "SELECT 1; -- trm-ci: ignore=migrations/destructive x\n".repeat(50_000);
    big.push_str(&"(".repeat(200_000));
    big.push_str(&"x".repeat(1_000_000));
    big.push_str(" $a$ unterminated");
    let m = parse(&big);
    assert_eq!(m.sql_statements().count(), 50_001);
    assert!(!m.errors.is_empty());
}

/// A small deterministic generator: random bytes and random mixes of SQL
/// fragments never panic, and every span lies on char boundaries in order.
#[test]
fn random_input_never_panics() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let frags = [
        "'", "\"", "$$", "$a$", "$1", "--", "/*", "*/", "\\", "\n", ";", "(", ")", "E'", "U&'", ":'", "::", "é", "BEGIN",
        "END", "CREATE FUNCTION", "ATOMIC", "CASE", "x", " ", "DROP", "TABLE", "ALTER TABLE t DROP", ",", ".", "directus_",
        "DO", "$$ COMMIT; CALL p(); $$", "CALL a.b", "CREATE PROCEDURE p() LANGUAGE plpgsql AS", "FROM", "JOIN", "WITH x AS",
        "REFERENCES", " ON ", "COMMENT ON COLUMN", "GRANT ON", "CREATE INDEX", "TRIGGER", "USING", "MERGE INTO", "'x'",
    ];
    for round in 0..3000 {
        let s: String = if round % 2 == 0 {
            let len = (next() % 200) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| (next() % 128) as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..(next() % 40)).map(|_| frags[(next() % frags.len() as u64) as usize]).collect()
        };
        let m = parse(&s);
        let mut last = 0;
        for st in &m.statements {
            assert!(st.start <= st.end && st.end <= s.len(), "{s:?}");
            assert!(s.is_char_boundary(st.start) && s.is_char_boundary(st.end));
            assert!(st.start >= last || st.is_meta(), "{s:?}");
            last = st.start;
        }
    }
    // Raw non-UTF-8 bytes: the model is empty, no panic.
    let m = Migration::parse_all(&SourceFile::new("db-init/0001_x.sql", vec![0xff, 0xfe, b';'], None));
    assert!(!m.readable && m.statements.is_empty());
}

/// psql drops a UTF-8 byte-order mark at the start of a file (`-f`, `\i`): so does the lexer.
#[test]
fn a_leading_byte_order_mark_is_dropped_as_psql_does() {
    let sql = "\u{feff}CREATE TABLE a (id int);\nSELECT 1;\n";
    let m = parse(sql);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(texts(sql), vec!["CREATE TABLE a (id int);", "SELECT 1;"]);
    assert_eq!((m.statements[0].span.line, m.statements[0].span.col), (1, 2));
}

/// The runner's `*.sql` glob skips dot-files: they are not migrations.
#[test]
fn a_dot_file_is_not_a_migration() {
    let m = Migration::parse_all(&SourceFile::new("db-init/.0002_x.sql", b"SELECT 1;\n".to_vec(), None));
    assert!(!m.is_sql && m.statements.is_empty());
}
