//! The repository boundary: a path of the repository is resolved inside its root (after
//! symbolic links) before anything is read, and only regular files are read, never past a
//! cap and never in a way that can block.
//!
//! A pull request's tree is untrusted input: a committed symlink `db-init/0004_x.sql ->
//! /etc/shadow`, a `trm-ci.toml -> /dev/zero` or a FIFO named like an artifact must neither
//! be published (a finding quotes what it reads) nor hang or exhaust trm-ci. So:
//! - [`resolve`] says what a repository path is without opening it: missing, a directory, a
//!   regular file inside the root, or refused — a link leading outside the root (dangling
//!   or not), or not a regular file (FIFO, socket, device);
//! - [`read_capped`] opens a regular file with `O_NONBLOCK | O_NOFOLLOW`, checks again on
//!   the open descriptor that it is a regular file (it may have been swapped since), and
//!   reads at most `cap + 1` bytes (one more than the cap, so "too large" is known);
//! - [`lexical`] does the same for the paths of a git tree or index, where a symlink is a
//!   blob holding its target: the target is joined to the link's directory and must stay
//!   inside.
//!
//! A leaf module: it names no other module of the crate.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a repository path is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A symbolic link (this path, or a directory above it) that leads outside the
    /// repository: `target` is where it leads (as the link says, or resolved).
    Outside { target: String },
    /// Not a regular file: `kind` is "a FIFO", "a socket", "a character device", ...
    NotRegular { kind: &'static str },
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Refusal::Outside { target } => format!("a symbolic link to `{target}`, outside the repository"),
            Refusal::NotRegular { kind } => format!("{kind}, not a regular file"),
        }
    }
}

/// What a repository path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Nothing there (or a link to nothing inside the repository).
    Missing,
    /// A directory inside the root: its canonical path.
    Dir(PathBuf),
    /// A regular file inside the root: its canonical path.
    File(PathBuf),
    Refused(Refusal),
}

/// What `rel` (slash separated, relative) is under `root`, which must be canonical. Nothing
/// is opened: symbolic links are resolved by the kernel's path lookup and the result is
/// stat-ed.
pub fn resolve(root: &Path, rel: &str) -> Resolved {
    let full = root.join(rel);
    match std::fs::canonicalize(&full) {
        Ok(canon) => {
            if !canon.starts_with(root) {
                return Resolved::Refused(Refusal::Outside { target: canon.display().to_string() });
            }
            match std::fs::metadata(&canon) {
                Ok(m) if m.is_dir() => Resolved::Dir(canon),
                Ok(m) if m.is_file() => Resolved::File(canon),
                Ok(m) => Resolved::Refused(Refusal::NotRegular { kind: kind_of(&m) }),
                Err(_) => Resolved::Missing,
            }
        }
        // A dangling link: refused when its target would be outside, else missing.
        Err(_) => match std::fs::read_link(&full) {
            Ok(target) => {
                let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
                match lexical(&parent.to_string_lossy(), &target.to_string_lossy()) {
                    Some(_) => Resolved::Missing,
                    None => Resolved::Refused(Refusal::Outside { target: target.display().to_string() }),
                }
            }
            Err(_) => Resolved::Missing,
        },
    }
}

/// What kind of non-regular file `m` describes.
pub fn kind_of(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if m.is_dir() {
        "a directory"
    } else if m.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Reads at most `cap + 1` bytes of the regular file `path` (a canonical path from
/// [`resolve`], or a path the user named). Never blocks: opened non-blocking and without
/// following a final symlink; refused unless the open descriptor is a regular file. Errors
/// say why, without the path (the caller names the file as its user knows it).
pub fn read_capped(path: &Path, cap: usize) -> Result<Vec<u8>, String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let file = opts.open(path).map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{}, not a regular file: not read", kind_of(&meta)));
    }
    let mut buf = Vec::with_capacity((meta.len() as usize).min(cap + 1));
    file.take(cap as u64 + 1).read_to_end(&mut buf).map_err(|e| format!("cannot read: {e}"))?;
    Ok(buf)
}

/// A file the user named (`--config FILE`), which may be anywhere: None when it does not
/// exist; Err (why, without the path) when it is not a regular file or cannot be read; else
/// at most `cap + 1` bytes.
pub fn read_named(path: &Path, cap: usize) -> Result<Option<Vec<u8>>, String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read: {e}")),
        Ok(m) if !m.is_file() => Err(format!("{}, not a regular file: not read", kind_of(&m))),
        Ok(_) => {
            let canon = std::fs::canonicalize(path).map_err(|e| format!("cannot read: {e}"))?;
            read_capped(&canon, cap).map(Some)
        }
    }
}

