//! compose.dev.yaml (and the production stack file): services and their
//! `build`/`image`, `volumes`/`tmpfs`, `environment` and replica settings
//! with spans, and the top-level `volumes:` definitions.
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
    /// `volumes:` (short `SRC:DST[:MODE]` or long `{type, source, target}`)
    /// and `tmpfs:`, in file order.
    pub mounts: Vec<Mount>,
    /// `environment:` as a map or a list, in file order.
    pub environment: Vec<EnvVar>,
    /// `env_file:` is set (variables the lint cannot see).
    pub env_file: bool,
    /// `working_dir:`, when set.
    pub working_dir: Option<String>,
    /// `deploy.replicas`, `deploy.mode` or `scale`, when set.
    pub replicas: Option<Replicas>,
}

/// How many containers of a service run at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replicas {
    /// `deploy.replicas` / `scale` (an interpolation's default, `${N:-3}`);
    /// None when it cannot be known here (`${N}`).
    pub count: Option<u64>,
    /// `deploy.mode: global` (one per node) or `global-job`.
    pub global: bool,
    /// The setting that says so.
    pub span: Span,
}

/// A named volume of the top-level `volumes:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeDef {
    pub name: String,
    /// `driver:` (None: the engine's `local`).
    pub driver: Option<String>,
    /// `driver_opts.type` (`nfs`, `cifs`, ...: the local driver mounting a network share).
    pub driver_type: Option<String>,
    /// `external: true`: made outside this file, by whatever driver.
    pub external: bool,
    pub span: Span,
}

impl VolumeDef {
    /// Every node (and so every replica) sees the same files: a network
    /// filesystem through the local driver, another driver (a volume plugin),
    /// or a volume made outside the file (which the lint cannot see).
    pub fn shared(&self) -> bool {
        let local = matches!(self.driver.as_deref(), None | Some("local"));
        let network = self.driver_type.as_deref().is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.starts_with("nfs") || t == "cifs" || t == "smb" || t == "glusterfs" || t == "ceph" || t.contains('$')
        });
        self.external || !local || network
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A named volume (`uploads:/directus/uploads`, `type: volume` with a source).
    Volume,
    /// A host path (`./x:/y`, `/srv/x:/y`, `type: bind`).
    Bind,
    /// A volume without a name (`- /directus/uploads`, `type: volume` without
    /// a source): a new one for every new container.
    Anonymous,
    /// `tmpfs:` or `type: tmpfs`: memory, gone with the container.
    Tmpfs,
    /// Another long-syntax type (`npipe`, `cluster`, `image`).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    pub source: Option<String>,
    /// The path in the container, as written.
    pub target: String,
    /// The whole item (the short string, or the long mapping's first line).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    /// None: `KEY` or `KEY:` without a value (taken from the host).
    pub value: Option<String>,
    pub span: Span,
}

impl Service {
    /// More than one container of it runs at once (`deploy.replicas` or
    /// `scale` above 1, or `deploy.mode: global`).
    pub fn runs_several(&self) -> bool {
        self.replicas.as_ref().is_some_and(|r| r.global || r.count.is_some_and(|n| n > 1))
    }

    /// The last setting of `name` in `environment:` (None: not there).
    pub fn env(&self, name: &str) -> Option<&EnvVar> {
        self.environment.iter().rev().find(|v| v.name == name)
    }
}

/// `SRC:DST[:MODE]` or `DST`, split on the colons outside `${…}`.
pub fn parse_short_volume(s: &str) -> (Option<String>, String) {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0u32, 0usize);
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'{' if i > 0 && b[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    match parts.as_slice() {
        [target] => (None, target.to_string()),
        [source, target, ..] => (Some(source.to_string()), target.to_string()),
        [] => (None, String::new()),
    }
}

/// A short-syntax source names a host path (not a named volume).
pub fn is_host_path(source: &str) -> bool {
    source.starts_with(['.', '/', '~', '$']) || source.contains('/')
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
    /// The top-level `volumes:`.
    pub volumes: Vec<VolumeDef>,
}

