//! The Dockerfile as a list of instructions with 1-based spans, parsed once
//! (the hadolint shape): parser directives at the top (`# syntax=`,
//! `# escape=`), comments, line continuations (`\` or the escape
//! directive's character; comment and blank lines inside a continuation are
//! dropped as BuildKit drops them), flags (`--chown=`, `--from=` …),
//! exec-form JSON arrays vs shell form, and heredocs (`<<EOF` … `EOF`,
//! `<<-EOF`) on `RUN`/`COPY`/`ADD`, whose bodies belong to the instruction.
//!
//! Parse errors (unknown instruction, malformed exec-form JSON, an
//! unterminated heredoc or continuation at the end of the file, a bad
//! escape directive) are data in [`Dockerfile::errors`]; the parser never
//! panics and is linear in the file size.

use crate::finding::{parse_pragma, Span, Suppression};
use crate::model::shell;
use crate::source::SourceFile;

/// Every instruction Docker knows.
pub const KEYWORDS: &[&str] = &[
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-case: `syntax`, `escape`, `check`.
    pub name: String,
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

/// `--name=value` (or `--name`) before an instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub span: Span,
}

/// One argument, quotes removed, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    pub strip_tabs: bool,
    /// The body's text (delimiter line excluded) and its byte offset in the file.
    pub body: String,
    pub body_offset: usize,
    /// Body and delimiter line.
    pub span: Span,
    /// False when the file ended before the delimiter.
    pub terminated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword as written (`FORM` stays `FORM`; it is a parse error).
    pub keyword: String,
    pub keyword_span: Span,
    /// The whole instruction: continuation lines and heredoc bodies included.
    pub span: Span,
    pub first_line: u32,
    pub last_line: u32,
    pub flags: Vec<Flag>,
    /// The arguments after the flags, continuations joined (the escape
    /// character and line break removed, comment lines inside dropped).
    pub args: String,
    pub args_span: Span,
    /// The arguments split like a shell would (quotes removed).
    pub words: Vec<Arg>,
    /// `Some` for exec form: a valid JSON array of strings.
    pub exec: Option<Vec<String>>,
    pub heredocs: Vec<Heredoc>,
    /// A shell-form `RUN`'s commands (see [`Instruction::shell_commands`]).
    run_commands: Vec<RunCommand>,
    /// (logical offset in `args`, byte offset in the file) at each joined piece.
    segments: Vec<(usize, usize)>,
}

impl Instruction {
    pub fn is(&self, keyword: &str) -> bool {
        self.keyword == keyword
    }

    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The byte offset in the file of a byte offset in `args`.
    pub fn source_offset(&self, logical: usize) -> usize {
        source_offset(&self.segments, logical, self.args_span.offset)
    }

    /// The shell commands of a shell-form `RUN` (its heredoc bodies
    /// included), each with its words and its span; empty otherwise.
    pub fn shell_commands(&self) -> &[RunCommand] {
        &self.run_commands
    }
}

/// One shell command of a `RUN`: its words (quotes removed) and its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCommand {
    pub words: Vec<Arg>,
    pub span: Span,
}

/// Lexes a shell-form `RUN` into commands, mapping offsets back to the file.
fn run_commands(sp: &SourceFile, args: &str, segments: &[(usize, usize)], heredocs: &[Heredoc]) -> Vec<RunCommand> {
    let map = |logical: usize| source_offset(segments, logical, 0);
    let mut out = Vec::new();
    for c in shell::lex(args).commands {
        let words = c.words.iter().map(|w| Arg { text: w.text.clone(), span: sp.span(map(w.start), map(w.end)) }).collect();
        out.push(RunCommand { words, span: sp.span(map(c.start), map(c.end)) });
    }
    for h in heredocs {
        for c in shell::lex(&h.body).commands {
            let words = c
                .words
                .iter()
                .map(|w| Arg { text: w.text.clone(), span: sp.span(h.body_offset + w.start, h.body_offset + w.end) })
                .collect();
            out.push(RunCommand { words, span: sp.span(h.body_offset + c.start, h.body_offset + c.end) });
        }
    }
    out
}

