//! The build context: a tar of the repository that honours `.dockerignore` the way Docker does
//! (moby/patternmatcher): one pattern per line, `#` comments, `*` `?` `[...]` within one path
//! segment, `**` across segments, `!` exceptions, last match wins, a pattern matching a directory
//! excludes everything below it. The Dockerfile and `.dockerignore` are always sent (the Docker
//! CLI does the same).

use std::io;
use std::path::{Path, PathBuf};

/// One `.dockerignore` line, compiled.
#[derive(Debug, Clone)]
struct Pattern {
    /// Cleaned pattern text (slash separated, no leading `/`).
    text: String,
    /// Number of path segments in the pattern.
    segments: usize,
    exclusion: bool,
    tokens: Vec<Tok>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// `?`: one character other than `/`.
    Any,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**`: any run of characters including `/`.
    StarStar,
    /// `**/`: zero or more whole segments.
    StarStarSlash,
    /// `[...]` with negation flag, items (single chars or ranges).
    Class(bool, Vec<(char, char)>),
}

/// The compiled `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

/// Cleans a path the way Go's `filepath.Clean` does, for slash-separated relative paths.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !p.starts_with('/') {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    }
}

fn compile(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' => {
                if i + 1 < chars.len() && chars[i + 1] == '*' {
                    i += 2;
                    // swallow further stars
                    while i < chars.len() && chars[i] == '*' {
                        i += 1;
                    }
                    if i < chars.len() && chars[i] == '/' {
                        toks.push(Tok::StarStarSlash);
                        i += 1;
                    } else {
                        toks.push(Tok::StarStar);
                    }
                    continue;
                }
                toks.push(Tok::Star);
            }
            '?' => toks.push(Tok::Any),
            '\\' => {
                if i + 1 < chars.len() {
                    i += 1;
                    toks.push(Tok::Lit(chars[i]));
                } else {
                    toks.push(Tok::Lit('\\'));
                }
            }
            '[' => {
                // find the closing bracket
                let mut j = i + 1;
                let negated = j < chars.len() && (chars[j] == '^' || chars[j] == '!');
                if negated {
                    j += 1;
                }
                let mut items = Vec::new();
                let mut closed = false;
                let mut first = true;
                while j < chars.len() {
                    let mut ch = chars[j];
                    if ch == ']' && !first {
                        closed = true;
                        break;
                    }
                    first = false;
                    if ch == '\\' && j + 1 < chars.len() {
                        j += 1;
                        ch = chars[j];
                    }
                    if j + 2 < chars.len() && chars[j + 1] == '-' && chars[j + 2] != ']' {
                        items.push((ch, chars[j + 2]));
                        j += 3;
                    } else {
                        items.push((ch, ch));
                        j += 1;
                    }
                }
                if closed {
                    toks.push(Tok::Class(negated, items));
                    i = j + 1;
                    continue;
                }
                toks.push(Tok::Lit('['));
            }
            c => toks.push(Tok::Lit(c)),
        }
        i += 1;
    }
    toks
}

fn match_toks(toks: &[Tok], s: &[char]) -> bool {
    match toks.first() {
        None => s.is_empty(),
        Some(Tok::Lit(c)) => s.first() == Some(c) && match_toks(&toks[1..], &s[1..]),
        Some(Tok::Any) => s.first().is_some_and(|c| *c != '/') && match_toks(&toks[1..], &s[1..]),
        Some(Tok::Class(neg, items)) => {
            let Some(c) = s.first() else { return false };
            if *c == '/' {
                return false;
            }
            let hit = items.iter().any(|(a, b)| a <= c && c <= b);
            hit != *neg && match_toks(&toks[1..], &s[1..])
        }
        Some(Tok::Star) => {
            let mut k = 0;
            loop {
                if match_toks(&toks[1..], &s[k..]) {
                    return true;
                }
                if k >= s.len() || s[k] == '/' {
                    return false;
                }
                k += 1;
            }
        }
        Some(Tok::StarStar) => (0..=s.len()).any(|k| match_toks(&toks[1..], &s[k..])),
        Some(Tok::StarStarSlash) => {
            // zero segments, or any prefix ending in '/'
            if match_toks(&toks[1..], s) {
                return true;
            }
            (0..s.len()).any(|k| s[k] == '/' && match_toks(&toks[1..], &s[k + 1..]))
        }
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        let chars: Vec<char> = path.chars().collect();
        if match_toks(&self.tokens, &chars) {
            return true;
        }
        // A pattern also matches everything below a directory it matches: try the parent
        // prefix with as many segments as the pattern has (moby's MatchesOrParentMatches).
        let parts: Vec<&str> = path.split('/').collect();
        if self.segments < parts.len() {
            let prefix = parts[..self.segments].join("/");
            let chars: Vec<char> = prefix.chars().collect();
            if match_toks(&self.tokens, &chars) {
                return true;
            }
        }
        // `**` patterns can match a parent at any depth.
        if self.text.contains("**") {
            for n in 1..parts.len() {
                let prefix = parts[..n].join("/");
                let chars: Vec<char> = prefix.chars().collect();
                if match_toks(&self.tokens, &chars) {
                    return true;
                }
            }
        }
        false
    }

    /// The literal text before the first wildcard.
    fn literal_prefix(&self) -> &str {
        let end = self.text.find(['*', '?', '[', '\\']).unwrap_or(self.text.len());
        &self.text[..end]
    }
}

