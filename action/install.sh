#!/usr/bin/env bash
# Installs policy-lint for the GitHub Action (action.yml). Three phases, one per step:
#
#   install.sh resolve   decide the version, the install root and the cache key
#   install.sh download  fetch a published release binary (only when VERSION names a release)
#   install.sh build     cargo install --locked --path "$GITHUB_ACTION_PATH"
#
# Environment (inputs arrive only this way): VERSION (the `version` input), ACTION_REF (the
# action's own ref), ACTION_REPOSITORY, ROOT (install root, for download and build), GH_TOKEN.
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
out="${GITHUB_OUTPUT:-/dev/null}"

hash_of() { # sha256 of stdin, portable across the runner images
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -c1-64; else shasum -a 256 | cut -c1-64; fi
}

case "${1:-}" in
  resolve)
    version="${VERSION:-}"
    [ -n "$version" ] || version="${ACTION_REF:-}"
    [ -n "$version" ] || version="local"
    # Refs may contain `/`; keep the cache key and the directory name simple.
    safe="$(printf '%s' "$version" | tr -c 'A-Za-z0-9._-' '_')"
    lock="$(hash_of < "$action_path/Cargo.lock")"
    # A branch ref (`main`) moves: the source hash keeps the cache from serving an old build.
    src="$(cd "$action_path" && find Cargo.toml Cargo.lock build.rs src rules -type f 2>/dev/null | LC_ALL=C sort | while IFS= read -r f; do printf '%s\n' "$f"; cat -- "$f"; done | hash_of)"
    root="${RUNNER_TEMP:-/tmp}/policy-lint-$safe"
    release=false
    # Only a version tag can name a published release. None is published yet: the download
    # step then finds nothing and the action builds from source.
    if printf '%s' "$version" | grep -Eq '^v?[0-9]+\.[0-9]+\.[0-9]+$'; then release=true; fi
    {
      echo "version=$version"
      echo "root=$root"
      echo "release=$release"
      echo "key=policy-lint-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-${lock:0:16}-$safe-${src:0:16}"
    } >> "$out"
    echo "policy-lint version: $version (install root $root)"
    ;;
  download)
    root="${ROOT:?ROOT is not set}"
    version="${VERSION:?VERSION is not set}"
    repo="${ACTION_REPOSITORY:-}"
    case "${RUNNER_OS:-}-${RUNNER_ARCH:-}" in
      Linux-X64) target=x86_64-unknown-linux-gnu ;;
      Linux-ARM64) target=aarch64-unknown-linux-gnu ;;
      macOS-ARM64) target=aarch64-apple-darwin ;;
      macOS-X64) target=x86_64-apple-darwin ;;
      Windows-X64) target=x86_64-pc-windows-msvc ;;
      *) target="" ;;
    esac
    asset="policy-lint-$target.tar.gz"
    tmp="$(mktemp -d)"
    if [ -n "$repo" ] && [ -n "$target" ] && command -v gh >/dev/null 2>&1 \
      && gh release download "$version" --repo "$repo" --dir "$tmp" --pattern "$asset" --pattern "$asset.sha256" 2>/dev/null \
      && [ -f "$tmp/$asset" ] && [ -f "$tmp/$asset.sha256" ] \
      && [ "$(hash_of < "$tmp/$asset")" = "$(cut -c1-64 < "$tmp/$asset.sha256")" ]; then
      mkdir -p "$root/bin"
      tar -xzf "$tmp/$asset" -C "$root/bin"
      echo "downloaded=true" >> "$out"
      echo "policy-lint $version: downloaded $asset from the release"
    else
      echo "downloaded=false" >> "$out"
      echo "policy-lint $version: no verified release binary $asset (none is published yet); building from source"
    fi
    rm -rf "$tmp"
    ;;
  build)
    root="${ROOT:?ROOT is not set}"
    command -v cargo >/dev/null 2>&1 || { echo "::error::cargo is not installed on this runner; install a Rust toolchain before this action"; exit 1; }
    cargo install --locked --path "$action_path" --root "$root" --force
    ;;
  *)
    echo "usage: install.sh resolve|download|build" >&2
    exit 2
    ;;
esac
