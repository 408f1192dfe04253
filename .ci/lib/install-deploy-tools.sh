#!/usr/bin/env bash
# Installs the tool that checks the deployment examples (tests/deploy.rs) into a venv under
# the cache, from PyPI, pinned; only when the pin changed. Prints nothing on a machine that has it.
#   kubernetes-validate   the Kubernetes JSON schemas ship inside the package (deploy/kubernetes/)
# The stack file (deploy/stack.yaml) is checked with Debian's docker-compose (install-packages.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"

pins=(kubernetes-validate==1.37.0)
venv="$ci_cache/deploy-tools"
stamp="$venv/.pins"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pins[*]}" ]; then
  exit 0
fi
command -v python3 >/dev/null || die "python3 is needed for the deployment checks (Debian package python3)"
log "deploy tools: installing ${pins[*]} into $venv"
rm -rf "$venv"
python3 -m venv "$venv" || die "python3 -m venv failed: install Debian's python3-venv"
"$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >"$ci_cache/deploy-tools.log" 2>&1 \
  || { tail -n 20 "$ci_cache/deploy-tools.log" >&2; die "pip install ${pins[*]} failed (log: $ci_cache/deploy-tools.log)"; }
echo "${pins[*]}" >"$stamp"
log "deploy tools: installed"
