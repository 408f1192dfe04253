//! Migration files: a lexer that splits SQL into statements with exact byte
//! spans (comments, strings, dollar quotes, psql meta-commands), and a
//! classification of each statement.
//!
//! The lexer follows psql's own splitter (psqlscan.l): a `;` ends a statement
//! only outside quotes, comments and parentheses, and outside the
//! `BEGIN ATOMIC … END` body of a SQL-standard function; a backslash outside
//! quotes starts a meta-command that runs to the end of the line.
//!
//! Classification is by leading keywords, from the tokens, so every statement
//! is classified whatever a parser knows. `sqlparser` (PostgreSqlDialect) is
//! run only where its AST decides a finding: a DELETE / UPDATE that the
//! tokens say has no top-level WHERE is confirmed by the AST (its answer
//! wins where it parses). Running it on every statement would cost about six
//! times the whole model. A syntax error is reported only when it is certain: a lex
//! error (unterminated string, comment, quoted identifier or dollar quote),
//! unbalanced parentheses, or a statement whose first keyword (or the object
//! word after CREATE/ALTER/DROP) is not Postgres's. sqlparser failing is
//! never an error: it does not know all of Postgres.
//!
//! One file per part: [`lex`] (the lexer), `cursor` (reading tokens),
//! `classify` (the statement classes and certain syntax errors), `tables`
//! (table references), `plpgsql` (DO and procedure bodies), `statement` (the
//! model of a statement) and `migration` (a file: its name, statements and
//! pragmas).

mod classify;
mod cursor;
pub mod ddl;
mod lex;
mod migration;
mod plpgsql;
pub mod psql_meta;
mod statement;
mod tables;
#[cfg(test)]
mod tests;

pub use lex::{lex, lex_each, Lexed, Piece, TokKind, Token};
pub use migration::{well_formed_name, Migration};
pub use statement::{Kind, SqlError, Statement, TableName, TableRef, TableRole};
