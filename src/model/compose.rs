//! compose.dev.yaml: services and their `build`/`image` settings with spans.
//!
//! The YAML is read with yaml-rust2's marked event parser into a small node
//! tree (an arena, built without recursion) that keeps every node's
//! position; the compose model is read from that tree. YAML errors — and
//! duplicate mapping keys, which Docker Compose rejects — are data in
//! [`Compose::errors`] with their line and column.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::finding::Span;
use crate::model::shell::Spanner;
use crate::source::SourceFile;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

/// A YAML node in the arena.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Scalar { value: String, span: Span },
    Seq { items: Vec<usize>, span: Span },
    Map { entries: Vec<(usize, usize)>, span: Span },
    /// `*name`: the node the anchor names.
    Alias { target: Option<usize>, span: Span },
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::Scalar { span, .. } | Node::Seq { span, .. } | Node::Map { span, .. } | Node::Alias { span, .. } => *span,
        }
    }
}

/// The parsed YAML document: nodes and the root.
#[derive(Debug, Clone, Default)]
pub struct Yaml {
    pub nodes: Vec<Node>,
    pub root: Option<usize>,
}

impl Yaml {
    /// The node, with an alias followed to its anchor.
    pub fn get(&self, i: usize) -> Option<&Node> {
        match self.nodes.get(i)? {
            Node::Alias { target: Some(t), .. } => self.nodes.get(*t),
            n => Some(n),
        }
    }

    pub fn scalar(&self, i: usize) -> Option<(&str, Span)> {
        match self.get(i)? {
            Node::Scalar { value, span } => Some((value, *span)),
            _ => None,
        }
    }

    /// The entries of a mapping, `<<` merge keys expanded (one level).
    pub fn entries(&self, i: usize) -> Vec<(usize, usize)> {
        let Some(Node::Map { entries, .. }) = self.get(i) else { return Vec::new() };
        let mut out = Vec::new();
        for &(k, v) in entries {
            if self.scalar(k).map(|(s, _)| s) == Some("<<") {
                let merged: Vec<usize> = match self.get(v) {
                    Some(Node::Seq { items, .. }) => items.clone(),
                    _ => vec![v],
                };
                for m in merged {
                    if let Some(Node::Map { entries, .. }) = self.get(m) {
                        out.extend(entries.iter().copied());
                    }
                }
            } else {
                out.push((k, v));
            }
        }
        out
    }

