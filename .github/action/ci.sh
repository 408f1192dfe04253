#!/usr/bin/env bash
# The Action's `trm-ci ci` step. The inputs arrive only as environment variables, never pasted
# into the script: TRM_CI (the binary), STAGES, BASE, FAIL_ON, SARIF, MAX_SIZE, MAX_ADDED_SIZE,
# CONFIG, POSTGRES_IMAGE, PULL; and, for the rule documentation links, ACTION_REPOSITORY,
# ACTION_REF, SERVER_URL, HEAD_SHA (GITHUB_REPOSITORY and GITHUB_ACTION_PATH are the runner's).
# `trm-ci ci` writes the step outputs verdict, findings and results itself ($GITHUB_OUTPUT);
# this script adds `sarif` when asked for.
set -euo pipefail

results="$RUNNER_TEMP/trm-ci-results.json"
sarif="$RUNNER_TEMP/trm-ci.sarif"
out=${GITHUB_OUTPUT:-/dev/null}

bad() {
  echo "::error title=trm-ci::$1"
  exit 2
}

args=(ci --repo . --json "$results")
[ -n "${BASE:-}" ] && args+=(--base "$BASE")
[ -n "${CONFIG:-}" ] && args+=(--config "$CONFIG")
case "${FAIL_ON:-error}" in
  error | warning) args+=(--fail-on "$FAIL_ON") ;;
  never) ;;
  *) bad "input fail-on must be error, warning or never, not '$FAIL_ON'" ;;
esac
case "${SARIF:-false}" in
  true | false) ;;
  *) bad "input sarif must be true or false, not '$SARIF'" ;;
esac
case "${PULL:-missing}" in
  missing | always | never) args+=(--pull "${PULL:-missing}") ;;
  *) bad "input pull must be missing, always or never, not '$PULL'" ;;
esac

stages=",$(printf '%s' "${STAGES:-lint,build,smoke,upgrade}" | tr -d ' '),"
for s in $(printf '%s' "$stages" | tr ',' ' '); do
  case "$s" in
    lint | build | smoke | upgrade) ;;
    *) bad "input stages: unknown stage '$s' (lint, build, smoke, upgrade)" ;;
  esac
done
has() { [[ "$stages" == *,$1,* ]]; }
# Smoke and the drill judge the image this run builds; there is none without the build.
for s in smoke upgrade; do
  if has "$s" && ! has build; then
    bad "input stages: '$s' boots the image this run builds: add build (e.g. lint,build,$s)"
  fi
done
has lint || args+=(--skip-lint)
if has build; then
  args+=(--max-size "$MAX_SIZE" --max-added-size "$MAX_ADDED_SIZE")
else
  args+=(--skip-build)
fi
has smoke || args+=(--skip-smoke)
has upgrade || args+=(--skip-upgrade)
if has smoke || has upgrade; then
  args+=(--postgres-image "$POSTGRES_IMAGE")
fi

# The PR comment links each rule id to its documentation (docs/rules/<id>.md) in the repository
# and at the ref this action runs from: the docs of the very trm-ci that judged the PR. A local
# action (uses: ./) is this repository, at the PR's head commit.
repo=${ACTION_REPOSITORY:-}
ref=${ACTION_REF:-}
if [ -z "$repo" ] || [ -z "$ref" ]; then
  case "${GITHUB_ACTION_PATH:-}" in
    */_actions/*/*/*)
      rest=${GITHUB_ACTION_PATH#*/_actions/}
      repo=$(printf '%s' "$rest" | cut -d/ -f1-2)
      ref=$(printf '%s' "$rest" | cut -d/ -f3)
      ;;
    *)
      repo=${GITHUB_REPOSITORY:-}
      ref=${HEAD_SHA:-}
      ;;
  esac
fi
if [ -n "$repo" ] && [ -n "$ref" ] && [ -z "${TRM_CI_RULES_URL:-}" ]; then
  export TRM_CI_RULES_URL="${SERVER_URL:-https://github.com}/$repo/blob/$ref/docs/rules/"
fi
[ -z "${TRM_CI_RULES_URL:-}" ] || echo "trm-ci: rule documentation: $TRM_CI_RULES_URL"

rc=0
echo "trm-ci: running trm-ci ${args[*]}"
"$TRM_CI" "${args[@]}" || rc=$?
if [ "$rc" -ge 2 ] || [ ! -s "$results" ]; then
  echo "::error title=trm-ci::trm-ci ci could not run (exit $rc)"
  exit "$rc"
fi

# SARIF for code scanning, when asked for (the upload is skipped on forks).
if [ "${SARIF:-false}" = true ] && has lint; then
  lint=(lint --repo . --format sarif --output "$sarif")
  [ -n "${BASE:-}" ] && lint+=(--base "$BASE")
  [ -n "${CONFIG:-}" ] && lint+=(--config "$CONFIG")
  if "$TRM_CI" "${lint[@]}" || [ -s "$sarif" ]; then
    echo "sarif=$sarif" >>"$out"
  fi
fi
# The verdict step fails the job; the later steps still post the results.
exit 0
