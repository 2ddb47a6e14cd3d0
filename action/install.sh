#!/usr/bin/env bash
# Installs policy-lint for the GitHub Action (action.yml). One phase per step:
#
#   install.sh resolve   the version (the action's own Cargo.toml, or the `version` input), the
#                        release target of this runner, the install root and the source build's
#                        cache key
#   install.sh download  the release binary, when a release of exactly the action's source is
#                        published: its source digest must equal the action's (an unreleased
#                        commit has the same Cargo.toml version but other sources), and the
#                        archive must match its published SHA-256, else the step fails (closed)
#   install.sh build     cargo install --locked --path "$GITHUB_ACTION_PATH" (only when no release
#                        matches: a source checkout, an unreleased commit, `version: source`)
#   install.sh digest    prints the source digest (the release workflow publishes it)
#
# Environment (inputs arrive only this way): VERSION (the `version` input: empty for the action's
# own version, `source` to build, or a released version such as 1.2.3), ROOT (install root, for
# download and build), TARGET, RELEASE_BASE_URL (where releases are downloaded from,
# `<base>/v<version>/<asset>`; https, or http on the loopback interface only, for tests).
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
out="${GITHUB_OUTPUT:-/dev/null}"

hash_of() { # sha256 of stdin, portable across the runner images
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -c1-64
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 | cut -c1-64
  else
    python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
  fi
}

# The digest of the sources a binary is built from. The release workflow publishes the digest
# of the tagged sources next to the binaries; the action downloads them only when its own
# sources have the same digest.
source_digest() {
  (
    cd "$action_path"
    find Cargo.toml Cargo.lock build.rs src rules -type f 2>/dev/null | LC_ALL=C sort |
      while IFS= read -r f; do
        printf '%s\n' "$f"
        hash_of < "$f"
      done
  ) | hash_of
}

# The version in the action's Cargo.toml ([package] version).
own_version() {
  awk '
    /^\[/ { in_package = ($0 == "[package]") }
    in_package && /^version *= *"/ { sub(/^version *= *"/, ""); sub(/".*/, ""); print; exit }
  ' "$action_path/Cargo.toml"
}

# The release target for this runner: the static musl build on Linux (it runs in any container).
runner_target() {
  local os="${RUNNER_OS:-}" arch="${RUNNER_ARCH:-}"
  if [ -z "$os" ]; then
    case "$(uname -s)" in Linux) os=Linux ;; Darwin) os=macOS ;; MINGW* | MSYS* | CYGWIN*) os=Windows ;; esac
  fi
  if [ -z "$arch" ]; then
    case "$(uname -m)" in x86_64 | amd64) arch=X64 ;; aarch64 | arm64) arch=ARM64 ;; esac
  fi
  case "$os-$arch" in
    Linux-X64) echo x86_64-unknown-linux-musl ;;
    Linux-ARM64) echo aarch64-unknown-linux-musl ;;
    macOS-X64) echo x86_64-apple-darwin ;;
    macOS-ARM64) echo aarch64-apple-darwin ;;
    Windows-X64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

# fetch URL FILE: downloads URL to FILE; prints the HTTP status (000 when nothing answered).
fetch() {
  local url="$1" file="$2"
  if command -v curl >/dev/null 2>&1; then
    curl -sS -L --proto '=https,http' --retry 2 --connect-timeout 15 --max-time 300 \
      -o "$file" -w '%{http_code}' "$url" 2>/dev/null || true
  else
    python - "$url" "$file" <<'PY' || echo 000
import sys, urllib.request, urllib.error
url, path = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(url, timeout=60) as r, open(path, "wb") as f:
        f.write(r.read())
        print(r.status, end="")
except urllib.error.HTTPError as e:
    print(e.code, end="")
except Exception:
    print("000", end="")
PY
  fi
}

python() { # python3, or `python` where only that exists (Windows runners)
  if command -v python3 >/dev/null 2>&1; then command python3 "$@"; else command python "$@"; fi
}

fail() {
  echo "::error::$*"
  exit 1
}

