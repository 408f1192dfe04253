//! Helpers shared by the integration test crates (`mod common;`).

use std::path::Path;

/// Copies a directory tree; `fs::copy` keeps the permission bits, which
/// `scripts/not-executable` fixtures depend on. Symbolic links are copied as
/// links (`lint/outside-repository` fixtures hold some).
#[allow(dead_code)] // smoke.rs and upgrade.rs share this module and copy no fixture tree
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&e.path(), &dest);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `git init` in `repo` and one commit of everything in its work tree (the
/// base of a fixture history).
#[allow(dead_code)] // not every test crate that shares this module commits
pub fn init_and_commit_all(repo: &Path, message: &str) {
    let r = git2::Repository::init(repo).unwrap();
    let mut index = r.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = r.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("fixture", "fixture@example.invalid").unwrap();
    r.commit(Some("HEAD"), &sig, &sig, message, &tree, &[]).unwrap();
}

// The binary-driving suites against the real engine (tests/smoke.rs, tests/upgrade.rs).

/// The trm-ci binary under test.
#[allow(dead_code)]
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_trm-ci")
}

/// This repository: the deployment the engine suites build and boot.
#[allow(dead_code)]
pub fn repo_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The local Postgres image (`TRM_POSTGRES_IMAGE`, exported by .ci/test): the engine suites fail,
/// never skip, without it.
#[allow(dead_code)]
pub fn pg_image() -> String {
    std::env::var("TRM_POSTGRES_IMAGE").unwrap_or_else(|_| {
        panic!("TRM_POSTGRES_IMAGE is not set: it must name the local Postgres image (bash .ci/test builds and exports it)")
    })
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One engine test at a time within a suite (each boots Directus; a failed one must not poison
/// the rest).
#[allow(dead_code)]
pub fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[allow(dead_code)]
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs trm-ci with `args`, echoing its output into the test's log.
#[allow(dead_code)]
pub fn run(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(bin()).args(args).output().expect("running trm-ci");
    eprintln!("$ trm-ci {}\n--- stdout\n{}--- stderr\n{}", args.join(" "), text(&out.stdout), text(&out.stderr));
    out
}

/// The deployment's files and folders a fixture repository copies.
#[allow(dead_code)]
pub const DEPLOYMENT: [&str; 8] = ["Dockerfile", ".dockerignore", "entrypoint.sh", "scripts", "db-init", "snapshots", "db-post", "extensions"];

/// Copies [`DEPLOYMENT`] from this repository into `to` (`cp -a`: modes and times kept).
#[allow(dead_code)]
pub fn copy_deployment(to: &Path) {
    for entry in DEPLOYMENT {
        let src = repo_root().join(entry);
        let st = std::process::Command::new("cp").arg("-a").arg(&src).arg(to).status().expect("cp");
        assert!(st.success(), "copying {}", src.display());
    }
}