impl Compose {
    pub fn parse(src: &SourceFile) -> Compose {
        let yaml = yaml::parse(src, yaml::Options { first_document_only: true });
        let mut errors: Vec<YamlError> =
            yaml.issues.iter().filter_map(|i| Some(YamlError { message: message(&i.problem)?, span: i.span })).collect();
        errors.sort_by_key(|e| (e.span.line, e.span.col));
        let root_span = yaml.root.and_then(|r| yaml.extent(src, r));
        let mut c =
            Compose { path: src.path.clone(), yaml, errors, root_span, services_key: None, services: Vec::new(), volumes: Vec::new() };
        c.read_services(src);
        c.read_volumes();
        c
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The top-level definition of the named volume `name`.
    pub fn volume(&self, name: &str) -> Option<&VolumeDef> {
        self.volumes.iter().find(|v| v.name == name)
    }

    fn read_volumes(&mut self) {
        let y = &self.yaml;
        let Some(root) = y.root else { return };
        let Some(volumes) = y.lookup(root, "volumes") else { return };
        let mut out = Vec::new();
        for v in y.merged_entries(volumes.value) {
            let text = |id: NodeId, key: &str| y.lookup(id, key).and_then(|e| y.text(e.value)).map(|(s, _)| s.to_string());
            let driver = text(v.value, "driver").filter(|d| !d.is_empty());
            let driver_type = y.lookup(v.value, "driver_opts").and_then(|o| text(o.value, "type"));
            let external = y.lookup(v.value, "external").is_some_and(|e| match y.text(e.value) {
                Some((t, _)) => t != "false",
                None => true, // `external: {name: …}` (the old syntax)
            });
            out.push(VolumeDef { name: v.key.clone(), driver, driver_type, external, span: v.key_span });
        }
        self.volumes = out;
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
            let mounts = read_mounts(y, sv);
            let environment = read_environment(y, sv);
            let env_file = y.lookup(sv, "env_file").is_some();
            let working_dir = y.lookup(sv, "working_dir").and_then(|e| y.text(e.value)).map(|(s, _)| s.to_string());
            let replicas = read_replicas(y, sv);
            out.push(Service {
                name: svc.key.clone(),
                name_span: svc.key_span,
                build,
                image,
                mounts,
                environment,
                env_file,
                working_dir,
                replicas,
            });
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

/// A service's `deploy.replicas`, `deploy.mode` and `scale`.
fn read_replicas(y: &Yaml, sv: NodeId) -> Option<Replicas> {
    let count_of = |t: &str| -> Option<u64> {
        let t = t.trim();
        // `${N:-3}` / `${N-3}`: the default is what runs when N is unset
        let t = t.strip_prefix("${").and_then(|r| r.strip_suffix('}')).map_or(t, |inner| {
            inner.split_once(":-").or_else(|| inner.split_once('-')).map_or("", |(_, d)| d)
        });
        t.parse().ok()
    };
    let deploy = y.lookup(sv, "deploy").map(|e| e.value);
    if let Some(mode) = deploy.and_then(|d| y.lookup(d, "mode")).and_then(|e| y.text(e.value)) {
        if mode.0.starts_with("global") {
            return Some(Replicas { count: None, global: true, span: mode.1 });
        }
    }
    let setting = deploy.and_then(|d| y.lookup(d, "replicas")).or_else(|| y.lookup(sv, "scale"))?;
    let (text, span) = y.text(setting.value)?;
    Some(Replicas { count: count_of(text), global: false, span })
}

/// A service's `volumes:` and `tmpfs:`.
fn read_mounts(y: &Yaml, sv: NodeId) -> Vec<Mount> {
    let mut out = Vec::new();
    let items = |key: &str| -> Vec<NodeId> {
        match y.lookup(sv, key).map(|e| e.value) {
            Some(v) if y.scalar(v).is_some() => vec![v],
            Some(v) => y.items(v).to_vec(),
            None => Vec::new(),
        }
    };
    for i in items("volumes") {
        let Some(node) = y.node(i) else { continue };
        let span = node.span;
        match &node.kind {
            NodeKind::Scalar(sc) => {
                let (source, target) = parse_short_volume(&sc.text);
                let kind = match &source {
                    None => MountKind::Anonymous,
                    Some(s) if is_host_path(s) => MountKind::Bind,
                    Some(_) => MountKind::Volume,
                };
                out.push(Mount { kind, source, target, span });
            }
            NodeKind::Map(_) => {
                let get = |key: &str| y.lookup(i, key).and_then(|e| y.text(e.value)).map(|(s, _)| s.to_string());
                let source = get("source").filter(|s| !s.is_empty());
                let Some(target) = get("target").or_else(|| get("destination")) else { continue };
                let kind = match get("type").as_deref() {
                    Some("bind") => MountKind::Bind,
                    Some("tmpfs") => MountKind::Tmpfs,
                    Some("volume") | None => {
                        if source.is_some() {
                            MountKind::Volume
                        } else {
                            MountKind::Anonymous
                        }
                    }
                    Some(_) => MountKind::Other,
                };
                out.push(Mount { kind, source, target, span });
            }
            NodeKind::Seq(_) => {}
        }
    }
    for i in items("tmpfs") {
        if let Some((value, span)) = y.text(i) {
            let target = value.split(':').next().unwrap_or(value).to_string();
            out.push(Mount { kind: MountKind::Tmpfs, source: None, target, span });
        }
    }
    out
}

/// A service's `environment:`, as a map (`KEY: value`) or a list (`- KEY=value`).
fn read_environment(y: &Yaml, sv: NodeId) -> Vec<EnvVar> {
    let Some(ev) = y.lookup(sv, "environment").map(|e| e.value) else { return Vec::new() };
    let mut out = Vec::new();
    match y.node(ev).map(|n| &n.kind) {
        Some(NodeKind::Map(_)) => {
            for e in y.merged_entries(ev) {
                let value = match y.text(e.value) {
                    Some((v, _)) if !(v.is_empty() || v == "~" || v == "null") => Some(v.to_string()),
                    _ => None,
                };
                out.push(EnvVar { name: e.key.clone(), value, span: e.key_span });
            }
        }
        Some(NodeKind::Seq(items)) => {
            for &i in items {
                let Some((item, span)) = y.text(i) else { continue };
                let (name, value) = match item.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (item, None),
                };
                out.push(EnvVar { name: name.to_string(), value, span });
            }
        }
        _ => {}
    }
    out
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
    fn mounts_and_environment_in_every_syntax() {
        let x = c("services:\n  directus:\n    build: .\n    volumes:\n      - ./extensions:/directus/extensions\n      - uploads:/directus/uploads:rw\n      - /directus/cache\n      - ${DATA:-./data}:/data:ro\n      - type: bind\n        source: ./x\n        target: /x\n      - type: volume\n        target: /anon\n    tmpfs: /tmp:size=64m\n    environment:\n      - STORAGE_LOCATIONS=s3\n      - KEY\n  other:\n    environment:\n      A: 1\n      B:\n");
        assert!(x.errors.is_empty(), "{:?}", x.errors);
        let d = x.service("directus").unwrap();
        let m: Vec<(MountKind, Option<&str>, &str)> = d.mounts.iter().map(|m| (m.kind, m.source.as_deref(), m.target.as_str())).collect();
        assert_eq!(
            m,
            vec![
                (MountKind::Bind, Some("./extensions"), "/directus/extensions"),
                (MountKind::Volume, Some("uploads"), "/directus/uploads"),
                (MountKind::Anonymous, None, "/directus/cache"),
                (MountKind::Bind, Some("${DATA:-./data}"), "/data"),
                (MountKind::Bind, Some("./x"), "/x"),
                (MountKind::Anonymous, None, "/anon"),
                (MountKind::Tmpfs, None, "/tmp"),
            ]
        );
        assert_eq!((d.mounts[0].span.line, d.mounts[0].span.col), (5, 9));
        assert_eq!(d.env("STORAGE_LOCATIONS").and_then(|v| v.value.as_deref()), Some("s3"));
        assert_eq!(d.env("KEY").map(|v| v.value.is_none()), Some(true));
        let o = x.service("other").unwrap();
        assert_eq!((o.env("A").and_then(|v| v.value.as_deref()), o.env("B").map(|v| v.value.is_none())), (Some("1"), Some(true)));
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
