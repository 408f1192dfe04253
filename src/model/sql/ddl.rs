//! What an `ALTER TABLE` or `CREATE INDEX` does to a table that may already
//! hold rows and serve traffic: its actions (add a column, change a type, set
//! NOT NULL, add a constraint, …) with the facts the lock and data-safety
//! rules judge (`NOT VALID`, the column's default and whether it is
//! volatile). Read from the statement's tokens once, at parse time.

use crate::finding::Span;
use crate::source::SourceFile;

use super::{TokKind, Token};

/// The DDL facts of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ddl {
    AlterTable { actions: Vec<Action> },
    CreateIndex { concurrently: bool, unique: bool },
}

/// One action of an `ALTER TABLE` (actions are separated by top-level commas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `ADD [COLUMN] [IF NOT EXISTS] c type …`.
    AddColumn {
        column: String,
        span: Span,
        not_null: bool,
        /// `DEFAULT expr`: its text and whether it calls a volatile function.
        default: Option<Default>,
        /// `serial`/`bigserial`/`smallserial`, `GENERATED … AS IDENTITY` or
        /// `GENERATED ALWAYS AS (…) STORED`: values are computed for every row.
        computed: bool,
        /// An inline `REFERENCES` (a foreign key, validated at once).
        references: bool,
        /// An inline `CHECK (…)` (validated at once).
        check: bool,
    },
    /// `ALTER [COLUMN] c [SET DATA] TYPE t`.
    AlterType { column: String, span: Span },
    /// `ALTER [COLUMN] c SET NOT NULL`.
    SetNotNull { column: String, span: Span },
    /// `ALTER [COLUMN] c DROP NOT NULL | SET DEFAULT … | DROP DEFAULT | SET STATISTICS … | …`.
    AlterColumnOther {
        column: String,
        span: Span,
        /// `DROP NOT NULL`, `SET DEFAULT …` or `DROP DEFAULT`: what Directus's
        /// field schema records (`is_nullable`, `default_value`); not storage,
        /// statistics or options.
        nullable_or_default: bool,
    },
    /// `DROP [COLUMN] [IF EXISTS] c`.
    DropColumn { column: String, span: Span },
    /// `RENAME [COLUMN] c TO d`.
    RenameColumn { column: String, span: Span },
    /// `ADD [CONSTRAINT name] CHECK/FOREIGN KEY/UNIQUE/PRIMARY KEY/EXCLUDE … [NOT VALID]`.
    AddConstraint {
        name: Option<String>,
        kind: ConstraintKind,
        not_valid: bool,
        /// `CHECK (c IS NOT NULL)`: the column.
        not_null_check: Option<String>,
        span: Span,
    },
    /// `VALIDATE CONSTRAINT name`.
    ValidateConstraint { name: String },
    /// `DROP CONSTRAINT [IF EXISTS] name`.
    DropConstraint { name: String, span: Span },
    /// `RENAME CONSTRAINT a TO b`.
    RenameConstraint { name: String, span: Span },
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Check,
    ForeignKey,
    Unique,
    PrimaryKey,
    Exclude,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Default {
    pub text: String,
    /// Calls a function PostgreSQL marks VOLATILE (`random()`,
    /// `gen_random_uuid()`, `clock_timestamp()`, `nextval(…)`, …).
    pub volatile: bool,
    pub span: Span,
}

/// Built-in functions whose `provolatile` is `v` and that appear as column
/// defaults (PostgreSQL 15's `pg_proc`; `now()`, `current_timestamp` and
/// `statement_timestamp()` are STABLE: evaluated once, no rewrite).
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "txid_current",
    "pg_current_xact_id",
    "random_normal",
    "gen_random_bytes",
    "gen_salt",
];

struct Cur<'a> {
    text: &'a str,
    toks: &'a [Token],
}

impl<'a> Cur<'a> {
    fn word(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        match t.kind {
            TokKind::Word => Some(self.text[t.start..t.end].to_ascii_lowercase()),
            _ => None,
        }
    }
    fn is(&self, i: usize, w: &str) -> bool {
        self.word(i).as_deref() == Some(w)
    }
    /// An identifier's value (unquoted folded to lower case).
    fn ident(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        let s = &self.text[t.start..t.end];
        match t.kind {
            TokKind::Word => Some(s.to_ascii_lowercase()),
            TokKind::QuotedIdent if s.starts_with('"') && s.len() >= 2 => Some(s[1..s.len() - 1].replace("\"\"", "\"")),
            _ => None,
        }
    }
    fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == TokKind::Punct(c))
    }
}