    /// The value of `key` in mapping `i` (the last one written wins, as in YAML merges).
    pub fn lookup(&self, i: usize, key: &str) -> Option<(usize, usize)> {
        let entries = self.entries(i);
        // Explicit keys override merged ones: search explicit entries first.
        if let Some(Node::Map { entries: own, .. }) = self.get(i) {
            if let Some(e) = own.iter().rev().find(|(k, _)| self.scalar(*k).map(|(s, _)| s) == Some(key)) {
                return Some(*e);
            }
        }
        entries.into_iter().rev().find(|(k, _)| self.scalar(*k).map(|(s, _)| s) == Some(key))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// `build: .` or `build: {context: .}`; None when the mapping has no context.
    pub context: Option<(String, Span)>,
    pub dockerfile: Option<(String, Span)>,
    /// `dockerfile_inline:` is set.
    pub inline: bool,
    /// The whole `build` value.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub name_span: Span,
    pub build: Option<Build>,
    pub image: Option<(String, Span)>,
}

#[derive(Debug, Clone)]
pub struct Compose {
    pub path: String,
    pub yaml: Yaml,
    pub errors: Vec<YamlError>,
    /// The `services:` key, when present.
    pub services_key: Option<Span>,
    pub services: Vec<Service>,
}

impl Compose {
    pub fn parse(src: &SourceFile) -> Compose {
        let text = src.text_or_empty();
        let mut b = Builder::new(src);
        let mut parser = Parser::new_from_str(text);
        if let Err(e) = parser.load(&mut b, false) {
            let off = b.offset(e.marker());
            // One character wide where there is one (a caret in the code frame).
            let end = text[off..].chars().next().filter(|c| *c != '\n').map(|c| off + c.len_utf8()).unwrap_or(off);
            let span = b.sp.span(off, end);
            b.errors.push(YamlError { message: e.info().to_string(), span });
        }
        let yaml = Yaml { nodes: b.nodes, root: b.root };
        let mut errors = b.errors;
        errors.sort_by_key(|e| (e.span.line, e.span.col));
        let mut c = Compose { path: src.path.clone(), yaml, errors, services_key: None, services: Vec::new() };
        c.read_services();
        c
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    fn read_services(&mut self) {
        let y = &self.yaml;
        let Some(root) = y.root else { return };
        let Some((k, v)) = y.lookup(root, "services") else { return };
        self.services_key = y.scalar(k).map(|(_, s)| s);
        let mut services = Vec::new();
        for (sk, sv) in y.entries(v) {
            let Some((name, name_span)) = y.scalar(sk) else { continue };
            let image = y.lookup(sv, "image").and_then(|(_, iv)| y.scalar(iv)).map(|(s, sp)| (s.to_string(), sp));
            let build = y.lookup(sv, "build").and_then(|(_, bv)| match y.get(bv)? {
                Node::Scalar { value, span } => {
                    Some(Build { context: Some((value.clone(), *span)), dockerfile: None, inline: false, span: *span })
                }
                Node::Map { span, .. } => {
                    let get = |key: &str| y.lookup(bv, key).and_then(|(_, x)| y.scalar(x)).map(|(s, sp)| (s.to_string(), sp));
                    Some(Build {
                        context: get("context"),
                        dockerfile: get("dockerfile"),
                        inline: y.lookup(bv, "dockerfile_inline").is_some(),
                        span: *span,
                    })
                }
                n => Some(Build { context: None, dockerfile: None, inline: false, span: n.span() }),
            });
            services.push(Service { name: name.to_string(), name_span, build, image });
        }
        self.services = services;
    }
}

enum Open {
    Seq(usize),
    /// The mapping, and the key waiting for its value.
    Map(usize, Option<usize>),
}

struct Builder<'a> {
    sp: Spanner<'a>,
    text: &'a str,
    /// Byte offset of each char when the text is not ASCII.
    char_offsets: Option<Vec<usize>>,
    nodes: Vec<Node>,
    root: Option<usize>,
    stack: Vec<Open>,
    anchors: HashMap<usize, usize>,
    /// Per open mapping: key → its span (duplicate detection).
    keys: Vec<HashMap<String, Span>>,
    errors: Vec<YamlError>,
    done: bool,
}

impl<'a> Builder<'a> {
    fn new(src: &'a SourceFile) -> Builder<'a> {
        let text = src.text_or_empty();
        let char_offsets = if text.is_ascii() { None } else { Some(text.char_indices().map(|(i, _)| i).collect()) };
        Builder {
            sp: Spanner::new(text),
            text,
            char_offsets,
            nodes: Vec::new(),
            root: None,
            stack: Vec::new(),
            anchors: HashMap::new(),
            keys: Vec::new(),
            errors: Vec::new(),
            done: false,
        }
    }

    /// The byte offset of a marker (yaml-rust2 counts characters).
    fn offset(&self, m: &Marker) -> usize {
        let i = m.index();
        match &self.char_offsets {
            None => i.min(self.text.len()),
            Some(v) => v.get(i).copied().unwrap_or(self.text.len()),
        }
    }

    fn scalar_end(&self, start: usize, value: &str, style: TScalarStyle) -> usize {
        let rest = &self.text[start.min(self.text.len())..];
        // Each branch reads only the scalar itself (linear over the file).
        match style {
            TScalarStyle::Plain if rest.starts_with(value) => start + value.len(),
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let q = if matches!(style, TScalarStyle::SingleQuoted) { '\'' } else { '"' };
                let mut esc = false;
                for (i, c) in rest.char_indices().skip(1) {
                    if c == '\n' {
                        return start + i;
                    }
                    if esc {
                        esc = false;
                    } else if c == '\\' && q == '"' {
                        esc = true;
                    } else if c == q {
                        return start + i + 1;
                    }
                }
                start + rest.len()
            }
            _ => start + rest.find('\n').map(|p| rest[..p].trim_end().len()).unwrap_or(rest.trim_end().len()),
        }
    }