fn source_offset(segments: &[(usize, usize)], logical: usize, default: usize) -> usize {
    let k = match segments.binary_search_by(|(l, _)| l.cmp(&logical)) {
        Ok(k) => k,
        Err(0) => 0,
        Err(k) => k - 1,
    };
    match segments.get(k) {
        Some((l, s)) => s + logical.saturating_sub(*l),
        None => default,
    }
}

/// An image reference `[registry/]repo[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(s: &str) -> ImageRef {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        let slash = rest.rfind('/').map(|p| p + 1).unwrap_or(0);
        let (repository, tag) = match rest[slash..].rfind(':') {
            Some(p) => (rest[..slash + p].to_string(), Some(rest[slash + p + 1..].to_string())),
            None => (rest.to_string(), None),
        };
        ImageRef { repository, tag, digest }
    }

    /// `directus/directus`, also spelt with Docker Hub's registry prefix.
    pub fn is_directus(&self) -> bool {
        let r = self.repository.to_ascii_lowercase();
        let r = r.strip_prefix("docker.io/").or_else(|| r.strip_prefix("index.docker.io/")).unwrap_or(&r);
        r == "directus/directus"
    }
}

/// `X.Y.Z`, digits only.
pub fn is_exact_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `sha256:` and 64 lower-case hex digits.
pub fn is_valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A build stage: its `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Index of the `FROM` in `instructions`.
    pub from: usize,
    /// One past the stage's last instruction.
    pub end: usize,
    /// `FROM image AS name`.
    pub name: Option<String>,
    /// The image (or earlier stage) it starts from.
    pub base: Option<Arg>,
}

#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub path: String,
    pub suppressions: Vec<Suppression>,
    pub directives: Vec<Directive>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub errors: Vec<ParseError>,
}

impl Dockerfile {
    pub fn parse(src: &SourceFile) -> Dockerfile {
        Parser::new(src).run()
    }

    /// The build stages, in order.
    pub fn stages(&self) -> Vec<Stage> {
        let mut out: Vec<Stage> = Vec::new();
        for (i, ins) in self.instructions.iter().enumerate() {
            if ins.is("FROM") {
                if let Some(last) = out.last_mut() {
                    last.end = i;
                }
                let name = match ins.words.as_slice() {
                    [_, as_, name, ..] if as_.text.eq_ignore_ascii_case("as") => Some(name.text.to_ascii_lowercase()),
                    _ => None,
                };
                out.push(Stage { from: i, end: self.instructions.len(), name, base: ins.words.first().cloned() });
            }
        }
        out
    }

    /// The stages the final image is made of: the last stage and the
    /// earlier stages it is built `FROM`, root first.
    pub fn final_chain(&self) -> Vec<Stage> {
        let stages = self.stages();
        let mut chain: Vec<Stage> = Vec::new();
        let Some(mut cur) = stages.len().checked_sub(1) else { return chain };
        loop {
            chain.push(stages[cur].clone());
            let base = stages[cur].base.as_ref().map(|b| b.text.to_ascii_lowercase());
            let parent = base.and_then(|b| stages[..cur].iter().rposition(|s| s.name.as_deref() == Some(b.as_str())));
            match parent {
                Some(p) if chain.len() <= stages.len() => cur = p,
                _ => break,
            }
        }
        chain.reverse();
        chain
    }

    /// The instructions of the final image (see [`Dockerfile::final_chain`]), in order.
    pub fn final_instructions(&self) -> Vec<&Instruction> {
        self.final_chain().iter().flat_map(|s| self.instructions[s.from..s.end].iter()).collect()
    }

    /// The `FROM` the final image starts from (the root of the final chain):
    /// its instruction and image argument.
    pub fn final_base(&self) -> Option<(&Instruction, &Arg)> {
        let root = self.final_chain().into_iter().next()?;
        let ins = self.instructions.get(root.from)?;
        Some((ins, ins.words.first()?))
    }

    /// The Directus version the image is pinned to: the tag of
    /// `FROM directus/directus:X.Y.Z[@sha256:…]` that the final image
    /// starts from, and the span of that tag. None when the base is not
    /// Directus or not pinned to an exact `X.Y.Z` (`dockerfile/unpinned-base`
    /// reports that).
    pub fn directus_pin(&self) -> Option<(String, Span)> {
        let (_, arg) = self.final_base()?;
        let r = ImageRef::parse(&arg.text);
        let tag = r.tag.clone().filter(|t| r.is_directus() && is_exact_version(t))?;
        let span = sub_span(arg, &tag).unwrap_or(arg.span);
        Some((tag, span))
    }
}

/// The span of `needle` inside `arg` when the argument is written plainly
/// on one line (no quotes or continuations inside).
fn sub_span(arg: &Arg, needle: &str) -> Option<Span> {
    if arg.span.line != arg.span.end_line || arg.span.len != arg.text.len() {
        return None;
    }
    let p = arg.text.find(needle)?;
    let chars_before = arg.text[..p].chars().count() as u32;
    let n = needle.chars().count() as u32;
    Some(Span {
        line: arg.span.line,
        col: arg.span.col + chars_before,
        end_line: arg.span.line,
        end_col: arg.span.col + chars_before + n,
        offset: arg.span.offset + p,
        len: needle.len(),
    })
}

/// Joined logical text of an instruction with its source mapping.
struct Logical {
    text: String,
    /// (offset in text, offset in file) at the start of each piece.
    segments: Vec<(usize, usize)>,
}

impl Logical {
    fn src(&self, logical: usize) -> usize {
        let k = match self.segments.binary_search_by(|(l, _)| l.cmp(&logical)) {
            Ok(k) => k,
            Err(0) => 0,
            Err(k) => k - 1,
        };
        self.segments.get(k).map(|(l, s)| s + logical.saturating_sub(*l)).unwrap_or(0)
    }
}

struct Parser<'a> {
    src: &'a SourceFile,
    sp: &'a SourceFile,
    text: &'a str,
    /// Start offsets of the lines.
    lines: Vec<usize>,
    escape: char,
    out: Dockerfile,
}

impl<'a> Parser<'a> {
    fn new(src: &'a SourceFile) -> Parser<'a> {
        let text = src.text_or_empty();
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if lines.last() == Some(&text.len()) && text.len() > 0 {
            lines.pop();
        }
        if text.is_empty() {
            lines.clear();
        }
        // Docker's parser (moby/buildkit's, the classic builder's too) drops a UTF-8
        // byte-order mark at the start of the file: the first line starts after it.
        if text.starts_with('\u{feff}') {
            lines[0] = '\u{feff}'.len_utf8();
        }
        Parser {
            src,
            sp: src,
            text,
            lines,
            escape: '\\',
            out: Dockerfile {
                path: src.path.clone(),
                suppressions: Vec::new(),
                directives: Vec::new(),
                escape: '\\',
                instructions: Vec::new(),
                errors: Vec::new(),
            },
        }
    }

    /// Line `k`'s text, without the line break (and a trailing `\r`).
    fn line(&self, k: usize) -> (usize, &'a str) {
        let start = self.lines[k];
        let end = self.lines.get(k + 1).map(|e| e - 1).unwrap_or(self.text.len());
        let l = &self.text[start..end.max(start)];
        let l = l.strip_suffix('\n').unwrap_or(l);
        (start, l.strip_suffix('\r').unwrap_or(l))
    }

    fn error(&mut self, message: impl Into<String>, start: usize, end: usize) {
        let span = self.sp.span(start, end);
        self.out.errors.push(ParseError { message: message.into(), span });
    }

    fn run(mut self) -> Dockerfile {
        let mut k = 0;
        // Parser directives: `# name=value` lines at the very top.
        let mut seen_directive = std::collections::HashSet::new();
        while k < self.lines.len() {
            let (start, line) = self.line(k);
            let Some((name, value)) = directive(line) else { break };
            let lname = name.to_ascii_lowercase();
            if !matches!(lname.as_str(), "syntax" | "escape" | "check") {
                break; // an unknown directive is a comment, and ends the directives
            }
            let span = self.sp.span(start, start + line.len());
            if !seen_directive.insert(lname.clone()) {
                self.error(format!("parser directive `{lname}` given twice"), start, start + line.len());
            } else if lname == "escape" {
                match value {
                    "\\" => self.escape = '\\',
                    "`" => self.escape = '`',
                    v => self.error(format!("invalid escape directive `{v}`: must be `\\` or a backtick"), start, start + line.len()),
                }
            }
            self.out.directives.push(Directive { name: lname, value: value.to_string(), span });
            k += 1;
        }
        self.out.escape = self.escape;

        let mut pragmas: Vec<(Span, Vec<String>, String)> = Vec::new();
        while k < self.lines.len() {
            let (start, line) = self.line(k);
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                k += 1;
                continue;
            }
            if let Some(comment) = trimmed.strip_prefix('#') {
                if let Some((rules, reason)) = parse_pragma(comment) {
                    let at = start + (line.len() - trimmed.len());
                    pragmas.push((self.sp.span(at, start + line.len()), rules, reason));
                }
                k += 1;
                continue;
            }
            let first_line = k;
            k = self.instruction(k);
            let idx = self.out.instructions.len() - 1;
            let ins = &self.out.instructions[idx];
            for (span, rules, reason) in pragmas.drain(..) {
                self.out.suppressions.push(Suppression {
                    file: self.src.path.clone(),
                    span,
                    rules,
                    reason,
                    first_line: ins.first_line,
                    last_line: ins.last_line,
                });
            }
            debug_assert!(k > first_line);
        }
        // Only ARG (and parser directives) may come before the first FROM.
        let first_from = self.out.instructions.iter().position(|i| i.is("FROM"));
        let before = first_from.unwrap_or(self.out.instructions.len());
        if let Some(ins) = self.out.instructions[..before].iter().find(|i| !i.is("ARG") && KEYWORDS.contains(&i.keyword.as_str())) {
            let message = match first_from {
                Some(_) => format!("`{}` comes before the first `FROM`: only `ARG` may", ins.keyword),
                None => format!("`{}` without any `FROM`: a Dockerfile must start its stage with `FROM`", ins.keyword),
            };
            self.out.errors.push(ParseError { message, span: ins.keyword_span });
        }
        if self.out.instructions.is_empty() && self.src.text().is_ok() {
            let span = self.sp.span(0, 0);
            self.out.errors.push(ParseError { message: "the Dockerfile has no instructions".into(), span });
        }
        // Pragmas with nothing after them cover nothing (reported unused).
        for (span, rules, reason) in pragmas {
            self.out.suppressions.push(Suppression {
                file: self.src.path.clone(),
                span,
                rules,
                reason,
                first_line: span.line + 1,
                last_line: span.line + 1,
            });
        }
        self.out
    }

    /// Parses the instruction starting on line `k`; returns the next line.
    fn instruction(&mut self, mut k: usize) -> usize {
        let esc = self.escape;
        let mut logical = Logical { text: String::new(), segments: Vec::new() };
        let first_line = k;
        let mut last_content_end;
        loop {
            let (start, line) = self.line(k);
            let body = line.trim_end();
            last_content_end = start + body.len();
            k += 1;
            if let Some(stripped) = body.strip_suffix(esc) {
                logical.segments.push((logical.text.len(), start));
                logical.text.push_str(stripped);
                // Skip comment and blank lines inside the continuation.
                while k < self.lines.len() {
                    let (_, l) = self.line(k);
                    let t = l.trim_start();
                    if t.is_empty() || t.starts_with('#') {
                        k += 1;
                    } else {
                        break;
                    }
                }
                if k >= self.lines.len() {
                    let at = start + stripped.len();
                    self.error(
                        format!("the file ends inside a line continuation (`{esc}` at the end of the last instruction line)"),
                        at,
                        at + esc.len_utf8(),
                    );
                    break;
                }
            } else {
                logical.segments.push((logical.text.len(), start));
                logical.text.push_str(body);
                break;
            }
        }
        let last_line = k - 1;

        // Keyword.
        let t = &logical.text;
        let lead = t.len() - t.trim_start().len();
        let kw_end = t[lead..].find(char::is_whitespace).map(|p| lead + p).unwrap_or(t.len());
        let keyword = t[lead..kw_end].to_ascii_uppercase();
        let keyword_span = self.sp.span(logical.src(lead), logical.src(kw_end));
        if !KEYWORDS.contains(&keyword.as_str()) {
            let shown: String = t[lead..kw_end].chars().take(40).collect();
            let hint = suggest(&keyword).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
            self.out.errors.push(ParseError { message: format!("unknown instruction `{shown}`{hint}"), span: keyword_span });
        }

        // Flags.
        let mut pos = kw_end;
        let mut flags = Vec::new();
        let takes_flags = matches!(keyword.as_str(), "FROM" | "RUN" | "COPY" | "ADD" | "HEALTHCHECK");
        loop {
            let rest = &t[pos..];
            let ws = rest.len() - rest.trim_start().len();
            pos += ws;
            if !takes_flags || !t[pos..].starts_with("--") {
                break;
            }
            let end = t[pos..].find(char::is_whitespace).map(|p| pos + p).unwrap_or(t.len());
            let f = &t[pos + 2..end];
            let (name, value) = match f.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (f.to_string(), None),
            };
            flags.push(Flag { name, value, span: self.sp.span(logical.src(pos), logical.src(end)) });
            pos = end;
        }
        let args_start = pos;
        let args = t[args_start..].trim_end().to_string();
        let args_span = self.sp.span(logical.src(args_start), logical.src(args_start + args.len()));
        let segments: Vec<(usize, usize)> = logical
            .segments
            .iter()
            .map(|(l, s)| (l.saturating_sub(args_start), if *l < args_start { s + (args_start - l) } else { *s }))
            .collect();
        // The segments before args_start collapse onto 0: keep the last one there.
        let segments = {
            let mut v: Vec<(usize, usize)> = Vec::new();
            for (l, s) in segments {
                if v.last().map(|(pl, _)| *pl) == Some(l) {
                    v.pop();
                }
                v.push((l, s));
            }
            v
        };
        if args.is_empty() && !matches!(keyword.as_str(), "MAINTAINER") && KEYWORDS.contains(&keyword.as_str()) {
            self.out.errors.push(ParseError { message: format!("`{keyword}` needs arguments"), span: keyword_span });
        }

        // Exec form.
        let mut exec = None;
        let json_part: Option<(usize, &str)> = if keyword == "HEALTHCHECK" {
            let a = args.trim_start();
            if a.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("CMD")) {
                let after = &a[3..];
                let p = args.len() - after.trim_start().len();
                Some((p, &args[p..]))
            } else {
                None
            }
        } else if matches!(keyword.as_str(), "RUN" | "CMD" | "ENTRYPOINT" | "SHELL") {
            Some((0, &args[..]))
        } else {
            None
        };
        if let Some((off, j)) = json_part {
            if j.starts_with('[') {
                match serde_json::from_str::<Vec<String>>(j) {
                    Ok(v) => exec = Some(v),
                    Err(e) => {
                        let at = args_start + off;
                        let span = self.sp.span(logical.src(at), logical.src(at + j.len()));
                        self.out.errors.push(ParseError {
                            message: format!(
                                "`{keyword}` looks like exec form but is not a JSON array of strings ({e}); Docker would run it through /bin/sh -c"
                            ),
                            span,
                        });
                    }
                }
            } else if keyword == "SHELL" {
                let span = args_span;
                self.out.errors.push(ParseError { message: "`SHELL` must be a JSON array, e.g. `SHELL [\"/bin/bash\", \"-c\"]`".into(), span });
            }
        }

        // Words.
        let words = split_words(&args, esc)
            .into_iter()
            .map(|(text, s, e)| Arg { text, span: self.sp.span(logical.src(args_start + s), logical.src(args_start + e)) })
            .collect();

        // Heredocs (RUN, COPY, ADD), read from the lines that follow.
        let mut heredocs = Vec::new();
        let mut end = last_content_end;
        let mut next = k;
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") && args.contains("<<") {
            let lexed = shell::lex(&args);
            for h in lexed.pending_heredocs {
                let body_offset = self.lines.get(next).copied().unwrap_or(self.text.len());
                match shell::find_heredoc_end(self.text, body_offset, &h.delimiter, h.strip_tabs) {
                    Some(after) => {
                        let delim_line_start = self.text[..after].trim_end_matches('\n').rfind('\n').map(|p| p + 1).unwrap_or(0);
                        let body_end = delim_line_start.max(body_offset);
                        heredocs.push(Heredoc {
                            delimiter: h.delimiter,
                            strip_tabs: h.strip_tabs,
                            body: self.text[body_offset..body_end].to_string(),
                            body_offset,
                            span: self.sp.span(body_offset, self.text[..after].trim_end().len().max(body_offset)),
                            terminated: true,
                        });
                        end = self.text[..after].trim_end().len().max(end);
                        next = match self.lines.binary_search(&after) {
                            Ok(i) => i,
                            Err(i) => i,
                        };
                    }
                    None => {
                        let at = logical.src(args_start + h.at);
                        self.error(format!("heredoc `<<{}` is never terminated: no line `{}` follows", h.delimiter, h.delimiter), at, at + 2);
                        heredocs.push(Heredoc {
                            delimiter: h.delimiter,
                            strip_tabs: h.strip_tabs,
                            body: self.text[body_offset..].to_string(),
                            body_offset,
                            span: self.sp.span(body_offset, self.text.len()),
                            terminated: false,
                        });
                        end = self.text.trim_end().len().max(end);
                        next = self.lines.len();
                        break; // the rest of the file is this body: later heredocs have none
                    }
                }
            }
        }

        let run_commands =
            if keyword == "RUN" && exec.is_none() { run_commands(self.sp, &args, &segments, &heredocs) } else { Vec::new() };
        let start = logical.src(lead);
        let span = self.sp.span(start, end.max(start));
        let first = first_line as u32 + 1;
        let last = (span.end_line).max(last_line as u32 + 1);
        self.out.instructions.push(Instruction {
            keyword,
            keyword_span,
            span,
            first_line: first,
            last_line: last,
            flags,
            args,
            args_span,
            words,
            exec,
            heredocs,
            run_commands,
            segments,
        });
        next
    }
}