/// The DDL facts of a statement whose tokens are `toks`, or None when it
/// is neither `ALTER TABLE` nor `CREATE [UNIQUE] INDEX`.
pub fn analyze(src: &SourceFile, text: &str, toks: &[Token]) -> Option<Ddl> {
    let c = Cur { text, toks };
    if c.is(0, "create") {
        let mut i = 1;
        let unique = c.is(i, "unique");
        if unique {
            i += 1;
        }
        if !c.is(i, "index") {
            return None;
        }
        return Some(Ddl::CreateIndex { concurrently: c.is(i + 1, "concurrently"), unique });
    }
    if !(c.is(0, "alter") && c.is(1, "table")) {
        return None;
    }
    // ALTER TABLE [IF EXISTS] [ONLY] name [*]
    let mut i = 2;
    if c.is(i, "if") && c.is(i + 1, "exists") {
        i += 2;
    }
    if c.is(i, "only") {
        i += 1;
    }
    i += 1; // the name
    while c.punct(i, b'.') {
        i += 2;
    }
    if c.punct(i, b'*') {
        i += 1;
    }
    // Top-level commas split the actions.
    let mut actions = Vec::new();
    let mut depth = 0i32;
    let mut start = i;
    let end = toks.iter().rposition(|t| t.kind != TokKind::Punct(b';')).map(|k| k + 1).unwrap_or(0);
    for k in i..=end {
        let at_end = k == end;
        if !at_end {
            match toks[k].kind {
                TokKind::Punct(b'(') => depth += 1,
                TokKind::Punct(b')') => depth -= 1,
                _ => {}
            }
        }
        if at_end || (depth == 0 && toks[k].kind == TokKind::Punct(b',')) {
            if k > start {
                actions.push(action(src, &c, start, k));
            }
            start = k + 1;
        }
    }
    Some(Ddl::AlterTable { actions })
}

/// The span from token `a` to the end of token `b - 1`.
fn span(src: &SourceFile, c: &Cur, a: usize, b: usize) -> Span {
    let s = c.toks[a].start;
    let e = c.toks[b.saturating_sub(1).max(a)].end;
    src.span(s, e)
}

fn action(src: &SourceFile, c: &Cur, a: usize, b: usize) -> Action {
    let sp = span(src, c, a, b);
    let mut i = a;
    if c.is(i, "add") {
        i += 1;
        let constraint_words = ["constraint", "check", "foreign", "unique", "primary", "exclude"];
        if c.word(i).is_some_and(|w| constraint_words.contains(&w.as_str())) {
            return add_constraint(c, i, b, sp);
        }
        if c.is(i, "column") {
            i += 1;
        }
        if c.is(i, "if") && c.is(i + 1, "not") && c.is(i + 2, "exists") {
            i += 3;
        }
        let Some(column) = c.ident(i) else { return Action::Other };
        return add_column(src, c, column, i + 1, b, sp);
    }
    if c.is(i, "alter") {
        i += 1;
        if c.is(i, "column") {
            i += 1;
        }
        if c.is(i, "constraint") {
            return Action::Other; // ALTER CONSTRAINT … DEFERRABLE
        }
        let Some(column) = c.ident(i) else { return Action::Other };
        i += 1;
        if c.is(i, "type") || (c.is(i, "set") && c.is(i + 1, "data") && c.is(i + 2, "type")) {
            return Action::AlterType { column, span: sp };
        }
        if c.is(i, "set") && c.is(i + 1, "not") && c.is(i + 2, "null") {
            return Action::SetNotNull { column, span: sp };
        }
        let nullable_or_default = (c.is(i, "drop") && c.is(i + 1, "not") && c.is(i + 2, "null"))
            || ((c.is(i, "set") || c.is(i, "drop")) && c.is(i + 1, "default"));
        return Action::AlterColumnOther { column, span: sp, nullable_or_default };
    }
    if c.is(i, "drop") {
        i += 1;
        if c.is(i, "constraint") {
            i += 1;
            if c.is(i, "if") && c.is(i + 1, "exists") {
                i += 2;
            }
            return c.ident(i).map(|name| Action::DropConstraint { name, span: sp }).unwrap_or(Action::Other);
        }
        if c.is(i, "column") {
            i += 1;
        }
        if c.is(i, "if") && c.is(i + 1, "exists") {
            i += 2;
        }
        return c.ident(i).map(|column| Action::DropColumn { column, span: sp }).unwrap_or(Action::Other);
    }
    if c.is(i, "validate") && c.is(i + 1, "constraint") {
        return c.ident(i + 2).map(|name| Action::ValidateConstraint { name }).unwrap_or(Action::Other);
    }
    if c.is(i, "rename") {
        i += 1;
        if c.is(i, "constraint") {
            return c.ident(i + 1).map(|name| Action::RenameConstraint { name, span: sp }).unwrap_or(Action::Other);
        }
        if c.is(i, "to") {
            return Action::Other; // renames the table
        }
        if c.is(i, "column") {
            i += 1;
        }
        return c.ident(i).map(|column| Action::RenameColumn { column, span: sp }).unwrap_or(Action::Other);
    }
    Action::Other
}

