//! Option parsing, getopt style: each tool's busybox option string as a
//! [`Spec`], the options a command line uses that it does not accept.

use super::words::{literal, sub_span};
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

/// What an applet accepts.
pub(super) struct Spec {
    pub(super) tool: &'static str,
    /// Short options without an argument.
    pub(super) flags: &'static str,
    /// Short options with a required argument (attached or the next word).
    pub(super) with_arg: &'static str,
    /// Short options with an optional argument, attached only.
    pub(super) opt_arg: &'static str,
    /// Long options (name, takes a required argument).
    pub(super) long: &'static [(&'static str, bool)],
    /// Stop at the first operand (`+` in the option string, or POSIX awk).
    pub(super) stop_at_operand: bool,
}

/// An option busybox rejects: the word and where in it.
pub(super) struct BadOption<'a> {
    pub(super) word: &'a Word,
    /// Byte offset of the option in the word's text, and its length.
    pub(super) at: usize,
    pub(super) len: usize,
    /// `-z` or `--null-data` as written (without `=value`).
    pub(super) name: String,
}

/// Parsed arguments: rejected options, `(option, value)` pairs, operands.
pub(super) struct Parsed<'a> {
    pub(super) bad: Vec<BadOption<'a>>,
    pub(super) values: Vec<(String, &'a Word, usize)>,
    pub(super) operands: Vec<usize>,
}

pub(super) fn parse_opts<'a>(spec: &Spec, args: &'a [Word]) -> Parsed<'a> {
    let mut p = Parsed { bad: Vec::new(), values: Vec::new(), operands: Vec::new() };
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        if t == "--" {
            p.operands.extend(k + 1..args.len());
            break;
        }
        if !t.starts_with('-') || t == "-" || !literal(w) {
            p.operands.push(k);
            if spec.stop_at_operand {
                p.operands.extend(k + 1..args.len());
                break;
            }
            k += 1;
            continue;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            match spec.long.iter().find(|(n, _)| *n == name) {
                Some((_, true)) => {
                    if value.is_some() {
                        p.values.push((format!("--{name}"), w, 2 + name.len() + 1));
                    } else if let Some(v) = args.get(k + 1) {
                        p.values.push((format!("--{name}"), v, 0));
                        k += 1;
                    }
                }
                Some((_, false)) => {}
                None => p.bad.push(BadOption { word: w, at: 0, len: 2 + name.len(), name: format!("--{name}") }),
            }
            k += 1;
            continue;
        }
        // A cluster of short options: `-nE`, `-i.bak`, `-e'cmd'`.
        let mut consumed_next = false;
        for (i, ch) in t.char_indices().skip(1) {
            if spec.flags.contains(ch) {
                continue;
            }
            if spec.opt_arg.contains(ch) {
                if i + 1 < t.len() {
                    p.values.push((format!("-{ch}"), w, i + 1));
                }
                break;
            }
            if spec.with_arg.contains(ch) {
                if i + ch.len_utf8() < t.len() {
                    p.values.push((format!("-{ch}"), w, i + ch.len_utf8()));
                } else if let Some(v) = args.get(k + 1) {
                    p.values.push((format!("-{ch}"), v, 0));
                    consumed_next = true;
                }
                break;
            }
            // `-P` as a whole; in a cluster (`-nz`) just the letter.
            let (at, len) = if i == 1 { (0, 1 + ch.len_utf8()) } else { (i, ch.len_utf8()) };
            p.bad.push(BadOption { word: w, at, len, name: format!("-{ch}") });
            break; // getopt stops at the first unknown option
        }
        k += if consumed_next { 2 } else { 1 };
    }
    p
}

pub(super) fn report_bad(spec: &Spec, bad: &[BadOption], src: &SourceFile, out: &mut Vec<Hit>, help: &dyn Fn(&str) -> Option<String>) {
    for b in bad {
        let tool = spec.tool;
        let message = format!(
            "`{tool} {}` is GNU-only: busybox {tool} (Alpine's) rejects it, so this fails in the image",
            b.name
        );
        let help = help(&b.name).unwrap_or_else(|| format!("use only options busybox {tool} has (`busybox {tool} --help`), or install GNU {tool} in the Dockerfile's `apk add`"));
        out.push(Hit { span: sub_span(src, b.word, b.at, b.len), message, help });
    }
}
