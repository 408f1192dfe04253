//! compose.dev.yaml: services and their `build`/`image` settings with spans.
//!
//! The YAML is read into the shared span-keeping tree
//! ([`crate::model::yaml`]: iterative, with the same depth and alias budget
//! as the snapshot, so a deeply nested file is an error, never a stack
//! overflow); the compose model is read from that tree. YAML errors — and
//! duplicate mapping keys, which Docker Compose rejects — are data in
//! [`Compose::errors`] with their line and column.

use crate::finding::Span;
use crate::model::yaml::{self, NodeKind, Problem, MAX_DEPTH};
use crate::source::SourceFile;

pub use crate::model::yaml::{NodeId, Yaml, YamlError};

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
    /// The whole document, when there is one.
    pub root_span: Option<Span>,
    /// The `services:` key, when present.
    pub services_key: Option<Span>,
    pub services: Vec<Service>,
}

impl Compose {
    pub fn parse(src: &SourceFile) -> Compose {
        let yaml = yaml::parse(src, yaml::Options { first_document_only: true });
        let mut errors: Vec<YamlError> =
            yaml.issues.iter().filter_map(|i| Some(YamlError { message: message(&i.problem)?, span: i.span })).collect();
        errors.sort_by_key(|e| (e.span.line, e.span.col));
        let root_span = yaml.root.and_then(|r| yaml.extent(src, r));
        let mut c = Compose { path: src.path.clone(), yaml, errors, root_span, services_key: None, services: Vec::new() };
        c.read_services(src);
        c
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    fn read_services(&mut self, src: &SourceFile) {
        let y = &self.yaml;
        let Some(root) = y.root else { return };
        let Some(services) = y.lookup(root, "services") else { return };
        self.services_key = Some(services.key_span);
        let mut out = Vec::new();
        for svc in y.merged_entries(services.value) {
            let sv = svc.value;
            let text = |id: NodeId, key: &str| y.lookup(id, key).and_then(|e| y.text(e.value)).map(|(s, sp)| (s.to_string(), sp));
            let image = text(sv, "image");
            let build = y.lookup(sv, "build").and_then(|b| {
                let bv = b.value;
                let span = y.extent(src, bv)?;
                Some(match &y.node(bv)?.kind {
                    NodeKind::Scalar(s) => Build { context: Some((s.text.clone(), span)), dockerfile: None, inline: false, span },
                    NodeKind::Map(_) => Build {
                        context: text(bv, "context"),
                        dockerfile: text(bv, "dockerfile"),
                        inline: y.lookup(bv, "dockerfile_inline").is_some(),
                        span,
                    },
                    NodeKind::Seq(_) => Build { context: None, dockerfile: None, inline: false, span },
                })
            });
            out.push(Service { name: svc.key.clone(), name_span: svc.key_span, build, image });
        }
        self.services = out;
    }
}

/// A YAML problem in Docker Compose's terms; None for what Compose accepts
/// (tags such as `!reset`, which Compose defines, and keys that are not
/// plain scalars, which this model skips).
fn message(p: &Problem) -> Option<String> {
    Some(match p {
        Problem::Syntax(info) => info.clone(),
        Problem::DuplicateKey { key, first } => format!("duplicate key `{key}` (first at line {})", first.line),
        Problem::RecursiveAlias => "this alias refers to a node that contains it (a recursive alias)".into(),
        Problem::TooDeep => format!("nesting deeper than {MAX_DEPTH} levels; a compose file needs a handful"),
        Problem::AliasBomb { budget } => format!("aliases expand this document beyond {budget} nodes (or {MAX_DEPTH} levels)"),
        Problem::ParserFailed => "the YAML parser failed on this file".into(),
        Problem::SecondDocument | Problem::UnknownTag(_) | Problem::ComplexKey => return None,
    })
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
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // yaml-rust2's own loader recursed once per level here and
        // overflowed the stack; the shared tree stops at MAX_DEPTH.
        let mut mappings = String::from("services:\n");
        for i in 1..400 {
            mappings.push_str(&" ".repeat(i));
            mappings.push_str("k:\n");
        }
        for t in [format!("services:\n  - {}x\n", "- ".repeat(200_000)), mappings] {
            let x = c(&t);
            assert!(x.errors.iter().any(|e| e.message.contains("nesting deeper than 128 levels")), "{:?}", x.errors);
            let e = &x.errors[0];
            assert!(e.span.line >= 1 && e.span.col >= 1);
        }
        // Aliases get the snapshot's budget too.
        let mut lol = String::from("x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..12 {
            let p = i - 1;
            lol.push_str(&format!("x{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"));
        }
        assert!(c(&lol).errors.iter().any(|e| e.message.contains("aliases expand")));
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