    /// Adds a finished node where it belongs (root, sequence item, key or value).
    fn attach(&mut self, idx: usize) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(idx);
                }
            }
            Some(Open::Seq(s)) => {
                let s = *s;
                if let Node::Seq { items, .. } = &mut self.nodes[s] {
                    items.push(idx);
                }
            }
            Some(Open::Map(m, pending)) => match pending.take() {
                None => {
                    *pending = Some(idx);
                    // Duplicate key?
                    if let Node::Scalar { value, span } = &self.nodes[idx] {
                        if let Some(keys) = self.keys.last_mut() {
                            if value != "<<" {
                                if let Some(first) = keys.get(value) {
                                    let message = format!("duplicate key `{value}` (first at line {})", first.line);
                                    self.errors.push(YamlError { message, span: *span });
                                } else {
                                    keys.insert(value.clone(), *span);
                                }
                            }
                        }
                    }
                }
                Some(k) => {
                    let m = *m;
                    if let Node::Map { entries, .. } = &mut self.nodes[m] {
                        entries.push((k, idx));
                    }
                }
            },
        }
    }

    fn close(&mut self, end: usize) {
        let idx = match self.stack.pop() {
            Some(Open::Seq(s)) => s,
            Some(Open::Map(m, _)) => {
                self.keys.pop();
                m
            }
            None => return,
        };
        let (Node::Seq { span, .. } | Node::Map { span, .. }) = &mut self.nodes[idx] else { return };
        let start = span.offset;
        *span = self.sp.span(start, end.max(start));
        self.attach(idx);
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        let at = self.offset(&mark);
        match ev {
            Event::Scalar(value, style, anchor, _) => {
                let end = self.scalar_end(at, &value, style);
                let span = self.sp.span(at, end);
                let idx = self.nodes.len();
                self.nodes.push(Node::Scalar { value, span });
                if anchor > 0 {
                    self.anchors.insert(anchor, idx);
                }
                self.attach(idx);
            }
            Event::Alias(id) => {
                let idx = self.nodes.len();
                let target = self.anchors.get(&id).copied();
                self.nodes.push(Node::Alias { target, span: self.sp.span(at, at + 1) });
                self.attach(idx);
            }
            Event::SequenceStart(anchor, _) => {
                let idx = self.nodes.len();
                self.nodes.push(Node::Seq { items: Vec::new(), span: self.sp.span(at, at) });
                if anchor > 0 {
                    self.anchors.insert(anchor, idx);
                }
                self.stack.push(Open::Seq(idx));
            }
            Event::MappingStart(anchor, _) => {
                let idx = self.nodes.len();
                self.nodes.push(Node::Map { entries: Vec::new(), span: self.sp.span(at, at) });
                if anchor > 0 {
                    self.anchors.insert(anchor, idx);
                }
                self.stack.push(Open::Map(idx, None));
                self.keys.push(HashMap::new());
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(at),
            Event::DocumentEnd => {
                if self.root.is_some() {
                    self.done = true;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::test_soup::soup;
    use super::*;

    fn c(t: &str) -> Compose {
        Compose::parse(&SourceFile::new("compose.dev.yaml", t.as_bytes().to_vec(), None))
    }

    #[test]
    fn services_with_build_and_image() {
        let x = c("x-b: &b\n  build:\n    context: ..\n    dockerfile: docker/Dockerfile\nservices:\n  db:\n    image: \"postgres:16\"\n  directus:\n    build: .\n    image: trm:dev\n  other:\n    <<: *b\n");
        assert!(x.errors.is_empty(), "{:?}", x.errors);
        let d = x.service("directus").unwrap();
        let ctx = d.build.as_ref().unwrap().context.as_ref().unwrap();
        assert_eq!((ctx.0.as_str(), ctx.1.line, ctx.1.col, ctx.1.end_col), (".", 9, 12, 13));
        let img = x.service("db").unwrap().image.as_ref().unwrap();
        assert_eq!((img.1.line, img.1.col, img.1.end_col), (7, 12, 25));
        let o = x.service("other").unwrap().build.as_ref().unwrap();
        assert_eq!(o.context.as_ref().map(|c| c.0.as_str()), Some(".."));
        assert_eq!(o.dockerfile.as_ref().map(|c| c.0.as_str()), Some("docker/Dockerfile"));
    }

    #[test]
    fn errors_have_positions() {
        let x = c("services:\n  directus:\n    build: [\n");
        assert_eq!(x.errors.len(), 1);
        let x = c("services:\n  a: 1\n  a: 2\n");
        assert_eq!((x.errors[0].span.line, x.errors[0].message.contains("duplicate key `a`")), (3, true));
        let x = c("é: [1, 2\nservices: {}\n");
        assert!(!x.errors.is_empty());
        for t in ["", "---", "[[[[[[[[", "a: *nope", "\t- x", "- &a [*a]"] {
            let _ = c(t);
        }
    }


    #[test]
    fn random_and_pathological_input_never_panics_and_stays_linear() {
        let alphabet = ["\n", " ", "  ", ":", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: ", "'", "\"", "#", "services", "build", "x", "é", "\t", "|", ">"];
        for seed in 0..300 {
            let _ = c(&soup(seed, 200, &alphabet));
        }
        for t in [
            format!("a: [{}]\n", "x, ".repeat(100_000)),
            format!("a: [{}]\n", "'x', ".repeat(100_000)),
            "k: v\n".repeat(100_000),
            "- ".repeat(2_000),
            "[".repeat(10_000),
        ] {
            let _ = c(&t);
        }
    }
}