case "${1:-}" in
  digest)
    source_digest
    ;;
  resolve)
    own="$(own_version)"
    [ -n "$own" ] || fail "cannot read the version from $action_path/Cargo.toml"
    requested="${VERSION:-}"
    requested="${requested#v}"
    mode=auto
    version="$own"
    case "$requested" in
      "" | "$own") ;;
      source) mode=source ;;
      *)
        printf '%s' "$requested" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$' ||
          fail "version must be empty, \`source\` or a released version such as 1.2.3, not \`$VERSION\`"
        mode=release
        version="$requested"
        ;;
    esac
    digest="$(source_digest)"
    target="$(runner_target)"
    root="${RUNNER_TEMP:-/tmp}/policy-lint-$version-${digest:0:12}"
    [ "$mode" = release ] && root="${RUNNER_TEMP:-/tmp}/policy-lint-$version-release"
    {
      echo "version=$version"
      echo "mode=$mode"
      echo "target=$target"
      echo "root=$root"
      echo "digest=$digest"
      echo "key=policy-lint-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-$version-${digest:0:16}"
    } >> "$out"
    echo "policy-lint $version ($mode; release target ${target:-none}; install root $root)"
    ;;
  download)
    root="${ROOT:?ROOT is not set}"
    version="${VERSION:?VERSION is not set}"
    mode="${MODE:-auto}"
    target="${TARGET:-}"
    base="${RELEASE_BASE_URL:?RELEASE_BASE_URL is not set}"
    base="${base%/}"
    case "$base" in
      https://*) ;;
      http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) ;;
      *) fail "RELEASE_BASE_URL must be an https URL (http only on the loopback interface): $base" ;;
    esac
    not_found() { # no release for this source: the build step takes over (or fails for `release`)
      if [ "$mode" = release ]; then
        fail "policy-lint $version: $1; set \`version\` to a published release, or leave it empty to use the action's own version"
      fi
      echo "installed=false" >> "$out"
      echo "policy-lint $version: $1; building from the action's source"
      exit 0
    }
    [ -n "$target" ] || not_found "no release binary is published for ${RUNNER_OS:-this OS} ${RUNNER_ARCH:-}"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    url="$base/v$version"
    if [ "$mode" = auto ]; then
      status="$(fetch "$url/policy-lint-$version-source.sha256" "$tmp/source.sha256")"
      case "$status" in
        200) ;;
        404) not_found "no release v$version is published" ;;
        000) not_found "the release server did not answer ($url)" ;;
        *) fail "policy-lint $version: HTTP $status for $url/policy-lint-$version-source.sha256" ;;
      esac
      published="$(cut -c1-64 < "$tmp/source.sha256")"
      mine="$(source_digest)"
      if [ "$published" != "$mine" ]; then
        not_found "the action's source is not the source of release v$version (an unreleased commit)"
      fi
    fi
    case "$target" in *windows*) ext=zip exe=.exe ;; *) ext=tar.gz exe= ;; esac
    name="policy-lint-$version-$target"
    asset="$name.$ext"
    for f in "$asset" "$asset.sha256"; do
      status="$(fetch "$url/$f" "$tmp/$f")"
      if [ "$status" = 404 ] && [ "$mode" = release ]; then
        fail "policy-lint $version: no release v$version with $f is published; set \`version\` to a published release, or leave it empty to use the action's own version"
      elif [ "$status" != 200 ]; then
        fail "policy-lint $version: release v$version exists but $f could not be downloaded (HTTP $status)"
      fi
    done
    expected="$(cut -c1-64 < "$tmp/$asset.sha256")"
    actual="$(hash_of < "$tmp/$asset")"
    if [ "$expected" != "$actual" ]; then
      fail "policy-lint $version: checksum mismatch for $asset (published $expected, downloaded $actual): refusing to install it"
    fi
    mkdir -p "$tmp/x"
    if [ "$ext" = zip ]; then
      python -m zipfile -e "$tmp/$asset" "$tmp/x"
    else
      tar -xzf "$tmp/$asset" -C "$tmp/x"
    fi
    bin="$tmp/x/$name/policy-lint$exe"
    [ -f "$bin" ] || fail "policy-lint $version: $asset has no $name/policy-lint$exe"
    mkdir -p "$root/bin"
    cp "$bin" "$root/bin/policy-lint$exe"
    chmod +x "$root/bin/policy-lint$exe"
    "$root/bin/policy-lint$exe" --version
    echo "installed=true" >> "$out"
    echo "policy-lint $version: installed $asset (SHA-256 $actual verified)"
    ;;
  build)
    root="${ROOT:?ROOT is not set}"
    command -v cargo >/dev/null 2>&1 ||
      fail "no policy-lint release matches this action's source, and cargo is not installed to build it: pin the action to a release tag, or install a Rust toolchain before this step"
    cargo install --locked --path "$action_path" --root "$root" --force
    ;;
  *)
    echo "usage: install.sh resolve|download|build|digest" >&2
    exit 2
    ;;
esac