fn add_constraint(c: &Cur, mut i: usize, b: usize, span: Span) -> Action {
    let mut name = None;
    if c.is(i, "constraint") {
        name = c.ident(i + 1);
        i += 2;
    }
    let kind = match c.word(i).as_deref() {
        Some("check") => ConstraintKind::Check,
        Some("foreign") => ConstraintKind::ForeignKey,
        Some("unique") => ConstraintKind::Unique,
        Some("primary") => ConstraintKind::PrimaryKey,
        Some("exclude") => ConstraintKind::Exclude,
        _ => return Action::Other,
    };
    let not_valid = (i..b.saturating_sub(1)).any(|k| c.is(k, "not") && c.is(k + 1, "valid"));
    // CHECK ( c IS NOT NULL )
    let not_null_check = if kind == ConstraintKind::Check && c.punct(i + 1, b'(') && c.is(i + 3, "is") && c.is(i + 4, "not") && c.is(i + 5, "null") && c.punct(i + 6, b')') {
        c.ident(i + 2)
    } else {
        None
    };
    Action::AddConstraint { name, kind, not_valid, not_null_check, span }
}

fn add_column(src: &SourceFile, c: &Cur, column: String, from: usize, b: usize, span: Span) -> Action {
    let mut not_null = false;
    let mut default = None;
    let mut computed = false;
    let mut references = false;
    let mut check = false;
    if c.word(from).is_some_and(|w| matches!(w.as_str(), "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2")) {
        computed = true;
    }
    let mut depth = 0i32;
    let mut k = from;
    while k < b {
        match c.toks[k].kind {
            TokKind::Punct(b'(') => depth += 1,
            TokKind::Punct(b')') => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            if c.is(k, "not") && c.is(k + 1, "null") {
                not_null = true;
            } else if c.is(k, "primary") && c.is(k + 1, "key") {
                not_null = true;
            } else if c.is(k, "references") {
                references = true;
            } else if c.is(k, "check") {
                check = true;
            } else if c.is(k, "generated") {
                computed = true;
            } else if c.is(k, "default") && k + 1 < b {
                // The expression runs to the next constraint keyword at depth 0.
                let stop = ["not", "null", "constraint", "check", "references", "unique", "primary", "generated", "collate"];
                let mut e = k + 1;
                let mut d = 0i32;
                while e < b {
                    match c.toks[e].kind {
                        TokKind::Punct(b'(') => d += 1,
                        TokKind::Punct(b')') => d -= 1,
                        _ => {}
                    }
                    if d == 0 && e > k + 1 && c.word(e).is_some_and(|w| stop.contains(&w.as_str())) {
                        break;
                    }
                    e += 1;
                }
                let volatile = (k + 1..e).any(|x| c.word(x).is_some_and(|w| VOLATILE.contains(&w.as_str())) && c.punct(x + 1, b'('));
                let sp = self::span(src, c, k + 1, e);
                default = Some(Default { text: c.text[c.toks[k + 1].start..c.toks[e - 1].end].to_string(), volatile, span: sp });
                k = e;
                continue;
            }
        }
        k += 1;
    }
    Action::AddColumn { column, span, not_null, default, computed, references, check }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sql::{lex, Piece};

    fn ddl(sql: &str) -> Vec<Option<Ddl>> {
        let src = SourceFile::new("x.sql", sql.as_bytes().to_vec(), None);
        let lexed = lex(sql);
        lexed
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Sql { tokens, .. } => Some(analyze(&src, sql, &lexed.tokens[tokens.clone()])),
                _ => None,
            })
            .collect()
    }

    fn actions(sql: &str) -> Vec<Action> {
        match ddl(sql).remove(0) {
            Some(Ddl::AlterTable { actions }) => actions,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn add_column_facts() {
        let a = actions("ALTER TABLE public.orders ADD COLUMN note text NOT NULL, ADD IF NOT EXISTS token uuid DEFAULT gen_random_uuid(), add n int default 0 not null;");
        assert_eq!(a.len(), 3);
        assert!(matches!(&a[0], Action::AddColumn { column, not_null: true, default: None, .. } if column == "note"));
        assert!(matches!(&a[1], Action::AddColumn { column, not_null: false, default: Some(Default { volatile: true, .. }), .. } if column == "token"));
        assert!(matches!(&a[2], Action::AddColumn { column, not_null: true, default: Some(Default { volatile: false, text, .. }), .. } if column == "n" && text == "0"));
        let a = actions("ALTER TABLE o ADD COLUMN created timestamptz DEFAULT now(), ADD COLUMN id bigserial, ADD COLUMN c int REFERENCES x (id);");
        assert!(matches!(&a[0], Action::AddColumn { default: Some(Default { volatile: false, .. }), computed: false, .. }));
        assert!(matches!(&a[1], Action::AddColumn { computed: true, .. }));
        assert!(matches!(&a[2], Action::AddColumn { references: true, .. }));
    }

    #[test]
    fn constraints_types_and_not_null() {
        let a = actions(
            "ALTER TABLE ONLY orders ADD CONSTRAINT c1 CHECK (total >= 0), ADD CONSTRAINT fk FOREIGN KEY (customer) REFERENCES customers (id) NOT VALID, \
             ADD CONSTRAINT nn CHECK (\"Status\" IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT nn, ALTER COLUMN status TYPE varchar(8), \
             ALTER \"Status\" SET NOT NULL, ALTER COLUMN x SET DATA TYPE text, ALTER COLUMN y DROP DEFAULT, DROP CONSTRAINT IF EXISTS old;",
        );
        assert!(matches!(&a[0], Action::AddConstraint { kind: ConstraintKind::Check, not_valid: false, name: Some(n), .. } if n == "c1"));
        assert!(matches!(&a[1], Action::AddConstraint { kind: ConstraintKind::ForeignKey, not_valid: true, .. }));
        assert!(matches!(&a[2], Action::AddConstraint { not_null_check: Some(c), not_valid: true, .. } if c == "Status"));
        assert!(matches!(&a[3], Action::ValidateConstraint { name } if name == "nn"));
        assert!(matches!(&a[4], Action::AlterType { column, .. } if column == "status"));
        assert!(matches!(&a[5], Action::SetNotNull { column, .. } if column == "Status"));
        assert!(matches!(&a[6], Action::AlterType { column, .. } if column == "x"));
        assert!(matches!(&a[7], Action::AlterColumnOther { column, nullable_or_default: true, .. } if column == "y"));
        assert!(matches!(&a[8], Action::DropConstraint { name, .. } if name == "old"));
        let b = actions("ALTER TABLE o ALTER COLUMN a SET STATISTICS 500, ALTER b SET STORAGE EXTERNAL, ALTER c DROP NOT NULL, ALTER d SET DEFAULT 1;");
        let flags: Vec<bool> = b.iter().map(|x| matches!(x, Action::AlterColumnOther { nullable_or_default: true, .. })).collect();
        assert_eq!(flags, [false, false, true, true]);
    }

    #[test]
    fn create_index_and_others() {
        assert_eq!(ddl("CREATE INDEX i ON t (a);")[0], Some(Ddl::CreateIndex { concurrently: false, unique: false }));
        assert_eq!(ddl("create unique index concurrently i on t (a);")[0], Some(Ddl::CreateIndex { concurrently: true, unique: true }));
        assert_eq!(ddl("CREATE TABLE t (a int);")[0], None);
        assert_eq!(ddl("ALTER TABLE")[0], Some(Ddl::AlterTable { actions: vec![] }));
        // Never panics on junk.
        for s in ["ALTER TABLE t ADD", "ALTER TABLE t ADD COLUMN", "ALTER TABLE t ALTER", "ALTER TABLE t ADD c int DEFAULT", "ALTER TABLE t ADD CONSTRAINT", "ALTER TABLE t ((((", "ALTER TABLE t ))) ,,, ;"] {
            let _ = ddl(s);
        }
    }
}
