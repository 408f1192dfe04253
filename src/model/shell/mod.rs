//! Shell scripts (entrypoint.sh, scripts/*.sh) as commands with spans.
//!
//! Not a full shell parser: a single linear pass of a lexer that knows what a
//! linter needs to get right so that it never misreads a script — quotes
//! (`'…'`, `"…"`), `$(…)`, `${…}`, backticks, `\` escapes and line
//! continuations, comments, heredocs (`<<EOF`, `<<-EOF`, `<<'EOF'`: bodies
//! are skipped), redirections (their targets are not words), the command
//! separators `; & && || | |&` and newlines, and the nesting of compound
//! commands (`if … fi`, `while/until/for … done`, `case … esac`, `{ … }`,
//! `( … )`, function bodies). Each simple command keeps its words with the
//! quotes removed and byte ranges into the text.
//!
//! The same lexer splits a Dockerfile `RUN` into commands
//! ([`crate::model::dockerfile`]).
//!
//! On top of it, [`Script`] answers the questions of the `scripts/*` rules:
//! is strict mode on ([`Script::strict_mode`]) and which boot steps the
//! entrypoint runs, in which order ([`Script::boot_steps`]).
//!
//! The parts: `lex` (the lexer, shared with the Dockerfile model) and
//! `script` (the script model).

mod lex;
mod script;
#[cfg(test)]
mod tests;

pub use lex::*;
pub use script::*;