/// `# name=value` (a parser directive's shape).
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((name, value.trim()))
}

/// A known keyword one typo away (for the unknown-instruction message).
fn suggest(word: &str) -> Option<&'static str> {
    KEYWORDS.iter().copied().find(|k| edit_distance_at_most_one(k, word) || (k.len() == word.len() && same_letters(k, word)))
}

fn same_letters(a: &str, b: &str) -> bool {
    let mut x: Vec<u8> = a.bytes().collect();
    let mut y: Vec<u8> = b.bytes().collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

fn edit_distance_at_most_one(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 || b.len() > 64 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        if a.len() > b.len() {
            i += 1;
        } else if a.len() < b.len() {
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

/// Splits arguments on blanks, honouring quotes and the escape character.
/// Returns (text without quotes, start, end) with byte offsets into `s`.
fn split_words(s: &str, esc: char) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, usize)> = None;
    let mut quote: Option<char> = None;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == esc && q == '"' {
                if let Some((_, n)) = it.next() {
                    if let Some((w, _)) = cur.as_mut() {
                        w.push(n);
                    }
                }
            } else if let Some((w, _)) = cur.as_mut() {
                w.push(c);
            }
            continue;
        }
        if c.is_whitespace() {
            if let Some((w, st)) = cur.take() {
                out.push((w, st, i));
            }
            continue;
        }
        let (w, _) = cur.get_or_insert_with(|| (String::new(), i));
        if c == '"' || c == '\'' {
            quote = Some(c);
        } else if c == esc {
            if let Some((_, n)) = it.next() {
                w.push(n);
            }
        } else {
            w.push(c);
        }
    }
    if let Some((w, st)) = cur.take() {
        out.push((w, st, s.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::test_soup::soup;
    use super::*;

    fn df(t: &str) -> Dockerfile {
        Dockerfile::parse(&SourceFile::new("Dockerfile", t.as_bytes().to_vec(), None))
    }

    const REAL: &str = "# syntax=docker/dockerfile:1\n# a comment\nFROM directus/directus:11.17.4\nUSER root\nRUN apk add --no-cache \\\n    # the client\n    postgresql16-client bash coreutils\nUSER node\nCOPY --chown=node:node scripts/ /directus/scripts/\nHEALTHCHECK --interval=5s --timeout=3s \\\n  CMD wget -qO- \"http://127.0.0.1:${PORT:-8055}/server/ping\" || exit 1\nENTRYPOINT [\"/directus/entrypoint.sh\"]\n";

    /// A byte-order mark is what Docker drops: the same instructions, the directive kept.
    #[test]
    fn a_leading_byte_order_mark_is_dropped_as_docker_does() {
        let plain = df(REAL);
        let bom = df(&format!("\u{feff}{REAL}"));
        assert!(bom.errors.is_empty(), "{:?}", bom.errors);
        assert_eq!(bom.directives.len(), 1);
        let kws = |d: &Dockerfile| d.instructions.iter().map(|i| (i.keyword.clone(), i.args.clone(), i.first_line)).collect::<Vec<_>>();
        assert_eq!(kws(&bom), kws(&plain));
        let first = df("\u{feff}FROM directus/directus:11.17.4\n");
        assert!(first.errors.is_empty(), "{:?}", first.errors);
        assert_eq!(first.instructions[0].keyword, "FROM");
    }

    #[test]
    fn parses_instructions_with_lines_flags_and_forms() {
        let d = df(REAL);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.directives.len(), 1);
        let kws: Vec<(&str, u32, u32)> = d.instructions.iter().map(|i| (i.keyword.as_str(), i.first_line, i.last_line)).collect();
        assert_eq!(
            kws,
            vec![("FROM", 3, 3), ("USER", 4, 4), ("RUN", 5, 7), ("USER", 8, 8), ("COPY", 9, 9), ("HEALTHCHECK", 10, 11), ("ENTRYPOINT", 12, 12)]
        );
        let run = &d.instructions[2];
        assert_eq!(run.args, "apk add --no-cache     postgresql16-client bash coreutils");
        let cmds = run.shell_commands();
        assert_eq!(cmds[0].words.last().map(|a| (a.text.as_str(), a.span.line, a.span.col)), Some(("coreutils", 7, 30)));
        let copy = &d.instructions[4];
        assert_eq!(copy.flag("chown").and_then(|f| f.value.as_deref()), Some("node:node"));
        assert_eq!(copy.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), vec!["scripts/", "/directus/scripts/"]);
        assert_eq!(d.instructions[6].exec, Some(vec!["/directus/entrypoint.sh".to_string()]));
        let (pin, span) = d.directus_pin().unwrap();
        assert_eq!((pin.as_str(), span.line, span.col, span.end_col), ("11.17.4", 3, 24, 31));
    }

    #[test]
    fn errors_are_data() {
        let d = df("FORM alpine\nCMD [\"a\",]\nRUN <<EOF\necho hi\n");
        let msgs: Vec<(String, u32)> = d.errors.iter().map(|e| (e.message.clone(), e.span.line)).collect();
        assert!(msgs[0].0.contains("unknown instruction `FORM`") && msgs[0].0.contains("FROM"), "{msgs:?}");
        assert_eq!(msgs[1].1, 2);
        assert!(msgs[2].0.contains("never terminated") && msgs[2].1 == 3, "{msgs:?}");
        let d = df("FROM a \\\n");
        assert!(d.errors[0].message.contains("continuation"));
    }

    #[test]
    fn heredocs_belong_to_the_instruction() {
        let d = df("FROM a\nRUN <<EOF\napk add x\nUSER root\nEOF\nUSER node\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let kws: Vec<(&str, u32, u32)> = d.instructions.iter().map(|i| (i.keyword.as_str(), i.first_line, i.last_line)).collect();
        assert_eq!(kws, vec![("FROM", 1, 1), ("RUN", 2, 5), ("USER", 6, 6)]);
        assert_eq!(d.instructions[1].heredocs[0].body, "apk add x\nUSER root\n");
    }

    #[test]
    fn escape_directive_and_pragmas() {
        let d = df("# escape=`\nFROM a\n# trm-ci: ignore=dockerfile/env-override needed\nENV A=1 `\n  B=2\nRUN x\n");
        assert_eq!(d.escape, '`');
        assert_eq!(d.instructions[1].args, "A=1   B=2");
        assert_eq!((d.suppressions[0].first_line, d.suppressions[0].last_line), (4, 5));
    }

    #[test]
    fn final_chain_follows_stage_names() {
        let d = df("FROM directus/directus:11.1.0 AS base\nRUN x\nFROM node:22 AS other\nFROM base\nUSER node\n");
        let chain = d.final_chain();
        assert_eq!(chain.len(), 2);
        assert_eq!(d.directus_pin().map(|p| p.0), Some("11.1.0".into()));
        assert_eq!(df("FROM directus/directus:latest\n").directus_pin(), None);
        assert_eq!(df("FROM directus/directus:11.2.3@sha256:abc\n").directus_pin().map(|p| p.0), Some("11.2.3".into()));
    }

    #[test]
    fn never_panics() {
        for t in ["", "\n\n", "\\", "FROM", "RUN [", "RUN <<", "# escape=x\n", "é\\\né", "HEALTHCHECK CMD [", "\r\n\r\nFROM a\r\n", "COPY <<A <<B\nx\nA\n"] {
            let _ = df(t);
        }
        let big = "RUN a \\\n".repeat(20000);
        let d = df(&big);
        assert_eq!(d.instructions.len(), 1);
    }


    #[test]
    fn random_and_pathological_input_never_panics_and_stays_linear() {
        let alphabet = [
            " ", "\n", "\\", "`", "'", "\"", "[", "]", ",", "#", "# escape=`\n", "FROM ", "RUN ", "COPY ", "--chown=", "<<", "<<-",
            "EOF", "x", "é", "HEALTHCHECK ", "CMD ", "AS ", "\r", "=", "ENV ", "ONBUILD ",
        ];
        for seed in 0..300 {
            let d = df(&soup(seed, 200, &alphabet));
            let _ = (d.directus_pin(), d.final_instructions().len());
        }
        for t in [
            "# trm-ci: ignore=a/b x\n".repeat(50_000),
            "RUN a \\\n# c\n\n".repeat(50_000) + "x",
            format!("RUN {}\n", "<<A ".repeat(100_000)),
            "RUN <<EOF\n".repeat(50_000),
            "FROM a AS b\nFROM b AS c\n".repeat(20_000),
            "FORM x\n".repeat(100_000),
        ] {
            let d = df(&t);
            let _ = (d.directus_pin(), d.final_instructions().len());
        }
    }
}
