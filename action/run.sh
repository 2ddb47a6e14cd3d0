#!/usr/bin/env bash
# Runs policy-lint once, writing SARIF, for the GitHub Action (action.yml).
#
# Inputs arrive as environment variables only (never spliced into this script), so no input can
# be interpreted by the shell:
#   PATHS  CONFIG  ENVIRONMENT  VAR_FILES  ARGS  FAIL_ON  SARIF_FILE  SARIF_CATEGORY
#   POLICY_LINT (optional: the binary; default `policy-lint` on PATH)
# PATHS and VAR_FILES are separated by newlines or spaces (a path cannot contain spaces here);
# ARGS (extra flags for `policy-lint check`) by spaces, without quoting.
#
# Writes `exit-code` and `sarif-file` to $GITHUB_OUTPUT. Exits 0 when policy-lint found or did not
# find problems (exit 0 or 1: the verdict is given after the SARIF upload), and with policy-lint's
# own exit code otherwise (2: a usage or configuration error, so there is nothing to upload).
set -uo pipefail
set -f # no globbing when splitting PATHS and VAR_FILES

bin="${POLICY_LINT:-policy-lint}"
sarif="${SARIF_FILE:-policy-lint.sarif}"
fail_on="${FAIL_ON:-error}"

case "$fail_on" in
  error|warning|note|never) ;;
  *) echo "::error::fail-on must be error, warning, note or never, not \`$fail_on\`"; exit 2 ;;
esac

args=(check --format sarif --output "$sarif" --fail-on "$fail_on" --color never)
[ -n "${CONFIG:-}" ] && args+=(--config "$CONFIG")
[ -n "${ENVIRONMENT:-}" ] && args+=(--environment "$ENVIRONMENT")
[ -n "${SARIF_CATEGORY:-}" ] && args+=(--sarif-category "$SARIF_CATEGORY")
for f in ${VAR_FILES:-}; do
  args+=(--var-file "$f")
done
for a in ${ARGS:-}; do
  case "$a" in
    --format | --format=* | --output | --output=* | -o | -o*)
      echo "::error::args: \`$a\` is set by the action (SARIF to sarif-file); use the format and sarif-file inputs"
      exit 2
      ;;
    --fail-on | --fail-on=*)
      echo "::error::args: use the fail-on input instead of \`$a\`"
      exit 2
      ;;
  esac
  args+=("$a")
done
args+=(--)
n=0
for p in ${PATHS:-.}; do
  args+=("$p")
  n=$((n + 1))
done
[ "$n" -eq 0 ] && args+=(.)

mkdir -p "$(dirname -- "$sarif")"
echo "policy-lint ${args[*]}"
"$bin" "${args[@]}"
code=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    echo "sarif-file=$sarif"
  } >> "$GITHUB_OUTPUT"
fi

case "$code" in
  0|1) exit 0 ;;
  *)
    echo "::error::policy-lint exited with $code (a usage or configuration error; see the messages above)"
    exit "$code"
    ;;
esac
