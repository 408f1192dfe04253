#!/usr/bin/env bash
# The Action's first step: install the release binary of trm-ci for the action's own ref,
# verified against its published SHA-256, when that ref is a release tag (vX.Y.Z), or the full
# commit sha such a tag points at, and the binary exists. Sets the step outputs `installed` (true/false) and `lock` (the
# Cargo.lock hash the cargo-install fallback's cache is keyed on) and, when installed, `bin`
# (the binary's path: later steps call it by path, nothing is added to GITHUB_PATH).
#
# Inputs (environment only): ACTION_REF, ACTION_REPOSITORY, SERVER_URL, TRM_CI_BIN (optional: a
# trm-ci binary already on the runner, used instead of installing one); GITHUB_ACTION_PATH,
# RUNNER_TEMP, GITHUB_OUTPUT are the runner's.
set -euo pipefail

out=${GITHUB_OUTPUT:-/dev/null}
lock=$(sha256sum "$GITHUB_ACTION_PATH/Cargo.lock" | cut -c1-20)
echo "lock=$lock" >>"$out"

# A trm-ci already on the runner (a self-hosted runner's, or the act test's): used as it is.
if [ -n "${TRM_CI_BIN:-}" ]; then
  [ -x "$TRM_CI_BIN" ] || {
    echo "::error title=trm-ci::TRM_CI_BIN=$TRM_CI_BIN is not an executable file"
    exit 1
  }
  echo "trm-ci: using TRM_CI_BIN=$TRM_CI_BIN ($("$TRM_CI_BIN" --version))"
  echo "bin=$TRM_CI_BIN" >>"$out"
  echo "installed=true" >>"$out"
  exit 0
fi

ref=${ACTION_REF:-}
repo=${ACTION_REPOSITORY:-}
# Inside composite actions the runner may leave github.action_ref empty: a remote action
# is checked out at .../_actions/OWNER/REPO/REF, which names both.
if [ -z "$ref" ] || [ -z "$repo" ]; then
  case "$GITHUB_ACTION_PATH" in
    */_actions/*/*/*)
      rest=${GITHUB_ACTION_PATH#*/_actions/}
      repo=$(printf '%s' "$rest" | cut -d/ -f1-2)
      ref=$(printf '%s' "$rest" | cut -d/ -f3)
      ;;
  esac
fi

fallback() {
  echo "trm-ci: $1; building from source (cargo install)"
  echo "installed=false" >>"$out"
  exit 0
}

case "$(uname -m)" in
  x86_64 | amd64) target=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) target=aarch64-unknown-linux-musl ;;
  *) fallback "no release binary for $(uname -m)" ;;
esac
command -v curl >/dev/null || fallback "curl is not installed"
releases="${SERVER_URL:-https://github.com}/$repo/releases/download"

# Pinned by full commit sha (uses: owner/trm-ci@<sha> # vX.Y.Z): the release of the version that
# commit's Cargo.toml names, if that release was made from this very commit (its
# trm-ci-commit.txt asset, written by release.yml, says which commit the tag pointed at).
if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
  version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)
  [ -n "$version" ] || fallback "no version in Cargo.toml"
  released=$(curl -fsSL --retry 3 --retry-delay 2 "$releases/v$version/trm-ci-commit.txt") ||
    fallback "no release v$version to match commit $ref"
  [ "$(printf '%s' "$released" | tr -d '[:space:]')" = "$ref" ] ||
    fallback "commit $ref is not the commit of release v$version"
  echo "trm-ci: commit $ref is release v$version"
  ref="v$version"
fi
# A local action (uses: ./), a branch or an unreleased sha: nothing was released for it.
[[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || fallback "no release for ref '${ref:-local}'"

asset="trm-ci-$target.tar.gz"
base="$releases/$ref"
dir="$RUNNER_TEMP/trm-ci-release"
rm -rf "$dir" && mkdir -p "$dir/bin"
curl -fsSL --retry 3 --retry-delay 2 -o "$dir/$asset" "$base/$asset" || fallback "cannot download $base/$asset"
curl -fsSL --retry 3 --retry-delay 2 -o "$dir/$asset.sha256" "$base/$asset.sha256" || fallback "cannot download $asset.sha256"
# The checksum file holds "<sha256>  <asset>": a mismatch is an error, not a fallback.
(cd "$dir" && sha256sum --check --strict "$asset.sha256") || {
  echo "::error title=trm-ci::$asset does not match its published SHA-256"
  exit 1
}
tar -xzf "$dir/$asset" -C "$dir/bin" trm-ci
"$dir/bin/trm-ci" --version
echo "bin=$dir/bin/trm-ci" >>"$out"
echo "installed=true" >>"$out"