impl IgnoreRules {
    /// Parses `.dockerignore` text.
    pub fn parse(text: &str) -> IgnoreRules {
        let mut patterns = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            if p.is_empty() {
                continue;
            }
            let exclusion = p.starts_with('!');
            if exclusion {
                p = p[1..].trim();
                if p.is_empty() {
                    continue;
                }
            }
            let mut cleaned = clean(p);
            if cleaned.starts_with('/') {
                cleaned = cleaned.trim_start_matches('/').to_string();
            }
            if cleaned.is_empty() || cleaned == "." {
                // "/" or "." excludes the whole context; moby skips "." entries.
                if p.trim_matches('/').is_empty() {
                    cleaned = "**".to_string();
                } else {
                    continue;
                }
            }
            let segments = cleaned.split('/').count();
            let tokens = compile(&cleaned);
            patterns.push(Pattern { text: cleaned, segments, exclusion, tokens });
        }
        IgnoreRules { patterns }
    }

    /// Whether the slash-separated relative path is excluded from the context.
    pub fn is_excluded(&self, path: &str) -> bool {
        let mut excluded = false;
        for p in &self.patterns {
            if p.matches(path) {
                excluded = !p.exclusion;
            }
        }
        excluded
    }

    /// Whether an excluded directory must still be walked because an exception could re-include
    /// something below it.
    fn must_walk_excluded_dir(&self, dir: &str) -> bool {
        self.patterns.iter().filter(|p| p.exclusion).any(|p| {
            let prefix = p.literal_prefix();
            let dir_slash = format!("{dir}/");
            prefix.starts_with(&dir_slash) || dir_slash.starts_with(prefix) || prefix == dir
        })
    }
}

/// What went into the context.
#[derive(Debug, Default)]
pub struct Context {
    pub tar: Vec<u8>,
    pub files: usize,
    pub bytes: u64,
}

/// Builds the context tar for `repo`, with `dockerfile` (relative path) always included.
pub fn build_context(repo: &Path, dockerfile: &str) -> io::Result<Context> {
    // The repository's `.dockerignore` inside the repository boundary (src/boundary.rs): not
    // a link out of it, not a FIFO, at most 16 MiB.
    let root = repo.canonicalize().map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", repo.display())))?;
    let cap = crate::source::MAX_FILE_BYTES;
    let rules = match crate::boundary::read_inside(&root, ".dockerignore", cap) {
        Ok(None) => IgnoreRules::default(),
        Ok(Some(b)) if b.len() > cap => return Err(io::Error::other(format!("reading .dockerignore: larger than the {} MiB trm-ci reads", cap >> 20))),
        Ok(Some(b)) => match String::from_utf8(b) {
            Ok(t) => IgnoreRules::parse(&t),
            Err(_) => return Err(io::Error::new(io::ErrorKind::InvalidData, "reading .dockerignore: not valid UTF-8")),
        },
        Err(e) => return Err(io::Error::other(format!("reading .dockerignore: {e}"))),
    };
    let mut paths = Vec::new();
    walk(repo, repo, &rules, &mut paths)?;
    for always in [dockerfile, ".dockerignore"] {
        let rel = clean(always);
        if repo.join(&rel).is_file() && !paths.iter().any(|(p, _)| *p == rel) {
            paths.push((rel.clone(), repo.join(&rel)));
        }
    }
    paths.sort();
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    builder.follow_symlinks(false);
    let mut ctx = Context::default();
    for (rel, abs) in &paths {
        let meta = std::fs::symlink_metadata(abs)?;
        if meta.is_file() {
            ctx.files += 1;
            ctx.bytes += meta.len();
        }
        builder
            .append_path_with_name(abs, rel)
            .map_err(|e| io::Error::new(e.kind(), format!("adding {rel} to the build context: {e}")))?;
    }
    ctx.tar = builder.into_inner()?;
    Ok(ctx)
}

