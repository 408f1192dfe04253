#!/usr/bin/env bash
# The Action's `trm-ci ci` step. The inputs arrive only as environment variables
# (TRM_CI: the binary; STAGES, BASE, FAIL_ON, MAX_SIZE), never pasted into the script.
# `trm-ci ci` writes the step outputs verdict, findings and results itself ($GITHUB_OUTPUT).
set -euo pipefail

results="$RUNNER_TEMP/trm-ci-results.json"
sarif="$RUNNER_TEMP/trm-ci.sarif"
out=${GITHUB_OUTPUT:-/dev/null}

args=(ci --repo . --json "$results" --max-size "$MAX_SIZE")
[ -n "${BASE:-}" ] && args+=(--base "$BASE")
case "${FAIL_ON:-error}" in
  error | warning) args+=(--fail-on "$FAIL_ON") ;;
  never) ;;
  *)
    echo "::error title=trm-ci::input fail-on must be error, warning or never, not '$FAIL_ON'"
    exit 2
    ;;
esac
stages=",$(printf '%s' "${STAGES:-lint,build,smoke}" | tr -d ' '),"
for s in $(printf '%s' "$stages" | tr ',' ' '); do
  case "$s" in
    lint | build | smoke) ;;
    *)
      echo "::error title=trm-ci::input stages: unknown stage '$s' (lint, build, smoke)"
      exit 2
      ;;
  esac
done
[[ "$stages" == *,lint,* ]] || args+=(--skip-lint)
[[ "$stages" == *,build,* ]] || args+=(--skip-build)
[[ "$stages" == *,smoke,* ]] || args+=(--skip-smoke)

rc=0
echo "trm-ci: running trm-ci ${args[*]}"
"$TRM_CI" "${args[@]}" || rc=$?
if [ "$rc" -ge 2 ] || [ ! -s "$results" ]; then
  echo "::error title=trm-ci::trm-ci ci could not run (exit $rc)"
  exit "$rc"
fi

# SARIF for code scanning (the upload is skipped on forks).
if [[ "$stages" == *,lint,* ]]; then
  lint=(lint --repo . --format sarif --output "$sarif")
  [ -n "${BASE:-}" ] && lint+=(--base "$BASE")
  if "$TRM_CI" "${lint[@]}" || [ -s "$sarif" ]; then
    echo "sarif=$sarif" >>"$out"
  fi
fi
# The verdict step fails the job; the later steps still post the results.
exit 0