/// A repository file at the root's `rel`: None when missing; Err (why, without the path)
/// when it is refused or cannot be read; else at most `cap + 1` bytes.
pub fn read_inside(root: &Path, rel: &str, cap: usize) -> Result<Option<Vec<u8>>, String> {
    match resolve(root, rel) {
        Resolved::Missing => Ok(None),
        Resolved::Dir(_) => Err("a directory, not a file".into()),
        Resolved::Refused(r) => Err(format!("{}: not read", r.describe())),
        Resolved::File(p) => read_capped(&p, cap).map(Some),
    }
}

/// `target` (a link's text, or a configured path) taken relative to the repository
/// directory `dir` (slash separated, "" for the root), normalised without touching the file
/// system: None when it is absolute or climbs above the root.
pub fn lexical(dir: &str, target: &str) -> Option<String> {
    let mut out: Vec<String> = dir.split('/').filter(|s| !s.is_empty() && *s != ".").map(String::from).collect();
    for c in Path::new(target).components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths_stay_inside() {
        assert_eq!(lexical("db-init", "../shared/x.sql").as_deref(), Some("shared/x.sql"));
        assert_eq!(lexical("", "./db-init/").as_deref(), Some("db-init"));
        assert_eq!(lexical("db-init", "../../secret"), None);
        assert_eq!(lexical("", ".."), None);
        assert_eq!(lexical("a/b", "/etc/shadow"), None);
        assert_eq!(lexical("", "a/../../b"), None);
    }

    #[cfg(unix)]
    #[test]
    fn links_out_fifos_and_devices_are_refused_without_opening_them() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "ghs_TOPSECRET").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("db")).unwrap();
        std::fs::write(root.join("db/ok.sql"), "SELECT 1;").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("db/out.sql")).unwrap();
        std::os::unix::fs::symlink("/no/such/file", root.join("db/dangling_out.sql")).unwrap();
        std::os::unix::fs::symlink("nothing_here.sql", root.join("db/dangling_in.sql")).unwrap();
        std::os::unix::fs::symlink("ok.sql", root.join("db/in.sql")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("linked_dir")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap();
        let fifo = root.join("db/fifo.sql");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());

        assert_eq!(resolve(&root, "db/ok.sql"), Resolved::File(root.join("db/ok.sql")));
        assert_eq!(resolve(&root, "db/in.sql"), Resolved::File(root.join("db/ok.sql")));
        assert_eq!(resolve(&root, "db"), Resolved::Dir(root.join("db")));
        assert_eq!(resolve(&root, "db/dangling_in.sql"), Resolved::Missing);
        assert_eq!(resolve(&root, "nope"), Resolved::Missing);
        assert!(matches!(resolve(&root, "db/out.sql"), Resolved::Refused(Refusal::Outside { .. })));
        assert_eq!(resolve(&root, "db/dangling_out.sql"), Resolved::Refused(Refusal::Outside { target: "/no/such/file".into() }));
        assert!(matches!(resolve(&root, "linked_dir"), Resolved::Refused(Refusal::Outside { .. })));
        assert!(matches!(resolve(&root, "linked_dir/secret"), Resolved::Refused(Refusal::Outside { .. })));
        assert!(matches!(resolve(&root, "zero"), Resolved::Refused(Refusal::Outside { .. })));
        assert_eq!(resolve(&root, "db/fifo.sql"), Resolved::Refused(Refusal::NotRegular { kind: "a FIFO (named pipe)" }));
        // Opening it anyway (a path the user named) does not block, and reads nothing.
        let e = read_capped(&fifo, 10).unwrap_err();
        assert!(e.contains("FIFO"), "{e}");
        assert!(read_named(&fifo, 10).unwrap_err().contains("FIFO"));
        assert!(read_named(Path::new("/dev/zero"), 10).unwrap_err().contains("character device"));
        assert_eq!(read_capped(&root.join("db/ok.sql"), 4).unwrap(), b"SELEC");
        assert!(read_inside(&root, "db/out.sql", 10).unwrap_err().starts_with("a symbolic link to `"));
        assert_eq!(read_inside(&root, "nope", 10).unwrap(), None);
    }
}
