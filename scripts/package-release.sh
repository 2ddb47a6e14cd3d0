#!/usr/bin/env bash
# Packages a built policy-lint binary as a release archive with its SHA-256, the way the release
# workflow (.github/workflows/release.yml) and the Action's installer (action/install.sh) expect:
#
#   scripts/package-release.sh TARGET BINARY OUTDIR
#
# writes OUTDIR/policy-lint-VERSION-TARGET.tar.gz (a .zip for Windows targets), holding
# policy-lint-VERSION-TARGET/{policy-lint[.exe],README.md,CHANGELOG.md,LICENSE*}, and
# OUTDIR/<archive>.sha256 (`<hash>  <archive>`, as `sha256sum -c` reads it). VERSION is the
# [package] version of Cargo.toml. Prints the archive's path.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 TARGET BINARY OUTDIR" >&2
  exit 2
fi
target="$1" binary="$2" outdir="$3"
repo="$(cd "$(dirname "$0")/.." && pwd)"

case "$target" in
  *[!A-Za-z0-9_.-]* | "") echo "invalid target \`$target\`" >&2; exit 2 ;;
esac
[ -f "$binary" ] || { echo "no binary at $binary" >&2; exit 2; }

version="$(awk '
  /^\[/ { in_package = ($0 == "[package]") }
  in_package && /^version *= *"/ { sub(/^version *= *"/, ""); sub(/".*/, ""); print; exit }
' "$repo/Cargo.toml")"
[ -n "$version" ] || { echo "cannot read the version from Cargo.toml" >&2; exit 2; }

py() { if command -v python3 >/dev/null 2>&1; then python3 "$@"; else python "$@"; fi; }
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -c1-64
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -c1-64
  else py -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi
}

name="policy-lint-$version-$target"
case "$target" in *windows*) ext=zip exe=.exe ;; *) ext=tar.gz exe= ;; esac
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$stage/$name/policy-lint$exe"
chmod 755 "$stage/$name/policy-lint$exe"
for f in README.md CHANGELOG.md LICENSE LICENSE-APACHE LICENSE-MIT; do
  [ -f "$repo/$f" ] && cp "$repo/$f" "$stage/$name/"
done
archive="$outdir/$name.$ext"
rm -f "$archive"
if [ "$ext" = zip ]; then
  (cd "$stage" && py -m zipfile -c "$archive" "$name")
else
  (cd "$stage" && tar -czf "$archive" "$name")
fi
printf '%s  %s\n' "$(sha256 "$archive")" "$name.$ext" > "$archive.sha256"
echo "$archive"
