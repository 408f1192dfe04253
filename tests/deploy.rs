//! The deployment examples for N replicas (deploy/): the stack file is a compose file
//! that Docker's own loader accepts (Debian's docker-compose validates the 3.8 format,
//! `deploy:` included), with what many replicas need; the Kubernetes example validates
//! against the Kubernetes schemas (kubernetes-validate from PyPI, installed by
//! .ci/lib/install-deploy-tools.sh into $TRM_CI_CACHE/deploy-tools, or TRM_DEPLOY_TOOLS).
//! Both tools FAIL these tests when missing. No Docker engine, no cluster.

use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deploy_tools() -> PathBuf {
    std::env::var_os("TRM_DEPLOY_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("TRM_CI_CACHE").map(PathBuf::from).unwrap_or_else(|| "/var/cache/trm-ci".into());
        cache.join("deploy-tools/bin")
    })
}

fn kubernetes_validate(file: &Path) -> std::process::Output {
    let exe = deploy_tools().join("kubernetes-validate");
    assert!(
        exe.is_file(),
        "{} is missing: `bash .ci/lib/install-deploy-tools.sh` installs it (bash .ci/test does)",
        exe.display()
    );
    Command::new(&exe).arg("--strict").arg(file).output().expect("run kubernetes-validate")
}

/// `docker-compose config` of the stack file with the variables it requires: the
/// resolved file (anchors, interpolation) as Docker's compose loader sees it.
fn stack_config(file: &Path) -> Result<Yaml, String> {
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(file)
        .arg("config")
        .envs([
            ("DB_PASSWORD", "db-pass"),
            ("KEY", "the-key"),
            ("SECRET", "the-secret"),
            ("ADMIN_EMAIL", "admin@example.com"),
            ("ADMIN_PASSWORD", "admin-pass"),
            ("NFS_SERVER", "10.0.0.5"),
            ("IMAGE", "registry.example.com/team/directus:1.4.0"),
        ])
        .output()
        .unwrap_or_else(|e| panic!("docker-compose (Debian package docker-compose; bash .ci/test installs it): {e}"));
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let docs = YamlLoader::load_from_str(&String::from_utf8_lossy(&out.stdout)).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().next().unwrap_or(Yaml::Null))
}

fn s(y: &Yaml) -> String {
    match y {
        Yaml::String(x) | Yaml::Real(x) => x.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

#[test]
fn the_stack_file_is_accepted_by_docker_compose_and_scales() {
    let cfg = stack_config(&repo().join("deploy/stack.yaml")).expect("docker-compose config");
    let svc = &cfg["services"]["directus"];
    let replicas = svc["deploy"]["replicas"].as_i64().expect("deploy.replicas");
    assert!(replicas > 1, "the production stack runs several replicas");
    let update = &svc["deploy"]["update_config"];
    assert_eq!(s(&update["order"]), "start-first");
    assert_eq!(update["parallelism"].as_i64(), Some(1));
    assert_eq!(s(&update["failure_action"]), "rollback");
    let env = &svc["environment"];
    for (k, v) in [
        ("SYNCHRONIZATION_STORE", "redis"),
        ("CACHE_STORE", "redis"),
        ("RATE_LIMITER_STORE", "redis"),
        ("REDIS", "redis://redis:6379"),
        ("KEY", "the-key"),
        ("SECRET", "the-secret"),
    ] {
        assert_eq!(s(&env[k]), v, "{k}");
    }
    assert!(!cfg["services"]["redis"].is_badvalue(), "a redis service");
    assert!(s(&svc["healthcheck"]["test"][1]).contains("/server/ping"), "{:?}", svc["healthcheck"]);
    // uploads: a volume every replica shares (NFS), not a node-local one
    let uploads = &cfg["volumes"]["uploads"]["driver_opts"];
    assert_eq!(s(&uploads["type"]), "nfs");
    // the pools fit: replicas x DB_POOL__MAX (+ 2 per booting replica) under max_connections
    let pool: i64 = s(&env["DB_POOL__MAX"]).parse().expect("DB_POOL__MAX");
    let command: Vec<String> = cfg["services"]["postgres"]["command"].as_vec().expect("postgres command").iter().map(s).collect();
    let max: i64 = command.iter().find_map(|c| c.strip_prefix("max_connections=")).expect("max_connections").parse().unwrap();
    assert!(replicas * (pool + 2) < max, "{replicas} x ({pool} + 2) must stay under max_connections {max}");
}

#[test]
fn docker_compose_rejects_a_broken_stack_file() {
    // the check has teeth: an unknown key under deploy.update_config is refused
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("deploy/stack.yaml")).unwrap();
    let bad = dir.path().join("stack.yaml");
    std::fs::write(&bad, text.replace("failure_action: rollback", "failure_action: rollback\n        on_failure: retry")).unwrap();
    let err = stack_config(&bad).expect_err("an unknown deploy key must be refused");
    assert!(err.contains("on_failure"), "{err}");
}

#[test]
fn the_kubernetes_example_validates_against_the_kubernetes_schemas() {
    let file = repo().join("deploy/kubernetes/directus.yaml");
    let out = kubernetes_validate(&file);
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    for kind in ["deployment/directus", "job/directus-migrate", "service/directus", "persistentvolumeclaim/directus-uploads"] {
        assert!(said.contains(&format!("passed for resource {kind}")), "{kind}: {said}");
    }

    let docs = YamlLoader::load_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let of = |kind: &str| docs.iter().find(|d| s(&d["kind"]) == kind).unwrap_or_else(|| panic!("no {kind}"));
    let env = |c: &Yaml, name: &str| c["env"].as_vec().unwrap().iter().find(|e| s(&e["name"]) == name).map(|e| s(&e["value"]));
    let deployment = &of("Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(s(&deployment["startupProbe"]["httpGet"]["path"]), "/server/ping");
    assert_eq!(s(&deployment["readinessProbe"]["httpGet"]["path"]), "/server/health");
    assert_eq!(env(deployment, "TRM_BOOT_MODE").as_deref(), Some("wait"));
    let job = &of("Job")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env(job, "TRM_BOOT_MODE").as_deref(), Some("migrate"));
    assert_eq!(s(&job["image"]), s(&deployment["image"]), "the Job runs the replicas' image");
}

#[test]
fn kubernetes_validate_rejects_a_misspelt_probe() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("deploy/kubernetes/directus.yaml")).unwrap();
    let bad = dir.path().join("directus.yaml");
    std::fs::write(&bad, text.replace("failureThreshold: 120", "failureTreshold: 120")).unwrap();
    let out = kubernetes_validate(&bad);
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("failureTreshold"), "{said}");
}
