#!/usr/bin/env bash
# Before a release (the release workflow's first job, or by hand): the tag, Cargo.toml, the
# pre-commit hook repository's pin and CHANGELOG.md agree.
#
#   scripts/release-check.sh v1.2.3
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:?usage: release-check.sh vX.Y.Z}"
version="$(awk '
  /^\[/ { in_package = ($0 == "[package]") }
  in_package && /^version *= *"/ { sub(/^version *= *"/, ""); sub(/".*/, ""); print; exit }
' Cargo.toml)"
status=0
if [ "$tag" != "v$version" ]; then
  echo "::error::tag $tag is not v$version (Cargo.toml)"
  status=1
fi
if ! grep -q "\"policy-lint==$version\"" pre-commit-hook/pyproject.toml; then
  echo "::error::pre-commit-hook/pyproject.toml does not depend on policy-lint==$version"
  status=1
fi
if ! grep -q "^version = \"$version\"" pre-commit-hook/pyproject.toml; then
  echo "::error::pre-commit-hook/pyproject.toml is not version $version"
  status=1
fi
if ! grep -Eq "^## \[?$version\]?( |$)" CHANGELOG.md; then
  echo "::error::CHANGELOG.md has no \`## [$version]\` section (rename [Unreleased])"
  status=1
fi
[ "$status" -eq 0 ] && echo "release $tag: versions agree"
exit "$status"
