#!/usr/bin/env bash
# End-to-end test of the pre-commit wheel path: build the policy-lint wheel with maturin, serve it
# from a local directory (no package index: PIP_NO_INDEX=1, PIP_FIND_LINKS), and run the real
# pre-commit against a throwaway repository that uses the hook repository in pre-commit-hook/:
# the hook installs in seconds, a violation blocks the commit, a clean change passes.
#
#   scripts/wheel-e2e.sh [WORKDIR]
#
# Building the wheel is a release build (minutes); it is not part of `cargo test`. Network is
# used only first, to install maturin and pre-commit into a virtualenv under WORKDIR and to fetch
# setuptools (the hook package's build backend) into the local wheel directory; everything pre-commit
# installs comes from that directory. Set CARGO_TARGET_DIR to reuse a build. Prints a report
# and exits non-zero on the first expectation that fails.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/policy-lint-wheel-e2e.XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
wheels="$work/wheels"
rm -rf "$wheels" "$work/hook-repo" "$work/project" "$work/pre-commit-home"
mkdir -p "$wheels"
version="$(awk '
  /^\[/ { in_package = ($0 == "[package]") }
  in_package && /^version *= *"/ { sub(/^version *= *"/, ""); sub(/".*/, ""); print; exit }
' "$repo/Cargo.toml")"

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

say "tools (virtualenv $work/venv)"
if [ ! -x "$work/venv/bin/pre-commit" ] || [ ! -x "$work/venv/bin/maturin" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet "maturin==1.16.0" "pre-commit==4.7.0"
fi
"$work/venv/bin/maturin" --version
"$work/venv/bin/pre-commit" --version
# The hook package's build backend, served from the same directory as the wheel.
"$work/venv/bin/pip" download --quiet --only-binary=:all: --dest "$wheels" "setuptools>=61"

say "build the wheel (maturin, release profile)"
t0="$(now)"
(cd "$repo" && "$work/venv/bin/maturin" build --release --locked --out "$wheels")
t1="$(now)"
build_time="$(elapsed "$t0" "$t1")"
wheel="$(ls "$wheels"/policy_lint-"$version"-*.whl)"
echo "wheel: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB, built in $build_time s"

say "throwaway hook repository (pre-commit-hook/ as its own repository, tag v$version)"
git_q() { git -c user.name=e2e -c user.email=e2e@example.invalid -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }
mkdir "$work/hook-repo"
cp -R "$repo/pre-commit-hook/." "$work/hook-repo/"
(cd "$work/hook-repo" && git_q init -q && git_q add -A && git_q commit -q -m hooks && git_q tag "v$version")

say "throwaway project using it"
mkdir -p "$work/project/infra"
cd "$work/project"
git_q init -q
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $work/hook-repo
    rev: v$version
    hooks:
      - id: policy-lint
YAML
cat > infra/main.tf <<'TF'
resource "databricks_account_network_policy" "prod" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

resource "databricks_workspace_network_option" "prod" {
  workspace_id      = "1234567890"
  network_policy_id = databricks_account_network_policy.prod.network_policy_id
}
TF
git_q add -A
git_q commit -q --no-verify -m "initial"

# From here on, no package index: only the local directory.
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheels" PRE_COMMIT_HOME="$work/pre-commit-home"
unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL
pc="$work/venv/bin/pre-commit"

say "pre-commit install + install-hooks (PIP_NO_INDEX=1, PIP_FIND_LINKS=$wheels)"
t0="$(now)"
"$pc" install
"$pc" install-hooks
t1="$(now)"
install_time="$(elapsed "$t0" "$t1")"
echo "hook environment installed in $install_time s; pre-commit cache $(du -sh "$PRE_COMMIT_HOME" | cut -f1)"
env_bin="$(find "$PRE_COMMIT_HOME" -path '*/bin/policy-lint' -type f | head -n 1)"
[ -n "$env_bin" ] || fail "no policy-lint in the hook environment"
"$env_bin" --version
[ "$(python3 -c "import sys; print(float(sys.argv[1]) < 60)" "$install_time")" = True ] ||
  fail "installing the hook took $install_time s"

say "a violation blocks the commit"
sed -i.bak 's/RESTRICTED_ACCESS/FULL_ACCESS/' infra/main.tf && rm -f infra/main.tf.bak
git_q add infra/main.tf
set +e
git_q commit -m "open egress" > "$work/blocked.txt" 2>&1
status=$?
set -e
cat "$work/blocked.txt"
[ "$status" -ne 0 ] || fail "the commit with FULL_ACCESS was not blocked"
grep -q "NET002" "$work/blocked.txt" || fail "the hook output does not name NET002"
git_q rev-list --count HEAD | grep -qx 1 || fail "a commit was made"

say "a clean change passes"
sed -i.bak 's/FULL_ACCESS/RESTRICTED_ACCESS/; s/"1234567890"/"1234567891"/' infra/main.tf && rm -f infra/main.tf.bak
git_q add infra/main.tf
t0="$(now)"
git_q commit -m "change workspace" > "$work/passed.txt" 2>&1 || { cat "$work/passed.txt"; fail "the clean commit was blocked"; }
t1="$(now)"
cat "$work/passed.txt"
git_q rev-list --count HEAD | grep -qx 2 || fail "no commit was made"

say "result"
echo "wheel $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB), built once in $build_time s (the release workflow's job, not the user's)"
echo "  pre-commit install-hooks from the local wheel directory: $install_time s"
echo "  violation blocked (exit $status), clean commit passed (hook run $(elapsed "$t0" "$t1") s)"
echo "PASSED"
