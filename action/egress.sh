#!/usr/bin/env bash
# Runs `policy-lint egress-report` for the GitHub Action (action.yml) when the `egress-log` input
# names exported system.access.outbound_network logs, and writes its Markdown report to the job
# summary.
#
# Inputs arrive as environment variables only (never spliced into this script), so no input can
# be interpreted by the shell:
#   EGRESS_LOG  EGRESS_POLICY  EGRESS_FAIL  PATHS  CONFIG  ENVIRONMENT  VAR_FILES  SUMMARY
#   POLICY_LINT (optional: the binary; default `policy-lint` on PATH)
# EGRESS_LOG, PATHS and VAR_FILES are separated by newlines or spaces (a path cannot contain
# spaces here).
#
# Writes `egress-exit-code` and `egress-failed` to $GITHUB_OUTPUT. Exits 0 when the report was
# made (exit 0 or 1: `egress-failed` carries the verdict to the last step when EGRESS_FAIL is
# true), and with policy-lint's own exit code otherwise (2: a log or configuration error).
set -uo pipefail
set -f # no globbing when splitting the lists

bin="${POLICY_LINT:-policy-lint}"
report="$(mktemp "${RUNNER_TEMP:-/tmp}/policy-lint-egress.XXXXXX")"

args=(egress-report --format markdown --output "$report")
n=0
for f in ${EGRESS_LOG:-}; do
  args+=(--log "$f")
  n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
  echo "::error::egress-log names no file"
  exit 2
fi
[ -n "${EGRESS_POLICY:-}" ] && args+=(--policy "$EGRESS_POLICY")
[ -n "${CONFIG:-}" ] && args+=(--config "$CONFIG")
[ -n "${ENVIRONMENT:-}" ] && args+=(--environment "$ENVIRONMENT")
for f in ${VAR_FILES:-}; do
  args+=(--var-file "$f")
done
args+=(--)
m=0
for p in ${PATHS:-.}; do
  args+=("$p")
  m=$((m + 1))
done
[ "$m" -eq 0 ] && args+=(.)

echo "policy-lint ${args[*]}"
"$bin" "${args[@]}"
code=$?

case "$code" in
  0|1)
    cat "$report"
    case "${SUMMARY:-true}" in
      false|0|no|off) ;;
      *) [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$report" >> "$GITHUB_STEP_SUMMARY" ;;
    esac
    ;;
esac
rm -f "$report"

failed=false
if [ "$code" -eq 1 ]; then
  case "${EGRESS_FAIL:-false}" in
    true|1|yes|on) failed=true ;;
  esac
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "egress-exit-code=$code"
    echo "egress-failed=$failed"
  } >> "$GITHUB_OUTPUT"
fi

case "$code" in
  0|1) exit 0 ;;
  *)
    echo "::error::policy-lint egress-report exited with $code (a log, usage or configuration error; see the messages above)"
    exit "$code"
    ;;
esac
