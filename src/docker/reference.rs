//! Image references as Docker reads them: which registry a name lives in, and the name the
//! engine is asked to pull (`postgres` is `docker.io/library/postgres:latest`).

/// Docker Hub, as the engine and the CLI name it.
pub const DOCKER_HUB: &str = "docker.io";
/// The key the Docker CLI stores Docker Hub's credentials under in config.json (and asks a
/// credential helper for).
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// One image reference, split as Docker splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, or the `host[:port]` the name starts with.
    pub registry: String,
    /// The repository inside the registry (`library/postgres`, `directus/directus`).
    pub path: String,
    /// `:tag` or `@sha256:…` (`:latest` when the name has neither).
    pub suffix: String,
}

impl Reference {
    /// Splits `name` like Docker: the first component is a registry when it has a `.` or a `:`
    /// or is `localhost`; otherwise the image is Docker Hub's (and a one-component name is
    /// under `library/`).
    pub fn parse(name: &str) -> Reference {
        let (rest, digest) = match name.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (name, None),
        };
        let (registry, remainder) = match rest.split_once('/') {
            Some((first, tail)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (normalise_host(first), tail.to_string())
            }
            _ => (DOCKER_HUB.to_string(), rest.to_string()),
        };
        let slash = remainder.rfind('/').map(|p| p + 1).unwrap_or(0);
        let (path, tag) = match remainder[slash..].rfind(':') {
            Some(p) => (remainder[..slash + p].to_string(), Some(remainder[slash + p + 1..].to_string())),
            None => (remainder.clone(), None),
        };
        let path = if registry == DOCKER_HUB && !path.contains('/') { format!("library/{path}") } else { path };
        let suffix = match (digest, tag) {
            (Some(d), _) => format!("@{d}"),
            (None, Some(t)) => format!(":{t}"),
            (None, None) => ":latest".to_string(),
        };
        Reference { registry, path, suffix }
    }

    /// What the engine is asked to pull: the name with its tag made explicit (a name without
    /// one would make the engine pull every tag).
    pub fn pull_name(&self) -> String {
        if self.registry == DOCKER_HUB {
            format!("{}{}", self.path.strip_prefix("library/").unwrap_or(&self.path), self.suffix)
        } else {
            format!("{}/{}{}", self.registry, self.path, self.suffix)
        }
    }

    /// The key the Docker CLI looks credentials up by (`https://index.docker.io/v1/` for Docker
    /// Hub, the registry's `host[:port]` otherwise).
    pub fn auth_key(&self) -> String {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_AUTH_KEY.to_string()
        } else {
            self.registry.clone()
        }
    }
}

/// A registry as written in config.json's keys or an image name, reduced to the host[:port]
/// the Docker CLI compares (`https://index.docker.io/v1/`, `index.docker.io`,
/// `registry-1.docker.io` and `docker.io` are all Docker Hub).
pub fn normalise_host(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(s);
    let host = s.split('/').next().unwrap_or(s).to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB.to_string(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_docker() {
        let r = Reference::parse("postgres:16-alpine");
        assert_eq!((r.registry.as_str(), r.path.as_str(), r.suffix.as_str()), ("docker.io", "library/postgres", ":16-alpine"));
        assert_eq!(r.pull_name(), "postgres:16-alpine");
        assert_eq!(r.auth_key(), "https://index.docker.io/v1/");
        let r = Reference::parse("directus/directus:11.17.4");
        assert_eq!((r.registry.as_str(), r.path.as_str()), ("docker.io", "directus/directus"));
        assert_eq!(r.pull_name(), "directus/directus:11.17.4");
        let r = Reference::parse("docker.io/library/postgres");
        assert_eq!(r.pull_name(), "postgres:latest");
        let r = Reference::parse("127.0.0.1:5000/team/base");
        assert_eq!((r.registry.as_str(), r.path.as_str(), r.suffix.as_str()), ("127.0.0.1:5000", "team/base", ":latest"));
        assert_eq!(r.pull_name(), "127.0.0.1:5000/team/base:latest");
        assert_eq!(r.auth_key(), "127.0.0.1:5000");
        let r = Reference::parse("localhost/x:1");
        assert_eq!(r.registry, "localhost");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/o/i:1@{d}"));
        assert_eq!(r.suffix, format!("@{d}"));
        assert_eq!(r.registry, "ghcr.io");
        // A port-less first component without a dot is a Docker Hub user.
        assert_eq!(Reference::parse("team/app:2").registry, "docker.io");
    }

    #[test]
    fn hosts_normalise_as_the_cli_does() {
        for k in ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "https://registry-1.docker.io/v2/"] {
            assert_eq!(normalise_host(k), "docker.io", "{k}");
        }
        assert_eq!(normalise_host("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(normalise_host("GHCR.io"), "ghcr.io");
    }
}