fn walk(root: &Path, dir: &Path, rules: &IgnoreRules, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {}: {e}", dir.display())))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let abs = entry.path();
        let Ok(rel_path) = abs.strip_prefix(root) else { continue };
        let rel = rel_path.to_string_lossy().replace('\\', "/");
        let ft = entry.file_type()?;
        let excluded = rules.is_excluded(&rel);
        if ft.is_dir() {
            if excluded {
                if rules.must_walk_excluded_dir(&rel) {
                    walk(root, &abs, rules, out)?;
                }
                continue;
            }
            out.push((rel, abs.clone()));
            walk(root, &abs, rules, out)?;
        } else if !excluded {
            out.push((rel, abs));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(rules: &str, path: &str) -> bool {
        IgnoreRules::parse(rules).is_excluded(path)
    }

    #[test]
    fn plain_names_and_dirs() {
        assert!(ex("target", "target"));
        assert!(ex("target", "target/release/x"));
        assert!(!ex("target", "src/target"));
        assert!(ex("/target/", "target/a"));
        assert!(ex(".git", ".git/HEAD"));
    }

    #[test]
    fn stars() {
        assert!(ex("*.md", "README.md"));
        assert!(!ex("*.md", "docs/README.md"));
        assert!(ex("*/*.md", "docs/README.md"));
        assert!(ex("**/*.md", "docs/a/README.md"));
        assert!(ex("**/*.md", "README.md"));
        assert!(ex("docs/**", "docs/a/b"));
        assert!(ex("a/**/b", "a/b"));
        assert!(ex("a/**/b", "a/x/y/b"));
        assert!(ex("file?.txt", "file1.txt"));
        assert!(ex("[a-c].txt", "b.txt"));
        assert!(!ex("[a-c].txt", "d.txt"));
        assert!(!ex("[^a-c].txt", "b.txt"));
    }

    #[test]
    fn exceptions_last_wins() {
        let r = "*.md\n!README.md\n# comment\n";
        assert!(ex(r, "CHANGES.md"));
        assert!(!ex(r, "README.md"));
        let r = "!README.md\n*.md";
        assert!(ex(r, "README.md"));
        let r = "docs\n!docs/keep.txt";
        assert!(!ex(r, "docs/keep.txt"));
        assert!(ex(r, "docs/other.txt"));
        assert!(IgnoreRules::parse(r).must_walk_excluded_dir("docs"));
        assert!(!IgnoreRules::parse(r).must_walk_excluded_dir("target"));
    }

    #[test]
    fn comments_and_blank_lines() {
        let r = "# target\n\n   \n";
        assert!(!ex(r, "target"));
        assert!(ex(" target ", "target"));
    }

    #[test]
    fn context_always_has_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(dir.path().join(".dockerignore"), "*\n!keep\n").unwrap();
        std::fs::write(dir.path().join("keep"), "k").unwrap();
        std::fs::write(dir.path().join("drop"), "d").unwrap();
        let ctx = build_context(dir.path(), "Dockerfile").unwrap();
        let mut ar = tar::Archive::new(&ctx.tar[..]);
        let mut names: Vec<String> =
            ar.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, vec![".dockerignore", "Dockerfile", "keep"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_dockerignore_out_of_the_repository_or_a_fifo_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM x\n").unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(".dockerignore")).unwrap();
        let e = build_context(dir.path(), "Dockerfile").unwrap_err().to_string();
        assert!(e.contains(".dockerignore: a symbolic link to `/dev/zero`, outside the repository"), "{e}");
        std::fs::remove_file(dir.path().join(".dockerignore")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(dir.path().join(".dockerignore")).status().unwrap().success());
        let e = build_context(dir.path(), "Dockerfile").unwrap_err().to_string();
        assert!(e.contains("a FIFO (named pipe), not a regular file"), "{e}");
    }
}
